package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testCreatedRollupInGroups creates payments from many concurrent Update
// calls, so that the engine groups them, where every third call fails
// after creating its payments, some calls create two and some move the
// payment they created on to another status in the same call: the created
// rollup (added up per group and written before COMMIT) must count exactly
// the payments that committed, per day of two offsets, status and
// currency.
func testCreatedRollupInGroups(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.rollup")
	app := MustApplication(t, db, c.ID, "rollup")
	other := MustApplication(t, db, c.ID, "rollup other")
	day0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	errRefused := errors.New("refused after creating")
	var mu sync.Mutex
	var kept []*pasarela.Payment
	var wg sync.WaitGroup
	for n := range 60 {
		wg.Go(func() {
			var pays []*pasarela.Payment
			for k := range 1 + n%2 {
				// Quarters of an hour around midnight, so that the
				// offsets below move payments across days.
				created := day0.Add(time.Duration(n%7)*24*time.Hour + time.Duration(n%9-4)*time.Hour +
					time.Duration(n*15+k)*time.Minute)
				a := app
				if n%5 == 0 {
					a = other
				}
				pays = append(pays, &pasarela.Payment{ClientID: c.ID, ApplicationID: a.ID,
					TransactionID: fmt.Sprintf("ru%03d%d", n, k), CheckoutToken: fmt.Sprintf("ruc%03d%d", n, k),
					Status: pasarela.StatusPending, Type: pasarela.PaymentSimple, Amount: int64(100*n + k + 1),
					Currency: []string{"EUR", "USD"}[n%2], Language: "en", CreatedAt: created, UpdatedAt: created})
			}
			err := db.Update(ctx, func(tx *store.Tx) error {
				for _, p := range pays {
					if err := tx.CreatePayment(ctx, p); err != nil {
						return err
					}
				}
				if n%4 == 1 {
					// Created and moved on in the same call: the
					// change must find the payment in its rows.
					p := pays[0]
					p.Status, p.UpdatedAt = pasarela.StatusProcessing, p.CreatedAt.Add(time.Second)
					if err := tx.UpdatePayment(ctx, p); err != nil {
						return err
					}
					p.Version++
				}
				if n%3 == 0 {
					return errRefused
				}
				return nil
			})
			switch {
			case n%3 == 0 && !errors.Is(err, errRefused):
				t.Errorf("call %d: %v, want its own error", n, err)
			case n%3 != 0 && err != nil:
				t.Errorf("call %d: %v", n, err)
			case err == nil:
				mu.Lock()
				kept = append(kept, pays...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, offset := range []time.Duration{0, 5*time.Hour + 45*time.Minute} {
		for _, a := range []*pasarela.Application{app, other} {
			type key struct {
				day      int64
				status   string
				currency string
			}
			want := map[key][2]int64{}
			for _, p := range kept {
				if p.ApplicationID == a.ID {
					k := key{p.CreatedAt.Add(offset).Unix() / 86400, string(p.Status), p.Currency}
					w := want[k]
					want[k] = [2]int64{w[0] + 1, w[1] + p.Amount}
				}
			}
			start := day0.AddDate(0, 0, -1).Add(-offset)
			p := store.StatsPeriod{Start: start, End: start.AddDate(0, 0, 10), Offset: offset}
			MustView(t, db, func(tx *store.Tx) error {
				rows, err := tx.CreatedDaily(ctx, c.ID, a.ID, p)
				if err != nil {
					return err
				}
				got := map[key][2]int64{}
				for _, r := range rows {
					got[key{r.Day, r.Status, r.Currency}] = [2]int64{r.Count, r.Amount}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("offset %v, application %d: created rollup %v, want %v", offset, a.ID, got, want)
				}
				return nil
			})
		}
	}
}
