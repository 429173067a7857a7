package store

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
)

// IdempotencyRecord is the first response to a creating request, kept so
// that a retry with the same key gets the same answer.
type IdempotencyRecord struct {
	ClientID    string
	Scope       string // who may replay it, e.g. "app:12"
	Key         string
	Fingerprint []byte // hash of the request, to refuse a key reused for another request
	Status      int
	Body        []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// GetIdempotency returns the live record of a key, or a not-found error when
// there is none or it has expired at now.
func (tx *Tx) GetIdempotency(ctx context.Context, clientID, scope, key string, now time.Time) (*IdempotencyRecord, error) {
	r := IdempotencyRecord{ClientID: clientID, Scope: scope, Key: key}
	var created, expires int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT fingerprint, status, body, created_at, expires_at
		FROM idempotency_keys WHERE client_id = $1 AND scope = $2 AND key = $3 AND expires_at > $4`,
		clientID, scope, key, micros(now)),
		"idempotency key", func(scan func(...any) error) error {
			return scan(&r.Fingerprint, &r.Status, &r.Body, &created, &expires)
		})
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &r, nil
}

// PutIdempotency stores a record, replacing an expired one with the same key.
// A live record with the same key makes it a conflict (the unique key), which
// is how two concurrent first requests end up with one winner.
//
// One statement does both: the upsert replaces the row it collides with
// only if that row has expired, and otherwise changes nothing, which is the
// conflict. It runs on the SQLite writer for every idempotent creation, so
// a statement saved there is saved for every request in the group.
func (tx *Tx) PutIdempotency(ctx context.Context, r *IdempotencyRecord) error {
	res, err := tx.exec(ctx, `INSERT INTO idempotency_keys (client_id, scope, key, fingerprint, status, body, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (client_id, scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
		body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at
		WHERE idempotency_keys.expires_at <= excluded.created_at`,
		r.ClientID, r.Scope, r.Key, r.Fingerprint, r.Status, r.Body, micros(r.CreatedAt), micros(r.ExpiresAt))
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err == nil && n == 0 {
		err = pasarela.Errorf(pasarela.KindConflict, "already_exists", "a live record has this key")
	}
	if pasarela.ErrorKind(err) == pasarela.KindConflict {
		return &pasarela.Error{Kind: pasarela.KindConflict, Code: "idempotency_race", Message: "a request with this Idempotency-Key is in progress", Err: err}
	}
	return err
}

// DeleteExpiredIdempotency removes up to limit records that expired before now.
func (tx *Tx) DeleteExpiredIdempotency(ctx context.Context, now time.Time, limit int) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM idempotency_keys WHERE (client_id, scope, key) IN (
		SELECT client_id, scope, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)`, micros(now), limit)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// UpdateIdempotency replaces the stored answer of a key, for requests whose
// final answer is known only after a processor has spoken (refunds).
func (tx *Tx) UpdateIdempotency(ctx context.Context, clientID, scope, key string, status int, body []byte) error {
	res, err := tx.exec(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE client_id = $3 AND scope = $4 AND key = $5`,
		status, body, clientID, scope, key)
	if err != nil {
		return err
	}
	return expectOne(res, "idempotency key")
}
