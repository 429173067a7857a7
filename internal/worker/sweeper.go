// Package worker holds the gateway's background services. Each has Start
// and Stop, takes a logger and a clock, and tolerates being stopped twice.
package worker

import (
	"context"
	"log/slog"
	"sync"
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

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Start runs the sweeper until Stop.
func (w *Sweeper) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = time.Minute
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.run(context.WithoutCancel(ctx))
}

func (w *Sweeper) run(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		for {
			r, err := w.Svc.Sweep(ctx)
			if err != nil {
				w.Log.ErrorContext(ctx, "sweep failed", "err", err)
				break
			}
			if r.Expired > 0 || r.Idempotency > 0 {
				w.Log.InfoContext(ctx, "swept", "expired_payments", r.Expired, "idempotency_records", r.Idempotency)
			}
			if r.Expired == 0 && r.Idempotency == 0 {
				break
			}
			select {
			case <-w.stop:
				return
			default:
			}
		}
	}
}

// Stop ends the sweeper and waits for a sweep in progress. It is safe to
// call twice, and before Start.
func (w *Sweeper) Stop() {
	if w.stop == nil {
		return
	}
	w.once.Do(func() { close(w.stop) })
	<-w.done
}
