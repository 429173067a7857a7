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

// TestTerminalDepositsAsPayments: a crypto deposit follows the deposit's
// visibility rule wherever it is read. A terminal finds its own deposit
// among the payments but not a colleague's (not in the list, 404 on its
// page and its actions, still pending); nobody cancels a deposit or makes
// a link for it through the payment's actions (the core refuses; the page
// offers neither and links to the deposit's page); a terminal's nav links
// to its deposits.
func TestTerminalDepositsAsPayments(t *testing.T) {
	t.Parallel()
	s := newSectionStack(t, "sqlite")
	o := mustObjects(t, s) // o.Deposit: the admin's
	ctx := context.Background()
	term := pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: s.Terminal.ClientID, UserID: s.Terminal.ID,
		Username: s.Terminal.Username, Roles: s.Terminal.Roles})
	own, _, err := s.Svc.CreateDeposit(term, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "50000", ExchangeID: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser().mustSignIn(s.Terminal.Email)
	if home := b.get("/dashboard/"); !strings.Contains(home.Body, `href="/dashboard/deposits"`) {
		t.Error("a terminal's nav has no link to its deposits")
	}
	list := b.get("/dashboard/payments")
	wantStatus(t, "terminal's list", list, http.StatusOK)
	colleague := "/dashboard/payments/" + strconv.FormatInt(o.Deposit, 10)
	mine := "/dashboard/payments/" + strconv.FormatInt(own.Payment.ID, 10)
	if strings.Contains(list.Body, `href="`+colleague+`"`) || !strings.Contains(list.Body, `href="`+mine+`"`) {
		t.Fatalf("terminal's list: the colleague's deposit shown or its own missing:\n%s", list.Body)
	}
	wantStatus(t, "colleague's deposit page", b.get(colleague), http.StatusNotFound)
	token := b.token()
	for _, action := range []string{"cancel", "link"} {
		p := b.post(colleague+"/"+action, url.Values{"csrf": {token}, "config": {strconv.FormatInt(o.Crypto, 10)}})
		wantStatus(t, "terminal's "+action+" of a colleague's deposit", p, http.StatusNotFound)
	}
	page := b.get(mine)
	wantStatus(t, "own deposit page", page, http.StatusOK)
	if strings.Contains(page.Body, `id="cancel-form"`) || strings.Contains(page.Body, `id="link-form"`) ||
		!strings.Contains(page.Body, `href="/dashboard/deposits/`+strconv.FormatInt(own.Payment.ID, 10)+`"`) {
		t.Fatalf("own deposit's payment page offers payment actions or lacks the deposit link:\n%s", page.Body)
	}
	p := b.post(mine+"/cancel", url.Values{"csrf": {token}})
	wantStatus(t, "cancel of a deposit as a payment", p, http.StatusBadRequest)
	admin := s.A.AdminCtx(ctx)
	if err := s.Svc.CancelPayment(admin, s.A.App.ID, o.Deposit); pasarela.AsError(err).Code != "deposit_payment" {
		t.Fatalf("CancelPayment of a deposit: %v", err)
	}
	if _, err := s.Svc.CreatePaymentLink(admin, s.A.App.ID, o.Deposit, core.PaymentLinkInput{GatewayConfig: o.Crypto}); pasarela.AsError(err).Code != "deposit_payment" {
		t.Fatalf("CreatePaymentLink of a deposit: %v", err)
	}
	for _, id := range []int64{o.Deposit, own.Payment.ID} {
		if det, err := s.Svc.GetPayment(admin, s.A.App.ID, id); err != nil || det.Status != pasarela.StatusPending || len(det.Links) != 0 {
			t.Fatalf("deposit %d after refused actions: %+v %v", id, det, err)
		}
	}
}
