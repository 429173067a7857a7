package gestpay

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// js_GestPay.js, Gestpay's "custom payment page": the shop's own page
// includes the gateway's script, which opens a hidden iframe from the
// gateway's origin. The card goes from the shop's page into the iframe by
// postMessage and from the iframe to the gateway by a same-origin request,
// so it never passes through the shop's server. Messages are checked both
// ways: the script takes answers only from its iframe's window and the
// gateway's origin, the iframe takes requests only from its parent and
// answers to the origin they came from, and the payment endpoint takes a
// request only from the gateway's own origin (its iframe).
const (
	scriptPath    = Prefix + "/pagam/javascript/js_gestpay.js"
	iframeJSPath  = Prefix + "/pagam/javascript/hiddeniframe.js"
	pagam3dJSPath = Prefix + "/pagam/javascript/pagam3d.js"
	iframePath    = Prefix + "/pagam/hiddeniframe.aspx"
	sendPath      = Prefix + "/pagam/sendpayment.aspx"
)

//go:embed assets
var assetFiles embed.FS

// asset is a script the face serves, with its validator.
type asset struct {
	body []byte
	etag string
}

// scriptCodes are the codes js_GestPay.js answers by itself (its checks,
// and the browser's or iframe's failures), whose descriptions it carries.
var scriptCodes = []int{codeOK, codePageLoaded, codeCardLength, codeCardCheckDigit, codeExpMonth, codeExpYear,
	codeExpired, codeInvalidEmail, codeCVV, codeBrowser, codeIFrame, codeTechnical}

// assets are the face's scripts by path. js_GestPay.js gets the
// descriptions of scriptCodes from the table in codes.go when the program
// starts, so that the script and the server never word a code differently.
var assets = map[string]asset{
	scriptPath: loadAsset("assets/js_gestpay.js", "/*DESCRIPTIONS*/{}", scriptDescriptions(),
		"/*EXEMPT*/[]", mustJSON(pasarela.CheckDigitExempt())),
	iframeJSPath:  loadAsset("assets/hiddeniframe.js"),
	pagam3dJSPath: loadAsset("assets/pagam3d.js"),
}

func scriptDescriptions() string {
	t := map[string]map[string]string{"it": {}, "en": {}}
	for _, c := range scriptCodes {
		t["it"][strconv.Itoa(c)] = describe(c, "it")
		t["en"][strconv.Itoa(c)] = describe(c, "en")
	}
	return mustJSON(t)
}

// mustJSON is v written into a script: tables of strings, which always
// encode.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// loadAsset reads an embedded script, replacing each old with its new.
func loadAsset(name string, oldNew ...string) asset {
	b, err := assetFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !bytes.Contains(b, []byte(oldNew[i])) {
			panic("gestpay: " + name + " has no " + oldNew[i])
		}
		b = bytes.ReplaceAll(b, []byte(oldNew[i]), []byte(oldNew[i+1]))
	}
	sum := sha256.Sum256(b)
	return asset{body: b, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
}

