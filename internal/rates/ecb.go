package rates

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/webhook"
)

// ECBURL is where the European Central Bank publishes its reference rates
// of the last 90 days. The feed of the last day alone is eurofxref-daily.xml
// beside it; the 90 days let a gateway that was down for a while fill the
// days it missed.
const ECBURL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"

// ECBName is the source name of the ECB's rates.
const ECBName = "ecb"

// The XML namespaces of the ECB's feed: a gesmes envelope around cubes of
// the eurofxref vocabulary.
const (
	gesmesNS    = "http://www.gesmes.org/xml/2002-08-01"
	eurofxrefNS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
)

// ECBOptions configure an ECB source; the zero value reads the real feed.
type ECBOptions struct {
	// URL of the feed (default ECBURL), for a mirror or a test server.
	URL string
	// AllowPrivate lets the URL point to private, loopback and link-local
	// addresses (development and tests). By default they are refused when
	// the source is built and again at connect time, after name
	// resolution, as webhook targets are: a URL an operator mistyped must
	// not make the gateway probe its own network.
	AllowPrivate bool
	// Timeout bounds one fetch, from dialing to the end of the body
	// (default 30 s).
	Timeout time.Duration
	// MaxBytes bounds the body read (default 4 MiB: the 90-day feed is
	// about 100 KiB).
	MaxBytes int64
}

// ECB reads the European Central Bank's daily reference rates.
type ECB struct {
	url      string
	timeout  time.Duration
	maxBytes int64
	hc       *http.Client
}

// NewECB returns the ECB source, or an error naming what is wrong with the
// URL.
func NewECB(o ECBOptions) (*ECB, error) {
	if o.URL == "" {
		o.URL = ECBURL
	}
	// Credentials in the URL would be written to every log line that names
	// the feed; the ECB's feed is public and needs none.
	if u, err := url.Parse(o.URL); err == nil && u.User != nil {
		return nil, fmt.Errorf("exchange rate URL must not carry credentials")
	}
	if err := webhook.CheckTarget(o.URL, o.AllowPrivate); err != nil {
		return nil, fmt.Errorf("exchange rate URL %q %w", o.URL, err)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 4 << 20
	}
	tr := webhook.OutboundTransport(o.Timeout, o.AllowPrivate)
	return &ECB{url: o.URL, timeout: o.Timeout, maxBytes: o.MaxBytes, hc: &http.Client{Transport: tr}}, nil
}

// Name is "ecb".
func (s *ECB) Name() string { return ECBName }

// Fetch downloads the feed and parses it.
func (s *ECB) Fetch(ctx context.Context) ([]pasarela.ExchangeRate, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/xml, text/xml")
	req.Header.Set("User-Agent", "pasarela-rates/1")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching ECB rates: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching ECB rates: %s answered %s", s.url, resp.Status)
	}
	// One byte past the limit tells a body that is too large from one
	// that fills the limit exactly.
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading ECB rates: %w", err)
	}
	if int64(len(body)) > s.maxBytes {
		return nil, fmt.Errorf("reading ECB rates: the body is larger than %d bytes", s.maxBytes)
	}
	return ParseECB(body)
}

// ecbEnvelope is the feed's document: the sender's envelope, one outer
// cube, a cube per day, and in it a cube per currency.
type ecbEnvelope struct {
	XMLName xml.Name `xml:"http://www.gesmes.org/xml/2002-08-01 Envelope"`
	Subject string   `xml:"http://www.gesmes.org/xml/2002-08-01 subject"`
	Cubes   []struct {
		Days []struct {
			Time  string `xml:"time,attr"`
			Rates []struct {
				Currency string `xml:"currency,attr"`
				Rate     string `xml:"rate,attr"`
			} `xml:"http://www.ecb.int/vocabulary/2002-08-01/eurofxref Cube"`
		} `xml:"http://www.ecb.int/vocabulary/2002-08-01/eurofxref Cube"`
	} `xml:"http://www.ecb.int/vocabulary/2002-08-01/eurofxref Cube"`
}

