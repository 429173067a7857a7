package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// A payment's page: what it is, its timeline of events, its refunds,
// children, links and webhook deliveries, and the actions the user's role
// allows (refund, capture, cancel, make a link). Each action calls the core
// exactly as the API faces do, so the same rules, events and ledger
// entries follow. A refund form carries an idempotency key made when the
// page was rendered: the same form sent twice (a double click, a reload)
// refunds once.

// Refunders may refund (the core's rule: admins and managers).
var Refunders = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager}

type timelineEntry struct {
	Type string
	At   any
}

type linkView struct {
	pasarela.PaymentLink
	URL string
}

type paymentData struct {
	P          *core.PaymentDetail
	App        string
	Config     string
	Timeline   []timelineEntry
	Deliveries []pasarela.Delivery
	Links      []linkView
	Configs    []configRef
	Key        string // the refund form's idempotency key
	LinkKey    string // the link form's
	Left       string // what may still be refunded, in major units
	CanRefund  bool
	CanCapture bool
	CanCancel  bool
	CanLink    bool
	Deposit    bool // a crypto deposit: its page is the deposit's
	Done       string
	Error      string
}

// paymentOf reads the payment named by the path's id: of the user's client,
// whichever application it belongs to; anything else is not found.
func (d *Dashboard) paymentOf(r *http.Request, q *Request) (*pasarela.Payment, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, pasarela.NotFound("payment")
	}
	return d.svc.FindPayment(q.Ctx, id)
}

// payment serves GET /dashboard/payments/{id}.
func (d *Dashboard) payment(w http.ResponseWriter, r *http.Request, q *Request) error {
	// Only the catalogue's texts: the query is anyone's to write, and a
	// link could otherwise put words of its own in the page's success box.
	return d.showPayment(w, r, q, http.StatusOK, doneText(q.Lang, r), "")
}

func (d *Dashboard) showPayment(w http.ResponseWriter, r *http.Request, q *Request, status int, done, msg string) error {
	found, err := d.paymentOf(r, q)
	if err != nil {
		return err
	}
	app := found.ApplicationID
	det, err := d.svc.GetPayment(q.Ctx, app, found.ID)
	if err != nil {
		return err
	}
	cat, err := d.catalogue(q.Ctx)
	if err != nil {
		return err
	}
	data := paymentData{P: det, App: cat.appName[app], Config: cat.cfgName[det.GatewayConfig], Done: done, Error: msg}
	// The timeline: the payment's events and its refunds', in order.
	events, err := d.svc.Events(q.Ctx, app, "payment", det.ID)
	if err != nil {
		return err
	}
	for _, rf := range det.Refunds {
		more, err := d.svc.Events(q.Ctx, app, "refund", rf.ID)
		if err != nil {
			return err
		}
		events = append(events, more...)
	}
	// In time order; at the same moment (one clock tick) in the order
	// they follow one another: the payment's life, then its refunds,
	// then the refunded status they led to.
	rank := func(e pasarela.Event) int {
		switch {
		case e.Entity == "refund":
			return 1
		case e.Type == "payment."+string(pasarela.StatusPartiallyRefunded) || e.Type == "payment."+string(pasarela.StatusRefunded):
			return 2
		}
		return 0
	}
	slices.SortStableFunc(events, func(a, b pasarela.Event) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return rank(a) - rank(b)
	})
	for _, e := range events {
		data.Timeline = append(data.Timeline, timelineEntry{Type: e.Type, At: e.CreatedAt})
	}
	if data.Deliveries, err = d.svc.PaymentDeliveries(q.Ctx, app, det.ID); err != nil {
		return err
	}
	if !q.Can(pasarela.RoleAdmin) {
		// A target's path and query may carry a secret of the receiver
		// (a token in the URL): only admins, who manage webhooks, see
		// them; the others see where deliveries go, by host.
		for i := range data.Deliveries {
			data.Deliveries[i].Target = targetHost(data.Deliveries[i].Target)
		}
	}
	for _, l := range det.Links {
		data.Links = append(data.Links, linkView{PaymentLink: l, URL: d.svc.CheckoutURL(l.Token)})
	}
	for _, c := range cat.Configs {
		if c.App == app && (len(det.GatewayConfigs) == 0 || slices.Contains(det.GatewayConfigs, c.ID)) {
			data.Configs = append(data.Configs, c)
		}
	}
	// Offer what the role may do and the payment's state allows; the core
	// decides again when the form comes back.
	st := det.Status
	if det.Type == pasarela.PaymentDeposit {
		// A deposit's actions are on its own page (the core refuses the
		// card payment's cancel and links for it).
		data.Deposit = true
		d.render(w, r, q, status, "payment", data)
		return nil
	}
	data.CanRefund = q.Can(Refunders...) && (st == pasarela.StatusCompleted || st == pasarela.StatusPartiallyRefunded) &&
		det.Captured > det.Refunded && det.Type != pasarela.PaymentDeposit
	data.CanCapture = q.Can(PaymentActors...) && st == pasarela.StatusAuthorized
	data.CanCancel = q.Can(PaymentActors...) && (st.Payable() || st == pasarela.StatusAuthorized)
	data.CanLink = q.Can(PaymentActors...) && st.Payable() && len(data.Configs) > 0
	if data.CanLink {
		data.LinkKey = sectionFormKey()
	}
	if data.CanRefund {
		// In the page's number format, so that what the hint shows can be
		// typed back into the field as it is.
		data.Left = formatAmount(q.Lang, det.Captured-det.Refunded, det.Currency)
		data.Key = sectionFormKey()
	}
	d.render(w, r, q, status, "payment", data)
	return nil
}

