package rates

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/webhook"
)

// The testdata holds answers in the format of Coinbase's
// /v2/exchange-rates?currency=X, one per crypto currency, with fiat and
// crypto currencies mixed as the API lists them (and some fiat currencies
// the gateway does not know, which are skipped); the prices are made up.

// coinbaseFiles are the answers the test server gives per currency.
func coinbaseFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, code := range TickerCurrencies {
		out[code] = mustRead(t, "testdata/coinbase-"+strings.ToLower(code)+".json")
	}
	return out
}

// coinbaseServer serves answers[currency] at /v2/exchange-rates with
// status, on a loopback address, and counts the requests.
type coinbaseServer struct {
	URL    string
	mu     sync.Mutex
	asked  []string
	status int
	bodies map[string][]byte
}

func newCoinbaseServer(t *testing.T, status int, bodies map[string][]byte) *coinbaseServer {
	t.Helper()
	cs := &coinbaseServer{status: status, bodies: bodies}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.URL.Query().Get("currency")
		cs.mu.Lock()
		cs.asked = append(cs.asked, code)
		cs.mu.Unlock()
		body, ok := bodies[code]
		if r.URL.Path != "/v2/exchange-rates" || r.Method != http.MethodGet || !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	cs.URL = srv.URL
	return cs
}

func mustCoinbase(t *testing.T, o CoinbaseOptions) *Coinbase {
	t.Helper()
	o.AllowPrivate = true
	s, err := NewCoinbase(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCoinbaseFetch: the ticker asks for each crypto currency once and
// keeps the prices in the fiat currencies the gateway knows, exact as
// written, labeled as Coinbase's and dated by the fetch.
func TestCoinbaseFetch(t *testing.T) {
	t.Parallel()
	srv := newCoinbaseServer(t, http.StatusOK, coinbaseFiles(t))
	s := mustCoinbase(t, CoinbaseOptions{URL: srv.URL + "/"})
	if s.Name() != "coinbase" {
		t.Fatalf("name %q", s.Name())
	}
	before := time.Now()
	rs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(srv.asked, ",") != "BTC,ETH,BCH,LTC" {
		t.Fatalf("asked for %v", srv.asked)
	}
	// Each answer lists 14 fiat currencies the gateway knows (not AED,
	// XAF nor ZWL) and the crypto ones, which are skipped.
	if len(rs) != 4*14 {
		t.Fatalf("%d prices, want 56: %v", len(rs), rs)
	}
	got := map[string]pasarela.CryptoRate{}
	for _, r := range rs {
		if r.Exchange != "coinbase" || !crypto(r.Currency) || !fiat(r.Fiat) || !r.Rate.IsPositive() ||
			r.FetchedAt.Before(before.Add(-time.Second)) || r.FetchedAt.After(time.Now()) {
			t.Fatalf("%+v", r)
		}
		got[r.Currency+" "+r.Fiat] = r
	}
	for key, want := range map[string]string{
		"BTC COP": "348097955.0671", "BTC USD": "91234.505", "ETH MXN": "56537.913",
		"BCH EUR": "440.2068", "LTC CLP": "92711.6932",
	} {
		if r, ok := got[key]; !ok || !r.Rate.Equal(decimal.RequireFromString(want)) {
			t.Errorf("%s: %+v, want %s", key, r, want)
		}
	}
	for _, key := range []string{"BTC AED", "BTC ZWL", "BTC ETH", "BTC BTC", "ETH USDT"} {
		if _, ok := got[key]; ok {
			t.Errorf("%s kept", key)
		}
	}
}

// TestCoinbaseFetchFails: an error status, junk, an answer about another
// currency, a price that is not positive or not a decimal string, an answer
// with no known fiat currency, a body past the limit and a server slower
// than the timeout each fail the whole fetch.
func TestCoinbaseFetchFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	good := coinbaseFiles(t)
	with := func(code string, body []byte) map[string][]byte {
		m := map[string][]byte{}
		for k, v := range good {
			m[k] = v
		}
		m[code] = body
		return m
	}
	huge := []byte(`{"data":{"currency":"BTC","rates":{"USD":"91234.5"` + strings.Repeat(`,"X":"1"`, 200_000) + `}}}`)
	cases := map[string]*Coinbase{
		"404": mustCoinbase(t, CoinbaseOptions{URL: newCoinbaseServer(t, http.StatusOK, with("BTC", nil)).URL + "/nowhere"}),
		"an error status": mustCoinbase(t, CoinbaseOptions{
			URL: newCoinbaseServer(t, http.StatusNotFound, with("LTC", mustRead(t, "testdata/coinbase-error.json"))).URL}),
		"429": mustCoinbase(t, CoinbaseOptions{URL: newCoinbaseServer(t, http.StatusTooManyRequests, good).URL}),
		"junk": mustCoinbase(t, CoinbaseOptions{
			URL: newCoinbaseServer(t, http.StatusOK, with("ETH", mustRead(t, "testdata/coinbase-junk.html"))).URL}),
		"a zero price": mustCoinbase(t, CoinbaseOptions{
			URL: newCoinbaseServer(t, http.StatusOK, with("BTC", mustRead(t, "testdata/coinbase-btc-zero.json"))).URL}),
		"a negative price": mustCoinbase(t, CoinbaseOptions{
			URL: newCoinbaseServer(t, http.StatusOK, with("BTC", mustRead(t, "testdata/coinbase-btc-negative.json"))).URL}),
		"another currency's answer": mustCoinbase(t, CoinbaseOptions{URL: newCoinbaseServer(t, http.StatusOK, with("BCH", good["BTC"])).URL}),
		"a huge body":               mustCoinbase(t, CoinbaseOptions{URL: newCoinbaseServer(t, http.StatusOK, with("BTC", huge)).URL}),
		"one byte short": mustCoinbase(t, CoinbaseOptions{URL: newCoinbaseServer(t, http.StatusOK, good).URL,
			MaxBytes: int64(len(good["BTC"]) - 1)}),
	}
	for name, s := range cases {
		if rs, err := s.Fetch(ctx); err == nil {
			t.Errorf("%s: no error, %d prices", name, len(rs))
		}
	}

	hold := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(hold)
	s := mustCoinbase(t, CoinbaseOptions{URL: slow.URL, Timeout: 100 * time.Millisecond})
	start := time.Now()
	if _, err := s.Fetch(ctx); err == nil {
		t.Fatal("a server that never answers: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %s", d)
	}
}

// TestParseCoinbaseRefuses: the parser's rules, one broken at a time.
func TestParseCoinbaseRefuses(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"empty":                 ``,
		"not an object":         `[]`,
		"no data":               `{"errors":[{"id":"not_found","message":"Invalid currency"}]}`,
		"another currency":      `{"data":{"currency":"ETH","rates":{"USD":"3120.1"}}}`,
		"no fiat price":         `{"data":{"currency":"BTC","rates":{"ETH":"29.2","XAU":"21.7"}}}`,
		"no rates":              `{"data":{"currency":"BTC","rates":{}}}`,
		"a number, not string":  `{"data":{"currency":"BTC","rates":{"USD":91234.5}}}`,
		"null":                  `{"data":{"currency":"BTC","rates":{"USD":null}}}`,
		"zero":                  `{"data":{"currency":"BTC","rates":{"USD":"0.000"}}}`,
		"negative":              `{"data":{"currency":"BTC","rates":{"USD":"-1"}}}`,
		"an exponent":           `{"data":{"currency":"BTC","rates":{"USD":"9.1e4"}}}`,
		"blanks":                `{"data":{"currency":"BTC","rates":{"USD":" 91234.5"}}}`,
		"a plus sign":           `{"data":{"currency":"BTC","rates":{"USD":"+91234.5"}}}`,
		"too many digits":       `{"data":{"currency":"BTC","rates":{"USD":"1234567890123456789012345678901234"}}}`,
		"a price twice":         `{"data":{"currency":"BTC","rates":{"USD":"1","USD":"2"}}}`,
		"trailing junk":         `{"data":{"currency":"BTC","rates":{"USD":"1"}}} x`,
		"a lowercase fiat only": `{"data":{"currency":"BTC","rates":{"usd":"91234.5"}}}`,
	} {
		if rs, err := ParseCoinbase("BTC", []byte(body)); err == nil {
			t.Errorf("%s: accepted %v", name, rs)
		}
	}
	// Unknown fields and a non-string price of a skipped currency are
	// no reason to refuse an answer.
	rs, err := ParseCoinbase("BTC", []byte(`{"data":{"currency":"BTC","rates":{"USD":"91234.50","XYZ":7},"extra":1},"warnings":[]}`))
	if err != nil || len(rs) != 1 || rs[0].Fiat != "USD" || !rs[0].Rate.Equal(decimal.RequireFromString("91234.5")) {
		t.Fatalf("%v %v", rs, err)
	}
}

