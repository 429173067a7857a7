package rates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/webhook"
)

// CoinbaseURL is the base of Coinbase's public API; the exchange rates of a
// currency are at {base}/v2/exchange-rates?currency=BTC, with no key.
const CoinbaseURL = "https://api.coinbase.com"

// CoinbaseName is the exchange name of Coinbase's prices.
const CoinbaseName = "coinbase"

// CoinbaseOptions configure a Coinbase ticker; the zero value reads the real
// API.
type CoinbaseOptions struct {
	// URL is the base the API's paths are added to (default CoinbaseURL),
	// for a mirror or a test server.
	URL string
	// AllowPrivate lets the URL point to private, loopback and link-local
	// addresses (development and tests). By default they are refused when
	// the ticker is built and again at connect time, as for the ECB's feed.
	AllowPrivate bool
	// Timeout bounds one fetch of every currency, from the first dial to
	// the end of the last body (default 10 s: prices are refreshed every
	// half minute, and a slow answer is better skipped than waited for).
	Timeout time.Duration
	// MaxBytes bounds each body read (default 1 MiB: an answer lists about
	// 700 currencies in some 20 KiB).
	MaxBytes int64
}

// Coinbase reads crypto prices from Coinbase's public exchange rates: one
// request per crypto currency of TickerCurrencies, each answering the
// currency's price in every currency Coinbase knows, of which the fiat
// currencies the gateway knows are kept.
type Coinbase struct {
	base     string
	timeout  time.Duration
	maxBytes int64
	hc       *http.Client
	now      func() time.Time
}

// NewCoinbase returns the Coinbase ticker, or an error naming what is wrong
// with the URL.
func NewCoinbase(o CoinbaseOptions) (*Coinbase, error) {
	if o.URL == "" {
		o.URL = CoinbaseURL
	}
	// The API's exchange rates are public; credentials in the URL would be
	// written to every log line that names it.
	u, err := url.Parse(o.URL)
	if err == nil && u.User != nil {
		return nil, errors.New("crypto rate URL must not carry credentials")
	}
	if err := webhook.CheckTarget(o.URL, o.AllowPrivate); err != nil {
		return nil, fmt.Errorf("crypto rate URL %q %w", o.URL, err)
	}
	if u.RawQuery != "" {
		return nil, fmt.Errorf("crypto rate URL %q must be a base URL, with no query", o.URL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	tr := webhook.OutboundTransport(o.Timeout, o.AllowPrivate)
	return &Coinbase{base: strings.TrimRight(o.URL, "/"), timeout: o.Timeout, maxBytes: o.MaxBytes,
		hc: &http.Client{Transport: tr}, now: time.Now}, nil
}

// Name is "coinbase".
func (s *Coinbase) Name() string { return CoinbaseName }

// Fetch asks for the price of each currency of TickerCurrencies in turn.
// Any answer that fails fails the fetch: a ticker's prices are stored
// together or not at all, and the next refresh, half a minute later, asks
// again.
func (s *Coinbase) Fetch(ctx context.Context) ([]pasarela.CryptoRate, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var out []pasarela.CryptoRate
	for _, code := range TickerCurrencies {
		body, err := s.get(ctx, code)
		if err != nil {
			return nil, err
		}
		rs, err := ParseCoinbase(code, body)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		for i := range rs {
			rs[i].FetchedAt = now
		}
		out = append(out, rs...)
	}
	return out, nil
}

// get reads the exchange rates of one currency.
func (s *Coinbase) get(ctx context.Context, code string) ([]byte, error) {
	target := s.base + "/v2/exchange-rates?currency=" + url.QueryEscape(code)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pasarela-rates/1")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching Coinbase's %s prices: %w", code, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching Coinbase's %s prices: %s answered %s", code, target, resp.Status)
	}
	// One byte past the limit tells a body that is too large from one
	// that fills the limit exactly.
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading Coinbase's %s prices: %w", code, err)
	}
	if int64(len(body)) > s.maxBytes {
		return nil, fmt.Errorf("reading Coinbase's %s prices: the body is larger than %d bytes", code, s.maxBytes)
	}
	return body, nil
}

// coinbaseAnswer is the API's answer: the base currency and its price in
// every other currency, each a decimal string.
type coinbaseAnswer struct {
	Data struct {
		Currency string                    `json:"currency"`
		Rates    map[string]jsontext.Value `json:"rates"`
	} `json:"data"`
}

// ParseCoinbase reads Coinbase's exchange rates of the crypto currency code
// (the body of /v2/exchange-rates?currency=code). It is strict about what
// it keeps, because those prices price money: the JSON must be well formed
// with no duplicate keys, the answer must be about code, and the price of
// every fiat currency the gateway knows must be a positive plain decimal
// written as a JSON string. The other currencies' prices (crypto and fiat
// the gateway does not handle, about 700 in all) are skipped unread. An
// answer with no price in a known fiat currency is an error, so that an
// empty answer never reads as a successful refresh.
func ParseCoinbase(code string, body []byte) ([]pasarela.CryptoRate, error) {
	var a coinbaseAnswer
	// Unknown fields are allowed (the API may add some); duplicate names
	// are refused by this decoder, so no price is read twice.
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("Coinbase's %s prices: malformed JSON: %w", code, err)
	}
	if a.Data.Currency != code {
		return nil, fmt.Errorf("Coinbase's %s prices: the answer is about %q", code, a.Data.Currency)
	}
	fiats := make([]string, 0, 40)
	for k := range a.Data.Rates {
		if fiat(k) {
			fiats = append(fiats, k)
		}
	}
	slices.Sort(fiats)
	out := make([]pasarela.CryptoRate, 0, len(fiats))
	for _, f := range fiats {
		v := a.Data.Rates[f]
		var s string
		if v.Kind() != '"' || json.Unmarshal(v, &s) != nil {
			return nil, fmt.Errorf("Coinbase's %s prices: %s: %s is not a decimal string", code, f, bytes.TrimSpace(v))
		}
		rate, err := parseRate(s)
		if err != nil {
			return nil, fmt.Errorf("Coinbase's %s prices: %s: %w", code, f, err)
		}
		out = append(out, pasarela.CryptoRate{Exchange: CoinbaseName, Currency: code, Fiat: f, Rate: rate})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Coinbase's %s prices: no price in a known fiat currency", code)
	}
	return out, nil
}
