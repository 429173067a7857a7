package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// view is what every page template reads. Only the fields a page uses are
// set.
type view struct {
	Lang        string
	Title       string
	Merchant    string
	Logo        string // the application's logo, an https URL the buyer's browser loads
	Amount      string
	Description string
	Order       *orderView // an order's breakdown (SekurePay), nil for other payments

	Token     string
	CSRF      string
	Card      bool                  // the card form is offered
	Redirects []core.CheckoutOption // one button per redirect option (PayPal)
	TestCards bool                  // the sandbox is among the options: show its test card
	Values    cardValues            // what the buyer typed that may be shown again
	Errors    map[string]string     // field → message, shown next to the field
	Summary   []fieldMessage        // every message, at the top of the form
	Last4     string

	Heading   string
	Message   string
	LinkURL   string
	LinkText  string
	ReturnURL string // the merchant's page, with transactionId and status
	CancelURL string
	Reference string
	ActionURL string

	Deposit *depositView // the crypto side of a deposit's page

	// formOrigins are origins besides the gateway a form on the page may
	// end up at (through a 303): the merchant's return origin.
	formOrigins []string
	// imgOrigins are origins besides the gateway the page loads an image
	// from: the logo's.
	imgOrigins []string
}

// orderView is an order's breakdown as the summary shows it, each amount
// formatted for the page's language.
type orderView struct {
	Items    []orderLine
	Subtotal string
	Taxes    []orderLine
	Shipping string // "" when the order has none
	Total    string
}

type orderLine struct {
	Text   string
	Amount string
}

// orderOf is the breakdown of a payment made from an order, nil for a
// payment without one.
func orderOf(pay *pasarela.Payment, lang string) *orderView {
	if len(pay.Items) == 0 {
		return nil
	}
	o := &orderView{Total: formatAmount(pay.Amount, pay.Currency, lang)}
	var sub int64
	for _, it := range pay.Items {
		sub += it.Amount
		o.Items = append(o.Items, orderLine{Text: it.Description, Amount: formatAmount(it.Amount, pay.Currency, lang)})
	}
	o.Subtotal = formatAmount(sub, pay.Currency, lang)
	for _, tx := range pay.Taxes {
		o.Taxes = append(o.Taxes, orderLine{Text: tx.Description, Amount: formatAmount(tx.Amount, pay.Currency, lang)})
	}
	if pay.Shipping > 0 {
		o.Shipping = formatAmount(pay.Shipping, pay.Currency, lang)
	}
	return o
}

// logoURL is the logo a page may show, and its origin for the page's
// Content-Security-Policy: only an https URL, which the buyer's browser
// loads itself. The gateway never fetches it, so a logo pointing into the
// gateway's own network reaches nothing the buyer could not reach; a
// plain-http logo would be blocked as mixed content on the HTTPS page,
// and is left out.
func logoURL(s string) (string, string) {
	u, ok := webURL(s)
	if !ok || u.Scheme != "https" || u.User != nil {
		return "", ""
	}
	return u.String(), u.Scheme + "://" + u.Host
}

// cardValues are the inputs shown again after an error: never the number
// or the security code.
type cardValues struct {
	Name string
	Exp  string
}

// fieldMessage is one line of the error summary; Field is the id of the
// input it concerns, or "".
type fieldMessage struct {
	Field   string
	Message string
}

// formState is what a POST learned that the re-rendered form shows.
type formState struct {
	Values cardValues
	Fields []pasarela.FieldError // input problems, per field
	Code   string                // a decline or refusal code for the whole attempt
	Text   string                // its English message, when the catalog has no entry
}

// formFields are the card form's inputs, in page order.
var formFields = []string{"name", "number", "exp", "cvc"}

// readCardForm decodes a posted card form, and keeps what the page may show
// again if it comes back with errors: the name and the expiry, never the
// number or the CVC (and nothing oversized).
func readCardForm(r *http.Request) (pasarela.CardInput, *formState) {
	card := decodeCardForm(r.PostForm)
	st := &formState{Values: cardValues{Name: card.Name, Exp: strings.TrimSpace(r.PostForm.Get("exp"))}}
	if len(st.Values.Name) > 200 || len(st.Values.Exp) > 20 {
		st.Values = cardValues{}
	}
	return card, st
}

// show is GET /pay/{token}: the page as the payment stands.
func (p *Pages) show(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if !validToken(token) {
		p.notFound(w, r)
		return
	}
	c, err := p.svc.OpenCheckout(r.Context(), token)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, c, nil, http.StatusOK)
}

