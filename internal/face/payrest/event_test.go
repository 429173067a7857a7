package payrest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
)

// roundTrip is the payload of an event about resource as a delivery reads
// it back from the database: through its JSON.
func roundTrip(t *testing.T, resource any) *pasarela.EventPayload {
	t.Helper()
	p, err := pasarela.NewEventPayload(resource)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	e := &pasarela.Event{ID: "evt_1", Entity: p.Entity, Version: p.Version, Data: data}
	back, err := e.Payload()
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// noZeroMember fails on a member of the JSON object body that is null,
// empty or zero, except those in allowed: given a resource with every field
// set, a zero member is a field the event payload does not carry.
func noZeroMember(t *testing.T, body []byte, allowed ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		switch string(v) {
		case "null", `""`, "0", `"0"`, "[]", "{}", "false", `"false"`:
			ok := false
			for _, a := range allowed {
				ok = ok || a == k
			}
			if !ok {
				t.Errorf("%s is %s: the event payload lost it", k, v)
			}
		}
	}
}

// A zone other than UTC and nanoseconds: the payload keeps both, so the
// body shows the times exactly as the resource had them.
var (
	zone = time.FixedZone("CST", -6*3600)
	t0   = time.Date(2026, 3, 1, 9, 30, 15, 123456789, zone)
)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

// TestRenderPaymentFromPayload: a payment event's body, rendered from the
// payload read back from storage, is the payment as PayREST's answers show
// it, every field included.
func TestRenderPaymentFromPayload(t *testing.T) {
	t.Parallel()
	p := &pasarela.Payment{ID: 41, ClientID: "c_1", ApplicationID: 7, TransactionID: "tx_1", Status: pasarela.StatusRequiresAction,
		Type: pasarela.PaymentSimple, Amount: 1050, Currency: "EUR", Captured: 1050, Refunded: 50,
		Description: "<b>Mugs & cups</b>", CustomerID: "cust_1", CustomerEmail: "ada@example.com", MerchantRef: "ORD-9",
		Language: "es", Flags: []string{"mail"}, AskForDetails: true, GatewayConfigs: []int64{3, 4}, GatewayConfig: 3,
		Capture: "manual", CheckoutToken: "pc_tok", ProcessorRef: "ch_1",
		Card:        &pasarela.Card{Token: "tok_secret", Last4: "4242", Brand: "visa", ExpMonth: 12, ExpYear: 2045},
		FailureCode: "card_declined", FailureMessage: "declined", ParentID: 40, ReturnURL: "https://shop.example/ok",
		CancelURL: "https://shop.example/ko", Metadata: map[string]string{"k": "v"}, ExpiresAt: at(time.Hour),
		CompletedAt: at(time.Minute), CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), Version: 3,
		Items:    []pasarela.LineItem{{Description: "mug", Amount: 900}},
		Taxes:    []pasarela.LineItem{{Description: "IVA", Amount: 100}},
		Shipping: 50, OrderFingerprint: "fp"}
	// The public URL's trailing slash is not doubled in the link.
	body, err := RenderPayment("http://pay.test/", roundTrip(t, p).Payment)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(paymentView(p.Snapshot(), "http://pay.test/pay/pc_tok"))
	if !bytes.Equal(body, want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	noZeroMember(t, body, "subscription")
	if bytes.Contains(body, []byte("tok_secret")) {
		t.Error("the body shows the card's processor token")
	}
	// Without an order, there is no order member.
	p.OrderFingerprint = ""
	body, _ = RenderPayment("http://pay.test", roundTrip(t, p).Payment)
	if bytes.Contains(body, []byte(`"order"`)) {
		t.Errorf("a payment not made as an order shows one: %s", body)
	}
}

func TestRenderRefundFromPayload(t *testing.T) {
	t.Parallel()
	r := &pasarela.Refund{ID: 5, ClientID: "c_1", ApplicationID: 7, PaymentID: 41, Amount: 50, Currency: "EUR", Reason: "broken",
		Status: pasarela.RefundCompleted, ProcessorRef: "re_1", FailureMessage: "none", CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}
	body, err := RenderRefund(roundTrip(t, r).Refund)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(refundView(r)); !bytes.Equal(body, want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	noZeroMember(t, body)
}

func TestRenderSubscriptionFromPayload(t *testing.T) {
	t.Parallel()
	s := &pasarela.Subscription{ID: 9, ClientID: "c_1", ApplicationID: 7, Status: pasarela.SubscriptionActive, Amount: 999,
		Currency: "EUR", Description: "monthly", CustomerID: "cust_1", CustomerEmail: "ada@example.com",
		Interval: pasarela.IntervalMonth, IntervalCount: 2, StartDate: t0, Cycles: 12, EndDate: at(24 * time.Hour),
		GatewayConfigs: []int64{3}, GatewayConfig: 3,
		Card:       &pasarela.Card{Token: "tok_secret", Last4: "4242", Brand: "visa", ExpMonth: 12, ExpYear: 2045},
		CyclesPaid: 1, NextCycle: 2, NextChargeAt: at(time.Hour), ConfirmedAt: at(time.Second), CanceledAt: at(2 * time.Hour),
		CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), Version: 4}
	body, err := RenderSubscription(roundTrip(t, s).Subscription)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(subscriptionView(s)); !bytes.Equal(body, want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	noZeroMember(t, body)
	// Cycles 0 (until cancelled) shows as null, as PayREST's answers do.
	s.Cycles = 0
	body, _ = RenderSubscription(roundTrip(t, s).Subscription)
	if !bytes.Contains(body, []byte(`"cycles":null`)) {
		t.Errorf("open-ended subscription: %s", body)
	}
}
