package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// MustAgreement creates a monthly subscription of €9.99 for three
// cycles starting now, and an agreement on the card config returning to
// the merchant's site.
func (s *stack) MustAgreement(t *testing.T) (*pasarela.Subscription, *pasarela.SubscriptionAgreement) {
	t.Helper()
	start := s.Clock.Now()
	sub, _, err := s.Svc.CreateSubscription(s.ctx, s.AppID, core.SubscriptionInput{Amount: 999, Currency: "EUR",
		Description: "Coffee club", Interval: "month", Cycles: 3, StartDate: &start}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.Svc.CreateAgreement(s.ctx, s.AppID, sub.ID, core.AgreementInput{GatewayConfig: s.CardConfig,
		ReturnURL: s.Merchant.URL + "/subscribed", CancelURL: s.Merchant.URL + "/plans"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sub, a
}

// MustSubscription reads a subscription back through the core.
func (s *stack) MustSubscription(t *testing.T, id int64) *core.SubscriptionDetail {
	t.Helper()
	d, err := s.Svc.GetSubscription(s.ctx, s.AppID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAgreementPage goes through the agreement page as a buyer's HTTP
// client does: the terms, the CSRF check, a decline, a field error, a card
// that needs 3-D Secure and its challenge, the return to the merchant, and
// the first scheduled charge.
func TestAgreementPage(t *testing.T) {
	s := newStack(t)
	sub, a := s.MustAgreement(t)
	b := s.Buyer(t)
	path := "/pay/" + a.Token

	p := b.Get(path).Expect(http.StatusOK).Contains("Set up your subscription", "€9.99 every month, 3 payments",
		"First charge on", "Confirm subscription", "Test mode", "Coffee club", `action="`+path+`"`)
	p.Lacks("Pay 9.99")
	if !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", p.Header.Get("Content-Security-Policy"))
	}
	// In Spanish for a Spanish browser.
	es := s.Buyer(t)
	es.header.Set("Accept-Language", "es-ES,es;q=0.9")
	es.Get(path).Expect(http.StatusOK).Contains("Configura tu suscripción", "9,99\u00a0€ cada mes, 3 pagos", "Confirmar suscripción")
	// And in each other language the pages speak, for a browser that asks.
	for _, tc := range []struct{ header, lang, heading, terms, button string }{
		{"it-IT,it;q=0.9,en;q=0.5", "it", "Attiva il tuo abbonamento", "9,99\u00a0€ ogni mese, 3 pagamenti", "Conferma l’abbonamento"},
		{"fr-CH, fr;q=0.9", "fr", "Activez votre abonnement", "9,99\u00a0€ tous les mois, 3 paiements", "Confirmer l’abonnement"},
		{"de-CH;q=0.8, nl", "de", "Richten Sie Ihr Abonnement ein", "9,99\u00a0€ jeden Monat, 3 Zahlungen", "Abonnement bestätigen"},
		{"pt-BR", "pt", "Ative a sua subscrição", "9,99\u00a0€ todos os meses, 3 pagamentos", "Confirmar subscrição"},
		{"ca", "ca", "Configura la teva subscripció", "9,99\u00a0€ cada mes, 3 pagaments", "Confirma la subscripció"},
	} {
		other := s.Buyer(t)
		other.header.Set("Accept-Language", tc.header)
		other.Get(path).Expect(http.StatusOK).Contains(`<html lang="`+tc.lang+`">`, tc.heading, tc.terms, tc.button)
	}

	// No CSRF pair: refused, nothing stored.
	b.Post(path, card("4242424242424242")).Expect(http.StatusForbidden)
	other := s.Buyer(t)
	f := card("4242424242424242")
	f.Set("csrf", p.CSRF())
	other.Post(path, f).Expect(http.StatusForbidden)
	if d := s.MustSubscription(t, sub.ID); d.Status != pasarela.SubscriptionPending {
		t.Fatalf("after refused posts: %s", d.Status)
	}

	// A bad number is shown next to its field; a decline in the summary.
	bad := card("4242424242424241")
	b.Pay(a.Token, bad).Expect(http.StatusUnprocessableEntity).Contains("Enter a valid card number")
	b.Pay(a.Token, card("4000000000000002")).Expect(http.StatusPaymentRequired).Contains("Your card was declined.")

	// A card that asks for 3-D Secure: the checkout's challenge step, for
	// this agreement.
	loc := b.Pay(a.Token, card("4000002760003184")).SeeOther()
	if loc != path {
		t.Fatalf("after the 3DS card: %s", loc)
	}
	ch := b.Get(path).Expect(http.StatusOK).Contains("Sandbox bank", "3184")
	ret := b.Submit(ch, path+"/challenge", url.Values{"approved": {"true"}}).SeeOther()
	if !strings.HasPrefix(ret, s.Merchant.URL+"/subscribed?") || !strings.Contains(ret, "status=active") ||
		!strings.Contains(ret, "subscriptionId=") {
		t.Fatalf("returned to %s", ret)
	}
	b.Get(path).Expect(http.StatusOK).Contains("Subscription confirmed", "ending in 3184").Lacks("<form")
	d := s.MustSubscription(t, sub.ID)
	if d.Status != pasarela.SubscriptionActive || d.Card.Last4 != "3184" {
		t.Fatalf("after confirming: %+v", d.Subscription)
	}
	// Verifying the card took no money.
	s.ExpectLedgerSound(t)
	s.ExpectNoSecretsLogged(t, "4000002760003184", "4242424242424241", "4000000000000002")

	// An unknown agreement token is a 404; a closed one says so.
	b.Get("/pay/sa_doesnotexist").Expect(http.StatusNotFound)
	sub2, a2 := s.MustAgreement(t)
	if err := s.Svc.CancelSubscription(s.ctx, s.AppID, sub2.ID); err != nil {
		t.Fatal(err)
	}
	b.Get("/pay/" + a2.Token).Expect(http.StatusGone).Contains("can no longer be confirmed")
	// A card sent to it anyway (a page left open) is not stored.
	late := card("4242424242424242")
	late.Set("csrf", p.CSRF())
	if loc := b.Post("/pay/"+a2.Token, late).SeeOther(); loc != "/pay/"+a2.Token {
		t.Fatalf("late confirm went to %s", loc)
	}
	if d := s.MustSubscription(t, sub2.ID); d.Card != nil || d.Agreements[0].Status != pasarela.AgreementInvalidated {
		t.Fatalf("late confirm stored %+v", d.Agreements[0])
	}
}

// TestAgreementScheduledCharge: once confirmed on the page with 4242…, a
// scheduler step charges the first cycle and the ledger holds.
func TestAgreementScheduledCharge(t *testing.T) {
	s := newStack(t)
	sub, a := s.MustAgreement(t)
	b := s.Buyer(t)
	if loc := b.Pay(a.Token, card("4242424242424242")).SeeOther(); !strings.HasPrefix(loc, s.Merchant.URL+"/subscribed?") {
		t.Fatalf("returned to %s", loc)
	}
	run, err := s.Svc.RunSubscriptions(context.Background())
	if err != nil || run.Paid != 1 {
		t.Fatalf("first cycle: %+v %v", run, err)
	}
	s.Clock.Advance(32 * 24 * time.Hour)
	if run, err = s.Svc.RunSubscriptions(context.Background()); err != nil || run.Paid != 1 {
		t.Fatalf("second cycle: %+v %v", run, err)
	}
	d := s.MustSubscription(t, sub.ID)
	if d.CyclesPaid != 2 || len(d.Payments) != 2 || d.Payments[0].Status != pasarela.StatusCompleted {
		t.Fatalf("after two cycles: %+v", d.Subscription)
	}
	s.ExpectLedgerSound(t)
}
