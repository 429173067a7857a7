package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/rates"
)

// fakeRates is a rate source whose next answer the test sets.
type fakeRates struct {
	mu    sync.Mutex
	rates []pasarela.ExchangeRate
	err   error
}

func (f *fakeRates) Name() string { return "fake" }

func (f *fakeRates) Fetch(context.Context) ([]pasarela.ExchangeRate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rates, f.err
}

func (f *fakeRates) set(rs []pasarela.ExchangeRate, err error) {
	f.mu.Lock()
	f.rates, f.err = rs, err
	f.mu.Unlock()
}

func fakeRate(currency, day, value string) pasarela.ExchangeRate {
	return pasarela.ExchangeRate{Currency: currency, Day: day, Rate: decimal.RequireFromString(value), Source: "fake"}
}

// withRates gives the env a second core, on the same database and clock,
// whose rate source is src; the tenants' core has none.
func (e *env) withRates(src rates.Source) *env {
	e.svc = mustService(e.t, e.db, e.clock, core.Config{Rates: core.RateConfig{Source: src}})
	return e
}

// mustExchangeRates asks the core for rates, failing the test on error.
func (e *env) mustExchangeRates(currencies []string, days int) []pasarela.ExchangeRate {
	e.t.Helper()
	rs, err := e.svc.ExchangeRates(e.ctx, currencies, days)
	if err != nil {
		e.t.Fatal(err)
	}
	return rs
}

// countRates counts the rows of the exchange rate table as stored.
func (e *env) countRates() int {
	e.t.Helper()
	var n int
	if err := e.db.Raw.QueryRow(`SELECT COUNT(*) FROM exchange_rates`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestRefreshRatesSandbox: a refresh stores what the sandbox publishes for
// the days up to the clock's, a second refresh the same day changes
// nothing, and the next day's refresh adds that day; a query returns the
// last days each currency has, newest first, with no principal in the
// context (rates are public reference data).
func TestRefreshRatesSandbox(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		clock := e.clock // Sunday 1 March 2026, 12:00 UTC
		e.withRates(rates.NewSandbox(clock.Now))

		if err := e.svc.RefreshRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Two weeks back from a Sunday hold ten business days; the table
		// has 19 currencies and the euro.
		stored := e.countRates()
		if stored != 10*20 {
			t.Fatalf("%d rows after the first refresh, want 200", stored)
		}
		got := e.mustExchangeRates([]string{"usd", "JPY", "EUR", "USD"}, 3)
		var want []pasarela.ExchangeRate
		for _, day := range []string{"2026-02-27", "2026-02-26", "2026-02-25"} {
			for _, c := range []string{"EUR", "JPY", "USD"} {
				want = append(want, pasarela.ExchangeRate{Currency: c, Day: day, Rate: rates.SandboxRate(c, day), Source: "sandbox"})
			}
		}
		mustSameRates(t, "the last three days", got, want)

		// The row as stored: the rate exact, the source named, the time
		// of the fetch by the core's clock.
		var rate, source string
		var fetched int64
		if err := e.db.Raw.QueryRow(`SELECT rate, source, fetched_at FROM exchange_rates WHERE currency = 'USD' AND day = '2026-02-27'`).
			Scan(&rate, &source, &fetched); err != nil {
			t.Fatal(err)
		}
		if !decimal.RequireFromString(rate).Equal(rates.SandboxRate("USD", "2026-02-27")) || source != "sandbox" ||
			fetched != clock.Now().UnixMicro() {
			t.Fatalf("stored %s %s %d", rate, source, fetched)
		}

		clock.Advance(time.Hour)
		if err := e.svc.RefreshRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.countRates(); n != stored {
			t.Fatalf("%d rows after refreshing the same days again, want %d", n, stored)
		}
		clock.Advance(24 * time.Hour) // Monday 2 March
		if err := e.svc.RefreshRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.countRates(); n != stored+20 {
			t.Fatalf("%d rows after Monday's refresh, want %d", n, stored+20)
		}
		got = e.mustExchangeRates([]string{"GBP"}, 2)
		mustSameRates(t, "GBP after the weekend", got, []pasarela.ExchangeRate{
			{Currency: "GBP", Day: "2026-03-02", Rate: rates.SandboxRate("GBP", "2026-03-02"), Source: "sandbox"},
			{Currency: "GBP", Day: "2026-02-27", Rate: rates.SandboxRate("GBP", "2026-02-27"), Source: "sandbox"},
		})
		if day, err := e.svc.LatestRateDay(e.ctx); err != nil || day != "2026-03-02" {
			t.Fatalf("the latest day: %q %v", day, err)
		}
		if all := e.mustExchangeRates(nil, 1); len(all) != 20 || all[0].Day != "2026-03-02" {
			t.Fatalf("every currency, one day: %d rates, first %+v", len(all), all[0])
		}
	})
}

// mustSameRates fails unless got and want are the same rates in order.
func mustSameRates(t *testing.T, what string, got, want []pasarela.ExchangeRate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rates %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Currency != w.Currency || g.Day != w.Day || g.Source != w.Source || !g.Rate.Equal(w.Rate) {
			t.Fatalf("%s: rate %d is %+v, want %+v", what, i, g, w)
		}
	}
}

