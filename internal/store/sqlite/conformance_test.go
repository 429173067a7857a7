package sqlite_test

import (
	"context"
	"testing"

	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// open opens a migrated database (a copy of sqlitetest's file) and closes it
// when the test ends; Migrate runs as a server's start would, finding
// nothing to do.
func open(t *testing.T, opts sqlite.Options) store.DB {
	t.Helper()
	db, err := sqlite.Open(sqlitetest.Path(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.DB { return open(t, sqlite.Options{}) })
}

// TestConformanceUngrouped runs the suite with one transaction per Update,
// the configuration the benchmark compares against, so that both paths of
// the writer stay correct.
func TestConformanceUngrouped(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: the grouped writer is tested by TestConformance")
	}
	storetest.Run(t, func(t *testing.T) store.DB { return open(t, sqlite.Options{MaxBatch: 1}) })
}
