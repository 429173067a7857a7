package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// BenchmarkPaymentWrite measures the write of one created payment as the
// core makes it: the payment row and its idempotency record in one Update,
// with 64 concurrent callers, so that the single writer's cost per payment
// shows without HTTP, JSON or the load generator around it.
func BenchmarkPaymentWrite(b *testing.B) {
	var commits, calls atomic.Int64
	db := mustOpen(b, tempPath(b), Options{OnCommit: func(batch int, _ time.Duration) {
		commits.Add(1)
		calls.Add(int64(batch))
	}})
	ctx := context.Background()
	c := storetest.MustClient(b, db, "com.bench")
	app := storetest.MustApplication(b, db, c.ID, "bench")
	body := make([]byte, 1100)
	var seq atomic.Int64
	b.SetParallelism(max(1, benchCallers/runtime.GOMAXPROCS(0)))
	commits.Store(0)
	calls.Store(0)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			now := time.Now().UTC().Truncate(time.Microsecond)
			p := &pasarela.Payment{ClientID: c.ID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("tx%015d%x", n, n*7919),
				CheckoutToken: fmt.Sprintf("ct_%d_%x", n, n*104729), Status: pasarela.StatusPending, Type: pasarela.PaymentSimple,
				Amount: 1050, Currency: "EUR", Description: "bench", Language: "en", CreatedAt: now, UpdatedAt: now}
			err := db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.CreatePayment(ctx, p); err != nil {
					return err
				}
				return tx.PutIdempotency(ctx, &store.IdempotencyRecord{ClientID: c.ID, Scope: "app:1",
					Key: fmt.Sprintf("bench-%d", n), Fingerprint: body[:32], Status: 201, Body: body,
					CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "payments/s")
	if n := commits.Load(); n > 0 {
		b.ReportMetric(float64(calls.Load())/float64(n), "calls/commit")
	}
}
