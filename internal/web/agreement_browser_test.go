package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
)

// TestBrowserAgreement opens a subscription agreement in chromium, reads
// its terms, confirms with 4242…, lands on the merchant's page, and then a
// scheduler step charges the first cycle to the stored card.
func TestBrowserAgreement(t *testing.T) {
	s := newStack(t)
	ctx, con := newBrowser(t)
	sub, a := s.MustAgreement(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+a.Token), chromedp.WaitVisible(chromedp.ID("terms"))); err != nil {
		t.Fatal(err)
	}
	terms, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("terms")))
	if err != nil || terms != "€9.99 every month, 3 payments" {
		t.Fatalf("terms %q (%v)", terms, err)
	}
	button, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pay")))
	if err != nil || strings.TrimSpace(button) != "Confirm subscription" {
		t.Fatalf("button %q (%v)", button, err)
	}
	fillCard(t, ctx, "Ada Lovelace", "4242 4242 4242 4242", "12/34", "123")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay")), chromedp.WaitVisible(chromedp.ID("thanks"))); err != nil {
		t.Fatalf("confirm and reach the merchant: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, s.Merchant.URL+"/subscribed?") || !strings.Contains(loc, "status=active") {
		t.Fatalf("landed on %s (%v)", loc, err)
	}
	d := s.MustSubscription(t, sub.ID)
	if d.Status != pasarela.SubscriptionActive || d.Card == nil || d.Card.Last4 != "4242" || len(d.Payments) != 0 {
		t.Fatalf("after confirming: %+v", d.Subscription)
	}

	// The scheduler's step charges the first cycle (due now) to the card.
	run, err := s.Svc.RunSubscriptions(context.Background())
	if err != nil || run.Paid != 1 {
		t.Fatalf("scheduler step: %+v %v", run, err)
	}
	d = s.MustSubscription(t, sub.ID)
	if d.CyclesPaid != 1 || d.Payments[0].Status != pasarela.StatusCompleted || d.Payments[0].Type != pasarela.PaymentSubscription ||
		d.Payments[0].Captured != 999 {
		t.Fatalf("after the step: %+v %+v", d.Subscription, d.Payments)
	}
	s.ExpectLedgerSound(t)

	// Back on the page: confirmed, no form.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/pay/"+a.Token), chromedp.WaitVisible(chromedp.ID("message-title"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("message-title")))
	if err != nil || title != "Subscription confirmed" {
		t.Fatalf("title %q (%v)", title, err)
	}
	s.ExpectNoSecretsLogged(t, "4242424242424242")
	con.ExpectClean(t, pageNotes...)
}
