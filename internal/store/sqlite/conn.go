package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
)

// maxStmts bounds the statements kept per connection. The queries of the
// store are a few dozen fixed texts; list queries vary with their filters
// and sort orders, which callers choose, so without a bound a client could
// grow the cache without end.
const maxStmts = 256

// conn is one SQLite connection pinned for the life of the DB, with the
// statements it has prepared. The driver cannot cache statements itself and
// database/sql prepares every query anew unless given a *sql.Stmt, and a
// *sql.Stmt is only reused without re-preparing on the connection it was
// prepared on: so each connection keeps its own, keyed by query text.
// Parsing and planning was about a third of the writer's time, more for the
// 33-column payment insert.
//
// A conn is used by one goroutine at a time (the writer, or the View that
// took it from the pool), so it needs no lock. A statement must not run
// again while rows of its previous run are open; the store's methods never
// return open rows, and SQLite refuses such a run (SQLITE_MISUSE) rather
// than answering wrongly.
type conn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func newConn(c *sql.Conn) *conn { return &conn{c: c, stmts: map[string]*sql.Stmt{}} }

// stmt returns the prepared statement of query, preparing it on first use,
// or nil when the cache is full or the query does not prepare; the caller
// then runs the query unprepared, which reports any error as before.
func (c *conn) stmt(ctx context.Context, query string) *sql.Stmt {
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if len(c.stmts) >= maxStmts {
		return nil
	}
	s, err := c.c.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = s
	return s
}

// trim empties a full cache. It is called only between transactions, when
// no statement has rows open: closing a statement finalizes it in SQLite.
func (c *conn) trim() {
	if len(c.stmts) < maxStmts {
		return
	}
	for q, s := range c.stmts {
		s.Close()
		delete(c.stmts, q)
	}
}

func (c *conn) close() {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	c.c.Close()
}

// discard closes a connection in an unknown state (a transaction that
// would not end) for good: database/sql would otherwise keep it for reuse.
func (c *conn) discard() {
	c.c.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // ErrBadConn is the point
	c.close()
}

// execSQL runs one of the engine's own statements (BEGIN, SAVEPOINT …).
func (c *conn) execSQL(ctx context.Context, query string) error {
	_, err := c.ExecContext(ctx, query)
	return err
}

// ExecContext implements store.Querier.
func (c *conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := c.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.c.ExecContext(ctx, query, args...)
}

// QueryContext implements store.Querier.
func (c *conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.c.QueryContext(ctx, query, args...)
}

// QueryRowContext implements store.Querier.
func (c *conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.c.QueryRowContext(ctx, query, args...)
}
