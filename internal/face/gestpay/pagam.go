package gestpay

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// The hosted payment page, Gestpay's phases II and III: the buyer's browser
// arrives at pagam.aspx with the shop login (a) and Encrypt's string (b),
// pays on the gateway's checkout, and comes back through esito.aspx, which
// sends it to the shop's positive or negative URL with a and a result
// string. esito.aspx is the face's own address (Gestpay had none the
// merchant saw): the checkout returns the buyer there after any outcome.
const (
	pagamPath = Prefix + "/pagam/pagam.aspx"
	esitoPath = Prefix + "/pagam/esito.aspx"
)

// Codes of the payment page's own refusals.
const (
	codeMissingA   = 1130
	codeMissingB   = 1133
	codeEmptyB     = 1134
	codeExtraParam = 1135
)

// pageURL is the address the checkout returns the buyer to for the payment
// of reference ref: esito.aspx with the shop and a page reference signed for
// it. Encrypt sets it as the payment's return and cancel URL, before the
// payment exists, which is why it names the payment by the shop's reference.
func (f *Face) pageURL(key []byte, shop string, appID int64, ref string, kind byte) string {
	return f.svc.PublicURL() + esitoPath + "?a=" + url.QueryEscape(shop) + "&b=" +
		sealCrypt(key, shop, crypt{kind: kind, appID: appID, ref: ref})
}

// pageParams reads a and b as pagam.aspx takes them: from the query, or
// from a POSTed form, where a shop's other form fields (its submit button
// "Pay") are tolerated. The query may carry nothing but a and b, each once.
func pageParams(r *http.Request) (string, string, int) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", "", codeExtraParam
	}
	vals := url.Values{}
	for k, v := range q {
		vals[k] = v
	}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return "", "", codeMissingA
		}
		for _, k := range []string{"a", "b"} {
			if v, ok := r.PostForm[k]; ok && len(q[k]) == 0 {
				vals[k] = v
			}
		}
	}
	a, b := vals["a"], vals["b"]
	switch {
	case len(a) == 0 || strings.TrimSpace(a[0]) == "":
		return "", "", codeMissingA
	case len(b) == 0:
		return "", "", codeMissingB
	case strings.TrimSpace(b[0]) == "":
		return "", "", codeEmptyB
	case len(a) > 1 || len(b) > 1:
		return "", "", codeExtraParam
	}
	for k := range q {
		if k != "a" && k != "b" {
			return "", "", codeExtraParam
		}
	}
	return strings.TrimSpace(a[0]), strings.TrimSpace(b[0]), 0
}

// servePagam is pagam.aspx: a payable payment's string leads to its
// checkout; anything else is the page's error, in Gestpay's codes.
func (f *Face) servePagam(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r, http.MethodPost) {
		return
	}
	pg, code, err := f.openRequest(r)
	switch {
	case err != nil:
		f.pageFailed(w, r, err)
	case code != 0:
		f.pageError(w, r, code, paymentLang(pg))
	default:
		pageHeaders(w)
		http.Redirect(w, r, "/pay/"+pg.Payment.CheckoutToken, http.StatusSeeOther)
	}
}

// openRequest reads a and b as the payment pages take them (pagam.aspx and
// js_GestPay.js's hidden page) and opens the payment of Encrypt's string b
// for shop a. A refusal is a Gestpay code, with the payment when one was
// found (its language is the page's); err is a failure of the gateway's,
// for pageFailed.
func (f *Face) openRequest(r *http.Request) (*core.ShopPage, int, error) {
	a, b, code := pageParams(r)
	if code != 0 {
		return nil, code, nil
	}
	key, err := f.cryptKey(r)
	if err != nil {
		return nil, 0, err
	}
	cr, ok := openCrypt(key, a, b)
	if !ok || cr.kind != kindRequest {
		return nil, f.unopened(r, a), nil
	}
	pg, err := f.svc.ShopPayment(r.Context(), a, core.ShopRef{ApplicationID: cr.appID, ID: cr.payment})
	if err != nil {
		return nil, 0, err
	}
	if !pg.Payment.Status.Payable() {
		return pg, codeAlreadyProcessed, nil
	}
	return pg, 0, nil
}