// payWithCard is POST /pay/{token}: the card form.
func (p *Pages) payWithCard(w http.ResponseWriter, r *http.Request) {
	token, ok := p.post(w, r)
	if !ok {
		return
	}
	card, st := readCardForm(r)
	c, err := p.svc.PayWithCard(r.Context(), token, card)
	p.after(w, r, token, c, err, st)
}

// startRedirect is POST /pay/{token}/redirect: a PayPal button.
func (p *Pages) startRedirect(w http.ResponseWriter, r *http.Request) {
	token, ok := p.post(w, r)
	if !ok {
		return
	}
	configID, _ := strconv.ParseInt(r.PostForm.Get("config"), 10, 64)
	if configID < 0 {
		configID = 0
	}
	c, err := p.svc.StartRedirect(r.Context(), token, configID)
	p.after(w, r, token, c, err, nil)
}

// resume is POST /pay/{token}/challenge (the sandbox bank's 3-D Secure
// page) and POST /pay/{token}/approve (the PayPal sandbox page).
func (p *Pages) resume(w http.ResponseWriter, r *http.Request) {
	token, ok := p.post(w, r)
	if !ok {
		return
	}
	approved := r.PostForm.Get("approved") == "true"
	c, err := p.svc.ResumeCheckout(r.Context(), token, approved)
	p.after(w, r, token, c, err, nil)
}

// post does what every POST needs first: a plausible token, a parsed form
// and a CSRF check. It answers the request itself when one fails.
func (p *Pages) post(w http.ResponseWriter, r *http.Request) (string, bool) {
	token := r.PathValue("token")
	if !validToken(token) {
		p.notFound(w, r)
		return "", false
	}
	if err := r.ParseForm(); err != nil {
		lang := langFromHeader(r.Header.Get("Accept-Language"))
		status := http.StatusBadRequest
		if transport.IsTooLarge(err) {
			status = http.StatusRequestEntityTooLarge
		}
		p.message(w, r, status, &view{Lang: lang, LinkURL: "/pay/" + token, LinkText: translate(lang, "back.link")},
			translate(lang, "badform.title"), translate(lang, "badform.body"))
		return "", false
	}
	if !csrf.Check(r) {
		p.forbidden(w, r, token)
		return "", false
	}
	return token, true
}

// forbidden is the answer to a POST that failed the CSRF check. The page is
// in the payment's language when the token is a known payment's (an
// agreement's page speaks the buyer's browser's).
func (p *Pages) forbidden(w http.ResponseWriter, r *http.Request, token string) {
	lang := langFromHeader(r.Header.Get("Accept-Language"))
	if !core.IsAgreementToken(token) {
		c, err := p.svc.OpenCheckout(r.Context(), token)
		switch {
		case err == nil:
			lang = langOf(c.Payment.Language)
		case pasarela.ErrorKind(err) == pasarela.KindNotFound:
			p.notFound(w, r)
			return
		}
	}
	p.message(w, r, http.StatusForbidden, &view{Lang: lang, LinkURL: "/pay/" + token, LinkText: translate(lang, "back.link")},
		translate(lang, "csrf.title"), translate(lang, "csrf.body"))
}

