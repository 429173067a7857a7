// Package sqlitetest gives tests a migrated SQLite database in a moment.
// Migrating a new file runs every migration, each its own fsynced
// transaction, which under the race detector took most of a second; a
// run's tests open a few thousand databases. The migrations run once per
// test binary instead, and each database starts as a copy of that file.
package sqlitetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pasarela/pasarela/internal/store/sqlite"
)

var (
	once     sync.Once
	image    []byte
	imageErr error
)

// Path returns the path of a new database file in a directory of t's,
// migrated to the newest schema and not yet open. Open it with
// sqlite.Open; its Migrate then finds nothing to do.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() { image, imageErr = migrated() })
	if imageErr != nil {
		t.Fatal(imageErr)
	}
	path := filepath.Join(t.TempDir(), "pasarela.db")
	if err := os.WriteFile(path, image, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// migrated migrates a new database and returns its file. Closing the
// store's last connection moves the WAL into the file and removes it, so
// the file alone is the whole database; a WAL left behind would mean it is
// not, and is refused.
func migrated() ([]byte, error) {
	dir, err := os.MkdirTemp("", "sqlitetest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pasarela.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		return nil, fmt.Errorf("sqlitetest: %s-wal holds %d bytes after closing", path, st.Size())
	}
	return os.ReadFile(path)
}
