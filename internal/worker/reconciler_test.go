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
	"github.com/pasarela/pasarela/internal/store"
)

// TestReconcilerStep: a payment left processing by a process that died
// (its claim written straight to the store here) is settled by the
// worker's step once the lease has passed, and the worker starts and stops
// (twice) cleanly.
func TestReconcilerStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := coretest.MustOpen(t, "sqlite")
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, clk.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, "sandbox")))})
	if err != nil {
		t.Fatal(err)
	}
	ten := coretest.MustTenant(t, svc, "Recon")
	c, app, admin := ten.Client, ten.App, ten.AdminCtx(ctx)
	if _, err := svc.CreateGatewayConfig(admin, app.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("cards")}); err != nil {
		t.Fatal(err)
	}
	pay, _, err := svc.CreatePayment(admin, app.ID, core.PaymentInput{Amount: 500, Currency: "EUR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The claim of a process that then died before calling any processor.
	if err := db.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.GetPaymentByID(ctx, c.ID, pay.ID)
		if err != nil {
			return err
		}
		p.Status, p.UpdatedAt = pasarela.StatusProcessing, clk.Now()
		return tx.UpdatePayment(ctx, p)
	}); err != nil {
		t.Fatal(err)
	}

	w := &Reconciler{Svc: svc, Log: log}
	if r := w.Step(ctx); r != (core.ReconcileResult{}) {
		t.Fatalf("step within the lease: %+v", r)
	}
	clk.Advance(3 * time.Minute)
	if r := w.Step(ctx); r.Payments != 1 {
		t.Fatalf("step after the lease: %+v", r)
	}
	got, err := svc.GetPayment(admin, app.ID, pay.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != pasarela.StatusPending || got.FailureCode != processor.CodeProcessingError {
		t.Fatalf("payment %s (%s), want pending again: nothing reached a processor", got.Status, got.FailureCode)
	}

	w.Start(ctx)
	w.Stop()
	w.Stop()
	(&Reconciler{}).Stop() // before Start
}
