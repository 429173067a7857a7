package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestSingleAttempt: a payment that allows one attempt fails with its
// first decline, is not tried again with another card while its 3-D Secure
// step is open (the first charge is still at the processor), and only a
// pending one can be abandoned.
func TestSingleAttempt(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{SingleAttempt: true})
		c := e.MustPay(p.CheckoutToken, cardDeclined)
		if c.Payment.Status != pasarela.StatusFailed || c.Payment.FailureCode != "card_declined" {
			t.Fatalf("declined single attempt: %s %q", c.Payment.Status, c.Payment.FailureCode)
		}

		p = e.MustPayment(core.PaymentInput{SingleAttempt: true})
		if c := e.MustPay(p.CheckoutToken, card3DS); c.Payment.Status != pasarela.StatusRequiresAction {
			t.Fatalf("3-D Secure: %s", c.Payment.Status)
		}
		_, err := e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardVisa))
		if pasarela.AsError(err).Code != "not_payable" {
			t.Fatalf("a second card during 3-D Secure: %v", err)
		}
		if c, err := e.svc.AbandonCheckout(e.ctx, p.CheckoutToken); err != nil || c.Payment.Status != pasarela.StatusRequiresAction {
			t.Fatalf("abandon during 3-D Secure: %v %v", c, err)
		}
		c, err = e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, true)
		if err != nil || c.Payment.Status != pasarela.StatusCompleted {
			t.Fatalf("3-D Secure approved: %v %v", c, err)
		}

		// Without the flag, another card may be tried during the step.
		p = e.MustPayment(core.PaymentInput{})
		e.MustPay(p.CheckoutToken, card3DS)
		if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
			t.Fatalf("another card during 3-D Secure: %s", c.Payment.Status)
		}

		p = e.MustPayment(core.PaymentInput{SingleAttempt: true})
		c, err = e.svc.AbandonCheckout(e.ctx, p.CheckoutToken)
		if err != nil || c.Payment.Status != pasarela.StatusFailed || c.Payment.FailureCode != "buyer_canceled" {
			t.Fatalf("abandon: %v %v", c, err)
		}
		if problems, err := e.svc.VerifyLedger(e.ctx); err != nil || len(problems) > 0 {
			t.Fatalf("ledger: %v %v", problems, err)
		}
	})
}

// TestKeepPaymentCard: the card a payment was paid with is kept under a
// reference, again under the same one as the same card, never under one
// that names another card; a payment not paid by card has none to keep.
func TestKeepPaymentCard(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		paid := e.MustCompleted(core.PaymentInput{})
		sc, err := e.svc.KeepPaymentCard(e.app(), e.appID(), paid.ID, "TOK-1")
		if err != nil || sc.Card.Last4 != "4242" || sc.Card.Token != paid.Card.Token || sc.GatewayConfig != paid.GatewayConfig {
			t.Fatalf("keep: %+v %v", sc, err)
		}
		if again, err := e.svc.KeepPaymentCard(e.app(), e.appID(), paid.ID, "TOK-1"); err != nil || again.ID != sc.ID {
			t.Fatalf("keep again: %+v %v", again, err)
		}
		other := e.MustCompleted(core.PaymentInput{})
		if _, err := e.svc.KeepPaymentCard(e.app(), e.appID(), other.ID, "TOK-1"); pasarela.ErrorKind(err) != pasarela.KindConflict {
			t.Fatalf("another card under the same reference: %v", err)
		}
		pending := e.MustPayment(core.PaymentInput{})
		if _, err := e.svc.KeepPaymentCard(e.app(), e.appID(), pending.ID, "TOK-2"); pasarela.AsError(err).Code != "no_card" {
			t.Fatalf("a payment not paid: %v", err)
		}
		if _, err := e.svc.KeepPaymentCard(e.ctx, e.appID(), paid.ID, "TOK-3"); err == nil {
			t.Fatal("kept without a principal")
		}
	})
}
