package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// benchCallers is how many goroutines write at once: about what a busy
// node's request handlers and workers put on the write path together.
const benchCallers = 64

// BenchmarkUpdateDurable measures durable writes per second through Update
// with many concurrent callers, grouped (the default) against one
// transaction, and so one fsync, per call. Each call inserts one small row
// into a real file with synchronous=FULL, so the figure is bounded by the
// disk's fsync rate, which grouping shares among the callers of a commit.
//
// Run it with
//
//	go test ./internal/store/sqlite -run XXX -bench UpdateDurable -benchtime 3s -count 3
func BenchmarkUpdateDurable(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"grouped", Options{}},
		{"ungrouped", Options{MaxBatch: 1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var commits, calls, busy atomic.Int64
			opts := bc.opts
			opts.OnCommit = func(batch int, took time.Duration) {
				commits.Add(1)
				calls.Add(int64(batch))
				busy.Add(int64(took))
			}
			db := mustOpen(b, tempPath(b), opts)
			ctx := context.Background()
			var seq atomic.Int64
			// RunParallel starts parallelism×GOMAXPROCS goroutines.
			b.SetParallelism(max(1, benchCallers/runtime.GOMAXPROCS(0)))
			commits.Store(0)
			calls.Store(0)
			busy.Store(0)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := storetest.NewClient(fmt.Sprintf("com.bench%d", seq.Add(1)))
					if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreateClient(ctx, c) }); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
			if n := commits.Load(); n > 0 {
				b.ReportMetric(float64(calls.Load())/float64(n), "calls/commit")
				// How long one group takes from BEGIN to the end of COMMIT's
				// fsync: with the writer never idle, ops/s is about
				// calls/commit divided by this.
				b.ReportMetric(float64(busy.Load())/float64(n)/1e3, "µs/commit")
			}
		})
	}
}
