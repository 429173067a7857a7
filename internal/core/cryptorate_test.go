package core_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/rates"
)

// fakeTicker is an exchange whose next answer the test sets.
type fakeTicker struct {
	name  string
	mu    sync.Mutex
	rates []pasarela.CryptoRate
	err   error
}

func (f *fakeTicker) Name() string { return f.name }

func (f *fakeTicker) Fetch(context.Context) ([]pasarela.CryptoRate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rates, f.err
}

func (f *fakeTicker) set(rs []pasarela.CryptoRate, err error) {
	f.mu.Lock()
	f.rates, f.err = rs, err
	f.mu.Unlock()
}

// price is a price as the exchange named "fake" publishes it.
func price(currency, fiat, value string) pasarela.CryptoRate {
	return pasarela.CryptoRate{Exchange: "fake", Currency: currency, Fiat: fiat, Rate: decimal.RequireFromString(value)}
}

// withTickers gives the env a core, on the same database and clock, whose
// exchanges are tickers in order.
func (e *env) withTickers(tickers ...rates.Ticker) *env {
	e.svc = mustService(e.t, e.db, e.clock, core.Config{CryptoRates: core.CryptoRateConfig{Tickers: tickers}})
	return e
}

// mustCryptoRates asks the core for the quotes in fiat, failing the test
// on error, and renders them "exchange currency rate" one a line.
func (e *env) mustCryptoRates(fiat string) string {
	e.t.Helper()
	rs, err := e.svc.CryptoRates(e.ctx, fiat)
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rs {
		if r.Fiat != strings.ToUpper(fiat) {
			e.t.Fatalf("a price in %s among the %s ones: %+v", r.Fiat, fiat, r)
		}
		b.WriteString(r.Exchange + " " + r.Currency + " " + r.Rate.String() + "\n")
	}
	return b.String()
}

// TestCryptoRatesSandbox: the exchanges are numbered by position; a refresh
// stores every exchange's prices as fetched at the core's time; a price is
// read by exchange id and pair (codes in any case), exact, and the quotes
// of a fiat currency list every exchange's fresh prices by exchange id,
// then currency. The sandbox's peso prices give the xpay documentation's
// quote.
func TestCryptoRatesSandbox(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		// The fake is first: ids follow the configuration, not the names.
		fake := &fakeTicker{name: "fake"}
		fake.set([]pasarela.CryptoRate{price("BTC", "COP", "348097955.0671"), price("ETH", "COP", "11904587.3275"),
			price("BTC", "USD", "91234.505")}, nil)
		e.withTickers(fake, rates.NewCryptoSandbox(nil))
		if got := e.svc.Exchanges(); len(got) != 2 || got[0] != (core.Exchange{ID: 1, Name: "fake"}) ||
			got[1] != (core.Exchange{ID: 2, Name: "sandbox"}) {
			t.Fatalf("exchanges %+v", got)
		}
		if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.CryptoRate(e.ctx, 2, "btc", "cop")
		if err != nil {
			t.Fatal(err)
		}
		if r.Exchange != "sandbox" || r.Currency != "BTC" || r.Fiat != "COP" || !r.Rate.Equal(decimal.NewFromInt(25_000_000)) ||
			!r.FetchedAt.Equal(e.clock.Now()) {
			t.Fatalf("sandbox BTC/COP: %+v", r)
		}
		for code, want := range map[string]string{"BTC": "0.00400000", "ETH": "0.02222222", "BCH": "0.02857143"} {
			r, err := e.svc.CryptoRate(e.ctx, 2, code, "COP")
			if err != nil {
				t.Fatal(err)
			}
			if q := decimal.NewFromInt(100000).DivRound(r.Rate, 18).Round(8).StringFixed(8); q != want {
				t.Errorf("100000 COP in %s: %s, want %s", code, q, want)
			}
		}
		if r, err := e.svc.CryptoRate(e.ctx, 1, "BTC", "USD"); err != nil || !r.Rate.Equal(decimal.RequireFromString("91234.505")) {
			t.Fatalf("fake BTC/USD: %+v %v", r, err)
		}
		mustEqualText(t, "the quotes in COP", e.mustCryptoRates("cop"), `fake BTC 348097955.0671
fake ETH 11904587.3275
sandbox BCH 3500000
sandbox BTC 25000000
sandbox ETH 4500000
sandbox LTC 400000
`)
		mustEqualText(t, "the quotes in USD", e.mustCryptoRates("USD"), `fake BTC 91234.505
sandbox BCH 875
sandbox BTC 6250
sandbox ETH 1125
sandbox LTC 100
`)
		mustEqualText(t, "the quotes in JPY", e.mustCryptoRates("JPY"), "")

		// The row as stored: the exchange's name, the price exact, the
		// fetch time by the core's clock.
		var rate string
		var fetched int64
		if err := e.db.Raw.QueryRow(`SELECT rate, fetched_at FROM crypto_rates WHERE exchange = 'fake' AND currency = 'BTC' AND fiat = 'COP'`).
			Scan(&rate, &fetched); err != nil {
			t.Fatal(err)
		}
		if rate != "348097955.0671" || fetched != e.clock.Now().UnixMicro() {
			t.Fatalf("stored %s %d", rate, fetched)
		}

		// The same order configured the other way round: the ids follow,
		// the prices stay with their exchange.
		e.withTickers(rates.NewCryptoSandbox(nil), fake)
		if r, err := e.svc.CryptoRate(e.ctx, 1, "BTC", "COP"); err != nil || r.Exchange != "sandbox" {
			t.Fatalf("exchange 1 after reordering: %+v %v", r, err)
		}
		if got := e.mustCryptoRates("USD"); !strings.HasPrefix(got, "sandbox BCH 875\n") || !strings.HasSuffix(got, "fake BTC 91234.505\n") {
			t.Fatalf("the quotes in USD after reordering:\n%s", got)
		}
		// An exchange no longer configured is quoted by no id.
		e.withTickers(rates.NewCryptoSandbox(nil))
		if got := e.mustCryptoRates("USD"); strings.Contains(got, "fake") {
			t.Fatalf("a removed exchange quoted:\n%s", got)
		}
	})
}

