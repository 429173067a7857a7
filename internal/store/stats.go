package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

// Statistics read rollups kept by triggers (see migration 0007_stats):
// payment_totals for all-time totals, payment_buckets_created and
// payment_buckets_confirmed for figures per day and period; only the
// detail's page reads payments (an index of them by confirmation). A
// payment is confirmed once it has a completion date, in all of them.

// microsPerDay is one day in the unit timestamps are stored in.
const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// The rollups count each payment in four slots of its UTC day (the
// migration computes the same numbers): its quarter of an hour (0-95), its
// hour (slotHour0 + 0-23), its four hours (slotBlock0 + 0-5) and the whole
// day (slotDay).
const (
	quartersPerDay   = 96
	microsPerQuarter = int64(15 * time.Minute / time.Microsecond)
	slotHour0        = 96
	slotDay          = 120
	slotDayString    = "120"
	slotBlock0       = 121
)

// dayPlan is how the days of one period are added up from a rollup's rows.
//
// A day of the period's offset starts a whole number b of quarters of an
// hour after a UTC midnight (0 <= b < 96). Each UTC day's slotDay row is
// counted in one of the two offset days it overlaps (shift days after it);
// the part of the UTC day in the other one (move days further: [0, b) or
// [b, 96), whichever takes fewer rows to add up) is added up from its
// finer rows, taken away from the first day and given to the other. That
// part is written as a sum and difference of aligned four-hour, hour and
// quarter rows (fine; [0, 11:45) is the first three four-hour rows less
// the quarter 11:45), at most 6 of them. So a period reads, per UTC day and
// combination, one day row and a few finer ones whatever the number of
// payments, and every figure is an exact integer sum of its day's payments.
type dayPlan struct {
	first, last int64 // the period's days, in its offset (days since 1970)
	lo, hi      int64 // the UTC days to read
	shift, move int64 // see above
	fine        slotSum
	prefix      slotSum // [0, b) of a UTC day (ConfirmedTotals)
}

// slotSum is a sum of rollup slots, each added (+1) or taken away (-1).
type slotSum map[int64]int64

// add adds (sign 1) or takes away (sign -1) the slots of unit quarters
// (1, 4 or 16) that cover [from, to) of a UTC day; from > to reverses the
// sign.
func (s slotSum) add(from, to, unit, sign int64) {
	if from > to {
		from, to, sign = to, from, -sign
	}
	for q := from; q < to; q += unit {
		var slot int64
		switch unit {
		case 1:
			slot = q
		case 4:
			slot = slotHour0 + q/4
		default:
			slot = slotBlock0 + q/16
		}
		if s[slot] += sign; s[slot] == 0 {
			delete(s, slot)
		}
	}
}

