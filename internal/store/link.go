package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

const linkColumns = `id, client_id, application_id, payment_id, token, gateway_config_id, status, return_url, cancel_url,
	expires_at, created_at, updated_at`

func scanLink(scan func(...any) error, l *pasarela.PaymentLink) error {
	var status string
	var expires, created, updated int64
	if err := scan(&l.ID, &l.ClientID, &l.ApplicationID, &l.PaymentID, &l.Token, &l.GatewayConfig, &status,
		&l.ReturnURL, &l.CancelURL, &expires, &created, &updated); err != nil {
		return err
	}
	l.Status = pasarela.LinkStatus(status)
	l.ExpiresAt, l.CreatedAt, l.UpdatedAt = fromMicros(expires), fromMicros(created), fromMicros(updated)
	return nil
}

// CreatePaymentLink inserts l and sets its id.
func (tx *Tx) CreatePaymentLink(ctx context.Context, l *pasarela.PaymentLink) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO payment_links (client_id, application_id, payment_id, token,
		gateway_config_id, status, return_url, cancel_url, expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		l.ClientID, l.ApplicationID, l.PaymentID, l.Token, l.GatewayConfig, string(l.Status), l.ReturnURL, l.CancelURL,
		micros(l.ExpiresAt), micros(l.CreatedAt), micros(l.UpdatedAt)),
		"payment link", func(scan func(...any) error) error { return scan(&l.ID) })
}

// GetPaymentLinkByToken finds a link by its token. Not scoped to a client:
// the token is the buyer's only credential.
func (tx *Tx) GetPaymentLinkByToken(ctx context.Context, token string) (*pasarela.PaymentLink, error) {
	var l pasarela.PaymentLink
	row := tx.q.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM payment_links WHERE token = $1`, token)
	if err := tx.scanRow(row, "payment link", func(scan func(...any) error) error { return scanLink(scan, &l) }); err != nil {
		return nil, err
	}
	return &l, nil
}

// ListPaymentLinks returns a payment's links, oldest first.
func (tx *Tx) ListPaymentLinks(ctx context.Context, clientID string, paymentID int64) ([]pasarela.PaymentLink, error) {
	rows, err := tx.query(ctx, `SELECT `+linkColumns+` FROM payment_links WHERE client_id = $1 AND payment_id = $2 ORDER BY id`,
		clientID, paymentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.PaymentLink{}
	for rows.Next() {
		var l pasarela.PaymentLink
		if err := scanLink(rows.Scan, &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// SetPaymentLinkStatus changes one link's status.
func (tx *Tx) SetPaymentLinkStatus(ctx context.Context, clientID string, id int64, status pasarela.LinkStatus, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE payment_links SET status = $1, updated_at = $2 WHERE client_id = $3 AND id = $4`,
		string(status), micros(now), clientID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "payment link")
}

// CloseActiveLinks sets every still-active link of a payment to status.
func (tx *Tx) CloseActiveLinks(ctx context.Context, clientID string, paymentID int64, status pasarela.LinkStatus, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE payment_links SET status = $1, updated_at = $2
		WHERE client_id = $3 AND payment_id = $4 AND status = $5`,
		string(status), micros(now), clientID, paymentID, string(pasarela.LinkActive))
	return err
}
