package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testSearchPayments: a client's payments across its applications, each
// filter alone, keyset pages in both directions, and nothing of another
// client whatever the filter.
func testSearchPayments(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.search")
	other := MustClient(t, db, "com.search2")
	app1 := MustApplication(t, db, c.ID, "One")
	app2 := MustApplication(t, db, c.ID, "Two")
	otherApp := MustApplication(t, db, other.ID, "Other")
	cfg := mustCardConfig(t, db, app1)
	mk := func(app *pasarela.Application, i int, status pasarela.PaymentStatus) *pasarela.Payment {
		p := &pasarela.Payment{ClientID: app.ClientID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("TXSEARCH%s%04d", app.KeyPrefix, i),
			CheckoutToken: fmt.Sprintf("pc_search_%s_%d", app.KeyPrefix, i), Status: status, Type: pasarela.PaymentSimple,
			Amount: int64(100 + i), Currency: "EUR", CustomerEmail: fmt.Sprintf("Buyer%d@Example.com", i%3), Language: "en",
			Flags: []string{}, GatewayConfigs: []int64{}, CreatedAt: Base.Add(time.Duration(i) * time.Hour), UpdatedAt: Base}
		if i%4 == 0 {
			p.MerchantRef = fmt.Sprintf("ORD-%s-%d", app.KeyPrefix, i)
		}
		if i%5 == 0 {
			p.Card = &pasarela.Card{Token: "tok", BIN: "424242", Last4: "4242", Brand: "visa", ExpMonth: 1, ExpYear: 2040}
		}
		if app == app1 && i%2 == 0 {
			p.GatewayConfig = cfg.ID
		}
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreatePayment(ctx, p) })
		return p
	}
	var all []*pasarela.Payment // the client's, in creation (id) order
	for i := range 12 {
		app, st := app1, pasarela.StatusCompleted
		if i%3 == 0 {
			app = app2
		}
		if i%2 == 1 {
			st = pasarela.StatusFailed
		}
		all = append(all, mk(app, i, st))
		mk(otherApp, i, st) // the same shapes in another client
	}
	search := func(f store.PaymentSearch) []int64 {
		t.Helper()
		var got []pasarela.Payment
		MustView(t, db, func(tx *store.Tx) error {
			var err error
			got, err = tx.SearchPayments(ctx, c.ID, f)
			return err
		})
		ids := make([]int64, len(got))
		for i, p := range got {
			if p.ClientID != c.ID {
				t.Fatalf("search %+v returned another client's payment %d", f, p.ID)
			}
			ids[i] = p.ID
		}
		return ids
	}
	want := func(keep func(i int, p *pasarela.Payment) bool) []int64 {
		var ids []int64
		for i := len(all) - 1; i >= 0; i-- {
			if keep(i, all[i]) {
				ids = append(ids, all[i].ID)
			}
		}
		return ids
	}
	for _, tc := range []struct {
		name string
		f    store.PaymentSearch
		keep func(i int, p *pasarela.Payment) bool
	}{
		{"all", store.PaymentSearch{}, func(int, *pasarela.Payment) bool { return true }},
		{"id", store.PaymentSearch{ID: all[5].ID}, func(i int, _ *pasarela.Payment) bool { return i == 5 }},
		{"application", store.PaymentSearch{ApplicationID: app2.ID}, func(_ int, p *pasarela.Payment) bool { return p.ApplicationID == app2.ID }},
		{"status", store.PaymentSearch{Status: "failed"}, func(_ int, p *pasarela.Payment) bool { return p.Status == pasarela.StatusFailed }},
		{"dates", store.PaymentSearch{From: Base.Add(3 * time.Hour), To: Base.Add(7 * time.Hour)}, func(i int, _ *pasarela.Payment) bool { return i >= 3 && i < 7 }},
		{"gateway config", store.PaymentSearch{GatewayConfig: cfg.ID}, func(_ int, p *pasarela.Payment) bool { return p.GatewayConfig == cfg.ID }},
		{"transaction id", store.PaymentSearch{TransactionOrRef: all[7].TransactionID}, func(i int, _ *pasarela.Payment) bool { return i == 7 }},
		{"merchant ref", store.PaymentSearch{TransactionOrRef: all[8].MerchantRef}, func(i int, _ *pasarela.Payment) bool { return i == 8 }},
		{"email", store.PaymentSearch{Email: "buyer1@example.com"}, func(i int, _ *pasarela.Payment) bool { return i%3 == 1 }},
		{"last 4", store.PaymentSearch{Last4: "4242"}, func(i int, _ *pasarela.Payment) bool { return i%5 == 0 }},
		{"last 4 with a wildcard", store.PaymentSearch{Last4: "42%"}, func(int, *pasarela.Payment) bool { return false }},
		{"nothing", store.PaymentSearch{TransactionOrRef: "nope"}, func(int, *pasarela.Payment) bool { return false }},
		{"another client's application", store.PaymentSearch{ApplicationID: otherApp.ID}, func(int, *pasarela.Payment) bool { return false }},
	} {
		tc.f.Limit = 100
		if got, w := search(tc.f), want(tc.keep); !slices.Equal(got, w) && !(len(got) == 0 && len(w) == 0) {
			t.Errorf("%s: %v, want %v", tc.name, got, w)
		}
	}
	// Deposits: with DepositsOf, a deposit is kept only when that user
	// created it; the other payments are kept as they are.
	var deposits []*pasarela.Payment
	for i, user := range []int64{41, 42} {
		p := &pasarela.Payment{ClientID: c.ID, ApplicationID: app1.ID, TransactionID: fmt.Sprintf("TXSEARCHDEP%d", i),
			CheckoutToken: fmt.Sprintf("pc_search_dep_%d", i), Status: pasarela.StatusPending, Type: pasarela.PaymentDeposit,
			Amount: 500, Currency: "EUR", Language: "en", Flags: []string{}, GatewayConfigs: []int64{},
			CreatedAt: Base.Add(time.Duration(20+i) * time.Hour), UpdatedAt: Base}
		MustUpdate(t, db, func(tx *store.Tx) error {
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			return tx.CreateDeposit(ctx, &pasarela.Deposit{PaymentID: p.ID, ClientID: c.ID, ApplicationID: app1.ID,
				GatewayConfig: cfg.ID, UserID: user, Currency: "BTC", Network: "regtest", Chain: "btcd", KeyID: "k",
				Index: uint32(i), Address: fmt.Sprintf("bcrt1search%d", i), ExpiresAt: Base, MonitorUntil: Base,
				CreatedAt: Base, UpdatedAt: Base})
		})
		deposits = append(deposits, p)
	}
	everyone := want(func(int, *pasarela.Payment) bool { return true })
	if got, w := search(store.PaymentSearch{Limit: 100}), append([]int64{deposits[1].ID, deposits[0].ID}, everyone...); !slices.Equal(got, w) {
		t.Errorf("without DepositsOf: %v, want %v", got, w)
	}
	if got, w := search(store.PaymentSearch{Limit: 100, DepositsOf: 41}), append([]int64{deposits[0].ID}, everyone...); !slices.Equal(got, w) {
		t.Errorf("DepositsOf 41: %v, want %v", got, w)
	}
	if got := search(store.PaymentSearch{Limit: 100, DepositsOf: 42, ID: deposits[0].ID}); len(got) != 0 {
		t.Errorf("DepositsOf 42 found user 41's deposit: %v", got)
	}
	// Keyset pages of 5: older from the newest, then newer back.
	newest := want(func(int, *pasarela.Payment) bool { return true })
	p1 := search(store.PaymentSearch{Limit: 5, Before: deposits[0].ID})
	p2 := search(store.PaymentSearch{Limit: 5, Before: p1[4]})
	p3 := search(store.PaymentSearch{Limit: 5, Before: p2[4]})
	if got := slices.Concat(p1, p2, p3); !slices.Equal(got, newest) {
		t.Errorf("older pages: %v, want %v", got, newest)
	}
	back := search(store.PaymentSearch{Limit: 5, After: p3[0]})
	slices.Reverse(back)
	if !slices.Equal(back, p2) {
		t.Errorf("newer page: %v, want %v", back, p2)
	}
}

