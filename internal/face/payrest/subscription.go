package payrest

import (
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// subscriptionForm is Subscription_Form. amount is a string of minor units;
// startDate and endDate are RFC 3339 times or plain dates (midnight UTC).
type subscriptionForm struct {
	Amount         *string `json:"amount"`
	Currency       string  `json:"currency"`
	Description    string  `json:"description"`
	ClientID       string  `json:"clientId"`
	ClientEmail    string  `json:"clientEmail"`
	Interval       string  `json:"interval"`
	IntervalCount  *int    `json:"intervalCount"` // absent: 1; an explicit 0 is refused, never read as 1
	StartDate      string  `json:"startDate"`
	Cycles         *int    `json:"cycles"` // absent: until endDate or cancelled; an explicit 0 is refused, never unlimited
	EndDate        string  `json:"endDate"`
	GatewayConfigs []int64 `json:"gatewayConfigs"`
}

// parseDate reads an optional RFC 3339 time or YYYY-MM-DD date.
func parseDate(v *pasarela.Validation, field, s string) *time.Time {
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return &t
	}
	return parseTime(v, field, s)
}

func (s subscriptionForm) input() (core.SubscriptionInput, error) {
	var v pasarela.Validation
	var amount int64
	if s.Amount == nil {
		v.Add("amount", "required", "is required, as a string of minor units (\"100\" is 1.00 EUR)")
	} else if n, err := pasarela.ParseMinor("amount", *s.Amount); !v.AddError(err) {
		amount = n
	}
	in := core.SubscriptionInput{Amount: amount, Currency: s.Currency, Description: s.Description, CustomerID: s.ClientID,
		CustomerEmail: s.ClientEmail, Interval: s.Interval,
		StartDate: parseDate(&v, "startDate", s.StartDate), EndDate: parseDate(&v, "endDate", s.EndDate),
		GatewayConfigs: s.GatewayConfigs}
	// The core reads 0 as "not given"; an explicit value below 1 is the
	// client's mistake, named, rather than a silent default (a 0 for cycles
	// would otherwise charge for ever).
	if s.IntervalCount != nil {
		if *s.IntervalCount < 1 {
			v.Add("intervalCount", "range", "must be 1 or more (absent: 1)")
		}
		in.IntervalCount = *s.IntervalCount
	}
	if s.Cycles != nil {
		if *s.Cycles < 1 {
			v.Add("cycles", "range", "must be 1 or more (absent: until endDate or cancelled)")
		}
		in.Cycles = *s.Cycles
	}
	return in, v.Err()
}

// subscriptionJSON is PayREST's Subscription.
type subscriptionJSON struct {
	ID             int64              `json:"id"`
	Status         string             `json:"status"`
	Amount         string             `json:"amount"`
	Currency       string             `json:"currency"`
	Description    string             `json:"description"`
	ClientID       string             `json:"clientId"`
	ClientEmail    string             `json:"clientEmail"`
	Interval       string             `json:"interval"`
	IntervalCount  int                `json:"intervalCount"`
	StartDate      time.Time          `json:"startDate"`
	Cycles         *int               `json:"cycles"`
	EndDate        *time.Time         `json:"endDate"`
	GatewayConfigs []int64            `json:"gatewayConfigs"`
	GatewayConfig  *int64             `json:"gatewayConfig"`
	Card           *cardJSON          `json:"card"`
	CyclesPaid     int                `json:"cyclesPaid"`
	NextCycle      int                `json:"nextCycle"`
	NextChargeDate *time.Time         `json:"nextChargeDate"`
	ConfirmedAt    *time.Time         `json:"confirmedAt"`
	CanceledAt     *time.Time         `json:"canceledAt"`
	CreatedAt      time.Time          `json:"createdAt"`
	UpdatedAt      time.Time          `json:"updatedAt"`
	Agreements     []agreementJSON    `json:"agreements,omitzero"`
	Payments       []cyclePaymentJSON `json:"payments,omitzero"`
	Links          []link             `json:"links"`
}

// cyclePaymentJSON is one billing cycle and the payment that charges it.
type cyclePaymentJSON struct {
	Cycle         int        `json:"cycle"`
	Status        string     `json:"cycleStatus"`
	DueDate       time.Time  `json:"dueDate"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptDate"`
	Payment       int64      `json:"paymentId"`
	PaymentStatus string     `json:"paymentStatus"`
	Links         []link     `json:"links"`
}

// agreementJSON is a subscription agreement: the page a buyer confirms on.
type agreementJSON struct {
	ID             int64        `json:"id"`
	SubscriptionID int64        `json:"subscriptionId"`
	Status         string       `json:"status"`
	GatewayConfig  int64        `json:"gatewayConfig"`
	URL            string       `json:"url"`
	ReturnURL      string       `json:"returnUrl"`
	CancelURL      string       `json:"cancelUrl"`
	Card           *cardJSON    `json:"card"`
	Failure        *failureJSON `json:"failure"`
	ConfirmedAt    *time.Time   `json:"confirmedAt"`
	CreatedAt      time.Time    `json:"createdAt"`
	Links          []link       `json:"links"`
}

