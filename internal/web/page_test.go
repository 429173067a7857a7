package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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

func TestLangFromHeader(t *testing.T) {
	for h, want := range map[string]string{"": "en", "es": "es", "es-MX,es;q=0.9,en;q=0.8": "es", "fr-FR,en;q=0.5": "en",
		"de, es;q=0.5": "es", "EN-gb": "en"} {
		if got := langFromHeader(h); got != want {
			t.Errorf("langFromHeader(%q) = %q, want %q", h, got, want)
		}
	}
}
