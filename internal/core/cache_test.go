package core

import (
	"strings"
	"testing"
	"time"
)

// TestReadCache pins the rule that keeps changed data from surviving in a
// cache: a read that looked at the database before an invalidation cannot
// store its (possibly stale) answer after it, an invalidation clears what
// was stored before it, and entries expire.
func TestReadCache(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newReadCache[[32]byte, keyEntry](time.Minute, func() time.Time { return now })
	sum := [32]byte{1}
	want := keyEntry{clientID: "cli", appID: 7}

	gen := c.generation()
	c.put(sum, gen, want)
	if e, ok := c.get(sum); !ok || e != want {
		t.Fatalf("get after put = %+v, %v", e, ok)
	}
	c.invalidate()
	if e, ok := c.get(sum); ok {
		t.Fatalf("get after invalidate = %+v, want nothing", e)
	}

	// A read that started before the invalidation and finishes after it.
	stale := c.generation()
	c.invalidate()
	c.put(sum, stale, want)
	if e, ok := c.get(sum); ok {
		t.Fatalf("a read from before an invalidation was cached: %+v", e)
	}

	c.put(sum, c.generation(), want)
	now = now.Add(time.Minute)
	if e, ok := c.get(sum); ok {
		t.Fatalf("an entry outlived its TTL: %+v", e)
	}

	// forget: the keys named go (and a read from before cannot put them
	// back), the others stay.
	other := [32]byte{2}
	c.put(sum, c.generation(), want)
	c.put(other, c.generation(), want)
	stale = c.generation()
	c.forget(sum)
	c.put(sum, stale, want)
	if e, ok := c.get(sum); ok {
		t.Fatalf("a forgotten entry came back: %+v", e)
	}
	if _, ok := c.get(other); !ok {
		t.Fatal("forget took an entry it was not given")
	}

	// PostgreSQL: no cache; every call is a no-op and nothing is found.
	var none *readCache[[32]byte, keyEntry]
	none.put(sum, none.generation(), want)
	if _, ok := none.get(sum); ok {
		t.Fatal("a nil cache found an entry")
	}
	none.invalidate()
	none.forget(sum)
}

// TestTimeOrdered: identifiers made later sort later, byte by byte, and
// keep the alphabet of their random part.
func TestTimeOrdered(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 1, 2, 3, 0, time.UTC)
	for _, alphabet := range []string{alnumSorted, base32Sorted} {
		prev := ""
		for _, d := range []time.Duration{0, time.Millisecond, time.Second, 61 * time.Minute, 400 * 24 * time.Hour} {
			s := timeOrdered(at.Add(d), alphabet, 9)
			if s <= prev {
				t.Errorf("%q (at +%v) does not sort after %q", s, d, prev)
			}
			for _, c := range s {
				if !strings.ContainsRune(alphabet, c) {
					t.Errorf("%q has %q, not in its alphabet", s, c)
				}
			}
			prev = s
		}
	}
	if got := timeOrdered(time.UnixMilli(61), alnumSorted, 3); got != "00z" {
		t.Errorf("61 ms in base 62 = %q, want 00z", got)
	}
}
