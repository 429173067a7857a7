package core_test

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
)

// TestLinkIsBoundToOneConfig: a link pays on its config only, whatever the
// weights of the payment's other configs, and does not fall back from it.
func TestLinkIsBoundToOneConfig(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		heavy := e.MustConfig("sandbox", 1000, nil)
		light := e.MustConfig("sandbox", 1, nil)
		fake := e.MustConfig("fake", 1, nil)
		for range 5 {
			p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{heavy.ID, light.ID}})
			l := e.MustLink(p.ID, light.ID)
			if l.GatewayConfig != light.ID || l.Status != pasarela.LinkActive || !l.ExpiresAt.Equal(e.clock.Now().Add(core.DefaultLinkTTL)) {
				t.Errorf("new link %+v", l)
			}
			if url := e.svc.CheckoutURL(l.Token); url != "http://pay.test/pay/"+l.Token {
				t.Errorf("checkout URL %s", url)
			}
			c, err := e.svc.OpenCheckout(e.ctx, l.Token)
			if err != nil || len(c.Options) != 1 || c.Options[0].ConfigID != light.ID || c.Link == nil || c.Link.ID != l.ID {
				t.Fatalf("link page: %+v %v", c, err)
			}
			if c := e.MustPay(l.Token, cardVisa); c.Payment.Status != pasarela.StatusCompleted || c.Payment.GatewayConfig != light.ID {
				t.Errorf("paid through the link on config %d (%s), want %d", c.Payment.GatewayConfig, c.Payment.Status, light.ID)
			}
		}
		// A link to a config that declines in a retryable way stays on it:
		// the buyer chose that way of paying.
		e.fake.set(fakeRetryable)
		p := e.MustPayment(core.PaymentInput{})
		l := e.MustLink(p.ID, fake.ID)
		c := e.MustPay(l.Token, cardVisa)
		if c.Payment.Status != pasarela.StatusPending || c.Payment.GatewayConfig != fake.ID || c.Payment.FailureCode != processor.CodeProcessingError {
			t.Errorf("link to a declining config: %s on %d (%q)", c.Payment.Status, c.Payment.GatewayConfig, c.Payment.FailureCode)
		}
		if n := e.sandboxCharges(c.Payment); n != 0 {
			t.Errorf("the link fell back to the sandbox %d times", n)
		}
	})
}

// TestLinkExpiry: past its expiry a link shows as expired and refuses to
// pay, while the payment's own page still takes it; a link never outlives
// its payment; a payment past its own expiry expires with its links.
func TestLinkExpiry(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		soon := e.clock.Now().Add(time.Hour)
		l, err := e.svc.CreatePaymentLink(e.app(), e.appID(), p.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID, ExpiresAt: &soon})
		if err != nil || !l.ExpiresAt.Equal(soon) {
			t.Fatalf("link: %+v %v", l, err)
		}
		long := e.MustLink(p.ID, cfg.ID) // the default day
		e.clock.Advance(time.Hour)       // expiry is the first instant a link no longer works
		c, err := e.svc.OpenCheckout(e.ctx, l.Token)
		if err != nil || !c.Expired || c.Payment.Status != pasarela.StatusPending {
			t.Fatalf("expired link page: %+v %v", c, err)
		}
		_, err = e.svc.PayWithCard(e.ctx, l.Token, card(cardVisa))
		wantErr(t, "pay through an expired link", err, pasarela.KindInvalid, "link_expired")
		if pay := e.MustGet(p.ID).Payment; pay.Status != pasarela.StatusPending || pay.Version != p.Version {
			t.Errorf("an expired link moved the payment: %s v%d", pay.Status, pay.Version)
		}
		if c, err := e.svc.OpenCheckout(e.ctx, long.Token); err != nil || c.Expired {
			t.Errorf("the other link: %+v %v", c, err)
		}
		e.clock.Advance(core.DefaultLinkTTL - time.Hour)
		if c, err := e.svc.OpenCheckout(e.ctx, long.Token); err != nil || !c.Expired {
			t.Errorf("a link of the default lifetime after a day: %+v %v", c, err)
		}
		if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
			t.Errorf("the payment's own page after its links expired: %s", c.Payment.Status)
		}

		// A link of a payment that expires sooner expires with it.
		deadline := e.clock.Now().Add(2 * time.Hour)
		q := e.MustPayment(core.PaymentInput{ExpiresAt: &deadline})
		ql := e.MustLink(q.ID, cfg.ID)
		if !ql.ExpiresAt.Equal(deadline) {
			t.Errorf("link expires at %v, its payment at %v", ql.ExpiresAt, deadline)
		}
		past := e.clock.Now().Add(-time.Second)
		_, err = e.svc.CreatePaymentLink(e.app(), e.appID(), q.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID, ExpiresAt: &past})
		wantErr(t, "a link that expired already", err, pasarela.KindInvalid, "past")
		e.clock.Advance(2 * time.Hour)
		_, err = e.svc.PayWithCard(e.ctx, q.CheckoutToken, card(cardVisa))
		wantErr(t, "pay an expired payment", err, pasarela.KindInvalid, "link_expired")
		// Opening the page of a payment past its deadline expires it.
		if c, err := e.svc.OpenCheckout(e.ctx, ql.Token); err != nil || c.Payment.Status != pasarela.StatusExpired {
			t.Fatalf("page of an expired payment: %+v %v", c, err)
		}
		d := e.MustGet(q.ID)
		if d.Status != pasarela.StatusExpired || d.Links[0].Status != pasarela.LinkInvalidated {
			t.Errorf("expired payment %s, its link %s", d.Status, d.Links[0].Status)
		}
		_, err = e.svc.CreatePaymentLink(e.app(), e.appID(), q.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
		wantErr(t, "link an expired payment", err, pasarela.KindInvalid, "links_not_allowed", "expired")
	})
}

