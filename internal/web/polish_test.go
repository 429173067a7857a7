package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestCheckoutLogo shows an application's https logo, loaded by the buyer's
// browser from its origin (which the page's policy allows, and no other),
// and leaves out a plain-http one.
func TestCheckoutLogo(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	if _, err := s.Svc.UpdateApplication(s.ctx, s.AppID, core.ApplicationInput{Logo: pasarela.Set("https://cdn.azul.example/brand/logo.png?v=2")}, false); err != nil {
		t.Fatal(err)
	}
	_, link := s.MustLink(t, core.PaymentInput{})
	p := b.Get("/pay/" + link.Token).Expect(http.StatusOK).
		Contains(`<img class="logo" id="logo" src="https://cdn.azul.example/brand/logo.png?v=2"`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.azul.example;") {
		t.Errorf("CSP %q does not allow the logo's origin alone", csp)
	}

	// A subscription's agreement page shows it too.
	_, a := s.MustAgreement(t)
	p = b.Get("/pay/" + a.Token).Expect(http.StatusOK).Contains(`<img class="logo" id="logo" src="https://cdn.azul.example/brand/logo.png?v=2"`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.azul.example;") {
		t.Errorf("agreement CSP %q does not allow the logo's origin", csp)
	}

	if _, err := s.Svc.UpdateApplication(s.ctx, s.AppID, core.ApplicationInput{Logo: pasarela.Set("http://10.0.0.7/logo.png")}, false); err != nil {
		t.Fatal(err)
	}
	p = b.Get("/pay/"+link.Token).Expect(http.StatusOK).Lacks(`class="logo"`, "10.0.0.7")
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("CSP %q allows more than the gateway's images", csp)
	}
}

// TestCheckoutPolish covers the card form's details: one heading when the
// card is the only way to pay, the brands' marks with their names, and the
// cancel link styled as a button.
func TestCheckoutPolish(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	_, link := s.MustLink(t, core.PaymentInput{})
	p := b.Get("/pay/"+link.Token).Expect(http.StatusOK).
		Contains(`aria-label="Cards accepted"`, `aria-label="Visa"`, `aria-label="Mastercard"`, `aria-label="American Express"`,
			`aria-label="Discover"`, `<a class="button link" id="cancel-link"`).
		Lacks(`<h2 id="card-heading">`)
	if n := strings.Count(p.Body, "<h1"); n != 1 || strings.Count(p.Body, "<h2") != 0 {
		t.Errorf("the card-only page has %d h1 and %d h2, want one heading", n, strings.Count(p.Body, "<h2"))
	}
	es := s.MustPayment(t, core.PaymentInput{Language: "es"})
	b.Get("/pay/" + es.CheckoutToken).Expect(http.StatusOK).Contains(`aria-label="Tarjetas aceptadas"`)
}

// TestCheckoutOrderBreakdown shows a SekurePay order's items, taxes and
// shipping above the form, in the buyer's language.
func TestCheckoutOrderBreakdown(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	res, _, err := s.Svc.CreateOrder(s.AppCtx, s.AppID, core.OrderInput{ID: "A-77", Currency: "EUR", SubTotal: 3000, Shipping: 450, Total: 4080,
		Items: []pasarela.LineItem{{Description: "Blue <mug>", Amount: 1200}, {Description: "Teapot", Amount: 1800}},
		Taxes: []pasarela.LineItem{{Description: "IVA 21% (books)", Amount: 630}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Get("/pay/"+res.CheckoutToken).Expect(http.StatusOK).Contains(`<table class="order" id="order">`,
		"<caption>Your order</caption>", "<th scope=\"row\">Blue &lt;mug&gt;</th><td>€12.00</td>", "<th scope=\"row\">Teapot</th><td>€18.00</td>",
		"<th scope=\"row\">Subtotal</th><td>€30.00</td>", "<th scope=\"row\">IVA 21% (books)</th><td>€6.30</td>",
		"<th scope=\"row\">Shipping</th><td>€4.50</td>", "<th scope=\"row\">Total</th><td>€40.80</td>", "Pay €40.80")
	// A payment that is no order has no breakdown.
	plain := s.MustPayment(t, core.PaymentInput{})
	b.Get("/pay/" + plain.CheckoutToken).Expect(http.StatusOK).Lacks(`class="order"`)
}

// TestRefundedWording: a payment refunded in part keeps its wording; one
// refunded in full says so plainly.
func TestRefundedWording(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	pay, link := s.MustLink(t, core.PaymentInput{})
	b.Pay(link.Token, card("4242424242424242"))
	s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	if _, _, err := s.Svc.Refund(s.ctx, s.AppID, pay.ID, core.RefundInput{Amount: 500}, nil); err != nil {
		t.Fatal(err)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusPartiallyRefunded)
	b.Get("/pay/"+link.Token).Expect(http.StatusOK).Contains("Payment refunded", "has been refunded in full or in part.")
	if _, _, err := s.Svc.Refund(s.ctx, s.AppID, pay.ID, core.RefundInput{Amount: 550}, nil); err != nil {
		t.Fatal(err)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusRefunded)
	b.Get("/pay/"+link.Token).Expect(http.StatusOK).
		Contains("Payment refunded", "Your payment of €10.50 to Tienda Azul has been refunded.").Lacks("in full or in part")
	s.ExpectLedgerSound(t)
}
