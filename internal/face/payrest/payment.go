package payrest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// paymentForm is Payment_Form. amount is a string of minor units ("100" is
// 1.00 EUR); askForClientDetails is accepted as a boolean or, as PayREST
// shows it, a string.
type paymentForm struct {
	Amount              *string           `json:"amount"`
	Currency            string            `json:"currency"`
	Description         string            `json:"description"`
	ClientID            string            `json:"clientId"`
	ClientEmail         string            `json:"clientEmail"`
	GatewayConfigs      []int64           `json:"gatewayConfigs"`
	Flags               []string          `json:"flags"`
	AskForClientDetails flexBool          `json:"askForClientDetails"`
	Type                string            `json:"type"`
	Capture             string            `json:"capture"`
	ReturnURL           string            `json:"returnUrl"`
	CancelURL           string            `json:"cancelUrl"`
	Language            string            `json:"language"`
	ExpiresAt           string            `json:"expiresAt"`
	Metadata            map[string]string `json:"metadata"`
}

// flexBool reads true/false or "true"/"false".
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true":
		*b = true
	case "false", "null", "":
		*b = false
	default:
		// The decoder adds the field's name to a type error.
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeOf(true)}
	}
	return nil
}

// parseTime reads an optional RFC 3339 time field.
func parseTime(v *pasarela.Validation, field, s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.Add(field, "time", "must be an RFC 3339 time like 2026-12-31T23:59:00Z")
		return nil
	}
	return &t
}

func (p paymentForm) input() (core.PaymentInput, error) {
	var v pasarela.Validation
	var amount int64
	if p.Amount == nil {
		v.Add("amount", "required", "is required, as a string of minor units (\"100\" is 1.00 EUR)")
	} else if n, err := pasarela.ParseMinor("amount", *p.Amount); !v.AddError(err) {
		amount = n
	}
	in := core.PaymentInput{Amount: amount, Currency: p.Currency, Description: p.Description, CustomerID: p.ClientID,
		CustomerEmail: p.ClientEmail, GatewayConfigs: p.GatewayConfigs, Flags: p.Flags, AskForDetails: bool(p.AskForClientDetails),
		Type: p.Type, Capture: p.Capture, ReturnURL: p.ReturnURL, CancelURL: p.CancelURL, Language: p.Language,
		ExpiresAt: parseTime(&v, "expiresAt", p.ExpiresAt), Metadata: p.Metadata}
	if strings.EqualFold(strings.TrimSuffix(in.Type, "."), "simple") {
		in.Type = "simple" // PayREST's own sample says "Simple."
	}
	return in, v.Err()
}

