package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// Rates refreshes the daily exchange rates from the core's rate source:
// once at start, then every Interval. A refresh that fails is logged and
// tried again after Retry, sooner than a day, so that one unreachable feed
// at start does not leave the gateway a day behind; the rates stored before
// stay in use meanwhile. Several nodes may run it at once: a refresh is an
// upsert of the same published values.
type Rates struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration    // between successful refreshes; default 24 h
	Retry    time.Duration    // after a failed refresh; default 1 h, at most Interval
	Now      func() time.Time // the clock that spaces refreshes; default time.Now

	mu   sync.Mutex
	last time.Time // when the last refresh succeeded; zero before one has

	loop
}

// Step refreshes the rates once, logging the failure if it fails. Tests
// call it instead of waiting for the ticker.
func (w *Rates) Step(ctx context.Context) error {
	if err := w.Svc.RefreshRates(ctx); err != nil {
		if ctx.Err() != nil {
			return err // abandoned at Stop: the source did not fail
		}
		w.Log.ErrorContext(ctx, "exchange rate refresh failed; the stored rates stay in use", "err", err)
		return err
	}
	w.mu.Lock()
	w.last = w.now()
	w.mu.Unlock()
	// The newest day tells an operator whether the source still publishes;
	// not reading it is no reason to call the refresh failed.
	day, err := w.Svc.LatestRateDay(ctx)
	if err != nil {
		w.Log.WarnContext(ctx, "exchange rates refreshed; reading the newest day failed", "err", err)
		return nil
	}
	w.Log.InfoContext(ctx, "exchange rates refreshed", "newest_day", day)
	return nil
}

func (w *Rates) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

// due reports whether a refresh is due: none has succeeded yet, or the
// last one is Interval old.
func (w *Rates) due() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last.IsZero() || w.now().Sub(w.last) >= w.Interval
}

// Start refreshes at once, then runs until Stop. The loop wakes every
// Retry and refreshes when a refresh is due.
func (w *Rates) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = 24 * time.Hour
	}
	if w.Retry <= 0 {
		w.Retry = time.Hour
	}
	w.Retry = min(w.Retry, w.Interval)
	w.loop.start(ctx, "rates", w.Retry, true, func(ctx context.Context) {
		if !w.due() {
			return
		}
		ctx, cancel := w.loop.abandonable(ctx)
		defer cancel()
		_ = w.Step(ctx) // Step logged the failure; the next wake tries again
	})
}

// Stop ends the worker and waits for a refresh in progress. It is safe to
// call twice, and before Start.
func (w *Rates) Stop() { w.halt() }
