package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pasarela/pasarela/internal/store"
)

// Group commit. Each writer pins one connection and commits every Update
// waiting at that moment in one transaction, each call in its own
// savepoint so that one failure rolls back alone, as the SQLite engine
// does. A create was five round trips of which two (BEGIN, COMMIT) and the
// commit's WAL flush were its own; in a group they are shared, and the
// writers' connections keep their prepared statements warm.
//
// Savepoint statements travel with their neighbours: "RELEASE w; SAVEPOINT
// w" is one round trip (pgx sends a statement without arguments by the
// simple protocol, which takes several), and a call that fails is rolled
// back to w, which stays in place for the next call.

// DefaultMaxBatch bounds a group at 64 calls: PostgreSQL keeps the
// subtransaction ids of one transaction in a cache of 64 per backend, and a
// transaction past it makes every other session's snapshot look its
// subtransactions up on disk (pg_subtrans) until it ends.
const DefaultMaxBatch = 64

// DefaultWriters is how many connections commit groups side by side: with
// one, every statement of every create waits for the one before it (a
// round trip each); with a few, the round trips of one group overlap
// another's and its commit.
const DefaultWriters = 4

// countShards is how many rows payment_counts keeps per application and
// status (migration 0017); a writer moves only its own.
const countShards = 8

// writer takes the calls waiting at once from the queue and commits them
// as one group.
func (db *DB) writer(n int) {
	defer db.writers.Done()
	w := &groupWriter{db: db, shard: n % countShards}
	defer w.drop()
	batch := make([]*store.Call, 0, db.opts.MaxBatch)
	for {
		var ok bool
		if batch, ok = db.queue.Next(batch, db.opts.MaxBatch); !ok {
			return
		}
		w.commit(batch)
	}
}

// groupWriter is one writer's pinned connection, opened on first use and
// replaced when it breaks (the server restarted, the network failed).
type groupWriter struct {
	db *DB
	c  *sql.Conn
	// shard is the row of payment_counts this writer's transactions move
	// (see migration 0020): the writers of one process never share one, so
	// that two groups,
	// each holding its counters until COMMIT, never wait on each other's.
	shard int
	// call and group are the statistics rollups (see store.Rollup) of
	// the call running and of its group.
	call, group store.Rollup
	// memo is the group's (see store.GroupMemo).
	memo store.GroupMemo
}

func (w *groupWriter) drop() {
	if w.c != nil {
		// A connection in an unknown state must not go back to the pool.
		w.c.Raw(func(any) error { return driver.ErrBadConn }) //nolint:errcheck // ErrBadConn is the point
		w.c.Close()
		w.c = nil
	}
}

// exec runs one of the writer's own statements.
func (w *groupWriter) exec(query string) error {
	_, err := w.c.ExecContext(context.Background(), query)
	return err
}

// begin starts a transaction, with a savepoint when asked, on the pinned
// connection. A connection that broke while idle is replaced, and so is a
// dead one the pool hands out in its place (several can sit in the pool
// after callers went away mid-query, see DB.begin): trying again is safe,
// since nothing of the group has run.
func (w *groupWriter) begin(savepoint bool) error {
	query := "BEGIN"
	if savepoint {
		query = "BEGIN; SAVEPOINT w"
	}
	var err error
	for attempt := 0; attempt < beginAttempts; attempt++ {
		if attempt > 1 && !errors.Is(err, driver.ErrBadConn) {
			// Not a dead connection: the server is down or refusing,
			// which a third try would only meet again.
			break
		}
		if w.c == nil {
			if w.c, err = w.db.db.Conn(context.Background()); err != nil {
				// database/sql answers ErrBadConn when the connection
				// another caller handed back is a dead one.
				w.c = nil
				continue
			}
			if err = w.exec(fmt.Sprintf("SELECT set_config('pasarela.count_shard', '%d', false)", w.shard)); err != nil {
				w.drop()
				continue
			}
		}
		if err = w.exec(query); err == nil {
			return nil
		}
		w.drop()
	}
	return err
}

