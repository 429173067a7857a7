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
	// write has two connections: wconn, pinned by the writer goroutine for
	// its whole life, and a spare for migrations, Check and tests, which
	// SQLite's own write lock (and busy_timeout) serialises with the writer.
	write *sql.DB
	wconn *conn
	// read backs the pool of pinned read connections, which View hands out
	// one at a time; free holds those not in use (nil until first opened).
	read   *sql.DB
	free   chan *conn
	closed chan struct{}
	opts   Options

	queue *store.Queue
	done  chan struct{}
	once  sync.Once
	// call and group are the writer's statistics rollups (see
	// store.Rollup): one call's, and its group's.
	call, group store.Rollup
	// changes is what the writer's current group changed, recorded by
	// preUpdate and the group's Tx; watchers are told after each commit
	// (see store.DB's WatchPayments).
	changes  store.Changes
	memo     store.GroupMemo
	watchMu  sync.Mutex
	watchers []func(ids []int64, all bool)
}

// ErrClosed is returned by Update after Close.
var ErrClosed = store.ErrClosed

var dialect = store.Dialect{Translate: translate, AddBuckets: addBuckets, AddCounts: addCounts}

// addBucket adds to one row of payment_buckets_created: a group's creates
// share few rows (an application's current quarter, hour, four hours and
// day), so one prepared single-row upsert per row is all a commit needs.
const addBucket = `INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, count, amount, refunded)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	ON CONFLICT (client_id, application_id, slot, day, status, currency) DO UPDATE SET
	count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded`

func addBuckets(ctx context.Context, q store.Querier, rows []store.BucketRow) error {
	for _, r := range rows {
		if _, err := q.ExecContext(ctx, addBucket, r.ClientID, r.ApplicationID, r.Slot, r.Day, r.Status, r.Currency,
			r.Count, r.Amount, r.Refunded); err != nil {
			return fmt.Errorf("statistics rollup: %w", err)
		}
	}
	return nil
}

// addCount adds to one row of payment_counts; SQLite keeps one shard (0).
const addCount = `INSERT INTO payment_counts (client_id, application_id, status, shard, count) VALUES ($1, $2, $3, 0, $4)
	ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = count + excluded.count`

func addCounts(ctx context.Context, q store.Querier, rows []store.CountRow) error {
	for _, r := range rows {
		if _, err := q.ExecContext(ctx, addCount, r.ClientID, r.ApplicationID, r.Status, r.Count); err != nil {
			return fmt.Errorf("payment counts: %w", err)
		}
	}
	return nil
}

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
	// temp_store(MEMORY) keeps the statement sub-journal, which every
	// savepoint of a group writes a page's old content to before changing
	// it, in memory: by default it spills to a temporary file past 64 KiB,
	// and a group of payments crossed that, costing a write syscall per
	// page (BenchmarkPaymentWrite: about a fifth more payments per second
	// in memory). It only ever serves to roll a savepoint back, so
	// durability is untouched: commits still fsync the WAL
	// (synchronous=FULL).
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=temp_store(MEMORY)"
	write, err := sql.Open("sqlite", base+"?_txlock=immediate&"+pragmas)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(2)
	write.SetMaxIdleConns(2)
	write.SetConnMaxLifetime(0)
	// Readers never write: query_only makes a stray write fail loudly.
	read, err := sql.Open("sqlite", base+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, err
	}
	// The pool of pinned connections below bounds the readers; database/sql
	// only opens them (and one more for a test's direct query).
	read.SetMaxIdleConns(1)
	// The first connection creates the file and switches it to WAL before
	// any reader opens it.
	wc, err := write.Conn(context.Background())
	if err == nil {
		err = wc.PingContext(context.Background())
	}
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{write: write, wconn: newConn(wc), read: read, opts: opts,
		free: make(chan *conn, opts.ReadConns), closed: make(chan struct{}),
		queue: store.NewQueue(), done: make(chan struct{})}
	for range opts.ReadConns {
		db.free <- nil // opened on first use
	}
	if err := wc.Raw(func(dc any) error {
		h, ok := dc.(sqlite.HookRegisterer)
		if !ok {
			return fmt.Errorf("the driver's connection (%T) takes no update hook", dc)
		}
		h.RegisterPreUpdateHook(db.preUpdate)
		return nil
	}); err != nil {
		write.Close()
		read.Close()
		return nil, err
	}
	go db.writer()
	return db, nil
}

func (db *DB) migrator() (*store.Migrator, error) {
	migs, err := Migrations()
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
func (db *DB) Engine() string { return "sqlite" }

// Ping implements store.DB: it checks a connection of the read pool, the
// one requests read through.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	err = c.c.PingContext(ctx)
	db.release(c, err == nil)
	return err
}

