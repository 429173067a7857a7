package dashboard_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

const (
	cardVisa     = "4242424242424242"
	cardDeclined = "4000000000000002"
)

// TestPayments: a manager finds a payment by transaction id, reference,
// email and card, opens it, sees its timeline and card, refunds part of it
// (twice the same form: refunded once), and the core (as the API reads it)
// has it partially refunded with the ledger balanced; bad filters are named;
// the CSV has the filtered list; a pending payment gets a link and is
// cancelled.
func TestPayments(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := newStack(t, engine)
		// A webhook of the application, so that the payment has deliveries
		// (to a port nobody listens on; no worker runs here, so they wait).
		if _, _, err := s.Svc.CreateWebhook(s.A.AdminCtx(context.Background()), s.A.App.ID, core.WebhookInput{
			Targets: []string{"http://127.0.0.1:9/hooks"}, Entity: "payment", Format: pasarela.FormatPayREST}, nil); err != nil {
			t.Fatal(err)
		}
		paid := s.mustPaid(core.PaymentInput{Amount: 2500, CustomerEmail: "Ana@Buyer.example", MerchantRef: "ORD-77",
			Description: "Blue mug"}, cardVisa)
		failed := s.mustPaid(core.PaymentInput{Amount: 990, SingleAttempt: true}, cardDeclined)
		pending := s.mustPayment(core.PaymentInput{Amount: 4000})
		if paid.Status != pasarela.StatusCompleted || failed.Status != pasarela.StatusFailed {
			t.Fatalf("fixtures: %s %s", paid.Status, failed.Status)
		}
		b := s.browser().mustSignIn(s.Manager.Email)
		rowRE := regexp.MustCompile(`<a href="/dashboard/payments/(\d+)"><code>([^<]+)</code>`)
		list := func(query string) (*page, []string) {
			t.Helper()
			p := b.get("/dashboard/payments" + query)
			var txs []string
			for _, m := range rowRE.FindAllStringSubmatch(p.Body, -1) {
				txs = append(txs, m[2])
			}
			return p, txs
		}
		p, rows := list("")
		wantStatus(t, "list", p, http.StatusOK)
		if len(rows) != 3 || rows[0] != pending.TransactionID || rows[2] != paid.TransactionID {
			t.Fatalf("list rows %v", rows)
		}
		for _, q := range []string{paid.TransactionID, "ORD-77", "ana@buyer.example", "4242"} {
			p, rows := list("?q=" + url.QueryEscape(q))
			if len(rows) != 1 || rows[0] != paid.TransactionID {
				t.Fatalf("search %q: %v\n%s", q, rows, p.Body)
			}
		}
		if _, rows := list("?status=failed"); len(rows) != 1 || rows[0] != failed.TransactionID {
			t.Fatalf("failed ones: %v", rows)
		}
		if _, rows := list("?config=" + strconv.FormatInt(s.Config, 10)); len(rows) != 2 {
			t.Fatalf("by gateway config (the two that were tried): %v", rows)
		}
		p, _ = list("?from=yesterday")
		wantStatus(t, "bad date", p, http.StatusBadRequest)
		if !strings.Contains(p.Body, "from: must be a date like 2026-12-31") || !strings.Contains(p.Body, `value="yesterday"`) {
			t.Fatalf("bad date page:\n%s", p.Body)
		}
		// The payment's page: amount, card, timeline.
		path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
		p = b.get(path)
		wantStatus(t, "detail", p, http.StatusOK)
		for _, want := range []string{"25.00\u00a0EUR", "visa ···· 4242", "Blue mug", "ana@buyer.example", `id="timeline"`,
			"<strong>Sent to the processor</strong>", "<strong>Completed</strong>", `id="refund-form"`,
			"<code>payment.completed</code> → 127.0.0.1:9<br>"} { // a manager sees the target's host
			if !strings.Contains(strings.ToLower(p.Body), strings.ToLower(want)) {
				t.Fatalf("detail lacks %q:\n%s", want, p.Body)
			}
		}
		if strings.Contains(p.Body, `id="capture-form"`) || strings.Contains(p.Body, `id="cancel-form"`) {
			t.Fatal("a completed payment offers capture or cancel")
		}
		key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(p.Body)[1]
		form := url.Values{"csrf": {p.csrf(t)}, "key": {key}, "amount": {"5.00"}, "reason": {"chipped"}}
		p = b.post(path+"/refund", form)
		if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "?done=refund") {
			t.Fatalf("refund: %d %q\n%s", p.Status, p.Location, p.Body)
		}
		// The same form again (a double click): refunded once.
		p = b.post(path+"/refund", form)
		if !strings.HasSuffix(p.Location, "?done=refund.again") {
			t.Fatalf("refund again: %d %q", p.Status, p.Location)
		}
		det, err := s.Svc.GetPayment(s.A.AppCtx(context.Background()), s.A.App.ID, paid.ID)
		if err != nil {
			t.Fatal(err)
		}
		if det.Status != pasarela.StatusPartiallyRefunded || det.Refunded != 500 || len(det.Refunds) != 1 || det.Refunds[0].Reason != "chipped" {
			t.Fatalf("after the refund: %s refunded %d, refunds %+v", det.Status, det.Refunded, det.Refunds)
		}
		coretest.MustSoundLedger(t, s.Svc)
		p = b.get(path + "?done=refund")
		for _, want := range []string{"Refunded.", "Partially refunded", "Refund completed", "5.00\u00a0EUR"} {
			if !strings.Contains(p.Body, want) {
				t.Fatalf("detail after the refund lacks %q", want)
			}
		}
		// The timeline in the order things happened (one clock tick here).
		timeline := regexp.MustCompile(`<strong>([^<]+)</strong>`).FindAllStringSubmatch(p.Body[strings.Index(p.Body, `id="timeline"`):], -1)
		var steps []string
		for _, m := range timeline {
			steps = append(steps, m[1])
		}
		if got := strings.Join(steps, ", "); got != "Sent to the processor, Completed, Refund requested, Refund completed, Partially refunded" {
			t.Fatalf("timeline: %s", got)
		}
		// More than is left is refused with the core's reason, nothing done.
		form.Set("key", "another-key")
		form.Set("amount", "30")
		p = b.post(path+"/refund", form)
		wantStatus(t, "refund too much", p, http.StatusBadRequest)
		if !strings.Contains(p.Body, "amount: at most 2000 can be refunded") {
			t.Fatalf("refund too much:\n%s", p.Body)
		}

		// CSV of the filtered list.
		p = b.get("/dashboard/payments.csv?status=partially_refunded")
		wantStatus(t, "export", p, http.StatusOK)
		recs, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][1] != paid.TransactionID || recs[1][5] != "25.00" || recs[1][8] != "5.00" ||
			recs[1][12] != "4242" || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %v %v", recs, err)
		}

		// An authorized payment (manual capture): captured in part.
		held := s.mustPaid(core.PaymentInput{Amount: 3000, Capture: "manual"}, cardVisa)
		if held.Status != pasarela.StatusAuthorized {
			t.Fatalf("manual capture: %s", held.Status)
		}
		path = "/dashboard/payments/" + strconv.FormatInt(held.ID, 10)
		p = b.get(path)
		if !strings.Contains(p.Body, `id="capture-form"`) || !strings.Contains(p.Body, `id="cancel-form"`) || strings.Contains(p.Body, `id="refund-form"`) {
			t.Fatalf("an authorized payment's actions:\n%s", p.Body)
		}
		p = b.post(path+"/capture", url.Values{"csrf": {p.csrf(t)}, "amount": {"20"}})
		if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "?done=capture") {
			t.Fatalf("capture: %d %q\n%s", p.Status, p.Location, p.Body)
		}
		if got, _ := s.Svc.FindPayment(s.A.AdminCtx(context.Background()), held.ID); got.Status != pasarela.StatusCompleted || got.Captured != 2000 {
			t.Fatalf("captured payment: %s %d", got.Status, got.Captured)
		}
		coretest.MustSoundLedger(t, s.Svc)

		// A pending payment: a link to pay it, then cancelled.
		path = "/dashboard/payments/" + strconv.FormatInt(pending.ID, 10)
		p = b.get(path)
		linkKey := regexp.MustCompile(`id="link-form">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<input type="hidden" name="key" value="([^"]+)">`).FindStringSubmatch(p.Body)
		if linkKey == nil {
			t.Fatalf("the link form has no key:\n%s", p.Body)
		}
		linkForm := url.Values{"csrf": {p.csrf(t)}, "key": {linkKey[1]}, "config": {strconv.FormatInt(s.Config, 10)}}
		p = b.post(path+"/link", linkForm)
		wantStatus(t, "link", p, http.StatusSeeOther)
		// The same form again (a double click): one link.
		if p = b.post(path+"/link", linkForm); !strings.HasSuffix(p.Location, "?done=link.again#links") {
			t.Fatalf("link again: %d %q", p.Status, p.Location)
		}
		if det, err := s.Svc.GetPayment(s.A.AdminCtx(context.Background()), s.A.App.ID, pending.ID); err != nil || len(det.Links) != 1 {
			t.Fatalf("links after a double send: %v %v", det, err)
		}
		p = b.get(path)
		if !regexp.MustCompile(`value="http://[^"]+/pay/[A-Za-z0-9_-]+" readonly`).MatchString(p.Body) {
			t.Fatalf("no link shown:\n%s", p.Body)
		}
		p = b.post(path+"/cancel", url.Values{"csrf": {p.csrf(t)}})
		wantStatus(t, "cancel", p, http.StatusSeeOther)
		if got, _ := s.Svc.FindPayment(s.A.AdminCtx(context.Background()), pending.ID); got.Status != pasarela.StatusInvalidated {
			t.Fatalf("cancelled payment is %s", got.Status)
		}
	})
}

