package processortest

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestMemoryStateCopies: values are copied in and out, as a database would,
// so that a processor cannot pass by sharing slices with its State.
func TestMemoryStateCopies(t *testing.T) {
	ctx := context.Background()
	var s MemoryState
	if v, err := s.Load(ctx, "missing"); v != nil || err != nil {
		t.Fatalf("Load of a missing key: %q, %v; want nil, nil", v, err)
	}
	in := []byte("one")
	if err := s.Save(ctx, "k", in); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, _ := s.Load(ctx, "k")
	out[1] = 'Y'
	again, _ := s.Load(ctx, "k")
	snap := s.Snapshot()
	snap["k"][2] = 'Z'
	if got, _ := s.Load(ctx, "k"); string(got) != "one" || string(again) != "one" {
		t.Fatalf("stored value changed to %q through a caller's slice", got)
	}
}

// TestMemoryStateConcurrent is for -race: the suite's concurrent tests
// rely on it.
func TestMemoryStateConcurrent(t *testing.T) {
	ctx := context.Background()
	var s MemoryState
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			key := fmt.Sprint(i % 3)
			_ = s.Save(ctx, key, []byte(key))
			_, _ = s.Load(ctx, key)
			_ = s.Snapshot()
		})
	}
	wg.Wait()
	if n := len(s.Snapshot()); n != 3 {
		t.Fatalf("%d keys, want 3", n)
	}
}
