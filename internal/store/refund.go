package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

const refundColumns = `id, client_id, application_id, payment_id, amount, currency, reason, status, processor_ref,
	failure_message, created_at, updated_at`

func scanRefund(scan func(...any) error, r *pasarela.Refund) error {
	var status string
	var created, updated int64
	if err := scan(&r.ID, &r.ClientID, &r.ApplicationID, &r.PaymentID, &r.Amount, &r.Currency, &r.Reason, &status,
		&r.ProcessorRef, &r.FailureMessage, &created, &updated); err != nil {
		return err
	}
	r.Status = pasarela.RefundStatus(status)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

// CreateRefund inserts r and sets its id.
func (tx *Tx) CreateRefund(ctx context.Context, r *pasarela.Refund) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO refunds (client_id, application_id, payment_id, amount,
		currency, reason, status, processor_ref, failure_message, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		r.ClientID, r.ApplicationID, r.PaymentID, r.Amount, r.Currency, r.Reason, string(r.Status), r.ProcessorRef,
		r.FailureMessage, micros(r.CreatedAt), micros(r.UpdatedAt)),
		"refund", func(scan func(...any) error) error { return scan(&r.ID) })
}

// UpdateRefund writes a refund's outcome, only while it is still pending:
// a refund is settled once.
func (tx *Tx) UpdateRefund(ctx context.Context, r *pasarela.Refund) error {
	res, err := tx.exec(ctx, `UPDATE refunds SET status = $1, processor_ref = $2, failure_message = $3, updated_at = $4
		WHERE client_id = $5 AND id = $6 AND status = $7`,
		string(r.Status), r.ProcessorRef, r.FailureMessage, micros(r.UpdatedAt), r.ClientID, r.ID, string(pasarela.RefundPending))
	if err != nil {
		return err
	}
	return expectOne(res, "pending refund")
}

// ListRefunds returns a payment's refunds, oldest first.
func (tx *Tx) ListRefunds(ctx context.Context, clientID string, paymentID int64) ([]pasarela.Refund, error) {
	rows, err := tx.query(ctx, `SELECT `+refundColumns+` FROM refunds WHERE client_id = $1 AND payment_id = $2 ORDER BY id`,
		clientID, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.Refund{}
	for rows.Next() {
		var r pasarela.Refund
		if err := scanRefund(rows.Scan, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRefund returns a refund of the client.
func (tx *Tx) GetRefund(ctx context.Context, clientID string, id int64) (*pasarela.Refund, error) {
	var r pasarela.Refund
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT `+refundColumns+` FROM refunds WHERE client_id = $1 AND id = $2`,
		clientID, id), "refund", func(scan func(...any) error) error { return scanRefund(scan, &r) })
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// StuckRefunds lists refunds pending since before cutoff, oldest first,
// across every client (see StuckPayments; index refunds_pending_idx).
func (tx *Tx) StuckRefunds(ctx context.Context, cutoff time.Time, limit int) ([]StuckRow, error) {
	return tx.stuck(ctx, `SELECT client_id, id FROM refunds WHERE status = 'pending' AND updated_at < $1
		ORDER BY updated_at LIMIT $2`, cutoff, limit)
}