// ParseECB reads the ECB's reference rates feed (the daily or a historical
// one). It is strict, because the rates it returns price money: the
// document must be the ECB's envelope with exactly one cube of days, every
// day a valid date seen once, every rate a positive plain decimal and every
// currency three capital letters seen once a day. Currencies the gateway
// does not know are skipped (the ECB publishes some no payment here is made
// in); the euro is added at 1 on every day. A feed with no rate at all is
// an error, so that an empty answer never reads as a successful refresh.
func ParseECB(body []byte) ([]pasarela.ExchangeRate, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var env ecbEnvelope
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("ECB rates: malformed XML: %w", err)
	}
	// Decode stops at the end of the envelope; anything but white space,
	// comments or processing instructions after it is a broken document.
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ECB rates: malformed XML after the envelope: %w", err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, errors.New("ECB rates: text after the envelope")
			}
		default:
			return nil, errors.New("ECB rates: content after the envelope")
		}
	}
	if env.Subject != "Reference rates" {
		return nil, fmt.Errorf("ECB rates: the subject is %q, not reference rates", env.Subject)
	}
	if len(env.Cubes) != 1 {
		return nil, fmt.Errorf("ECB rates: %d outer cubes, want one", len(env.Cubes))
	}
	var out []pasarela.ExchangeRate
	days := map[string]bool{}
	for _, day := range env.Cubes[0].Days {
		if !pasarela.ValidDay(day.Time) {
			return nil, fmt.Errorf("ECB rates: %q is not a date (YYYY-MM-DD)", day.Time)
		}
		if days[day.Time] {
			return nil, fmt.Errorf("ECB rates: %s appears twice", day.Time)
		}
		days[day.Time] = true
		if len(day.Rates) == 0 {
			return nil, fmt.Errorf("ECB rates: %s has no rates", day.Time)
		}
		seen := map[string]bool{}
		kept := 0
		for _, r := range day.Rates {
			if !currencyCode(r.Currency) {
				return nil, fmt.Errorf("ECB rates: %s: %q is not a currency code", day.Time, r.Currency)
			}
			if r.Currency == "EUR" {
				// The rates are per euro: a rate of the euro itself means
				// the document is not what it claims to be.
				return nil, fmt.Errorf("ECB rates: %s: a rate of the euro itself", day.Time)
			}
			if seen[r.Currency] {
				return nil, fmt.Errorf("ECB rates: %s: %s appears twice", day.Time, r.Currency)
			}
			seen[r.Currency] = true
			rate, err := parseRate(r.Rate)
			if err != nil {
				return nil, fmt.Errorf("ECB rates: %s: %s: %w", day.Time, r.Currency, err)
			}
			if !fiat(r.Currency) {
				continue
			}
			out = append(out, pasarela.ExchangeRate{Currency: r.Currency, Day: day.Time, Rate: rate, Source: ECBName})
			kept++
		}
		if kept > 0 {
			out = append(out, pasarela.ExchangeRate{Currency: "EUR", Day: day.Time, Rate: decimal.NewFromInt(1), Source: ECBName})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("ECB rates: the feed holds no rate of a known currency")
	}
	return out, nil
}

// currencyCode reports whether s is written as an ISO 4217 alpha code.
func currencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range 3 {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// maxRateDigits bounds the digits of a rate: the ECB's have five
// significant digits, and a bound keeps a hostile feed from making the
// gateway store and compute with numbers of any size.
const maxRateDigits = 30

// parseRate reads a rate as the ECB writes it: digits, optionally a point
// and more digits. Signs, exponents and blanks, which decimal.NewFromString
// would accept, are refused, and so is zero: no currency is free.
func parseRate(s string) (decimal.Decimal, error) {
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if len(s) > maxRateDigits+1 || !digits(intPart) || (hasPoint && !digits(frac)) {
		return decimal.Decimal{}, fmt.Errorf("rate %q is not a plain decimal number", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("rate %q is not a plain decimal number", s)
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("rate %q is not positive", s)
	}
	return d, nil
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
