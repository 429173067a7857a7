package core

import (
	"context"
	"fmt"
	"sync"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// signingKeys caches the named signing secrets. A secret is written once and
// never changed, so a cached one is never stale, on any node.
type signingKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

// SigningKey returns the secret named name, size random bytes created on
// its first use and kept in the database, so that every node of a cluster
// signs and checks a face's tokens with the same one, and tokens outlive a
// restart. Each token format names its own secret, so a token of one format
// never passes as another's. The answer is cached; the caller must not
// change it. A secret already stored shorter than size is an error rather
// than a weaker key than the caller asked for.
func (s *Service) SigningKey(ctx context.Context, name string, size int) ([]byte, error) {
	if name == "" || size <= 0 {
		return nil, pasarela.Internal(fmt.Errorf("signing key %q of %d bytes", name, size))
	}
	c := &s.secrets
	c.mu.Lock()
	key, ok := c.keys[name]
	c.mu.Unlock()
	if !ok {
		// Not under the lock: a read of the database must not hold up the
		// requests of other formats. Two first uses at once both get the
		// one secret the store's insert let win.
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			key, err = tx.SigningKey(ctx, name, randomBytes(size), s.now())
			return err
		})
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.keys == nil {
			c.keys = map[string][]byte{}
		}
		c.keys[name] = key
		c.mu.Unlock()
	}
	if len(key) < size {
		return nil, pasarela.Internal(fmt.Errorf("signing key %q has %d bytes, fewer than the %d asked for", name, len(key), size))
	}
	return key, nil
}
