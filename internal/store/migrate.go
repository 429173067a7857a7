package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change of an engine.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads files named NNNN_name.sql from dir of fsys, in order.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive number and an underscore", name)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version != i+1 {
			return nil, fmt.Errorf("migration %q: versions must run 1, 2, 3… without gaps", out[i].Name)
		}
	}
	return out, nil
}

// Migrator applies an engine's migrations. Lock, when set, is run first in
// every migration transaction so that several nodes starting together apply
// each migration once (an advisory lock on PostgreSQL).
type Migrator struct {
	DB         *sql.DB
	Migrations []Migration
	Lock       string
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`

// Version returns the schema version the database is at (0 when empty).
func (m *Migrator) Version(ctx context.Context) (int, error) {
	if _, err := m.DB.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("schema_migrations: %w", err)
	}
	var v sql.NullInt64
	if err := m.DB.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// Latest is the newest version this binary knows.
func (m *Migrator) Latest() int { return len(m.Migrations) }

// Versions returns the schema version the database is at (0 for a
// database no migration has touched) and the newest one m knows, so that a
// command can say what a migration did.
func (m *Migrator) Versions(ctx context.Context) (current, latest int, err error) {
	current, err = m.Version(ctx)
	return current, m.Latest(), err
}

// Check refuses a database whose schema is newer than this binary knows, and
// one that still needs migrations when the caller was told not to run them.
func (m *Migrator) Check(ctx context.Context) error {
	v, err := m.Version(ctx)
	if err != nil {
		return err
	}
	if v > m.Latest() {
		return fmt.Errorf("database schema is at version %d, newer than this binary knows (%d): upgrade pasarela", v, m.Latest())
	}
	if v < m.Latest() {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `pasarela migrate`", v, m.Latest())
	}
	return nil
}

// Up applies every migration the database lacks, each in its own transaction.
func (m *Migrator) Up(ctx context.Context) error {
	if _, err := m.Version(ctx); err != nil {
		return err
	}
	for _, mig := range m.Migrations {
		if err := m.apply(ctx, mig); err != nil {
			return fmt.Errorf("migration %s: %w", mig.Name, err)
		}
	}
	return m.Check(ctx)
}

func (m *Migrator) apply(ctx context.Context, mig Migration) error {
	tx, err := m.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if m.Lock != "" {
		if _, err := tx.ExecContext(ctx, m.Lock); err != nil {
			return err
		}
	}
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, mig.Version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, mig.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		mig.Version, mig.Name, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}
