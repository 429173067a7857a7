package dashboard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/worker"
)

// receiver is a merchant's webhook endpoint on loopback, which counts what
// it gets.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	ids []string // the webhook-id header of each request
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.ids = append(rc.ids, r.Header.Get("webhook-id"))
		rc.mu.Unlock()
		_, _ = io.WriteString(w, "thanks-from-the-shop")
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the ids once n requests came, failing after a few seconds.
func (rc *receiver) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		ids := append([]string(nil), rc.ids...)
		rc.mu.Unlock()
		if len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", len(ids), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDevelopersInBrowser, as an admin would in a browser: recreate the
// application's API key and use the new key on the PayREST API (the old
// one is refused, and the new one is not shown again); create a webhook
// to the shop's endpoint, see its delivery in the log with the answer,
// and send it again: the endpoint gets the same delivery twice.
func TestDevelopersInBrowser(t *testing.T) {
	t.Parallel()
	s := newSectionStack(t, "sqlite")
	del := &worker.Deliverer{Svc: s.Svc, Renderers: server.Renderers(s.URL, nil), AllowPrivate: true, Poll: 20 * time.Millisecond}
	del.Start(context.Background())
	t.Cleanup(del.Stop)
	rc := newReceiver(t)
	ctx, con := chromium.Tab(t, tabTimeout, 1280, 900)
	appID := strconv.FormatInt(s.A.App.ID, 10)
	appPath := "/dashboard/developers/" + appID

	for i, step := range []chromedp.Action[chromedp.Void]{chromedp.Navigate(s.URL + "/dashboard/signin"),
		chromedp.SendKeys(chromedp.ID("login"), s.A.Admin.Email),
		chromedp.SendKeys(chromedp.ID("password"), coretest.Password),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav a[href="/dashboard/developers"]`)),
		chromedp.Click(chromedp.CSS(`nav.nav a[href="/dashboard/developers"]`)),
		chromedp.Click(chromedp.CSS(`a[href="` + appPath + `"]`)),
		chromedp.WaitVisible(chromedp.ID("recreate-key"))} {
		if err := chromedp.Do(ctx, step); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("step %d at %s: %v", i, loc, err)
		}
	}

	// Recreate the key; the new one works on PayREST, the old one not.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("recreate-key")), chromedp.WaitVisible(chromedp.ID("new-key"))); err != nil {
		t.Fatal(err)
	}
	key, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("new-key")))
	if err != nil {
		t.Fatal(err)
	}
	if got := payrestStatus(t, s, key); got != http.StatusOK {
		t.Fatalf("the new key on PayREST: %d", got)
	}
	if got := payrestStatus(t, s, s.A.App.APIKey); got != http.StatusUnauthorized {
		t.Fatalf("the old key on PayREST: %d, want 401", got)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+appPath), chromedp.WaitVisible(chromedp.ID("recreate-key"))); err != nil {
		t.Fatal(err)
	}
	if page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err != nil || strings.Contains(page, key) {
		t.Fatalf("the new key is shown again (%v)", err)
	}
	screens(t, ctx, "developers")

	// A webhook for cancelled payments, to the shop's endpoint.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("target"), rc.URL+"/hooks"),
		chromedp.SendKeys(chromedp.ID("events"), "payment.invalidated"),
		chromedp.Click(chromedp.ID("create-webhook")),
		chromedp.WaitVisible(chromedp.ID("new-secret")))
	if err != nil {
		t.Fatal(err)
	}
	app := s.A.AppCtx(context.Background())
	pay, _, err := s.Svc.CreatePayment(app, s.A.App.ID, core.PaymentInput{Amount: 2500, Currency: "EUR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Svc.CancelPayment(app, s.A.App.ID, pay.ID); err != nil {
		t.Fatal(err)
	}
	first := rc.wait(t, 1)
	// The log shows the delivery once its answer is recorded.
	admin := s.A.AdminCtx(context.Background())
	hooks, _, err := s.Svc.ListWebhooks(admin, s.A.App.ID, pasarela.ListOptions{Limit: 10})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("webhooks: %+v %v", hooks, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		dels, _, err := s.Svc.ListDeliveries(admin, s.A.App.ID, hooks[0].ID, core.DeliveryFilter{}, pasarela.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(dels) == 1 && dels[0].Status == pasarela.DeliveryDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %+v", dels)
		}
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#webhooks a`)), chromedp.WaitVisible(chromedp.CSS(`button.redeliver`)))
	if err != nil {
		t.Fatal(err)
	}
	log, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("deliveries")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"payment.invalidated", "Delivered", "Attempts: 1", "HTTP 200", "thanks-from-the-shop", "\u00a0ms"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the delivery log lacks %q:\n%s", want, log)
		}
	}
	screens(t, ctx, "webhook-log")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.redeliver`)), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatal(err)
	}
	ids := rc.wait(t, 2)
	if len(ids) != 2 || ids[1] != first[0] || ids[0] == "" {
		t.Fatalf("the endpoint got %q, want the same delivery twice", ids)
	}

	// The payouts list with the balance, as the admin reads it.
	if _, err := s.Svc.CreditBalance(context.Background(), core.CreditInput{ClientID: s.A.Client.ID, Currency: "MXN",
		Amount: 2_500_000}); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"Florentino Eter", "María José Fernández de la Torre"} {
		if _, _, err := s.Svc.CreatePayout(admin, core.PayoutInput{Amount: int64(150_000 * (i + 1)), TransactionType: 1,
			BeneficiaryName: name, BeneficiaryAccount: "002010077777777771", BankCode: "002", Concept: "Pago proveedor",
			NumericReference: "43223123"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav.nav a[href="/dashboard/payouts"]`)),
		chromedp.WaitVisible(chromedp.ID("payouts"))); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"20,500.00\u00a0MXN", "4,500.00\u00a0MXN", "3,000.00\u00a0MXN", "María José Fernández de la Torre", "Created"} {
		if !strings.Contains(list, want) {
			t.Fatalf("the payouts page lacks %q:\n%s", want, list)
		}
	}
	screens(t, ctx, "payouts")
	con.ExpectClean(t)
}

// payrestStatus is the status PayREST answers GET /application with key.
func payrestStatus(t *testing.T, s *stack, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/application", nil)
	req.Header.Set("X-Auth-Token", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