// paymentLang is the language of pg's payment, "" without one.
func paymentLang(pg *core.ShopPage) string {
	if pg == nil {
		return ""
	}
	return pg.Payment.Language
}

// unopened is the code of a string that did not open for shop a: the shop
// unknown (1131) or the string not made for it (1136).
func (f *Face) unopened(r *http.Request, a string) int {
	if err := f.svc.CheckShopLogin(r.Context(), a); pasarela.AsError(err).Code == "unknown_shop_login" {
		return codeUnknownShop
	}
	return codeNotFromEncrypt
}

// serveEsito is where the checkout returns the buyer: after a payment, a
// decline (the page gives one attempt), or the page's cancel link, which
// abandons a payment not tried yet. The buyer goes on to the shop's
// positive or negative URL with a and a result string for Decrypt.
func (f *Face) serveEsito(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r) {
		return
	}
	q := r.URL.Query()
	a, b := strings.TrimSpace(q.Get("a")), strings.TrimSpace(q.Get("b"))
	key, err := f.cryptKey(r)
	if err != nil {
		f.pageFailed(w, r, err)
		return
	}
	cr, ok := openCrypt(key, a, b)
	if !ok || (cr.kind != kindPage && cr.kind != kindCancel) {
		f.pageError(w, r, codeNotFromEncrypt, "")
		return
	}
	pg, err := f.svc.ShopPayment(r.Context(), a, core.ShopRef{ApplicationID: cr.appID, MerchantRef: cr.ref})
	if err != nil {
		f.pageFailed(w, r, err)
		return
	}
	pay := pg.Payment
	if cr.kind == kindCancel && pay.Status.Payable() {
		if r.Method == http.MethodHead {
			// A HEAD (a link checker's) changes nothing.
			pageHeaders(w)
			return
		}
		c, err := f.svc.AbandonCheckout(r.Context(), pay.CheckoutToken)
		if err != nil {
			f.pageFailed(w, r, err)
			return
		}
		pay = c.Payment
	}
	res, code := result(pay)
	if res == "XX" || pay.Status.Payable() {
		// Still on its way (a 3-D Secure step, a charge in flight), or the
		// return reached before any attempt: back to the checkout, which
		// shows where it stands.
		pageHeaders(w)
		http.Redirect(w, r, "/pay/"+pay.CheckoutToken, http.StatusSeeOther)
		return
	}
	target := pg.Application.Pages.FailureURL
	if res == "OK" {
		target = pg.Application.Pages.SuccessURL
	}
	if target == "" {
		// The shop set no URL for this outcome: the buyer reads it here.
		f.pageResult(w, r, pay, res, code)
		return
	}
	pageHeaders(w)
	http.Redirect(w, r, core.WithQuery(target, resultQuery(key, a, pay.ApplicationID, pay.ID)), http.StatusSeeOther)
}

