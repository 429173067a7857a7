package sekurepay

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// orderFields are the fields of an order as the seed sends it.
var orderFields = []string{"id", "sub_total_cents", "shipping_amount_cents", "total_cents", "currency", "items", "taxes"}

// lineFields are the fields of one item or tax.
var lineFields = []string{"description", "amount_cents"}

// lineJSON is one item or tax as the face shows it.
type lineJSON struct {
	Description string `json:"description"`
	AmountCents int64  `json:"amount_cents"`
}

// orderJSON is an order as the face answers it: the order as created (its
// amounts as integers, whichever way they were sent), with its status,
// timestamps and the hosted checkout where the buyer pays it. payment_id
// and transaction_id name the same payment in the PayREST API.
type orderJSON struct {
	ID                  string     `json:"id"`
	SubTotalCents       int64      `json:"sub_total_cents"`
	ShippingAmountCents int64      `json:"shipping_amount_cents"`
	TotalCents          int64      `json:"total_cents"`
	Currency            string     `json:"currency"`
	Items               []lineJSON `json:"items"`
	Taxes               []lineJSON `json:"taxes"`
	Status              string     `json:"status"`
	PaidCents           int64      `json:"paid_cents"`
	RefundedCents       int64      `json:"refunded_cents"`
	PaymentURL          string     `json:"payment_url"`
	PaymentID           int64      `json:"payment_id"`
	TransactionID       string     `json:"transaction_id"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	PaidAt              *time.Time `json:"paid_at"`
}

// StatusName is SekurePay's name of a core status. The buyer's steps in
// flight are all still "pending" to a merchant: the order is not paid yet.
func StatusName(s pasarela.PaymentStatus) string {
	switch s {
	case pasarela.StatusPending, pasarela.StatusProcessing, pasarela.StatusRequiresAction, pasarela.StatusAdjustment:
		return "pending"
	case pasarela.StatusAuthorized:
		return "authorized"
	case pasarela.StatusCompleted:
		return "paid"
	case pasarela.StatusFailed:
		return "failed"
	case pasarela.StatusInvalidated:
		return "cancelled"
	case pasarela.StatusExpired:
		return "expired"
	case pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded:
		return "refunded"
	}
	return string(s)
}

func lines(in []pasarela.LineItem) ([]lineJSON, int64) {
	out := make([]lineJSON, len(in))
	var sum int64
	for i, l := range in {
		out[i] = lineJSON{Description: l.Description, AmountCents: l.Amount}
		sum += l.Amount
	}
	return out, sum
}

func (f *Face) orderView(p *pasarela.Payment) orderJSON {
	items, sub := lines(p.Items)
	taxes, _ := lines(p.Taxes)
	return orderJSON{ID: p.MerchantRef, SubTotalCents: sub, ShippingAmountCents: p.Shipping, TotalCents: p.Amount,
		Currency: p.Currency, Items: items, Taxes: taxes, Status: StatusName(p.Status), PaidCents: p.Captured,
		RefundedCents: p.Refunded, PaymentURL: f.svc.CheckoutURL(p.CheckoutToken), PaymentID: p.ID,
		TransactionID: p.TransactionID, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, PaidAt: p.CompletedAt}
}

func (f *Face) createOrder(w http.ResponseWriter, r *http.Request) error {
	body, err := transport.ReadJSON(r, false)
	if err != nil {
		return err
	}
	in, err := decodeOrder(body)
	if err != nil {
		return err
	}
	idem, err := f.idem(r, body)
	if err != nil {
		return err
	}
	res, replay, err := f.svc.CreateOrder(r.Context(), principalApp(r), in, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		transport.WriteReplay(w, replay.Status, replay.Body)
		return nil
	}
	view := f.orderView(res.Payment)
	w.Header().Set("Location", Prefix+"/orders/"+url.PathEscape(view.ID))
	if res.Existing {
		// The same order sent again: it is read back as it is now, and
		// nothing new was created.
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, view)
		return nil
	}
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (f *Face) getOrder(w http.ResponseWriter, r *http.Request) error {
	p, err := f.svc.GetOrder(r.Context(), principalApp(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, f.orderView(p))
	return nil
}

// principalApp is the application the request's key opened.
func principalApp(r *http.Request) int64 {
	if p := pasarela.PrincipalFrom(r.Context()); p != nil {
		return p.ApplicationID
	}
	return 0
}

// idem reads an optional Idempotency-Key: the order id already makes a
// repeat safe, and the key gives the same guarantee every JSON face gives
// (the first answer replayed, another body under the key a conflict).
func (f *Face) idem(r *http.Request, body []byte) (*core.Idem, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if err := core.CheckIdempotencyKey(key); err != nil {
		e := pasarela.AsError(err)
		return nil, &pasarela.Error{Kind: e.Kind, Code: "idempotency_key", Field: e.Field, Message: e.Message}
	}
	return &core.Idem{
		Key:         key,
		Fingerprint: core.Fingerprint([]byte(r.Method), []byte(r.URL.Path), body),
		Render: func(v any) (int, []byte, error) {
			res := v.(*core.OrderResult)
			status := http.StatusCreated
			if res.Existing {
				status = http.StatusOK
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			err := enc.Encode(f.orderView(res.Payment))
			return status, buf.Bytes(), err
		},
	}, nil
}

func malformed(msg string) error {
	return &pasarela.Error{Kind: pasarela.KindInvalid, Code: "malformed_json", Message: msg}
}

// decodeOrder reads an order body. The body must be a JSON object; each
// field's problem is reported against the field (every problem at once),
// and the core then checks the order's rules and arithmetic.
func decodeOrder(body []byte) (core.OrderInput, error) {
	var in core.OrderInput
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return in, malformed(`the body must be a JSON object like {"id":"1001","sub_total_cents":10000,…}: ` + syntaxHint(body))
	}
	m, err := transport.DecodeObject(body)
	if errors.Is(err, transport.ErrNotObject) {
		return in, malformed("the body must hold a single JSON object of valid UTF-8 text")
	}
	if err != nil {
		return in, err // a member sent twice, named
	}
	var v pasarela.Validation
	unknownFields(&v, "", m, orderFields)
	in.ID = readID(&v, m["id"])
	in.SubTotal = readCents(&v, "sub_total_cents", m["sub_total_cents"], true)
	in.Shipping = readCents(&v, "shipping_amount_cents", m["shipping_amount_cents"], false)
	in.Total = readCents(&v, "total_cents", m["total_cents"], true)
	in.Currency = readString(&v, "currency", m["currency"], true)
	in.Items = readLines(&v, "items", m["items"], true, core.MaxOrderItems)
	in.Taxes = readLines(&v, "taxes", m["taxes"], false, core.MaxOrderTaxes)
	return in, v.Err()
}

// syntaxHint says where a body stops being JSON.
func syntaxHint(body []byte) string {
	var x any
	err := json.Unmarshal(body, &x)
	if se, ok := err.(*json.SyntaxError); ok {
		return "malformed JSON at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if err != nil {
		return "the body is empty or cut short"
	}
	return "it is not an object"
}

func unknownFields(v *pasarela.Validation, prefix string, m map[string]json.RawMessage, known []string) {
	var names []string
	for k := range m {
		if !slices.Contains(known, k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		v.Add(prefix+k, "unknown_field", "is not a field here; the fields are "+strings.Join(known, ", "))
	}
}

func absent(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// readID reads the order id: a string, or an integer (some merchants number
// their orders), kept as its digits.
func readID(v *pasarela.Validation, raw json.RawMessage) string {
	if absent(raw) {
		v.Add("id", "required", "is required: the merchant's order id")
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			v.Add("id", "required", "is required: the merchant's order id")
		}
		return s
	}
	if n, ok := integer(string(raw)); ok {
		return strconv.FormatInt(n, 10)
	}
	v.Add("id", "type", "must be a string (or an integer): the merchant's order id")
	return ""
}

// readCents reads an amount in cents, written as the seed writes them: an
// integer (10000) or a string of one ("10000"). Anything else (decimals,
// exponents, blanks, other types) is refused, never rounded.
func readCents(v *pasarela.Validation, field string, raw json.RawMessage, required bool) int64 {
	if absent(raw) {
		if required {
			v.Add(field, "required", "is required: an integer number of cents")
		}
		return 0
	}
	text := string(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		text = s
	}
	n, ok := integer(text)
	if !ok {
		if tooLarge(text) {
			v.Add(field, "amount", "is too large")
		} else {
			v.Add(field, "integer", "must be an integer number of cents, like 10000 or \"10000\"")
		}
		return 0
	}
	return n
}

// integer parses an optionally negative decimal integer with nothing else
// around it (negative amounts are read so that the core can say why they
// are refused).
func integer(s string) (int64, bool) {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func tooLarge(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if len(digits) <= 18 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func readString(v *pasarela.Validation, field string, raw json.RawMessage, required bool) string {
	if absent(raw) {
		if required {
			v.Add(field, "required", "is required")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		v.Add(field, "type", "must be a string")
		return ""
	}
	if s == "" && required {
		v.Add(field, "required", "is required")
	}
	return s
}

// readLines reads items or taxes: an array of {description, amount_cents}.
func readLines(v *pasarela.Validation, field string, raw json.RawMessage, required bool, max int) []pasarela.LineItem {
	if absent(raw) {
		if required {
			v.Add(field, "required", "is required: an array of {description, amount_cents}")
		}
		return nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(raw, &arr); err != nil {
		v.Add(field, "type", "must be an array of {description, amount_cents}")
		return nil
	}
	if len(arr) == 0 && required {
		v.Add(field, "required", "must have at least one line")
		return nil
	}
	if len(arr) > max {
		// Refused before reading them: the core's limit, told early.
		v.Add(field, "too_many", "may have at most "+strconv.Itoa(max)+" lines")
		return nil
	}
	out := make([]pasarela.LineItem, 0, len(arr))
	for i, el := range arr {
		name := field + "[" + strconv.Itoa(i) + "]"
		m, err := transport.DecodeObject(el)
		if err != nil {
			v.Add(name, "type", "must be an object {description, amount_cents}")
			continue
		}
		unknownFields(v, name+".", m, lineFields)
		out = append(out, pasarela.LineItem{
			Description: readString(v, name+".description", m["description"], true),
			Amount:      readCents(v, name+".amount_cents", m["amount_cents"], true),
		})
	}
	return out
}