// mustEqualText fails unless got is want.
func mustEqualText(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, got, want)
	}
}

// TestCryptoRateErrors: each way a lookup fails has its own kind, code and
// field, for the faces to map: an unknown exchange id, a currency the
// gateway does not know or of the wrong kind, a pair the exchange does not
// price, and a price older than Validity (fresh up to Validity exactly,
// and dropped from the quotes after). A gateway with no exchange refuses a
// refresh as unavailable.
func TestCryptoRateErrors(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		ctx := e.ctx
		_, err := e.svc.CryptoRate(ctx, 1, "BTC", "COP")
		wantErr(t, "no exchange", err, pasarela.KindInvalid, "exchange_not_found", "no exchange")
		wantErr(t, "a refresh with no exchange", e.svc.RefreshCryptoRates(ctx), pasarela.KindUnavailable, "crypto_rates_unavailable")
		if got := e.mustCryptoRates("COP"); got != "" || len(e.svc.Exchanges()) != 0 {
			t.Fatalf("quotes with no exchange: %q %v", got, e.svc.Exchanges())
		}

		e.withTickers(rates.NewCryptoSandbox(nil), &fakeTicker{name: "fake", rates: []pasarela.CryptoRate{price("BTC", "COP", "1")}})
		if err := e.svc.RefreshCryptoRates(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			id             int
			currency, fiat string
			kind           pasarela.Kind
			code, field    string
		}{
			{0, "BTC", "COP", pasarela.KindInvalid, "exchange_not_found", "exchange_id"},
			{3, "BTC", "COP", pasarela.KindInvalid, "exchange_not_found", "exchange_id"},
			{-1, "BTC", "COP", pasarela.KindInvalid, "exchange_not_found", "exchange_id"},
			{1, "BTX", "COP", pasarela.KindInvalid, "currency_unsupported", "currency"},
			{1, "", "COP", pasarela.KindInvalid, "currency_unsupported", "currency"},
			{1, "COP", "BTC", pasarela.KindInvalid, "not_crypto", "currency"},
			{1, "BTC", "COC", pasarela.KindInvalid, "currency_unsupported", "fiat"},
			{1, "BTC", "ETH", pasarela.KindInvalid, "not_fiat", "fiat"},
			{1, "BTC", "JPY", pasarela.KindInvalid, "no_market", ""},
			{1, "DOGE", "COP", pasarela.KindInvalid, "no_market", ""},
			{2, "ETH", "COP", pasarela.KindInvalid, "no_market", ""},
		} {
			_, err := e.svc.CryptoRate(ctx, tc.id, tc.currency, tc.fiat)
			pe := pasarela.AsError(err)
			if err == nil || pe.Kind != tc.kind || pe.Code != tc.code || pe.Field != tc.field {
				t.Errorf("%d %s/%s: %v (%s %s %s), want %s %s on %q", tc.id, tc.currency, tc.fiat, err, pe.Kind, pe.Code,
					pe.Field, tc.kind, tc.code, tc.field)
			}
		}
		// Every problem of a lookup at once, the first on the top.
		_, err = e.svc.CryptoRate(ctx, 9, "EUR", "LTC")
		if pe := pasarela.AsError(err); len(pe.Fields) != 3 || pe.Code != "exchange_not_found" || pe.Fields[2].Code != "not_fiat" {
			t.Fatalf("three problems: %+v", pe)
		}

		// Fresh up to Validity (10 minutes by default) exactly, stale
		// after it, and gone from the quotes.
		e.clock.Advance(10 * time.Minute)
		if _, err := e.svc.CryptoRate(ctx, 1, "BTC", "COP"); err != nil {
			t.Fatalf("a price Validity old: %v", err)
		}
		e.clock.Advance(time.Microsecond)
		_, err = e.svc.CryptoRate(ctx, 1, "BTC", "COP")
		wantErr(t, "a stale price", err, pasarela.KindUnavailable, "rate_stale", "exchange 1", "BTC", "COP")
		if got := e.mustCryptoRates("COP"); got != "" {
			t.Fatalf("stale quotes:\n%s", got)
		}
		// A refresh makes them fresh again.
		if err := e.svc.RefreshCryptoRates(ctx); err != nil {
			t.Fatal(err)
		}
		if r, err := e.svc.CryptoRate(ctx, 1, "BTC", "COP"); err != nil || !r.FetchedAt.Equal(e.clock.Now()) {
			t.Fatalf("after a refresh: %+v %v", r, err)
		}

		// A shorter validity is the configured one.
		e.svc = mustService(t, e.db, e.clock, core.Config{CryptoRates: core.CryptoRateConfig{
			Tickers: []rates.Ticker{rates.NewCryptoSandbox(nil)}, Validity: time.Minute}})
		e.clock.Advance(time.Minute + time.Microsecond)
		_, err = e.svc.CryptoRate(ctx, 1, "BTC", "COP")
		wantErr(t, "stale after a minute", err, pasarela.KindUnavailable, "rate_stale")
	})
}