// after answers a POST from what the core did. st holds what the card form
// sent (nil for the other forms): a decline of a card is shown at once with
// the name and expiry kept; the other steps redirect to the page, which
// shows the decline too (post/redirect/get).
func (p *Pages) after(w http.ResponseWriter, r *http.Request, token string, c *core.Checkout, err error, st *formState) {
	ctx := r.Context()
	if c != nil && c.Payment.Deposit != nil {
		// Nothing is posted to a deposit's page: show it as it stands.
		p.seeOther(w, r, token)
		return
	}
	cardForm := st != nil
	if st == nil {
		st = &formState{}
	}
	if err != nil {
		e := pasarela.AsError(err)
		switch {
		case e.Kind == pasarela.KindNotFound:
			p.notFound(w, r)
		case e.Code == "not_payable" || e.Code == "no_action" || e.Code == "link_expired":
			// Another press got there first (a double click, a second tab),
			// or the page was stale: show the payment as it now stands. A
			// charge in flight is waited for briefly, so that the second
			// press of a double click lands on the result.
			p.waitSettled(ctx, token)
			p.seeOther(w, r, token)
		case e.Kind == pasarela.KindInvalid:
			if c, err = p.svc.OpenCheckout(ctx, token); err != nil {
				p.fail(w, r, err)
				return
			}
			if c.Expired || c.Payment.Status != pasarela.StatusPending {
				p.seeOther(w, r, token)
				return
			}
			if len(e.Fields) > 0 && e.Fields[0].Field != "" {
				st.Fields = e.Fields
			} else {
				st.Code, st.Text = e.Code, e.Message
			}
			p.page(w, r, c, st, http.StatusUnprocessableEntity)
		case callerGone(w, err):
		default:
			p.log.ErrorContext(ctx, "checkout attempt failed", "request_id", transport.RequestID(ctx), "err", err)
			if c, err = p.svc.OpenCheckout(ctx, token); err != nil || c.Expired || c.Payment.Status != pasarela.StatusPending {
				p.internal(w, r, c)
				return
			}
			st.Code = "processing_error"
			p.page(w, r, c, st, http.StatusServiceUnavailable)
		}
		return
	}
	pay := c.Payment
	switch {
	case pay.Status == pasarela.StatusCompleted || pay.Status == pasarela.StatusAuthorized,
		pay.Status == pasarela.StatusFailed && pay.SingleAttempt:
		// A page of one attempt returns the buyer to the merchant after a
		// decline too: the merchant's page tells the outcome.
		if u, _ := returnTarget(c); u != "" {
			securityHeaders(w, nil)
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
		p.seeOther(w, r, token)
	case cardForm && pay.Status == pasarela.StatusPending && pay.FailureCode != "" && !c.Expired:
		st.Code, st.Text = pay.FailureCode, pay.FailureMessage
		p.page(w, r, c, st, http.StatusPaymentRequired)
	case pay.Status == pasarela.StatusRequiresAction && c.ActionURL != "":
		p.page(w, r, c, nil, http.StatusOK) // the processor's own page: a link to it
	case cardForm && pay.Status == pasarela.StatusRequiresAction:
		// The bank's step comes next: should it fail, the form comes back
		// with the name and expiry kept, as after a decline.
		keepCardValues(w, r, token, st.Values)
		p.seeOther(w, r, token)
	default:
		p.seeOther(w, r, token)
	}
}

// waitSettled waits up to a few seconds while the payment is processing.
func (p *Pages) waitSettled(ctx context.Context, token string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := p.svc.OpenCheckout(ctx, token)
		if err != nil || c.Payment.Status != pasarela.StatusProcessing {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// seeOther sends the browser to the page of the token (post/redirect/get).
func (p *Pages) seeOther(w http.ResponseWriter, r *http.Request, token string) {
	securityHeaders(w, nil)
	http.Redirect(w, r, "/pay/"+token, http.StatusSeeOther)
}

// fail answers an error of the core where no page can be shown.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		p.notFound(w, r)
		return
	}
	if callerGone(w, err) {
		return
	}
	p.log.ErrorContext(r.Context(), "checkout page failed", "request_id", transport.RequestID(r.Context()), "err", err)
	p.internal(w, r, nil)
}

// callerGone answers a request whose browser went away (its context was
// canceled) with a bare 499 for the access log, and reports whether it did:
// nobody reads that page, and it is no failure of the gateway to log.
func callerGone(w http.ResponseWriter, err error) bool {
	if pasarela.ErrorKind(err) != pasarela.KindCanceled {
		return false
	}
	w.WriteHeader(transport.StatusClientClosed)
	return true
}

func (p *Pages) internal(w http.ResponseWriter, r *http.Request, c *core.Checkout) {
	v := &view{Lang: langFromHeader(r.Header.Get("Accept-Language"))}
	if c != nil {
		v = p.base(c)
	}
	p.message(w, r, http.StatusInternalServerError, v, translate(v.Lang, "error.title"), translate(v.Lang, "error.body"))
}

// base is the view every page of a payment starts from.
func (p *Pages) base(c *core.Checkout) *view {
	pay := c.Payment
	lang := langOf(pay.Language)
	v := &view{Lang: lang, Merchant: c.Merchant, Description: pay.Description, Token: c.Token,
		Amount: formatAmount(pay.Amount, pay.Currency, lang), Reference: pay.TransactionID, Order: orderOf(pay, lang)}
	if logo, origin := logoURL(c.Logo); logo != "" {
		v.Logo, v.imgOrigins = logo, []string{origin}
	}
	if u, origin := returnTarget(c); u != "" {
		v.ReturnURL, v.formOrigins = u, []string{origin}
		// The return may pass through a page of the gateway's that sends
		// the buyer on to the application's success or failure URL (a
		// Gestpay shop's positive and negative URLs): a form's redirects
		// must be allowed to end there.
		for _, s := range []string{c.Pages.SuccessURL, c.Pages.FailureURL} {
			if u, ok := webURL(s); ok {
				v.formOrigins = append(v.formOrigins, u.Scheme+"://"+u.Host)
			}
		}
	}
	if _, ok := webURL(c.CancelURL); ok {
		v.CancelURL = c.CancelURL
	}
	return v
}

// page renders the page of a checkout as it stands; st is what a POST
// learned, nil on a plain GET.
func (p *Pages) page(w http.ResponseWriter, r *http.Request, c *core.Checkout, st *formState, status int) {
	if c.Payment.Deposit != nil {
		// A deposit is paid on its chain: its page is the same in every
		// state, and never a card form.
		p.depositPage(w, r, c)
		return
	}
	v := p.base(c)
	lang, pay := v.Lang, c.Payment
	back := func() {
		switch {
		case v.CancelURL != "":
			v.LinkURL, v.LinkText = v.CancelURL, translate(lang, "return.link", c.Merchant)
		case v.ReturnURL != "":
			v.LinkURL, v.LinkText = v.ReturnURL, translate(lang, "return.link", c.Merchant)
		}
	}
	switch pay.Status {
	case pasarela.StatusPending, pasarela.StatusRequiresAction:
		if c.Expired {
			back()
			p.message(w, r, http.StatusGone, v, translate(lang, "expired.title"), translate(lang, "expired.body"))
			return
		}
	}
	switch pay.Status {
	case pasarela.StatusPending:
		p.checkoutForm(w, r, c, v, st, status)
	case pasarela.StatusRequiresAction:
		v.CSRF = csrf.Token(w, r)
		if pay.Card != nil {
			v.Last4 = pay.Card.Last4
		}
		switch {
		case c.Action == core.ActionChallenge:
			v.Title = translate(lang, "challenge.title")
			p.render(w, r, status, "challenge", v)
		case c.ActionURL != "":
			if _, ok := webURL(c.ActionURL); !ok {
				p.internal(w, r, c)
				return
			}
			v.ActionURL = c.ActionURL
			v.Title = translate(lang, "continue.title")
			p.render(w, r, status, "continue", v)
		default:
			v.Title = translate(lang, "approval.title")
			p.render(w, r, status, "approval", v)
		}
	case pasarela.StatusProcessing, pasarela.StatusAdjustment:
		// A charge in flight: the browser asks again shortly (the Refresh
		// header needs no script), and a link does the same by hand.
		w.Header().Set("Refresh", "2")
		v.LinkURL, v.LinkText = "/pay/"+c.Token, translate(lang, "refresh.link")
		p.message(w, r, status, v, translate(lang, "processing.title"), translate(lang, "processing.body"))
	case pasarela.StatusCompleted, pasarela.StatusAuthorized, pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded:
		key := "result.completed"
		switch pay.Status {
		case pasarela.StatusAuthorized:
			key = "result.authorized"
		case pasarela.StatusRefunded:
			key = "result.refunded"
		case pasarela.StatusPartiallyRefunded:
			key = "result.partial"
		}
		v.Heading, v.Message = translate(lang, key+".title"), translate(lang, key+".body", v.Amount, c.Merchant)
		v.Title = v.Heading
		p.render(w, r, status, "result", v)
	case pasarela.StatusExpired:
		back()
		p.message(w, r, http.StatusGone, v, translate(lang, "expired.title"), translate(lang, "expired.body"))
	case pasarela.StatusInvalidated:
		back()
		p.message(w, r, status, v, translate(lang, "canceled.title"), translate(lang, "canceled.body"))
	default: // failed
		back()
		p.message(w, r, status, v, translate(lang, "failed.title"), translate(lang, "failed.body"))
	}
}

// checkoutForm renders the ways to pay a pending payment.
func (p *Pages) checkoutForm(w http.ResponseWriter, r *http.Request, c *core.Checkout, v *view, st *formState, status int) {
	lang := v.Lang
	v.Title = translate(lang, "checkout.title")
	v.CSRF = csrf.Token(w, r)
	for _, o := range c.Options {
		switch o.Flow {
		case core.FlowCard:
			v.Card = true
			v.TestCards = v.TestCards || o.Gateway == "sandbox"
		case core.FlowRedirect:
			v.Redirects = append(v.Redirects, o)
		}
	}
	if st == nil && c.Payment.FailureCode != "" {
		// The last attempt failed; say so until the next one, with what
		// the buyer typed before a 3-D Secure step that failed.
		st = &formState{Code: c.Payment.FailureCode, Text: c.Payment.FailureMessage, Values: keptCardValues(w, r, c.Token)}
	}
	v.showErrors(lang, st)
	p.render(w, r, status, "checkout", v)
}

// showErrors puts what a POST of the card form learned (st, nil for none)
// into the view: each field's message next to it, every message in the
// summary.
func (v *view) showErrors(lang string, st *formState) {
	if st == nil {
		return
	}
	v.Values = st.Values
	v.Errors = map[string]string{}
	var other []fieldMessage
	for _, f := range st.Fields {
		msg := fieldError(lang, f.Field, f.Code, f.Message)
		if isFormField(f.Field) {
			if _, seen := v.Errors[f.Field]; !seen {
				v.Errors[f.Field] = msg
			}
			continue
		}
		other = append(other, fieldMessage{Message: msg})
	}
	if st.Code != "" {
		field, msg := declineError(lang, st.Code, st.Text)
		if field != "" && v.Errors[field] == "" {
			v.Errors[field] = msg
		} else {
			other = append(other, fieldMessage{Message: msg})
		}
	}
	for _, f := range formFields {
		if msg, ok := v.Errors[f]; ok {
			v.Summary = append(v.Summary, fieldMessage{Field: f, Message: msg})
		}
	}
	v.Summary = append(v.Summary, other...)
}

func isFormField(f string) bool {
	for _, x := range formFields {
		if f == x {
			return true
		}
	}
	return false
}

// returnTarget is the merchant's return URL with the payment's transaction
// id and status added, and its origin; "" when there is none or it is not a
// plain http(s) URL.
func returnTarget(c *core.Checkout) (string, string) {
	u, ok := webURL(c.ReturnURL)
	if !ok {
		return "", ""
	}
	q := u.Query()
	q.Set("transactionId", c.Payment.TransactionID)
	q.Set("status", string(c.Payment.Status))
	u.RawQuery = q.Encode()
	return u.String(), u.Scheme + "://" + u.Host
}

// webURL parses an absolute http(s) URL whose host is plain enough to name
// in a Content-Security-Policy.
func webURL(s string) (*url.URL, bool) {
	if s == "" {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, false
	}
	for _, r := range u.Host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:[]", r)) {
			return nil, false
		}
	}
	u.Host = strings.ToLower(u.Host)
	return u, true
}

