package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/browsertest"
	"github.com/pasarela/pasarela/internal/core"
)

// newBrowser starts chromium in a phone-sized window for a test.
func newBrowser(t *testing.T) (context.Context, *browsertest.Console) {
	return browsertest.New(t, 15*time.Second, chromedp.WindowSize(420, 900))
}

// pageNotes are the browser's notes that a form answer came with 402 (a
// decline) or 422 (a field error): no fault, the pages say so on purpose.
var pageNotes = []string{"Failed to load resource: the server responded with a status of 402",
	"Failed to load resource: the server responded with a status of 422"}

// fillCard types a card into the form as a person would; an empty name or
// expiry is left as the page has it.
func fillCard(t *testing.T, ctx context.Context, name, number, exp, cvc string) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	steps = append(steps, chromedp.WaitVisible(chromedp.ID("number")))
	if name != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("name"), name))
	}
	if exp != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.ID("exp"), exp))
	}
	steps = append(steps,
		chromedp.SendKeys(chromedp.ID("number"), number),
		chromedp.SendKeys(chromedp.ID("cvc"), cvc))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("fill the card form: %v", err)
	}
}

// payAndReachMerchant presses Pay and waits for the merchant's return page.
func payAndReachMerchant(t *testing.T, ctx context.Context, s *stack, pay *pasarela.Payment, press chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, press, chromedp.WaitVisible(chromedp.ID("thanks"))); err != nil {
		t.Fatalf("pay and reach the merchant: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, s.Merchant.URL+"/return?") || !strings.Contains(loc, "transactionId="+pay.TransactionID) ||
		!strings.Contains(loc, "status=completed") {
		t.Fatalf("landed on %s, want the merchant's return page with the transaction id and status", loc)
	}
	visits := s.Merchant.Visits()
	for _, v := range visits {
		if v.Path == "/return" && v.Query().Get("transactionId") == pay.TransactionID && v.Query().Get("status") == "completed" {
			return
		}
	}
	t.Fatalf("the merchant saw %v", visits)
}

// TestBrowserPays opens a payment link in chromium, pays with 4242…, lands
// on the merchant's return page, and finds the payment completed and the
// ledger balanced.
func TestBrowserPays(t *testing.T) {
	s := newStack(t)
	ctx, con := newBrowser(t)
	pay, link := s.MustLink(t, core.PaymentInput{})

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+link.Token)); err != nil {
		t.Fatal(err)
	}
	// The inputs are labelled and carry the autocomplete attributes
	// browsers and password managers fill cards with.
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[string](`["name","number","exp","cvc"].map(id => {
		const el = document.getElementById(id);
		return el.labels[0].textContent + "=" + el.autocomplete;
	}).join("|")`))
	if err != nil {
		t.Fatal(err)
	}
	if labels != "Name on card=cc-name|Card number=cc-number|Expiry date=cc-exp|Security code=cc-csc" {
		t.Fatalf("labels and autocomplete: %s", labels)
	}
	fillCard(t, ctx, "Ada Lovelace", "4242 4242 4242 4242", "12/34", "123")
	if exp, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("exp"))); err != nil || exp != "12/34" {
		t.Fatalf("expiry typed as %q (%v)", exp, err)
	}
	payAndReachMerchant(t, ctx, s, pay, chromedp.Click(chromedp.ID("pay")))

	d := s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	if d.Captured != pay.Amount || d.Card == nil || d.Card.Last4 != "4242" {
		t.Fatalf("payment %+v", d.Payment)
	}
	s.ExpectLedgerSound(t)

	// Going back to the link shows the result, never the form again.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+link.Token), chromedp.WaitVisible(chromedp.ID("result-title"))); err != nil {
		t.Fatal(err)
	}
	forms, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.forms.length`))
	if err != nil || forms != 0 {
		t.Fatalf("%d forms on the paid link's page (%v)", forms, err)
	}
	s.ExpectNoSecretsLogged(t, "4242424242424242")
	con.ExpectClean(t, pageNotes...)
}

// TestBrowserDecline pays with a declined card: the page says so, the
// payment stays payable, and a good card then pays it.
func TestBrowserDecline(t *testing.T) {
	s := newStack(t)
	ctx, con := newBrowser(t)
	pay, link := s.MustLink(t, core.PaymentInput{})

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+link.Token)); err != nil {
		t.Fatal(err)
	}
	fillCard(t, ctx, "Ada Lovelace", "4000 0000 0000 0002", "12/34", "123")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay")), chromedp.WaitVisible(chromedp.ID("error-summary"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error-summary")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Your card was declined.") {
		t.Fatalf("the page says %q", text)
	}
	// The summary has the focus, so a screen reader reads it first; the
	// number and the code were not kept, the name and expiry were.
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[document.activeElement.id,
		document.getElementById("number").value, document.getElementById("cvc").value,
		document.getElementById("name").value, document.getElementById("exp").value].join("|")`))
	if err != nil {
		t.Fatal(err)
	}
	if state != "error-summary|||Ada Lovelace|12/34" {
		t.Fatalf("page state %q", state)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusPending)
	s.ExpectLedgerSound(t)

	// A double click on Pay sends the form once (the script stops the
	// second submission; the core would charge once anyway).
	fillCard(t, ctx, "", "4242424242424242", "", "123")
	payAndReachMerchant(t, ctx, s, pay, chromedp.DoubleClick(chromedp.ID("pay")))
	if n := s.Posts("/pay/" + link.Token); n != 2 {
		t.Fatalf("%d card forms reached the gateway, want 2 (the decline and one of the double click)", n)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	s.ExpectLedgerSound(t)
	s.ExpectNoSecretsLogged(t, "4000000000000002", "4242424242424242")
	con.ExpectClean(t, pageNotes...)
}

