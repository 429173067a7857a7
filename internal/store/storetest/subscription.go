package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testSubscriptions: subscriptions, agreements and cycles round-trip; every
// read is scoped to the client; a stale version is a conflict; a cycle is
// created once; the scheduler's scan sees only what is due and chargeable.
func testSubscriptions(t *testing.T, db store.DB) {
	ctx := context.Background()
	a, b := MustClient(t, db, "com.suba"), MustClient(t, db, "com.subb")
	appA, appB := MustApplication(t, db, a.ID, "suba"), MustApplication(t, db, b.ID, "subb")
	cfg := &store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ClientID: a.ID, ApplicationID: appA.ID,
		Gateway: "sandbox", Name: "cards", Code: "sub-cfg", Weight: 1, Enabled: true, Options: map[string]any{},
		CreatedAt: Base, UpdatedAt: Base}}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateGatewayConfig(ctx, cfg) })

	end := Base.AddDate(1, 0, 0)
	next := Base.Add(time.Hour)
	sub := &pasarela.Subscription{ClientID: a.ID, ApplicationID: appA.ID, Status: pasarela.SubscriptionPending,
		Amount: 1250, Currency: "EUR", Description: "Gym", CustomerID: "c1", CustomerEmail: "ada@example.com",
		Interval: pasarela.IntervalMonth, IntervalCount: 2, StartDate: Base, EndDate: &end,
		GatewayConfigs: []int64{cfg.ID}, NextCycle: 1, CreatedAt: Base, UpdatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateSubscription(ctx, sub) })
	other := &pasarela.Subscription{ClientID: b.ID, ApplicationID: appB.ID, Status: pasarela.SubscriptionActive,
		Amount: 1, Currency: "USD", Interval: pasarela.IntervalDay, IntervalCount: 1, StartDate: Base, NextCycle: 1,
		NextChargeAt: &next, Card: &pasarela.Card{Token: "tok_b", Last4: "4242"}, CreatedAt: Base, UpdatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateSubscription(ctx, other) })

	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetSubscription(ctx, a.ID, appA.ID, sub.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "subscription", got, sub)
		_, err = tx.GetSubscription(ctx, b.ID, appA.ID, sub.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		_, err = tx.GetSubscriptionByID(ctx, b.ID, sub.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		list, total, err := tx.ListSubscriptions(ctx, a.ID, appA.ID, store.SubscriptionFilter{Status: "pending"},
			pasarela.ListOptions{Limit: 10, Sort: []pasarela.SortField{{Field: "next_charge_at", Desc: true}}})
		if err != nil {
			return err
		}
		MustEqual(t, "list total", total, 1)
		MustEqual(t, "list", list[0].ID, sub.ID)
		// Another client's application id with this client's id finds nothing.
		_, total, err = tx.ListSubscriptions(ctx, a.ID, appB.ID, store.SubscriptionFilter{}, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "cross list", total, 0)
		return err
	})

	// Only chargeable subscriptions due by now are scanned.
	MustView(t, db, func(tx *store.Tx) error {
		due, err := tx.DueSubscriptions(ctx, Base, 10)
		MustEqual(t, "due before", len(due), 0)
		if err != nil {
			return err
		}
		due, err = tx.DueSubscriptions(ctx, next, 10)
		MustEqual(t, "due", due, []store.DueSubscription{{ClientID: b.ID, ID: other.ID}})
		return err
	})

	// An update with a stale version is refused and changes nothing.
	stale := *sub
	sub.Status, sub.Card, sub.GatewayConfig, sub.NextChargeAt = pasarela.SubscriptionActive, &pasarela.Card{Token: "tok_a", Last4: "4444"}, cfg.ID, &next
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateSubscription(ctx, sub) })
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateSubscription(ctx, &stale) })
	MustErrorKind(t, err, pasarela.KindConflict, "")
	wrong := *sub
	wrong.ClientID = b.ID
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateSubscription(ctx, &wrong) })
	MustErrorKind(t, err, pasarela.KindConflict, "")
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetSubscriptionByID(ctx, a.ID, sub.ID)
		MustEqual(t, "updated", got, sub)
		return err
	})

	// Agreements: found by token (the buyer's credential), listed per client.
	ag := &pasarela.SubscriptionAgreement{ClientID: a.ID, ApplicationID: appA.ID, SubscriptionID: sub.ID, Token: "sa_token1",
		GatewayConfig: cfg.ID, Status: pasarela.AgreementPending, ReturnURL: "https://shop.example/", CreatedAt: Base, UpdatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateAgreement(ctx, ag) })
	ag.Status, ag.Card = pasarela.AgreementRequiresAction, &pasarela.Card{Token: "tok_a", Last4: "4444"}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateAgreement(ctx, ag) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetAgreementByToken(ctx, "sa_token1")
		MustEqual(t, "agreement", got, ag)
		list, _ := tx.ListAgreements(ctx, b.ID, sub.ID)
		MustEqual(t, "cross agreements", len(list), 0)
		return err
	})
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.InvalidateOpenAgreements(ctx, a.ID, sub.ID, next) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetAgreementByToken(ctx, "sa_token1")
		MustEqual(t, "invalidated", got.Status, pasarela.AgreementInvalidated)
		return err
	})

	// A cycle is created once: the second claim of (subscription, cycle)
	// conflicts and rolls back its whole transaction, payment included.
	newPay := func(ref string) *pasarela.Payment {
		return &pasarela.Payment{ClientID: a.ID, ApplicationID: appA.ID, TransactionID: ref, CheckoutToken: "pc_" + ref,
			Status: pasarela.StatusProcessing, Type: pasarela.PaymentSubscription, Amount: 1250, Currency: "EUR",
			Language: "en", Capture: "automatic", CreatedAt: Base, UpdatedAt: Base}
	}
	claim := func(ref string) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			p := newPay(ref)
			if err := tx.CreatePayment(ctx, p); err != nil {
				return err
			}
			return tx.CreateCycle(ctx, &pasarela.SubscriptionCycle{ClientID: a.ID, SubscriptionID: sub.ID, Cycle: 1,
				PaymentID: p.ID, Status: pasarela.CycleProcessing, DueAt: Base, Attempts: 1, CreatedAt: Base, UpdatedAt: Base})
		})
	}
	if err := claim("subcycle1"); err != nil {
		t.Fatal(err)
	}
	MustErrorKind(t, claim("subcycle1b"), pasarela.KindConflict, "")
	MustView(t, db, func(tx *store.Tx) error {
		_, n, err := tx.ListPayments(ctx, a.ID, appA.ID, store.PaymentFilter{}, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "payments after a lost claim", n, pasarela.Total{Count: 1})
		return err
	})
	var c *pasarela.SubscriptionCycle
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		c, err = tx.GetCycle(ctx, a.ID, sub.ID, 1)
		if err != nil {
			return err
		}
		byPay, err := tx.GetCycleByPayment(ctx, a.ID, c.PaymentID)
		MustEqual(t, "cycle by payment", byPay, c)
		_, err2 := tx.GetCycle(ctx, b.ID, sub.ID, 1)
		MustErrorKind(t, err2, pasarela.KindNotFound, "")
		_, err2 = tx.GetCycleByPayment(ctx, b.ID, c.PaymentID)
		MustErrorKind(t, err2, pasarela.KindNotFound, "")
		return err
	})
	retry := Base.Add(24 * time.Hour)
	c.Status, c.Attempts, c.NextAttemptAt = pasarela.CycleRetrying, 2, &retry
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateCycle(ctx, c) })
	wrongCycle := *c
	wrongCycle.ClientID = b.ID
	MustErrorKind(t, db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateCycle(ctx, &wrongCycle) }), pasarela.KindNotFound, "")
	MustView(t, db, func(tx *store.Tx) error {
		list, err := tx.ListCycles(ctx, a.ID, sub.ID)
		MustEqual(t, "cycles", list, []pasarela.SubscriptionCycle{*c})
		return err
	})
}