// targetHost is the host (and port) of a webhook target, or "—" for one
// that does not parse.
func targetHost(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "—"
	}
	return u.Host
}

// actionFailed shows the payment again with the reason an action was
// refused, when the reason is the user's to fix (a wrong amount, a state
// that changed); other errors become their pages.
func (d *Dashboard) actionFailed(w http.ResponseWriter, r *http.Request, q *Request, err error) error {
	switch pasarela.ErrorKind(err) {
	case pasarela.KindInvalid, pasarela.KindConflict:
		return d.showPayment(w, r, q, http.StatusBadRequest, "", errorText(q.Lang, err))
	}
	return err
}

// refund serves POST /dashboard/payments/{id}/refund: amount (empty: all
// that is left), reason, and the form's idempotency key.
func (d *Dashboard) refund(w http.ResponseWriter, r *http.Request, q *Request) error {
	p, err := d.paymentOf(r, q)
	if err != nil {
		return err
	}
	key := r.PostForm.Get("key")
	if err := core.CheckIdempotencyKey(key); err != nil {
		return d.actionFailed(w, r, q, err)
	}
	in := core.RefundInput{Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	if text := strings.TrimSpace(r.PostForm.Get("amount")); text != "" {
		if in.Amount, err = majorAmount(q.Lang, "amount", text, p.Currency); err != nil {
			return d.actionFailed(w, r, q, err)
		}
	}
	idem := &core.Idem{Key: "dashboard:" + key,
		Fingerprint: core.Fingerprint([]byte("dashboard refund"), []byte(strconv.FormatInt(p.ID, 10)),
			[]byte(strconv.FormatInt(in.Amount, 10)), []byte(in.Reason)),
		Render: func(v any) (int, []byte, error) {
			rf := v.(*pasarela.Refund)
			return http.StatusOK, []byte(strconv.FormatInt(rf.ID, 10) + " " + string(rf.Status)), nil
		}}
	rf, replay, err := d.svc.Refund(q.Ctx, p.ApplicationID, p.ID, in, idem)
	if err != nil {
		return d.actionFailed(w, r, q, err)
	}
	done := "refund"
	switch {
	case replay != nil:
		done = "refund.again" // the same form again: refunded once
	case rf.Status == pasarela.RefundFailed:
		done = "refund.failed"
	case rf.Status == pasarela.RefundPending:
		done = "refund.pending"
	}
	return redirect(w, r, Prefix+"payments/"+strconv.FormatInt(p.ID, 10)+"?done="+done)
}

// capture serves POST /dashboard/payments/{id}/capture: amount (empty: all
// of it).
func (d *Dashboard) capture(w http.ResponseWriter, r *http.Request, q *Request) error {
	p, err := d.paymentOf(r, q)
	if err != nil {
		return err
	}
	var amount int64
	if text := strings.TrimSpace(r.PostForm.Get("amount")); text != "" {
		if amount, err = majorAmount(q.Lang, "amount", text, p.Currency); err != nil {
			return d.actionFailed(w, r, q, err)
		}
	}
	if _, err := d.svc.CaptureAmount(q.Ctx, p.ApplicationID, p.ID, amount); err != nil {
		return d.actionFailed(w, r, q, err)
	}
	return redirect(w, r, Prefix+"payments/"+strconv.FormatInt(p.ID, 10)+"?done=capture")
}

// cancel serves POST /dashboard/payments/{id}/cancel.
func (d *Dashboard) cancel(w http.ResponseWriter, r *http.Request, q *Request) error {
	p, err := d.paymentOf(r, q)
	if err != nil {
		return err
	}
	if err := d.svc.CancelPayment(q.Ctx, p.ApplicationID, p.ID); err != nil {
		return d.actionFailed(w, r, q, err)
	}
	return redirect(w, r, Prefix+"payments/"+strconv.FormatInt(p.ID, 10)+"?done=cancel")
}

// link serves POST /dashboard/payments/{id}/link: a new payment link for
// one of the payment's gateway configs, shown on the payment's page.
func (d *Dashboard) link(w http.ResponseWriter, r *http.Request, q *Request) error {
	p, err := d.paymentOf(r, q)
	if err != nil {
		return err
	}
	cfg, err := strconv.ParseInt(r.PostForm.Get("config"), 10, 64)
	if err != nil || cfg <= 0 {
		return d.actionFailed(w, r, q, pasarela.Invalid("config", "required", "choose a gateway config"))
	}
	// The form's key: a double click makes one link.
	key := r.PostForm.Get("key")
	if err := core.CheckIdempotencyKey(key); err != nil {
		return d.actionFailed(w, r, q, err)
	}
	idem := &core.Idem{Key: "dashboard:" + key,
		Fingerprint: core.Fingerprint([]byte("dashboard link"), []byte(strconv.FormatInt(p.ID, 10)), []byte(strconv.FormatInt(cfg, 10))),
		// The stored answer names the link, not its token.
		Render: func(v any) (int, []byte, error) {
			return http.StatusOK, []byte(strconv.FormatInt(v.(*pasarela.PaymentLink).ID, 10)), nil
		}}
	_, replay, err := d.svc.CreatePaymentLinkOnce(q.Ctx, p.ApplicationID, p.ID, core.PaymentLinkInput{GatewayConfig: cfg}, idem)
	if err != nil {
		return d.actionFailed(w, r, q, err)
	}
	done := "link"
	if replay != nil {
		done = "link.again"
	}
	return redirect(w, r, Prefix+"payments/"+strconv.FormatInt(p.ID, 10)+"?done="+done+"#links")
}