// TestLinksFollowThePayment: paying through a link uses it; cancelling a
// payment invalidates its active links and they no longer pay; a payment
// that is paid, or cancelled, takes no new links.
func TestLinksFollowThePayment(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		paid := e.MustPayment(core.PaymentInput{})
		used := e.MustLink(paid.ID, cfg.ID)
		e.MustPay(used.Token, cardVisa)
		d := e.MustGet(paid.ID)
		if len(d.Links) != 1 || d.Links[0].Status != pasarela.LinkUsed {
			t.Errorf("the link paid through: %+v", d.Links)
		}
		_, err := e.svc.CreatePaymentLink(e.app(), e.appID(), paid.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
		wantErr(t, "link a completed payment", err, pasarela.KindInvalid, "links_not_allowed", "completed")
		_, err = e.svc.PayWithCard(e.ctx, used.Token, card(cardVisa))
		wantErr(t, "pay through a used link", err, pasarela.KindInvalid, "not_payable")

		p := e.MustPayment(core.PaymentInput{})
		l1, l2 := e.MustLink(p.ID, cfg.ID), e.MustLink(p.ID, cfg.ID)
		// A declined attempt leaves the links as they were.
		e.MustPay(l1.Token, cardDeclined)
		if err := e.svc.CancelPayment(e.app(), e.appID(), p.ID); err != nil {
			t.Fatal(err)
		}
		d = e.MustGet(p.ID)
		if d.Status != pasarela.StatusInvalidated || len(d.Links) != 2 {
			t.Fatalf("cancelled payment %s with %d links", d.Status, len(d.Links))
		}
		for _, l := range d.Links {
			if l.Status != pasarela.LinkInvalidated {
				t.Errorf("link %d of a cancelled payment is %s", l.ID, l.Status)
			}
		}
		for _, tok := range []string{l1.Token, l2.Token, p.CheckoutToken} {
			_, err := e.svc.PayWithCard(e.ctx, tok, card(cardVisa))
			wantErr(t, "pay a cancelled payment", err, pasarela.KindInvalid, "not_payable")
		}
		_, err = e.svc.CreatePaymentLink(e.app(), e.appID(), p.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
		wantErr(t, "link a cancelled payment", err, pasarela.KindInvalid, "links_not_allowed", "invalidated")
		if d := e.MustGet(paid.ID); d.Links[0].Status != pasarela.LinkUsed {
			t.Errorf("cancelling another payment changed a used link: %s", d.Links[0].Status)
		}
		// An unknown token is not found, whatever it looks like.
		for _, tok := range []string{"pl_nothing", "pc_nothing", "nothing", ""} {
			_, err := e.svc.OpenCheckout(e.ctx, tok)
			wantErr(t, "open "+tok, err, pasarela.KindNotFound, "not_found")
		}
	})
}