// testEntityDeliveries: a resource's deliveries, through its events, newest
// first, and none of another resource or of another client's resource of
// the same id.
func testEntityDeliveries(t *testing.T, db store.DB) {
	ctx := context.Background()
	var hooks []*store.WebhookRow
	for _, code := range []string{"entdel", "entdel2"} {
		c := MustClient(t, db, "com."+code)
		app := MustApplication(t, db, c.ID, code)
		hook := &store.WebhookRow{Webhook: pasarela.Webhook{ClientID: c.ID, ApplicationID: app.ID, Method: "POST",
			Targets: []string{"https://a.example.com/1"}, Entity: "payment", Format: testFormat,
			CreatedAt: Base, UpdatedAt: Base}, SealedSecret: []byte{1}}
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateWebhook(ctx, hook) })
		hooks = append(hooks, hook)
		for i, entityID := range []int64{7, 8, 7} {
			MustUpdate(t, db, func(tx *store.Tx) error {
				e := &pasarela.Event{ID: fmt.Sprintf("evt_%s_%d", code, i), ClientID: c.ID, ApplicationID: app.ID,
					Type: "payment.completed", Entity: "payment", EntityID: entityID, Version: pasarela.EventVersion,
					Data: []byte(`{}`), CreatedAt: Base}
				if err := tx.CreateEvent(ctx, e); err != nil {
					return err
				}
				return tx.CreateDelivery(ctx, &pasarela.Delivery{ClientID: c.ID, ApplicationID: app.ID, WebhookID: hook.ID,
					EventID: e.ID, Target: hook.Targets[0], Status: pasarela.DeliveryPending, NextAttemptAt: Base,
					CreatedAt: Base, UpdatedAt: Base})
			})
		}
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.EntityDeliveries(ctx, hooks[0].ClientID, "payment", 7, 10)
		if err != nil {
			return err
		}
		if len(got) != 2 || got[0].EventID != "evt_entdel_2" || got[1].EventID != "evt_entdel_0" ||
			got[0].EventType != "payment.completed" || got[0].WebhookID != hooks[0].ID {
			t.Errorf("payment 7's deliveries: %+v", got)
		}
		return nil
	})
}
