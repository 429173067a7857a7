package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// Reconciler settles money left in flight by a process that died between a
// processor call and its settlement (core.Service.Reconcile) every Interval.
// Several nodes may run it at once: the core lets one settle each payment.
type Reconciler struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // default one minute

	loop
}

// Start runs the reconciler until Stop.
func (w *Reconciler) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	w.loop.start(ctx, "reconciler", w.Interval, false, func(ctx context.Context) { w.Step(ctx) })
}

// Step runs one reconciliation and logs what it did. Rows the processor
// could not tell about are left for the next tick rather than retried at
// once: an unreachable processor needs time, not a tight loop.
func (w *Reconciler) Step(ctx context.Context) core.ReconcileResult {
	r, err := w.Svc.Reconcile(ctx)
	if err != nil {
		w.Log.ErrorContext(ctx, "reconcile failed", "err", err)
	}
	w.did("reconciler", "payments_settled", r.Payments)
	w.did("reconciler", "refunds_settled", r.Refunds)
	w.did("reconciler", "left", r.Left)
	if err != nil {
		w.did("reconciler", "errors", 1)
	}
	if r.Payments > 0 || r.Refunds > 0 || r.Left > 0 {
		w.Log.InfoContext(ctx, "reconciled", "payments", r.Payments, "refunds", r.Refunds, "left", r.Left)
	}
	return r
}

// Stop ends the reconciler and waits for a run in progress. It is safe to
// call twice, and before Start.
func (w *Reconciler) Stop() { w.halt() }
