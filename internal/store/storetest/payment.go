package storetest

import (
	"context"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testPaymentRoundTrip: every field a payment is created with, and every
// field an update writes, reads back as written.
func testPaymentRoundTrip(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.roundtrip")
	app := MustApplication(t, db, c.ID, "Shop")
	p := &pasarela.Payment{ClientID: c.ID, ApplicationID: app.ID, TransactionID: "TXROUNDTRIP000001",
		CheckoutToken: "pc_roundtrip", Status: pasarela.StatusPending, Type: pasarela.PaymentSimple, Amount: 1050,
		Currency: "EUR", Description: "order", CustomerEmail: "b@example.com", MerchantRef: "ORD-1", Language: "it",
		Flags: []string{"x"}, GatewayConfigs: []int64{}, SingleAttempt: true, ReturnURL: "https://shop.example/r",
		Metadata: map[string]string{"k": "v"}, CreatedAt: Base, UpdatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreatePayment(ctx, p) })
	var got *pasarela.Payment
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		got, err = tx.GetPayment(ctx, c.ID, app.ID, p.ID)
		return err
	})
	MustEqual(t, "created payment", got, p)

	got.Status, got.Captured = pasarela.StatusProcessing, 0
	got.Card = &pasarela.Card{Token: "tok_1", BIN: "477571", Last4: "2026", Brand: "visa", ExpMonth: 5, ExpYear: 2035}
	got.AuthorizationCode, got.ProcessorRef = "A1B2C3", "ch_1"
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, got) })
	var again *pasarela.Payment
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		again, err = tx.GetPayment(ctx, c.ID, app.ID, p.ID)
		return err
	})
	MustEqual(t, "updated payment", again, got)
}