// list writes the slots of sign as an SQL list ("" for none).
func (s slotSum) list(sign int64) string {
	var out []int64
	for slot, c := range s {
		if c == sign {
			out = append(out, slot)
		}
	}
	slices.Sort(out)
	parts := make([]string, len(out))
	for i, slot := range out {
		parts[i] = strconv.FormatInt(slot, 10)
	}
	return strings.Join(parts, ", ")
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// quarterSlots returns the shortest sum of slots that adds up [0, x) of a
// UTC day (suffix false) or [x, 96) (suffix true): x is reached from the
// aligned end by four-hour rows up or down to x16, hour rows to x4, then
// quarter rows, trying both roundings at each level.
func quarterSlots(x int64, suffix bool) slotSum {
	var best slotSum
	for _, x4 := range []int64{x / 4 * 4, (x + 3) / 4 * 4} {
		for _, x16 := range []int64{x4 / 16 * 16, (x4 + 15) / 16 * 16} {
			s := slotSum{}
			if suffix {
				s.add(x16, quartersPerDay, 16, 1)
				s.add(x4, x16, 4, 1)
				s.add(x, x4, 1, 1)
			} else {
				s.add(0, x16, 16, 1)
				s.add(x16, x4, 4, 1)
				s.add(x4, x, 1, 1)
			}
			if best == nil || len(s) < len(best) {
				best = s
			}
		}
	}
	return best
}

func planDays(p StatsPeriod) (dayPlan, error) {
	start, end, offset := p.args()
	if offset%microsPerQuarter != 0 || (start+offset)%microsPerDay != 0 || (end+offset)%microsPerDay != 0 || end <= start {
		return dayPlan{}, fmt.Errorf("store: statistics period %v–%v is not whole days of an offset in quarters of an hour (%v)",
			p.Start, p.End, p.Offset)
	}
	offQ := offset / microsPerQuarter
	b := ((-offQ)%quartersPerDay + quartersPerDay) % quartersPerDay
	plan := dayPlan{first: (start + offset) / microsPerDay, last: (end+offset)/microsPerDay - 1,
		prefix: quarterSlots(b, false)}
	if b != 0 {
		// The offset day that starts at the UTC day's quarter b.
		plan.shift = (b + offQ) / quartersPerDay
		plan.move, plan.fine = -1, plan.prefix
		if suffix := quarterSlots(b, true); len(suffix) < len(plan.fine) {
			// The day row goes to the offset day that ends at b instead.
			plan.shift, plan.move, plan.fine = plan.shift-1, 1, suffix
		}
	}
	plan.lo = plan.first - plan.shift - max(plan.move, 0)
	plan.hi = plan.last - plan.shift - min(plan.move, 0)
	return plan, nil
}

// signed is the SQL of column x of a rollup row with its slot's sign in s.
func (s slotSum) signed(x string) string {
	if minus := s.list(-1); minus != "" {
		return `CASE WHEN slot IN (` + minus + `) THEN -` + x + ` ELSE ` + x + ` END`
	}
	return x
}

// in is the SQL list of every slot of s.
func (s slotSum) in() string {
	plus, minus := s.list(1), s.list(-1)
	if plus == "" || minus == "" {
		return plus + minus
	}
	return plus + ", " + minus
}

// query is the per-day query of a rollup: where selects the rows of one
// tenant ($1, or $1 and $8), dims are the columns grouped by after the day.
// Its parameters are $2 lo, $3 hi, $4 shift, $5 move, $6 first, $7 last.
func (plan dayPlan) query(table, where, dims string) string {
	q := `SELECT day, ` + dims + `, CAST(SUM(n) AS BIGINT), CAST(SUM(a) AS BIGINT), CAST(SUM(r) AS BIGINT) FROM (
		SELECT day + CAST($4 AS BIGINT) AS day, ` + dims + `, count AS n, amount AS a, refunded AS r FROM ` + table + `
		WHERE ` + where + ` AND slot = ` + slotDayString + ` AND day >= $2 AND day <= $3`
	if len(plan.fine) > 0 {
		// The finer rows are added up per UTC day once (fine), then
		// counted twice: given to their day, taken from the day row's.
		q = `WITH fine AS (SELECT day, ` + dims + `, SUM(` + plan.fine.signed("count") + `) AS n,
			SUM(` + plan.fine.signed("amount") + `) AS a, SUM(` + plan.fine.signed("refunded") + `) AS r FROM ` + table + `
		WHERE ` + where + ` AND slot IN (` + plan.fine.in() + `) AND day >= $2 AND day <= $3
		GROUP BY day, ` + dims + `)
		` + q + `
		UNION ALL
		SELECT day + CAST($4 AS BIGINT) + CAST($5 AS BIGINT), ` + dims + `, n, a, r FROM fine
		UNION ALL
		SELECT day + CAST($4 AS BIGINT), ` + dims + `, -n, -a, -r FROM fine`
	} else {
		// $5 is unused; keep it referenced so that every engine accepts
		// the same argument list.
		q += ` AND CAST($5 AS BIGINT) = 0`
	}
	return q + `) s
		WHERE day >= $6 AND day <= $7
		GROUP BY day, ` + dims + ` HAVING SUM(n) <> 0
		ORDER BY day, ` + dims
}

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
// day of confirmation, application and currency, ordered by those. It reads
// the confirmed rollup (see dayPlan), never the payments.
func (tx *Tx) ConfirmedDaily(ctx context.Context, clientID string, p StatsPeriod) ([]StatsRow, error) {
	plan, err := planDays(p)
	if err != nil {
		return nil, err
	}
	return scanStatsRows(tx, ctx, plan.query(`payment_buckets_confirmed`, `client_id = $1`, `application_id, currency`),
		func(r *StatsRow) []any {
			return []any{&r.Day, &r.ApplicationID, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID, plan.lo, plan.hi, plan.shift, plan.move, plan.first, plan.last)
}

// CreatedDaily returns an application's payments created in the period per
// day of creation, status and currency, ordered by those. It reads the
// created rollup (see dayPlan), never the payments.
func (tx *Tx) CreatedDaily(ctx context.Context, clientID string, appID int64, p StatsPeriod) ([]StatsRow, error) {
	plan, err := planDays(p)
	if err != nil {
		return nil, err
	}
	return scanStatsRows(tx, ctx, plan.query(`payment_buckets_created`, `client_id = $1 AND application_id = $8`, `status, currency`),
		func(r *StatsRow) []any {
			return []any{&r.Day, &r.Status, &r.Currency, &r.Count, &r.Amount, &r.Refunded}
		}, clientID, plan.lo, plan.hi, plan.shift, plan.move, plan.first, plan.last, appID)
}

// ConfirmedTotals returns the client's payments confirmed in the period per
// currency, from the confirmed rollup: the UTC days the period starts in up
// to the one it ends in, less the part of the first before the period's
// start, plus the part of the last before its end (hour and quarter rows).
func (tx *Tx) ConfirmedTotals(ctx context.Context, clientID string, p StatsPeriod) ([]StatsRow, error) {
	plan, err := planDays(p)
	if err != nil {
		return nil, err
	}
	start, end, _ := p.args()
	q := `SELECT currency, CAST(SUM(n) AS BIGINT), CAST(SUM(a) AS BIGINT), CAST(SUM(r) AS BIGINT) FROM (
		SELECT currency, count AS n, amount AS a, refunded AS r FROM payment_buckets_confirmed
		WHERE client_id = $1 AND slot = ` + slotDayString + ` AND day >= $2 AND day < $3`
	if len(plan.prefix) > 0 {
		q += `
		UNION ALL
		SELECT currency, CASE WHEN day = $3 THEN n ELSE -n END, CASE WHEN day = $3 THEN a ELSE -a END,
			CASE WHEN day = $3 THEN r ELSE -r END FROM (
			SELECT day, currency, ` + plan.prefix.signed("count") + ` AS n, ` + plan.prefix.signed("amount") + ` AS a,
				` + plan.prefix.signed("refunded") + ` AS r
			FROM payment_buckets_confirmed WHERE client_id = $1 AND slot IN (` + plan.prefix.in() + `) AND day IN ($2, $3)) f`
	}
	q += `) s GROUP BY currency HAVING SUM(n) <> 0 ORDER BY currency`
	return scanStatsRows(tx, ctx, q,
		func(r *StatsRow) []any { return []any{&r.Currency, &r.Count, &r.Amount, &r.Refunded} },
		clientID, floorDiv(start, microsPerDay), floorDiv(end, microsPerDay))
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
