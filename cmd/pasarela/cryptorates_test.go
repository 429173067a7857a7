package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/rates"
)

// tickerNames lists the names of the exchanges serve built, in order.
func tickerNames(ts []rates.Ticker) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.Name())
	}
	return strings.Join(names, ",")
}

// TestServeCryptoRatesFlags: serve takes the crypto price settings from the
// environment and the flags, defaults to the sandbox table (no network)
// with Coinbase's URL ready, keeps the order given (it numbers the
// exchanges), and refuses an unknown or repeated exchange, an empty list, a
// bad interval and a Coinbase URL on a private or loopback address unless
// private addresses are allowed, naming the setting.
func TestServeCryptoRatesFlags(t *testing.T) {
	parse := func(environ []string, args ...string) (*ServeCommand, error) {
		c := &ServeCommand{output: output{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}}
		return c, c.ParseFlags(args, environ)
	}
	c, err := parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.CryptoRates != "sandbox" || c.Config.CryptoRatesURL != rates.CoinbaseURL || c.Config.CryptoRatesInterval != 30*time.Second ||
		c.Config.CryptoRatesAllowPrivate || tickerNames(c.tickers) != "sandbox" {
		t.Fatalf("defaults: %+v, exchanges %s", c.Config, tickerNames(c.tickers))
	}
	c, err = parse([]string{"PASARELA_CRYPTO_RATES=Coinbase, sandbox"})
	if err != nil || tickerNames(c.tickers) != "coinbase,sandbox" {
		t.Fatalf("two exchanges from the environment: %s %v", tickerNames(c.tickers), err)
	}
	c, err = parse([]string{"PASARELA_CRYPTO_RATES=coinbase", "PASARELA_CRYPTO_RATES_URL=http://127.0.0.1:9"},
		"--crypto-rates-allow-private", "--crypto-rates-interval", "5s")
	if err != nil || tickerNames(c.tickers) != "coinbase" || c.Config.CryptoRatesInterval != 5*time.Second {
		t.Fatalf("a loopback Coinbase allowed: %s %v", tickerNames(c.tickers), err)
	}
	for _, tc := range []struct {
		environ []string
		args    []string
		want    string
	}{
		{nil, []string{"--crypto-rates", "kraken"}, `--crypto-rates (PASARELA_CRYPTO_RATES) "kraken": each exchange must be sandbox or coinbase`},
		{[]string{"PASARELA_CRYPTO_RATES=sandbox,binance"}, nil, `"binance": each exchange must be sandbox or coinbase`},
		{nil, []string{"--crypto-rates", "sandbox,SANDBOX"}, "names sandbox twice"},
		{nil, []string{"--crypto-rates", " , "}, "--crypto-rates (PASARELA_CRYPTO_RATES) is empty"},
		{nil, []string{"--crypto-rates-interval", "0s"}, "--crypto-rates-interval (PASARELA_CRYPTO_RATES_INTERVAL) 0s: must be positive"},
		{[]string{"PASARELA_CRYPTO_RATES_INTERVAL=10m"}, nil, "shorter than 10m0s"},
		{nil, []string{"--crypto-rates", "coinbase", "--crypto-rates-url", "http://127.0.0.1:9"}, "--crypto-rates-url (PASARELA_CRYPTO_RATES_URL)"},
		{[]string{"PASARELA_CRYPTO_RATES=coinbase", "PASARELA_CRYPTO_RATES_URL=https://10.1.2.3"}, nil, "private"},
		{nil, []string{"--crypto-rates", "coinbase", "--crypto-rates-url", "ftp://api.coinbase.com"}, "http or https"},
	} {
		if _, err := parse(tc.environ, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error saying %q", tc.environ, tc.args, err, tc.want)
		}
	}
}

// TestServeRefreshesCryptoRates: a server configured with Coinbase (here a
// loopback server serving the recorded answers) and the sandbox numbers
// them 1 and 2 and stores both's prices at start; one on the defaults
// stores the sandbox's as exchange 1.
func TestServeRefreshesCryptoRates(t *testing.T) {
	answers := map[string][]byte{}
	for _, code := range rates.TickerCurrencies {
		b, err := os.ReadFile("../../internal/rates/testdata/coinbase-" + strings.ToLower(code) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		answers[code] = b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := answers[r.URL.Query().Get("currency")]
		if r.URL.Path != "/v2/exchange-rates" || !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	waitRate := func(m *Main, exchange int, currency, fiat string) decimal.Decimal {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			r, err := m.svc.CryptoRate(context.Background(), exchange, currency, fiat)
			if err == nil {
				return r.Rate
			}
			if time.Now().After(deadline) {
				t.Fatalf("no price of %s in %s at exchange %d after 15 s: %v", currency, fiat, exchange, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0",
		"--crypto-rates", "coinbase,sandbox", "--crypto-rates-url", srv.URL, "--crypto-rates-allow-private")
	if got := waitRate(m, 1, "BTC", "COP"); !got.Equal(decimal.RequireFromString("348097955.0671")) {
		t.Fatalf("Coinbase's BTC in COP: %s", got)
	}
	if got := waitRate(m, 2, "BTC", "COP"); !got.Equal(decimal.NewFromInt(25_000_000)) {
		t.Fatalf("the sandbox's BTC in COP: %s", got)
	}
	if ex := m.svc.Exchanges(); len(ex) != 2 || ex[0] != (core.Exchange{ID: 1, Name: "coinbase"}) {
		t.Fatalf("exchanges %+v", ex)
	}
	if m.cryptoRateWorker == nil || m.cryptoRateWorker.Interval != 30*time.Second {
		t.Fatalf("the crypto price worker: %+v", m.cryptoRateWorker)
	}

	sb, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0", "--crypto-rates-interval", "1m")
	if got := waitRate(sb, 1, "ETH", "COP"); !got.Equal(decimal.NewFromInt(4_500_000)) {
		t.Fatalf("the sandbox's ETH in COP: %s", got)
	}
	if sb.cryptoRateWorker.Interval != time.Minute {
		t.Fatalf("the crypto price worker's interval: %s", sb.cryptoRateWorker.Interval)
	}
}
