package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// The subscription agreement page (/pay/sa_…): the buyer reads the terms
// (amount, period, first charge), types a card into the checkout's own card
// form, and passes the checkout's 3-D Secure step when the card asks for
// it. It lives under /pay/ so that the checkout's CSRF cookie covers it.

// agreementOr routes a page token: an agreement's to agreement, any other
// to checkout.
func (p *Pages) agreementOr(checkout, agreement http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if core.IsAgreementToken(r.PathValue("token")) {
			agreement(w, r)
			return
		}
		checkout(w, r)
	}
}

// showAgreement is GET /pay/sa_…: the page as the agreement stands.
func (p *Pages) showAgreement(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if !validToken(token) {
		p.notFound(w, r)
		return
	}
	pg, err := p.svc.OpenAgreement(r.Context(), token)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.agreementPage(w, r, pg, nil, http.StatusOK)
}

// confirmAgreement is POST /pay/sa_…: the card form.
func (p *Pages) confirmAgreement(w http.ResponseWriter, r *http.Request) {
	token, ok := p.post(w, r)
	if !ok {
		return
	}
	card, st := readCardForm(r)
	pg, err := p.svc.ConfirmAgreement(r.Context(), token, card)
	p.afterAgreement(w, r, token, pg, err, st)
}

// resumeAgreement is POST /pay/sa_…/challenge: the sandbox bank's answer.
func (p *Pages) resumeAgreement(w http.ResponseWriter, r *http.Request) {
	token, ok := p.post(w, r)
	if !ok {
		return
	}
	pg, err := p.svc.ResumeAgreement(r.Context(), token, r.PostForm.Get("approved") == "true")
	p.afterAgreement(w, r, token, pg, err, nil)
}

// afterAgreement answers a POST from what the core did: errors in the card
// are shown on the form at once, anything else redirects (post/redirect/get)
// to the page or, once confirmed, to the merchant's return URL.
func (p *Pages) afterAgreement(w http.ResponseWriter, r *http.Request, token string, pg *core.AgreementPage, err error, st *formState) {
	ctx := r.Context()
	if err != nil && pg == nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
		// Refused before the agreement was read (the card's own checks):
		// the page is shown again as it stands.
		var oerr error
		if pg, oerr = p.svc.OpenAgreement(ctx, token); oerr != nil {
			p.fail(w, r, oerr)
			return
		}
	}
	if err != nil {
		e := pasarela.AsError(err)
		switch {
		case e.Kind == pasarela.KindNotFound:
			p.notFound(w, r)
		case e.Code == "not_payable":
			p.seeOther(w, r, token) // a second press, a stale page
		case e.Kind == pasarela.KindInvalid && st != nil && pg != nil:
			if len(e.Fields) > 0 && e.Fields[0].Field != "" {
				st.Fields = e.Fields
			} else {
				st.Code, st.Text = e.Code, e.Message
			}
			p.agreementPage(w, r, pg, st, http.StatusUnprocessableEntity)
		case callerGone(w, err):
		default:
			p.log.ErrorContext(ctx, "agreement attempt failed", "request_id", transport.RequestID(ctx), "err", err)
			if pg == nil {
				p.internal(w, r, nil)
				return
			}
			if st == nil {
				st = &formState{}
			}
			st.Code = "processing_error"
			p.agreementPage(w, r, pg, st, http.StatusServiceUnavailable)
		}
		return
	}
	a := pg.Agreement
	switch {
	case a.Status == pasarela.AgreementConfirmed:
		if u, _ := agreementReturn(pg); u != "" {
			securityHeaders(w, nil)
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
		p.seeOther(w, r, token)
	case st != nil && a.Status == pasarela.AgreementPending && a.FailureCode != "":
		st.Code, st.Text = a.FailureCode, a.FailureMessage
		p.agreementPage(w, r, pg, st, http.StatusPaymentRequired)
	default:
		p.seeOther(w, r, token)
	}
}

// agreementReturn is the merchant's return URL with the subscription's id
// and status added, and its origin.
func agreementReturn(pg *core.AgreementPage) (string, string) {
	u, ok := webURL(pg.Agreement.ReturnURL)
	if !ok {
		return "", ""
	}
	q := u.Query()
	q.Set("subscriptionId", strconv.FormatInt(pg.Subscription.ID, 10))
	q.Set("status", string(pg.Subscription.Status))
	u.RawQuery = q.Encode()
	return u.String(), u.Scheme + "://" + u.Host
}