// TestBrowserSteps goes through the buyer steps in chromium: the PayPal
// sandbox page (cancelled, which leaves the payment payable and says so),
// then a card that needs 3-D Secure and the sandbox bank's page, approved.
func TestBrowserSteps(t *testing.T) {
	s := newStack(t)
	ctx, con := newBrowser(t)
	pay := s.MustPayment(t, core.PaymentInput{})

	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/pay/"+pay.CheckoutToken),
		chromedp.Click(chromedp.CSS("button.wallet")),
		chromedp.WaitVisible(chromedp.ID("cancel")),
	); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("step-title")))
	if err != nil || title != "PayPal sandbox" {
		t.Fatalf("step %q (%v)", title, err)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusRequiresAction)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("error-summary"))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error-summary")))
	if err != nil || !strings.Contains(text, "You cancelled the payment at PayPal.") {
		t.Fatalf("the page says %q (%v)", text, err)
	}
	s.ExpectStatus(t, pay.ID, pasarela.StatusPending)

	fillCard(t, ctx, "Ada Lovelace", "4000 0027 6000 3184", "12/34", "123")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay")), chromedp.WaitVisible(chromedp.ID("approve"))); err != nil {
		t.Fatal(err)
	}
	title, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("step-title")))
	if err != nil || title != "Sandbox bank — confirm this payment" {
		t.Fatalf("step %q (%v)", title, err)
	}
	payAndReachMerchant(t, ctx, s, pay, chromedp.Click(chromedp.ID("approve")))
	s.ExpectStatus(t, pay.ID, pasarela.StatusCompleted)
	s.ExpectLedgerSound(t)
	con.ExpectClean(t, pageNotes...)
}

// TestBrowserCardForm checks what only a browser shows of the card form:
// the expiry and security code inputs line up although their hints differ
// in length, and the brand the number's first digits name stands out among
// the marks.
func TestBrowserCardForm(t *testing.T) {
	s := newStack(t)
	ctx, con := newBrowser(t)
	_, link := s.MustLink(t, core.PaymentInput{})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+link.Token), chromedp.WaitVisible(chromedp.ID("number"))); err != nil {
		t.Fatal(err)
	}
	tops, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`["exp","cvc"].map(id => document.getElementById(id).getBoundingClientRect().top)`))
	if err != nil || len(tops) != 2 || tops[0] != tops[1] {
		t.Errorf("expiry and security code inputs at the tops %v (%v), want one line", tops, err)
	}
	opacity := func(brand string) string {
		t.Helper()
		// The fade is a transition: finish it rather than wait for it.
		o, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getAnimations().forEach(a => a.finish()),
			getComputedStyle(document.querySelector('.brand[data-brand="`+brand+`"]')).opacity`))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if opacity("visa") != "1" || opacity("amex") != "1" {
		t.Errorf("before a digit is typed, every mark shows")
	}
	for _, tc := range []struct{ typed, brand, other string }{{"4242", "visa", "mastercard"}, {"3782", "amex", "visa"}, {"5555", "mastercard", "discover"}} {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("number").value = ""`),
			chromedp.SendKeys(chromedp.ID("number"), tc.typed)); err != nil {
			t.Fatal(err)
		}
		if opacity(tc.brand) != "1" || opacity(tc.other) == "1" {
			t.Errorf("after %s: %s shows %s, %s %s; want %s to stand out", tc.typed, tc.brand, opacity(tc.brand), tc.other, opacity(tc.other), tc.brand)
		}
	}
	con.ExpectClean(t)
}
