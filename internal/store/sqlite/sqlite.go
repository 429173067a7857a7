// Package sqlite is the embedded storage engine: one database file, WAL
// journal, full fsync on commit. All writes pass through a single writer
// goroutine that groups concurrent Update calls into one transaction and one
// fsync, each call in its own savepoint so that one failure rolls back alone.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DefaultMaxBatch bounds how many Update calls share one commit, so that one
// commit's latency stays bounded under heavy load.
const DefaultMaxBatch = 256

// Options tune the engine. The zero value is the production default.
type Options struct {
	// MaxBatch is the most Update calls grouped into one transaction;
	// 1 gives every call its own transaction (for comparison benchmarks).
	MaxBatch int
	// OnCommit, when set, is told the size and duration of every commit.
	OnCommit func(batch int, took time.Duration)
	// ReadConns is the size of the read pool (default 2×CPUs, at least 4).
	ReadConns int
}

// DB is an open SQLite database.
type DB struct {
	write *sql.DB // one connection, used only by the writer goroutine and migrations
	read  *sql.DB
	opts  Options

	reqs chan *request
	quit chan struct{}
	done chan struct{}
	once sync.Once

	// closing is set by Close; inflight counts the Update calls that
	// started before it, which Close lets finish before stopping the
	// writer.
	mu       sync.RWMutex
	closing  bool
	inflight sync.WaitGroup
}

type request struct {
	ctx  context.Context
	fn   func(*store.Tx) error
	done chan error
}

// ErrClosed is returned by Update after Close.
var ErrClosed = &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "store_closed", Message: "the database is closing"}

var dialect = store.Dialect{Translate: translate}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate or Check.
func Open(path string, opts Options) (*DB, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = DefaultMaxBatch
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = max(4, 2*runtime.NumCPU())
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	write, err := sql.Open("sqlite", base+"?_txlock=immediate&"+pragmas)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// Readers never write: query_only makes a stray write fail loudly.
	read, err := sql.Open("sqlite", base+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	// The first connection creates the file and switches it to WAL before
	// any reader opens it.
	if err := write.Ping(); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{write: write, read: read, opts: opts,
		reqs: make(chan *request), quit: make(chan struct{}), done: make(chan struct{})}
	go db.writer()
	return db, nil
}

func (db *DB) migrator() (*store.Migrator, error) {
	migs, err := store.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	return &store.Migrator{DB: db.write, Migrations: migs}, nil
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

// Engine implements store.DB.
func (db *DB) Engine() string { return "sqlite" }

// Ping implements store.DB.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// View implements store.DB on the read pool. A read transaction sees one
// consistent snapshot of the WAL.
func (db *DB) View(ctx context.Context, fn func(*store.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(store.NewTx(tx, dialect))
}

// Update implements store.DB. Once the request has reached the writer the
// caller waits for the outcome even if ctx ends, so that it never mistakes a
// committed write for a failed one. A call that starts after Close returns
// ErrClosed; one that started before is served.
func (db *DB) Update(ctx context.Context, fn func(*store.Tx) error) error {
	db.mu.RLock()
	if db.closing {
		db.mu.RUnlock()
		return ErrClosed
	}
	db.inflight.Add(1)
	db.mu.RUnlock()
	defer db.inflight.Done()
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

// Close stops accepting writes, commits every Update that started before
// it (so that a shutdown never turns a write that was already on its way
// into an error), and closes the database. It is safe to call twice.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.mu.Lock()
		db.closing = true
		db.mu.Unlock()
		db.inflight.Wait()
		close(db.quit)
	})
	<-db.done
	return errors.Join(db.write.Close(), db.read.Close())
}

// writer is the only goroutine that writes. The request channel is
// unbuffered: while one group commits, the next callers wait in send, and the
// writer takes all of them at once for the next group.
func (db *DB) writer() {
	defer close(db.done)
	batch := make([]*request, 0, db.opts.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-db.reqs:
			batch = append(batch, r)
		case <-db.quit:
			return
		}
	gather:
		for len(batch) < db.opts.MaxBatch {
			select {
			case r := <-db.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		db.commit(batch)
	}
}

// commit runs a group in one transaction, each call in a savepoint.
func (db *DB) commit(batch []*request) {
	start := time.Now()
	results := make([]error, len(batch))
	fail := func(err error) {
		for i := range batch {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	// The writer's own context: a caller that goes away must not interrupt a
	// transaction that carries other callers' writes.
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
	} else {
		q := uncancelable{tx}
		aborted := false
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				fail(fmt.Errorf("savepoint: %w", err))
				aborted = true
				break
			}
			if err := run(r.fn, store.NewTx(q, dialect)); err != nil {
				results[i] = err
				if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
					fail(fmt.Errorf("rollback to savepoint: %w", rerr))
					aborted = true
					break
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
				fail(fmt.Errorf("release savepoint: %w", err))
				aborted = true
				break
			}
		}
		if aborted {
			tx.Rollback() //nolint:errcheck // already failing every call
		} else if err := tx.Commit(); err != nil {
			fail(fmt.Errorf("commit: %w", err))
		}
	}
	if db.opts.OnCommit != nil {
		db.opts.OnCommit(len(batch), time.Since(start))
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// run calls fn, turning a panic into an error so that one bad call cannot
// take the writer (and every other caller) down.
func run(fn func(*store.Tx) error, tx *store.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = pasarela.Internal(fmt.Errorf("panic in update: %v", p))
		}
	}()
	return fn(tx)
}

// uncancelable runs a caller's statements without its cancellation: SQLite
// answers an interrupt inside a transaction by rolling back the whole
// transaction, which would take the other callers of the group with it.
type uncancelable struct{ q store.Querier }

func (u uncancelable) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelable) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelable) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// uniqueColumns maps SQLite's "table.column" in a UNIQUE failure message to
// the constraint names both engines share.
var uniqueColumns = map[string]string{
	"clients.code":            store.UniqueClientCode,
	"users.username":          store.UniqueUserUsername,
	"users.email":             store.UniqueUserEmail,
	"applications.key_prefix": store.UniqueAppKeyPrefix,
	"applications.shop_login": store.UniqueAppShopLogin,
	"payments.application_id, payments.merchant_ref": store.UniqueMerchantRef,
	"payments.transaction_id":                        store.UniqueTransactionID,
	"gateway_configs.code":                           store.UniqueGatewayCode,
}

// translate maps constraint failures by their extended result code; SQLite
// names the columns (not the index) of a unique failure, so those are mapped
// through uniqueColumns.
func translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := se.Error()
		if i := strings.LastIndex(msg, "failed: "); i >= 0 {
			cols, _, _ := strings.Cut(msg[i+len("failed: "):], " (")
			if name, ok := uniqueColumns[cols]; ok {
				return store.ConstraintError(name, err)
			}
		}
		return store.ConstraintError("unique_uq", err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return store.ConstraintError(store.ForeignKeyViolation, err)
	}
	return err
}
