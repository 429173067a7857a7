package worker

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

// TestSubscriptionsStep: the scheduler's Step, called after the clock
// moves, charges every due cycle (catching up on several subscriptions at
// once), charges nothing early, and Start/Stop tolerate being called in any
// order and twice. Both engines.
func TestSubscriptionsStep(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := coretest.MustOpen(t, engine)
		clk := coretest.NewClock(time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC))
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc, err := core.New(ctx, db, log, clk.Now, core.Config{
			Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
		if err != nil {
			t.Fatal(err)
		}
		ten := coretest.MustTenant(t, svc, "Worker Shop")
		cfg, err := svc.CreateGatewayConfig(ten.AdminCtx(ctx), ten.App.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("cards")})
		if err != nil {
			t.Fatal(err)
		}
		start := clk.Now()
		var ids []int64
		for range 3 {
			sub, _, err := svc.CreateSubscription(ten.AppCtx(ctx), ten.App.ID, core.SubscriptionInput{Amount: 700,
				Currency: "EUR", Interval: "month", StartDate: &start, Cycles: 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := svc.CreateAgreement(ten.AppCtx(ctx), ten.App.ID, sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ConfirmAgreement(ctx, a.Token, pasarela.CardInput{Name: "Ada", Number: "4242424242424242",
				ExpMonth: 12, ExpYear: 2040, CVC: "123"}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sub.ID)
		}
		w := &Subscriptions{Svc: svc, Log: log}
		w.Stop() // before Start: nothing to stop
		r, err := w.Step(ctx)
		if err != nil || r.Claimed != 3 || r.Paid != 3 {
			t.Fatalf("first step: %+v %v", r, err)
		}
		// Feb 28 08:59 is a minute early for the second cycle (Jan 31 → Feb 28).
		clk.Advance(28*24*time.Hour - time.Minute)
		if r, err := w.Step(ctx); err != nil || r.Claimed != 0 {
			t.Fatalf("early step: %+v %v", r, err)
		}
		clk.Advance(time.Minute)
		if r, err := w.Step(ctx); err != nil || r.Paid != 3 {
			t.Fatalf("second step: %+v %v", r, err)
		}
		for _, id := range ids {
			d, err := svc.GetSubscription(ten.AppCtx(ctx), ten.App.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != pasarela.SubscriptionCompleted || d.CyclesPaid != 2 || d.Cycles[1].DueAt.Format(time.DateOnly) != "2026-02-28" {
				t.Fatalf("subscription %d: %+v %+v", id, d.Subscription, d.Cycles)
			}
		}
		w.Interval = time.Hour
		w.Start(ctx)
		w.Stop()
		w.Stop()
		coretest.MustSoundLedger(t, svc)
	})
}