// TestRefreshCryptoRatesKeepsStored: an exchange that fails, or that
// publishes anything the gateway would not store, keeps its stored prices,
// all of them, and does not stop the other exchanges' refresh; the error
// names each failing exchange. A good refresh then replaces the prices.
func TestRefreshCryptoRatesKeepsStored(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake, broken := &fakeTicker{name: "fake"}, &fakeTicker{name: "broken"}
		e.withTickers(rates.NewCryptoSandbox(nil), fake, broken)
		good := []pasarela.CryptoRate{price("BTC", "COP", "348097955.0671"), price("LTC", "COP", "376829.9563")}
		fake.set(good, nil)
		broken.set(nil, errors.New("connection refused"))
		err := e.svc.RefreshCryptoRates(e.ctx)
		wantErr(t, "one exchange down", err, pasarela.KindUnavailable, "crypto_rates_unavailable", "exchange 3", "broken")
		if strings.Contains(err.Error(), "fake") || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("the error: %v", err)
		}
		before := e.mustCryptoRates("COP")
		mustEqualText(t, "the first refresh", before, `sandbox BCH 3500000
sandbox BTC 25000000
sandbox ETH 4500000
sandbox LTC 400000
fake BTC 348097955.0671
fake LTC 376829.9563
`)

		for name, bad := range map[string][]pasarela.CryptoRate{
			"nothing":                   {},
			"an unknown coin":           {price("BTC", "COP", "1"), price("XMR", "COP", "900000")},
			"a lowercase coin":          {price("BTC", "COP", "1"), price("eth", "COP", "900000")},
			"a fiat currency as coin":   {price("BTC", "COP", "1"), price("USD", "COP", "3815")},
			"an unknown fiat":           {price("BTC", "COP", "1"), price("BTC", "AED", "335058")},
			"a crypto currency as fiat": {price("BTC", "COP", "1"), price("BTC", "ETH", "29.2")},
			"a zero price":              {price("BTC", "COP", "1"), price("ETH", "COP", "0")},
			"a negative price":          {price("BTC", "COP", "1"), price("ETH", "COP", "-4500000")},
			"another exchange's price": {price("BTC", "COP", "1"),
				{Exchange: "sandbox", Currency: "ETH", Fiat: "COP", Rate: decimal.NewFromInt(1)}},
		} {
			fake.set(bad, nil)
			broken.set([]pasarela.CryptoRate{{Exchange: "broken", Currency: "BTC", Fiat: "USD", Rate: decimal.NewFromInt(90000)}}, nil)
			e.clock.Advance(time.Second)
			err := e.svc.RefreshCryptoRates(e.ctx)
			if pasarela.ErrorKind(err) != pasarela.KindInternal || err == nil {
				t.Fatalf("%s: %v", name, err)
			}
			mustEqualText(t, "after a batch with "+name, e.mustCryptoRates("COP"), before)
			// The other exchanges were refreshed all the same.
			if r, err := e.svc.CryptoRate(e.ctx, 3, "BTC", "USD"); err != nil || !r.FetchedAt.Equal(e.clock.Now()) {
				t.Fatalf("%s: the broken exchange's price: %+v %v", name, r, err)
			}
			if r, err := e.svc.CryptoRate(e.ctx, 1, "BTC", "COP"); err != nil || !r.FetchedAt.Equal(e.clock.Now()) {
				t.Fatalf("%s: the sandbox's price: %+v %v", name, r, err)
			}
		}
		// The fake's stored prices are as old as its last good refresh.
		if r, err := e.svc.CryptoRate(e.ctx, 2, "BTC", "COP"); err != nil || !r.FetchedAt.Equal(e.clock.Now().Add(-9*time.Second)) {
			t.Fatalf("the fake's price after bad batches: %+v %v", r, err)
		}

		// A good refresh replaces the prices and their time; the ticker's
		// own slice is not changed.
		fresh := []pasarela.CryptoRate{price("BTC", "COP", "350000000"), price("LTC", "COP", "376829.9563")}
		fake.set(fresh, nil)
		if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		if !fresh[0].FetchedAt.IsZero() {
			t.Fatalf("the ticker's slice was stamped: %+v", fresh[0])
		}
		if r, err := e.svc.CryptoRate(e.ctx, 2, "BTC", "COP"); err != nil || !r.Rate.Equal(decimal.NewFromInt(350_000_000)) ||
			!r.FetchedAt.Equal(e.clock.Now()) {
			t.Fatalf("after a good refresh: %+v %v", r, err)
		}
	})
}

// TestCryptoRateConfig: exchanges that could not be told apart are refused
// when the core is built.
func TestCryptoRateConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	for name, tickers := range map[string][]rates.Ticker{
		"two named alike": {rates.NewCryptoSandbox(nil), &fakeTicker{name: "fake"}, rates.NewCryptoSandbox(nil)},
		"no name":         {&fakeTicker{}},
		"a nil ticker":    {nil},
	} {
		_, err := core.New(e.ctx, e.db, nil, e.clock.Now, core.Config{CryptoRates: core.CryptoRateConfig{Tickers: tickers}})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
