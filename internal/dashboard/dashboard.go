// Package dashboard is the merchant's console at /dashboard/: the people of
// a client sign in with their user's email (or user name) and password, and
// optionally a TOTP code, and see and act on their client's payments. Pages
// are rendered on the server from embedded templates and work without
// JavaScript; one small embedded script only adds a copy button. Like every
// face, the dashboard calls the core and nothing else: a session resolves
// to the user's pasarela.Principal, and every page calls the core with it
// exactly as the API faces do, so the core's scoping and role rules (admin
// everything, manager all payments, terminal its own, viewer reads) are the
// dashboard's.
//
// # Adding a page
//
//  1. Write a handler, func(w http.ResponseWriter, r *http.Request, q *Request) error,
//     in a file named after its noun. It reads q.Ctx (which carries the
//     principal) and calls the core; it returns the core's error as is: a
//     not-found becomes a 404 page (an object of another client is not
//     found, never forbidden), a forbidden a 403, and so on (fail).
//  2. Register it in routes (routes.go): d.get(pattern, roles, handler) for
//     a page, d.post(pattern, roles, handler) for a form's action. roles
//     lists who may use the route (nil: every signed-in user); anyone else
//     gets 403, so a forged POST from a viewer is refused before the
//     handler runs. post also checks the session's CSRF token and the
//     request's Origin. Templates hide what q.Can says the user cannot do.
//  3. Add templates/<name>.html defining "content" (and "title"), and
//     render it with d.render(w, r, q, http.StatusOK, "<name>", data); the
//     template name is also added to pageNames. Every form carries
//     {{template "csrf" .}}. Texts go through {{t .Lang "key"}}, with the
//     key in every catalog_*.go (a test checks that each language has
//     English's keys); amounts through {{money .Lang minor currency}}, times
//     through {{when .Lang t}}.
//  4. Add the page's routes that name an object to the tenant matrix in
//     tenant_test.go (tenantRoutes, with a placeholder such as {payment}
//     for the object's id): a user of another client must get 404 for
//     each, and the test fails for a route with a wildcard left out.
//
// A nav entry (nav.go) appears once a GET route is registered at its path
// and the user holds one of its roles.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/webasset"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Prefix is where the dashboard is mounted.
const Prefix = "/dashboard/"

// Dashboard serves the console.
type Dashboard struct {
	svc *core.Service
	// render is the webhook formats the deliverer sends with, for the
	// delivery log to show each delivery's request; nil shows none.
	renderers core.Renderers
	log       *slog.Logger
	mux       *http.ServeMux
	pages     map[string]*template.Template
	assets    *webasset.Set
	// gets holds the GET patterns registered, for the nav.
	gets map[string]bool
	// patterns are every route registered for signed-in users, as
	// "METHOD /path".
	patterns []string
}

// pageNames are the templates that render a whole page with the layout.
var pageNames = []string{"signin", "code", "message", "home", "account", "payments", "payment"}

// New returns the dashboard over the core. render are the webhook formats
// the gateway's deliverer sends with (server.Renderers), so that the
// delivery log shows the request each delivery sent; nil leaves it out.
// It panics if an embedded template does not parse, which a test catches
// before any release.
func New(svc *core.Service, log *slog.Logger, render core.Renderers) *Dashboard {
	d := &Dashboard{svc: svc, renderers: render, log: log, mux: http.NewServeMux(), pages: map[string]*template.Template{},
		assets: webasset.Load(assetFS, "assets", Prefix+"assets/"), gets: map[string]bool{}}
	funcs := template.FuncMap{
		"t":      translate,
		"asset":  d.assets.URL,
		"money":  formatAmount,
		"number": formatInt,
		"when":   formatTime,
		"day":    formatDay,
		"status": statusText,
		"event":  eventText,
	}
	for _, name := range pageNames {
		d.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/"+name+".html"))
	}
	d.routes()
	return d
}

// Register mounts the dashboard on mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, d)
	mux.Handle("GET /dashboard", http.RedirectHandler(Prefix, http.StatusMovedPermanently))
}

