package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

// Statistics read two kinds of source (see migration 0007_stats): the
// payment_totals rollup for all-time totals, and ranges of two covering
// indexes of payments for figures per day. A payment is confirmed once it
// has a completion date, in both.

// microsPerDay is one day in the unit timestamps are stored in.
const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// StatsRow is one aggregate of payments: how many, and their amounts and
// refunded amounts summed in minor units, all in one currency. The keys a
// query groups by are set; the others are zero.
type StatsRow struct {
	ApplicationID   int64
	ApplicationName string
	GatewayConfigID int64 // 0: payments without a gateway config
	Gateway         string
	GatewayName     string
	// Day counts days since 1970-01-01 in the period's UTC offset.
	Day      int64
	Status   string
	Currency string // "" for an application or config with no payments
	Count    int64
	Amount   int64
	Refunded int64
}

// StatsPeriod is a half-open interval of stored time and the UTC offset in
// which its days are counted.
type StatsPeriod struct {
	Start, End time.Time
	Offset     time.Duration
}

func (p StatsPeriod) args() (start, end, offset int64) {
	return micros(p.Start), micros(p.End), int64(p.Offset / time.Microsecond)
}

func scanStatsRows(tx *Tx, ctx context.Context, query string, scan func(r *StatsRow) []any, a ...any) ([]StatsRow, error) {
	rows, err := tx.query(ctx, query, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StatsRow{}
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(scan(&r)...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ConfirmedByApplication returns the all-time totals of the client's
// confirmed payments per application and currency, with one row (Currency
// "") for each application that has none, ordered by application id.
func (tx *Tx) ConfirmedByApplication(ctx context.Context, clientID string) ([]StatsRow, error) {
	return scanStatsRows(tx, ctx, `SELECT a.id, a.name, COALESCE(t.currency, ''), CAST(COALESCE(SUM(t.count), 0) AS BIGINT),
		CAST(COALESCE(SUM(t.amount), 0) AS BIGINT), CAST(COALESCE(SUM(t.refunded), 0) AS BIGINT)
		FROM applications a LEFT JOIN payment_totals t ON t.client_id = a.client_id AND t.application_id = a.id
		WHERE a.client_id = $1
		GROUP BY a.id, a.name, t.currency
		ORDER BY a.id, COALESCE(t.currency, '')`,
		func(r *StatsRow) []any {
			return []any{&r.ApplicationID, &r.ApplicationName, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID)
}

// ConfirmedByGatewayConfig returns the all-time totals of an application's
// confirmed payments per gateway config and currency: one row (Currency "")
// for each config with none, and rows of GatewayConfigID 0 for payments
// confirmed without a config. Ordered by config id, then currency.
func (tx *Tx) ConfirmedByGatewayConfig(ctx context.Context, clientID string, appID int64) ([]StatsRow, error) {
	return scanStatsRows(tx, ctx, `SELECT id, gateway, name, currency, n, amount, refunded FROM (
		SELECT g.id AS id, g.gateway AS gateway, g.name AS name, COALESCE(t.currency, '') AS currency,
			CAST(COALESCE(SUM(t.count), 0) AS BIGINT) AS n, CAST(COALESCE(SUM(t.amount), 0) AS BIGINT) AS amount,
			CAST(COALESCE(SUM(t.refunded), 0) AS BIGINT) AS refunded
		FROM gateway_configs g LEFT JOIN payment_totals t ON t.client_id = g.client_id
			AND t.application_id = g.application_id AND t.gateway_config_id = g.id
		WHERE g.client_id = $1 AND g.application_id = $2
		GROUP BY g.id, g.gateway, g.name, t.currency
		UNION ALL
		SELECT 0, '', '', t.currency, CAST(SUM(t.count) AS BIGINT), CAST(SUM(t.amount) AS BIGINT), CAST(SUM(t.refunded) AS BIGINT)
		FROM payment_totals t WHERE t.client_id = $1 AND t.application_id = $2 AND t.gateway_config_id = 0
		GROUP BY t.currency) s
		ORDER BY id, currency`,
		func(r *StatsRow) []any {
			return []any{&r.GatewayConfigID, &r.Gateway, &r.GatewayName, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID, appID)
}

// ConfirmedDaily returns the client's payments confirmed in the period per
// day of confirmation, application and currency, ordered by those.
func (tx *Tx) ConfirmedDaily(ctx context.Context, clientID string, p StatsPeriod) ([]StatsRow, error) {
	start, end, offset := p.args()
	// The offset is added before dividing, so a day is the offset's civil
	// day; timestamps are after 1970, so integer division floors.
	return scanStatsRows(tx, ctx, `SELECT (completed_at + $2) / $3 AS day, application_id, currency, COUNT(*),
		CAST(SUM(amount) AS BIGINT), CAST(SUM(refunded) AS BIGINT)
		FROM payments
		WHERE client_id = $1 AND completed_at IS NOT NULL AND completed_at >= $4 AND completed_at < $5
		GROUP BY day, application_id, currency
		ORDER BY day, application_id, currency`,
		func(r *StatsRow) []any {
			return []any{&r.Day, &r.ApplicationID, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID, offset, microsPerDay, start, end)
}

// CreatedDaily returns an application's payments created in the period per
// day of creation, status and currency, ordered by those.
func (tx *Tx) CreatedDaily(ctx context.Context, clientID string, appID int64, p StatsPeriod) ([]StatsRow, error) {
	start, end, offset := p.args()
	return scanStatsRows(tx, ctx, `SELECT (created_at + $3) / $4 AS day, status, currency, COUNT(*),
		CAST(SUM(amount) AS BIGINT), CAST(SUM(refunded) AS BIGINT)
		FROM payments
		WHERE client_id = $1 AND application_id = $2 AND created_at >= $5 AND created_at < $6
		GROUP BY day, status, currency
		ORDER BY day, status, currency`,
		func(r *StatsRow) []any {
			return []any{&r.Day, &r.Status, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID, appID, offset, microsPerDay, start, end)
}

// ConfirmedTotals returns the client's payments confirmed in the period per
// currency.
func (tx *Tx) ConfirmedTotals(ctx context.Context, clientID string, p StatsPeriod) ([]StatsRow, error) {
	start, end, _ := p.args()
	return scanStatsRows(tx, ctx, `SELECT currency, COUNT(*), CAST(SUM(amount) AS BIGINT), CAST(SUM(refunded) AS BIGINT)
		FROM payments
		WHERE client_id = $1 AND completed_at IS NOT NULL AND completed_at >= $2 AND completed_at < $3
		GROUP BY currency ORDER BY currency`,
		func(r *StatsRow) []any { return []any{&r.Currency, &r.Count, &r.Amount, &r.Refunded} },
		clientID, start, end)
}

// ListConfirmed returns one page of the client's payments confirmed in the
// period, in order of confirmation (then id), across its applications.
func (tx *Tx) ListConfirmed(ctx context.Context, clientID string, p StatsPeriod, opts pasarela.ListOptions) ([]pasarela.Payment, error) {
	start, end, _ := p.args()
	a := args{clientID, start, end}
	rows, err := tx.query(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE client_id = $1 AND completed_at IS NOT NULL AND completed_at >= $2 AND completed_at < $3
		ORDER BY completed_at, id`+a.page(opts), a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.Payment{}
	for rows.Next() {
		var pay pasarela.Payment
		if err := scanPayment(rows.Scan, &pay); err != nil {
			return nil, err
		}
		out = append(out, pay)
	}
	return out, rows.Err()
}
