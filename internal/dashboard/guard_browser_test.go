package dashboard_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestBrowserGuards drives, in chromium, what the dashboard refuses: a
// login past the failure limit is turned away even with the right
// password; a viewer opens a payment and finds no action on it; and a
// form sent without its CSRF token (the field taken out of the page, as a
// forged form would lack it) is refused and changes nothing.
func TestBrowserGuards(t *testing.T) {
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{Amount: 2500, MerchantRef: "ORD-7"}, cardVisa)
	page := s.URL + "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)

	// Each tab is a browser of its own (its own cookies): one per person.
	tab := func() (context.Context, func(string, ...chromedp.Action[chromedp.Void])) {
		ctx, _ := chromium.Tab(t, tabTimeout, 1280, 900)
		return ctx, func(what string, steps ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, steps...); err != nil {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
				t.Fatalf("%s: %v\n%s", what, err, body)
			}
		}
	}
	signIn := func(do func(string, ...chromedp.Action[chromedp.Void]), login, password string, then chromedp.Action[chromedp.Void]) {
		t.Helper()
		do("sign in as "+login,
			chromedp.Navigate(s.URL+"/dashboard/"),
			chromedp.WaitVisible(chromedp.ID("login")),
			chromedp.SetValue(chromedp.ID("login"), login),
			chromedp.SetValue(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("signin")),
			then)
	}
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return got
	}

	// Five wrong passwords, then the right one: still refused.
	ctx, do := tab()
	for range 5 {
		signIn(do, s.Manager.Email, "not-the-password", chromedp.WaitVisible(chromedp.ID("signin-error")))
	}
	signIn(do, s.Manager.Email, coretest.Password, chromedp.WaitVisible(chromedp.ID("signin-error")))
	if got := text(ctx, "#signin-error"); !strings.Contains(got, "Too many failed attempts") {
		t.Fatalf("past the limit the sign-in says %q", got)
	}

	// A viewer reads the payment and has nothing to press.
	ctx, do = tab()
	signIn(do, s.Viewer.Email, coretest.Password, chromedp.WaitVisible(chromedp.ID("count-chart")))
	do("open the payment as a viewer", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("timeline")))
	actions, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll("#actions, #refund-form, #capture-form, #link-form, #cancel-form").length`))
	if err != nil || actions != 0 {
		t.Fatalf("a viewer's payment page has %d action elements (%v)", actions, err)
	}

	// An admin's refund form with its token taken out is refused.
	ctx, do = tab()
	signIn(do, s.A.Admin.Email, coretest.Password, chromedp.WaitVisible(chromedp.ID("count-chart")))
	do("send a refund without its token",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("refund-form")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#refund-form input[name="csrf"]').remove()`),
		chromedp.SetValue(chromedp.ID("refund-amount"), "5.00"),
		chromedp.Click(chromedp.ID("refund")),
		// The answer is another page: wait for the form to be gone, or the
		// payment page's own heading would be read.
		chromedp.WaitNotPresent(chromedp.ID("refund-form")),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := text(ctx, "h1"); got != "This form has expired" {
		t.Fatalf("a refund without its token shows %q", got)
	}
	detail, err := s.Svc.GetPayment(s.A.AdminCtx(context.Background()), s.A.App.ID, paid.ID)
	if err != nil {
		t.Fatal(err)
	}
	if detail.Payment.Status != pasarela.StatusCompleted || detail.Payment.Refunded != 0 {
		t.Fatalf("after the refused refund the payment is %s with %d refunded", detail.Payment.Status, detail.Payment.Refunded)
	}
}
