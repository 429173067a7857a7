package core_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// MustSubscription creates a subscription of A's application; the zero
// fields get a monthly charge of 1000 EUR cents starting now.
func (e *env) MustSubscription(in core.SubscriptionInput) *pasarela.Subscription {
	e.t.Helper()
	if in.Amount == 0 {
		in.Amount = 1000
	}
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	if in.Interval == "" {
		in.Interval = "month"
	}
	sub, _, err := e.svc.CreateSubscription(e.app(), e.appID(), in, nil)
	if err != nil {
		e.t.Fatalf("create subscription: %v", err)
	}
	return sub
}

// MustAgreement makes an agreement of a subscription on a config.
func (e *env) MustAgreement(subID, configID int64) *pasarela.SubscriptionAgreement {
	e.t.Helper()
	a, _, err := e.svc.CreateAgreement(e.app(), e.appID(), subID, core.AgreementInput{GatewayConfig: configID,
		ReturnURL: "https://shop.example/thanks"}, nil)
	if err != nil {
		e.t.Fatalf("create agreement: %v", err)
	}
	return a
}

// MustConfirmed creates a subscription and confirms it with a card.
func (e *env) MustConfirmed(configID int64, in core.SubscriptionInput, c pasarela.CardInput) *pasarela.Subscription {
	e.t.Helper()
	sub := e.MustSubscription(in)
	a := e.MustAgreement(sub.ID, configID)
	pg, err := e.svc.ConfirmAgreement(e.ctx, a.Token, c)
	if err != nil {
		e.t.Fatalf("confirm agreement: %v", err)
	}
	if pg.Agreement.Status != pasarela.AgreementConfirmed || pg.Subscription.Status != pasarela.SubscriptionActive {
		e.t.Fatalf("after confirming: agreement %s, subscription %s", pg.Agreement.Status, pg.Subscription.Status)
	}
	return pg.Subscription
}

func (e *env) MustSub(id int64) *core.SubscriptionDetail {
	e.t.Helper()
	d, err := e.svc.GetSubscription(e.app(), e.appID(), id)
	if err != nil {
		e.t.Fatalf("get subscription %d: %v", id, err)
	}
	return d
}

// step runs the scheduler once at the clock's time.
func (e *env) step() core.SubscriptionRun {
	e.t.Helper()
	r, err := e.svc.RunSubscriptions(e.ctx)
	if err != nil {
		e.t.Fatalf("run subscriptions: %v", err)
	}
	return r
}

// at moves the clock to t (never back).
func (e *env) at(t time.Time) {
	e.t.Helper()
	d := t.Sub(e.clock.Now())
	if d < 0 {
		e.t.Fatalf("the clock cannot go back to %s", t)
	}
	e.clock.Advance(d)
}

func cardExp(number string, month, year int) pasarela.CardInput {
	c := card(number)
	c.ExpMonth, c.ExpYear = month, year
	return c
}

