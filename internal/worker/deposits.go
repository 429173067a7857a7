package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// DepositWatcher asks the chains about the watched crypto deposits every
// Interval and moves them as the chains show money arrive and confirm.
// Several nodes may run it at once: each move is a state transition the
// store lets only one node make.
type DepositWatcher struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // default 10 s: a block every 10 minutes, a mempool seen within seconds

	loop
}

// Start runs the watcher until Stop.
func (w *DepositWatcher) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = 10 * time.Second
	}
	w.loop.start(ctx, "deposits", w.Interval, false, w.watch)
}

func (w *DepositWatcher) watch(ctx context.Context) {
	n, err := w.Svc.WatchDeposits(ctx)
	if err != nil {
		w.Log.ErrorContext(ctx, "watching crypto deposits failed", "err", err)
		return
	}
	if n > 0 {
		w.Log.InfoContext(ctx, "crypto deposits moved", "deposits", n)
	}
	w.did("deposits", "moved", n)
}

// Stop ends the watcher and waits for a round in progress. It is safe to
// call twice, and before Start.
func (w *DepositWatcher) Stop() { w.halt() }
