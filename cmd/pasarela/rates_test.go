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

	"github.com/pasarela/pasarela/internal/rates"
)

// TestServeRatesFlags: serve takes the exchange rate settings from the
// environment and the flags, defaults to the sandbox (no network) with the
// ECB's URL ready, and refuses an unknown source, a bad interval and an ECB
// URL on a private or loopback address unless private addresses are
// allowed, naming the setting.
func TestServeRatesFlags(t *testing.T) {
	parse := func(environ []string, args ...string) (*ServeCommand, error) {
		c := &ServeCommand{output: output{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}}
		return c, c.ParseFlags(args, environ)
	}
	c, err := parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.RatesSource != "sandbox" || c.Config.RatesURL != rates.ECBURL || c.Config.RatesInterval != 24*time.Hour ||
		c.Config.RatesAllowPrivate || c.rates == nil || c.rates.Name() != "sandbox" {
		t.Fatalf("defaults: %+v, source %v", c.Config, c.rates)
	}
	c, err = parse([]string{"PASARELA_RATES_SOURCE=ecb"})
	if err != nil || c.rates.Name() != "ecb" {
		t.Fatalf("the ECB from the environment: %v %v", c.rates, err)
	}
	c, err = parse([]string{"PASARELA_RATES_SOURCE=ecb", "PASARELA_RATES_URL=http://127.0.0.1:9/feed.xml"}, "--rates-allow-private")
	if err != nil || c.rates.Name() != "ecb" {
		t.Fatalf("a loopback feed allowed: %v %v", c.rates, err)
	}
	for _, tc := range []struct {
		environ []string
		args    []string
		want    string
	}{
		{nil, []string{"--rates-source", "oanda"}, `--rates-source (PASARELA_RATES_SOURCE) "oanda": must be sandbox or ecb`},
		{[]string{"PASARELA_RATES_SOURCE=fixer"}, nil, `"fixer": must be sandbox or ecb`},
		{nil, []string{"--rates-interval", "0s"}, "--rates-interval (PASARELA_RATES_INTERVAL) 0s: must be positive"},
		{nil, []string{"--rates-source", "ecb", "--rates-url", "http://127.0.0.1:9/feed.xml"}, "--rates-url (PASARELA_RATES_URL)"},
		{[]string{"PASARELA_RATES_SOURCE=ecb", "PASARELA_RATES_URL=https://10.1.2.3/x"}, nil, "private"},
		{nil, []string{"--rates-source", "ecb", "--rates-url", "ftp://www.ecb.europa.eu/x"}, "http or https"},
	} {
		if _, err := parse(tc.environ, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: %v, want an error saying %q", tc.environ, tc.args, err, tc.want)
		}
	}
}

// TestServeRefreshesRates: a server configured with the ECB's feed (here a
// loopback server serving the recorded file) stores its rates at start,
// and one on the default sandbox stores the sandbox's.
func TestServeRefreshesRates(t *testing.T) {
	feed, err := os.ReadFile("../../internal/rates/testdata/eurofxref-hist-8d.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(feed)
	}))
	defer srv.Close()
	waitRates := func(m *Main, currency string) []string {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			rs, err := m.svc.ExchangeRates(context.Background(), []string{currency}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 1 {
				return []string{rs[0].Day, rs[0].Rate.String(), rs[0].Source}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s rate stored after 15 s", currency)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0",
		"--rates-source", "ecb", "--rates-url", srv.URL+"/stats/eurofxref/eurofxref-hist-90d.xml", "--rates-allow-private")
	got := waitRates(m, "USD")
	if got[0] != "2026-12-04" || !decimal.RequireFromString(got[1]).Equal(decimal.RequireFromString("1.0617")) || got[2] != "ecb" {
		t.Fatalf("the ECB's USD: %v", got)
	}
	if m.rateWorker == nil || m.rateWorker.Interval != 24*time.Hour {
		t.Fatalf("the rate worker: %+v", m.rateWorker)
	}

	sb, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0", "--rates-interval", "1h")
	if got := waitRates(sb, "JPY"); got[2] != "sandbox" {
		t.Fatalf("the sandbox's JPY: %v", got)
	}
	if sb.rateWorker.Interval != time.Hour {
		t.Fatalf("the rate worker's interval: %s", sb.rateWorker.Interval)
	}
}
