// Package engine opens the store engine a database setting names, for the
// commands that take one (pasarela's --db, pasarela-bench's
// --bootstrap-db): "sqlite:PATH", "sqlite:///abs/path" or a bare path for
// the embedded SQLite, "postgres://…" or "postgresql://…" for PostgreSQL.
package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// DB is what a command needs of an engine beyond store.DB: migrating, and
// checking that the schema is the one this build knows.
type DB interface {
	store.DB
	Migrate(ctx context.Context) error
	Check(ctx context.Context) error
}

// Open opens the database dsn names. onCommit, when not nil, is told the
// size and duration of each commit (metrics). A failure returns a nil
// interface, never an engine's nil pointer inside one, so that a caller's
// deferred Close cannot call into nothing.
func Open(ctx context.Context, dsn string, onCommit func(int, time.Duration)) (DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := postgres.Open(ctx, dsn, postgres.Options{OnCommit: onCommit})
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	path, ok := SQLitePath(dsn)
	if !ok {
		return nil, fmt.Errorf("%q: unknown engine; use sqlite:PATH or postgres://…", dsn)
	}
	if path == "" {
		return nil, errors.New("sqlite: needs a file path, as in sqlite:./pasarela.db")
	}
	db, err := sqlite.Open(path, sqlite.Options{OnCommit: onCommit})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// SQLitePath returns the file path dsn names for SQLite, and false when dsn
// names another engine.
func SQLitePath(dsn string) (string, bool) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", false
		}
		return u.Host + u.Path, true
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(dsn, "sqlite:"), true
	case strings.Contains(dsn, "://"):
		return "", false
	}
	return dsn, true
}
