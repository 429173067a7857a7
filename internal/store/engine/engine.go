// Package engine opens the store engine a database setting names, for the
// commands that take one (pasarela's --db, pasarela-bench's
// --bootstrap-db): "sqlite:PATH", "sqlite:///abs/path" or a bare path for
// the embedded SQLite, "postgres://…" or "postgresql://…" for PostgreSQL.
package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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
	// Versions is the schema version the database is at and the newest
	// this binary knows.
	Versions(ctx context.Context) (current, latest int, err error)
}

// ErrNoDatabase is the error of OpenExisting for a database that is not
// there: only serve and migrate create one, so that a typo in --db is
// never a new, empty database that every check passes.
var ErrNoDatabase = errors.New("no such database")

// OpenExisting opens the database dsn names as Open does, but refuses one
// that does not exist yet (a SQLite file that is not there; PostgreSQL
// refuses a database that was never created by itself) and one that no
// migration has made a pasarela database of. The operator commands other
// than migrate open their database with it.
func OpenExisting(ctx context.Context, dsn string, onCommit func(int, time.Duration)) (DB, error) {
	if path, ok := SQLitePath(dsn); ok && path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist (run `pasarela migrate --db %s` to create it)", ErrNoDatabase, path, dsn)
		} else if err != nil {
			return nil, err
		}
	}
	db, err := Open(ctx, dsn, onCommit)
	if err != nil {
		return nil, err
	}
	current, _, err := db.Versions(ctx)
	if err == nil && current == 0 {
		err = fmt.Errorf("%w: it holds no pasarela schema (run `pasarela migrate` to create one)", ErrNoDatabase)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
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

// SchemaVersions returns the newest schema version this binary knows of
// each engine, for `pasarela version`.
func SchemaVersions() (sqliteVersion, postgresVersion int, err error) {
	s, err := sqlite.Migrations()
	if err != nil {
		return 0, 0, err
	}
	p, err := postgres.Migrations()
	if err != nil {
		return 0, 0, err
	}
	return len(s), len(p), nil
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

// KeyFile is where the gateway's secret key (which seals the secrets the
// database holds) is kept for the database dsn names, unless file, an
// operator's --secret-key-file, says where: beside a SQLite file (never
// inside it, so a copy of the database alone opens no secret), or
// ./pasarela.key.
func KeyFile(dsn, file string) string {
	if file != "" {
		return file
	}
	if dbPath, ok := SQLitePath(dsn); ok {
		return filepath.Join(filepath.Dir(dbPath), filepath.Base(dbPath)+".key")
	}
	return "pasarela.key"
}

// DecodeKey reads a secret key as its file or PASARELA_SECRET_KEY holds it:
// the standard base64 of 32 bytes, blanks around it ignored.
func DecodeKey(s string) ([]byte, bool) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	return k, err == nil && len(k) == 32
}