// TestPaymentPages: pages of the list are cut by id, older then newer,
// each link keeping the filters.
func TestPaymentPages(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	var ids []int64
	for range 53 {
		ids = append(ids, s.mustPayment(core.PaymentInput{}).ID)
	}
	b := s.browser().mustSignIn(s.Viewer.Email)
	p := b.get("/dashboard/payments?status=pending")
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(p.Body)
	if next == nil || strings.Contains(p.Body, `rel="prev"`) || strings.Count(p.Body, "<tr>") != 51 {
		t.Fatalf("first page:\n%s", p.Body)
	}
	older := strings.ReplaceAll(next[1], "&amp;", "&")
	if want := "/dashboard/payments?before=" + strconv.FormatInt(ids[3], 10) + "&status=pending"; older != want {
		t.Fatalf("older link %q, want %q", older, want)
	}
	p = b.get(older)
	if strings.Count(p.Body, "<tr>") != 4 || strings.Contains(p.Body, `rel="next"`) || !strings.Contains(p.Body, `rel="prev"`) {
		t.Fatalf("second page:\n%s", p.Body)
	}
}

// TestViewerReadsOnly: a viewer sees a payment with no action, and a
// forged POST of each action (with a valid form token) is refused with
// 403 and changes nothing; a terminal may not refund either.
func TestViewerReadsOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{}, cardVisa)
	pending := s.mustPayment(core.PaymentInput{})
	v := s.browser().mustSignIn(s.Viewer.Email)
	for _, id := range []int64{paid.ID, pending.ID} {
		p := v.get("/dashboard/payments/" + strconv.FormatInt(id, 10))
		wantStatus(t, "viewer's detail", p, http.StatusOK)
		if strings.Contains(p.Body, "<form method=\"post\" action=\"/dashboard/payments") || strings.Contains(p.Body, `id="actions"`) {
			t.Fatalf("a viewer sees actions:\n%s", p.Body)
		}
	}
	token := v.token()
	for _, tc := range []struct {
		id     int64
		action string
	}{{paid.ID, "refund"}, {pending.ID, "capture"}, {pending.ID, "cancel"}, {pending.ID, "link"}} {
		p := v.post("/dashboard/payments/"+strconv.FormatInt(tc.id, 10)+"/"+tc.action, url.Values{"csrf": {token},
			"key": {"k1"}, "config": {strconv.FormatInt(s.Config, 10)}})
		wantStatus(t, "viewer's "+tc.action, p, http.StatusForbidden)
	}
	term := s.browser().mustSignIn(s.Terminal.Email)
	p := term.post("/dashboard/payments/"+strconv.FormatInt(paid.ID, 10)+"/refund", url.Values{"csrf": {term.token()}, "key": {"k2"}})
	wantStatus(t, "terminal's refund", p, http.StatusForbidden)
	det, err := s.Svc.GetPayment(s.A.AdminCtx(context.Background()), s.A.App.ID, paid.ID)
	if err != nil || det.Status != pasarela.StatusCompleted || len(det.Refunds) != 0 {
		t.Fatalf("after forged posts: %v %v", det, err)
	}
	if got, _ := s.Svc.FindPayment(s.A.AdminCtx(context.Background()), pending.ID); got.Status != pasarela.StatusPending {
		t.Fatalf("pending payment is %s after forged posts", got.Status)
	}
}