// keptCookie holds the name and expiry a buyer typed while the bank's 3-D
// Secure step runs, so that a failed step brings the form back filled in,
// as a decline does (the core keeps neither the name nor the form). It
// lives in the buyer's browser only, for the payment's pages only, for a
// quarter of an hour, and is dropped once used; the number and the CVC are
// never in it.
const keptCookie = "pasarela_kept"

func keepCardValues(w http.ResponseWriter, r *http.Request, token string, v cardValues) {
	if v.Name == "" && v.Exp == "" {
		return
	}
	val := base64.RawURLEncoding.EncodeToString([]byte(url.Values{"name": {v.Name}, "exp": {v.Exp}}.Encode()))
	http.SetCookie(w, &http.Cookie{Name: keptCookie, Value: val, Path: "/pay/" + token, MaxAge: 900, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: transport.Secure(r.Context())})
}

// keptCardValues reads and drops what keepCardValues kept for the token's
// page; a cookie that does not decode is ignored.
func keptCardValues(w http.ResponseWriter, r *http.Request, token string) cardValues {
	c, err := r.Cookie(keptCookie)
	if err != nil {
		return cardValues{}
	}
	http.SetCookie(w, &http.Cookie{Name: keptCookie, Path: "/pay/" + token, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: transport.Secure(r.Context())})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > 600 {
		return cardValues{}
	}
	q, err := url.ParseQuery(string(b))
	if err != nil {
		return cardValues{}
	}
	v := cardValues{Name: q.Get("name"), Exp: q.Get("exp")}
	if len(v.Name) > 200 || len(v.Exp) > 20 {
		return cardValues{}
	}
	return v
}