// acquire takes a read connection from the pool, opening it on first use.
func (db *DB) acquire(ctx context.Context) (*conn, error) {
	var c *conn
	select {
	case c = <-db.free:
	case <-db.closed:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c != nil {
		return c, nil
	}
	sc, err := db.read.Conn(ctx)
	if err != nil {
		db.free <- nil
		return nil, err
	}
	return newConn(sc), nil
}

// release puts a read connection back; one left in an unknown state is
// discarded instead, and its slot reopened by the next acquire.
func (db *DB) release(c *conn, ok bool) {
	if !ok {
		c.discard()
		c = nil
	}
	db.free <- c
}

// View implements store.DB on the read pool. A read transaction sees one
// consistent snapshot of the WAL: in WAL mode the snapshot is taken by the
// first read after BEGIN and held until ROLLBACK.
func (db *DB) View(ctx context.Context, fn func(*store.Tx) error) error {
	return store.ContextCause(ctx, db.view(ctx, fn))
}

func (db *DB) view(ctx context.Context, fn func(*store.Tx) error) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	// BEGIN and ROLLBACK run whatever happens to the caller's context: a
	// connection must never go back to the pool inside a transaction.
	bg := context.WithoutCancel(ctx)
	c.trim()
	if err := c.execSQL(bg, "BEGIN"); err != nil {
		db.release(c, false)
		return err
	}
	defer func() {
		// A panic in fn goes on to the caller, but the connection is
		// still rolled back (or dropped) first.
		db.release(c, c.execSQL(bg, "ROLLBACK") == nil)
	}()
	return fn(store.NewTx(readQuerier{c}, dialect))
}

// ReadOne implements store.DB on the read pool, without BEGIN and
// ROLLBACK: the one statement is a read transaction of its own.
func (db *DB) ReadOne(ctx context.Context, fn func(*store.Tx) error) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return store.ContextCause(ctx, err)
	}
	ok := false
	defer func() { db.release(c, ok) }()
	c.trim()
	err = fn(store.NewReadOneTx(readQuerier{c}, dialect))
	ok = true
	return store.ContextCause(ctx, err)
}

// readQuerier runs a View's statements without the caller's cancellation,
// checking it before each statement instead. With a cancelable context the
// driver starts a goroutine per statement to interrupt it and database/sql
// another per result set to close it, which was a tenth of a read's cost;
// a read's statements are short (pages are at most 100 rows), so a caller
// that goes away now stops at the next statement rather than in the middle
// of one.
type readQuerier struct{ c *conn }

func (r readQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.c.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (r readQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.c.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (r readQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() != nil {
		// Given the canceled context, the driver answers with a row
		// holding the error without running the query.
		return r.c.QueryRowContext(ctx, query, args...)
	}
	return r.c.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// Update implements store.DB. Once the request has reached the writer the
// caller waits for the outcome even if ctx ends, so that it never mistakes a
// committed write for a failed one. A call that starts after Close returns
// ErrClosed; one that started before is served.
func (db *DB) Update(ctx context.Context, fn func(*store.Tx) error) error {
	return store.ContextCause(ctx, db.queue.Submit(ctx, fn))
}

// Close stops accepting writes, commits every Update that started before
// it (so that a shutdown never turns a write that was already on its way
// into an error), and closes the database. It is safe to call twice.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.queue.Close()
		<-db.done
		// Views that hold a read connection finish; later ones are
		// refused.
		close(db.closed)
		for range db.opts.ReadConns {
			if c := <-db.free; c != nil {
				c.close()
			}
		}
	})
	<-db.done
	return errors.Join(db.write.Close(), db.read.Close())
}

// WatchPayments implements store.DB: every change goes through the
// writer's connection, whose update hook sees each row.
func (db *DB) WatchPayments(fn func(ids []int64, all bool)) bool {
	db.watchMu.Lock()
	defer db.watchMu.Unlock()
	db.watchers = append(db.watchers, fn)
	return true
}

// preUpdate is the writer connection's hook, called before each row a
// statement (or a trigger) inserts, updates or deletes. It reads row ids
// only: reading a column of the row would cost more than the write is
// worth on every payment. A payment (or its deposit, whose row id is the
// payment's) changes by id; a child's parent is added by the Tx that
// wrote the child (store.Changes); refunds and links, rare next to
// payments, change every payment, since their owner would be a column.
// New payments are in no one's memory yet.
func (db *DB) preUpdate(d sqlite.SQLitePreUpdateData) {
	switch d.TableName {
	case "payments":
		if d.Op != sqlite3.SQLITE_INSERT {
			db.changes.Payment(d.OldRowID)
		}
	case "crypto_deposits":
		db.changes.Payment(d.OldRowID)
		db.changes.Payment(d.NewRowID)
	case "refunds", "payment_links":
		db.changes.All = true
	}
}

// tellWatchers passes a group's changes on, before its callers are told.
func (db *DB) tellWatchers() {
	if db.changes.Empty() {
		return
	}
	db.watchMu.Lock()
	watchers := db.watchers
	db.watchMu.Unlock()
	for _, fn := range watchers {
		fn(db.changes.IDs, db.changes.All)
	}
}

