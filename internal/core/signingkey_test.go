package core_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestSigningKey: a named secret is made once, of the size asked for, kept
// in the database, and the same for every service on that database (every
// node of a cluster); each name has its own.
func TestSigningKey(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		// Concurrent first uses all get the one secret that was stored.
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				var err error
				if keys[i], err = e.svc.SigningKey(e.ctx, "test-tokens", 64); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		var stored []byte
		if err := e.db.Raw.QueryRow(`SELECT secret FROM signing_keys WHERE name = 'test-tokens'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if len(stored) != 64 || bytes.Equal(stored, make([]byte, 64)) {
			t.Fatalf("stored secret %x", stored)
		}
		for i, k := range keys {
			if !bytes.Equal(k, stored) {
				t.Fatalf("use %d got %x, stored %x", i, k, stored)
			}
		}
		// Another node, or this one after a restart.
		other := mustService(t, e.db, e.clock, core.Config{})
		if k, err := other.SigningKey(e.ctx, "test-tokens", 64); err != nil || !bytes.Equal(k, stored) {
			t.Fatalf("another service: %x %v", k, err)
		}
		k2, err := e.svc.SigningKey(e.ctx, "other-tokens", 32)
		if err != nil || len(k2) != 32 || bytes.Equal(k2, stored[:32]) {
			t.Fatalf("another name: %x %v", k2, err)
		}
		// A secret shorter than asked for is never handed out as a key.
		if _, err := other.SigningKey(e.ctx, "other-tokens", 64); pasarela.ErrorKind(err) != pasarela.KindInternal {
			t.Fatalf("a longer key of a stored name: %v", err)
		}
		for _, bad := range []struct {
			name string
			size int
		}{{"", 32}, {"x", 0}} {
			if _, err := e.svc.SigningKey(e.ctx, bad.name, bad.size); pasarela.ErrorKind(err) != pasarela.KindInternal {
				t.Errorf("%q of %d bytes: %v", bad.name, bad.size, err)
			}
		}
	})
}
