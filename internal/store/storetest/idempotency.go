package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testIdempotency pins what the core's idempotent creation relies on: a live
// record of a key refuses a second one with the code idempotency_race and
// stays as it was, an expired record is replaced, and a record is read only
// while it lives.
func testIdempotency(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.idem")
	rec := func(body string, created time.Time) *store.IdempotencyRecord {
		return &store.IdempotencyRecord{ClientID: c.ID, Scope: "app:1", Key: "k1", Fingerprint: []byte("fp-" + body),
			Status: 201, Body: []byte(body), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
	}
	get := func(now time.Time) (*store.IdempotencyRecord, error) {
		var r *store.IdempotencyRecord
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			r, err = tx.GetIdempotency(ctx, c.ID, "app:1", "k1", now)
			return err
		})
		return r, err
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.PutIdempotency(ctx, rec("first", Base)) })

	err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutIdempotency(ctx, rec("second", Base.Add(time.Minute))) })
	if e := MustErrorKind(t, err, pasarela.KindConflict, ""); e.Code != "idempotency_race" {
		t.Fatalf("second record of a live key: code %q, want idempotency_race", e.Code)
	}
	r, err := get(Base.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "the live record after a refused second one", string(r.Body), "first")
	MustEqual(t, "its fingerprint", string(r.Fingerprint), "fp-first")

	// At its expiry the record is gone for reads, and a new one takes its place.
	_, err = get(Base.Add(time.Hour))
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	later := Base.Add(2 * time.Hour)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.PutIdempotency(ctx, rec("third", later)) })
	r, err = get(later)
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "the record replacing an expired one", *r, *rec("third", later))

	// Another scope (or client) is another key.
	other := rec("other", Base)
	other.Scope = "app:2"
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.PutIdempotency(ctx, other) })
}