// writer is the only goroutine that writes. The request channel is
// unbuffered: while one group commits, the next callers wait in send, and the
// writer takes all of them at once for the next group.
func (db *DB) writer() {
	defer close(db.done)
	defer db.wconn.close()
	batch := make([]*store.Call, 0, db.opts.MaxBatch)
	for {
		var ok bool
		if batch, ok = db.queue.Next(batch, db.opts.MaxBatch); !ok {
			return
		}
		db.commit(batch)
	}
}

// commit runs a group in one transaction, each call in a savepoint. The
// transaction is driven with plain BEGIN/COMMIT on the writer's pinned
// connection, so that every statement, these included, is prepared once
// per connection and reused (see conn).
func (db *DB) commit(batch []*store.Call) {
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
	c := db.wconn
	c.trim()
	// A group of one needs no savepoint: if its call fails, rolling back
	// the transaction undoes exactly that call. Under load groups are
	// larger and each call gets its own.
	savepoints := len(batch) > 1
	db.changes.Reset()
	db.memo.Reset()
	err := c.execSQL(ctx, "BEGIN IMMEDIATE")
	if err != nil {
		// A transaction left open by an earlier failure would refuse
		// every later BEGIN: end it and try once more.
		c.execSQL(ctx, "ROLLBACK") //nolint:errcheck // BEGIN's second answer is the one that matters
		err = c.execSQL(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
	} else {
		q := store.Uncancelable{Q: c}
		aborted, kept := false, 0
		// The group's statistics rows, written once before COMMIT; each
		// call's own go in only once its savepoint is released.
		db.group.Reset()
		for i, r := range batch {
			if err := r.Err(); err != nil {
				results[i] = err
				continue
			}
			if savepoints {
				if err := c.execSQL(ctx, "SAVEPOINT w"); err != nil {
					fail(fmt.Errorf("savepoint: %w", err))
					aborted = true
					break
				}
			}
			db.call.Reset()
			tx := store.NewTx(q, dialect)
			tx.DeferRollups(&db.call)
			tx.NoteChanges(&db.changes)
			tx.ShareMemo(&db.memo)
			err := r.Run(tx)
			if err != nil {
				results[i] = err
				// What the call read after its own writes goes with them.
				db.memo.Reset()
			} else {
				kept++
			}
			if !savepoints {
				if err == nil {
					db.group.Merge(&db.call)
				}
				break
			}
			if err != nil {
				if rerr := c.execSQL(ctx, "ROLLBACK TO w"); rerr != nil {
					fail(fmt.Errorf("rollback to savepoint: %w", rerr))
					aborted = true
					break
				}
			}
			if err := c.execSQL(ctx, "RELEASE w"); err != nil {
				fail(fmt.Errorf("release savepoint: %w", err))
				aborted = true
				break
			}
			if results[i] == nil {
				db.group.Merge(&db.call)
			}
		}
		if !aborted && kept > 0 {
			if err := store.FlushRollup(ctx, q, dialect, &db.group); err != nil {
				fail(err)
				aborted = true
			}
		}
		switch {
		case aborted || kept == 0:
			// Nothing to keep (or a broken group): roll back. Should
			// this fail, the next group's BEGIN ends the transaction.
			if err := c.execSQL(ctx, "ROLLBACK"); err != nil && !aborted {
				fail(fmt.Errorf("rollback: %w", err))
			}
		default:
			if err := c.execSQL(ctx, "COMMIT"); err != nil {
				// A failed COMMIT can leave the transaction open; end
				// it so that the next group starts clean.
				c.execSQL(ctx, "ROLLBACK") //nolint:errcheck // the COMMIT error is the one that matters
				fail(fmt.Errorf("commit: %w", err))
			}
		}
	}
	if db.opts.OnCommit != nil {
		db.opts.OnCommit(len(batch), time.Since(start))
	}
	// Rolled-back changes are passed on too: forgetting an answer that
	// did not change costs one read.
	db.tellWatchers()
	for i, r := range batch {
		r.Finish(results[i])
	}
}

// uniqueColumns maps SQLite's "table.column" in a UNIQUE failure message to
// the constraint names both engines share.
var uniqueColumns = map[string]string{
	"clients.code":            store.UniqueClientCode,
	"users.username":          store.UniqueUserUsername,
	"users.email":             store.UniqueUserEmail,
	"applications.key_prefix": store.UniqueAppKeyPrefix,
	"applications.shop_login": store.UniqueAppShopLogin,
	"payments.application_id, payments.merchant_ref":      store.UniqueMerchantRef,
	"payments.transaction_id":                             store.UniqueTransactionID,
	"gateway_configs.code":                                store.UniqueGatewayCode,
	"stored_cards.application_id, stored_cards.reference": store.UniqueStoredCardRef,
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
