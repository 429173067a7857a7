package gestpay

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// pagam3d.aspx is 3-D Secure's page: after 8006 the shop sends the buyer
// there with a (the shop), b (the VBVRisp) and c (where to come back). The
// page is the sandbox issuer's: the buyer approves or refuses, and the
// browser goes back to c by a POST carrying PaRes, a string naming the
// payment and the answer, which the shop hands to SendPayment with the
// TransKey. Nothing is settled here: the answer counts when the shop sends
// it, as a real PaRes does.
const pagam3dPath = Prefix + "/pagam/pagam3d.aspx"

// Answers of the issuer's form.
const (
	answerApprove = "approve"
	answerFail    = "fail"
)

// pagam3dParams are a, b and c of a request to pagam3d.aspx, and the
// issuer form's fields when the buyer answers.
type pagam3dParams struct {
	a, b, c       string
	answer, check string
}

// readPagam3d reads the parameters. By GET, c is everything after "c=" in
// the raw query: shops append their own address unescaped, with its own ?
// and & (WooCommerce's "&c=" + document.location.href); an escaped address
// (one with no "://") is unescaped. By POST they are form fields.
func readPagam3d(r *http.Request) (pagam3dParams, int) {
	var p pagam3dParams
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return p, codeBadInput
		}
		form := r.PostForm
		p.a, p.b, p.c = form.Get("a"), form.Get("b"), form.Get("c")
		p.answer, p.check = form.Get("answer"), form.Get("check")
	} else {
		raw, c := r.URL.RawQuery, ""
		if strings.HasPrefix(raw, "c=") {
			raw, c = "", raw[2:]
		} else if i := strings.Index(raw, "&c="); i >= 0 {
			raw, c = raw[:i], raw[i+3:]
		}
		if !strings.Contains(c, "://") {
			if u, err := url.QueryUnescape(c); err == nil {
				c = u
			}
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			return p, codeBadInput
		}
		p.a, p.b, p.c = q.Get("a"), q.Get("b"), c
	}
	p.a, p.b, p.c = strings.TrimSpace(p.a), strings.TrimSpace(p.b), strings.TrimSpace(p.c)
	switch {
	case p.a == "":
		return p, codeMissingA
	case p.b == "":
		return p, codeMissingB
	case returnOrigin(p.c) == "":
		return p, codeBadInput
	}
	return p, 0
}

// returnOrigin is the origin of an absolute http(s) address, "" for any
// other. The host may hold only what a host name or address holds, since
// the origin goes into the page's Content-Security-Policy.
func returnOrigin(c string) string {
	u, err := url.Parse(c)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	for _, ch := range u.Host {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.ContainsRune(".-:[]", ch)) {
			return ""
		}
	}
	return u.Scheme + "://" + u.Host
}

var issuerTemplate = template.Must(template.New("issuer").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}.note{color:#555}button{font:inherit;padding:.5rem 1rem;margin:0 .5rem .5rem 0}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Text}}</p><p class="note">{{.Note}}</p>
{{if .PaRes}}<form id="pares-form" method="post" action="{{.Return}}"><input type="hidden" name="PaRes" value="{{.PaRes}}">
<button type="submit" id="continue">{{.Continue}}</button></form><script src="javascript/pagam3d.js"></script>
{{else}}<form method="post" action="pagam3d.aspx"><input type="hidden" name="a" value="{{.A}}"><input type="hidden" name="b" value="{{.B}}">
<input type="hidden" name="c" value="{{.Return}}"><input type="hidden" name="check" value="{{.Check}}">
<button type="submit" id="approve" name="answer" value="approve">{{.Approve}}</button>
<button type="submit" id="fail" name="answer" value="fail">{{.Fail}}</button></form>{{end}}
</main></body></html>
`))

type issuerView struct {
	Lang, Title, Text, Note, Approve, Fail, Continue string
	A, B, Check, PaRes                               string
	Return                                           string
}

// servePagam3d shows the issuer's page, or, when the buyer has answered,
// sends the browser back to the shop with PaRes.
func (f *Face) servePagam3d(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r, http.MethodPost) {
		return
	}
	p, code := readPagam3d(r)
	if code != 0 {
		f.pageError(w, r, code, "")
		return
	}
	key, err := f.cryptKey(r)
	if err != nil {
		f.pageFailed(w, r, err)
		return
	}
	cr, ok := openCrypt(key, p.a, p.b)
	if !ok || cr.kind != kindVBVRisp {
		f.pageError(w, r, f.unopened(r, p.a), "")
		return
	}
	pg, err := f.svc.ShopPayment(r.Context(), p.a, core.ShopRef{ApplicationID: cr.appID, ID: cr.payment})
	if err != nil {
		f.pageFailed(w, r, err)
		return
	}
	pay := pg.Payment
	if pay.Status != pasarela.StatusRequiresAction {
		f.pageError(w, r, codeAlreadyProcessed, pay.Language)
		return
	}
	if pay.Action != core.ActionChallenge || pay.ActionURL != "" {
		// This page stands in for the sandbox's issuer, whose challenge
		// has no page of its own. A step with an issuer's or wallet's own
		// page is answered there: approving it here would be a way round
		// the buyer's authentication.
		f.pageError(w, r, codeBadInput, pay.Language)
		return
	}
	lang := pageLang(r, pay.Language)
	seal := func(kind byte, ref string) string {
		return sealCrypt(key, p.a, crypt{kind: kind, appID: pay.ApplicationID, payment: pay.ID, ref: ref})
	}
	v := issuerView{Lang: lang, Title: text("3ds.title", lang), Note: text("3ds.note", lang), Return: p.c}
	if r.Method == http.MethodPost && (p.answer != "" || p.check != "") {
		// The buyer's answer. The check field, signed for this payment,
		// proves the form is the one this page gave: no other site can
		// make the buyer's browser answer for them.
		ck, ok := openCrypt(key, p.a, p.check)
		if !ok || ck.kind != kindIssuer || ck.appID != pay.ApplicationID || ck.payment != pay.ID ||
			(p.answer != answerApprove && p.answer != answerFail) {
			f.pageError(w, r, codeBadInput, pay.Language)
			return
		}
		res := paResRefused
		if p.answer == answerApprove {
			res = paResApproved
		}
		v.Text, v.Continue, v.PaRes = text("3ds.return", lang), text("3ds.continue", lang), seal(kindPaRes, res)
		f.renderIssuer(w, r, v, returnOrigin(p.c))
		return
	}
	v.Text = strings.NewReplacer("{amount}", amountText(pay), "{shop}", pg.Application.Name).Replace(text("3ds.text", lang))
	v.Approve, v.Fail = text("3ds.approve", lang), text("3ds.fail", lang)
	v.A, v.B, v.Check = p.a, p.b, seal(kindIssuer, "")
	f.renderIssuer(w, r, v, "'self'")
}

// amountText is a payment's amount as the issuer's page shows it.
func amountText(p *pasarela.Payment) string {
	if c, ok := pasarela.LookupCurrency(p.Currency); ok {
		return pasarela.FormatMajor(p.Amount, c) + " " + c.Code
	}
	return p.Currency
}

// renderIssuer answers the issuer's page, whose form may post only to
// formAction: the page itself, or the shop's return address.
func (f *Face) renderIssuer(w http.ResponseWriter, r *http.Request, v issuerView, formAction string) {
	setPageHeaders(w, "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; "+
		"form-action "+formAction+"; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	_ = issuerTemplate.Execute(w, v) // the browser may be gone; nothing to do then
}
