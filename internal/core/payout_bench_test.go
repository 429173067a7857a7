package core_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor/spei"
)

// BenchmarkCreatePayout measures concurrent orders against one client's
// balance: the case that serializes on the balance's lock (each order reads
// it under lock and posts a guarded debit).
func BenchmarkCreatePayout(b *testing.B) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			db := coretest.MustOpen(b, engine)
			clk := coretest.NewClock(coretest.Start)
			svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.Now,
				core.Config{PayoutRail: spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{}, clk.Now)})
			if err != nil {
				b.Fatal(err)
			}
			ten := coretest.MustTenant(b, svc, "Bench")
			if _, err := svc.CreditBalance(ctx, core.CreditInput{ClientID: ten.Client.ID, Currency: "MXN", Amount: 1 << 50}); err != nil {
				b.Fatal(err)
			}
			admin := ten.AdminCtx(ctx)
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := svc.CreatePayout(admin, order(1000), nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
