// Package web is the gateway's hosted pages: the checkout a buyer pays on
// (/pay/{token}), with its 3-D Secure and PayPal sandbox steps and its
// result page, and the page of a crypto deposit (deposit.go), which polls
// /pay/{token}/status. Pages are rendered on the server from embedded templates and
// work without JavaScript; one small embedded script adds niceties (it stops
// a second press of Pay and formats the expiry). No asset comes from outside
// the gateway.
//
// A payment's pages are in the payment's language, any the core accepts
// (i18n.go holds the texts); pages of no payment, such as a subscription
// agreement or an unknown token, follow the browser's Accept-Language.
//
// Like every face, the pages call the core and nothing else: the core decides
// whether a token can pay, charges once, and keeps the ledger.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/webasset"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Pages serves the hosted checkout.
type Pages struct {
	svc    *core.Service
	log    *slog.Logger
	pages  map[string]*template.Template
	assets *webasset.Set
}

// pageNames are the templates that render a whole page (each with the
// layout); the others are pieces.
var pageNames = []string{"checkout", "challenge", "approval", "continue", "result", "message", "agreement", "deposit"}

// New returns the pages over the core. It panics if an embedded template
// does not parse, which a test catches before any release.
func New(svc *core.Service, log *slog.Logger) *Pages {
	p := &Pages{svc: svc, log: log, pages: map[string]*template.Template{}, assets: webasset.Load(assetFS, "assets", "/pay/assets/")}
	funcs := template.FuncMap{
		"t":     translate,
		"asset": p.assets.URL,
	}
	for _, name := range pageNames {
		p.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/cardform.html", "templates/"+name+".html"))
	}
	return p
}

// Register mounts the pages on mux.
func (p *Pages) Register(mux *http.ServeMux) {
	// Buyers type card numbers here: once a page is reached over HTTPS,
	// the browser is told to keep to HTTPS for the gateway's host.
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if transport.Secure(r.Context()) {
				w.Header().Set("Strict-Transport-Security", "max-age=31536000")
			}
			h(w, r)
		})
	}
	// A subscription agreement's token (sa_…) shares the checkout's paths,
	// and so its CSRF cookie, card form and 3-D Secure step.
	handle("GET /pay/{token}", p.agreementOr(p.show, p.showAgreement))
	handle("POST /pay/{token}", p.agreementOr(p.payWithCard, p.confirmAgreement))
	handle("POST /pay/{token}/redirect", p.startRedirect)
	handle("POST /pay/{token}/challenge", p.agreementOr(p.resume, p.resumeAgreement))
	handle("POST /pay/{token}/approve", p.resume)
	handle("GET /pay/assets/{file}", p.serveAsset)
	handle("GET /pay/{$}", p.notFound)
	// A step's address opened directly (a bookmark, a reload) leads to the
	// payment's page, which shows the step the payment is at. A deposit's
	// page polls its status here too: as a pattern of its own,
	// /pay/{token}/status would clash with /pay/assets/{file}.
	handle("GET /pay/{token}/{rest...}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("rest") == "status" {
			p.depositStatus(w, r)
			return
		}
		if token := r.PathValue("token"); validToken(token) {
			p.seeOther(w, r, token)
			return
		}
		p.notFound(w, r)
	})
}

func (p *Pages) serveAsset(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w, nil)
	if !p.assets.Serve(w, r, r.PathValue("file")) {
		p.notFound(w, r)
	}
}

// securityHeaders are sent with every response of the pages: no framing
// (clickjacking), no inline or outside scripts, forms only to the gateway
// and to the origins given (the merchant's return page, reached by a 303
// after a form), no referrer (the token is in the URL), no caching.
// Images come from the gateway, data: URLs, and the origins given (a
// merchant's https logo).
func securityHeaders(w http.ResponseWriter, formOrigins []string, imgOrigins ...string) {
	h := w.Header()
	formAction := "'self'"
	for _, o := range formOrigins {
		formAction += " " + o
	}
	imgSrc := "'self' data:"
	for _, o := range imgOrigins {
		imgSrc += " " + o
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src "+imgSrc+"; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action "+formAction+"; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// render writes a page. The template runs into a buffer first so that a
// failure gives a clean error page rather than half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.Lang == "" {
		v.Lang = langEN
	}
	var buf bytes.Buffer
	if err := p.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.log.ErrorContext(r.Context(), "page template failed", "request_id", transport.RequestID(r.Context()), "page", name, "err", err)
		securityHeaders(w, nil)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	securityHeaders(w, v.formOrigins, v.imgOrigins...)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// message renders a page that only says something, with an optional link.
func (p *Pages) message(w http.ResponseWriter, r *http.Request, status int, v *view, heading, text string) {
	v.Heading, v.Message = heading, text
	if v.Title == "" {
		v.Title = heading
	}
	p.render(w, r, status, "message", v)
}

// notFound is the page of an unknown token or asset.
func (p *Pages) notFound(w http.ResponseWriter, r *http.Request) {
	lang := langFromHeader(r.Header.Get("Accept-Language"))
	p.message(w, r, http.StatusNotFound, &view{Lang: lang}, translate(lang, "notfound.title"), translate(lang, "notfound.body"))
}

// validToken reports whether a path token looks like a page token, so that
// garbage never reaches the database.
func validToken(token string) bool {
	if len(token) < 4 || len(token) > 100 {
		return false
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