// TestHomeGatewayChart: the chart per gateway config says what it covers
// (all time, as the statistics keep it) and counts the confirmed payment
// under its config's name.
func TestHomeGatewayChart(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	s.mustPaid(core.PaymentInput{}, cardVisa)
	s.mustPayment(core.PaymentInput{}) // not confirmed: not counted
	p := s.browser().mustSignIn(s.A.Admin.Email).get("/dashboard/")
	wantStatus(t, "home", p, http.StatusOK)
	m := regexp.MustCompile(`(?s)<h2>Confirmed payments per gateway config, all time</h2>.*?(<svg[^>]*id="gateway-chart".*?</svg>)`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no gateway chart under an all-time heading:\n%s", p.Body)
	}
	cfg, err := s.Svc.GetGatewayConfig(s.A.AdminCtx(context.Background()), s.A.App.ID, s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m[1], cfg.Name) || !strings.Contains(m[1], ">1<") {
		t.Errorf("the chart does not count one payment of %q:\n%s", cfg.Name, m[1])
	}
}

// TestRefundAmountInPageLanguage: on a Spanish page the hint shows what is
// left as Spanish writes numbers, an amount typed that way is refunded
// exactly, and "1,000" (three decimals of EUR there) is refused, naming the
// field, with nothing refunded.
func TestRefundAmountInPageLanguage(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{Amount: 250000}, cardVisa)
	b := s.browser().mustSignIn(s.Manager.Email)
	b.get("/dashboard/lang/es")
	path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
	p := b.get(path)
	if !strings.Contains(p.Body, "2.500,00\u00a0EUR") {
		t.Fatalf("hint not in Spanish number format:\n%s", p.Body)
	}
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(p.Body)
	if key == nil {
		t.Fatalf("no refund key:\n%s", p.Body)
	}
	bad := b.post(path+"/refund", url.Values{"csrf": {p.csrf(t)}, "key": {key[1]}, "amount": {"1,000"}})
	wantStatus(t, "three decimals", bad, http.StatusBadRequest)
	if !strings.Contains(bad.Body, "amount: EUR amounts may have at most 2 decimals") {
		t.Fatalf("refusal does not name the field and rule:\n%s", bad.Body)
	}
	ok := b.post(path+"/refund", url.Values{"csrf": {p.csrf(t)}, "key": {key[1]}, "amount": {"1.000,5"}})
	wantStatus(t, "refund", ok, http.StatusSeeOther)
	det, err := s.Svc.GetPayment(s.A.AdminCtx(context.Background()), s.A.App.ID, paid.ID)
	if err != nil || det.Refunded != 100050 {
		t.Fatalf("refunded %v %v, want 100050", det.Refunded, err)
	}
}
