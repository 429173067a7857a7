package postgres

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// TestCallersGoneLeaveThePoolUsable: callers that go away mid-transaction
// (clients disconnecting at the end of a load run) leave connections that
// pgx has closed in the pool; the callers still waiting must not be told
// that the database is unavailable because of them. Half the goroutines
// cancel their View at a random moment; the other half's Views and
// Updates must all succeed.
func TestCallersGoneLeaveThePoolUsable(t *testing.T) {
	db := mustMigratedDB(t)
	read := func(ctx context.Context) func(*store.Tx) error {
		return func(tx *store.Tx) error {
			for range 3 {
				if _, err := tx.GetApplication(ctx, "nobody", 1); pasarela.ErrorKind(err) != pasarela.KindNotFound {
					return err
				}
			}
			return nil
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first atomic.Value
	deadline := time.Now().Add(2 * time.Second)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				if g%2 == 0 {
					ctx, cancel := context.WithCancel(context.Background())
					time.AfterFunc(time.Duration(rand.IntN(1500))*time.Microsecond, cancel)
					_ = db.View(ctx, read(ctx))
					cancel()
					continue
				}
				run := db.View
				if i%4 == 0 {
					run = db.Update
				}
				if err := run(context.Background(), read(context.Background())); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d transactions of callers still waiting failed; the first: %v", n, first.Load())
	}
}