// TestSubscriptionLifecycle: a monthly subscription anchored on the 31st is
// confirmed on its page and charged on Mar 31, Apr 30 and May 31, then
// completes; each charge is a payment of type subscription in the ledger.
func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		start := time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC)
		sub := e.MustSubscription(core.SubscriptionInput{Amount: 1000, Currency: "eur", Description: "Gym",
			CustomerID: "cust-7", CustomerEmail: "ada@example.com", StartDate: &start, Cycles: 3})
		if sub.Status != pasarela.SubscriptionPending || sub.Currency != "EUR" || sub.IntervalCount != 1 {
			t.Fatalf("created %+v", sub)
		}
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("a pending subscription was charged: %+v", r)
		}
		a := e.MustAgreement(sub.ID, cfg.ID)
		pg, err := e.svc.OpenAgreement(e.ctx, a.Token)
		if err != nil || pg.Merchant != "Alpha Shop web" || pg.Gateway != sandbox.GatewayID || !pg.FirstCharge.Equal(start) {
			t.Fatalf("open agreement: %+v %v", pg, err)
		}
		pg, err = e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa))
		if err != nil {
			t.Fatal(err)
		}
		if pg.Subscription.Status != pasarela.SubscriptionActive || pg.Subscription.Card.Last4 != "4242" ||
			!pg.Subscription.NextChargeAt.Equal(start) {
			t.Fatalf("confirmed: %+v", pg.Subscription)
		}
		// A second press of Confirm changes nothing.
		if _, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardMastercard)); pasarela.AsError(err).Code != "not_payable" {
			t.Fatalf("second confirm: %v", err)
		}
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("charged before the start date: %+v", r)
		}
		for i, due := range []time.Time{start, time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC), time.Date(2026, 5, 31, 9, 0, 0, 0, time.UTC)} {
			e.at(due.Add(-time.Second))
			if r := e.step(); r.Claimed != 0 {
				t.Fatalf("cycle %d charged a second early", i+1)
			}
			e.at(due)
			if r := e.step(); r.Claimed != 1 || r.Paid != 1 {
				t.Fatalf("cycle %d: %+v", i+1, r)
			}
			if r := e.step(); r.Claimed != 0 {
				t.Fatalf("cycle %d charged twice", i+1)
			}
		}
		d := e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionCompleted || d.CyclesPaid != 3 || d.NextChargeAt != nil || len(d.Payments) != 3 {
			t.Fatalf("after three cycles: %+v, %d payments", d.Subscription, len(d.Payments))
		}
		wantDue := []string{"2026-03-31", "2026-04-30", "2026-05-31"}
		for i, p := range d.Payments {
			if d.Cycles[i].DueAt.Format(time.DateOnly) != wantDue[i] || d.Cycles[i].Status != pasarela.CyclePaid {
				t.Errorf("cycle %d: %+v", i+1, d.Cycles[i])
			}
			if p.Type != pasarela.PaymentSubscription || p.Status != pasarela.StatusCompleted || p.Amount != 1000 ||
				p.Card == nil || p.Card.Last4 != "4242" || p.CustomerID != "cust-7" {
				t.Errorf("payment of cycle %d: %+v", i+1, p)
			}
			if want := int64(0); i > 0 {
				want = d.Payments[0].ID
				if p.ParentID != want {
					t.Errorf("cycle %d parent = %d, want %d", i+1, p.ParentID, want)
				}
			}
			if e.sandboxCharges(&p) != 1 {
				t.Errorf("cycle %d: %d sandbox charges", i+1, e.sandboxCharges(&p))
			}
			ps, err := e.svc.SubscriptionOfPayment(e.app(), e.appID(), p.ID)
			if err != nil || ps == nil || ps.Subscription.ID != sub.ID || ps.Cycle != i+1 {
				t.Errorf("subscription of payment %d: %+v %v", p.ID, ps, err)
			}
		}
		// 3 × (1000 − 2.5 % − 30) to the merchant.
		if got := e.balance(clientAvailable(e.A.Client.ID)); got != 3*(1000-25-30) {
			t.Errorf("merchant balance %d", got)
		}
		e.at(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("a completed subscription was charged: %+v", r)
		}
		// Each change was recorded for webhooks, in its own transaction.
		for typ, want := range map[string]int{"subscription.created": 1, "subscription.activated": 1,
			"subscription.renewed": 2, "subscription.completed": 1, "subscription.past_due": 0} {
			if n := e.count(`SELECT COUNT(*) FROM events WHERE entity = 'subscription' AND entity_id = $1 AND type = $2`, sub.ID, typ); n != want {
				t.Errorf("%d %s events, want %d", n, typ, want)
			}
		}
		// A new agreement cannot be made for a completed subscription.
		_, _, err = e.svc.CreateAgreement(e.app(), e.appID(), sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
		wantErr(t, "agreement of completed", err, pasarela.KindInvalid, "not_agreeable", "completed")
		wantErr(t, "cancel completed", e.svc.CancelSubscription(e.app(), e.appID(), sub.ID), pasarela.KindInvalid,
			"invalid_transition", "invalidated")
	})
}

// TestSubscriptionLeapYear: a yearly subscription from Feb 29 is charged
// on Feb 28 in common years; an end date stops it.
func TestSubscriptionLeapYear(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		e.at(time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC))
		e.sandbox.Now = e.clock.Now
		start := time.Date(2028, 2, 29, 8, 0, 0, 0, time.UTC)
		end := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
		sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{Interval: "year", StartDate: &start, EndDate: &end}, card(cardVisa))
		for _, due := range []time.Time{start, time.Date(2029, 2, 28, 8, 0, 0, 0, time.UTC), time.Date(2030, 2, 28, 8, 0, 0, 0, time.UTC)} {
			e.at(due)
			if r := e.step(); r.Paid != 1 {
				t.Fatalf("due %s: %+v", due, r)
			}
		}
		if d := e.MustSub(sub.ID); d.Status != pasarela.SubscriptionCompleted || d.CyclesPaid != 3 {
			t.Fatalf("after the end date: %+v", d.Subscription)
		}
	})
}

