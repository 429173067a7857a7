package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/pasarela/pasarela"
)

// Group commit, the part both engines share: Update calls wait in a Queue,
// an engine's writer takes all that wait at once (Next) and commits them in
// one transaction, each call in its own savepoint, and tells each caller
// its outcome (Finish). How a group is committed is the engine's.

// ErrClosed is what Update answers after Close.
var ErrClosed = &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "store_closed", Message: "the database is closing"}

// Call is one Update waiting for, or inside, a group.
type Call struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

// Err is the caller's context's error: a call whose caller went away
// before its turn is not run.
func (c *Call) Err() error { return c.ctx.Err() }

// Run runs the call's function on tx, turning a panic into an error so
// that one bad call cannot take the writer (and every other caller) down.
func (c *Call) Run(tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = pasarela.Internal(fmt.Errorf("panic in update: %v", p))
		}
	}()
	return c.fn(tx)
}

// Finish tells the caller its outcome.
func (c *Call) Finish(err error) { c.done <- err }

// Queue hands Update calls to an engine's writers. The channel is
// unbuffered: while a group commits, the next callers wait in send, and a
// writer takes all of them at once for the next group.
type Queue struct {
	calls chan *Call
	quit  chan struct{}
	once  sync.Once
	// closing is set by Close; inflight counts the calls that started
	// before it, which Close lets finish.
	mu       sync.RWMutex
	closing  bool
	inflight sync.WaitGroup
}

// NewQueue returns an open queue.
func NewQueue() *Queue { return &Queue{calls: make(chan *Call), quit: make(chan struct{})} }

// Submit hands fn to a writer and waits for its outcome. Once the call has
// reached a writer the caller waits for the outcome even if ctx ends, so
// that it never mistakes a committed write for a failed one.
func (q *Queue) Submit(ctx context.Context, fn func(*Tx) error) error {
	q.mu.RLock()
	if q.closing {
		q.mu.RUnlock()
		return ErrClosed
	}
	q.inflight.Add(1)
	q.mu.RUnlock()
	defer q.inflight.Done()
	c := &Call{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case q.calls <- c:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-c.done
}

// Next waits for a call and returns it with every other call waiting then,
// at most max in all, in batch's storage; false once the queue is closed.
func (q *Queue) Next(batch []*Call, max int) ([]*Call, bool) {
	batch = batch[:0]
	select {
	case c := <-q.calls:
		batch = append(batch, c)
	case <-q.quit:
		return batch, false
	}
	for len(batch) < max {
		select {
		case c := <-q.calls:
			batch = append(batch, c)
		default:
			return batch, true
		}
	}
	return batch, true
}

// Close refuses new calls, waits for those already submitted to be
// committed (so that a shutdown never turns a write already on its way
// into an error), then ends the writers' Next. It is safe to call twice.
func (q *Queue) Close() {
	q.once.Do(func() {
		q.mu.Lock()
		q.closing = true
		q.mu.Unlock()
		q.inflight.Wait()
		close(q.quit)
	})
}

// Uncancelable runs a group's statements without their callers'
// cancellation: a driver answers a canceled context by interrupting the
// statement (SQLite then rolls back the whole transaction, pgx cancels it),
// which would take the other callers of the group with it.
type Uncancelable struct{ Q Querier }

func (u Uncancelable) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.Q.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (u Uncancelable) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.Q.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (u Uncancelable) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.Q.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}
