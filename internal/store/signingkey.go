package store

import (
	"context"
	"time"
)

// SigningKey returns the secret named name, inserting candidate first if no
// such secret exists yet. Concurrent first starts of several nodes all end up
// with the one secret that won the insert.
func (tx *Tx) SigningKey(ctx context.Context, name string, candidate []byte, now time.Time) ([]byte, error) {
	if _, err := tx.exec(ctx, `INSERT INTO signing_keys (name, secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, candidate, micros(now)); err != nil {
		return nil, err
	}
	var secret []byte
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT secret FROM signing_keys WHERE name = $1`, name),
		"signing key", func(scan func(...any) error) error { return scan(&secret) })
	return secret, err
}
