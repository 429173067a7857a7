package rates

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestCryptoSandbox: the sandbox ticker publishes every crypto currency of
// TickerCurrencies in every fiat currency of its table, at least COP, USD,
// EUR and MXN, each a positive price labeled as the sandbox's and dated by
// its clock; the peso prices give the xpay documentation's quote for 100000
// COP; and the table is consistent across fiat currencies.
func TestCryptoSandbox(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC)
	s := NewCryptoSandbox(func() time.Time { return now })
	if s.Name() != "sandbox" {
		t.Fatalf("name %q", s.Name())
	}
	rs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := len(TickerCurrencies) * len(cryptoSandboxPerUSD); len(rs) != want {
		t.Fatalf("%d prices, want %d", len(rs), want)
	}
	got := map[string]decimal.Decimal{}
	for _, r := range rs {
		if r.Exchange != "sandbox" || !crypto(r.Currency) || !fiat(r.Fiat) || !r.Rate.IsPositive() || !r.FetchedAt.Equal(now) {
			t.Fatalf("%+v", r)
		}
		got[r.Currency+" "+r.Fiat] = r.Rate
	}
	for _, code := range TickerCurrencies {
		for _, f := range []string{"COP", "USD", "EUR", "MXN"} {
			if _, ok := got[code+" "+f]; !ok {
				t.Errorf("no price of %s in %s", code, f)
			}
		}
	}
	// 100000 COP in each coin, as the xpay documentation's example quotes
	// it (8 decimals, rounded half up).
	price := decimal.NewFromInt(100000)
	for code, want := range map[string]string{"BTC": "0.00400000", "ETH": "0.02222222", "BCH": "0.02857143"} {
		if q := price.DivRound(got[code+" COP"], 18).Round(8).StringFixed(8); q != want {
			t.Errorf("100000 COP in %s: %s, want %s", code, q, want)
		}
	}
	if !got["BTC COP"].Equal(decimal.NewFromInt(25_000_000)) || !got["BTC USD"].Equal(decimal.NewFromInt(6250)) {
		t.Fatalf("BTC: %s COP, %s USD", got["BTC COP"], got["BTC USD"])
	}
	// Consistent: a coin's price in a fiat over its price in dollars is
	// the table's rate of that fiat, the same for every coin.
	for _, f := range cryptoSandboxPerUSD {
		per := decimal.RequireFromString(f.perUSD)
		for _, code := range TickerCurrencies {
			if r := got[code+" "+f.fiat]; !r.Equal(got[code+" USD"].Mul(per)) || !r.Equal(CryptoSandboxRate(code, f.fiat)) {
				t.Errorf("%s in %s: %s", code, f.fiat, r)
			}
		}
	}
	if !CryptoSandboxRate("DOGE", "USD").IsZero() || !CryptoSandboxRate("BTC", "JPY").IsZero() {
		t.Fatal("a pair the table lacks has a price")
	}
	again, _ := s.Fetch(context.Background())
	for i := range again {
		if again[i].Currency != rs[i].Currency || again[i].Fiat != rs[i].Fiat || !again[i].Rate.Equal(rs[i].Rate) {
			t.Fatalf("a second fetch differs: %+v, then %+v", rs[i], again[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Fetch(ctx); err == nil {
		t.Fatal("a canceled fetch: no error")
	}
}
