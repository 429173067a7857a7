package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/web"
)

// expectReturn checks that a 303 goes to the merchant's return page with
// the payment's transaction id and status added to its own query.
func expectReturn(t *testing.T, s *stack, p *page, pay *pasarela.Payment, status string) {
	t.Helper()
	loc := p.SeeOther()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, s.Merchant.URL+"/return?") {
		t.Fatalf("redirected to %s, want the merchant's return page", loc)
	}
	q := u.Query()
	if q.Get("transactionId") != pay.TransactionID || q.Get("status") != status || q.Get("order") != "42" {
		t.Fatalf("return URL %s: want transactionId=%s, status=%s and the merchant's own order=42", loc, pay.TransactionID, status)
	}
}

// TestCheckoutPage checks what a buyer sees before paying: the merchant,
// amount and description, a card form whose inputs have labels and the
// standard autocomplete attributes, and the PayPal button on the payment's
// own page.
func TestCheckoutPage(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	pay, link := s.MustLink(t, core.PaymentInput{Amount: 123450, Currency: "EUR", Description: "Two <blue> mugs"})

	p := b.Get("/pay/" + link.Token).Expect(http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	p.Contains(`<html lang="en">`, "Tienda Azul", "€1,234.50", "Two &lt;blue&gt; mugs",
		`<form method="post" action="/pay/`+link.Token+`"`,
		`<label for="name">`, `id="name" name="name" type="text" autocomplete="cc-name"`,
		`<label for="number">`, `id="number" name="number" type="text" inputmode="numeric" autocomplete="cc-number"`,
		`<label for="exp">`, `autocomplete="cc-exp"`,
		`<label for="cvc">`, `autocomplete="cc-csc"`,
		`Pay €1,234.50`, `href="`+s.Merchant.URL+`/cart"`,
		`<link rel="stylesheet" href="/pay/assets/pay.css?v=`, `<script src="/pay/assets/pay.js?v=`)
	// A link is bound to one config: no PayPal button there.
	p.Lacks("/redirect", "<script>", "style=")

	// The payment's own page offers every config: the card form and PayPal,
	// whose button names it as buyers know it, not by the gateway's name.
	b.Get("/pay/"+pay.CheckoutToken).Expect(http.StatusOK).
		Contains(`action="/pay/`+pay.CheckoutToken+`/redirect"`, ">Pay with PayPal</button>", `<p class="or">`).
		Lacks("ExpressCheckout")

	// Assets are embedded and served with the same headers.
	css := b.Get("/pay/assets/pay.css").Expect(http.StatusOK)
	if !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") || css.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("pay.css headers %v", css.Header)
	}
	js := b.Get("/pay/assets/pay.js").Expect(http.StatusOK)
	if !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(js.Body, "data-once") {
		t.Fatalf("pay.js: %v", js.Header)
	}
	b.Get("/pay/assets/nope.js").Expect(http.StatusNotFound)
	s.ExpectLedgerSound(t)
}

// TestFrameAndSecurityHeaders checks that every kind of answer forbids
// framing, inline scripts and referrers, and is not cached, and that the CSRF
// cookie is HttpOnly, SameSite=Strict and scoped to /pay/.
func TestFrameAndSecurityHeaders(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	_, link := s.MustLink(t, core.PaymentInput{})

	form := b.Get("/pay/" + link.Token).Expect(http.StatusOK)
	pages := map[string]*page{
		"form":      form,
		"not found": b.Get("/pay/pl_unknown").Expect(http.StatusNotFound),
		"csrf":      b.Post("/pay/"+link.Token, card("4242424242424242")).Expect(http.StatusForbidden),
		"asset":     b.Get("/pay/assets/pay.js").Expect(http.StatusOK),
	}
	paid := b.Pay(link.Token, card("4242424242424242"))
	pages["redirect"] = paid
	pages["result"] = b.Get("/pay/" + link.Token).Expect(http.StatusOK)
	for name, p := range pages {
		h := p.Header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self';") ||
			strings.Contains(csp, "unsafe-inline") || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", name, h)
		}
		if name != "asset" && h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, h.Get("Cache-Control"))
		}
	}
	// The form may end at the merchant's return page (a 303 after Pay).
	if csp := form.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+s.Merchant.URL+";") {
		t.Errorf("form CSP %q does not let the form end at %s", csp, s.Merchant.URL)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: form.Header}).Cookies() {
		if c.Name == "pasarela_csrf" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/pay/" || cookie.Secure {
		t.Fatalf("CSRF cookie %+v", cookie)
	}
	if cookie.Value != form.CSRF() {
		t.Fatal("the form's CSRF field is not the cookie's value")
	}
	s.ExpectLedgerSound(t)
}

