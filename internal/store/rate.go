package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// rateBatch is how many rates one INSERT writes: 5 parameters each keeps a
// statement far below SQLite's limit of 32766, and the 90-day ECB feed
// (about 1300 rates) in a dozen statements.
const rateBatch = 100

// UpsertExchangeRates stores rates fetched at fetchedAt. A rate of a
// currency and day already stored is replaced, so that fetching the same
// day twice keeps one row, with the latest value (a source may correct a
// rate it published). Exchange rates are public reference data, the same
// for every client: no client id scopes them.
func (tx *Tx) UpsertExchangeRates(ctx context.Context, rates []pasarela.ExchangeRate, fetchedAt time.Time) error {
	rates = lastOfEachDay(rates)
	for start := 0; start < len(rates); start += rateBatch {
		chunk := rates[start:min(start+rateBatch, len(rates))]
		var a args
		var b strings.Builder
		b.WriteString(`INSERT INTO exchange_rates (currency, day, rate, source, fetched_at) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %s, %s)", a.add(r.Currency), a.add(r.Day), a.add(r.Rate.String()),
				a.add(r.Source), a.add(micros(fetchedAt)))
		}
		b.WriteString(` ON CONFLICT (currency, day) DO UPDATE SET rate = excluded.rate, source = excluded.source,
			fetched_at = excluded.fetched_at`)
		if _, err := tx.exec(ctx, b.String(), a...); err != nil {
			return err
		}
	}
	return nil
}

// lastOfEachDay keeps, of rates naming one currency and day more than
// once, the last. One INSERT may not name a row twice on PostgreSQL (it
// refuses to update a row twice in a statement) while SQLite applies both
// in turn; deciding here makes both engines keep the latest value, as two
// separate fetches would.
func lastOfEachDay(rates []pasarela.ExchangeRate) []pasarela.ExchangeRate {
	last := make(map[[2]string]int, len(rates))
	for i, r := range rates {
		last[[2]string{r.Currency, r.Day}] = i
	}
	if len(last) == len(rates) {
		return rates
	}
	out := make([]pasarela.ExchangeRate, 0, len(last))
	for i, r := range rates {
		if last[[2]string{r.Currency, r.Day}] == i {
			out = append(out, r)
		}
	}
	return out
}

// ExchangeRates returns, for each of currencies (all stored currencies when
// empty), its rates of the last days days it has one for, newest day
// first and, within a day, by currency. The days are those the source
// published, not calendar days: a weekend or holiday has no rates and
// does not count.
func (tx *Tx) ExchangeRates(ctx context.Context, currencies []string, days int) ([]pasarela.ExchangeRate, error) {
	var a args
	where := ""
	if len(currencies) > 0 {
		ph := make([]string, len(currencies))
		for i, c := range currencies {
			ph[i] = a.add(c)
		}
		where = " WHERE currency IN (" + strings.Join(ph, ", ") + ")"
	}
	rows, err := tx.query(ctx, `SELECT currency, day, rate, source FROM (
			SELECT currency, day, rate, source,
				ROW_NUMBER() OVER (PARTITION BY currency ORDER BY day DESC) AS n
			FROM exchange_rates`+where+`) AS latest
		WHERE n <= `+a.add(days)+` ORDER BY day DESC, currency`, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.ExchangeRate
	for rows.Next() {
		var r pasarela.ExchangeRate
		var rate string
		if err := rows.Scan(&r.Currency, &r.Day, &rate, &r.Source); err != nil {
			return nil, err
		}
		if r.Rate, err = decimal.NewFromString(rate); err != nil {
			return nil, fmt.Errorf("exchange rate %s %s: stored rate %q: %w", r.Currency, r.Day, rate, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestRateDay returns the newest day any rate is stored for, or "" when
// none is.
func (tx *Tx) LatestRateDay(ctx context.Context) (string, error) {
	var day sql.NullString
	if err := tx.q.QueryRowContext(ctx, `SELECT MAX(day) FROM exchange_rates`).Scan(&day); err != nil {
		return "", tx.d.Translate(err)
	}
	return day.String, nil
}
