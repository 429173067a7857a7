package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

// LoadProcessorState returns a processor's value under key, or nil.
func (tx *Tx) LoadProcessorState(ctx context.Context, processor, key string) ([]byte, error) {
	var v []byte
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT value FROM processor_state WHERE processor = $1 AND key = $2`,
		processor, key), "state", func(scan func(...any) error) error { return scan(&v) })
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, nil
	}
	return v, err
}

// SaveProcessorState stores a processor's value under key.
func (tx *Tx) SaveProcessorState(ctx context.Context, processor, key string, value []byte, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO processor_state (processor, key, value, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (processor, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		processor, key, value, micros(now))
	return err
}