// TestCSRF checks that a POST without the cookie, without the field, with
// a field that does not match, or marked cross-site by the browser is
// refused with an HTML page and charges nothing.
func TestCSRF(t *testing.T) {
	s := newStack(t)
	pay, link := s.MustLink(t, core.PaymentInput{})
	path := "/pay/" + link.Token

	cases := map[string]func(b *buyer) url.Values{
		"no cookie": func(b *buyer) url.Values {
			f := card("4242424242424242")
			f.Set("csrf", s.Buyer(t).Get(path).CSRF()) // another browser's value
			return f
		},
		"no field": func(b *buyer) url.Values {
			b.Get(path).Expect(http.StatusOK)
			return card("4242424242424242")
		},
		"wrong field": func(b *buyer) url.Values {
			b.Get(path).Expect(http.StatusOK)
			f := card("4242424242424242")
			f.Set("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
			return f
		},
		"cross-site": func(b *buyer) url.Values {
			f := card("4242424242424242")
			f.Set("csrf", b.Get(path).CSRF())
			b.header.Set("Sec-Fetch-Site", "cross-site")
			return f
		},
	}
	for name, prepare := range cases {
		t.Run(name, func(t *testing.T) {
			b := s.Buyer(t)
			form := prepare(b)
			for _, target := range []string{path, path + "/challenge", path + "/approve", path + "/redirect"} {
				p := b.Post(target, form).Expect(http.StatusForbidden)
				if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("%s: Content-Type %q", target, p.Header.Get("Content-Type"))
				}
				p.Contains("This form could not be accepted", `href="`+path+`"`).Lacks("<form")
			}
		})
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
	if b := s.Balance(t, core.ClientAccount(pay.ClientID, "EUR", core.KindAvailable)); b != 0 {
		t.Fatalf("balance %d after refused posts", b)
	}
	s.ExpectLedgerSound(t)
}

// TestSandboxCards pays with each sandbox card and checks what the buyer
// sees and where the payment stands.
func TestSandboxCards(t *testing.T) {
	s := newStack(t)
	declines := []struct {
		name, number string
		field        string // where the message is shown; "" for the summary only
		text         string
	}{
		{"declined", "4000000000000002", "", "Your card was declined."},
		{"insufficient funds", "4000000000009995", "", "Your card has insufficient funds."},
		{"expired card", "4000000000000069", "exp", "Your card has expired."},
		{"incorrect cvc", "4000000000000127", "cvc", "The security code is incorrect."},
		{"processing error", "4000000000000119", "", "We could not process your card."},
	}
	for _, tc := range declines {
		t.Run(tc.name, func(t *testing.T) {
			b := s.Buyer(t)
			pay, link := s.MustLink(t, core.PaymentInput{})
			p := b.Pay(link.Token, card(tc.number)).Expect(http.StatusPaymentRequired)
			p.Contains(`role="alert"`, tc.text, `<form method="post" action="/pay/`+link.Token+`"`,
				`value="Ada Lovelace"`, `value="12/34"`)
			// The card number and the code are never shown again.
			p.Lacks(tc.number, `value="123"`)
			if tc.field != "" && !strings.HasPrefix(p.FieldError(tc.field), tc.text) {
				t.Fatalf("%s error %q, want %q", tc.field, p.FieldError(tc.field), tc.text)
			}
			d := s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
			if d.Captured != 0 {
				t.Fatalf("captured %d", d.Captured)
			}
			// Reloading shows the decline until the next attempt.
			b.Get("/pay/"+link.Token).Expect(http.StatusOK).Contains(tc.text, `<form method="post"`)
			// The payment is still payable: another card pays it.
			expectReturn(t, s, b.Pay(link.Token, card("4242424242424242")), pay, "completed")
			s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
			s.ExpectLedgerSound(t)
			s.ExpectNoSecretsLogged(t, tc.number, "4242424242424242")
		})
	}

	t.Run("success", func(t *testing.T) {
		b := s.Buyer(t)
		pay, link := s.MustLink(t, core.PaymentInput{})
		expectReturn(t, s, b.Pay(link.Token, card("4242 4242 4242 4242")), pay, "completed")
		d := s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
		if d.Captured != 1050 || d.Card == nil || d.Card.Last4 != "4242" {
			t.Fatalf("payment %+v", d.Payment)
		}
		b.Get("/pay/"+link.Token).Expect(http.StatusOK).
			Contains("Payment complete", pay.TransactionID, "Return to Tienda Azul").Lacks("<form")
		s.ExpectLedgerSound(t)
	})

	t.Run("3-D Secure approved", func(t *testing.T) {
		b := s.Buyer(t)
		pay, link := s.MustLink(t, core.PaymentInput{})
		path := "/pay/" + link.Token
		if loc := b.Pay(link.Token, card("4000002760003184")).SeeOther(); loc != path {
			t.Fatalf("redirected to %s, want %s", loc, path)
		}
		s.ExpectStatus(t, pay.ID, pasarela.StatusRequiresAction)
		ch := b.Get(path).Expect(http.StatusOK).Contains("Sandbox bank — confirm this payment", "€10.50", "3184")
		expectReturn(t, s, b.Submit(ch, path+"/challenge", url.Values{"approved": {"true"}}), pay, "completed")
		s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
		s.ExpectLedgerSound(t)
	})

	t.Run("3-D Secure failed", func(t *testing.T) {
		b := s.Buyer(t)
		pay, link := s.MustLink(t, core.PaymentInput{})
		path := "/pay/" + link.Token
		b.Pay(link.Token, card("4000002760003184")).SeeOther()
		ch := b.Get(path).Expect(http.StatusOK)
		if loc := b.Submit(ch, path+"/challenge", url.Values{"approved": {"false"}}).SeeOther(); loc != path {
			t.Fatalf("redirected to %s", loc)
		}
		s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
		// The form comes back with the name and expiry typed before the
		// bank's step, as after a decline; never the number or the CVC.
		form := card("4000002760003184")
		b.Get(path).Expect(http.StatusOK).Contains("Your bank could not confirm this payment", `<form method="post"`,
			`value="`+form.Get("name")+`"`, `value="`+form.Get("exp")+`"`).Lacks("4000002760003184", `value="123"`)
		// Once shown, they are not kept any longer.
		b.Get(path).Expect(http.StatusOK).Contains("Your bank could not confirm this payment").Lacks(`value="` + form.Get("name") + `"`)
		// A stale challenge page cannot be replayed.
		b.Submit(ch, path+"/challenge", url.Values{"approved": {"true"}}).SeeOther()
		s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
		// It can be paid again.
		expectReturn(t, s, b.Pay(link.Token, card("4242424242424242")), pay, "completed")
		s.ExpectLedgerSound(t)
	})

	t.Run("luhn", func(t *testing.T) {
		b := s.Buyer(t)
		pay, link := s.MustLink(t, core.PaymentInput{})
		p := b.Pay(link.Token, card("4242 4242 4242 4241")).Expect(http.StatusUnprocessableEntity)
		if got := p.FieldError("number"); got != "Enter a valid card number" {
			t.Fatalf("number error %q", got)
		}
		p.Contains(`aria-invalid="true" aria-describedby="number-error"`, `<a href="#number">Enter a valid card number</a>`).
			Lacks("4242424242424241", "4242 4242 4242 4241")
		s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
		s.ExpectLedgerSound(t)
	})

	t.Run("every field wrong", func(t *testing.T) {
		b := s.Buyer(t)
		_, link := s.MustLink(t, core.PaymentInput{})
		p := b.Pay(link.Token, url.Values{"name": {" "}, "number": {""}, "exp": {"13/99"}, "cvc": {"1"}}).
			Expect(http.StatusUnprocessableEntity)
		want := map[string]string{"name": "Enter the name on the card", "number": "Enter the card number",
			"exp": "Enter the expiry date as MM/YY", "cvc": "Enter the 3 or 4 digit security code"}
		for f, msg := range want {
			if got := p.FieldError(f); got != msg {
				t.Errorf("%s error %q, want %q", f, got, msg)
			}
		}
		p = b.Pay(link.Token, url.Values{"name": {"Ada"}, "number": {"4242424242424242"}, "exp": {"01/20"}, "cvc": {"123"}})
		if got := p.Expect(http.StatusUnprocessableEntity).FieldError("exp"); got != "This card has expired" {
			t.Errorf("exp error %q", got)
		}
		s.ExpectLedgerSound(t)
	})
	s.ExpectNoSecretsLogged(t, "4242424242424242", "4000002760003184", "cvc=123")
}

// TestSpanish checks that a payment in Spanish is shown in Spanish, field
// errors and declines included.
func TestSpanish(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	pay, link := s.MustLink(t, core.PaymentInput{Amount: 123450, Currency: "EUR", Language: "es"})
	b.Get("/pay/"+link.Token).Expect(http.StatusOK).
		Contains(`<html lang="es">`, "Número de tarjeta", "Fecha de caducidad", "Pagar 1.234,50\u00a0€", "Cancelar y volver a Tienda Azul")

	p := b.Pay(link.Token, url.Values{"name": {""}, "number": {"4242424242424241"}, "exp": {"1/2"}, "cvc": {"12345"}}).
		Expect(http.StatusUnprocessableEntity).Contains("Hay un problema")
	want := map[string]string{"name": "Introduce el nombre que figura en la tarjeta", "number": "Introduce un número de tarjeta válido",
		"exp": "Introduce la fecha de caducidad como MM/AA", "cvc": "Introduce el código de seguridad de 3 o 4 cifras"}
	for f, msg := range want {
		if got := p.FieldError(f); got != msg {
			t.Errorf("%s error %q, want %q", f, got, msg)
		}
	}
	b.Pay(link.Token, card("4000000000000002")).Expect(http.StatusPaymentRequired).
		Contains("Tu tarjeta ha sido rechazada.")
	b.Pay(link.Token, card("4000000000000127")).Expect(http.StatusPaymentRequired).
		Contains(`id="cvc-error"`, "El código de seguridad no es correcto.")
	expectReturn(t, s, b.Pay(link.Token, card("4242424242424242")), pay, "completed")
	b.Get("/pay/"+link.Token).Expect(http.StatusOK).Contains("Pago completado", "Volver a Tienda Azul")
	b.Get("/pay/pl_nope").Expect(http.StatusNotFound).Contains("Payment page not found")
	b.header.Set("Accept-Language", "es-MX,es;q=0.9")
	b.Get("/pay/pl_nope").Expect(http.StatusNotFound).Contains(`<html lang="es">`, "No encontramos esta página de pago")
	s.ExpectLedgerSound(t)
}

// TestEveryLanguage checks that a payment in each language the core
// accepts is shown in that language: the lang attribute, the heading, the
// amount as the language writes it, the expiry hint and a decline.
func TestEveryLanguage(t *testing.T) {
	s := newStack(t)
	cases := []struct {
		lang, heading, button, hint, decline string
	}{
		{"en", "Complete your payment", "Pay €1,234.50", "MM/YY, for example 04/29", "Your card was declined."},
		{"es", "Completa tu pago", "Pagar 1.234,50\u00a0€", "MM/AA, por ejemplo 04/29", "Tu tarjeta ha sido rechazada."},
		{"it", "Completa il pagamento", "Paga 1.234,50\u00a0€", "MM/AA, ad esempio 04/29", "La tua carta è stata rifiutata."},
		{"fr", "Finalisez votre paiement", "Payer 1\u202f234,50\u00a0€", "MM/AA, par exemple 04/29", "Votre carte a été refusée."},
		{"de", "Schließen Sie Ihre Zahlung ab", "1.234,50\u00a0€ bezahlen", "MM/JJ, zum Beispiel 04/29", "Ihre Karte wurde abgelehnt."},
		{"pt", "Conclua o seu pagamento", "Pagar 1.234,50\u00a0€", "MM/AA, por exemplo 04/29", "O seu cartão foi recusado."},
		{"ca", "Completa el pagament", "Paga 1.234,50\u00a0€", "MM/AA, per exemple 04/29", "La teva targeta ha estat rebutjada."},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			b := s.Buyer(t)
			// The browser's language does not override the payment's.
			b.header.Set("Accept-Language", "en-US,en;q=0.9")
			_, link := s.MustLink(t, core.PaymentInput{Amount: 123450, Currency: "EUR", Language: tc.lang})
			b.Get("/pay/"+link.Token).Expect(http.StatusOK).
				Contains(`<html lang="`+tc.lang+`">`, "<h1>"+tc.heading+"</h1>", tc.button, tc.hint)
			b.Pay(link.Token, card("4000000000000002")).Expect(http.StatusPaymentRequired).Contains(tc.decline)
		})
	}
	s.ExpectLedgerSound(t)
}

