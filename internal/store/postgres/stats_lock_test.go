package postgres

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// TestStatusChangesDoNotDeadlock: two payments of one application created
// the same day share the rows of the statistics rollup (ids equal modulo
// its shards). Moving one from pending to processing while the other goes
// back the other way, many times at once, must never deadlock: the trigger
// takes the two statuses' rows in one order whichever way a payment moves.
func TestStatusChangesDoNotDeadlock(t *testing.T) {
	db := mustMigratedDB(t)
	ctx := context.Background()
	c := storetest.MustClient(t, db, "com.locks")
	app := storetest.MustApplication(t, db, c.ID, "locks")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var ids []int64
	for i := range 9 { // ids 1 and 9: the same shard of 8
		p := &pasarela.Payment{ClientID: c.ID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("tx-lock-%d", i),
			CheckoutToken: fmt.Sprintf("pc_lock_%d", i), Status: pasarela.StatusPending, Type: pasarela.PaymentSimple,
			Amount: 100, Currency: "EUR", Language: "en", CreatedAt: now, UpdatedAt: now}
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreatePayment(ctx, p) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	a, b := ids[0], ids[8]
	if err := db.Update(ctx, func(tx *store.Tx) error { // b starts processing: the two move in opposite directions
		p, err := tx.GetPaymentByID(ctx, c.ID, b)
		if err != nil {
			return err
		}
		p.Status = pasarela.StatusProcessing
		return tx.UpdatePayment(ctx, p)
	}); err != nil {
		t.Fatal(err)
	}
	flip := func(id int64) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			p, err := tx.GetPaymentByID(ctx, c.ID, id)
			if err != nil {
				return err
			}
			if p.Status == pasarela.StatusPending {
				p.Status = pasarela.StatusProcessing
			} else {
				p.Status = pasarela.StatusPending
			}
			return tx.UpdatePayment(ctx, p)
		})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, id := range []int64{a, b} {
		wg.Go(func() {
			for range 150 {
				if err := flip(id); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a status change failed: %v", err)
	}
}
