package rates

import (
	"context"
	"hash/fnv"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// SandboxName is the source name of the sandbox's rates. Every rate it
// publishes carries it, so that no one mistakes them for real rates.
const SandboxName = "sandbox"

// sandboxDays is how many calendar days back from today the sandbox
// publishes: two weeks holds the ten business days a query of the last
// days usually wants.
const sandboxDays = 14

// sandboxBase is the sandbox's table: one rate per euro for each currency,
// in the ECB's precision. The values are close to real rates of 2026 so
// that a demo looks plausible, but they are made up and never change.
var sandboxBase = map[string]string{
	"USD": "1.0650", "JPY": "158.40", "GBP": "0.83450", "CHF": "0.93620", "SEK": "11.4820",
	"NOK": "11.6930", "DKK": "7.4605", "PLN": "4.2710", "CZK": "25.102", "HUF": "406.85",
	"RON": "4.9770", "TRY": "36.815", "AUD": "1.6412", "CAD": "1.4905", "BRL": "6.3874",
	"CNY": "7.7215", "INR": "90.4550", "KRW": "1495.62", "MXN": "21.5840",
}

// sandboxCodes are the table's currencies in order, so that Fetch answers
// the same list every time.
var sandboxCodes = slices.Sorted(maps.Keys(sandboxBase))

// Sandbox publishes rates from a fixed table, with no network, for the demo
// and for tests. It is deterministic: the rate of a currency on a day is
// always the same, moved from the table's value by at most half a percent
// by a hash of the currency and the day, so that days differ as real rates
// do. Like the ECB it publishes on business days only (Monday to Friday),
// the last two weeks up to today by its clock.
type Sandbox struct {
	now func() time.Time
}

// NewSandbox returns the sandbox source on a clock (nil: time.Now).
func NewSandbox(now func() time.Time) *Sandbox {
	if now == nil {
		now = time.Now
	}
	return &Sandbox{now: now}
}

// Name is "sandbox".
func (s *Sandbox) Name() string { return SandboxName }

// Fetch returns the table's rates of the business days of the last two
// weeks, the euro at 1 on each.
func (s *Sandbox) Fetch(ctx context.Context) ([]pasarela.ExchangeRate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	today := s.now().UTC()
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var out []pasarela.ExchangeRate
	for back := range sandboxDays {
		d := today.AddDate(0, 0, -back)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		day := d.Format(pasarela.DayLayout)
		out = append(out, pasarela.ExchangeRate{Currency: "EUR", Day: day, Rate: decimal.NewFromInt(1), Source: SandboxName})
		for _, code := range sandboxCodes {
			out = append(out, pasarela.ExchangeRate{Currency: code, Day: day, Rate: SandboxRate(code, day), Source: SandboxName})
		}
	}
	return out, nil
}

// SandboxRate is the sandbox's rate of code on day, or zero when the table
// has no such currency. Tests use it to know what the sandbox published
// without repeating its table.
func SandboxRate(code, day string) decimal.Decimal {
	if code == "EUR" {
		return decimal.NewFromInt(1)
	}
	base, ok := sandboxBase[code]
	if !ok {
		return decimal.Decimal{}
	}
	b := decimal.RequireFromString(base)
	h := fnv.New32a()
	h.Write([]byte(code + " " + day))
	// An offset of -50 to +50 basis points, kept in the table's precision.
	bps := int64(h.Sum32()%101) - 50
	moved := b.Mul(decimal.New(10000+bps, -4))
	return moved.Round(-b.Exponent())
}
