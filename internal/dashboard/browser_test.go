package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/browsertest"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// chromium is the one browser the package's browser tests share, started
// by the first of them and ended by TestMain.
var chromium = &browsertest.Shared{}

// tabTimeout bounds a browser test's whole walk through the pages (sign-in
// with its password hash, several pages, webhook deliveries): a bound
// against a hang, not a measure of speed. 30 s ran out once in a CI run
// on two cores busy with the PostgreSQL tests.
const tabTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	code := m.Run()
	chromium.Close()
	os.Exit(code)
}

// screensEnv names a directory for screenshots of the main pages at a
// desktop and a phone width; unset, none are taken.
const screensEnv = "PASARELA_SCREENS"

// seedMonth makes payments over the 30 days up to now, as a shop's month
// looks: most paid, some declined, a few left open or refunded, in two
// currencies, and returns the last one paid.
func seedMonth(t *testing.T, s *stack) *pasarela.Payment {
	t.Helper()
	ctx := context.Background()
	var last *pasarela.Payment
	emails := []string{"ana@example.com", "luis@example.org", "marta@example.net", "joe@example.com"}
	for day := range 30 {
		for i := range 1 + (day*7)%4 {
			amount := int64(1200 + (day*37+i*53)%9000)
			in := core.PaymentInput{Amount: amount, Currency: "EUR", CustomerEmail: emails[(day+i)%len(emails)],
				MerchantRef: "ORD-" + strconv.Itoa(1000+day*10+i), Description: "Order " + strconv.Itoa(1000+day*10+i),
				SingleAttempt: true}
			if (day+i)%5 == 0 {
				in.Currency = "USD"
			}
			switch (day*3 + i) % 9 {
			case 0:
				s.mustPaid(in, cardDeclined)
			case 1:
				s.mustPayment(in)
			default:
				last = s.mustPaid(in, cardVisa)
				if (day+i)%7 == 0 {
					if _, _, err := s.Svc.Refund(s.A.AdminCtx(ctx), s.A.App.ID, last.ID, core.RefundInput{Amount: amount / 2, Reason: "returned"}, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		s.Clock.Advance(24 * time.Hour)
	}
	return last
}

// TestBrowserDashboard drives the dashboard in chromium as a manager would:
// a wrong password is refused, the right one opens the home page with its
// charts; the manager finds a payment by its transaction id, opens it, sees
// its timeline, refunds part of it, and the API then shows it
// partially_refunded with the ledger balanced. With PASARELA_SCREENS set it
// also takes screenshots of home, list and payment at 1280 and 390 px.
func TestBrowserDashboard(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second).Add(-30 * 24 * time.Hour)
	s := newStackAt(t, "sqlite", start, nil)
	if _, _, err := s.Svc.CreateWebhook(s.A.AdminCtx(context.Background()), s.A.App.ID, core.WebhookInput{
		Targets: []string{"http://127.0.0.1:9/hooks"}, Entity: "payment", Format: pasarela.FormatPayREST}, nil); err != nil {
		t.Fatal(err)
	}
	seedMonth(t, s)
	target := s.mustPaid(core.PaymentInput{Amount: 4990, CustomerEmail: "carla@example.com", MerchantRef: "ORD-4242",
		Description: "Two blue mugs"}, cardVisa)
	ctx, con := chromium.Tab(t, tabTimeout, 1280, 900)

	type check = chromedp.Action[chromedp.Void]
	do := func(what string, steps ...check) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			c2, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			loc, _ := chromedp.Run(c2, chromedp.Location())
			body, _ := chromedp.Run(c2, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	do("wrong password",
		chromedp.Navigate(s.URL+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), s.Manager.Email),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("signin-error")))
	if got := text("#signin-error"); !strings.Contains(got, "Wrong email, user name or password") {
		t.Fatalf("wrong password says %q", got)
	}
	do("sign in",
		chromedp.SetValue(chromedp.ID("password"), coretest.Password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("count-chart")))
	if got := text("#kpi-month"); !strings.Contains(got, "EUR") {
		t.Fatalf("this month shows %q", got)
	}
	screens(t, ctx, "home")

	do("search",
		chromedp.Click(chromedp.CSS(`nav a[href="/dashboard/payments"]`)),
		chromedp.WaitVisible(chromedp.ID("payments")))
	screens(t, ctx, "payments")
	do("find by transaction id",
		chromedp.SendKeys(chromedp.ID("q"), target.TransactionID),
		chromedp.Click(chromedp.ID("apply")),
		chromedp.WaitVisible(chromedp.ID("clear-filters")),
		chromedp.WaitVisible(chromedp.ID("payments")))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#payments tbody tr").length`))
	if err != nil || rows != 1 {
		t.Fatalf("search by transaction id: %d rows (%v)", rows, err)
	}
	do("open it",
		chromedp.Click(chromedp.CSS(`#payments tbody a`)),
		chromedp.WaitVisible(chromedp.ID("timeline")))
	if got := text("#timeline"); !strings.Contains(got, "Completed") {
		t.Fatalf("timeline: %q", got)
	}
	do("refund part",
		chromedp.SendKeys(chromedp.ID("refund-amount"), "10.00"),
		chromedp.SendKeys(chromedp.ID("refund-reason"), "one mug broken"),
		chromedp.Click(chromedp.ID("refund")),
		chromedp.WaitVisible(chromedp.ID("done")))
	if got := text("#status"); got != "Partially refunded" {
		t.Fatalf("status after the refund: %q", got)
	}
	screens(t, ctx, "payment")
	// The API sees it as the dashboard left it.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/application/"+strconv.FormatInt(s.A.App.ID, 10)+"/payment/"+
		strconv.FormatInt(target.ID, 10), nil)
	req.Header.Set("X-Auth-Token", s.A.App.APIKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"partially_refunded"`) {
		t.Fatalf("the API shows %d %s", res.StatusCode, body)
	}
	coretest.MustSoundLedger(t, s.Svc)
	con.ExpectClean(t, "Failed to load resource: the server responded with a status of 401")
}

// screens saves the page at a desktop and a phone width into
// $PASARELA_SCREENS as <name>-1280.png and <name>-390.png.
func screens(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(screensEnv)
	if dir == "" {
		return
	}
	// The whole page at a desktop's width; a phone's first screens (the
	// whole list would be a strip too long to look at).
	for _, shot := range []struct {
		w, h int64
		act  chromedp.Action[[]byte]
	}{{1280, 900, chromedp.FullScreenshot(100)}, {390, 1600, chromedp.CaptureScreenshot()}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(shot.w, shot.h), chromedp.Sleep(100*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, shot.act)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dashboard-"+name+"-"+strconv.FormatInt(shot.w, 10)+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}