// pageMethod lets GET and HEAD through, and the other methods given; it
// answers anything else itself.
func pageMethod(w http.ResponseWriter, r *http.Request, also ...string) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	for _, m := range also {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(append([]string{"GET", "HEAD"}, also...), ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// pageHeaders are the headers of every page answer: nothing cached (the
// addresses carry strings for one payment), nothing framed or sniffed.
func pageHeaders(w http.ResponseWriter) {
	setPageHeaders(w, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
}

// setPageHeaders sets pageHeaders with the Content-Security-Policy given,
// for pages that need more than none (a script of their own, a form).
func setPageHeaders(w http.ResponseWriter, csp string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", csp)
}

// pageLang is the language of a page of the face: the payment's when one
// is known and Gestpay has its texts (Italian or English), else the
// browser's first choice between the two, Italian by default as Gestpay's
// pages were.
func pageLang(r *http.Request, paymentLang string) string {
	switch paymentLang {
	case "it", "en":
		return paymentLang
	case "":
	default:
		return "en"
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(r.Header.Get("Accept-Language"))), "en") {
		return "en"
	}
	return "it"
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}.code{color:#555}</style></head>
<body><main><h1>{{.Title}}</h1>{{if .Code}}<p class="code">{{.CodeLabel}} {{.Code}}</p>{{end}}<p>{{.Text}}</p>
{{if .Ref}}<p>{{.RefLabel}}: {{.Ref}}</p>{{end}}</main></body></html>
`))

type pageView struct {
	Lang, Title, CodeLabel, Code, Text, RefLabel, Ref string
}

// pageText holds the pages' few words in Italian and English.
var pageText = map[string][2]string{
	"error.title":  {"Pagamento non disponibile", "Payment not available"},
	"code":         {"Errore", "Error"},
	"ok.title":     {"Pagamento eseguito", "Payment completed"},
	"ko.title":     {"Pagamento non riuscito", "Payment not completed"},
	"ref":          {"Riferimento dell'ordine", "Order reference"},
	"tech":         {"Il servizio non è al momento disponibile. Riprovare più tardi.", "The service is not available at the moment. Please try again later."},
	"3ds.title":    {"Banca di prova: verifica 3-D Secure", "Sandbox bank: 3-D Secure check"},
	"3ds.text":     {"Autorizzi il pagamento di {amount} a {shop}?", "Do you approve the payment of {amount} to {shop}?"},
	"3ds.note":     {"Questa banca è simulata: nessun addebito reale.", "This bank is simulated: no real money moves."},
	"3ds.approve":  {"Autorizza", "Approve"},
	"3ds.fail":     {"Rifiuta", "Refuse"},
	"3ds.return":   {"Ritorno al negozio in corso.", "Returning to the shop."},
	"3ds.continue": {"Continua", "Continue"},
}

func text(key, lang string) string {
	if lang == "en" {
		return pageText[key][1]
	}
	return pageText[key][0]
}

// pageError answers a refusal of the page with its Gestpay code.
func (f *Face) pageError(w http.ResponseWriter, r *http.Request, code int, paymentLang string) {
	lang := pageLang(r, paymentLang)
	f.renderPage(w, r, http.StatusBadRequest, pageView{Lang: lang, Title: text("error.title", lang),
		CodeLabel: text("code", lang), Code: strconv.Itoa(code), Text: describe(code, lang)})
}

// pageResult tells the buyer the outcome when the shop has no URL for it.
func (f *Face) pageResult(w http.ResponseWriter, r *http.Request, p *pasarela.Payment, res string, code int) {
	lang := pageLang(r, p.Language)
	v := pageView{Lang: lang, Title: text("ok.title", lang), Text: describe(code, lang),
		RefLabel: text("ref", lang), Ref: p.MerchantRef}
	if res != "OK" {
		v.Title, v.CodeLabel, v.Code = text("ko.title", lang), text("code", lang), strconv.Itoa(code)
	}
	f.renderPage(w, r, http.StatusOK, v)
}

// pageFailed answers an error of the core on a page: a payment or shop
// that is not there is a string not made by Encrypt; the rest is logged.
func (f *Face) pageFailed(w http.ResponseWriter, r *http.Request, err error) {
	e := pasarela.AsError(err)
	switch {
	case e.Kind == pasarela.KindNotFound || e.Code == "unknown_shop_login":
		f.pageError(w, r, codeNotFromEncrypt, "")
		return
	case e.Kind == pasarela.KindCanceled:
		w.WriteHeader(transport.StatusClientClosed)
		return
	}
	f.log.ErrorContext(r.Context(), "gestpay payment page", "request_id", transport.RequestID(r.Context()), "error", err)
	lang := pageLang(r, "")
	f.renderPage(w, r, http.StatusInternalServerError, pageView{Lang: lang, Title: text("error.title", lang),
		CodeLabel: text("code", lang), Code: strconv.Itoa(codeTechnical), Text: text("tech", lang)})
}

func (f *Face) renderPage(w http.ResponseWriter, r *http.Request, status int, v pageView) {
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = pageTemplate.Execute(w, v) // the browser may be gone; nothing to do then
}

// resultQuery is how the shop learns an outcome, in the URLs of the buyer's
// return and of the server-to-server call: a and a result string, which
// Decrypt opens. Shops often use one URL with a query of their own
// ("/?wc-api=…") for all three, hence core.WithQuery.
func resultQuery(key []byte, shop string, appID, payment int64) string {
	return "a=" + url.QueryEscape(shop) + "&b=" + sealCrypt(key, shop, crypt{kind: kindResult, appID: appID, payment: payment})
}