// serveAsset serves a script: cacheable by anyone (it is the same for
// every shop), revalidated by its ETag when it changes with a release.
func serveAsset(w http.ResponseWriter, r *http.Request, a asset) {
	if !pageMethod(w, r) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// publicOrigin is the origin of the gateway's public URL: behind a TLS
// proxy the request itself may not say https (a proxy not among the
// trusted ones), while the page the buyer loaded did.
func (f *Face) publicOrigin() string {
	u, err := url.Parse(f.svc.PublicURL())
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// ownOrigin is the gateway's origin as the request reached it: https when
// the connection is TLS or a trusted proxy says so, and the Host.
func ownOrigin(r *http.Request) string {
	scheme := "http"
	if transport.Secure(r.Context()) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var iframeTemplate = template.Must(template.New("iframe").Parse(`<!doctype html>
<html lang="{{.Lang}}" data-code="{{.Code}}" data-description="{{.Text}}" data-technical="{{.Technical}}" data-a="{{.A}}" data-b="{{.B}}">
<head><meta charset="utf-8"><title>GestPay</title></head>
<body><script src="javascript/hiddeniframe.js"></script></body></html>
`))

type iframeView struct {
	Lang, Text, Technical, A, B string
	Code                        int
}

// serveIframe is the hidden page js_GestPay.js opens: a and b are checked
// as pagam.aspx checks them, and the outcome (10, ready, or the refusal's
// code) is written into the page for its script to tell the shop's page.
// It is answered with 200 even for a refusal: the document is how the
// answer reaches the script, which reads the code from it.
func (f *Face) serveIframe(w http.ResponseWriter, r *http.Request) {
	if !pageMethod(w, r) {
		return
	}
	pg, code, err := f.openRequest(r)
	if err != nil {
		e := pasarela.AsError(err)
		switch {
		case e.Kind == pasarela.KindNotFound || e.Code == "unknown_shop_login":
			code = codeNotFromEncrypt
		case e.Kind == pasarela.KindCanceled:
			w.WriteHeader(transport.StatusClientClosed)
			return
		default:
			f.log.ErrorContext(r.Context(), "gestpay hidden page", "request_id", transport.RequestID(r.Context()), "error", err)
			code = codeTechnical
		}
	}
	v := iframeView{Lang: pageLang(r, paymentLang(pg)), Code: code}
	if code == 0 {
		v.Code = codePageLoaded
		v.A, v.B, _ = pageParams(r)
	}
	v.Text, v.Technical = describe(v.Code, v.Lang), describe(codeTechnical, v.Lang)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Any shop's page may frame it (that is its purpose), so there is no
	// X-Frame-Options; nothing else is allowed: its one script and its
	// requests to the gateway.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; "+
		"form-action 'none'; frame-ancestors *")
	h.Set("Content-Type", "text/html; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	_ = iframeTemplate.Execute(w, v) // the browser may be gone; nothing to do then
}

// sendRequest is what the hidden page posts: a and b, and either a card or
// the 3-D Secure answer (PARes) with the TransKey of the first call.
type sendRequest struct {
	A, B                                string
	CC, EXPMM, EXPYY, CVV2, Name, Email string
	PARes, TransKey                     string
}

// sendAnswer is js_GestPay.js's Result as the gateway makes it; the script
// adds EncryptedResponse (the documented name of EncryptedString).
type sendAnswer struct {
	ErrorCode        int    `json:"ErrorCode"`
	ErrorDescription string `json:"ErrorDescription"`
	EncryptedString  string `json:"EncryptedString"`
	TransKey         string `json:"TransKey"`
	VBVRisp          string `json:"VBVRisp"`
}

// readSend decodes a request strictly: one object of known members, each a
// string and each once, names in their exact case.
func readSend(body []byte) (sendRequest, bool) {
	var req sendRequest
	fields := map[string]*string{"a": &req.A, "b": &req.B, "CC": &req.CC, "EXPMM": &req.EXPMM, "EXPYY": &req.EXPYY,
		"CVV2": &req.CVV2, "Name": &req.Name, "Email": &req.Email, "PARes": &req.PARes, "TransKey": &req.TransKey}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return req, false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return req, false
		}
		name, _ := tok.(string)
		dst, ok := fields[name]
		if !ok || seen[name] {
			return req, false
		}
		seen[name] = true
		tok, err = dec.Token()
		v, isString := tok.(string)
		if err != nil || !isString {
			return req, false
		}
		*dst = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return req, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, false
	}
	return req, true
}

// serveSend is the hidden page's payment request. Only the gateway's own
// pages may send it: a page of another origin (a shop's, or anybody's)
// would otherwise be a way around the iframe.
func (f *Face) serveSend(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if origin := r.Header.Get("Origin"); !strings.EqualFold(origin, ownOrigin(r)) && !strings.EqualFold(origin, f.publicOrigin()) {
		http.Error(w, "forbidden: this address takes requests from the gateway's payment page only", http.StatusForbidden)
		return
	}
	body, err := transport.ReadJSON(r, true)
	if err != nil {
		switch pasarela.ErrorKind(err) {
		case pasarela.KindUnsupportedMedia:
			http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		case pasarela.KindTooLarge:
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		}
		return // otherwise the caller is gone
	}
	req, ok := readSend(body)
	var ans sendAnswer
	if ok {
		ans = f.send(r, req)
	} else {
		ans = answerOf(codeBadInput, pageLang(r, ""))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	status := http.StatusOK
	if !ok {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ans)
}

func answerOf(code int, lang string) sendAnswer {
	return sendAnswer{ErrorCode: code, ErrorDescription: describe(code, lang)}
}

// send pays the payment of a and b: with the card, or with the 3-D Secure
// answer after 8006.
func (f *Face) send(r *http.Request, req sendRequest) sendAnswer {
	lang := pageLang(r, "")
	key, err := f.cryptKey(r)
	if err != nil {
		f.logError(r, "SendPayment", err, codeTechnical)
		return answerOf(codeTechnical, lang)
	}
	shop := strings.TrimSpace(req.A)
	cr, ok := openCrypt(key, shop, strings.TrimSpace(req.B))
	if !ok || cr.kind != kindRequest {
		return answerOf(f.unopened(r, shop), lang)
	}
	pg, err := f.svc.ShopPayment(r.Context(), shop, core.ShopRef{ApplicationID: cr.appID, ID: cr.payment})
	if err != nil {
		code := codeTechnical
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			code = codeNotFromEncrypt
		}
		f.logError(r, "SendPayment", err, code)
		return answerOf(code, lang)
	}
	pay := pg.Payment
	lang = pageLang(r, pay.Language)
	threeDS := req.PARes != "" || req.TransKey != ""
	card := req.CC != "" || req.EXPMM != "" || req.EXPYY != "" || req.CVV2 != "" || req.Name != "" || req.Email != ""
	switch {
	case threeDS && card:
		return answerOf(codeBadInput, lang)
	case threeDS:
		return f.sendPaRes(r, key, shop, pay, req, lang)
	}
	return f.sendCard(r, key, shop, pay, req, lang)
}

// sendCard is SendPayment with a card. A payment takes one attempt: one
// that is not waiting for it (paid, failed, or waiting for its 3-D Secure
// answer) is refused as already processed.
func (f *Face) sendCard(r *http.Request, key []byte, shop string, pay *pasarela.Payment, req sendRequest, lang string) sendAnswer {
	if pay.Status != pasarela.StatusPending {
		return answerOf(codeAlreadyProcessed, lang)
	}
	name := req.Name
	if strings.TrimSpace(name) == "" {
		// Merchant pages often send no name: the buyer's name the shop
		// gave Encrypt stands for the cardholder's then.
		name = pay.Metadata[metaBuyerName]
	}
	card, err := readCard(req.CC, req.EXPMM, req.EXPYY, req.CVV2, name)
	if err != nil {
		return answerOf(codeOf(err), lang)
	}
	if email := strings.TrimSpace(req.Email); email != "" {
		// Checked as Encrypt checks buyerEmail; the payment keeps the
		// address Encrypt gave it.
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 50 {
			return answerOf(codeInvalidEmail, lang)
		}
	}
	c, err := f.svc.PayWithCard(r.Context(), pay.CheckoutToken, card)
	if err != nil {
		code := cardCode(err, card.Number)
		f.logError(r, "SendPayment", err, code)
		return answerOf(code, lang)
	}
	return f.outcome(key, shop, c.Payment, lang)
}

// cardLength reports a card number of 13 to 19 digits, Gestpay's rule
// (1119), stricter than the core's 12.
func cardLength(number string) bool {
	return pasarela.Digits(number) && len(number) >= 13 && len(number) <= 19
}

// twoDigits reads an expiry's month or year as Gestpay takes them: one or
// two digits.
func twoDigits(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 1 || len(s) > 2 || !pasarela.Digits(s) {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// cardCode is the Gestpay code of the core's refusal of a card attempt:
// a field's error (the number's first, as Gestpay checks it), a payment
// no longer waiting, or else a technical error.
func cardCode(err error, number string) int {
	e := pasarela.AsError(err)
	switch e.Code {
	case "not_payable", "no_action":
		return codeAlreadyProcessed
	case "link_expired":
		return codeAbandoned
	}
	if e.Kind != pasarela.KindInvalid {
		return codeTechnical
	}
	byField := map[string]pasarela.FieldError{}
	for _, fe := range e.Fields {
		if _, ok := byField[fe.Field]; !ok {
			byField[fe.Field] = fe
		}
	}
	if _, ok := byField["number"]; ok {
		if !pasarela.Digits(number) || len(number) < 13 || len(number) > 19 {
			return codeCardLength
		}
		return codeCardCheckDigit
	}
	if fe, ok := byField["exp"]; ok {
		if fe.Code == "expired" {
			return codeExpired
		}
		return codeExpYear // the month was checked before the core saw it
	}
	if _, ok := byField["cvc"]; ok {
		return codeCVV
	}
	if _, ok := byField["name"]; ok {
		return codeInvalidName
	}
	return codeTechnical
}

// sendPaRes is SendPayment's second call: the TransKey of 8006 and the
// PaRes pagam3d.aspx gave the buyer, both for this shop and this payment,
// settle the 3-D Secure step with the buyer's answer.
func (f *Face) sendPaRes(r *http.Request, key []byte, shop string, pay *pasarela.Payment, req sendRequest, lang string) sendAnswer {
	tk, ok1 := openCrypt(key, shop, strings.TrimSpace(req.TransKey))
	pr, ok2 := openCrypt(key, shop, strings.TrimSpace(req.PARes))
	if !ok1 || !ok2 || tk.kind != kindTransKey || pr.kind != kindPaRes ||
		tk.appID != pay.ApplicationID || tk.payment != pay.ID || pr.appID != pay.ApplicationID || pr.payment != pay.ID {
		return answerOf(codeBadInput, lang)
	}
	if pay.Status != pasarela.StatusRequiresAction {
		return answerOf(codeAlreadyProcessed, lang)
	}
	c, err := f.svc.ResumeCheckout(r.Context(), pay.CheckoutToken, pr.ref == paResApproved)
	if err != nil {
		code := cardCode(err, "")
		f.logError(r, "SendPayment", err, code)
		return answerOf(code, lang)
	}
	return f.outcome(key, shop, c.Payment, lang)
}

// outcome is the Result of an attempt: 8006 with the strings of the 3-D
// Secure step, or the payment's result (as Decrypt will say it) with a
// result string for the shop's Decrypt.
func (f *Face) outcome(key []byte, shop string, pay *pasarela.Payment, lang string) sendAnswer {
	seal := func(kind byte) string {
		return sealCrypt(key, shop, crypt{kind: kind, appID: pay.ApplicationID, payment: pay.ID})
	}
	if pay.Status == pasarela.StatusRequiresAction {
		a := answerOf(codeVerifyByVisa, lang)
		a.TransKey, a.VBVRisp = seal(kindTransKey), seal(kindVBVRisp)
		return a
	}
	res, code := result(pay)
	if res == "XX" {
		// The charge's outcome is not known yet (its answer was lost): the
		// shop's Decrypt says XX until it is.
		code = codeTechnical
	}
	a := answerOf(code, lang)
	a.EncryptedString = seal(kindResult)
	return a
}
