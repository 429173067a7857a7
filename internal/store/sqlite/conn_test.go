package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// TestStatementCache checks the per-connection statement cache: a query
// text is prepared once and reused, the cache stops growing at maxStmts
// (further texts still run, unprepared), trim empties a full cache, and a
// query that does not prepare reports its error as it did without a cache.
func TestStatementCache(t *testing.T) {
	db := mustOpen(t, tempPath(t), Options{})
	ctx := context.Background()
	c, err := db.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.release(c, true)
	var n int
	for range 3 {
		if err := c.QueryRowContext(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
			t.Fatalf("SELECT 1 = %d, %v", n, err)
		}
	}
	if len(c.stmts) != 1 {
		t.Fatalf("%d statements cached after one text run three times, want 1", len(c.stmts))
	}
	for i := range maxStmts + 10 {
		if err := c.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	if len(c.stmts) != maxStmts {
		t.Fatalf("%d statements cached, want the bound %d", len(c.stmts), maxStmts)
	}
	c.trim()
	if len(c.stmts) != 0 {
		t.Fatalf("%d statements cached after trim of a full cache, want 0", len(c.stmts))
	}
	if _, err := c.ExecContext(ctx, "SELEKT nonsense"); err == nil {
		t.Fatal("a statement that does not parse ran without error")
	}
	if err := c.QueryRowContext(ctx, "SELECT * FROM nowhere").Scan(&n); err == nil {
		t.Fatal("a query of a missing table answered")
	}
	if len(c.stmts) != 0 {
		t.Fatalf("failed statements were cached: %d", len(c.stmts))
	}
}

// TestViewReleasesConnection checks that a View whose callback fails,
// panics or whose context is canceled gives its connection back outside any
// transaction: afterwards more Views than the pool has connections all work.
func TestViewReleasesConnection(t *testing.T) {
	db := mustOpen(t, tempPath(t), Options{ReadConns: 2})
	ctx := context.Background()
	c := storetest.MustClient(t, db, "com.view")
	boom := errors.New("boom")
	if err := db.View(ctx, func(tx *store.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("View = %v, want the callback's error", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the callback's panic did not reach the caller")
			}
		}()
		db.View(ctx, func(tx *store.Tx) error { panic("boom") }) //nolint:errcheck // it panics
	}()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	err := db.View(canceled, func(tx *store.Tx) error {
		_, err := tx.GetClient(canceled, c.ID)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("View with a canceled context = %v, want context.Canceled", err)
	}
	for range 5 {
		storetest.MustView(t, db, func(tx *store.Tx) error {
			_, err := tx.GetClient(ctx, c.ID)
			return err
		})
	}
}
