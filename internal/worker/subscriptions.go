package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// Subscriptions is the scheduler that charges subscription cycles when they
// are due, and retries declined ones on the dunning schedule. Several nodes
// may run it on one PostgreSQL database at once: each cycle is claimed in a
// transaction only one of them can commit, so a cycle is charged once.
type Subscriptions struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // how often to look for due cycles; default one minute

	loop
}

// Step charges every cycle due now, in batches, until none is left. Tests
// call it after moving the core's clock.
func (w *Subscriptions) Step(ctx context.Context) (core.SubscriptionRun, error) {
	var total core.SubscriptionRun
	for {
		r, err := w.Svc.RunSubscriptions(ctx)
		total.Claimed += r.Claimed
		total.Paid += r.Paid
		total.Failed += r.Failed
		if err != nil || r.Claimed == 0 {
			return total, err
		}
		if w.stopping() {
			return total, nil
		}
	}
}

// Start runs the scheduler until Stop, a first step at once.
func (w *Subscriptions) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	w.loop.start(ctx, "subscriptions", w.Interval, true, func(ctx context.Context) {
		r, err := w.Step(ctx)
		if err != nil {
			w.Log.ErrorContext(ctx, "subscription charges failed", "err", err)
			w.did("subscriptions", "errors", 1)
		}
		w.did("subscriptions", "cycles_paid", r.Paid)
		w.did("subscriptions", "cycles_declined", r.Failed)
		if r.Claimed > 0 {
			w.Log.InfoContext(ctx, "subscription charges", "charged", r.Claimed, "paid", r.Paid, "declined", r.Failed)
		}
	})
}

// Stop ends the scheduler and waits for a step in progress (a charge sent
// to a processor is settled before it returns). It is safe to call twice,
// and before Start.
func (w *Subscriptions) Stop() { w.halt() }