// TestExpiredAndReusedLinks checks that a link past its time, a cancelled
// payment's link and a paid link never show a form, and that posting to
// them charges nothing.
func TestExpiredAndReusedLinks(t *testing.T) {
	s := newStack(t)

	t.Run("expired link", func(t *testing.T) {
		b := s.Buyer(t)
		pay := s.MustPayment(t, core.PaymentInput{})
		exp := s.Clock.Now().Add(time.Hour)
		link, err := s.Svc.CreatePaymentLink(s.ctx, s.AppID, pay.ID, core.PaymentLinkInput{GatewayConfig: s.CardConfig, ExpiresAt: &exp})
		if err != nil {
			t.Fatal(err)
		}
		form := b.Get("/pay/" + link.Token).Expect(http.StatusOK)
		s.Clock.Advance(2 * time.Hour)
		b.Get("/pay/"+link.Token).Expect(http.StatusGone).
			Contains("This payment link has expired", `href="`+s.Merchant.URL+`/cart"`).Lacks("<form")
		// A form opened before the link expired is refused.
		f := card("4242424242424242")
		f.Set("csrf", form.CSRF())
		if loc := b.Post("/pay/"+link.Token, f).SeeOther(); loc != "/pay/"+link.Token {
			t.Fatalf("redirected to %s", loc)
		}
		s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
		s.ExpectLedgerSound(t)
	})

	t.Run("expired payment", func(t *testing.T) {
		b := s.Buyer(t)
		exp := s.Clock.Now().Add(time.Hour)
		pay := s.MustPayment(t, core.PaymentInput{ExpiresAt: &exp})
		s.Clock.Advance(2 * time.Hour)
		b.Get("/pay/" + pay.CheckoutToken).Expect(http.StatusGone).Contains("This payment link has expired").Lacks("<form")
		s.ExpectStatus(t, pay.ID, pasarela.StatusExpired)
	})

	t.Run("cancelled payment", func(t *testing.T) {
		b := s.Buyer(t)
		pay := s.MustPayment(t, core.PaymentInput{})
		if err := s.Svc.CancelPayment(s.ctx, s.AppID, pay.ID); err != nil {
			t.Fatal(err)
		}
		b.Get("/pay/" + pay.CheckoutToken).Expect(http.StatusOK).Contains("This payment was cancelled").Lacks("<form")
	})

	t.Run("reused link", func(t *testing.T) {
		b := s.Buyer(t)
		pay, link := s.MustLink(t, core.PaymentInput{})
		form := b.Get("/pay/" + link.Token).Expect(http.StatusOK)
		expectReturn(t, s, b.Pay(link.Token, card("4242424242424242")), pay, "completed")
		// Another buyer (another browser) opening the paid link sees the result.
		other := s.Buyer(t)
		other.Get("/pay/"+link.Token).Expect(http.StatusOK).Contains("Payment complete").Lacks("<form", "csrf")
		// The old form, sent again, shows the result and charges nothing more.
		f := card("5555555555554444")
		f.Set("csrf", form.CSRF())
		b.Follow(b.Post("/pay/"+link.Token, f)).Expect(http.StatusOK).Contains("Payment complete").Lacks("<form")
		d := s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
		if d.Card.Last4 != "4242" || d.Captured != d.Amount {
			t.Fatalf("payment %+v", d.Payment)
		}
		s.ExpectLedgerSound(t)
	})
}

