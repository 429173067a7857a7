package dashboard

import (
	"net/http"
	"strconv"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The Crypto deposits section (the xpay face's deposits): the deposits the
// user sees, newest first (a terminal its own, as the core decides), one
// deposit with its address, amounts, rate and transactions, and cancelling
// one nobody has paid yet.

// depositListLimit bounds the list; the core's list has no pages.
const depositListLimit = 200

type depositsData struct {
	Deposits []core.DepositDetail
	Status   string
	Statuses []pasarela.PaymentStatus
	Limited  bool
}

// deposits serves GET /dashboard/deposits?status=.
func (d *Dashboard) deposits(w http.ResponseWriter, r *http.Request, q *Request) error {
	status := r.URL.Query().Get("status")
	f := core.DepositFilter{Limit: depositListLimit}
	if status != "" {
		f.Statuses = []pasarela.PaymentStatus{pasarela.PaymentStatus(status)}
	}
	list, err := d.svc.ListDeposits(q.Ctx, f)
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "deposits", depositsData{Deposits: list, Status: status,
		Statuses: pasarela.DepositStatuses, Limited: len(list) == depositListLimit})
	return nil
}

type depositData struct {
	*core.DepositDetail
	CanCancel bool
	Done      string
}

// deposit serves GET /dashboard/deposits/{id}.
func (d *Dashboard) deposit(w http.ResponseWriter, r *http.Request, q *Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	det, err := d.svc.GetDeposit(q.Ctx, id)
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "deposit", depositData{DepositDetail: det,
		CanCancel: det.Payment.Status == pasarela.StatusPending && q.Can(PaymentActors...), Done: doneText(q.Lang, r)})
	return nil
}

// cancelDeposit serves POST /dashboard/deposits/{id}/cancel.
func (d *Dashboard) cancelDeposit(w http.ResponseWriter, r *http.Request, q *Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := d.svc.CancelDeposit(q.Ctx, id); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"deposits/"+strconv.FormatInt(id, 10)+"?done=deposit.canceled")
}
