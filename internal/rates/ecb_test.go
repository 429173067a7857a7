package rates

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/webhook"
)

// recorded is the ECB's 90-day feed format with 29 currencies over eight
// business days, ten of which the gateway does not know.
const recorded = "testdata/eurofxref-hist-8d.xml"

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// byKey indexes rates by "CUR day", failing on a duplicate.
func byKey(t *testing.T, rs []pasarela.ExchangeRate) map[string]pasarela.ExchangeRate {
	t.Helper()
	m := map[string]pasarela.ExchangeRate{}
	for _, r := range rs {
		k := r.Currency + " " + r.Day
		if _, dup := m[k]; dup {
			t.Fatalf("%s twice", k)
		}
		m[k] = r
	}
	return m
}

// TestParseECBRecorded: every known currency of every day is read exactly
// as written, the euro is 1 on each day, and the currencies the gateway
// does not know (ISK, HKD, IDR, ILS, MYR, NZD, PHP, SGD, THB, ZAR) are left
// out.
func TestParseECBRecorded(t *testing.T) {
	t.Parallel()
	rs, err := ParseECB(mustRead(t, recorded))
	if err != nil {
		t.Fatal(err)
	}
	days := []string{"2026-12-04", "2026-12-03", "2026-12-02", "2026-12-01", "2026-11-30", "2026-11-27", "2026-11-26", "2026-11-25"}
	known := []string{"USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK", "CHF", "NOK", "TRY", "AUD", "BRL",
		"CAD", "CNY", "INR", "KRW", "MXN", "EUR"}
	if want := len(days) * len(known); len(rs) != want {
		t.Fatalf("%d rates, want %d", len(rs), want)
	}
	m := byKey(t, rs)
	for _, d := range days {
		for _, c := range known {
			r, ok := m[c+" "+d]
			if !ok {
				t.Fatalf("no %s on %s", c, d)
			}
			if r.Source != "ecb" || !r.Rate.IsPositive() {
				t.Fatalf("%+v", r)
			}
		}
		for _, c := range []string{"ISK", "HKD", "IDR", "ILS", "MYR", "NZD", "PHP", "SGD", "THB", "ZAR"} {
			if _, ok := m[c+" "+d]; ok {
				t.Fatalf("%s on %s was kept, but the gateway does not know it", c, d)
			}
		}
	}
	for key, want := range map[string]string{
		"USD 2026-12-04": "1.0617", "JPY 2026-12-04": "158.12", "JPY 2026-12-03": "157.76",
		"GBP 2026-11-25": "0.83456", "KRW 2026-11-25": "1495.36", "MXN 2026-11-25": "21.5386", "EUR 2026-11-25": "1",
	} {
		if got := m[key].Rate; !got.Equal(decimal.RequireFromString(want)) {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
}

// envelope wraps cubes of days in the ECB's envelope.
func envelope(days string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<gesmes:subject>Reference rates</gesmes:subject>
<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
<Cube>` + days + `</Cube>
</gesmes:Envelope>`
}

// TestParseECBRefuses: a document that is not exactly the ECB's feed, or
// that holds a rate that is not a plain positive decimal, is refused as a
// whole: a half-read feed would store a half-true day.
func TestParseECBRefuses(t *testing.T) {
	t.Parallel()
	good := `<Cube time="2026-12-04"><Cube currency="USD" rate="1.0617"/></Cube>`
	for name, doc := range map[string]string{
		"empty body": ``,
		"not XML":    `{"USD": 1.06}`,
		"truncated":  envelope(good)[:200],
		"unclosed element": strings.Replace(envelope(good), `</Cube>
</gesmes:Envelope>`, `</gesmes:Envelope>`, 1),
		"empty cube":          envelope(``),
		"no known currency":   envelope(`<Cube time="2026-12-04"><Cube currency="ISK" rate="146.30"/></Cube>`),
		"day without rates":   envelope(good + `<Cube time="2026-12-03"></Cube>`),
		"wrong root":          strings.ReplaceAll(envelope(good), "gesmes:Envelope", "gesmes:Letter"),
		"wrong namespace":     strings.Replace(envelope(good), "http://www.ecb.int/vocabulary/2002-08-01/eurofxref", "http://example.com/rates", 1),
		"wrong subject":       strings.Replace(envelope(good), "Reference rates", "Interest rates", 1),
		"two outer cubes":     strings.Replace(envelope(good), "</Cube>\n</gesmes", "</Cube><Cube>"+good+"</Cube>\n</gesmes", 1),
		"trailing element":    envelope(good) + `<extra/>`,
		"trailing text":       envelope(good) + `USD 1.07`,
		"date missing":        envelope(`<Cube><Cube currency="USD" rate="1.0617"/></Cube>`),
		"date not a day":      envelope(`<Cube time="2026-02-30"><Cube currency="USD" rate="1.0617"/></Cube>`),
		"date other format":   envelope(`<Cube time="04/12/2026"><Cube currency="USD" rate="1.0617"/></Cube>`),
		"day twice":           envelope(good + good),
		"currency twice":      envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1.0617"/><Cube currency="USD" rate="1.0618"/></Cube>`),
		"currency lowercase":  envelope(`<Cube time="2026-12-04"><Cube currency="usd" rate="1.0617"/></Cube>`),
		"currency missing":    envelope(`<Cube time="2026-12-04"><Cube rate="1.0617"/></Cube>`),
		"euro rated":          envelope(`<Cube time="2026-12-04"><Cube currency="EUR" rate="1"/></Cube>`),
		"rate missing":        envelope(`<Cube time="2026-12-04"><Cube currency="USD"/></Cube>`),
		"rate zero":           envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="0.0000"/></Cube>`),
		"rate negative":       envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="-1.0617"/></Cube>`),
		"rate exponent":       envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1.0617e0"/></Cube>`),
		"rate comma":          envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1,0617"/></Cube>`),
		"rate blank":          envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate=" 1.0617"/></Cube>`),
		"rate trailing point": envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1."/></Cube>`),
		"rate too long":       envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1.` + strings.Repeat("1", 40) + `"/></Cube>`),
		// A bad rate of a currency the gateway skips still means the
		// document is broken.
		"unknown currency bad rate": envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1.0617"/><Cube currency="ISK" rate="abc"/></Cube>`),
	} {
		if rs, err := ParseECB([]byte(doc)); err == nil {
			t.Errorf("%s: accepted, %d rates", name, len(rs))
		}
	}
	// The good day itself is accepted, so the refusals above are about
	// what each case changed.
	rs, err := ParseECB([]byte(envelope(good)))
	if err != nil || len(rs) != 2 {
		t.Fatalf("the good day: %v %v", rs, err)
	}
}

