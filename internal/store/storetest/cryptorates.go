package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// cryptoRate is a price as an exchange publishes it, fetched at.
func cryptoRate(exchange, currency, fiat, value string, at time.Time) pasarela.CryptoRate {
	return pasarela.CryptoRate{Exchange: exchange, Currency: currency, Fiat: fiat, Rate: decimal.RequireFromString(value), FetchedAt: at}
}

// sameCryptoRates fails the test unless got and want hold the same prices
// in the same order, times to the microsecond; prices compare by value.
func sameCryptoRates(t *testing.T, what string, got, want []pasarela.CryptoRate) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d prices %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Exchange != w.Exchange || g.Currency != w.Currency || g.Fiat != w.Fiat || !g.Rate.Equal(w.Rate) ||
			!g.FetchedAt.Equal(w.FetchedAt) || g.FetchedAt.Location() != time.UTC {
			t.Fatalf("%s: price %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func mustCryptoRates(t *testing.T, db store.DB, fiat string, since time.Time) []pasarela.CryptoRate {
	t.Helper()
	var out []pasarela.CryptoRate
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		out, err = tx.CryptoRates(context.Background(), fiat, since)
		return err
	})
	return out
}

// testCryptoRates: prices are upserted by exchange and pair (the latest
// price and fetch time replace the last), kept exact to every digit, read
// one by one (not found when absent) and listed per fiat currency from a
// time on, by exchange then currency.
func testCryptoRates(t *testing.T, db store.DB) {
	ctx := context.Background()
	t0, t1 := Base, Base.Add(30*time.Second)
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.CryptoRate(ctx, "sandbox", "BTC", "COP")
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("a price never stored: %v", err)
		}
		return nil
	})
	sameCryptoRates(t, "an empty table", mustCryptoRates(t, db, "COP", time.Time{}), nil)

	first := []pasarela.CryptoRate{
		cryptoRate("sandbox", "BTC", "COP", "25000000", t0), cryptoRate("sandbox", "ETH", "COP", "4500000", t0),
		cryptoRate("sandbox", "BTC", "USD", "6250", t0),
		// More digits than any exchange publishes, to see none is lost.
		cryptoRate("coinbase", "BTC", "COP", "348097955.067112345678901234", t0),
		cryptoRate("coinbase", "LTC", "COP", "376829.9563", t0),
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpsertCryptoRates(ctx, first) })
	// Coinbase again half a minute later: its BTC price replaced, its LTC
	// price (not in this batch) kept as it was.
	MustUpdate(t, db, func(tx *store.Tx) error {
		return tx.UpsertCryptoRates(ctx, []pasarela.CryptoRate{cryptoRate("coinbase", "BTC", "COP", "348100000.5", t1)})
	})
	sameCryptoRates(t, "COP from the start", mustCryptoRates(t, db, "COP", time.Time{}), []pasarela.CryptoRate{
		cryptoRate("coinbase", "BTC", "COP", "348100000.5", t1), cryptoRate("coinbase", "LTC", "COP", "376829.9563", t0),
		cryptoRate("sandbox", "BTC", "COP", "25000000", t0), cryptoRate("sandbox", "ETH", "COP", "4500000", t0),
	})
	sameCryptoRates(t, "COP fetched at t1 or later", mustCryptoRates(t, db, "COP", t1), []pasarela.CryptoRate{
		cryptoRate("coinbase", "BTC", "COP", "348100000.5", t1)})
	sameCryptoRates(t, "USD", mustCryptoRates(t, db, "USD", t0), []pasarela.CryptoRate{cryptoRate("sandbox", "BTC", "USD", "6250", t0)})
	sameCryptoRates(t, "a fiat never stored", mustCryptoRates(t, db, "EUR", time.Time{}), nil)
	MustView(t, db, func(tx *store.Tx) error {
		r, err := tx.CryptoRate(ctx, "coinbase", "BTC", "COP")
		if err != nil {
			return err
		}
		sameCryptoRates(t, "one price", []pasarela.CryptoRate{r}, []pasarela.CryptoRate{cryptoRate("coinbase", "BTC", "COP", "348100000.5", t1)})
		for _, k := range [][3]string{{"coinbase", "ETH", "COP"}, {"kraken", "BTC", "COP"}, {"sandbox", "BTC", "MXN"}} {
			if _, err := tx.CryptoRate(ctx, k[0], k[1], k[2]); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Fatalf("%v: %v", k, err)
			}
		}
		return nil
	})

	// A batch larger than one statement is stored whole; one naming a
	// pair twice keeps the later price on both engines.
	var many []pasarela.CryptoRate
	for i := range 250 {
		many = append(many, cryptoRate(fmt.Sprintf("x%03d", i), "BTC", "MXN", fmt.Sprintf("%d.5", 100000+i), t1))
	}
	many = append(many, cryptoRate("x000", "BTC", "MXN", "99.5", t1))
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpsertCryptoRates(ctx, many) })
	got := mustCryptoRates(t, db, "MXN", t1)
	if len(got) != 250 || got[0].Exchange != "x000" || !got[0].Rate.Equal(decimal.RequireFromString("99.5")) ||
		got[249].Exchange != "x249" || !got[249].Rate.Equal(decimal.RequireFromString("100249.5")) {
		t.Fatalf("250 exchanges: %d prices, first %+v", len(got), got[0])
	}

	// A refresh whose transaction fails keeps nothing it wrote.
	failed := errors.New("the refresh failed")
	err := db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.UpsertCryptoRates(ctx, []pasarela.CryptoRate{cryptoRate("sandbox", "BTC", "COP", "1", t1),
			cryptoRate("sandbox", "BTC", "EUR", "2", t1)}); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("Update: %v", err)
	}
	sameCryptoRates(t, "after a failed refresh", mustCryptoRates(t, db, "EUR", time.Time{}), nil)
	MustView(t, db, func(tx *store.Tx) error {
		r, err := tx.CryptoRate(ctx, "sandbox", "BTC", "COP")
		if err == nil && !r.Rate.Equal(decimal.NewFromInt(25_000_000)) {
			t.Fatalf("after a failed refresh: %+v", r)
		}
		return err
	})
}
