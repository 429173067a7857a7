package worker

import (
	"context"
	"log/slog"
	"sync"
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

	stop chan struct{}
	done chan struct{}
	once sync.Once
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
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.run(context.WithoutCancel(ctx))
}

func (w *Payouts) run(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		n, err := w.Step(ctx)
		if err != nil {
			w.Log.ErrorContext(ctx, "payout step failed", "err", err)
		} else if n > 0 {
			w.Log.InfoContext(ctx, "payouts advanced", "payouts", n)
		}
	}
}

// Stop ends the worker and waits for a pass in progress. It is safe to call
// twice, and before Start.
func (w *Payouts) Stop() {
	if w.stop == nil {
		return
	}
	w.once.Do(func() { close(w.stop) })
	<-w.done
}