// TestCoinbaseRefusesPrivate: by default the ticker refuses a base URL of
// a private, loopback or link-local address when it is built and, for a
// name that resolves to one, when it connects.
func TestCoinbaseRefusesPrivate(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080", "https://10.0.0.1", "http://[::1]/", "http://169.254.169.254/",
		"https://localhost", "ftp://api.coinbase.com", "not a url", "https://user:pw@api.coinbase.com",
		"https://api.coinbase.com/?currency=BTC"} {
		if _, err := NewCoinbase(CoinbaseOptions{URL: u}); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
	if _, err := NewCoinbase(CoinbaseOptions{}); err != nil {
		t.Fatalf("Coinbase's own URL: %v", err)
	}
	s, err := NewCoinbase(CoinbaseOptions{URL: "https://prices.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	s.base = newCoinbaseServer(t, http.StatusOK, coinbaseFiles(t)).URL
	if _, err := s.Fetch(context.Background()); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Fatalf("fetched from a loopback server: %v", err)
	}
}

// FuzzParseCoinbase: whatever the answer holds, the parser returns an
// error or prices that are each a known fiat currency's positive price.
func FuzzParseCoinbase(f *testing.F) {
	b, err := os.ReadFile("testdata/coinbase-btc.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"data":{"currency":"BTC","rates":{"USD":"1"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := ParseCoinbase("BTC", body)
		if err != nil {
			return
		}
		if len(rs) == 0 {
			t.Fatal("no error and no price")
		}
		for _, r := range rs {
			if !fiat(r.Fiat) || r.Currency != "BTC" || !r.Rate.IsPositive() || r.Exchange != "coinbase" {
				t.Fatalf("%+v", r)
			}
		}
	})
}
