// Package postgres is the scale-out storage engine: many gateway nodes share
// one PostgreSQL database, and the pool runs their transactions concurrently.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock serialises migrations of nodes that start together on one
// schema; the number is arbitrary but fixed. Keyed by the schema too, so
// that databases in other schemas of the same server (tests, each in a
// schema of its own, hundreds per run) migrate side by side instead of
// one at a time.
const migrationLock = `SELECT pg_advisory_xact_lock(7364913, hashtext(current_schema()))`

// Options tune the engine.
type Options struct {
	// MaxConns bounds the pool (default: the DSN's pool_max_conns, else
	// 20), so that the nodes of a cluster can share the server's
	// max_connections.
	MaxConns int
	// Writers is how many pinned connections of the pool commit groups of
	// Update calls (default DefaultWriters, at most half of MaxConns, so
	// that reads keep the rest).
	Writers int
	// MaxBatch is the most Update calls grouped into one transaction
	// (default DefaultMaxBatch); 1 gives every call its own transaction.
	MaxBatch int
	// OnCommit, when set, is told the size and duration of every commit,
	// so that metrics read the same on both engines.
	OnCommit func(batch int, took time.Duration)
}

// DB is an open PostgreSQL database.
type DB struct {
	db   *sql.DB
	opts Options

	queue   *store.Queue
	writers sync.WaitGroup
	once    sync.Once
}

var dialect = store.Dialect{Translate: translate, ForUpdate: " FOR UPDATE", BucketShards: bucketShards, AddBuckets: addBuckets, AddCounts: addCounts}

// readDialect is for View: PostgreSQL refuses SELECT … FOR UPDATE in a
// read-only transaction, and a read has no state change to guard, so the
// shared queries that lock in a write read plainly in a view.
var readDialect = store.Dialect{Translate: translate, BucketShards: bucketShards, AddBuckets: addBuckets, AddCounts: addCounts}

// bucketShards is the shard count of the statistics rollups (the stats
// migration: a payment's rows are those of its id modulo 8).
const bucketShards = 8

// addBucketRows adds any number of rows to payment_buckets_created in one
// statement (one round trip), in the order given: the rows are locked in
// that order (see store.Rollup.Rows).
const addBucketRows = `INSERT INTO payment_buckets_created AS t (client_id, application_id, slot, day, status, currency, shard, count, amount, refunded)
	SELECT u.c, u.a, u.sl, u.d, u.st, u.cu, u.sh, u.n, u.am, u.re
	FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::int[], $5::text[], $6::text[], $7::smallint[], $8::bigint[], $9::bigint[], $10::bigint[])
		WITH ORDINALITY AS u (c, a, sl, d, st, cu, sh, n, am, re, ord)
	ORDER BY u.ord
	ON CONFLICT (client_id, application_id, slot, day, status, currency, shard) DO UPDATE SET
	count = t.count + EXCLUDED.count, amount = t.amount + EXCLUDED.amount, refunded = t.refunded + EXCLUDED.refunded`

// addCountRows adds any number of rows to payment_counts in one statement,
// in the order given, on the shard the connection names (a writer's own,
// see migration 0020; shard 0 for a connection that names none).
const addCountRows = `INSERT INTO payment_counts AS c (client_id, application_id, status, shard, count)
	SELECT u.c, u.a, u.st, COALESCE(NULLIF(current_setting('pasarela.count_shard', true), '')::smallint, 0), u.n
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) WITH ORDINALITY AS u (c, a, st, n, ord)
	ORDER BY u.ord
	ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = c.count + EXCLUDED.count`

func addCounts(ctx context.Context, q store.Querier, rows []store.CountRow) error {
	n := len(rows)
	clients, apps, statuses, counts := make([]string, n), make([]int64, n), make([]string, n), make([]int64, n)
	for i, r := range rows {
		clients[i], apps[i], statuses[i], counts[i] = r.ClientID, r.ApplicationID, r.Status, r.Count
	}
	if _, err := q.ExecContext(ctx, addCountRows, clients, apps, statuses, counts); err != nil {
		return fmt.Errorf("payment counts: %w", err)
	}
	return nil
}

func addBuckets(ctx context.Context, q store.Querier, rows []store.BucketRow) error {
	n := len(rows)
	clients, statuses, currencies := make([]string, n), make([]string, n), make([]string, n)
	apps, slots, days, shards := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	counts, amounts, refunded := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, r := range rows {
		clients[i], apps[i], slots[i], days[i], statuses[i] = r.ClientID, r.ApplicationID, r.Slot, r.Day, r.Status
		currencies[i], shards[i], counts[i], amounts[i], refunded[i] = r.Currency, r.Shard, r.Count, r.Amount, r.Refunded
	}
	if _, err := q.ExecContext(ctx, addBucketRows, clients, apps, slots, days, statuses, currencies, shards,
		counts, amounts, refunded); err != nil {
		return fmt.Errorf("statistics rollup: %w", err)
	}
	return nil
}

// Open connects with a postgres:// URL or key=value DSN. It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres dsn: %w", err)
	}
	// pool_max_conns is the pool's size, under the name pgx's own pool
	// reads; pgx would otherwise send it to the server as a setting,
	// which the server refuses.
	if v, ok := cfg.RuntimeParams["pool_max_conns"]; ok {
		delete(cfg.RuntimeParams, "pool_max_conns")
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			return nil, fmt.Errorf("postgres dsn: pool_max_conns %q: want a whole number of at least 2", v)
		}
		if opts.MaxConns <= 0 {
			opts.MaxConns = n
		}
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.Writers <= 0 {
		opts.Writers = DefaultWriters
	}
	opts.Writers = max(1, min(opts.Writers, opts.MaxConns/2))
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	d := &DB{db: db, opts: opts, queue: store.NewQueue()}
	d.writers.Add(opts.Writers)
	for i := range opts.Writers {
		go d.writer(i)
	}
	return d, nil
}

