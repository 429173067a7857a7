package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"time"

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
	// Answer is what Render made, set once the write that stored it
	// committed: the face may send it as is rather than render it again.
	Answer []byte
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
		return pasarela.Invalid("idempotency_key", "idempotency_key", "must have 1 to 255 characters")
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return pasarela.Invalid("idempotency_key", "idempotency_key", "must be printable ASCII without spaces")
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
//
// The lookup of an earlier answer is a read on the read pool, not part of
// the write: on SQLite every write runs on one goroutine, and a retry is the
// exception, so the write path only creates and records. What the lookup
// might miss (an answer committed after its snapshot) the write still
// catches: the record's unique key refuses the second answer, and when
// create fails for any reason the key is looked up again, so a request
// whose key already has an answer gets that answer, exactly as when the
// lookup ran inside the write.
func (s *Service) idempotent(ctx context.Context, clientID, scope string, idem *Idem, create func(*store.Tx) (any, error)) (any, *Replay, error) {
	if idem != nil {
		var replay *Replay
		err := s.db.View(ctx, func(tx *store.Tx) error {
			var err error
			replay, err = lookupReplay(ctx, tx, clientID, scope, idem, s.now())
			return err
		})
		if err != nil || replay != nil {
			return nil, replay, err
		}
	}
	return s.createOnce(ctx, clientID, scope, idem, create)
}

// lookupReplay returns the stored answer of idem's key in tx, nil when
// there is none, or errKeyReused when the key answered another request.
func lookupReplay(ctx context.Context, tx *store.Tx, clientID, scope string, idem *Idem, now time.Time) (*Replay, error) {
	rec, err := tx.GetIdempotency(ctx, clientID, scope, idem.Key, now)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(rec.Fingerprint, idem.Fingerprint[:]) {
		return nil, errKeyReused
	}
	return &Replay{Status: rec.Status, Body: rec.Body}, nil
}

// createOnce is idempotent's write, for callers that looked for an earlier
// answer themselves (in a read they needed anyway).
func (s *Service) createOnce(ctx context.Context, clientID, scope string, idem *Idem, create func(*store.Tx) (any, error)) (any, *Replay, error) {
	var v any
	var answer []byte
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if v, err = create(tx); err != nil || idem == nil {
			return err
		}
		status, body, err := idem.Render(v)
		if err != nil {
			return pasarela.Internal(err)
		}
		answer = body
		now := s.now()
		return tx.PutIdempotency(ctx, &store.IdempotencyRecord{ClientID: clientID, Scope: scope, Key: idem.Key,
			Fingerprint: idem.Fingerprint[:], Status: status, Body: body, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Recovery.IdempotencyTTL)})
	})
	if err == nil && idem != nil {
		idem.Answer = answer
	}
	if err == nil || idem == nil {
		return v, nil, err
	}
	// The write rolled back. If the key has an answer by now (another
	// request won the race, or answered before this write began), that
	// answer stands; otherwise the write's own error does.
	var replay *Replay
	lerr := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		replay, err = lookupReplay(ctx, tx, clientID, scope, idem, s.now())
		return err
	})
	switch {
	case errors.Is(lerr, errKeyReused):
		return nil, nil, lerr
	case lerr == nil && replay != nil:
		return nil, replay, nil
	}
	return nil, nil, err
}
