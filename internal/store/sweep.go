package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

// DuePayments returns up to limit payable payments (of every client) whose
// deadline is at or before now, for the sweeper that expires them.
func (tx *Tx) DuePayments(ctx context.Context, now time.Time, limit int) ([]pasarela.Payment, error) {
	rows, err := tx.query(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE expires_at IS NOT NULL AND status IN ('pending', 'requires_action') AND expires_at <= $1
		ORDER BY expires_at LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.Payment
	for rows.Next() {
		var p pasarela.Payment
		if err := scanPayment(rows.Scan, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
