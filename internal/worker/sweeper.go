// Package worker holds the gateway's background services. Each has Start
// and Stop, takes a logger and a clock, and tolerates being stopped twice.
package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// Sweeper runs the core's housekeeping (expiring unpaid payments, dropping
// old idempotency records) every Interval. Several nodes may run it at once:
// each step is a state transition the store lets only one node make.
type Sweeper struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // default one minute

	loop
}

// Start runs the sweeper until Stop.
func (w *Sweeper) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	w.loop.start(ctx, "sweeper", w.Interval, false, w.sweep)
}

// sweep runs the core's housekeeping until nothing is left to do.
func (w *Sweeper) sweep(ctx context.Context) {
	for !w.stopping() {
		r, err := w.Svc.Sweep(ctx)
		if err != nil {
			w.Log.ErrorContext(ctx, "sweep failed", "err", err)
			return
		}
		if r.Expired == 0 && r.Idempotency == 0 {
			return
		}
		w.Log.InfoContext(ctx, "swept", "expired_payments", r.Expired, "idempotency_records", r.Idempotency)
	}
}

// Stop ends the sweeper and waits for a sweep in progress. It is safe to
// call twice, and before Start.
func (w *Sweeper) Stop() { w.halt() }
