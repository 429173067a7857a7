package core

import (
	"testing"
	"time"
)

// TestKeyCache pins the rule that keeps a changed key from surviving in the
// cache: a lookup that read the database before an invalidation cannot
// store its (possibly stale) answer after it, an invalidation clears what
// was stored before it, and entries expire.
func TestKeyCache(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newKeyCache(time.Minute, func() time.Time { return now })
	sum := [32]byte{1}

	gen := c.generation()
	c.put(sum, gen, "cli", 7)
	if p := c.get(sum); p == nil || p.ClientID != "cli" || p.ApplicationID != 7 || p.UserID != 0 {
		t.Fatalf("get after put = %+v", p)
	}
	c.invalidate()
	if p := c.get(sum); p != nil {
		t.Fatalf("get after invalidate = %+v, want nothing", p)
	}

	// A lookup that started before the invalidation and finishes after it.
	stale := c.generation()
	c.invalidate()
	c.put(sum, stale, "cli", 7)
	if p := c.get(sum); p != nil {
		t.Fatalf("a lookup from before an invalidation was cached: %+v", p)
	}

	c.put(sum, c.generation(), "cli", 7)
	now = now.Add(time.Minute)
	if p := c.get(sum); p != nil {
		t.Fatalf("an entry outlived its TTL: %+v", p)
	}

	var none *keyCache // PostgreSQL: no cache; invalidating it is a no-op
	none.invalidate()
}
