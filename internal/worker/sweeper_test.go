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
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// TestSweep: a payment nobody pays before its deadline becomes expired with
// its links closed, and idempotency records are dropped after their lifetime
// but not before.
func TestSweep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := coretest.NewClock(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, clk.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, "sandbox")))})
	if err != nil {
		t.Fatal(err)
	}
	c, u, err := svc.CreateClient(ctx, core.ClientInput{Name: "Sweep", Email: "sweep@example.com", Password: "Sw33p-pass!"})
	if err != nil {
		t.Fatal(err)
	}
	app, err := svc.OperatorCreateApplication(ctx, c.ID, "web")
	if err != nil {
		t.Fatal(err)
	}
	admin := pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: c.ID, UserID: u.ID, Roles: u.Roles})
	cfg, err := svc.CreateGatewayConfig(admin, app.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("cards")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := clk.Now().Add(30 * time.Minute)
	idem := &core.Idem{Key: "k1", Render: func(any) (int, []byte, error) { return 201, []byte(`{}`), nil }}
	pay, _, err := svc.CreatePayment(admin, app.ID, core.PaymentInput{Amount: 500, Currency: "EUR", ExpiresAt: &deadline}, idem)
	if err != nil {
		t.Fatal(err)
	}
	link, err := svc.CreatePaymentLink(admin, app.ID, pay.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
	if err != nil {
		t.Fatal(err)
	}

	if r, err := svc.Sweep(ctx); err != nil || r.Expired != 0 || r.Idempotency != 0 {
		t.Fatalf("sweep before the deadline: %+v %v", r, err)
	}
	clk.Advance(31 * time.Minute)
	if r, err := svc.Sweep(ctx); err != nil || r.Expired != 1 {
		t.Fatalf("sweep after the deadline: %+v %v", r, err)
	}
	d, err := svc.GetPayment(admin, app.ID, pay.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != pasarela.StatusExpired || d.Links[0].Status != pasarela.LinkInvalidated {
		t.Fatalf("payment %s, link %s", d.Status, d.Links[0].Status)
	}
	if _, err := svc.PayWithCard(ctx, link.Token, pasarela.CardInput{Name: "A", Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}); err == nil {
		t.Fatal("an expired payment was paid")
	}

	clk.Advance(24 * time.Hour)
	if r, err := svc.Sweep(ctx); err != nil || r.Idempotency != 1 {
		t.Fatalf("sweep after a day: %+v %v", r, err)
	}
	if problems, err := svc.VerifyLedger(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("ledger: %v %v", problems, err)
	}
}

// TestSweeperStops: Stop ends the loop, twice is fine, before Start too.
func TestSweeperStops(t *testing.T) {
	t.Parallel()
	(&Sweeper{}).Stop()
	w := &Sweeper{Svc: nil, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Interval: time.Hour}
	w.Start(context.Background())
	w.Stop()
	w.Stop()
}
