package rates

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// TestSandbox: the sandbox publishes the business days of the last two
// weeks, every currency of its table on each with the euro at 1, each rate
// a positive decimal within half a percent of the table and the same on
// every fetch, labeled as the sandbox's.
func TestSandbox(t *testing.T) {
	t.Parallel()
	// A Wednesday: the two weeks back hold ten business days.
	now := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC)
	s := NewSandbox(func() time.Time { return now })
	if s.Name() != "sandbox" {
		t.Fatalf("name %q", s.Name())
	}
	rs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := 10 * (len(sandboxBase) + 1); len(rs) != want {
		t.Fatalf("%d rates, want %d", len(rs), want)
	}
	m := byKey(t, rs)
	days := map[string]bool{}
	for _, r := range rs {
		days[r.Day] = true
		d, err := time.Parse(pasarela.DayLayout, r.Day)
		if err != nil || d.Weekday() == time.Saturday || d.Weekday() == time.Sunday || d.After(now) ||
			now.Sub(d) > 14*24*time.Hour {
			t.Fatalf("published on %s", r.Day)
		}
		if r.Source != "sandbox" || !r.Rate.IsPositive() || !fiat(r.Currency) {
			t.Fatalf("%+v", r)
		}
		if r.Currency == "EUR" {
			if !r.Rate.Equal(SandboxRate("EUR", r.Day)) || r.Rate.String() != "1" {
				t.Fatalf("the euro at %s", r.Rate)
			}
			continue
		}
		base := decimal.RequireFromString(sandboxBase[r.Currency])
		// Half a percent, and half a unit of the table's last digit for
		// the rounding back to its precision.
		bound := base.Mul(decimal.New(5, -3)).Add(decimal.New(5, base.Exponent()-1))
		if diff := r.Rate.Sub(base).Abs(); diff.GreaterThan(bound) {
			t.Fatalf("%s on %s: %s, the table says %s", r.Currency, r.Day, r.Rate, base)
		}
		if !r.Rate.Equal(SandboxRate(r.Currency, r.Day)) {
			t.Fatalf("%s on %s: %s, SandboxRate says %s", r.Currency, r.Day, r.Rate, SandboxRate(r.Currency, r.Day))
		}
	}
	if len(days) != 10 || !days["2026-12-09"] || !days["2026-11-26"] || days["2026-11-25"] || days["2026-12-06"] {
		t.Fatalf("days %v", days)
	}
	// Days differ as real rates do, and a second fetch is the same.
	if m["USD 2026-12-09"].Rate.Equal(m["USD 2026-12-08"].Rate) && m["JPY 2026-12-09"].Rate.Equal(m["JPY 2026-12-08"].Rate) {
		t.Fatal("two days with the same rates")
	}
	again, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if again[i].Currency != rs[i].Currency || again[i].Day != rs[i].Day || !again[i].Rate.Equal(rs[i].Rate) {
			t.Fatalf("second fetch %+v, first %+v", again[i], rs[i])
		}
	}
	if !SandboxRate("ISK", "2026-12-09").IsZero() {
		t.Fatal("a rate of a currency the table does not hold")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Fetch(ctx); err == nil {
		t.Fatal("fetched on an ended context")
	}
}
