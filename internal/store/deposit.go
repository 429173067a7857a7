package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

const depositColumns = `payment_id, client_id, application_id, gateway_config_id, user_id, currency, network, chain, key_id,
	derivation_index, address, amount, rate, exchange, commission, fiat_withdraw, received, confirmations, txids, late,
	expires_at, monitor_until, created_at, updated_at`

func scanDeposit(scan func(...any) error, d *pasarela.Deposit) error {
	var amount, rate, commission, received, txids string
	var index, expires, monitor, created, updated int64
	if err := scan(&d.PaymentID, &d.ClientID, &d.ApplicationID, &d.GatewayConfig, &d.UserID, &d.Currency, &d.Network,
		&d.Chain, &d.KeyID, &index, &d.Address, &amount, &rate, &d.Exchange, &commission, &d.FiatWithdraw, &received,
		&d.Confirmations, &txids, &d.Late, &expires, &monitor, &created, &updated); err != nil {
		return err
	}
	d.Index = uint32(index)
	for _, f := range []struct {
		s   string
		dst *decimal.Decimal
	}{{amount, &d.Amount}, {rate, &d.Rate}, {commission, &d.Commission}, {received, &d.Received}} {
		v, err := decimal.NewFromString(f.s)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	d.ExpiresAt, d.MonitorUntil = fromMicros(expires), fromMicros(monitor)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return json.Unmarshal([]byte(txids), &d.TxIDs)
}

// NextKeyIndex takes the next derivation index of a merchant key for a
// currency, inside the transaction that creates the deposit using it: an
// index is taken once, whichever node asks, and a rolled-back deposit
// gives its index back with everything else it wrote. unpaid is how many
// addresses of the key in a row, this one included, have not been paid.
func (tx *Tx) NextKeyIndex(ctx context.Context, currency, keyID string) (index uint32, unpaid int, err error) {
	if _, err := tx.exec(ctx, `INSERT INTO crypto_key_indexes (currency, key_id, next_index) VALUES ($1, $2, 0)
		ON CONFLICT (currency, key_id) DO NOTHING`, currency, keyID); err != nil {
		return 0, 0, err
	}
	var next int64
	err = tx.scanRow(tx.q.QueryRowContext(ctx, `UPDATE crypto_key_indexes SET next_index = next_index + 1,
		unpaid_run = unpaid_run + 1 WHERE currency = $1 AND key_id = $2 RETURNING next_index - 1, unpaid_run`, currency, keyID),
		"key index", func(scan func(...any) error) error { return scan(&next, &unpaid) })
	return uint32(next), unpaid, err
}

// KeyPaid records that an address of a key was paid: the run of unpaid
// addresses starts again.
func (tx *Tx) KeyPaid(ctx context.Context, currency, keyID string) error {
	_, err := tx.exec(ctx, `UPDATE crypto_key_indexes SET unpaid_run = 0 WHERE currency = $1 AND key_id = $2`, currency, keyID)
	return err
}

// CreateDeposit inserts the crypto side of a payment already inserted.
func (tx *Tx) CreateDeposit(ctx context.Context, d *pasarela.Deposit) error {
	_, err := tx.exec(ctx, `INSERT INTO crypto_deposits (`+depositColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
		$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		d.PaymentID, d.ClientID, d.ApplicationID, d.GatewayConfig, d.UserID, d.Currency, d.Network, d.Chain, d.KeyID,
		int64(d.Index), d.Address, d.Amount.String(), d.Rate.String(), d.Exchange, d.Commission.String(), d.FiatWithdraw,
		d.Received.String(), d.Confirmations, jsonList(d.TxIDs), d.Late, micros(d.ExpiresAt), micros(d.MonitorUntil),
		micros(d.CreatedAt), micros(d.UpdatedAt))
	return err
}

// UpdateDeposit writes what the chain showed of a deposit.
func (tx *Tx) UpdateDeposit(ctx context.Context, d *pasarela.Deposit) error {
	res, err := tx.exec(ctx, `UPDATE crypto_deposits SET received = $1, confirmations = $2, txids = $3, late = $4,
		updated_at = $5 WHERE client_id = $6 AND payment_id = $7`,
		d.Received.String(), d.Confirmations, jsonList(d.TxIDs), d.Late, micros(d.UpdatedAt), d.ClientID, d.PaymentID)
	if err != nil {
		return err
	}
	return expectOne(res, "deposit")
}

// GetDeposit returns the crypto side of a payment of the client.
func (tx *Tx) GetDeposit(ctx context.Context, clientID string, paymentID int64) (*pasarela.Deposit, error) {
	var d pasarela.Deposit
	row := tx.q.QueryRowContext(ctx, `SELECT `+depositColumns+` FROM crypto_deposits WHERE client_id = $1 AND payment_id = $2`,
		clientID, paymentID)
	if err := tx.scanRow(row, "deposit", func(scan func(...any) error) error { return scanDeposit(scan, &d) }); err != nil {
		return nil, err
	}
	return &d, nil
}

// DepositFilter narrows a list of a client's deposits.
type DepositFilter struct {
	ApplicationID int64 // 0: every application
	UserID        int64 // 0: every user
	Statuses      []string
	From, To      *time.Time // created at or after From, before To
	Limit         int        // 0: no limit
}

// DepositRow is a deposit with its payment.
type DepositRow struct {
	Payment pasarela.Payment
	Deposit pasarela.Deposit
}

// ListDeposits returns a client's deposits, newest first, each with its
// payment.
func (tx *Tx) ListDeposits(ctx context.Context, clientID string, f DepositFilter) ([]DepositRow, error) {
	a := args{clientID}
	where := ` WHERE d.client_id = $1 AND p.client_id = $1`
	if f.ApplicationID != 0 {
		where += ` AND d.application_id = ` + a.add(f.ApplicationID)
	}
	if f.UserID != 0 {
		where += ` AND d.user_id = ` + a.add(f.UserID)
	}
	if len(f.Statuses) > 0 {
		in := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = a.add(st)
		}
		where += ` AND p.status IN (` + strings.Join(in, ", ") + `)`
	}
	if f.From != nil {
		where += ` AND d.created_at >= ` + a.add(micros(*f.From))
	}
	if f.To != nil {
		where += ` AND d.created_at < ` + a.add(micros(*f.To))
	}
	q := `SELECT ` + prefixed("p.", paymentColumns) + `, ` + prefixed("d.", depositColumns) +
		` FROM crypto_deposits d JOIN payments p ON p.id = d.payment_id` + where + ` ORDER BY d.payment_id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	return tx.depositRows(ctx, q, a...)
}

// WatchedDeposits returns the deposits whose chain is still watched at now
// (monitor_until is later, or a payment seen is not yet confirmed: the
// watcher fails it once its window is over), oldest first, at most limit of them, after the
// payment id after (for paging through them all). Not scoped to a client:
// it is the chain watcher's work list.
func (tx *Tx) WatchedDeposits(ctx context.Context, now time.Time, after int64, limit int) ([]DepositRow, error) {
	q := `SELECT ` + prefixed("p.", paymentColumns) + `, ` + prefixed("d.", depositColumns) +
		` FROM crypto_deposits d JOIN payments p ON p.id = d.payment_id
		WHERE (d.monitor_until > $1 OR p.status = 'processing') AND d.payment_id > $2 ORDER BY d.payment_id LIMIT ` + strconv.Itoa(limit)
	return tx.depositRows(ctx, q, micros(now), after)
}

// DepositsPaidTo returns the watched deposits paying to an address of a
// currency (the sandbox chain's send wakes them at once).
func (tx *Tx) DepositsPaidTo(ctx context.Context, currency, address string) ([]DepositRow, error) {
	q := `SELECT ` + prefixed("p.", paymentColumns) + `, ` + prefixed("d.", depositColumns) +
		` FROM crypto_deposits d JOIN payments p ON p.id = d.payment_id WHERE d.currency = $1 AND d.address = $2`
	return tx.depositRows(ctx, q, currency, address)
}

func (tx *Tx) depositRows(ctx context.Context, q string, a ...any) ([]DepositRow, error) {
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DepositRow
	for rows.Next() {
		var r DepositRow
		// One row holds the payment's columns, then the deposit's: each
		// scanner hands its destinations to the next, the innermost scans
		// them all at once, and each then decodes its own.
		err := scanPayment(func(pay ...any) error {
			return scanDeposit(func(dep ...any) error { return rows.Scan(append(pay, dep...)...) }, &r.Deposit)
		}, &r.Payment)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
