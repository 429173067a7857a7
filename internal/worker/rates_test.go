package worker

import (
	"bytes"
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
)

// flakyRates fails its first fetches, then publishes one day of USD.
type flakyRates struct {
	mu       sync.Mutex
	failures int // fetches left to fail
	calls    int
	block    chan struct{} // when set, a fetch waits for it or its context
}

func (f *flakyRates) Name() string { return "flaky" }

func (f *flakyRates) Fetch(ctx context.Context) ([]pasarela.ExchangeRate, error) {
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
		return nil, errors.New("feed unreachable")
	}
	return []pasarela.ExchangeRate{
		{Currency: "EUR", Day: "2026-02-27", Rate: decimal.NewFromInt(1), Source: "flaky"},
		{Currency: "USD", Day: "2026-02-27", Rate: decimal.RequireFromString("1.0617"), Source: "flaky"},
	}, nil
}

func (f *flakyRates) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// syncBuffer is a log sink the worker's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ratesService(t *testing.T, engine string, src *flakyRates) *core.Service {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	svc, err := core.New(context.Background(), db, slog.New(slog.DiscardHandler), clk.Now,
		core.Config{Rates: core.RateConfig{Source: src}})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestRatesStep: a failed refresh is logged once and stores nothing; the
// next one stores the rates.
func TestRatesStep(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		src := &flakyRates{failures: 1}
		svc := ratesService(t, engine, src)
		var logs syncBuffer
		w := &Rates{Svc: svc, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		if err := w.Step(ctx); err == nil {
			t.Fatal("the failing fetch: no error")
		}
		if n := strings.Count(logs.String(), "exchange rate refresh failed"); n != 1 {
			t.Fatalf("%d failure lines:\n%s", n, logs.String())
		}
		if rs, err := svc.ExchangeRates(ctx, nil, 5); err != nil || len(rs) != 0 {
			t.Fatalf("after a failed fetch: %v %v", rs, err)
		}
		if err := w.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), `msg="exchange rates refreshed" newest_day=2026-02-27`) {
			t.Fatalf("no success line naming the newest day:\n%s", logs.String())
		}
		rs, err := svc.ExchangeRates(ctx, []string{"USD"}, 5)
		if err != nil || len(rs) != 1 || !rs[0].Rate.Equal(decimal.RequireFromString("1.0617")) || rs[0].Source != "flaky" {
			t.Fatalf("after the second fetch: %v %v", rs, err)
		}
	})
}

// TestRatesStart: the worker refreshes at start; when that fails it tries
// again after Retry rather than a whole Interval, logging each failure
// once; once a refresh succeeds it waits the Interval.
func TestRatesStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := &flakyRates{failures: 2}
	svc := ratesService(t, "sqlite", src)
	var logs syncBuffer
	w := &Rates{Svc: svc, Log: slog.New(slog.NewTextHandler(&logs, nil)), Interval: time.Hour, Retry: 10 * time.Millisecond}
	w.Start(ctx)
	defer w.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rs, err := svc.ExchangeRates(ctx, []string{"USD"}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rates after 10 s; %d fetches; log:\n%s", src.count(), logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Many retry wakes pass; none fetches again within the Interval.
	time.Sleep(100 * time.Millisecond)
	w.Stop()
	w.Stop()
	if n := src.count(); n != 3 {
		t.Fatalf("%d fetches, want 3 (two failures, one success)", n)
	}
	if n := strings.Count(logs.String(), "exchange rate refresh failed"); n != 2 {
		t.Fatalf("%d failure lines, want 2:\n%s", n, logs.String())
	}
}

// TestRatesStopsDuringFetch: Stop does not wait out a feed that hangs; it
// is safe twice, and before Start.
func TestRatesStopsDuringFetch(t *testing.T) {
	t.Parallel()
	(&Rates{}).Stop()
	src := &flakyRates{block: make(chan struct{})}
	defer close(src.block)
	svc := ratesService(t, "sqlite", src)
	w := &Rates{Svc: svc, Log: slog.New(slog.DiscardHandler)}
	w.Start(context.Background())
	for src.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop waited for a hanging fetch")
	}
	w.Stop()
}