// TestDoubleSubmit presses Pay twice at once (and once more after): the
// card is charged once, both presses end on the payment's outcome, and the
// ledger holds one capture.
func TestDoubleSubmit(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	pay, link := s.MustLink(t, core.PaymentInput{Amount: 2000, Currency: "EUR"})
	f := card("4242424242424242")
	f.Set("csrf", b.Get("/pay/"+link.Token).Expect(http.StatusOK).CSRF())

	var wg sync.WaitGroup
	answers := make([]*page, 4)
	for i := range answers {
		wg.Go(func() { answers[i] = b.Post("/pay/"+link.Token, f) })
	}
	wg.Wait()
	toMerchant := 0
	for _, p := range answers {
		loc := p.SeeOther()
		switch {
		case strings.HasPrefix(loc, s.Merchant.URL+"/return?"):
			toMerchant++
		case loc == "/pay/"+link.Token:
			b.Get(loc).Expect(http.StatusOK).Contains("Payment complete").Lacks("<form")
		default:
			t.Fatalf("redirected to %s", loc)
		}
	}
	if toMerchant != 1 {
		t.Fatalf("%d answers went to the merchant, want the one that paid", toMerchant)
	}
	// Pressing again later shows the result page, not an error.
	b.Follow(b.Post("/pay/"+link.Token, f)).Expect(http.StatusOK).Contains("Payment complete")

	d := s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	if d.Captured != 2000 {
		t.Fatalf("captured %d", d.Captured)
	}
	// One capture in the ledger: the processor owes the amount once, the
	// merchant is owed it once less the fee, the platform earned one fee.
	if got := s.Balance(t, store.Account{Owner: "processor:" + sandbox.GatewayID, Currency: "EUR", Kind: core.KindClearing}); got != -2000 {
		t.Fatalf("processor clearing %d, want -2000", got)
	}
	if got := s.Balance(t, core.ClientAccount(pay.ClientID, "EUR", core.KindAvailable)); got != 2000-fee(2000) {
		t.Fatalf("merchant available %d, want %d", got, 2000-fee(2000))
	}
	if got := s.Balance(t, store.Account{Owner: core.PlatformOwner, Currency: "EUR", Kind: core.KindFees}); got != fee(2000) {
		t.Fatalf("platform fees %d, want %d", got, fee(2000))
	}
	s.ExpectLedgerSound(t)
}