func subscriptionPath(appID, id int64) string {
	return "/application/" + strconv.FormatInt(appID, 10) + "/subscription/" + strconv.FormatInt(id, 10)
}

func cardView(c *pasarela.CardSnapshot) *cardJSON {
	if c == nil {
		return nil
	}
	return &cardJSON{Last4: c.Last4, Brand: c.Brand, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
}

func subscriptionView(s *pasarela.Subscription) subscriptionJSON {
	return subscriptionSnapshotView(s.Snapshot())
}

// subscriptionSnapshotView is PayREST's Subscription of a snapshot: answers
// and webhook bodies (RenderSubscription) are both made here.
func subscriptionSnapshotView(s *pasarela.SubscriptionSnapshot) subscriptionJSON {
	out := subscriptionJSON{ID: s.ID, Status: string(s.Status), Amount: strconv.FormatInt(s.Amount, 10),
		Currency: s.Currency, Description: s.Description, ClientID: s.CustomerID, ClientEmail: s.CustomerEmail,
		Interval: string(s.Interval), IntervalCount: s.IntervalCount, StartDate: s.StartDate, EndDate: s.EndDate,
		GatewayConfigs: s.GatewayConfigs, Card: cardView(s.Card), CyclesPaid: s.CyclesPaid, NextCycle: s.NextCycle,
		NextChargeDate: s.NextChargeAt, ConfirmedAt: s.ConfirmedAt, CanceledAt: s.CanceledAt, CreatedAt: s.CreatedAt,
		UpdatedAt: s.UpdatedAt, Links: []link{{Rel: "self", Href: subscriptionPath(s.ApplicationID, s.ID)}}}
	if s.Cycles > 0 {
		n := s.Cycles
		out.Cycles = &n
	}
	if out.GatewayConfigs == nil {
		out.GatewayConfigs = []int64{}
	}
	if s.GatewayConfig != 0 {
		id := s.GatewayConfig
		out.GatewayConfig = &id
	}
	return out
}

func (f *Face) agreementView(a *pasarela.SubscriptionAgreement) agreementJSON {
	url := f.svc.CheckoutURL(a.Token)
	out := agreementJSON{ID: a.ID, SubscriptionID: a.SubscriptionID, Status: string(a.Status), GatewayConfig: a.GatewayConfig,
		URL: url, ReturnURL: a.ReturnURL, CancelURL: a.CancelURL, Card: cardView(a.Card.Snapshot()), ConfirmedAt: a.ConfirmedAt,
		CreatedAt: a.CreatedAt, Links: []link{{Rel: "agreement", Href: url},
			{Rel: "subscription", Href: subscriptionPath(a.ApplicationID, a.SubscriptionID)}}}
	if a.FailureCode != "" {
		out.Failure = &failureJSON{Code: a.FailureCode, Message: a.FailureMessage}
	}
	return out
}

func (f *Face) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts, err := listOptions(q)
	if err != nil {
		return err
	}
	subs, total, err := f.svc.ListSubscriptions(r.Context(), appID,
		core.SubscriptionFilter{Status: q.Get("status"), CustomerID: q.Get("client_id")}, opts)
	if err != nil {
		return err
	}
	out := make([]subscriptionJSON, len(subs))
	for i := range subs {
		out[i] = subscriptionView(&subs[i])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) createSubscription(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	var form subscriptionForm
	body, err := readBody(r, "subscription", &form)
	if err != nil {
		return err
	}
	in, err := form.input()
	if err != nil {
		return err
	}
	key, err := idem(r, body, func(v any) any { return subscriptionView(v.(*pasarela.Subscription)) }, http.StatusCreated)
	if err != nil {
		return err
	}
	sub, replay, err := f.svc.CreateSubscription(r.Context(), appID, in, key)
	if err != nil {
		return err
	}
	if replay != nil {
		writeCreatedReplay(w, replay)
		return nil
	}
	view := subscriptionView(sub)
	w.Header().Set("Location", view.Links[0].Href)
	writeAnswer(w, http.StatusCreated, key, view)
	return nil
}

func (f *Face) getSubscription(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "subscription")
	if err != nil {
		return err
	}
	d, err := f.svc.GetSubscription(r.Context(), appID, id)
	if err != nil {
		return err
	}
	view := subscriptionView(d.Subscription)
	view.Agreements = []agreementJSON{}
	for i := range d.Agreements {
		view.Agreements = append(view.Agreements, f.agreementView(&d.Agreements[i]))
	}
	view.Payments = []cyclePaymentJSON{}
	for i, c := range d.Cycles {
		p := d.Payments[i]
		view.Payments = append(view.Payments, cyclePaymentJSON{Cycle: c.Cycle, Status: string(c.Status), DueDate: c.DueAt,
			Attempts: c.Attempts, NextAttemptAt: c.NextAttemptAt, Payment: p.ID, PaymentStatus: statusName(p.Status),
			Links: []link{{Rel: "payment", Href: paymentHref(appID, p.ID)}}})
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func paymentHref(appID, id int64) string {
	return "/application/" + strconv.FormatInt(appID, 10) + "/payment/" + strconv.FormatInt(id, 10)
}

// agreementForm is Subscription_Agreement_Form.
type agreementForm struct {
	GatewayConfig int64  `json:"gatewayConfig"`
	ReturnURL     string `json:"returnUrl"`
	CancelURL     string `json:"cancelUrl"`
}

// agreementSnippet is the HTML a merchant may put on its own page to send
// the buyer to confirm: PayREST's "optionally returns an HTML".
var agreementSnippet = template.Must(template.New("snippet").Parse(
	`<a class="pasarela-agreement" href="{{.URL}}" rel="noopener">Confirm your subscription: {{.Amount}} {{.Currency}} every {{.Every}}</a>` + "\n"))

// wantsHTML reports whether the caller asked for the HTML snippet: with
// ?format=html, or an Accept header that prefers text/html to JSON.
func wantsHTML(r *http.Request) bool {
	switch strings.ToLower(r.URL.Query().Get("format")) {
	case "html":
		return true
	case "json":
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html":
			return true
		case "application/json", "*/*", "application/*":
			return false
		}
	}
	return false
}

func (f *Face) createAgreement(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "subscription")
	if err != nil {
		return err
	}
	var form agreementForm
	body, err := readBody(r, "subscriptionAgreement", &form)
	if err != nil {
		return err
	}
	key, err := idem(r, body, func(v any) any { return f.agreementView(v.(*pasarela.SubscriptionAgreement)) }, http.StatusCreated)
	if err != nil {
		return err
	}
	a, replay, err := f.svc.CreateAgreement(r.Context(), appID, id, core.AgreementInput{GatewayConfig: form.GatewayConfig,
		ReturnURL: form.ReturnURL, CancelURL: form.CancelURL}, key)
	if err != nil {
		return err
	}
	var view agreementJSON
	if replay != nil {
		// The same agreement as the first answer, in the form asked now.
		if err := json.Unmarshal(replay.Body, &view); err != nil {
			return pasarela.Internal(err)
		}
		if !wantsHTML(r) {
			w.Header().Set("Location", view.URL)
			writeReplay(w, replay)
			return nil
		}
		w.Header().Set("Idempotent-Replayed", "true")
	} else {
		view = f.agreementView(a)
	}
	w.Header().Set("Location", view.URL)
	if !wantsHTML(r) {
		writeAnswer(w, http.StatusCreated, key, view)
		return nil
	}
	d, err := f.svc.GetSubscription(r.Context(), appID, id)
	if err != nil {
		return err
	}
	every := string(d.Interval)
	if d.IntervalCount > 1 {
		every = strconv.Itoa(d.IntervalCount) + " " + every + "s"
	}
	cur, _ := pasarela.LookupCurrency(d.Currency)
	var b strings.Builder
	if err := agreementSnippet.Execute(&b, map[string]string{"URL": view.URL,
		"Amount": pasarela.FormatMajor(d.Amount, cur), "Currency": d.Currency, "Every": every}); err != nil {
		return pasarela.Internal(err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(b.String()))
	return nil
}

func (f *Face) cancelSubscription(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "subscription")
	if err != nil {
		return err
	}
	if err := f.svc.CancelSubscription(r.Context(), appID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// paymentSubscriptionJSON is the subscription field of a cycle payment.
type paymentSubscriptionJSON struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Cycle  int    `json:"cycle"`
	Links  []link `json:"links"`
}

// paymentSubscription is the subscription field of a payment's detail:
// null for a payment of no subscription.
func (f *Face) paymentSubscription(r *http.Request, p *pasarela.Payment) (any, error) {
	if p.Type != pasarela.PaymentSubscription {
		return nil, nil
	}
	ps, err := f.svc.SubscriptionOfPayment(r.Context(), p.ApplicationID, p.ID)
	if err != nil || ps == nil {
		return nil, err
	}
	return paymentSubscriptionJSON{ID: ps.Subscription.ID, Status: string(ps.Subscription.Status), Cycle: ps.Cycle,
		Links: []link{{Rel: "subscription", Href: subscriptionPath(p.ApplicationID, ps.Subscription.ID)}}}, nil
}
