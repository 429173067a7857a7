package processortest

import (
	"context"
	"maps"
	"slices"
	"sync"
)

// MemoryState is a processor.State in memory, for tests. The zero value is
// ready to use and it is safe for concurrent use. It copies values in and
// out, as a database would, so that a processor that keeps using a slice
// after Save or changes one after Load cannot pass a test it would fail
// against the core's real State.
type MemoryState struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// Load returns a copy of the value under key, or nil when there is none.
func (s *MemoryState) Load(_ context.Context, key string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[key]
	if !ok {
		return nil, nil
	}
	return slices.Clone(v), nil
}

// Save stores a copy of value under key.
func (s *MemoryState) Save(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[key] = slices.Clone(value)
	return nil
}

// Snapshot returns a copy of everything stored, so that a test can check
// what a processor keeps (say, that no card number ever reaches storage).
func (s *MemoryState) Snapshot() map[string][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := maps.Clone(s.m)
	for k, v := range out {
		out[k] = slices.Clone(v)
	}
	if out == nil {
		out = map[string][]byte{}
	}
	return out
}