// ServeHTTP serves the dashboard's routes, with the headers every answer
// carries.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w, r)
	if _, pattern := d.mux.Handler(r); pattern == "" {
		d.notFound(w, r, nil)
		return
	}
	d.mux.ServeHTTP(w, r)
}

// Patterns lists the routes of signed-in users ("GET /dashboard/payments/{id}"),
// so that a test can hold every route that names an object to the tenant
// rule.
func (d *Dashboard) Patterns() []string { return append([]string(nil), d.patterns...) }

// Handler is what a page or an action does for a signed-in user.
type Handler func(w http.ResponseWriter, r *http.Request, q *Request) error

// Request is what a handler knows of its request: the session's user, the
// context carrying its principal, the page language and the form token.
type Request struct {
	Ctx       context.Context
	Principal *pasarela.Principal
	Email     string
	Lang      string
	CSRF      string
	Path      string
	token     string // the session token, for sign-out
}

// Can reports whether the user holds one of roles, for templates and
// handlers deciding what to offer. The core decides again on every call.
func (q *Request) Can(roles ...pasarela.Role) bool { return q.Principal.HasRole(roles...) }

// Role sets name the users a route admits, from the core's rules.
var (
	// AnyRole admits every signed-in user.
	AnyRole []pasarela.Role
	// PaymentActors may capture, cancel and link payments (refunds are
	// Refunders'). The core does not record who created a card payment,
	// so a terminal acts on any card payment of the client's applications;
	// the one limit the core puts on terminals is on crypto deposits: a
	// terminal sees and cancels only those it created, and deposits are
	// cancelled as deposits, never through the payment's actions.
	PaymentActors = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleTerminal}
	// Admins manage the client: its applications, keys and people.
	Admins = []pasarela.Role{pasarela.RoleAdmin}
)

// get registers a page for signed-in users holding one of roles.
func (d *Dashboard) get(pattern string, roles []pasarela.Role, h Handler) {
	d.gets[strings.TrimSuffix(pattern, "{$}")] = true
	d.patterns = append(d.patterns, "GET "+pattern)
	d.mux.HandleFunc("GET "+pattern, d.signedIn(roles, false, h))
}

// post registers a form's action for signed-in users holding one of roles;
// the CSRF token and the Origin are checked before h runs.
func (d *Dashboard) post(pattern string, roles []pasarela.Role, h Handler) {
	d.patterns = append(d.patterns, "POST "+pattern)
	d.mux.HandleFunc("POST "+pattern, d.signedIn(roles, true, h))
}

// signedIn resolves the session, checks the role (and for a POST the CSRF
// token) and runs h, turning its error into a page.
func (d *Dashboard) signedIn(roles []pasarela.Role, isPost bool, h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		lang := pageLang(r)
		sess, token := d.session(r)
		if sess == nil || sess.SecondFactorPending {
			if isPost {
				d.message(w, r, &Request{Lang: lang}, http.StatusUnauthorized, "signin.expired.title", "signin.expired.body")
				return
			}
			d.toSignIn(w, r, sess != nil)
			return
		}
		q := &Request{Ctx: pasarela.WithPrincipal(r.Context(), sess.Principal), Principal: sess.Principal,
			Email: sess.Email, Lang: lang, CSRF: csrfFor(token), Path: r.URL.Path, token: token}
		if isPost {
			if err := r.ParseForm(); err != nil || !sameOrigin(r) || !validCSRF(q.CSRF, r.PostForm.Get(csrfField)) {
				d.message(w, r, q, http.StatusForbidden, "csrf.title", "csrf.body")
				return
			}
		}
		if len(roles) > 0 && !sess.Principal.HasRole(roles...) {
			d.message(w, r, q, http.StatusForbidden, "forbidden.title", "forbidden.body")
			return
		}
		if err := h(w, r, q); err != nil {
			d.fail(w, r, q, err)
		}
	}
}

