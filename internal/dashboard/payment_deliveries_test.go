package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestDeliveryTargetsAdminsOnly: a payment's webhook deliveries show their
// full target (which may hold a receiver's secret in its query) to admins
// only; a manager, a terminal and a viewer see the target's host.
func TestDeliveryTargetsAdminsOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	const target = "http://127.0.0.1:9/hooks?token=s3cr3t-of-the-receiver"
	if _, _, err := s.Svc.CreateWebhook(s.A.AdminCtx(context.Background()), s.A.App.ID, core.WebhookInput{
		Targets: []string{target}, Entity: "payment", Format: pasarela.FormatPayREST}, nil); err != nil {
		t.Fatal(err)
	}
	paid := s.mustPaid(core.PaymentInput{}, cardVisa)
	path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
	admin := s.browser().mustSignIn(s.A.Admin.Email).get(path)
	wantStatus(t, "admin's page", admin, http.StatusOK)
	if !strings.Contains(admin.Body, "→ http://127.0.0.1:9/hooks?token=s3cr3t-of-the-receiver") {
		t.Fatalf("an admin does not see the full target:\n%s", admin.Body)
	}
	for _, u := range []*pasarela.User{s.Manager, s.Terminal, s.Viewer} {
		p := s.browser().mustSignIn(u.Email).get(path)
		wantStatus(t, u.Email+"'s page", p, http.StatusOK)
		if strings.Contains(p.Body, "s3cr3t") || strings.Contains(p.Body, "/hooks") || !strings.Contains(p.Body, "→ 127.0.0.1:9<br>") {
			t.Fatalf("%s sees more than the target's host:\n%s", u.Email, p.Body)
		}
	}
}

// TestPaymentDoneText: the success box shows only the catalogue's texts;
// any other ?done= shows no box and none of its words.
func TestPaymentDoneText(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{}, cardVisa)
	b := s.browser().mustSignIn(s.Manager.Email)
	path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
	if p := b.get(path + "?done=capture"); !strings.Contains(p.Body, `id="done">Captured.</p>`) {
		t.Fatalf("a known done text:\n%s", p.Body)
	}
	for _, done := range []string{"Call+us+at+555-0100+to+confirm", "refund.bogus", "<b>x</b>"} {
		p := b.get(path + "?done=" + done)
		wantStatus(t, "done="+done, p, http.StatusOK)
		if strings.Contains(p.Body, `id="done"`) || strings.Contains(p.Body, "Call us") || strings.Contains(p.Body, ">done.") {
			t.Fatalf("?done=%s shows a box or its text:\n%s", done, p.Body)
		}
	}
}

// TestLanguageLinksAfterPost: a page answering a form (here a refused
// refund) links the language switch to the page above the form's path,
// which a GET finds, not to the POST-only path.
func TestLanguageLinksAfterPost(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{}, cardVisa)
	b := s.browser().mustSignIn(s.Manager.Email)
	path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
	page := b.get(path)
	p := b.post(path+"/refund", url.Values{"csrf": {page.csrf(t)}, "key": {"k-lang"}, "amount": {"abc"}})
	wantStatus(t, "a refused refund", p, http.StatusBadRequest)
	if strings.Contains(p.Body, "%2Frefund") || !strings.Contains(p.Body, `href="/dashboard/lang/es?next=%2Fdashboard%2Fpayments%2F`+strconv.FormatInt(paid.ID, 10)+`"`) {
		t.Fatalf("language links after a POST:\n%s", p.Body)
	}
}
