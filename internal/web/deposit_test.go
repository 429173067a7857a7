package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// depositStatus is the status endpoint's answer as a browser reads it.
type depositStatus struct {
	Status        string `json:"status"`
	Received      string `json:"received"`
	Confirmations int    `json:"confirmations"`
	ExpiresIn     int    `json:"expires_in"`
	Late          bool   `json:"late"`
}

// Status fetches GET /pay/{token}/status and checks its headers.
func (b *buyer) Status(token string) depositStatus {
	b.t.Helper()
	p := b.Get("/pay/" + token + "/status").Expect(http.StatusOK)
	if ct := p.Header.Get("Content-Type"); ct != "application/json" {
		b.t.Fatalf("status content type %q", ct)
	}
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		b.t.Fatalf("status cache control %q", cc)
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		b.t.Fatalf("status CSP %q", csp)
	}
	var st depositStatus
	dec := json.NewDecoder(strings.NewReader(p.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		b.t.Fatalf("status %s: %v", p.Body, err)
	}
	return st
}

var countdownSeconds = regexp.MustCompile(`id="countdown" data-seconds="(\d+)">(\d+:\d\d)<`)

// TestDepositPage opens the page of a BTC deposit: the price, the amount
// due, the address as text and as a QR code of the payment request, the
// countdown and the return link, no card form and no inline script. Its
// status endpoint follows the chain (pending, processing, completed) as the
// page does; a deposit nobody pays in time reads expired; tokens of
// anything else read nothing.
func TestDepositPage(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := newStackWith(t, stackOptions{Engine: engine, Crypto: true})
		d := s.MustDeposit(t, "100000")
		token := d.Payment.CheckoutToken
		if d.PageURL != s.URL+"/pay/"+token {
			t.Fatalf("page URL %s", d.PageURL)
		}
		b := s.Buyer(t)
		p := b.Get("/pay/"+token).Expect(http.StatusOK).Contains(
			"<p class=\"amount\" id=\"amount\">100,000.00\u00a0COP</p>",
			`Pay in BTC`,
			`<strong class="due-amount" id="deposit-amount">0.004 BTC</strong>`,
			`id="deposit-address" class="address" value="`+bip84Addr0+`" readonly`,
			`<svg xmlns="http://www.w3.org/2000/svg" class="qr" id="qr" viewBox="0 0 `,
			`aria-label="QR code of the BTC payment request"`,
			`href="bitcoin:`+bip84Addr0+`?amount=0.004"`,
			`data-status="pending" data-status-url="/pay/`+token+`/status"`,
			`Waiting for your payment.`,
			`<li data-status="processing">Received — waiting for confirmation.</li>`,
			`<li data-status="completed">Paid. Thank you!</li>`,
			`The rate is held until`,
			`id="return" href="`+s.Merchant.URL+`/return?order=42&amp;status=pending&amp;transactionId=`+d.Payment.TransactionID,
			`id="deposit-progress" hidden`,
		).Lacks(`name="number"`, `<form`, `<script>`, `href="#ZgotmplZ"`)
		m := countdownSeconds.FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no countdown in:\n%s", p.Body)
		}
		if secs, _ := strconv.Atoi(m[1]); secs < 1190 || secs > 1200 || (m[2] != "20:00" && !strings.HasPrefix(m[2], "19:")) {
			t.Fatalf("countdown %v", m)
		}
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || p.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("headers %v", p.Header)
		}

		st := b.Status(token)
		if st.Status != "pending" || st.Received != "0" || st.Confirmations != 0 || st.ExpiresIn < 1190 || st.ExpiresIn > 1200 || st.Late {
			t.Fatalf("pending: %+v", st)
		}

		s.MustChainSend(t, bip84Addr0, "0.004")
		if st = b.Status(token); st.Status != "processing" || st.Received != "0.004" || st.Confirmations != 0 || st.ExpiresIn != 0 {
			t.Fatalf("seen: %+v", st)
		}
		b.Get("/pay/"+token).Expect(http.StatusOK).Contains(`data-status="processing"`,
			`role="status" aria-live="polite">Received — waiting for confirmation.</p>`,
			`<span id="deposit-received">0.004</span> BTC`, `<strong id="deposit-confirmations">0</strong>`).
			Lacks(`id="deposit-progress" hidden`)

		s.MustChainMine(t, 1)
		if st = b.Status(token); st.Status != "completed" || st.Received != "0.004" || st.Confirmations != 1 {
			t.Fatalf("confirmed: %+v", st)
		}
		b.Get("/pay/"+token).Expect(http.StatusOK).Contains(`data-status="completed"`,
			`aria-live="polite">Paid. Thank you!</p>`, `<strong id="deposit-confirmations">1</strong>`,
			`status=completed&amp;transactionId=`+d.Payment.TransactionID)

		// A card sent to a deposit's page pays nothing: the page is shown.
		if loc := b.Post("/pay/"+token, card("4242424242424242")).Status; loc != http.StatusForbidden {
			t.Fatalf("card posted without the CSRF value: %d", loc)
		}

		// Nobody pays the next one in time.
		late := s.MustDeposit(t, "1000")
		s.Clock.Advance(1201 * time.Second)
		if st = b.Status(late.Payment.CheckoutToken); st.Status != "expired" || st.ExpiresIn != 0 {
			t.Fatalf("expired: %+v", st)
		}
		b.Get("/pay/"+late.Payment.CheckoutToken).Expect(http.StatusOK).Contains(`data-status="expired"`,
			`Time is up: this deposit has expired. Do not send anything to this address.`)

		pay := s.MustPayment(t, core.PaymentInput{})
		for _, tok := range []string{pay.CheckoutToken, "pt_nothing", "abc", "sa_nothing", token + "x"} {
			if got := b.Get("/pay/" + tok + "/status"); got.Status != http.StatusNotFound || !strings.Contains(got.Body, `"not_found"`) {
				t.Fatalf("status of %q: %d %s", tok, got.Status, got.Body)
			}
		}
		// A card payment's page is the card form, as before.
		b.Get("/pay/" + pay.CheckoutToken).Expect(http.StatusOK).Contains(`name="number"`).Lacks(`id="deposit"`)
	})
}
