package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// rate is a rate as a source publishes it.
func rate(currency, day, value, source string) pasarela.ExchangeRate {
	return pasarela.ExchangeRate{Currency: currency, Day: day, Rate: decimal.RequireFromString(value), Source: source}
}

// mustRates lists the stored rates and fails the test on error.
func mustRates(t *testing.T, db store.DB, currencies []string, days int) []pasarela.ExchangeRate {
	t.Helper()
	var out []pasarela.ExchangeRate
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		out, err = tx.ExchangeRates(context.Background(), currencies, days)
		return err
	})
	return out
}

// sameRates fails the test unless got and want hold the same rates in the
// same order; rates compare by value (1.50 is 1.5).
func sameRates(t *testing.T, what string, got, want []pasarela.ExchangeRate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rates %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Currency != w.Currency || g.Day != w.Day || g.Source != w.Source || !g.Rate.Equal(w.Rate) {
			t.Fatalf("%s: rate %d is %s %s %s %s, want %s %s %s %s", what, i, g.Currency, g.Day, g.Rate, g.Source,
				w.Currency, w.Day, w.Rate, w.Source)
		}
	}
}

// testExchangeRates: rates are upserted by currency and day (the same day
// twice keeps one row with the latest value), kept exact to every digit,
// and listed newest first, the last N days each currency has a rate for.
func testExchangeRates(t *testing.T, db store.DB) {
	ctx := context.Background()
	MustView(t, db, func(tx *store.Tx) error {
		day, err := tx.LatestRateDay(ctx)
		MustEqual(t, "the latest day of an empty table", day, "")
		return err
	})
	sameRates(t, "an empty table", mustRates(t, db, nil, 5), nil)

	first := []pasarela.ExchangeRate{
		rate("EUR", "2026-12-03", "1", "ecb"), rate("USD", "2026-12-03", "1.0598", "ecb"),
		rate("JPY", "2026-12-03", "157.76", "ecb"), rate("EUR", "2026-12-04", "1", "ecb"),
		rate("USD", "2026-12-04", "1.0617", "ecb"), rate("JPY", "2026-12-04", "158.12", "ecb"),
		// More digits than any source publishes, to see none is lost.
		rate("GBP", "2026-12-04", "0.834561234567890123456789", "ecb"),
		rate("USD", "2026-12-01", "1.0550", "ecb"), rate("USD", "2026-12-02", "1.0571", "ecb"),
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpsertExchangeRates(ctx, first, Base) })
	// The same days fetched again: one row each, the latest value.
	again := []pasarela.ExchangeRate{rate("USD", "2026-12-04", "1.0620", "sandbox"), rate("JPY", "2026-12-04", "158.12", "ecb")}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpsertExchangeRates(ctx, again, Base.Add(time.Hour)) })

	sameRates(t, "USD and JPY, two days", mustRates(t, db, []string{"USD", "JPY"}, 2), []pasarela.ExchangeRate{
		rate("JPY", "2026-12-04", "158.12", "ecb"), rate("USD", "2026-12-04", "1.0620", "sandbox"),
		rate("JPY", "2026-12-03", "157.76", "ecb"), rate("USD", "2026-12-03", "1.0598", "ecb"),
	})
	// Each currency's own last days: GBP has one day only, USD has four.
	sameRates(t, "USD and GBP, three days", mustRates(t, db, []string{"GBP", "USD"}, 3), []pasarela.ExchangeRate{
		rate("GBP", "2026-12-04", "0.834561234567890123456789", "ecb"), rate("USD", "2026-12-04", "1.0620", "sandbox"),
		rate("USD", "2026-12-03", "1.0598", "ecb"), rate("USD", "2026-12-02", "1.0571", "ecb"),
	})
	sameRates(t, "every currency, one day", mustRates(t, db, nil, 1), []pasarela.ExchangeRate{
		rate("EUR", "2026-12-04", "1", "ecb"), rate("GBP", "2026-12-04", "0.834561234567890123456789", "ecb"),
		rate("JPY", "2026-12-04", "158.12", "ecb"), rate("USD", "2026-12-04", "1.0620", "sandbox"),
	})
	sameRates(t, "a currency never stored", mustRates(t, db, []string{"CHF"}, 10), nil)
	if got := mustRates(t, db, nil, 100); len(got) != 9 {
		t.Fatalf("every row: %d rates, want 9 (one per currency and day)", len(got))
	}
	MustView(t, db, func(tx *store.Tx) error {
		day, err := tx.LatestRateDay(ctx)
		MustEqual(t, "the latest day", day, "2026-12-04")
		return err
	})

	// A batch larger than one statement is stored whole.
	var many []pasarela.ExchangeRate
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 250 {
		many = append(many, rate("CHF", start.AddDate(0, 0, i).Format(pasarela.DayLayout), "0.9"+string(rune('0'+i%10)), "ecb"))
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpsertExchangeRates(ctx, many, Base) })
	got := mustRates(t, db, []string{"CHF"}, 1000)
	if len(got) != 250 || got[0].Day != "2027-02-05" || got[249].Day != "2026-06-01" || !got[0].Rate.Equal(decimal.RequireFromString("0.99")) {
		t.Fatalf("250 days of CHF: %d rates, first %+v", len(got), got[0])
	}

	// One batch naming a currency and day twice keeps the later value,
	// as two fetches would, on both engines.
	MustUpdate(t, db, func(tx *store.Tx) error {
		return tx.UpsertExchangeRates(ctx, []pasarela.ExchangeRate{rate("SEK", "2026-12-04", "11.47", "ecb"),
			rate("NOK", "2026-12-04", "11.71", "ecb"), rate("SEK", "2026-12-04", "11.48", "ecb")}, Base)
	})
	sameRates(t, "a day twice in a batch", mustRates(t, db, []string{"SEK", "NOK"}, 5), []pasarela.ExchangeRate{
		rate("NOK", "2026-12-04", "11.71", "ecb"), rate("SEK", "2026-12-04", "11.48", "ecb")})

	// A refresh whose transaction fails keeps nothing it wrote.
	failed := errors.New("the refresh failed")
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.UpsertExchangeRates(ctx, []pasarela.ExchangeRate{rate("MXN", "2026-12-04", "21.60", "ecb"),
			rate("USD", "2026-12-04", "9.99", "ecb")}, Base); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update: %v", err)
	}
	sameRates(t, "after a failed refresh", mustRates(t, db, []string{"MXN", "USD"}, 1), []pasarela.ExchangeRate{
		rate("USD", "2026-12-04", "1.0620", "sandbox")})
}
