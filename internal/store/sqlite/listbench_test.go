package sqlite

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// seedPayments gives app n more payments in one statement, copies of one
// created through the store: one in ten failed, one in ten completed, the
// rest pending; customer "cus_<i mod customers>". The store counts the
// payments it creates (store.Rollup), so the application's counters are
// then counted again from its payments, as an operator would after
// inserting rows by hand.
func seedPayments(tb testing.TB, db *DB, app *pasarela.Application, n, customers int) {
	tb.Helper()
	ctx := context.Background()
	tpl := &pasarela.Payment{ClientID: app.ClientID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("tpl%d", app.ID),
		CheckoutToken: fmt.Sprintf("tpl%d", app.ID), Status: pasarela.StatusPending, Type: pasarela.PaymentSimple,
		Amount: 1050, Currency: "EUR", Description: "bench", Language: "en", CreatedAt: storetest.Base, UpdatedAt: storetest.Base}
	storetest.MustUpdate(tb, db, func(tx *store.Tx) error { return tx.CreatePayment(ctx, tpl) })
	const copied = `client_id, application_id, type, amount, currency, captured, refunded, description,
		customer_email, merchant_ref, language, flags, ask_for_details, capture, gateway_configs, gateway_config_id, processor_ref,
		card, failure_code, failure_message, action, action_url, parent_id, return_url, cancel_url, metadata, expires_at,
		completed_at, created_at, updated_at, version, single_attempt, notify_url, notify_format`
	if _, err := db.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO payments (transaction_id, checkout_token, status, customer_id, `+copied+`)
		SELECT 'seed' || application_id || '-' || i, 'seed' || application_id || '-' || i,
			CASE i % 10 WHEN 0 THEN 'failed' WHEN 1 THEN 'completed' ELSE 'pending' END, 'cus_' || (i % ?), `+copied+`
		FROM payments, n WHERE id = ?`, n, customers, tpl.ID); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `DELETE FROM payment_counts WHERE application_id = ?`, app.ID); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO payment_counts (client_id, application_id, status, shard, count)
		SELECT client_id, application_id, status, 0, COUNT(*) FROM payments WHERE application_id = ?
		GROUP BY client_id, application_id, status`, app.ID); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkPaymentList lists a page of 20 payments (with its total) of an
// application of 1,000 and of 100,000 payments, each seeded in bulk: the
// first page, a status-filtered page, a deep page by offset (the last
// 20) and the same deep page by key (ListOptions.After). The totals come
// from the counters, so every kind but the deep offset costs the same at
// both sizes. cpu-µs/op is the process's CPU time per list.
//
//	go test ./internal/store/sqlite -run '^$' -bench PaymentList -benchtime 2000x
func BenchmarkPaymentList(b *testing.B) {
	for _, size := range []int{1_000, 100_000} {
		db := mustOpen(b, tempPath(b), Options{})
		c := storetest.MustClient(b, db, "com.bench")
		app := storetest.MustApplication(b, db, c.ID, "bench")
		seedPayments(b, db, app, size-1, 50)
		ctx := context.Background()
		var lastPage int64
		storetest.MustView(b, db, func(tx *store.Tx) error {
			ps, _, err := tx.ListPayments(ctx, c.ID, app.ID, store.PaymentFilter{}, pasarela.ListOptions{Limit: 21,
				Sort: []pasarela.SortField{{Field: "id", Desc: true}}})
			lastPage = ps[len(ps)-1].ID
			return err
		})
		for _, k := range []struct {
			name string
			f    store.PaymentFilter
			opts pasarela.ListOptions
		}{
			{"first", store.PaymentFilter{}, pasarela.ListOptions{Limit: 20}},
			{"status", store.PaymentFilter{Status: "pending"}, pasarela.ListOptions{Limit: 20}},
			{"deep-offset", store.PaymentFilter{}, pasarela.ListOptions{Limit: 20, Offset: size - 20}},
			{"deep-keyset", store.PaymentFilter{}, pasarela.ListOptions{Limit: 20, After: lastPage}},
		} {
			b.Run(fmt.Sprintf("%dk/%s", size/1000, k.name), func(b *testing.B) {
				b.ReportAllocs()
				start := cpuTime()
				for range b.N {
					err := db.View(ctx, func(tx *store.Tx) error {
						ps, total, err := tx.ListPayments(ctx, c.ID, app.ID, k.f, k.opts)
						if err == nil && (len(ps) != 20 || total.Count == 0) {
							err = fmt.Errorf("%d payments of %s", len(ps), total)
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-start)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// TestPaymentCountCap: a total the counters do not hold (a customer
// filter) is counted up to store.PaymentCountCap and then reported as
// capped; one the counters hold is exact past it.
func TestPaymentCountCap(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, tempPath(t), Options{})
	c := storetest.MustClient(t, db, "com.cap")
	app := storetest.MustApplication(t, db, c.ID, "cap")
	seedPayments(t, db, app, store.PaymentCountCap+1, 1)
	ctx := context.Background()
	total := func(f store.PaymentFilter) pasarela.Total {
		var n pasarela.Total
		storetest.MustView(t, db, func(tx *store.Tx) error {
			var err error
			_, n, err = tx.ListPayments(ctx, c.ID, app.ID, f, pasarela.ListOptions{Limit: 1})
			return err
		})
		return n
	}
	storetest.MustEqual(t, "every payment (counters)", total(store.PaymentFilter{}), pasarela.Total{Count: store.PaymentCountCap + 2})
	storetest.MustEqual(t, "one customer's (counted)", total(store.PaymentFilter{CustomerID: "cus_0"}),
		pasarela.Total{Count: store.PaymentCountCap, Capped: true})
	storetest.MustEqual(t, "a customer with none", total(store.PaymentFilter{CustomerID: "cus_1"}), pasarela.Total{})
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
