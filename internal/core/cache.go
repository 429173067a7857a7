package core

import (
	"sync"
	"time"
)

// readCache remembers answers of reads on the hot path (the application an
// API key opens, an application's gateway configs), so that an
// integration's requests skip those reads.
//
// An answer must stop being served the moment the write that changes it
// answers. Such writes call invalidate after their commit, and a read that
// looked at the database before that commit could otherwise store the old
// answer after the invalidation; so a reader takes the generation before it
// reads and put refuses its answer if an invalidation happened since. Either
// the invalidation comes after the put and clears it, or it came before and
// the put is refused: no stale entry survives.
//
// This is only correct where this process makes every change, which is why
// the core enables caches on SQLite only (one process owns the file: one
// writer goroutine). On PostgreSQL several nodes share the data and another
// node's write could not clear this node's cache, so there is no cache
// there: a nil *readCache caches nothing. The TTL only bounds the damage if
// someone changes the data behind the server's back (an operator's SQL).
type readCache[K comparable, V any] struct {
	mu      sync.Mutex
	gen     uint64
	entries map[K]cached[V]
	ttl     time.Duration
	now     func() time.Time
}

type cached[V any] struct {
	v     V
	until time.Time
}

// maxCached bounds a cache; when full it starts again empty, which costs one
// read per key.
const maxCached = 10_000

func newReadCache[K comparable, V any](ttl time.Duration, now func() time.Time) *readCache[K, V] {
	return &readCache[K, V]{entries: map[K]cached[V]{}, ttl: ttl, now: now}
}

func (c *readCache[K, V]) get(k K) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || !c.now().Before(e.until) {
		return zero, false
	}
	return e.v, true
}

// generation is taken before the read whose answer is then put.
func (c *readCache[K, V]) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *readCache[K, V]) put(k K, gen uint64, v V) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // the data changed while the read ran: its answer may be stale
	}
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	c.entries[k] = cached[V]{v: v, until: c.now().Add(c.ttl)}
}

// invalidate forgets every entry. The cached data changes rarely, so
// forgetting all of it is simpler than finding what changed and costs one
// read per key afterwards.
func (c *readCache[K, V]) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// forget forgets the entries of keys: for data that changes often, where
// forgetting everything would empty the cache at every write.
func (c *readCache[K, V]) forget(keys ...K) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, k := range keys {
		delete(c.entries, k)
	}
}