// TestPayPalSandbox pays through the PayPal button and the gateway's own
// PayPal sandbox page, and cancels there once.
func TestPayPalSandbox(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	pay := s.MustPayment(t, core.PaymentInput{})
	path := "/pay/" + pay.CheckoutToken

	start := func() *page {
		t.Helper()
		p := b.Get(path).Expect(http.StatusOK)
		if loc := b.Submit(p, path+"/redirect", nil).SeeOther(); loc != path {
			t.Fatalf("redirected to %s", loc)
		}
		s.ExpectStatus(t, pay.ID, pasarela.StatusRequiresAction)
		return b.Get(path).Expect(http.StatusOK).Contains("PayPal sandbox", "Approve the payment of €10.50 to Tienda Azul?")
	}
	ap := start()
	if loc := b.Submit(ap, path+"/approve", url.Values{"approved": {"false"}}).SeeOther(); loc != path {
		t.Fatalf("redirected to %s", loc)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
	b.Get(path).Expect(http.StatusOK).Contains("You cancelled the payment at PayPal.")

	ap = start()
	expectReturn(t, s, b.Submit(ap, path+"/approve", url.Values{"approved": {"true"}}), pay, "completed")
	s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	s.ExpectLedgerSound(t)
}

// TestNotFound checks that unknown and malformed tokens get an HTML 404.
func TestNotFound(t *testing.T) {
	s := newStack(t)
	b := s.Buyer(t)
	for _, path := range []string{"/pay/pl_doesnotexist", "/pay/pc_doesnotexist", "/pay/nothing", "/pay/%3Cscript%3E",
		"/pay/" + strings.Repeat("a", 300)} {
		p := b.Get(path).Expect(http.StatusNotFound)
		if !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: Content-Type %q", path, p.Header.Get("Content-Type"))
		}
		p.Contains("Payment page not found", "<!doctype html>").Lacks("<form", "<script>")
		if p.Header.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("%s: no frame header", path)
		}
	}
	b.Get("/pay/").Expect(http.StatusNotFound).Contains("Payment page not found")
	if loc := b.Get("/pay/pl_doesnotexist/challenge").SeeOther(); loc != "/pay/pl_doesnotexist" {
		t.Fatalf("a step's address led to %s", loc)
	}
	// Posting to an unknown token is a 404 too (its CSRF check never matters).
	b.Post("/pay/pl_doesnotexist", card("4242424242424242")).Expect(http.StatusNotFound)
}

// TestCallerGoneIsNotAnError: a checkout request whose browser went away
// (its context canceled) is answered 499 and not logged as a failure.
func TestCallerGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	_, link := s.MustLink(t, core.PaymentInput{})
	var logs bytes.Buffer
	mux := http.NewServeMux()
	web.New(s.Svc, slog.New(slog.NewTextHandler(&logs, nil))).Register(mux)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, "GET", "/pay/"+link.Token, nil))
	if rec.Code != 499 {
		t.Errorf("status %d, want 499", rec.Code)
	}
	if logs.Len() > 0 {
		t.Errorf("logged:\n%s", logs.String())
	}
}