// TestLinkToAConfigThePaymentDoesNotAllow: a link must name an enabled
// config among the payment's allowed ones.
func TestLinkToAConfigThePaymentDoesNotAllow(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		a := e.MustSandbox()
		b := e.MustSandbox()
		off := e.MustSandbox()
		if _, err := e.svc.UpdateGatewayConfig(e.admin(), e.appID(), off.ID, core.GatewayConfigInput{Enabled: pasarela.Set(false)}, false); err != nil {
			t.Fatal(err)
		}
		onlyA := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{a.ID}})
		open := e.MustPayment(core.PaymentInput{})
		tests := []struct {
			name    string
			payment int64
			config  int64
			code    string
		}{
			{"a config the payment does not name", onlyA.ID, b.ID, "not_allowed"},
			{"a disabled config", open.ID, off.ID, "not_allowed"},
			{"a config that does not exist", open.ID, 1 << 40, "not_allowed"},
			{"no config", open.ID, 0, "required"},
		}
		for _, tc := range tests {
			_, err := e.svc.CreatePaymentLink(e.app(), e.appID(), tc.payment, core.PaymentLinkInput{GatewayConfig: tc.config})
			wantErr(t, tc.name, err, pasarela.KindInvalid, tc.code)
			if f := pasarela.AsError(err).Field; f != "gateway_config" {
				t.Errorf("%s: field %q, want gatewayConfig", tc.name, f)
			}
		}
		if d := e.MustGet(onlyA.ID); len(d.Links) != 0 {
			t.Errorf("refused links were kept: %+v", d.Links)
		}
		// The config the payment names is fine.
		if l := e.MustLink(onlyA.ID, a.ID); l.GatewayConfig != a.ID {
			t.Errorf("link %+v", l)
		}
		// A link whose config is disabled afterwards offers no way to pay.
		l := e.MustLink(open.ID, b.ID)
		if _, err := e.svc.UpdateGatewayConfig(e.admin(), e.appID(), b.ID, core.GatewayConfigInput{Enabled: pasarela.Set(false)}, false); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.PayWithCard(e.ctx, l.Token, card(cardVisa))
		wantErr(t, "pay through a link to a disabled config", err, pasarela.KindInvalid, "no_gateway")
	})
}

// TestLinksOfAPaidPayment: paying through one link marks that link used and
// every other active link invalidated; paying on the payment's own page
// invalidates them all.
func TestLinksOfAPaidPayment(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		paid, other := e.MustLink(p.ID, cfg.ID), e.MustLink(p.ID, cfg.ID)
		e.MustPay(paid.Token, cardVisa)
		want := map[int64]pasarela.LinkStatus{paid.ID: pasarela.LinkUsed, other.ID: pasarela.LinkInvalidated}
		for _, l := range e.MustGet(p.ID).Links {
			if l.Status != want[l.ID] {
				t.Errorf("link %d is %s, want %s", l.ID, l.Status, want[l.ID])
			}
		}

		q := e.MustPayment(core.PaymentInput{})
		l := e.MustLink(q.ID, cfg.ID)
		e.MustPay(q.CheckoutToken, cardVisa)
		if got := e.MustGet(q.ID).Links[0]; got.ID != l.ID || got.Status != pasarela.LinkInvalidated {
			t.Errorf("a link of a payment paid on its own page is %s", got.Status)
		}
	})
}

// TestBuyerStepSurvivesReload: a processor's buyer step on its own page
// (live PayPal) is kept with the payment, so the page opened again later
// sends the buyer to the same place; the payment can still be cancelled.
func TestBuyerStepSurvivesReload(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		e.fake.set(fakeAction)
		p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{fake.ID}})
		first := e.MustPay(p.CheckoutToken, cardVisa)
		want := "https://wallet.example/approve?token=fake_" + p.TransactionID
		if first.Payment.Status != pasarela.StatusRequiresAction || first.ActionURL != want {
			t.Fatalf("after paying: %s %q", first.Payment.Status, first.ActionURL)
		}
		again, err := e.svc.OpenCheckout(e.ctx, p.CheckoutToken)
		if err != nil || again.Action != core.ActionApproval || again.ActionURL != want {
			t.Fatalf("page opened again: %q %q %v", again.Action, again.ActionURL, err)
		}
		if err := e.svc.CancelPayment(e.app(), e.appID(), p.ID); err != nil {
			t.Fatal(err)
		}
		if after := e.MustGet(p.ID).Payment; after.Status != pasarela.StatusInvalidated {
			t.Fatalf("cancelled payment is %s", after.Status)
		}
	})
}