// WatchPayments implements store.DB: other nodes change payments too, so
// this node cannot tell every change.
func (db *DB) WatchPayments(func(ids []int64, all bool)) bool { return false }

func (db *DB) migrator() (*store.Migrator, error) {
	migs, err := Migrations()
	if err != nil {
		return nil, err
	}
	return &store.Migrator{DB: db.db, Migrations: migs, Lock: migrationLock}, nil
}

// Migrate brings the schema up to date.
func (db *DB) Migrate(ctx context.Context) error {
	m, err := db.migrator()
	if err != nil {
		return err
	}
	return m.Up(ctx)
}

// Check refuses a schema that is newer than this binary, or not migrated.
func (db *DB) Check(ctx context.Context) error {
	m, err := db.migrator()
	if err != nil {
		return err
	}
	return m.Check(ctx)
}

// Migrations returns this engine's migrations, in order: the last one's
// number is the schema version this binary knows.
func Migrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFiles, "migrations")
}

// Versions returns the schema version the database is at (0 for a
// database no migration has touched) and the newest one this binary knows,
// so that a command can say what a migration did.
func (db *DB) Versions(ctx context.Context) (current, latest int, err error) {
	m, err := db.migrator()
	if err != nil {
		return 0, 0, err
	}
	return m.Versions(ctx)
}

// Engine implements store.DB.
func (db *DB) Engine() string { return "postgres" }

// Ping implements store.DB.
func (db *DB) Ping(ctx context.Context) error { return db.db.PingContext(ctx) }

// Close implements store.DB. It stops accepting writes, commits every
// Update that started before it (so that a shutdown never turns a write
// that was already on its way into an error), and closes the pool. It is
// safe to call twice.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.queue.Close()
		db.writers.Wait()
	})
	return db.db.Close()
}

// View implements store.DB with a read-only REPEATABLE READ transaction.
// PostgreSQL's default, READ COMMITTED, takes a new snapshot for every
// statement, so a list's count and its page could disagree; a read-only
// transaction at REPEATABLE READ sees one snapshot and never fails to
// serialize.
func (db *DB) View(ctx context.Context, fn func(*store.Tx) error) error {
	return store.ContextCause(ctx, unavailable(db.view(ctx, fn)))
}

func (db *DB) view(ctx context.Context, fn func(*store.Tx) error) error {
	tx, err := db.begin(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(store.NewTx(tx, readDialect))
}

// ReadOne implements store.DB on the pool, without a transaction.
func (db *DB) ReadOne(ctx context.Context, fn func(*store.Tx) error) error {
	return store.ContextCause(ctx, unavailable(fn(store.NewReadOneTx(db.db, readDialect))))
}

// Update implements store.DB: a writer commits the call in a group with
// the others waiting at that moment (see writer.go); rows that a state
// change depends on are locked with FOR UPDATE by the queries themselves.
func (db *DB) Update(ctx context.Context, fn func(*store.Tx) error) error {
	return store.ContextCause(ctx, unavailable(db.queue.Submit(ctx, fn)))
}

// beginAttempts bounds the tries of begin.
const beginAttempts = 8

// begin starts a transaction, going past the pool's dead connections. A
// connection whose caller went away mid-query is closed by pgx, and under
// load several such connections can sit in the pool at once (closed after
// database/sql last checked them): BeginTx then answers driver.ErrBadConn
// once its own three tries (two pooled connections, then any) have all met
// one, although the database is up. Each failed try removes the connection
// it met, so trying again soon reaches a live one. Nothing of the
// transaction has run when BeginTx fails, so trying again is safe for an
// Update as for a View; a database that is really down fails every try
// and is reported unavailable as before.
func (db *DB) begin(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	for i := 1; ; i++ {
		tx, err := db.db.BeginTx(ctx, opts)
		if err == nil || i == beginAttempts || !errors.Is(err, driver.ErrBadConn) || ctx.Err() != nil {
			return tx, err
		}
	}
}

// errUnavailable is what a request gets while the database cannot be
// reached (restarting, failing over, the network down): a 503 in every
// face, which clients retry, rather than an internal error. /readyz says
// the same meanwhile, and the pool reconnects by itself when it is back.
var errUnavailable = pasarela.Errorf(pasarela.KindUnavailable, "database_unavailable",
	"the database is unavailable for a moment; try again")

// unavailable marks err as errUnavailable when it says the database could
// not be reached or went away: a refused or broken connection, or the
// server shutting down or starting (SQLSTATE classes 08 and 57P0x).
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	var e *pasarela.Error
	if errors.As(err, &e) {
		return err
	}
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &pe):
		if !strings.HasPrefix(pe.Code, "08") && pe.Code != "57P01" && pe.Code != "57P02" && pe.Code != "57P03" {
			return err
		}
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), pgconn.SafeToRetry(err), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
	default:
		return err
	}
	wrapped := *errUnavailable
	wrapped.Err = err
	return &wrapped
}

// translate maps PostgreSQL constraint violations by constraint name.
func translate(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return store.ConstraintError(pe.ConstraintName, err)
	case "23503": // foreign_key_violation
		return store.ConstraintError(store.ForeignKeyViolation, err)
	}
	return err
}
