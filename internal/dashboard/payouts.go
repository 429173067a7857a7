package dashboard

import (
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The Payouts section: the client's balance and its SPEI payouts (the
// Kashpay face's), newest first, and one payout with its beneficiary and
// the rail's answers. Payouts are ordered through the API; the dashboard
// reads them. The core lets admins, managers and viewers read them.

// payoutCurrency is the currency payouts are paid in: SPEI pays pesos.
const payoutCurrency = "MXN"

type payoutsData struct {
	Balance  *core.Balance
	Payouts  []pasarela.Payout
	Status   string
	Statuses []pasarela.PayoutStatus
	Pager    pager
}

// payouts serves GET /dashboard/payouts?status=&page=.
func (d *Dashboard) payouts(w http.ResponseWriter, r *http.Request, q *Request) error {
	bal, err := d.svc.ClientBalance(q.Ctx, payoutCurrency)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	var filter []pasarela.PayoutStatus
	if status != "" {
		filter = []pasarela.PayoutStatus{pasarela.PayoutStatus(status)}
	}
	page := pageOf(r)
	list, total, err := d.svc.ListPayouts(q.Ctx, filter, pasarela.ListOptions{Limit: sectionPageSize, Offset: (page - 1) * sectionPageSize})
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "payouts", payoutsData{Balance: bal, Payouts: list, Status: status,
		Statuses: pasarela.PayoutStatuses, Pager: newPager(Prefix+"payouts", r.URL.Query(), page, len(list), total)})
	return nil
}

// payout serves GET /dashboard/payouts/{id}.
func (d *Dashboard) payout(w http.ResponseWriter, r *http.Request, q *Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	po, err := d.svc.GetPayout(q.Ctx, id)
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "payout", po)
	return nil
}
