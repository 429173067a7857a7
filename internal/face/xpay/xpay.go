// Package xpay is the xpay face (xpay.cash, Colombia): shops charge in fiat
// and buyers pay in crypto. It serves xpay's API under /xpay/api/v1 with the
// seed's trailing slashes: sign-in with an opaque "Authorization: Token
// <key>", the signed-in user and its commerce, the password change, quotes
// of the crypto currencies a fiat amount can be paid in, and deposit
// transactions with xpay's statuses. Clients, users, deposits and rates are
// the core's; this package only translates names, shapes and codes, and
// owns xpay's token format.
package xpay

import (
	"context"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// DefaultPrefix is where the face is mounted: a shop plugin whose base URL
// is https://<pasarela>/xpay/ appends api/v1/… as it did for xpay.cash.
const DefaultPrefix = "/xpay/api/v1"

// Config holds the face's settings; the zero value gives the defaults.
type Config struct {
	// Prefix is where the face is mounted (default DefaultPrefix).
	Prefix string
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = strings.TrimRight(c.Prefix, "/")
}

// Face serves the xpay API over the core.
type Face struct {
	svc    *core.Service
	log    *slog.Logger
	prefix string
}

// New returns the face.
func New(svc *core.Service, log *slog.Logger, cfg Config) *Face {
	cfg.defaults()
	return &Face{svc: svc, log: log, prefix: cfg.Prefix}
}

// handler is an xpay handler: an error it returns is written in xpay's error
// shape by the route.
type handler func(w http.ResponseWriter, r *http.Request) error

// op is one method of one path.
type op struct {
	method string
	authed bool
	h      handler
}

// Register mounts the face's routes on mux. Every path is served with the
// seed's trailing slash and without it (a hand-written client often drops
// it); neither redirects, since a redirected POST loses its body in PHP's
// curl.
func (f *Face) Register(mux transport.Router) {
	f.handle(mux, "auth/login/", op{http.MethodPost, false, f.login})
	f.handle(mux, "auth/logout/", op{http.MethodPost, true, f.logout})
	f.handle(mux, "users/", op{http.MethodGet, true, f.users})
	f.handle(mux, "password/", op{http.MethodPut, true, f.changePassword}, op{http.MethodPost, true, f.changePassword})
	f.handle(mux, "countries/", op{http.MethodGet, false, f.countries})
	f.registerTransactions(mux)
	mux.HandleFunc("GET "+OpenAPIPath, openAPI)
	// Anything else under the prefix answers in the face's own shape.
	mux.Handle(f.prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.writeError(w, r, errNoRoute)
	}))
}

var (
	errNoRoute       = pasarela.Errorf(pasarela.KindNotFound, "no_route", "Not found.")
	errNotAcceptable = pasarela.Errorf(pasarela.KindInvalid, "not_acceptable",
		"Could not satisfy the request Accept header: this API answers application/json.")
	errNoCredentials = pasarela.Errorf(pasarela.KindUnauthorized, "not_authenticated",
		"Authentication credentials were not provided: send Authorization: Token <key> from auth/login/.")
	errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "Invalid token.")
)

// handle serves path (relative to the prefix, ending in "/") with ops, with
// and without its trailing slash. Path wildcards are the mux's.
func (f *Face) handle(mux transport.Router, path string, ops ...op) {
	h := f.route(ops)
	mux.Handle(f.prefix+"/"+path+"{$}", h)
	mux.Handle(f.prefix+"/"+strings.TrimSuffix(path, "/"), h)
}

// route dispatches on the method (405 with Allow for another one, OPTIONS
// answered with Allow as the seed lists it), checks Accept, authenticates
// and runs the handler.
func (f *Face) route(ops []op) http.Handler {
	allowed := []string{http.MethodOptions}
	for _, o := range ops {
		allowed = append(allowed, o.method)
		if o.method == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	slices.Sort(allowed)
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		i := slices.IndexFunc(ops, func(o op) bool { return o.method == method })
		if i < 0 {
			w.Header().Set("Allow", allow)
			if r.Method == http.MethodOptions {
				w.Header().Set("Content-Length", "0")
				w.WriteHeader(http.StatusOK)
				return
			}
			f.writeError(w, r, pasarela.Errorf(pasarela.KindInvalid, "method_not_allowed",
				"Method \"%s\" not allowed; use %s.", r.Method, allow))
			return
		}
		if !acceptsJSON(r.Header.Values("Accept")) {
			f.writeError(w, r, errNotAcceptable)
			return
		}
		o := ops[i]
		if o.authed {
			p, err := f.authenticate(r)
			if err != nil {
				w.Header().Set("WWW-Authenticate", "Token")
				f.writeError(w, r, err)
				return
			}
			r = r.WithContext(pasarela.WithPrincipal(r.Context(), p))
		}
		if err := o.h(w, r); err != nil {
			f.writeError(w, r, err)
		}
	})
}

// acceptsJSON reports whether an Accept header admits application/json: no
// header, an empty one, */* (PHP's curl sends it), application/* and
// application/json all do; a list of only other types (a browser's
// text/html) does not. A media range with q=0 is a refusal.
func acceptsJSON(values []string) bool {
	seen := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok && strings.Trim(q, "0.") == "" {
				continue
			}
			switch mt {
			case "*/*", "application/*", "application/json":
				return true
			}
		}
	}
	return !seen
}

// authenticate checks "Authorization: Token <key>" (the scheme in any case,
// as Django REST Framework reads it) with the core.
func (f *Face) authenticate(r *http.Request) (*pasarela.Principal, error) {
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	if auth == "" {
		return nil, errNoCredentials
	}
	scheme, key, _ := strings.Cut(auth, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Token") || key == "" {
		return nil, errNoCredentials
	}
	if !validToken(key) {
		return nil, errBadToken
	}
	p, err := f.svc.AuthenticateUserToken(r.Context(), key)
	if pasarela.ErrorKind(err) == pasarela.KindUnauthorized {
		return nil, errBadToken
	}
	return p, err
}

func writeJSON(w http.ResponseWriter, status int, v any) { transport.WriteJSON(w, status, v) }

// logInternal records an unexpected cause once, with the request id; the
// client only sees a generic message.
func (f *Face) logInternal(ctx context.Context, err error) {
	f.log.ErrorContext(ctx, "internal error", "face", "xpay", "request_id", transport.RequestID(ctx), "err", err)
}