// agreementPage renders the agreement as it stands; st is what a POST
// learned, nil on a plain GET.
func (p *Pages) agreementPage(w http.ResponseWriter, r *http.Request, pg *core.AgreementPage, st *formState, status int) {
	sub, a := pg.Subscription, pg.Agreement
	lang := langFromHeader(r.Header.Get("Accept-Language"))
	v := &view{Lang: lang, Merchant: pg.Merchant, Description: sub.Description, Token: pg.Token,
		Amount: formatAmount(sub.Amount, sub.Currency, lang), Reference: "S" + strconv.FormatInt(sub.ID, 10)}
	if u, origin := agreementReturn(pg); u != "" {
		v.ReturnURL, v.formOrigins = u, []string{origin}
	}
	if _, ok := webURL(a.CancelURL); ok {
		v.CancelURL = a.CancelURL
	}
	if logo, origin := logoURL(pg.Logo); logo != "" {
		v.Logo, v.imgOrigins = logo, []string{origin}
	}
	back := func() {
		switch {
		case v.CancelURL != "":
			v.LinkURL, v.LinkText = v.CancelURL, translate(lang, "return.link", pg.Merchant)
		case v.ReturnURL != "":
			v.LinkURL, v.LinkText = v.ReturnURL, translate(lang, "return.link", pg.Merchant)
		}
	}
	closed := a.Status == pasarela.AgreementInvalidated || (a.Status != pasarela.AgreementConfirmed &&
		!sub.Status.Charging() && sub.Status != pasarela.SubscriptionPending)
	switch {
	case closed:
		back()
		p.message(w, r, http.StatusGone, v, translate(lang, "agreement.closed.title"), translate(lang, "agreement.closed.body"))
	case a.Status == pasarela.AgreementConfirmed:
		back()
		last4 := ""
		if a.Card != nil {
			last4 = a.Card.Last4
		}
		p.message(w, r, status, v, translate(lang, "agreement.confirmed.title"),
			translate(lang, "agreement.confirmed.body", terms(lang, sub, v.Amount), last4))
	case a.Status == pasarela.AgreementProcessing:
		w.Header().Set("Refresh", "2")
		v.LinkURL, v.LinkText = "/pay/"+pg.Token, translate(lang, "refresh.link")
		p.message(w, r, status, v, translate(lang, "processing.title"), translate(lang, "processing.body"))
	case a.Status == pasarela.AgreementRequiresAction:
		// The checkout's own 3-D Secure step, posting to this token.
		v.CSRF = csrf.Token(w, r)
		if a.Card != nil {
			v.Last4 = a.Card.Last4
		}
		v.Title = translate(lang, "challenge.title")
		p.render(w, r, status, "challenge", v)
	default: // pending
		v.Title = translate(lang, "agreement.title")
		v.CSRF = csrf.Token(w, r)
		v.Card = true
		v.TestCards = pg.Gateway == "sandbox"
		v.Heading = terms(lang, sub, v.Amount)
		v.Message = translate(lang, "agreement.first", formatDate(lang, pg.FirstCharge))
		if st == nil && a.FailureCode != "" {
			st = &formState{Code: a.FailureCode, Text: a.FailureMessage}
		}
		v.showErrors(lang, st)
		p.render(w, r, status, "agreement", v)
	}
}

// terms says what the buyer agrees to: "9.99 EUR every month, 12 payments".
// The period is one text with its "every" because that word agrees with the
// unit in some languages ("tous les mois" but "toutes les semaines", "jeden
// Monat" but "jede Woche").
func terms(lang string, sub *pasarela.Subscription, amount string) string {
	period := translate(lang, "interval."+string(sub.Interval))
	if sub.IntervalCount > 1 {
		period = translate(lang, "interval."+string(sub.Interval)+".plural", sub.IntervalCount)
	}
	s := translate(lang, "agreement.every", amount, period)
	switch {
	case sub.Cycles == 1:
		s += translate(lang, "agreement.cycles.one", sub.Cycles)
	case sub.Cycles > 0:
		s += translate(lang, "agreement.cycles", sub.Cycles)
	case sub.EndDate != nil:
		s += translate(lang, "agreement.until", formatDate(lang, *sub.EndDate))
	}
	return s
}

// formatDate writes a day as the language does: "31 March 2026",
// "31 de marzo de 2026" (in UTC, as schedules are kept). The first of a
// month has its own pattern because some languages write it as an ordinal
// ("1er mars", "1º marzo").
func formatDate(lang string, t time.Time) string {
	t = t.UTC()
	month := translate(lang, "month."+strconv.Itoa(int(t.Month())))
	key := "date"
	if t.Day() == 1 {
		key = "date.day1"
	}
	return translate(lang, key, t.Day(), month, t.Year())
}
