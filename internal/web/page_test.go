package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// These tests render pages from checkouts the sandbox cannot produce (a
// live PayPal approval) and check the URL rules; the HTTP tests in
// checkout_test.go cover everything the real stack can reach.

func testCheckout() *core.Checkout {
	return &core.Checkout{Token: "pc_test", Merchant: "Tienda Azul", ReturnURL: "https://shop.example/done?order=7#top",
		Payment: &pasarela.Payment{TransactionID: "T1", Status: pasarela.StatusRequiresAction, Amount: 1050, Currency: "EUR",
			Language: "es"}}
}

func TestContinueToProcessor(t *testing.T) {
	p := New(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := testCheckout()
	c.Action, c.ActionURL = core.ActionApproval, "https://paypal.example/cgi-bin/webscr?cmd=_express-checkout&token=EC-1"
	w := httptest.NewRecorder()
	p.page(w, httptest.NewRequest("POST", "/pay/pc_test/redirect", nil), c, nil, http.StatusOK)
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `href="https://paypal.example/cgi-bin/webscr?cmd=_express-checkout&amp;token=EC-1" data-follow`) ||
		!strings.Contains(body, "Continuar en PayPal") {
		t.Fatalf("%d\n%s", w.Code, body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://shop.example;") {
		t.Fatalf("CSP %q", csp)
	}

	// Only http(s) addresses are ever linked to.
	c.ActionURL = "javascript:alert(1)"
	w = httptest.NewRecorder()
	p.page(w, httptest.NewRequest("POST", "/pay/pc_test/redirect", nil), c, nil, http.StatusOK)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "javascript:") {
		t.Fatalf("%d\n%s", w.Code, w.Body.String())
	}
}

func TestReturnTarget(t *testing.T) {
	c := testCheckout()
	c.Payment.Status = pasarela.StatusCompleted
	u, origin := returnTarget(c)
	if u != "https://shop.example/done?order=7&status=completed&transactionId=T1#top" || origin != "https://shop.example" {
		t.Fatalf("%q %q", u, origin)
	}
	for _, bad := range []string{"", "/relative", "ftp://shop.example/", "javascript:alert(1)", "https://shop.example;script-src*/x",
		"https://shop example/", "mailto:a@b.example"} {
		c.ReturnURL = bad
		if u, origin := returnTarget(c); u != "" || origin != "" {
			t.Errorf("%q gave %q %q", bad, u, origin)
		}
	}
	c.ReturnURL = "http://127.0.0.1:8080/r"
	if _, origin := returnTarget(c); origin != "http://127.0.0.1:8080" {
		t.Fatalf("origin %q", origin)
	}
}

func TestValidToken(t *testing.T) {
	for tok, want := range map[string]bool{"pl_abc123": true, "pc_ABC-def": true, "": false, "pl_": false,
		"pl_<x>": false, "pl_a/b": false, strings.Repeat("a", 101): false} {
		if validToken(tok) != want {
			t.Errorf("validToken(%q) != %v", tok, want)
		}
	}
}

// TestLangFromHeader checks the language picked from Accept-Language: the
// best of the pages' languages by q-value, regional tags read as their
// language, English when none fits.
func TestLangFromHeader(t *testing.T) {
	cases := []struct{ header, want string }{
		{"", "en"},
		{"es", "es"},
		{"es-MX,es;q=0.9,en;q=0.8", "es"},
		{"EN-gb", "en"},
		{"en-US,en;q=0.9,it;q=0.8", "en"},
		{"fr-FR,en;q=0.5", "fr"},
		{"de, es;q=0.5", "de"},
		{"it-IT", "it"},
		{"it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7", "it"},
		{"pt-BR", "pt"},
		{"pt-PT,pt;q=0.9", "pt"},
		{"de-CH;q=0.8", "de"},
		{"de-AT", "de"},
		{"ca-ES", "ca"},
		{"ca, es;q=0.9", "ca"},
		{"es, ca;q=0.9", "es"},
		{"fr-CA, en;q=0.9", "fr"},
		{"en;q=0.1, it;q=0.9", "it"},
		{"nl, de-CH;q=0.8, fr;q=0.9", "fr"},
		{"it;q=0, fr", "fr"},
		{"ru, en;q=0.3", "en"},
		{"zh, es;q=0.1", "es"},
		{"sv", "en"},
		{"*", "en"},
		{"garbage;;;", "en"},
	}
	for _, tc := range cases {
		if got := langFromHeader(tc.header); got != tc.want {
			t.Errorf("langFromHeader(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

// TestLangOf checks that each language the core accepts for a payment is
// shown in it, and anything else in English.
func TestLangOf(t *testing.T) {
	cases := []struct{ payment, want string }{
		{"en", "en"}, {"es", "es"}, {"it", "it"}, {"fr", "fr"}, {"de", "de"}, {"pt", "pt"}, {"ca", "ca"},
		{"IT", "it"}, {"", "en"}, {"nl", "en"}, {"xx", "en"},
	}
	for _, tc := range cases {
		if got := langOf(tc.payment); got != tc.want {
			t.Errorf("langOf(%q) = %q, want %q", tc.payment, got, tc.want)
		}
	}
}

// TestTermsAndDates checks the subscription terms and the dates of the
// agreement page in each language: "every" agrees with the unit, one
// payment is singular, the first of a month is an ordinal where the
// language writes one, and Catalan elides "de" before a vowel.
func TestTermsAndDates(t *testing.T) {
	month := &pasarela.Subscription{Interval: "month", IntervalCount: 1, Cycles: 3}
	weeks := &pasarela.Subscription{Interval: "week", IntervalCount: 2, Cycles: 1}
	end := time.Date(2027, time.August, 8, 0, 0, 0, 0, time.UTC)
	years := &pasarela.Subscription{Interval: "year", IntervalCount: 1, EndDate: &end}
	first := time.Date(2027, time.April, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		lang, month, weeks, years, first string
	}{
		{langEN, "A every month, 3 payments", "A every 2 weeks, 1 payment", "A every year, until 8 August 2027", "1 April 2027"},
		{langES, "A cada mes, 3 pagos", "A cada 2 semanas, 1 pago", "A cada año, hasta el 8 de agosto de 2027", "1 de abril de 2027"},
		{langIT, "A ogni mese, 3 pagamenti", "A ogni 2 settimane, 1 pagamento", "A ogni anno, fino al giorno 8 agosto 2027", "1º aprile 2027"},
		{langFR, "A tous les mois, 3 paiements", "A toutes les 2 semaines, 1 paiement", "A tous les ans, jusqu’au 8 août 2027", "1er avril 2027"},
		{langDE, "A jeden Monat, 3 Zahlungen", "A alle 2 Wochen, 1 Zahlung", "A jedes Jahr, bis zum 8. August 2027", "1. April 2027"},
		{langPT, "A todos os meses, 3 pagamentos", "A a cada 2 semanas, 1 pagamento", "A todos os anos, até 8 de agosto de 2027", "1 de abril de 2027"},
		{langCA, "A cada mes, 3 pagaments", "A cada 2 setmanes, 1 pagament", "A cada any, fins al dia 8 d’agost de 2027", "1 d’abril de 2027"},
	}
	for _, tc := range cases {
		for _, c := range []struct {
			got, want string
		}{
			{terms(tc.lang, month, "A"), tc.month},
			{terms(tc.lang, weeks, "A"), tc.weeks},
			{terms(tc.lang, years, "A"), tc.years},
			{formatDate(tc.lang, first), tc.first},
		} {
			if c.got != c.want {
				t.Errorf("%s: %q, want %q", tc.lang, c.got, c.want)
			}
		}
	}
}