// commit runs a group in one transaction and tells each caller its
// outcome. The statements run without the callers' cancellation: a caller
// that goes away must not interrupt a transaction that carries other
// callers' writes.
func (w *groupWriter) commit(batch []*store.Call) {
	start := time.Now()
	results := make([]error, len(batch))
	fail := func(err error) {
		for i := range batch {
			if results[i] == nil {
				results[i] = err
			}
		}
	}
	defer func() {
		if w.db.opts.OnCommit != nil {
			w.db.opts.OnCommit(len(batch), time.Since(start))
		}
		for i, r := range batch {
			r.Finish(results[i])
		}
	}()
	if len(batch) == 1 {
		// A group of one is a transaction of its own, exactly as
		// without grouping.
		if results[0] = batch[0].Err(); results[0] == nil {
			results[0] = w.alone(batch[0])
		}
		return
	}
	if err := w.begin(true); err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	q := store.Uncancelable{Q: w.c}
	// The group's statistics rows, written once before COMMIT; each
	// call's own go in only once its savepoint is released.
	w.group.Reset()
	w.memo.Reset()
	kept := 0
	var retry []int
	for i, r := range batch {
		last := i == len(batch)-1
		if err := r.Err(); err != nil {
			results[i] = err
			continue
		}
		w.call.Reset()
		tx := store.NewTx(q, dialect)
		tx.DeferRollups(&w.call)
		tx.ShareMemo(&w.memo)
		err := r.Run(tx)
		if err == nil {
			// Keep the call and open the next one's savepoint.
			next := "RELEASE w; SAVEPOINT w"
			if last {
				next = "RELEASE w"
			}
			if err = w.exec(next); err == nil {
				w.group.Merge(&w.call)
				kept++
				continue
			}
			// The call swallowed a failed statement, which left the
			// transaction aborted: it fails, alone.
		}
		results[i] = err
		// What the call read after its own writes goes with them.
		w.memo.Reset()
		if isDeadlock(err) {
			// The call waited for a row that a transaction holds while
			// that one waits for a row an earlier call of this group
			// took: calls unrelated to each other were coupled by sharing
			// a transaction. It runs again on its own once this group has
			// committed and released its rows.
			retry = append(retry, i)
		}
		if rerr := w.exec("ROLLBACK TO w"); rerr != nil {
			fail(fmt.Errorf("rollback to savepoint: %w", rerr))
			w.rollback()
			return
		}
	}
	if kept == 0 {
		w.rollback()
	} else {
		err := store.FlushRollup(context.Background(), q, dialect, &w.group)
		if err == nil {
			if err = w.commitTx(); err != nil {
				err = fmt.Errorf("commit: %w", translate(err))
			}
		}
		if err != nil {
			w.rollback()
			if !isDeadlock(err) {
				fail(err)
				return
			}
			// The statistics rows, taken last, closed a cycle with a
			// transaction waiting for a row of an earlier call: nothing
			// of the group committed, so each call it kept runs again on
			// its own.
			retry = retry[:0]
			for i := range batch {
				if results[i] == nil || isDeadlock(results[i]) {
					retry = append(retry, i)
				}
			}
		}
	}
	for _, i := range retry {
		results[i] = w.alone(batch[i])
	}
}

// aloneAttempts bounds how often a call that keeps meeting deadlocks on its
// own is tried; PostgreSQL chooses a victim of each, so a retry soon meets
// the other transaction gone.
const aloneAttempts = 3

// alone runs one call in a transaction of its own, as Update did before
// grouping (a created payment's statistics rows are written as it is
// inserted, so its locks are taken in the order they always were), and
// again if PostgreSQL picked it as the victim of a deadlock: its run was
// rolled back entirely.
func (w *groupWriter) alone(r *store.Call) error {
	var err error
	for attempt := 0; attempt < aloneAttempts; attempt++ {
		if err = w.begin(false); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		err = r.Run(store.NewTx(store.Uncancelable{Q: w.c}, dialect))
		if err == nil {
			if err = w.commitTx(); err != nil {
				err = fmt.Errorf("commit: %w", translate(err))
			}
		}
		if err == nil {
			return nil
		}
		w.rollback()
		if !isDeadlock(err) {
			return err
		}
	}
	return err
}

// isDeadlock reports whether err is PostgreSQL's deadlock_detected.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}

// commitTx commits, refusing the answer PostgreSQL gives to COMMIT in a
// transaction that an error aborted: it rolls back and reports success,
// with the command tag ROLLBACK as the only sign.
func (w *groupWriter) commitTx() error {
	return w.c.Raw(func(dc any) error {
		tag, err := dc.(*stdlib.Conn).Conn().Exec(context.Background(), "COMMIT")
		if err == nil && tag.String() != "COMMIT" {
			err = errors.New("the transaction was aborted by a failed statement and rolled back")
		}
		return err
	})
}

// rollback ends the transaction; a connection where even that fails is
// dropped, so that the next group starts on a fresh one.
func (w *groupWriter) rollback() {
	if w.c == nil {
		return
	}
	if err := w.exec("ROLLBACK"); err != nil {
		w.drop()
	}
}