type cardJSON struct {
	Last4    string `json:"last4"`
	Brand    string `json:"brand"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
}

type failureJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// paymentJSON is PayREST's Payment.
type paymentJSON struct {
	ID                  int64             `json:"id"`
	TransactionID       string            `json:"transactionId"`
	Status              string            `json:"status"`
	Type                string            `json:"type"`
	Amount              string            `json:"amount"`
	Currency            string            `json:"currency"`
	Captured            string            `json:"capturedAmount"`
	Refunded            string            `json:"refundedAmount"`
	Description         string            `json:"description"`
	ClientID            string            `json:"clientId"`
	ClientEmail         string            `json:"clientEmail"`
	Flags               []string          `json:"flags"`
	AskForClientDetails string            `json:"askForClientDetails"`
	GatewayConfigs      []int64           `json:"gatewayConfigs"`
	GatewayConfig       *int64            `json:"gatewayConfig"`
	Card                *cardJSON         `json:"card"`
	Failure             *failureJSON      `json:"failure"`
	ParentID            int64             `json:"parentId"`
	ReturnURL           string            `json:"returnUrl"`
	CancelURL           string            `json:"cancelUrl"`
	Language            string            `json:"language"`
	Metadata            map[string]string `json:"metadata"`
	ExpiresAt           *time.Time        `json:"expiresAt"`
	CompletionDate      *time.Time        `json:"completionDate"`
	CreatedAt           time.Time         `json:"createdAt"`
	UpdatedAt           time.Time         `json:"updatedAt"`
	PaymentLinks        []paymentLinkJSON `json:"paymentLinks,omitzero"`
	Children            []paymentJSON     `json:"children,omitzero"`
	Refunds             []refundJSON      `json:"refunds,omitzero"`
	Subscription        any               `json:"subscription"`
	Order               *orderJSON        `json:"order,omitempty"`
	Deposit             *depositJSON      `json:"deposit,omitempty"`
	Links               []link            `json:"links"`
}

// depositJSON is the crypto side of a deposit payment: what the buyer pays,
// where, at which locked rate, and what the chain shows. Crypto amounts are
// decimal strings in the coin's unit (not minor units: a coin's scale is up
// to 18 decimals).
type depositJSON struct {
	Currency        string    `json:"currency"`
	Network         string    `json:"network"`
	Address         string    `json:"address"`
	URI             string    `json:"uri"`
	DerivationIndex uint32    `json:"derivationIndex"`
	Amount          string    `json:"amount"`
	Rate            string    `json:"rate"`
	Exchange        string    `json:"exchange"`
	Commission      string    `json:"commission"`
	Received        string    `json:"received"`
	Confirmations   int       `json:"confirmations"`
	TxIDs           []string  `json:"txids"`
	Late            bool      `json:"late"`
	ExpiresAt       time.Time `json:"expiresAt"`
	MonitorUntil    time.Time `json:"monitorUntil"`
}

func depositView(d *pasarela.Deposit) *depositJSON {
	if d == nil {
		return nil
	}
	return &depositJSON{Currency: d.Currency, Network: d.Network, Address: d.Address, URI: d.URI, DerivationIndex: d.Index,
		Amount: d.Amount.String(), Rate: d.Rate.String(), Exchange: d.Exchange, Commission: d.Commission.String(),
		Received: d.Received.String(), Confirmations: d.Confirmations, TxIDs: d.TxIDs, Late: d.Late,
		ExpiresAt: d.ExpiresAt, MonitorUntil: d.MonitorUntil}
}

// orderJSON is the breakdown of a payment made as an order (SekurePay), in
// PayREST's manner: amounts as strings of minor units.
type orderJSON struct {
	ID       string          `json:"id"`
	SubTotal string          `json:"subTotalAmount"`
	Shipping string          `json:"shippingAmount"`
	Items    []orderLineJSON `json:"items"`
	Taxes    []orderLineJSON `json:"taxes"`
}

type orderLineJSON struct {
	Description string `json:"description"`
	Amount      string `json:"amount"`
}

// orderView is the order of a payment, or nil when it was not made as one.
func orderView(o *pasarela.OrderSnapshot) *orderJSON {
	if o == nil {
		return nil
	}
	lines := func(in []pasarela.LineItemSnapshot) ([]orderLineJSON, int64) {
		out := make([]orderLineJSON, len(in))
		var sum int64
		for i, l := range in {
			out[i] = orderLineJSON{Description: l.Description, Amount: strconv.FormatInt(l.Amount, 10)}
			sum += l.Amount
		}
		return out, sum
	}
	items, sub := lines(o.Items)
	taxes, _ := lines(o.Taxes)
	return &orderJSON{ID: o.Reference, SubTotal: strconv.FormatInt(sub, 10), Shipping: strconv.FormatInt(o.Shipping, 10),
		Items: items, Taxes: taxes}
}

// statusName is PayREST's name of a core status: a buyer step or a
// crypto adjustment shows as what the merchant sees, pending or processing.
func statusName(s pasarela.PaymentStatus) string {
	switch s {
	case pasarela.StatusRequiresAction:
		return "pending"
	case pasarela.StatusAdjustment:
		return "processing"
	}
	return string(s)
}

// statusFilter is the core statuses a PayREST status name stands for, the
// reverse of statusName: a filter finds what the list shows by that name.
func statusFilter(name string) []string {
	switch name {
	case "pending":
		return []string{name, string(pasarela.StatusRequiresAction)}
	case "processing":
		return []string{name, string(pasarela.StatusAdjustment)}
	}
	return []string{name}
}

func (f *Face) paymentView(p *pasarela.Payment) paymentJSON {
	return paymentView(p.Snapshot(), f.svc.CheckoutURL(p.CheckoutToken))
}

// paymentView is PayREST's Payment of a snapshot, with checkoutURL the link
// to its hosted page. Answers and webhook bodies (RenderPayment) are both
// made here, from the same snapshot, so they agree field for field.
func paymentView(p *pasarela.PaymentSnapshot, checkoutURL string) paymentJSON {
	self := "/application/" + strconv.FormatInt(p.ApplicationID, 10) + "/payment/" + strconv.FormatInt(p.ID, 10)
	out := paymentJSON{ID: p.ID, TransactionID: p.TransactionID, Status: statusName(p.Status), Type: string(p.Type),
		Amount: strconv.FormatInt(p.Amount, 10), Currency: p.Currency, Captured: strconv.FormatInt(p.Captured, 10),
		Refunded: strconv.FormatInt(p.Refunded, 10), Description: p.Description, ClientID: p.CustomerID,
		ClientEmail: p.CustomerEmail, Flags: p.Flags, AskForClientDetails: strconv.FormatBool(p.AskForDetails),
		GatewayConfigs: p.GatewayConfigs, ParentID: p.ParentID, ReturnURL: p.ReturnURL, CancelURL: p.CancelURL,
		Language: p.Language, Metadata: p.Metadata, ExpiresAt: p.ExpiresAt, CompletionDate: p.CompletedAt,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Links: []link{{Rel: "self", Href: self}, {Rel: "payment", Href: checkoutURL},
			{Rel: "refunds", Href: self + "/refund"}}}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	if out.GatewayConfigs == nil {
		out.GatewayConfigs = []int64{}
	}
	if p.GatewayConfig != 0 {
		id := p.GatewayConfig
		out.GatewayConfig = &id
	}
	out.Card = cardView(p.Card)
	if p.FailureCode != "" {
		out.Failure = &failureJSON{Code: p.FailureCode, Message: p.FailureMessage}
	}
	out.Order = orderView(p.Order)
	out.Deposit = depositView(p.Deposit)
	return out
}

func (f *Face) listPayments(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts, err := listOptions(q)
	if err != nil {
		return err
	}
	if err := cursorOption(q, &opts); err != nil {
		return err
	}
	filter := core.PaymentFilter{CustomerID: q.Get("client_id"), TransactionID: q.Get("transaction_id")}
	if st := q.Get("status"); st != "" {
		filter.Statuses = statusFilter(st)
	}
	pays, total, err := f.svc.ListPayments(r.Context(), appID, filter, opts)
	if err != nil {
		return err
	}
	out := make([]paymentJSON, len(pays))
	for i := range pays {
		out[i] = f.paymentView(&pays[i])
	}
	if opts.Limit == 0 {
		opts.Limit = core.DefaultLimit
	}
	if len(pays) > 0 {
		if link := nextLink(r, opts, len(pays), pays[len(pays)-1].ID); link != "" {
			w.Header().Set("Link", link)
		}
	}
	// A total the counters do not hold is counted up to a cap, past which
	// it reads "10000+" (see core.PaymentCountCap).
	w.Header().Set("X-Total-Count", total.String())
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Face) createPayment(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	var form paymentForm
	body, err := readBody(r, "payment", &form)
	if err != nil {
		return err
	}
	in, err := form.input()
	if err != nil {
		return err
	}
	id, err := idem(r, body, func(v any) any { return f.paymentView(v.(*pasarela.Payment)) }, http.StatusCreated)
	if err != nil {
		return err
	}
	p, replay, err := f.svc.CreatePayment(r.Context(), appID, in, id)
	if err != nil {
		return err
	}
	if replay != nil {
		writeCreatedReplay(w, replay)
		return nil
	}
	view := f.paymentView(p)
	w.Header().Set("Location", view.Links[0].Href)
	writeAnswer(w, http.StatusCreated, id, view)
	return nil
}

func (f *Face) getPayment(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	d, err := f.svc.GetPayment(r.Context(), appID, id)
	if err != nil {
		return err
	}
	view := f.paymentView(d.Payment)
	view.PaymentLinks = []paymentLinkJSON{}
	for i := range d.Links {
		view.PaymentLinks = append(view.PaymentLinks, f.paymentLinkView(&d.Links[i]))
	}
	view.Children = []paymentJSON{}
	for i := range d.Children {
		view.Children = append(view.Children, f.paymentView(&d.Children[i]))
	}
	view.Refunds = []refundJSON{}
	for i := range d.Refunds {
		view.Refunds = append(view.Refunds, refundView(&d.Refunds[i]))
	}
	if view.Subscription, err = f.paymentSubscription(r, d.Payment); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (f *Face) cancelPayment(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	if err := f.svc.CancelPayment(r.Context(), appID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (f *Face) capturePayment(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	p, err := f.svc.CapturePayment(r.Context(), appID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f.paymentView(p))
	return nil
}

// paymentLinkJSON is a payment link.
type paymentLinkJSON struct {
	ID            int64     `json:"id"`
	URL           string    `json:"url"`
	Status        string    `json:"status"`
	GatewayConfig int64     `json:"gatewayConfig"`
	ReturnURL     string    `json:"returnUrl"`
	CancelURL     string    `json:"cancelUrl"`
	ExpiresAt     time.Time `json:"expiresAt"`
	CreatedAt     time.Time `json:"createdAt"`
	Links         []link    `json:"links"`
}

// paymentLinkForm is Payment_Link_Form.
type paymentLinkForm struct {
	GatewayConfig int64  `json:"gatewayConfig"`
	ReturnURL     string `json:"returnUrl"`
	CancelURL     string `json:"cancelUrl"`
	ExpiresAt     string `json:"expiresAt"`
}

func (f *Face) paymentLinkView(l *pasarela.PaymentLink) paymentLinkJSON {
	url := f.svc.CheckoutURL(l.Token)
	status := string(l.Status)
	if l.Status == pasarela.LinkActive && l.Expired(f.svc.Now()) {
		status = "expired"
	}
	return paymentLinkJSON{ID: l.ID, URL: url, Status: status, GatewayConfig: l.GatewayConfig, ReturnURL: l.ReturnURL,
		CancelURL: l.CancelURL, ExpiresAt: l.ExpiresAt, CreatedAt: l.CreatedAt,
		Links: []link{{Rel: "payment", Href: url}}}
}

func (f *Face) createPaymentLink(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	var form paymentLinkForm
	if err := decodeBody(r, "paymentLink", &form); err != nil {
		return err
	}
	var v pasarela.Validation
	expires := parseTime(&v, "expiresAt", form.ExpiresAt)
	if err := v.Err(); err != nil {
		return err
	}
	l, err := f.svc.CreatePaymentLink(r.Context(), appID, id, core.PaymentLinkInput{GatewayConfig: form.GatewayConfig,
		ReturnURL: form.ReturnURL, CancelURL: form.CancelURL, ExpiresAt: expires})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, f.paymentLinkView(l))
	return nil
}

// refundJSON is a refund (our extension, in PayREST's style).
type refundJSON struct {
	ID             int64     `json:"id"`
	PaymentID      int64     `json:"paymentId"`
	Amount         string    `json:"amount"`
	Currency       string    `json:"currency"`
	Reason         string    `json:"reason"`
	Status         string    `json:"status"`
	FailureMessage string    `json:"failureMessage,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// refundForm asks for a refund; amount in minor units, absent = the rest.
type refundForm struct {
	Amount *string `json:"amount"`
	Reason string  `json:"reason"`
}

func refundView(r *pasarela.Refund) refundJSON { return refundSnapshotView(r.Snapshot()) }

// refundSnapshotView is PayREST's Refund of a snapshot: answers and webhook
// bodies (RenderRefund) are both made here.
func refundSnapshotView(r *pasarela.RefundSnapshot) refundJSON {
	return refundJSON{ID: r.ID, PaymentID: r.PaymentID, Amount: strconv.FormatInt(r.Amount, 10), Currency: r.Currency,
		Reason: r.Reason, Status: string(r.Status), FailureMessage: r.FailureMessage, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (f *Face) createRefund(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	var form refundForm
	body, err := readBody(r, "refund", &form)
	if err != nil {
		return err
	}
	var in core.RefundInput
	in.Reason = form.Reason
	if form.Amount != nil {
		if in.Amount, err = pasarela.ParseMinor("amount", *form.Amount); err != nil {
			return err
		}
	}
	key, err := idem(r, body, func(v any) any { return refundView(v.(*pasarela.Refund)) }, http.StatusCreated)
	if err != nil {
		return err
	}
	ref, replay, err := f.svc.Refund(r.Context(), appID, id, in, key)
	if err != nil {
		return err
	}
	if replay != nil {
		writeReplay(w, replay)
		return nil
	}
	// A refund the processor refused is still a refund created, with status
	// failed, as its idempotent replay will show it.
	writeJSON(w, http.StatusCreated, refundView(ref))
	return nil
}

func (f *Face) listRefunds(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "payment")
	if err != nil {
		return err
	}
	refunds, err := f.svc.ListRefunds(r.Context(), appID, id)
	if err != nil {
		return err
	}
	out := make([]refundJSON, len(refunds))
	for i := range refunds {
		out[i] = refundView(&refunds[i])
	}
	writeList(w, out, len(out))
	return nil
}
