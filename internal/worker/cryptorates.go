package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/pasarela/pasarela/internal/core"
)

// CryptoRates refreshes the crypto prices of the core's exchanges: once at
// start, then every Interval. A refresh that fails (for one exchange or
// all) is logged and simply tried again at the next tick: the prices stored
// before stay quotable until they are the core's Validity old, which spans
// many ticks. Several nodes may run it at once: a refresh is an upsert of
// what each exchange publishes.
type CryptoRates struct {
	Svc      *core.Service
	Log      *slog.Logger
	Interval time.Duration // between refreshes; default 30 s

	loop
}

// Step refreshes the prices once, logging the failure if it fails. Tests
// call it instead of waiting for the ticker.
func (w *CryptoRates) Step(ctx context.Context) error {
	if err := w.Svc.RefreshCryptoRates(ctx); err != nil {
		if ctx.Err() != nil {
			return err // abandoned at Stop: the exchange did not fail
		}
		// The error names the exchanges that failed and why; the
		// tickers refuse URLs with credentials, so it carries none.
		w.Log.ErrorContext(ctx, "crypto price refresh failed; the stored prices stay in use while fresh", "err", err)
		return err
	}
	w.Log.DebugContext(ctx, "crypto prices refreshed", "exchanges", len(w.Svc.Exchanges()))
	return nil
}

// Start refreshes at once, then every Interval until Stop. A gateway with
// no exchange has nothing to refresh, and the worker does not start.
func (w *CryptoRates) Start(ctx context.Context) {
	if w.Interval <= 0 {
		w.Interval = 30 * time.Second
	}
	if len(w.Svc.Exchanges()) == 0 {
		return
	}
	w.loop.start(ctx, "crypto_rates", w.Interval, true, func(ctx context.Context) {
		ctx, cancel := w.loop.abandonable(ctx)
		defer cancel()
		_ = w.Step(ctx) // Step logged the failure; the next tick tries again
	})
}

// Stop ends the worker and waits for a refresh in progress. It is safe to
// call twice, and before Start.
func (w *CryptoRates) Stop() { w.halt() }
