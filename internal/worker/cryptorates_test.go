package worker

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/rates"
)

// flakyTicker fails its first fetches, then publishes the price of BTC in
// COP.
type flakyTicker struct {
	mu       sync.Mutex
	failures int // fetches left to fail
	calls    int
	block    chan struct{} // when set, a fetch waits for it or its context
}

func (f *flakyTicker) Name() string { return "flaky" }

func (f *flakyTicker) Fetch(ctx context.Context) ([]pasarela.CryptoRate, error) {
	f.mu.Lock()
	f.calls++
	fail := f.failures > 0
	if fail {
		f.failures--
	}
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail {
		return nil, errors.New("exchange unreachable")
	}
	return []pasarela.CryptoRate{{Exchange: "flaky", Currency: "BTC", Fiat: "COP", Rate: decimal.RequireFromString("348097955.0671")}}, nil
}

func (f *flakyTicker) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func cryptoRatesService(t *testing.T, engine string, tickers ...rates.Ticker) *core.Service {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	svc, err := core.New(context.Background(), db, slog.New(slog.DiscardHandler), clk.Now,
		core.Config{CryptoRates: core.CryptoRateConfig{Tickers: tickers}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestCryptoRatesStep: a refresh where one exchange fails is logged once,
// naming it, and stores the other's prices; the next stores both.
func TestCryptoRatesStep(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		flaky := &flakyTicker{failures: 1}
		svc := cryptoRatesService(t, engine, rates.NewCryptoSandbox(nil), flaky)
		var logs syncBuffer
		w := &CryptoRates{Svc: svc, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		if err := w.Step(ctx); err == nil {
			t.Fatal("the failing exchange: no error")
		}
		if n := strings.Count(logs.String(), "crypto price refresh failed"); n != 1 || !strings.Contains(logs.String(), "exchange 2 (flaky)") {
			t.Fatalf("%d failure lines:\n%s", n, logs.String())
		}
		if _, err := svc.CryptoRate(ctx, 1, "BTC", "COP"); err != nil {
			t.Fatalf("the sandbox's price after the other exchange failed: %v", err)
		}
		if _, err := svc.CryptoRate(ctx, 2, "BTC", "COP"); pasarela.AsError(err).Code != "no_market" {
			t.Fatalf("the failing exchange's price: %v", err)
		}
		if err := w.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), `msg="crypto prices refreshed" exchanges=2`) {
			t.Fatalf("no success line:\n%s", logs.String())
		}
		if r, err := svc.CryptoRate(ctx, 2, "BTC", "COP"); err != nil || !r.Rate.Equal(decimal.RequireFromString("348097955.0671")) {
			t.Fatalf("after the second refresh: %+v %v", r, err)
		}
	})
}

// TestCryptoRatesStart: the worker refreshes at start and at every tick,
// a failed refresh tried again at the next one; Stop is safe twice and
// does not wait out a hanging exchange; with no exchange it does not run.
func TestCryptoRatesStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	flaky := &flakyTicker{failures: 2}
	svc := cryptoRatesService(t, "sqlite", flaky)
	var logs syncBuffer
	w := &CryptoRates{Svc: svc, Log: slog.New(slog.NewTextHandler(&logs, nil)), Interval: 10 * time.Millisecond}
	w.Start(ctx)
	defer w.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := svc.CryptoRate(ctx, 1, "BTC", "COP"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no price after 10 s; %d fetches; log:\n%s", flaky.count(), logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for flaky.count() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // it keeps refreshing every tick
	}
	w.Stop()
	w.Stop()
	if n := strings.Count(logs.String(), "crypto price refresh failed"); n != 2 {
		t.Fatalf("%d failure lines, want 2:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "crypto prices refreshed") {
		t.Fatalf("a success logged above debug:\n%s", logs.String())
	}

	(&CryptoRates{}).Stop()
	hang := &flakyTicker{block: make(chan struct{})}
	defer close(hang.block)
	hw := &CryptoRates{Svc: cryptoRatesService(t, "sqlite", hang), Log: slog.New(slog.DiscardHandler)}
	hw.Start(ctx)
	for hang.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { hw.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop waited for a hanging exchange")
	}

	none := &CryptoRates{Svc: cryptoRatesService(t, "sqlite"), Log: slog.New(slog.DiscardHandler)}
	none.Start(ctx)
	none.Stop()
	if none.Interval != 30*time.Second {
		t.Fatalf("the default interval: %s", none.Interval)
	}
}
