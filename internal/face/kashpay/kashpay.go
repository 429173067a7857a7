// Package kashpay is the Kashpay (Onsigna) face: JWT sign-in per entity,
// OKPay createOrder (SPEI transfers out of the entity's balance) and the
// EntitiesServices balance and operations, with Kashpay's paths, its
// {success, error, totalItems, totalPages, currentPage} envelope and the
// Onsigna status catalog. Payouts are the core's; this package only
// translates.
package kashpay

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// DefaultPrefix is where the face is mounted: Kashpay's several hosts
// (polaris, centauri, sirio) all become this one base URL.
const DefaultPrefix = "/kashpay"

// Face serves the Kashpay API over the core.
type Face struct {
	svc    *core.Service
	log    *slog.Logger
	prefix string
	cfg    Config
}

// Config holds the face's settings; the zero value gives the defaults.
type Config struct {
	// Prefix is where the face is mounted (default DefaultPrefix).
	Prefix string
	// TokenTTL is the lifetime of a session token (default 100 minutes,
	// about what the Kashpay sandbox issues).
	TokenTTL time.Duration
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = strings.TrimRight(c.Prefix, "/")
	if c.TokenTTL <= 0 {
		c.TokenTTL = 100 * time.Minute
	}
}

// New returns the face.
func New(svc *core.Service, log *slog.Logger, cfg Config) *Face {
	cfg.defaults()
	f := &Face{svc: svc, log: log, prefix: cfg.Prefix, cfg: cfg}
	return f
}

// handler is a Kashpay handler: an error it returns is written in the
// envelope by serve.
type handler func(w http.ResponseWriter, r *http.Request) error

// Register mounts the face's routes on mux.
func (f *Face) Register(mux transport.Router) {
	mux.Handle(f.prefix+"/AuthenticationService/authenticate", f.route(http.MethodPost, false, f.authenticate))
	mux.Handle(f.prefix+"/OKPay/createOrder", f.route(http.MethodPost, true, f.createOrder))
	mux.Handle(f.prefix+"/EntitiesServices/getBalance", f.route(http.MethodGet, true, f.getBalance))
	mux.Handle(f.prefix+"/EntitiesServices/getOperations", f.route(http.MethodGet, true, f.getOperations))
	mux.HandleFunc("GET "+OpenAPIPath, openAPI)
	// Anything else under the prefix answers in the face's own envelope.
	mux.Handle(f.prefix+"/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.writeError(w, r, pasarela.Errorf(pasarela.KindNotFound, "not_found", "no such operation: %s", r.URL.Path))
	}))
}

// route serves one path with one method; authed routes need a session
// token (and, when sent, an Entity-i header naming the token's entity).
func (f *Face) route(method string, authed bool, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			f.writeError(w, r, pasarela.Errorf(pasarela.KindInvalid, "method_not_allowed",
				"method %s not allowed; use %s", r.Method, method))
			return
		}
		if authed {
			p, err := f.session(r)
			if err != nil {
				if pasarela.ErrorKind(err) == pasarela.KindUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="kashpay"`)
				}
				f.writeError(w, r, err)
				return
			}
			r = r.WithContext(pasarela.WithPrincipal(r.Context(), p))
		}
		if err := h(w, r); err != nil {
			f.writeError(w, r, err)
		}
	})
}

var errEntityMismatch = pasarela.Errorf(pasarela.KindForbidden, "entity_mismatch",
	"the Entity-i header does not name the entity of the token")

// session authenticates a request's bearer token.
func (f *Face) session(r *http.Request) (*pasarela.Principal, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, pasarela.Errorf(pasarela.KindUnauthorized, "unauthenticated",
			"authentication required: send Authorization: Bearer <token> from /AuthenticationService/authenticate")
	}
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, pasarela.Errorf(pasarela.KindUnauthorized, "unauthenticated", "the Authorization header must be 'Bearer <token>'")
	}
	p, entity, err := f.authenticateSession(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if e := strings.TrimSpace(r.Header.Get("Entity-i")); e != "" && !strings.EqualFold(e, entity) {
		return nil, errEntityMismatch
	}
	return p, nil
}

// envelope is Kashpay's one response shape: success, one payload key, an
// error, and the paging counters (zero when not a list).
type envelope struct {
	Success                bool          `json:"success"`
	AuthenticationResponse *authResponse `json:"authenticationResponse,omitempty"`
	OrderEntityResponse    *order        `json:"orderEntityResponse,omitempty"`
	OnsignaEntity          *entity       `json:"onsignaEntity,omitempty"`
	Operations             *[]operation  `json:"operations,omitempty"`
	Error                  *errorBody    `json:"error,omitempty"`
	TotalItems             int           `json:"totalItems"`
	TotalPages             int           `json:"totalPages"`
	CurrentPage            int           `json:"currentPage"`
}

func writeJSON(w http.ResponseWriter, status int, v any) { transport.WriteJSON(w, status, v) }

// logInternal records an unexpected cause once, with the request id; the
// client only sees a generic message.
func (f *Face) logInternal(ctx context.Context, err error) {
	f.log.ErrorContext(ctx, "internal error", "face", "kashpay", "request_id", transport.RequestID(ctx), "err", err)
}
