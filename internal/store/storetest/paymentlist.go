package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// mustPayment creates a payment of app in status st.
func mustPayment(t *testing.T, db store.DB, app *pasarela.Application, n int, st pasarela.PaymentStatus, customer string) *pasarela.Payment {
	t.Helper()
	p := &pasarela.Payment{ClientID: app.ClientID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("TXLIST%d-%06d", app.ID, n),
		CheckoutToken: fmt.Sprintf("pc_list%d_%06d", app.ID, n), Status: st, Type: pasarela.PaymentSimple, Amount: 100,
		Currency: "EUR", CustomerID: customer, Language: "en", CreatedAt: Base, UpdatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreatePayment(context.Background(), p) })
	return p
}

// listTotal is the total ListPayments gives for f.
func listTotal(t *testing.T, db store.DB, app *pasarela.Application, f store.PaymentFilter) pasarela.Total {
	t.Helper()
	var total pasarela.Total
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		_, total, err = tx.ListPayments(context.Background(), app.ClientID, app.ID, f, pasarela.ListOptions{Limit: 1})
		return err
	})
	return total
}

// testPaymentCounts: a payment list's total (from the payment_counts
// counters when the filter is by status alone, counted otherwise) is the
// number of matching payments through creates, status changes and
// deletions, per application and per status, and never another client's.
func testPaymentCounts(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.counts")
	app := MustApplication(t, db, c.ID, "Shop")
	other := MustApplication(t, db, c.ID, "Other shop")
	c2 := MustClient(t, db, "com.counts2")
	foreign := MustApplication(t, db, c2.ID, "Foreign shop")
	var pays []*pasarela.Payment
	for i := range 7 {
		pays = append(pays, mustPayment(t, db, app, i, pasarela.StatusPending, fmt.Sprintf("cus_%d", i%2)))
	}
	mustPayment(t, db, other, 100, pasarela.StatusPending, "")
	mustPayment(t, db, foreign, 200, pasarela.StatusPending, "")
	// Two completed, one failed; an update that keeps the status moves
	// nothing; a payment moved on twice counts once, in its last status.
	for _, p := range pays[:2] {
		p.Status = pasarela.StatusCompleted
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, p) })
	}
	pays[2].Status = pasarela.StatusProcessing
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, pays[2]) })
	pays[2].Status = pasarela.StatusFailed
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, pays[2]) })
	pays[3].Description = "same status"
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, pays[3]) })

	for _, c := range []struct {
		what string
		app  *pasarela.Application
		f    store.PaymentFilter
		want pasarela.Total
	}{
		{"all", app, store.PaymentFilter{}, pasarela.Total{Count: 7}},
		{"pending", app, store.PaymentFilter{Status: "pending"}, pasarela.Total{Count: 4}},
		{"completed", app, store.PaymentFilter{Status: "completed"}, pasarela.Total{Count: 2}},
		{"failed", app, store.PaymentFilter{Status: "failed"}, pasarela.Total{Count: 1}},
		{"processing (left)", app, store.PaymentFilter{Status: "processing"}, pasarela.Total{}},
		{"completed or failed", app, store.PaymentFilter{Statuses: []string{"completed", "failed"}}, pasarela.Total{Count: 3}},
		{"pending and in (pending, failed)", app, store.PaymentFilter{Status: "pending", Statuses: []string{"pending", "failed"}}, pasarela.Total{Count: 4}},
		{"customer (counted)", app, store.PaymentFilter{CustomerID: "cus_0"}, pasarela.Total{Count: 4}},
		{"customer and status (counted)", app, store.PaymentFilter{CustomerID: "cus_0", Status: "completed"}, pasarela.Total{Count: 1}},
		{"other application", other, store.PaymentFilter{}, pasarela.Total{Count: 1}},
		{"other client", foreign, store.PaymentFilter{}, pasarela.Total{Count: 1}},
	} {
		MustEqual(t, c.what, listTotal(t, db, c.app, c.f), c.want)
	}
	// Another client asking for app's payments sees none, counters or not.
	for _, f := range []store.PaymentFilter{{}, {Status: "pending"}, {CustomerID: "cus_0"}} {
		MustEqual(t, "another client's total", listTotal(t, db, &pasarela.Application{ID: app.ID, ClientID: c2.ID}, f), pasarela.Total{})
	}
}

// testPaymentKeyset: a payment list paged by key (ListOptions.After) walks
// every payment exactly once in either direction, even when payments are
// created between its pages, and refuses what keys cannot page.
func testPaymentKeyset(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.keyset")
	app := MustApplication(t, db, c.ID, "Shop")
	n := 0
	create := func(k int) {
		for range k {
			mustPayment(t, db, app, n, pasarela.StatusPending, "")
			n++
		}
	}
	create(10)
	page := func(f store.PaymentFilter, opts pasarela.ListOptions) ([]pasarela.Payment, error) {
		var out []pasarela.Payment
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			out, _, err = tx.ListPayments(ctx, c.ID, app.ID, f, opts)
			return err
		})
		return out, err
	}
	walk := func(desc bool) []int64 {
		var ids []int64
		var after int64
		for {
			opts := pasarela.ListOptions{Limit: 3, After: after}
			if desc {
				opts.Sort = []pasarela.SortField{{Field: "id", Desc: true}}
			}
			ps, err := page(store.PaymentFilter{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if len(ps) < 3 {
				return ids
			}
			after = ps[len(ps)-1].ID
			// A payment created between two pages comes at the end of
			// an ascending walk and never in a descending one that
			// started before it.
			if len(ids) == 3 {
				create(1)
			}
		}
	}
	asc := walk(false)
	if len(asc) != 11 {
		t.Fatalf("ascending walk: %d payments, want 11 (10 and the one created during the walk)", len(asc))
	}
	for i := 1; i < len(asc); i++ {
		if asc[i] <= asc[i-1] {
			t.Fatalf("ascending walk out of order or repeated: %v", asc)
		}
	}
	desc := walk(true)
	if len(desc) != 11 {
		t.Fatalf("descending walk: %d payments, want 11 (not the one created after its first page)", len(desc))
	}
	for i := 1; i < len(desc); i++ {
		if desc[i] >= desc[i-1] {
			t.Fatalf("descending walk out of order or repeated: %v", desc)
		}
	}
	// A cursor with a filter pages the filtered list.
	ps, err := page(store.PaymentFilter{Status: "pending"}, pasarela.ListOptions{Limit: 100, After: asc[5]})
	if err != nil {
		t.Fatal(err)
	}
	MustEqual(t, "filtered page after the sixth", len(ps), 6)
	// Keys page an order by id only, and never with an offset.
	_, err = page(store.PaymentFilter{}, pasarela.ListOptions{Limit: 3, After: asc[0], Sort: []pasarela.SortField{{Field: "amount"}}})
	MustErrorKind(t, err, pasarela.KindInvalid, "after")
	_, err = page(store.PaymentFilter{}, pasarela.ListOptions{Limit: 3, After: asc[0], Offset: 3})
	MustErrorKind(t, err, pasarela.KindInvalid, "after")
}
