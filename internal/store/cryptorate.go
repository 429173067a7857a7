package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// UpsertCryptoRates stores crypto prices, each with its FetchedAt. The
// price of a pair an exchange already has is replaced: only the latest
// price of each exchange, crypto currency and fiat currency is kept, since
// deposits lock the price they were quoted at in their own row. Like
// exchange rates, crypto rates are public reference data: no client id
// scopes them.
func (tx *Tx) UpsertCryptoRates(ctx context.Context, rates []pasarela.CryptoRate) error {
	rates = lastOfEachPair(rates)
	for start := 0; start < len(rates); start += rateBatch {
		chunk := rates[start:min(start+rateBatch, len(rates))]
		var a args
		var b strings.Builder
		b.WriteString(`INSERT INTO crypto_rates (exchange, currency, fiat, rate, fetched_at) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %s, %s)", a.add(r.Exchange), a.add(r.Currency), a.add(r.Fiat),
				a.add(r.Rate.String()), a.add(micros(r.FetchedAt)))
		}
		b.WriteString(` ON CONFLICT (exchange, currency, fiat) DO UPDATE SET rate = excluded.rate,
			fetched_at = excluded.fetched_at`)
		if _, err := tx.exec(ctx, b.String(), a...); err != nil {
			return err
		}
	}
	return nil
}

// lastOfEachPair keeps, of prices naming one exchange and pair more than
// once, the last, for the reason lastOfEachDay gives.
func lastOfEachPair(rates []pasarela.CryptoRate) []pasarela.CryptoRate {
	key := func(r pasarela.CryptoRate) [3]string { return [3]string{r.Exchange, r.Currency, r.Fiat} }
	last := make(map[[3]string]int, len(rates))
	for i, r := range rates {
		last[key(r)] = i
	}
	if len(last) == len(rates) {
		return rates
	}
	out := make([]pasarela.CryptoRate, 0, len(last))
	for i, r := range rates {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// CryptoRate returns the stored price of one coin of currency in fiat at
// exchange, whatever its age, or a not-found error when there is none.
func (tx *Tx) CryptoRate(ctx context.Context, exchange, currency, fiat string) (pasarela.CryptoRate, error) {
	var r pasarela.CryptoRate
	var rate string
	var fetched int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT exchange, currency, fiat, rate, fetched_at FROM crypto_rates
		WHERE exchange = $1 AND currency = $2 AND fiat = $3`, exchange, currency, fiat), "crypto rate",
		func(scan func(...any) error) error { return scan(&r.Exchange, &r.Currency, &r.Fiat, &rate, &fetched) })
	if err != nil {
		return pasarela.CryptoRate{}, err
	}
	if r.Rate, err = decimal.NewFromString(rate); err != nil {
		return pasarela.CryptoRate{}, fmt.Errorf("crypto rate %s %s/%s: stored rate %q: %w", exchange, currency, fiat, rate, err)
	}
	r.FetchedAt = fromMicros(fetched)
	return r, nil
}

// CryptoRates returns every price in fiat fetched at since or later, by
// exchange name, then crypto currency.
func (tx *Tx) CryptoRates(ctx context.Context, fiat string, since time.Time) ([]pasarela.CryptoRate, error) {
	rows, err := tx.query(ctx, `SELECT exchange, currency, fiat, rate, fetched_at FROM crypto_rates
		WHERE fiat = $1 AND fetched_at >= $2 ORDER BY exchange, currency`, fiat, micros(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.CryptoRate
	for rows.Next() {
		var r pasarela.CryptoRate
		var rate string
		var fetched int64
		if err := rows.Scan(&r.Exchange, &r.Currency, &r.Fiat, &rate, &fetched); err != nil {
			return nil, err
		}
		if r.Rate, err = decimal.NewFromString(rate); err != nil {
			return nil, fmt.Errorf("crypto rate %s %s/%s: stored rate %q: %w", r.Exchange, r.Currency, r.Fiat, rate, err)
		}
		r.FetchedAt = fromMicros(fetched)
		out = append(out, r)
	}
	return out, rows.Err()
}
