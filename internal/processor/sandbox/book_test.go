package sandbox

import (
	"context"
	"sync"
	"testing"

	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/processortest"
)

// TestLocksAreDropped: the lock table holds only charges being worked on,
// so a long-running process does not grow one entry per charge ever made.
func TestLocksAreDropped(t *testing.T) {
	ctx := context.Background()
	b := NewBook(&processortest.MemoryState{})
	c := &ChargeRecord{Ref: "ch_1", Amount: 1000, Currency: "EUR", Status: processor.Captured, Captured: 1000}
	if err := b.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { _, _ = b.Update(ctx, "ch_1", func(c *ChargeRecord) error { return c.Refund(100) }) })
	}
	wg.Wait()
	b.mu.Lock()
	n := len(b.locks)
	b.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d lock entries left after all work ended", n)
	}
	if got, _ := b.Status(ctx, "ch_1"); got.Outcome != processor.Refunded || got.Amount != 1000 {
		t.Fatalf("got %+v", got)
	}
}

// TestUpdateStoresNothingOnError: a refused change leaves the stored
// charge as it was, even though change had already touched its copy.
func TestUpdateStoresNothingOnError(t *testing.T) {
	ctx := context.Background()
	b := NewBook(&processortest.MemoryState{})
	if err := b.Put(ctx, &ChargeRecord{Ref: "ch_1", Amount: 1000, Status: processor.Authorized}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Update(ctx, "ch_1", func(c *ChargeRecord) error {
		c.Status = processor.Canceled
		return c.TakeCapture(1) // now refused: not an authorization
	})
	if err == nil {
		t.Fatal("the change was not refused")
	}
	if got, _ := b.Status(ctx, "ch_1"); got.Outcome != processor.Authorized {
		t.Fatalf("stored %+v after a refused change", got)
	}
}
