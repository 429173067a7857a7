package core_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// benchSubscriptions is how many daily subscriptions the scheduler
// benchmark keeps due.
const benchSubscriptions = 500

// BenchmarkSubscriptionCycles measures the scheduler: each iteration moves
// the clock a day and runs the scheduler until every one of
// benchSubscriptions daily subscriptions has its cycle claimed, charged at
// the sandbox and settled (with its ledger posting). It reports cycles per
// second. Run it with
//
//	PASARELA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/core -run XXX -bench SubscriptionCycles -benchtime 5x
func BenchmarkSubscriptionCycles(b *testing.B) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) { benchSubscriptionCycles(b, engine) })
	}
}

func benchSubscriptionCycles(b *testing.B, engine string) {
	ctx := context.Background()
	db := coretest.MustOpen(b, engine)
	clock := coretest.NewClock(coretest.Start)
	svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		b.Fatal(err)
	}
	ten := coretest.MustTenant(b, svc, "Bench Shop")
	actx := ten.AppCtx(ctx)
	cfg, err := svc.CreateGatewayConfig(ten.AdminCtx(ctx), ten.App.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("cards")})
	if err != nil {
		b.Fatal(err)
	}
	start := clock.Now()
	for range benchSubscriptions {
		sub, _, err := svc.CreateSubscription(actx, ten.App.ID, core.SubscriptionInput{Amount: 500, Currency: "EUR",
			Interval: "day", StartDate: &start}, nil)
		if err != nil {
			b.Fatal(err)
		}
		a, _, err := svc.CreateAgreement(actx, ten.App.ID, sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.ConfirmAgreement(ctx, a.Token, card(cardVisa)); err != nil {
			b.Fatal(err)
		}
	}
	cycles := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for {
			r, err := svc.RunSubscriptions(ctx)
			if err != nil {
				b.Fatal(err)
			}
			cycles += r.Paid
			if r.Claimed == 0 {
				break
			}
		}
		clock.Advance(24 * time.Hour)
	}
	b.StopTimer()
	if cycles != b.N*benchSubscriptions {
		b.Fatalf("%d cycles paid, want %d", cycles, b.N*benchSubscriptions)
	}
	b.ReportMetric(float64(cycles)/b.Elapsed().Seconds(), "cycles/s")
	coretest.MustSoundLedger(b, svc)
}
