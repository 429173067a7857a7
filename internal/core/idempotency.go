package core

import (
	"bytes"
	"context"
	"crypto/sha256"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Idem carries a creating request's Idempotency-Key. The face supplies the
// fingerprint of the request and Render, which turns the created resource
// into the exact answer to store: the answer commits with the resource, so a
// retry after any failure gets either that answer or a fresh attempt.
type Idem struct {
	Key         string
	Fingerprint [32]byte
	Render      func(v any) (status int, body []byte, err error)
}

// Fingerprint hashes what identifies a request: its method, path and body.
func Fingerprint(parts ...[]byte) [32]byte {
	return sha256.Sum256(bytes.Join(parts, []byte{0}))
}

// Replay is a stored answer to send again.
type Replay struct {
	Status int
	Body   []byte
}

// CheckIdempotencyKey validates a key as sent by a client.
func CheckIdempotencyKey(key string) error {
	if len(key) == 0 || len(key) > 255 {
		return pasarela.Invalid("Idempotency-Key", "idempotency_key", "must have 1 to 255 characters")
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return pasarela.Invalid("Idempotency-Key", "idempotency_key", "must be printable ASCII without spaces")
		}
	}
	return nil
}

var errKeyReused = pasarela.Errorf(pasarela.KindConflict, "idempotency_key_reused",
	"this Idempotency-Key was used for a different request; use a new key for a new request")

// idempotent runs create once per key and scope. Without idem it simply
// runs create in a write. With it: a live record of the key replays its
// answer (or is a conflict if the request differs); otherwise create runs
// and its rendered answer is stored in the same transaction. Two concurrent
// first requests race on the record's unique key: the loser's transaction
// (and its resource) rolls back, and it replays the winner's answer.
func (s *Service) idempotent(ctx context.Context, clientID, scope string, idem *Idem, create func(*store.Tx) (any, error)) (any, *Replay, error) {
	if idem == nil {
		var v any
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			v, err = create(tx)
			return err
		})
		return v, nil, err
	}
	var v any
	var replay *Replay
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		now := s.now()
		rec, err := tx.GetIdempotency(ctx, clientID, scope, idem.Key, now)
		if err == nil {
			if !bytes.Equal(rec.Fingerprint, idem.Fingerprint[:]) {
				return errKeyReused
			}
			replay = &Replay{Status: rec.Status, Body: rec.Body}
			return nil
		}
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err
		}
		if v, err = create(tx); err != nil {
			return err
		}
		status, body, err := idem.Render(v)
		if err != nil {
			return pasarela.Internal(err)
		}
		return tx.PutIdempotency(ctx, &store.IdempotencyRecord{ClientID: clientID, Scope: scope, Key: idem.Key,
			Fingerprint: idem.Fingerprint[:], Status: status, Body: body, CreatedAt: now, ExpiresAt: now.Add(s.cfg.IdempotencyTTL)})
	})
	if e := pasarela.AsError(err); err != nil && e.Code == "idempotency_race" {
		// The other request committed first: answer as it did.
		err = s.db.View(ctx, func(tx *store.Tx) error {
			rec, err := tx.GetIdempotency(ctx, clientID, scope, idem.Key, s.now())
			if err != nil {
				return err
			}
			if !bytes.Equal(rec.Fingerprint, idem.Fingerprint[:]) {
				return errKeyReused
			}
			replay = &Replay{Status: rec.Status, Body: rec.Body}
			return nil
		})
	}
	return v, replay, err
}
