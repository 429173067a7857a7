package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// Payouts hands new payouts to their rail and follows the ones in flight
// (queued, sent, confirmed but still returnable) every Interval, recording
// each step the rail reports. Several nodes may run it at once: the core
// version-checks every step, so each is recorded once.
type Payouts struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // default two seconds

	loop
}

// Step does one pass: it advances every due payout, in batches, until none
// is left that the rail has news of. It returns how many payouts changed.
// Tests move the clock and call it, instead of waiting for the ticker.
func (w *Payouts) Step(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.Svc.AdvancePayouts(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// Start runs the worker until Stop.
func (w *Payouts) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = 2 * time.Second
	}
	w.loop.start(ctx, "payouts", w.Interval, false, func(ctx context.Context) {
		n, err := w.Step(ctx)
		if err != nil {
			w.Log.ErrorContext(ctx, "payout step failed", "err", err)
		} else if n > 0 {
			w.Log.InfoContext(ctx, "payouts advanced", "payouts", n)
		}
	})
}

// Stop ends the worker and waits for a pass in progress. It is safe to call
// twice, and before Start.
func (w *Payouts) Stop() { w.halt() }