// TestRefreshRatesKeepsStored: a source that fails, or that publishes
// anything the gateway would not store, leaves the stored rates as they
// were, all of them (not even the good rates of a bad batch are kept); a
// good refresh then replaces a day's value with the latest.
func TestRefreshRatesKeepsStored(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		src := &fakeRates{}
		e.withRates(src)
		day := "2026-02-27"
		good := []pasarela.ExchangeRate{fakeRate("EUR", day, "1"), fakeRate("USD", day, "1.0617"), fakeRate("JPY", day, "158.12")}
		src.set(good, nil)
		if err := e.svc.RefreshRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		before := e.mustExchangeRates(nil, 10)
		mustSameRates(t, "the first refresh", before, []pasarela.ExchangeRate{good[0], good[2], good[1]})

		src.set(nil, errors.New("connection refused"))
		err := e.svc.RefreshRates(e.ctx)
		if pasarela.ErrorKind(err) != pasarela.KindUnavailable {
			t.Fatalf("a failed fetch: %v (%v)", err, pasarela.ErrorKind(err))
		}
		mustSameRates(t, "after a failed fetch", e.mustExchangeRates(nil, 10), before)

		tomorrow := e.clock.Now().AddDate(0, 0, 1).Format(pasarela.DayLayout)
		later := e.clock.Now().AddDate(0, 0, 2).Format(pasarela.DayLayout)
		for name, bad := range map[string][]pasarela.ExchangeRate{
			"nothing":              {},
			"an unknown currency":  {fakeRate("USD", day, "1.07"), fakeRate("XAU", day, "0.0004")},
			"a crypto currency":    {fakeRate("USD", day, "1.07"), fakeRate("BTC", day, "0.000011")},
			"a lowercase code":     {fakeRate("USD", day, "1.07"), fakeRate("gbp", day, "0.83")},
			"a day that is no day": {fakeRate("USD", day, "1.07"), fakeRate("GBP", "2026-02-30", "0.83")},
			"a future day":         {fakeRate("USD", day, "1.07"), fakeRate("GBP", later, "0.83")},
			"a zero rate":          {fakeRate("USD", day, "1.07"), fakeRate("GBP", day, "0")},
			"a negative rate":      {fakeRate("USD", day, "1.07"), fakeRate("GBP", day, "-0.83")},
			"the euro not at 1":    {fakeRate("USD", day, "1.07"), fakeRate("EUR", day, "1.01")},
			"another source's rate": {fakeRate("USD", day, "1.07"),
				{Currency: "GBP", Day: day, Rate: decimal.RequireFromString("0.83"), Source: "ecb"}},
		} {
			src.set(bad, nil)
			err := e.svc.RefreshRates(e.ctx)
			if pasarela.ErrorKind(err) != pasarela.KindInternal || err == nil {
				t.Fatalf("%s: %v", name, err)
			}
			mustSameRates(t, "after a batch with "+name, e.mustExchangeRates(nil, 10), before)
		}

		// Tomorrow by UTC is allowed: the ECB dates its rates in
		// Frankfurt. A day fetched again keeps one row, the latest value.
		src.set([]pasarela.ExchangeRate{fakeRate("USD", day, "1.0625"), fakeRate("USD", tomorrow, "1.0630")}, nil)
		if err := e.svc.RefreshRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		mustSameRates(t, "USD after a correction", e.mustExchangeRates([]string{"USD"}, 10), []pasarela.ExchangeRate{
			fakeRate("USD", tomorrow, "1.0630"), fakeRate("USD", day, "1.0625")})
		if n := e.countRates(); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
	})
}

// TestExchangeRatesInput: the days and currencies asked for are checked,
// each problem reported on its field; a gateway with no rate source
// refuses a refresh as unavailable and still answers queries.
func TestExchangeRatesInput(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			currencies []string
			days       int
			fields     []string
		}{
			{nil, 0, []string{"days"}},
			{nil, core.MaxRateDays + 1, []string{"days"}},
			{[]string{"USD", "XXX"}, 5, []string{"currencies[1]"}},
			{[]string{"BTC", "EUR", ""}, -1, []string{"days", "currencies[0]", "currencies[2]"}},
		} {
			_, err := e.svc.ExchangeRates(e.ctx, tc.currencies, tc.days)
			perr := pasarela.AsError(err)
			if perr == nil || perr.Kind != pasarela.KindInvalid || len(perr.Fields) != len(tc.fields) {
				t.Fatalf("%v %d: %v", tc.currencies, tc.days, err)
			}
			for i, f := range tc.fields {
				if perr.Fields[i].Field != f {
					t.Fatalf("%v %d: field %d is %q, want %q", tc.currencies, tc.days, i, perr.Fields[i].Field, f)
				}
			}
		}
		if rs, err := e.svc.ExchangeRates(e.ctx, []string{"EUR"}, core.MaxRateDays); err != nil || len(rs) != 0 {
			t.Fatalf("no rates stored: %v %v", rs, err)
		}
		if day, err := e.svc.LatestRateDay(e.ctx); err != nil || day != "" {
			t.Fatalf("the latest day with no rates: %q %v", day, err)
		}
		err := e.svc.RefreshRates(e.ctx)
		if perr := pasarela.AsError(err); perr == nil || perr.Kind != pasarela.KindUnavailable || perr.Code != "rates_unavailable" {
			t.Fatalf("a refresh with no source: %v", err)
		}
	})
}
