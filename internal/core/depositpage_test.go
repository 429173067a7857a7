package core_test

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestDepositPageByToken: the buyer's page token opens the deposit with its
// crypto side and return URL, offers no card, and its status read follows
// the chain (pending, processing, completed) and the clock (expired); a
// token of anything but a deposit's own page reads nothing.
func TestDepositPageByToken(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, nil)
		cardCfg := ce.MustSandbox()
		d, _, err := ce.svc.CreateDeposit(ce.admin(), core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "100000",
			ExchangeID: 1, ReturnURL: "https://shop.example/thanks?order=7"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		token := d.Payment.CheckoutToken
		c, err := ce.svc.OpenCheckout(ce.ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		dep := c.Payment.Deposit
		if dep == nil || dep.Address != bip84Addr0 || dep.URI != "bitcoin:"+bip84Addr0+"?amount=0.004" ||
			c.ReturnURL != "https://shop.example/thanks?order=7" || c.Expired || c.PayWithin != 1200*time.Second {
			t.Fatalf("checkout: %+v %+v", c, dep)
		}
		for _, o := range c.Options {
			if o.Flow != string(pasarela.FlowDeposit) {
				t.Fatalf("a deposit's page offers %+v", o)
			}
		}
		// No card pays a deposit, whatever the page is sent.
		_, err = ce.svc.PayWithCard(ce.ctx, token, card("4242424242424242"))
		wantErr(t, "card on a deposit", err, pasarela.KindInvalid, "no_gateway")

		st, err := ce.svc.DepositStatus(ce.ctx, token)
		if err != nil || st.Status != pasarela.StatusPending || st.ExpiresIn != 1200*time.Second || !st.Received.IsZero() ||
			st.Amount.String() != "0.004" || st.Currency != "BTC" {
			t.Fatalf("status: %+v %v", st, err)
		}
		ce.clock.Advance(200 * time.Second)
		ce.send(bip84Addr0, "0.004")
		st, err = ce.svc.DepositStatus(ce.ctx, token)
		if err != nil || st.Status != pasarela.StatusProcessing || st.Received.String() != "0.004" || st.Confirmations != 0 ||
			st.ExpiresIn != 0 {
			t.Fatalf("seen: %+v %v", st, err)
		}
		ce.mine(1)
		st, err = ce.svc.DepositStatus(ce.ctx, token)
		if err != nil || st.Status != pasarela.StatusCompleted || st.Confirmations != 1 {
			t.Fatalf("confirmed: %+v %v", st, err)
		}

		// Nobody pays the next one in time: its status read expires it.
		late := ce.deposit(ce.admin(), "1000", "")
		ce.clock.Advance(1200 * time.Second)
		st, err = ce.svc.DepositStatus(ce.ctx, late.Payment.CheckoutToken)
		if err != nil || st.Status != pasarela.StatusExpired || st.ExpiresIn != 0 {
			t.Fatalf("expired: %+v %v", st, err)
		}
		ce.want(late.Payment.ID, pasarela.StatusExpired)

		// A card payment's page token, a link's, and garbage read nothing.
		pay := ce.MustPayment(core.PaymentInput{})
		link, err := ce.svc.CreatePaymentLink(ce.admin(), ce.appID(), pay.ID, core.PaymentLinkInput{GatewayConfig: cardCfg.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{pay.CheckoutToken, link.Token, "", "x", token + "x"} {
			_, err := ce.svc.DepositStatus(ce.ctx, tok)
			wantErr(t, "status of "+tok, err, pasarela.KindNotFound, "not_found")
		}

		_, _, err = ce.svc.CreateDeposit(ce.admin(), core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1000",
			ExchangeID: 1, ReturnURL: "javascript:alert(1)"}, nil)
		wantErr(t, "return URL", err, pasarela.KindInvalid, "url")
	})
}
