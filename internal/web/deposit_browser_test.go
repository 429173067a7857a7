package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela/internal/browsertest"
)

// TestBrowserDeposit opens a deposit's page in chromium: the address, the
// QR code and a countdown that ticks; the deposit is then paid on the
// sandbox chain and the page changes by itself, without a reload, to
// "received — waiting for confirmation" and, once a block is mined, to
// "paid"; its return link then carries the new status to the merchant.
func TestBrowserDeposit(t *testing.T) {
	s := newStackWith(t, stackOptions{Crypto: true})
	ctx, con := browsertest.New(t, 45*time.Second, chromedp.WindowSize(420, 900))
	d := s.MustDeposit(t, "100000")
	token := d.Payment.CheckoutToken

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+token), chromedp.WaitVisible(chromedp.ID("qr")),
		chromedp.WaitVisible(chromedp.ID("copy-address"))); err != nil {
		t.Fatal(err)
	}
	addr, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("deposit-address")))
	if err != nil || addr != bip84Addr0 {
		t.Fatalf("address %q (%v)", addr, err)
	}
	// The QR code is drawn: an SVG of some size holding the dark modules.
	qr, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const svg = document.getElementById("qr"), box = svg.getBoundingClientRect();
		return svg.namespaceURI + "|" + (box.width > 100 && box.width === box.height) + "|" +
			(svg.querySelector("path").getAttribute("d").length > 500);
	})()`))
	if err != nil || qr != "http://www.w3.org/2000/svg|true|true" {
		t.Fatalf("QR code %q (%v)", qr, err)
	}
	status := func() string {
		t.Helper()
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("deposit-status")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if got := status(); got != "Waiting for your payment." {
		t.Fatalf("status %q", got)
	}
	// The countdown ticks down from about twenty minutes.
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("countdown")))
	if err != nil || !regexp.MustCompile(`^(20:00|19:[0-5]\d)$`).MatchString(first) {
		t.Fatalf("countdown %q (%v)", first, err)
	}
	later, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("countdown").textContent !== `+jsString(first),
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !later {
		t.Fatalf("the countdown did not tick from %s (%v)", first, err)
	}
	// The page is marked so as to tell a reload from the page updating
	// itself.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameDocument = true`)); err != nil {
		t.Fatal(err)
	}

	s.MustChainSend(t, bip84Addr0, "0.004")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#deposit[data-status="processing"] #deposit-progress`))); err != nil {
		t.Fatalf("the page did not see the payment: %v (status %q)", err, status())
	}
	if got := status(); got != "Received — waiting for confirmation." {
		t.Fatalf("status %q", got)
	}
	progress, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("deposit-progress")))
	if err != nil || !strings.Contains(progress, "Received: 0.004 BTC") || !strings.Contains(progress, "Confirmations: 0") {
		t.Fatalf("progress %q (%v)", progress, err)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("qr")).display === "none" ||
		document.getElementById("qr").getBoundingClientRect().width === 0`))
	if err != nil || !hidden {
		t.Fatalf("the QR code still shows once paid (%v)", err)
	}

	s.MustChainMine(t, 1)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#deposit[data-status="completed"]`))); err != nil {
		t.Fatalf("the page did not see the confirmation: %v (status %q)", err, status())
	}
	if got := status(); got != "Paid. Thank you!" {
		t.Fatalf("status %q", got)
	}
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameDocument === true`))
	if err != nil || !same {
		t.Fatalf("the page was reloaded rather than updated (%v)", err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("return").href`))
	if err != nil || !strings.Contains(href, "status=completed") || !strings.Contains(href, "transactionId="+d.Payment.TransactionID) {
		t.Fatalf("return link %q (%v)", href, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("return")), chromedp.WaitVisible(chromedp.ID("thanks"))); err != nil {
		t.Fatal(err)
	}
	con.ExpectClean(t)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