// fail turns a core error into a page: an object the user may not see is
// not found (404), an action its role may not take is forbidden (403).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, q *Request, err error) {
	switch pasarela.ErrorKind(err) {
	case pasarela.KindNotFound:
		d.notFound(w, r, q)
	case pasarela.KindForbidden:
		d.message(w, r, q, http.StatusForbidden, "forbidden.title", "forbidden.body")
	case pasarela.KindUnauthorized:
		d.toSignIn(w, r, false)
	case pasarela.KindInvalid, pasarela.KindConflict:
		d.messageText(w, r, q, http.StatusBadRequest, translate(q.Lang, "invalid.title"), errorText(q.Lang, err))
	case pasarela.KindRateLimited:
		d.message(w, r, q, http.StatusTooManyRequests, "limited.title", "limited.body")
	case pasarela.KindCanceled:
		// Nobody is there to read an answer.
	default:
		d.log.ErrorContext(r.Context(), "dashboard page failed", "request_id", transport.RequestID(r.Context()),
			"path", r.URL.Path, "err", err)
		d.message(w, r, q, http.StatusInternalServerError, "internal.title", "internal.body")
	}
}

// view is what the layout reads, around a page's own data.
type view struct {
	*Request
	Nav  []navLink
	Data any
	// Langs are the languages offered by the switch.
	Langs []langLink
}

// render writes a page. The template runs into a buffer first so that a
// failure gives a clean error page rather than half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, q *Request, status int, name string, data any) {
	if q == nil {
		q = &Request{Lang: pageLang(r)}
	}
	if q.Path == "" {
		q.Path = r.URL.Path
	}
	v := &view{Request: q, Data: data, Langs: langLinks(q.Lang, d.backPath(r))}
	if q.Principal != nil {
		v.Nav = d.nav(q)
	}
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		d.log.ErrorContext(r.Context(), "dashboard template failed", "request_id", transport.RequestID(r.Context()),
			"page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// backPath is where the language switch returns to: the page itself for
// a GET; for a page answering a form (a POST-only path, which a GET would
// not find), the nearest page above it: /dashboard/payments/7/refund
// returns to /dashboard/payments/7.
func (d *Dashboard) backPath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	for strings.HasPrefix(p, Prefix) {
		get := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Host: r.Host}
		if _, pattern := d.mux.Handler(get); strings.HasPrefix(pattern, "GET ") {
			return p
		}
		p = p[:strings.LastIndex(p, "/")]
	}
	return Prefix
}

// message renders a page that only says something, from catalog keys.
func (d *Dashboard) message(w http.ResponseWriter, r *http.Request, q *Request, status int, titleKey, bodyKey string) {
	if q == nil {
		q = &Request{Lang: pageLang(r)}
	}
	d.messageText(w, r, q, status, translate(q.Lang, titleKey), translate(q.Lang, bodyKey))
}

type messageData struct{ Heading, Text string }

func (d *Dashboard) messageText(w http.ResponseWriter, r *http.Request, q *Request, status int, heading, text string) {
	d.render(w, r, q, status, "message", messageData{Heading: heading, Text: text})
}

func (d *Dashboard) notFound(w http.ResponseWriter, r *http.Request, q *Request) {
	d.message(w, r, q, http.StatusNotFound, "notfound.title", "notfound.body")
}

// securityHeaders are sent with every answer: no framing, no inline or
// outside script or style, forms only to the gateway, and the referrer
// only to the gateway itself (paths name payments). Not "no-referrer":
// under it browsers send "Origin: null" with a form, which the Origin
// check (csrf.go) must refuse.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if transport.Secure(r.Context()) {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// noStore keeps pages of a signed-in user out of every cache, the
// browser's back-forward history included.
func noStore(w http.ResponseWriter) { w.Header().Set("Cache-Control", "no-store") }

func (d *Dashboard) serveAsset(w http.ResponseWriter, r *http.Request) {
	if !d.assets.Serve(w, r, r.PathValue("file")) {
		d.notFound(w, r, nil)
	}
}

// localPath returns p if it is a path of the dashboard (so a redirect to it
// cannot leave the gateway), else the home page.
func localPath(p string) string {
	if strings.HasPrefix(p, Prefix) && !strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n") {
		return p
	}
	return Prefix
}
