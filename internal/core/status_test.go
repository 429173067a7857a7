package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// allStatuses are the 11 statuses of the spec's table.
var allStatuses = []pasarela.PaymentStatus{
	pasarela.StatusPending, pasarela.StatusProcessing, pasarela.StatusRequiresAction, pasarela.StatusAdjustment,
	pasarela.StatusAuthorized, pasarela.StatusCompleted, pasarela.StatusFailed, pasarela.StatusInvalidated,
	pasarela.StatusExpired, pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded,
}

// TestTransitionTable checks every (from, to) pair of the 11 statuses
// against the table below, written from the spec's payment states: a
// change to status.go must change this table too, deliberately.
//
//   - A buyer's attempt claims a payable payment (pending, or requires_action
//     when the buyer comes back from 3-D Secure) by moving it to processing;
//     the processor's answer moves it on: back to pending after a decline
//     (the buyer may try another card), requires_action, adjustment,
//     authorized, completed, failed (no buyer to retry), or invalidated (an
//     authorization released).
//   - A merchant cancels what nobody has paid (pending, requires_action;
//     adjustment) straight to invalidated; an authorization is released
//     through processing. Capturing goes through processing too.
//   - Nobody paying in time expires pending, requires_action and authorized
//     payments.
//   - Only captured money is refunded: completed and partially_refunded move
//     to partially_refunded (again) or refunded.
//   - A crypto deposit whose paying block a reorganization orphaned, or whose
//     payment was replaced, goes back from completed or adjustment to
//     processing (its transaction waits in the mempool again) or pending
//     (gone): the chain took the money back.
//   - failed, invalidated, expired and refunded are final.
func TestTransitionTable(t *testing.T) {
	t.Parallel()
	const (
		pending    = pasarela.StatusPending
		processing = pasarela.StatusProcessing
		action     = pasarela.StatusRequiresAction
		adjustment = pasarela.StatusAdjustment
		authorized = pasarela.StatusAuthorized
		completed  = pasarela.StatusCompleted
		failed     = pasarela.StatusFailed
		invalid    = pasarela.StatusInvalidated
		expired    = pasarela.StatusExpired
		refunded   = pasarela.StatusRefunded
		partially  = pasarela.StatusPartiallyRefunded
	)
	allowed := map[pasarela.PaymentStatus][]pasarela.PaymentStatus{
		pending:    {processing, invalid, expired, failed},
		processing: {pending, action, adjustment, authorized, completed, failed, invalid},
		action:     {processing, pending, invalid, expired},
		adjustment: {completed, failed, invalid, processing, pending},
		authorized: {processing, expired},
		completed:  {partially, refunded, processing, pending},
		partially:  {partially, refunded},
		failed:     nil,
		invalid:    nil,
		expired:    nil,
		refunded:   nil,
	}
	if len(allowed) != len(allStatuses) {
		t.Fatalf("the expected table has %d statuses, want all %d", len(allowed), len(allStatuses))
	}
	n := 0
	for _, from := range allStatuses {
		for _, to := range allStatuses {
			want := false
			for _, s := range allowed[from] {
				want = want || s == to
			}
			if want {
				n++
			}
			if got := pasarela.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
		// Nothing leaves a status for one the gateway does not know.
		for _, bogus := range []pasarela.PaymentStatus{"", "paid", "PENDING"} {
			if pasarela.CanTransition(from, bogus) || pasarela.CanTransition(bogus, from) {
				t.Errorf("CanTransition allows %s ↔ %q", from, bogus)
			}
		}
	}
	if n != 28 {
		t.Errorf("the expected table allows %d transitions; recount it if it changed on purpose", n)
	}
}

// TestStatusPredicates checks what each status means to the rest of the
// gateway: which are known, which are final and which a buyer may pay.
func TestStatusPredicates(t *testing.T) {
	t.Parallel()
	final := map[pasarela.PaymentStatus]bool{pasarela.StatusFailed: true, pasarela.StatusInvalidated: true,
		pasarela.StatusExpired: true, pasarela.StatusRefunded: true}
	payable := map[pasarela.PaymentStatus]bool{pasarela.StatusPending: true, pasarela.StatusRequiresAction: true}
	for _, s := range allStatuses {
		if !s.Valid() {
			t.Errorf("%s is not Valid", s)
		}
		if s.Final() != final[s] {
			t.Errorf("%s.Final() = %v, want %v", s, s.Final(), final[s])
		}
		if s.Payable() != payable[s] {
			t.Errorf("%s.Payable() = %v, want %v", s, s.Payable(), payable[s])
		}
		// A final status lets nothing out.
		for _, to := range allStatuses {
			if final[s] && pasarela.CanTransition(s, to) {
				t.Errorf("final %s may become %s", s, to)
			}
		}
	}
	for _, s := range []pasarela.PaymentStatus{"", "paid", "Pending", "canceled"} {
		if s.Valid() {
			t.Errorf("%q is Valid", s)
		}
	}
	e := pasarela.TransitionError(pasarela.StatusCompleted, pasarela.StatusInvalidated)
	if e.Kind != pasarela.KindInvalid || e.Code != "invalid_transition" || e.Message != "the payment is completed and cannot become invalidated" {
		t.Errorf("TransitionError = %s/%s %q", e.Kind, e.Code, e.Message)
	}
}

// TestCoreRefusesBadTransitions drives real payments into each status and
// asks the core for what that status does not allow: every refusal is an
// invalid-kind *pasarela.Error that names the status, and nothing changes.
func TestCoreRefusesBadTransitions(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		manual := e.MustConfig("sandbox", 0, map[string]any{"capture": "manual"})
		pending := e.MustPayment(core.PaymentInput{})
		completed := e.MustCompleted(core.PaymentInput{})
		authorized := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{manual.ID}})
		if c := e.MustPay(authorized.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusAuthorized {
			t.Fatalf("manual capture payment is %s, want authorized", c.Payment.Status)
		}
		cancelled := e.MustPayment(core.PaymentInput{})
		if err := e.svc.CancelPayment(e.app(), e.appID(), cancelled.ID); err != nil {
			t.Fatal(err)
		}
		refunded := e.MustCompleted(core.PaymentInput{})
		if _, _, err := e.svc.Refund(e.app(), e.appID(), refunded.ID, core.RefundInput{}, nil); err != nil {
			t.Fatal(err)
		}
		action := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{cfg.ID}})
		if c := e.MustPay(action.CheckoutToken, card3DS); c.Payment.Status != pasarela.StatusRequiresAction {
			t.Fatalf("3-D Secure payment is %s, want requires_action", c.Payment.Status)
		}

		app, id := e.app(), e.appID()
		cancel := func(p *pasarela.Payment) error { return e.svc.CancelPayment(app, id, p.ID) }
		capture := func(p *pasarela.Payment) error { _, err := e.svc.CapturePayment(app, id, p.ID); return err }
		refund := func(p *pasarela.Payment) error {
			_, _, err := e.svc.Refund(app, id, p.ID, core.RefundInput{}, nil)
			return err
		}
		pay := func(p *pasarela.Payment) error {
			_, err := e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardVisa))
			return err
		}
		resume := func(p *pasarela.Payment) error {
			_, err := e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, true)
			return err
		}
		link := func(p *pasarela.Payment) error {
			_, err := e.svc.CreatePaymentLink(app, id, p.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
			return err
		}
		tests := []struct {
			name    string
			payment *pasarela.Payment
			status  pasarela.PaymentStatus
			do      func(*pasarela.Payment) error
			code    string
			words   []string
		}{
			{"cancel a completed payment", completed, pasarela.StatusCompleted, cancel, "invalid_transition", []string{"invalidated", "completed"}},
			{"cancel a cancelled payment", cancelled, pasarela.StatusInvalidated, cancel, "invalid_transition", []string{"invalidated"}},
			{"cancel a refunded payment", refunded, pasarela.StatusRefunded, cancel, "invalid_transition", []string{"refunded"}},
			{"capture a pending payment", pending, pasarela.StatusPending, capture, "invalid_transition", []string{"cannot capture", "pending"}},
			{"capture a completed payment", completed, pasarela.StatusCompleted, capture, "invalid_transition", []string{"cannot capture", "completed"}},
			{"capture a cancelled payment", cancelled, pasarela.StatusInvalidated, capture, "invalid_transition", []string{"cannot capture", "invalidated"}},
			{"capture a payment waiting for 3-D Secure", action, pasarela.StatusRequiresAction, capture, "invalid_transition", []string{"requires_action"}},
			{"refund a pending payment", pending, pasarela.StatusPending, refund, "not_refundable", []string{"pending"}},
			{"refund an authorized payment", authorized, pasarela.StatusAuthorized, refund, "not_refundable", []string{"authorized"}},
			{"refund a cancelled payment", cancelled, pasarela.StatusInvalidated, refund, "not_refundable", []string{"invalidated"}},
			{"refund a refunded payment", refunded, pasarela.StatusRefunded, refund, "not_refundable", []string{"refunded"}},
			{"pay a completed payment", completed, pasarela.StatusCompleted, pay, "not_payable", nil},
			{"pay an authorized payment", authorized, pasarela.StatusAuthorized, pay, "not_payable", nil},
			{"pay a cancelled payment", cancelled, pasarela.StatusInvalidated, pay, "not_payable", nil},
			{"resume a pending payment", pending, pasarela.StatusPending, resume, "no_action", nil},
			{"resume a completed payment", completed, pasarela.StatusCompleted, resume, "no_action", nil},
			{"link a completed payment", completed, pasarela.StatusCompleted, link, "links_not_allowed", []string{"completed"}},
			{"link a cancelled payment", cancelled, pasarela.StatusInvalidated, link, "links_not_allowed", []string{"invalidated"}},
			{"link an authorized payment", authorized, pasarela.StatusAuthorized, link, "links_not_allowed", []string{"authorized"}},
		}
		for _, tc := range tests {
			before := e.MustGet(tc.payment.ID).Payment
			if before.Status != tc.status {
				t.Fatalf("%s: payment is %s, want %s", tc.name, before.Status, tc.status)
			}
			wantErr(t, tc.name, tc.do(tc.payment), pasarela.KindInvalid, tc.code, tc.words...)
			after := e.MustGet(tc.payment.ID).Payment
			if after.Status != before.Status || after.Version != before.Version || after.Refunded != before.Refunded {
				t.Errorf("%s: the payment changed: %s v%d → %s v%d", tc.name, before.Status, before.Version, after.Status, after.Version)
			}
		}
	})
}