// ecbServer serves body with status at /feed.xml on a loopback address.
func ecbServer(t *testing.T, status int, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feed.xml" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/feed.xml"
}

func mustECB(t *testing.T, o ECBOptions) *ECB {
	t.Helper()
	o.AllowPrivate = true
	s, err := NewECB(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestECBFetch: the source reads the recorded feed from a server as it
// would read the ECB's.
func TestECBFetch(t *testing.T) {
	t.Parallel()
	body := mustRead(t, recorded)
	s := mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, body)})
	if s.Name() != "ecb" {
		t.Fatalf("name %q", s.Name())
	}
	rs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseECB(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(want) || len(rs) != 160 {
		t.Fatalf("%d rates, want %d", len(rs), len(want))
	}
	if got := byKey(t, rs)["USD 2026-12-04"].Rate; !got.Equal(decimal.RequireFromString("1.0617")) {
		t.Fatalf("USD %s", got)
	}
}

// TestECBFetchFails: an HTTP error, a malformed or empty feed, a body past
// the limit and a server slower than the timeout each end in an error.
func TestECBFetchFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	body := mustRead(t, recorded)
	cases := map[string]*ECB{
		"404":            mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusNotFound, []byte("not here"))}),
		"503":            mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusServiceUnavailable, body)}),
		"malformed":      mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, body[:len(body)/2])}),
		"empty cube":     mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, []byte(envelope("")))}),
		"one byte short": mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, body), MaxBytes: int64(len(body) - 1)}),
		// The default limit (4 MiB) holds the feed many times over; a
		// body past it is not a feed.
		"huge": mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, append([]byte(envelope("")),
			strings.Repeat("<!-- padding -->", 300_000)...))}),
	}
	for name, s := range cases {
		if rs, err := s.Fetch(ctx); err == nil {
			t.Errorf("%s: no error, %d rates", name, len(rs))
		}
	}
	// The limit itself is allowed: the body that fills it exactly is read.
	exact := mustECB(t, ECBOptions{URL: ecbServer(t, http.StatusOK, body), MaxBytes: int64(len(body))})
	if _, err := exact.Fetch(ctx); err != nil {
		t.Fatalf("a body of exactly the limit: %v", err)
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
	s := mustECB(t, ECBOptions{URL: slow.URL, Timeout: 100 * time.Millisecond})
	start := time.Now()
	if _, err := s.Fetch(ctx); err == nil {
		t.Fatal("a server that never answers: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %s", d)
	}
}

// TestECBRefusesPrivate: by default the source refuses a URL of a private,
// loopback or link-local address, when it is built and, for a name that
// resolves to one, when it connects.
func TestECBRefusesPrivate(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080/feed.xml", "https://10.0.0.1/x", "http://[::1]/x",
		"http://169.254.169.254/latest", "https://localhost/x", "ftp://www.ecb.europa.eu/x", "not a url",
		"https://user:pw@www.ecb.europa.eu/x"} {
		if _, err := NewECB(ECBOptions{URL: u}); err == nil {
			t.Errorf("%s: accepted", u)
		}
	}
	if _, err := NewECB(ECBOptions{}); err != nil {
		t.Fatalf("the ECB's own URL: %v", err)
	}
	// A name that resolves to a refused address passes the check of the
	// URL; the guard at connect time refuses it. The test points a source
	// built for a public URL at a loopback server, as a name re-pointed
	// after the check would.
	s, err := NewECB(ECBOptions{URL: "https://rates.example.com/feed.xml"})
	if err != nil {
		t.Fatal(err)
	}
	s.url = ecbServer(t, http.StatusOK, mustRead(t, recorded))
	if _, err := s.Fetch(context.Background()); !errors.Is(err, webhook.ErrForbiddenAddress) {
		t.Fatalf("fetched from a loopback server: %v", err)
	}
}

// FuzzParseECB: whatever the feed holds, the parser returns an error or
// rates that are each a known currency's positive rate on a valid day, the
// euro at 1 on each day.
func FuzzParseECB(f *testing.F) {
	b, err := os.ReadFile(recorded)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(envelope(`<Cube time="2026-12-04"><Cube currency="USD" rate="1.0617"/></Cube>`)))
	f.Add([]byte(envelope(``)))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := ParseECB(body)
		if err != nil {
			return
		}
		if len(rs) == 0 {
			t.Fatal("no error and no rate")
		}
		for _, r := range rs {
			if !fiat(r.Currency) || !pasarela.ValidDay(r.Day) || !r.Rate.IsPositive() || r.Source != "ecb" {
				t.Fatalf("%+v", r)
			}
			if r.Currency == "EUR" && r.Rate.String() != "1" {
				t.Fatalf("the euro at %s", r.Rate)
			}
		}
	})
}