// TestSubscriptionCatchUp: an agreement confirmed after several daily
// cycles were due charges the latest one, not the periods nobody agreed to.
func TestSubscriptionCatchUp(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		start := e.clock.Now()
		sub := e.MustSubscription(core.SubscriptionInput{Interval: "day", StartDate: &start, Cycles: 10})
		a := e.MustAgreement(sub.ID, cfg.ID)
		e.clock.Advance(3*24*time.Hour + time.Hour)
		if _, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa)); err != nil {
			t.Fatal(err)
		}
		if r := e.step(); r.Paid != 1 {
			t.Fatalf("catch up: %+v", r)
		}
		d := e.MustSub(sub.ID)
		if len(d.Cycles) != 1 || d.Cycles[0].Cycle != 4 || d.NextCycle != 5 {
			t.Fatalf("cycles %+v, next %d", d.Cycles, d.NextCycle)
		}
	})
}

// TestSubscriptionValidation: each bad field is named.
func TestSubscriptionValidation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		past := e.clock.Now().Add(-48 * time.Hour)
		start := e.clock.Now().Add(time.Hour)
		before := start.Add(-time.Minute)
		tests := []struct {
			name  string
			in    core.SubscriptionInput
			field string
		}{
			{"no amount", core.SubscriptionInput{Currency: "EUR", Interval: "month"}, "amount"},
			{"crypto", core.SubscriptionInput{Amount: 1, Currency: "BTC", Interval: "month"}, "currency"},
			{"no interval", core.SubscriptionInput{Amount: 1, Currency: "EUR"}, "interval"},
			{"bad interval", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "fortnight"}, "interval"},
			{"bad count", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "year", IntervalCount: 11}, "interval_count"},
			{"negative count", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", IntervalCount: -1}, "interval_count"},
			{"past start", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", StartDate: &past}, "start_date"},
			{"both ends", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", Cycles: 2, EndDate: &start}, "end_date"},
			{"end first", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", StartDate: &start, EndDate: &before}, "end_date"},
			{"bad email", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", CustomerEmail: "nope"}, "customer_email"},
			{"unknown config", core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day", GatewayConfigs: []int64{999}}, "gateway_configs"},
		}
		for _, tt := range tests {
			_, _, err := e.svc.CreateSubscription(e.app(), e.appID(), tt.in, nil)
			if f := pasarela.AsError(err).Field; f != tt.field && (len(pasarela.AsError(err).Fields) == 0 || pasarela.AsError(err).Fields[0].Field != tt.field) {
				t.Errorf("%s: error %v, want one naming %s", tt.name, err, tt.field)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM subscriptions`); n != 0 {
			t.Errorf("%d subscriptions written by refused requests", n)
		}
	})
}

// TestSubscriptionAgreement3DS: a card that asks for 3-D Secure confirms
// after the challenge; its scheduled charges ask the buyer again, who pays
// on the cycle payment's own page, and the subscription recovers.
func TestSubscriptionAgreement3DS(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		sub := e.MustSubscription(core.SubscriptionInput{})
		a := e.MustAgreement(sub.ID, cfg.ID)
		pg, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(card3DS))
		if err != nil || pg.Agreement.Status != pasarela.AgreementRequiresAction || pg.Subscription.Status != pasarela.SubscriptionPending {
			t.Fatalf("3DS confirm: %+v %v", pg, err)
		}
		// A failed challenge leaves the agreement to try again.
		pg, err = e.svc.ResumeAgreement(e.ctx, a.Token, false)
		if err != nil || pg.Agreement.Status != pasarela.AgreementPending || pg.Agreement.FailureCode != processor.CodeAuthentication {
			t.Fatalf("failed challenge: %+v %v", pg.Agreement, err)
		}
		if _, err := e.svc.ResumeAgreement(e.ctx, a.Token, true); pasarela.AsError(err).Code != "not_payable" {
			t.Fatalf("resume of a pending agreement: %v", err)
		}
		if pg, err = e.svc.ConfirmAgreement(e.ctx, a.Token, card(card3DS)); err != nil {
			t.Fatal(err)
		}
		pg, err = e.svc.ResumeAgreement(e.ctx, a.Token, true)
		if err != nil || pg.Agreement.Status != pasarela.AgreementConfirmed || pg.Subscription.Status != pasarela.SubscriptionActive {
			t.Fatalf("approved challenge: %+v %v", pg.Agreement, err)
		}
		// No money moved for the verification.
		if got := e.balance(clientAvailable(e.A.Client.ID)); got != 0 {
			t.Fatalf("verification moved %d", got)
		}
		if r := e.step(); r.Claimed != 1 || r.Paid != 0 {
			t.Fatalf("first charge: %+v", r)
		}
		d := e.MustSub(sub.ID)
		pay := d.Payments[0]
		if d.Status != pasarela.SubscriptionPastDue || pay.Status != pasarela.StatusRequiresAction || d.Cycles[0].Status != pasarela.CycleRetrying {
			t.Fatalf("after a charge asking for 3DS: %s, payment %s, cycle %s", d.Status, pay.Status, d.Cycles[0].Status)
		}
		c, err := e.svc.ResumeCheckout(e.ctx, pay.CheckoutToken, true)
		if err != nil || c.Payment.Status != pasarela.StatusCompleted {
			t.Fatalf("buyer authenticates: %+v %v", c, err)
		}
		d = e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionActive || d.CyclesPaid != 1 || d.Cycles[0].Status != pasarela.CyclePaid ||
			!d.NextChargeAt.Equal(sub.StartDate.AddDate(0, 1, 0)) {
			t.Fatalf("after the buyer paid: %+v %+v", d.Subscription, d.Cycles)
		}
		// The retry date passes: nothing is charged again.
		e.clock.Advance(48 * time.Hour)
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("charged again: %+v", r)
		}
	})
}

// TestSubscriptionOffSessionAfterSetup: a card that asks for 3-D Secure
// unless it was set up (4000002500003155) is challenged once, when the
// buyer confirms the agreement; the scheduled charges are off-session and go
// through without the buyer.
func TestSubscriptionOffSessionAfterSetup(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		sub := e.MustSubscription(core.SubscriptionInput{Cycles: 2})
		a := e.MustAgreement(sub.ID, cfg.ID)
		pg, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card("4000002500003155"))
		if err != nil || pg.Agreement.Status != pasarela.AgreementRequiresAction {
			t.Fatalf("confirm: %+v %v", pg, err)
		}
		if pg, err = e.svc.ResumeAgreement(e.ctx, a.Token, true); err != nil || pg.Subscription.Status != pasarela.SubscriptionActive {
			t.Fatalf("challenge: %+v %v", pg, err)
		}
		if r := e.step(); r.Claimed != 1 || r.Paid != 1 {
			t.Fatalf("first cycle: %+v, want paid without the buyer", r)
		}
		e.clock.Advance(32 * 24 * time.Hour)
		if r := e.step(); r.Claimed != 1 || r.Paid != 1 {
			t.Fatalf("second cycle: %+v, want paid without the buyer", r)
		}
		if d := e.MustSub(sub.ID); d.Status != pasarela.SubscriptionCompleted || d.CyclesPaid != 2 {
			t.Fatalf("after two cycles: %s, %d paid", d.Status, d.CyclesPaid)
		}
	})
}

// TestSubscriptionDeclinedVerification: a card that declines cannot be
// stored; the page says why and the buyer may try another.
func TestSubscriptionDeclinedVerification(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		sub := e.MustSubscription(core.SubscriptionInput{})
		a := e.MustAgreement(sub.ID, cfg.ID)
		for _, tc := range []struct{ number, code string }{{cardDeclined, processor.CodeCardDeclined}, {cardInsufficient, processor.CodeInsufficientFunds}} {
			pg, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(tc.number))
			if err != nil || pg.Agreement.Status != pasarela.AgreementPending || pg.Agreement.FailureCode != tc.code {
				t.Fatalf("%s: %+v %v", tc.number, pg.Agreement, err)
			}
		}
		bad := card(cardVisa)
		bad.Number = "4242424242424241"
		_, err := e.svc.ConfirmAgreement(e.ctx, a.Token, bad)
		if f := pasarela.AsError(err).Fields; len(f) == 0 || f[0].Field != "number" {
			t.Fatalf("bad number: %v", err)
		}
		if _, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa)); err != nil {
			t.Fatal(err)
		}
		if d := e.MustSub(sub.ID); d.Status != pasarela.SubscriptionActive {
			t.Fatalf("status %s", d.Status)
		}
	})
}

// TestSubscriptionDunning: a stored card that expires after the agreement
// declines its charges (the sandbox checks expiry on each charge, against
// the test clock); the charge is retried 1, 3 and 5 days after the due date
// (past_due), then the payment fails and the subscription is unpaid.
func TestSubscriptionDunning(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.sandbox.Now = e.clock.Now
		cfg := e.MustSandbox()
		start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		// Valid through April: verified in March, expired by May.
		sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{StartDate: &start}, cardExp(cardVisa, 4, 2026))
		e.at(start)
		if r := e.step(); r.Claimed != 1 || r.Failed != 1 {
			t.Fatalf("first attempt: %+v", r)
		}
		d := e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionPastDue || d.Payments[0].Status != pasarela.StatusPending ||
			d.Payments[0].FailureCode != processor.CodeExpiredCard || !d.NextChargeAt.Equal(start.Add(24*time.Hour)) {
			t.Fatalf("after the first decline: %+v, payment %+v", d.Subscription, d.Payments[0])
		}
		for i, offset := range []time.Duration{24 * time.Hour, 72 * time.Hour, 120 * time.Hour} {
			e.at(start.Add(offset - time.Minute))
			if r := e.step(); r.Claimed != 0 {
				t.Fatalf("retry %d ran early", i+1)
			}
			e.at(start.Add(offset))
			if r := e.step(); r.Claimed != 1 || r.Failed != 1 {
				t.Fatalf("retry %d: %+v", i+1, r)
			}
			d = e.MustSub(sub.ID)
			want := pasarela.SubscriptionPastDue
			if i == 2 {
				want = pasarela.SubscriptionUnpaid
			}
			if d.Status != want || d.Cycles[0].Attempts != i+2 {
				t.Fatalf("after retry %d: %s, attempts %d", i+1, d.Status, d.Cycles[0].Attempts)
			}
		}
		if d.Payments[0].Status != pasarela.StatusFailed || d.Cycles[0].Status != pasarela.CycleFailed || d.NextChargeAt != nil {
			t.Fatalf("exhausted: payment %s, cycle %s", d.Payments[0].Status, d.Cycles[0].Status)
		}
		if e.sandboxCharges(&d.Payments[0]) != 4 {
			t.Errorf("%d sandbox charges, want 4", e.sandboxCharges(&d.Payments[0]))
		}
		e.at(start.AddDate(0, 2, 0))
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("an unpaid subscription was charged: %+v", r)
		}
		if got := e.balance(clientAvailable(e.A.Client.ID)); got != 0 {
			t.Errorf("declines moved %d", got)
		}
	})
}

// TestSubscriptionDunningRecovers: a declined cycle paid on a retry makes
// the subscription active again, and a new agreement replaces the card of
// one past due and retries at once.
func TestSubscriptionDunningRecovers(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		start := e.clock.Now()
		sub := e.MustConfirmed(fake.ID, core.SubscriptionInput{StartDate: &start}, card(cardVisa))
		e.fake.set(fakeDecline)
		if r := e.step(); r.Failed != 1 {
			t.Fatalf("decline: %+v", r)
		}
		e.fake.set(fakeApprove)
		e.clock.Advance(24 * time.Hour)
		if r := e.step(); r.Paid != 1 {
			t.Fatalf("retry: %+v", r)
		}
		d := e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionActive || d.CyclesPaid != 1 || !d.NextChargeAt.Equal(start.AddDate(0, 1, 0)) {
			t.Fatalf("recovered: %+v", d.Subscription)
		}
		// Cycle 2 declines; the buyer gives a new card through a new
		// agreement, and the cycle is charged at the next step.
		e.at(start.AddDate(0, 1, 0))
		e.fake.set(fakeDecline)
		if r := e.step(); r.Failed != 1 {
			t.Fatalf("cycle 2 decline: %+v", r)
		}
		e.fake.set(fakeApprove)
		a := e.MustAgreement(sub.ID, fake.ID)
		if _, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardMastercard)); err != nil {
			t.Fatal(err)
		}
		if r := e.step(); r.Paid != 1 {
			t.Fatalf("after the new card: %+v", r)
		}
		d = e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionActive || d.CyclesPaid != 2 || d.Card.Last4 != "4444" {
			t.Fatalf("after the new card: %+v", d.Subscription)
		}
	})
}

// TestSubscriptionCancel: a cancel stops every later charge and invalidates
// a cycle waiting for its retry; a second cancel is refused.
func TestSubscriptionCancel(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		start := e.clock.Now()
		sub := e.MustConfirmed(fake.ID, core.SubscriptionInput{StartDate: &start}, card(cardVisa))
		e.fake.set(fakeDecline)
		e.step()
		if err := e.svc.CancelSubscription(e.app(), e.appID(), sub.ID); err != nil {
			t.Fatal(err)
		}
		d := e.MustSub(sub.ID)
		if d.Status != pasarela.SubscriptionInvalidated || d.CanceledAt == nil || d.Payments[0].Status != pasarela.StatusInvalidated ||
			d.Cycles[0].Status != pasarela.CycleInvalidated || d.Agreements[0].Status != pasarela.AgreementConfirmed {
			t.Fatalf("cancelled: %+v %+v %+v", d.Subscription, d.Payments[0], d.Cycles)
		}
		e.fake.set(fakeApprove)
		before := e.fake.Calls("Authorize")
		e.clock.Advance(400 * 24 * time.Hour)
		if r := e.step(); r.Claimed != 0 || e.fake.Calls("Authorize") != before {
			t.Fatalf("charged after the cancel: %+v", r)
		}
		wantErr(t, "second cancel", e.svc.CancelSubscription(e.app(), e.appID(), sub.ID), pasarela.KindInvalid,
			"invalid_transition", "invalidated")

		// Cancelling a pending subscription closes its open agreement.
		sub2 := e.MustSubscription(core.SubscriptionInput{})
		a := e.MustAgreement(sub2.ID, fake.ID)
		if err := e.svc.CancelSubscription(e.app(), e.appID(), sub2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa)); pasarela.AsError(err).Code != "not_payable" {
			t.Fatalf("confirm after cancel: %v", err)
		}
		if d := e.MustSub(sub2.ID); d.Agreements[0].Status != pasarela.AgreementInvalidated || d.Card != nil {
			t.Fatalf("agreement after cancel: %+v", d.Agreements[0])
		}
	})
}

// TestSubscriptionCancelRace: a cancel and the scheduler race for the same
// due cycle, many times. Exactly one outcome each time: no payment (the
// cancel won), or one payment charged to the end (the claim won, the charge
// was sent and finishes); never a payment left in flight, never two.
func TestSubscriptionCancelRace(t *testing.T) {
	t.Parallel()
	rounds := 12
	if raceDetector {
		rounds = 6
	}
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		outcomes := map[string]int{}
		for round := range rounds {
			start := e.clock.Now()
			sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{StartDate: &start, Interval: "day"}, card(cardVisa))
			var cancelErr error
			barrier(2, func(i int) {
				if i == 0 {
					cancelErr = e.svc.CancelSubscription(e.app(), e.appID(), sub.ID)
					return
				}
				if _, err := e.svc.RunSubscriptions(e.ctx); err != nil {
					t.Errorf("round %d: run: %v", round, err)
				}
			})
			if cancelErr != nil {
				t.Fatalf("round %d: cancel: %v", round, cancelErr)
			}
			d := e.MustSub(sub.ID)
			if d.Status != pasarela.SubscriptionInvalidated {
				t.Fatalf("round %d: status %s", round, d.Status)
			}
			switch len(d.Payments) {
			case 0:
				outcomes["cancel first"]++
			case 1:
				outcomes["charge first"]++
				p := d.Payments[0]
				if p.Status != pasarela.StatusCompleted || d.Cycles[0].Status != pasarela.CyclePaid || e.sandboxCharges(&p) != 1 {
					t.Fatalf("round %d: payment %s, cycle %s, %d charges", round, p.Status, d.Cycles[0].Status, e.sandboxCharges(&p))
				}
			default:
				t.Fatalf("round %d: %d payments", round, len(d.Payments))
			}
			// Once the cancel is acknowledged nothing more is charged.
			e.clock.Advance(3 * 24 * time.Hour)
			if r := e.step(); r.Claimed != 0 {
				t.Fatalf("round %d: charged after the cancel: %+v", round, r)
			}
		}
		t.Logf("outcomes: %v", outcomes)
	})
}

// TestSubscriptionCancelRaceRetry: the cancel races a dunning retry of a
// declined cycle: the payment ends invalidated (cancel first) or paid
// (retry first), never both, never charged after.
func TestSubscriptionCancelRaceRetry(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		for round := range 6 {
			start := e.clock.Now()
			sub := e.MustConfirmed(fake.ID, core.SubscriptionInput{StartDate: &start}, card(cardVisa))
			e.fake.set(fakeDecline)
			e.step()
			e.fake.set(fakeApprove)
			e.clock.Advance(24 * time.Hour)
			var cancelErr error
			barrier(2, func(i int) {
				if i == 0 {
					cancelErr = e.svc.CancelSubscription(e.app(), e.appID(), sub.ID)
					return
				}
				if _, err := e.svc.RunSubscriptions(e.ctx); err != nil {
					t.Errorf("round %d: run: %v", round, err)
				}
			})
			if cancelErr != nil {
				t.Fatalf("round %d: cancel: %v", round, cancelErr)
			}
			d := e.MustSub(sub.ID)
			p, c := d.Payments[0], d.Cycles[0]
			ok := (p.Status == pasarela.StatusInvalidated && c.Status == pasarela.CycleInvalidated && c.Attempts == 1) ||
				(p.Status == pasarela.StatusCompleted && c.Status == pasarela.CyclePaid && c.Attempts == 2)
			if !ok || d.Status != pasarela.SubscriptionInvalidated || len(d.Payments) != 1 {
				t.Fatalf("round %d: %s, payment %s, cycle %s after %d attempts", round, d.Status, p.Status, c.Status, c.Attempts)
			}
			e.clock.Advance(60 * 24 * time.Hour)
			if r := e.step(); r.Claimed != 0 {
				t.Fatalf("round %d: charged after the cancel", round)
			}
		}
	})
}

// TestSubscriptionTwoNodes: two services (two pools, two schedulers) on one
// PostgreSQL database step at once, many times over: each cycle gets
// exactly one payment and one processor charge.
func TestSubscriptionTwoNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	clock := coretest.NewClock(coretest.Start)
	var svcs [2]*core.Service
	for i := range svcs {
		db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 6})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		sb := sandbox.New(core.ProcessorState(db, sandbox.GatewayID))
		svcs[i], err = core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, core.Config{
			Processors: processor.NewRegistry(sb), SecretKey: []byte("0123456789abcdef0123456789abcdef")})
		if err != nil {
			t.Fatal(err)
		}
	}
	ten := coretest.MustTenant(t, svcs[0], "Twin Shop")
	actx := ten.AppCtx(ctx)
	cfg, err := svcs[0].CreateGatewayConfig(ten.AdminCtx(ctx), ten.App.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("cards"), Weight: pasarela.Set(1)})
	if err != nil {
		t.Fatal(err)
	}
	const subs, days = 6, 5
	start := clock.Now()
	for range subs {
		sub, _, err := svcs[0].CreateSubscription(actx, ten.App.ID, core.SubscriptionInput{Amount: 500, Currency: "EUR",
			Interval: "day", StartDate: &start}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := svcs[1].CreateAgreement(actx, ten.App.ID, sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svcs[0].ConfirmAgreement(ctx, a.Token, card(cardVisa)); err != nil {
			t.Fatal(err)
		}
	}
	var claimed atomic.Int64
	for day := range days {
		barrier(4, func(i int) {
			r, err := svcs[i%2].RunSubscriptions(ctx)
			if err != nil {
				t.Errorf("day %d node %d: %v", day, i%2, err)
			}
			claimed.Add(int64(r.Claimed))
		})
		clock.Advance(24 * time.Hour)
	}
	if got := claimed.Load(); got != subs*days {
		t.Errorf("%d cycles claimed, want %d", got, subs*days)
	}
	list, total, err := svcs[1].ListSubscriptions(actx, ten.App.ID, core.SubscriptionFilter{}, pasarela.ListOptions{Limit: 100})
	if err != nil || total != subs {
		t.Fatalf("list: %d %v", total, err)
	}
	for _, s := range list {
		d, err := svcs[0].GetSubscription(actx, ten.App.ID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.CyclesPaid != days || len(d.Payments) != days {
			t.Errorf("subscription %d: %d paid, %d payments, want %d", s.ID, d.CyclesPaid, len(d.Payments), days)
		}
		for _, p := range d.Payments {
			if p.Status != pasarela.StatusCompleted {
				t.Errorf("payment %d is %s", p.ID, p.Status)
			}
		}
	}
	pays, _, err := svcs[0].ListPayments(actx, ten.App.ID, core.PaymentFilter{}, pasarela.ListOptions{Limit: 100})
	if err != nil || len(pays) != subs*days {
		t.Fatalf("%d payments (%v), want %d", len(pays), err, subs*days)
	}
	coretest.MustSoundLedger(t, svcs[0])
}

// TestSubscriptionIsolation: another client's key or admin can neither see
// nor change a subscription, nor make agreements for it.
func TestSubscriptionIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		sub := e.MustSubscription(core.SubscriptionInput{})
		for name, ctx := range map[string]context.Context{"B key": e.B.AppCtx(e.ctx), "B admin": e.B.AdminCtx(e.ctx)} {
			if _, err := e.svc.GetSubscription(ctx, e.appID(), sub.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s get: %v", name, err)
			}
			if _, _, err := e.svc.ListSubscriptions(ctx, e.appID(), core.SubscriptionFilter{}, pasarela.ListOptions{}); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s list: %v", name, err)
			}
			if err := e.svc.CancelSubscription(ctx, e.appID(), sub.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s cancel: %v", name, err)
			}
			if _, _, err := e.svc.CreateAgreement(ctx, e.appID(), sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s agreement: %v", name, err)
			}
			if _, _, err := e.svc.CreateSubscription(ctx, e.appID(), core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day"}, nil); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s create: %v", name, err)
			}
			// B's own application does not have A's subscription either.
			if _, err := e.svc.GetSubscription(ctx, e.B.App.ID, sub.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s get through its own app: %v", name, err)
			}
			if err := e.svc.CancelSubscription(ctx, e.B.App.ID, sub.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s cancel through its own app: %v", name, err)
			}
		}
		// A's config cannot serve B's subscription.
		bsub, _, err := e.svc.CreateSubscription(e.B.AppCtx(e.ctx), e.B.App.ID, core.SubscriptionInput{Amount: 1, Currency: "EUR", Interval: "day"}, nil)
		if err == nil {
			_, _, err = e.svc.CreateAgreement(e.B.AppCtx(e.ctx), e.B.App.ID, bsub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
			if pasarela.AsError(err).Field != "gateway_config" {
				t.Errorf("B agreement on A's config: %v", err)
			}
		} else if pasarela.AsError(err).Field != "gateway_configs" {
			t.Errorf("B create without configs: %v", err)
		}
		if d := e.MustSub(sub.ID); d.Status != pasarela.SubscriptionPending || len(d.Agreements) != 0 {
			t.Errorf("A's subscription changed: %+v", d.Subscription)
		}
	})
}

// TestSubscriptionAgreementRaces: the buyer confirms while the merchant
// cancels and makes a new agreement, all at once. Every refusal is a clear
// invalid-state answer (never a deadlock or an internal error), and the
// cancel always wins in the end: nothing is charged afterwards.
func TestSubscriptionAgreementRaces(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		for round := range 6 {
			sub := e.MustSubscription(core.SubscriptionInput{})
			a := e.MustAgreement(sub.ID, cfg.ID)
			errs := make([]error, 3)
			barrier(3, func(i int) {
				switch i {
				case 0:
					_, errs[i] = e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa))
				case 1:
					errs[i] = e.svc.CancelSubscription(e.app(), e.appID(), sub.ID)
				case 2:
					_, _, errs[i] = e.svc.CreateAgreement(e.app(), e.appID(), sub.ID, core.AgreementInput{GatewayConfig: cfg.ID}, nil)
				}
			})
			if errs[1] != nil {
				t.Fatalf("round %d: cancel: %v", round, errs[1])
			}
			for i, err := range errs {
				if err != nil && pasarela.ErrorKind(err) != pasarela.KindInvalid {
					t.Fatalf("round %d: call %d: %v", round, i, err)
				}
			}
			d := e.MustSub(sub.ID)
			if d.Status != pasarela.SubscriptionInvalidated {
				t.Fatalf("round %d: %s", round, d.Status)
			}
			for _, ag := range d.Agreements {
				if ag.Status == pasarela.AgreementPending || ag.Status == pasarela.AgreementProcessing {
					t.Fatalf("round %d: agreement left %s", round, ag.Status)
				}
			}
		}
		e.clock.Advance(24 * time.Hour)
		if r := e.step(); r.Claimed != 0 {
			t.Fatalf("charged a cancelled subscription: %+v", r)
		}
	})
}
