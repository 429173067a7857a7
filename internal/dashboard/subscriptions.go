package dashboard

import (
	"net/http"
	"strconv"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The Subscriptions section: an application's subscriptions (the core
// keeps them per application, so the list shows one application at a
// time, the first by default), a subscription with its cycles and their
// payments, and cancelling one (admins, managers and terminals, as the
// API's cancel).

var subscriptionStatuses = []pasarela.SubscriptionStatus{pasarela.SubscriptionPending, pasarela.SubscriptionActive,
	pasarela.SubscriptionPastDue, pasarela.SubscriptionUnpaid, pasarela.SubscriptionCompleted, pasarela.SubscriptionInvalidated}

type subscriptionsData struct {
	Apps     []pasarela.Application
	App      int64
	Status   string
	Statuses []pasarela.SubscriptionStatus
	Subs     []pasarela.Subscription
	Pager    pager
}

// subscriptions serves GET /dashboard/subscriptions?app=&status=&page=.
func (d *Dashboard) subscriptions(w http.ResponseWriter, r *http.Request, q *Request) error {
	apps, _, err := d.svc.ListApplications(q.Ctx, "", pasarela.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	data := subscriptionsData{Apps: apps, Status: r.URL.Query().Get("status"), Statuses: subscriptionStatuses}
	if len(apps) > 0 {
		data.App = apps[0].ID
	}
	if s := r.URL.Query().Get("app"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return pasarela.Invalid("app", "type", "must be the id of one of your applications")
		}
		data.App = id
	}
	if data.App != 0 {
		page := pageOf(r)
		subs, total, err := d.svc.ListSubscriptions(q.Ctx, data.App, core.SubscriptionFilter{Status: data.Status},
			pasarela.ListOptions{Limit: sectionPageSize, Offset: (page - 1) * sectionPageSize,
				Sort: []pasarela.SortField{{Field: "id", Desc: true}}})
		if err != nil {
			return err
		}
		data.Subs = subs
		data.Pager = newPager(Prefix+"subscriptions", r.URL.Query(), page, len(subs), total)
	}
	d.render(w, r, q, http.StatusOK, "subscriptions", data)
	return nil
}

type subscriptionData struct {
	*core.SubscriptionDetail
	Payments map[int64]pasarela.Payment
	CanAct   bool
	Done     string
}

// subscriptionOf reads the subscription named in the path.
func (d *Dashboard) subscriptionOf(r *http.Request, q *Request) (*core.SubscriptionDetail, error) {
	app, err := pathID(r, "app")
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return d.svc.GetSubscription(q.Ctx, app, id)
}

// subscription serves GET /dashboard/subscriptions/{app}/{id}.
func (d *Dashboard) subscription(w http.ResponseWriter, r *http.Request, q *Request) error {
	det, err := d.subscriptionOf(r, q)
	if err != nil {
		return err
	}
	pays := map[int64]pasarela.Payment{}
	for _, p := range det.Payments {
		pays[p.ID] = p
	}
	done := det.Status != pasarela.SubscriptionCompleted && det.Status != pasarela.SubscriptionInvalidated
	d.render(w, r, q, http.StatusOK, "subscription", subscriptionData{SubscriptionDetail: det, Payments: pays,
		CanAct: done && q.Can(PaymentActors...), Done: doneText(q.Lang, r)})
	return nil
}

// cancelSubscription serves POST /dashboard/subscriptions/{app}/{id}/cancel.
func (d *Dashboard) cancelSubscription(w http.ResponseWriter, r *http.Request, q *Request) error {
	det, err := d.subscriptionOf(r, q)
	if err != nil {
		return err
	}
	if err := d.svc.CancelSubscription(q.Ctx, det.ApplicationID, det.ID); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"subscriptions/"+strconv.FormatInt(det.ApplicationID, 10)+"/"+
		strconv.FormatInt(det.ID, 10)+"?done=subscription.canceled")
}
