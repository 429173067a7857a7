package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor/spei"
)

// TestPayoutsStep: the worker's step sends new payouts and records each
// step of the rail's schedule as the clock moves, on both engines; a step
// with nothing due changes nothing.
func TestPayoutsStep(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := coretest.MustOpen(t, engine)
		clk := coretest.NewClock(coretest.Start)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		rail := spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{Send: time.Minute, Settle: time.Hour, Return: time.Hour}, clk.Now)
		svc, err := core.New(ctx, db, log, clk.Now, core.Config{PayoutRail: rail})
		if err != nil {
			t.Fatal(err)
		}
		ten := coretest.MustTenant(t, svc, "Cascade")
		if _, err := svc.CreditBalance(ctx, core.CreditInput{ClientID: ten.Client.ID, Currency: "MXN", Amount: 10_000}); err != nil {
			t.Fatal(err)
		}
		w := &Payouts{Svc: svc, Log: log}
		var ids []int64
		for _, amount := range []int64{1000, 2028} {
			po, _, err := svc.CreatePayout(ten.AdminCtx(ctx), core.PayoutInput{Amount: amount, TransactionType: 1,
				BeneficiaryName: "Florentino Eter", BeneficiaryAccount: "646180110400000007", BankCode: "646",
				Concept: "Pago", NumericReference: "1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, po.ID)
		}
		status := func() []pasarela.PayoutStatus {
			var out []pasarela.PayoutStatus
			for _, id := range ids {
				po, err := svc.GetPayout(ten.AdminCtx(ctx), id)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, po.Status)
			}
			return out
		}
		for i, step := range []struct {
			after   time.Duration
			changed int
			want    [2]pasarela.PayoutStatus
		}{
			{0, 2, [2]pasarela.PayoutStatus{pasarela.PayoutQueued, pasarela.PayoutQueued}},
			{59 * time.Second, 0, [2]pasarela.PayoutStatus{pasarela.PayoutQueued, pasarela.PayoutQueued}},
			{time.Second, 2, [2]pasarela.PayoutStatus{pasarela.PayoutSent, pasarela.PayoutSent}},
			{time.Hour, 2, [2]pasarela.PayoutStatus{pasarela.PayoutConfirmed, pasarela.PayoutRejected}},
			{48 * time.Hour, 0, [2]pasarela.PayoutStatus{pasarela.PayoutConfirmed, pasarela.PayoutRejected}},
		} {
			clk.Advance(step.after)
			n, err := w.Step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := status()
			if n != step.changed || got[0] != step.want[0] || got[1] != step.want[1] {
				t.Fatalf("step %d: changed %d, statuses %v; want %d, %v", i, n, got, step.changed, step.want)
			}
		}
		coretest.MustSoundLedger(t, svc)

		// Start and Stop, twice, and Stop before Start.
		(&Payouts{Svc: svc, Log: log}).Stop()
		w.Interval = time.Hour
		w.Start(ctx)
		w.Stop()
		w.Stop()
	})
}
