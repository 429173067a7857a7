// Package payrest is the PayREST face: the native, most complete API of the
// gateway (applications, users, gateway configs, payments, webhooks,
// subscriptions, statistics), with PayREST's paths, JSON shapes and errors.
package payrest

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// Face serves the PayREST API over the core.
type Face struct {
	svc *core.Service
	log *slog.Logger
	cfg Config
}

// Config holds the face's settings; the zero value gives the defaults.
type Config struct {
	// AccessTokenTTL is the lifetime of a user's access token (default 5
	// minutes, as Keycloak issues them).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of a refresh token (default 30
	// minutes, Keycloak's idle session).
	RefreshTokenTTL time.Duration
}

func (c *Config) defaults() {
	if c.AccessTokenTTL <= 0 {
		c.AccessTokenTTL = 5 * time.Minute
	}
	if c.RefreshTokenTTL <= 0 {
		c.RefreshTokenTTL = 30 * time.Minute
	}
}

// New returns the face.
func New(svc *core.Service, log *slog.Logger, cfg Config) *Face {
	cfg.defaults()
	f := &Face{svc: svc, log: log, cfg: cfg}
	return f
}

// handler is a PayREST handler: an error it returns is written in PayREST's
// format by serve.
type handler func(w http.ResponseWriter, r *http.Request) error

// methods dispatches one path by method, so that a wrong method gets a 405
// in PayREST's format (with Allow) rather than the mux's plain text.
type methods map[string]handler

// Register mounts the face's routes on mux.
func (f *Face) Register(mux transport.Router) {
	mux.Handle("/application", f.authed(methods{"GET": f.listApplications, "POST": f.createApplication}))
	mux.Handle("/application/{id}", f.authed(methods{"GET": f.getApplication, "PUT": f.putApplication,
		"PATCH": f.patchApplication, "DELETE": f.deleteApplication}))
	mux.Handle("/application/{id}/recreate-key", f.authed(methods{"POST": f.recreateKey}))
	mux.Handle("/client/{clientId}/user", f.authed(methods{"GET": f.listUsers, "POST": f.createUser}))
	mux.Handle("/client/{clientId}/user/{id}", f.authed(methods{"GET": f.getUser, "PUT": f.putUser,
		"PATCH": f.patchUser, "DELETE": f.deleteUser}))
	mux.Handle("/gateway", f.authed(methods{"GET": f.listGateways}))
	mux.Handle("/gateway/{id}", f.authed(methods{"GET": f.getGateway}))
	mux.Handle("/application/{applicationId}/gateway", f.authed(methods{"GET": f.listGatewayConfigs, "POST": f.createGatewayConfig}))
	mux.Handle("/application/{applicationId}/gateway/{id}", f.authed(methods{"GET": f.getGatewayConfig,
		"PUT": f.putGatewayConfig, "PATCH": f.patchGatewayConfig, "DELETE": f.deleteGatewayConfig}))
	mux.Handle("/application/{applicationId}/payment", f.authed(methods{"GET": f.listPayments, "POST": f.createPayment}))
	mux.Handle("/application/{applicationId}/payment/{id}", f.authed(methods{"GET": f.getPayment,
		"POST": f.createPaymentLink, "DELETE": f.cancelPayment}))
	mux.Handle("/application/{applicationId}/payment/{id}/refund", f.authed(methods{"GET": f.listRefunds, "POST": f.createRefund}))
	mux.Handle("/application/{applicationId}/payment/{id}/capture", f.authed(methods{"POST": f.capturePayment}))
	mux.Handle("/application/{applicationId}/subscription", f.authed(methods{"GET": f.listSubscriptions, "POST": f.createSubscription}))
	mux.Handle("/application/{applicationId}/subscription/{id}", f.authed(methods{"GET": f.getSubscription,
		"POST": f.createAgreement, "DELETE": f.cancelSubscription}))
	mux.Handle("/application/{applicationId}/webhook", f.authed(methods{"GET": f.listWebhooks, "POST": f.createWebhook}))
	mux.Handle("/application/{applicationId}/webhook/{id}", f.authed(methods{"GET": f.getWebhook, "DELETE": f.deleteWebhook}))
	mux.Handle("/application/{applicationId}/webhook/{id}/deliveries", f.authed(methods{"GET": f.listDeliveries}))
	mux.Handle("/application/{applicationId}/webhook/{id}/deliveries/{deliveryId}/retry", f.authed(methods{"POST": f.retryDelivery}))
	mux.Handle("/stats/operations/summary", f.authed(methods{"GET": f.operationsSummary}))
	mux.Handle("/stats/operations/daily", f.authed(methods{"GET": f.operationsDaily}))
	mux.Handle("/stats/operations/detail", f.authed(methods{"GET": f.operationsDetail}))
	mux.Handle("/application/{id}/stats/summary", f.authed(methods{"GET": f.applicationSummary}))
	mux.Handle("/application/{id}/stats/daily", f.authed(methods{"GET": f.applicationDaily}))
	mux.Handle("/oauth/token", f.public(methods{"POST": f.token}))
	mux.Handle("/auth/realms/{realm}/protocol/openid-connect/token", f.public(methods{"POST": f.token}))
	mux.Handle(OpenAPIPath, f.public(methods{"GET": f.openAPI}))
	f.registerSandboxChain(mux)
}

func (f *Face) public(m methods) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.serve(w, r, m)
	})
}

// authed requires an application key (X-Auth-Token) or a user's access
// token (Authorization: Bearer) and puts the principal in the context.
func (f *Face) authed(m methods) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := f.authenticate(r)
		if err != nil {
			if pasarela.ErrorKind(err) == pasarela.KindUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="pasarela"`)
			}
			f.writeError(w, r, err)
			return
		}
		f.serve(w, r.WithContext(pasarela.WithPrincipal(r.Context(), p)), m)
	})
}

func (f *Face) authenticate(r *http.Request) (*pasarela.Principal, error) {
	ctx := r.Context()
	if key := r.Header.Get("X-Auth-Token"); key != "" {
		return f.svc.AuthenticateKey(ctx, strings.TrimSpace(key))
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return nil, pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "the Authorization header must be 'Bearer <access token>'")
		}
		return f.authenticateToken(ctx, strings.TrimSpace(token))
	}
	return nil, pasarela.Errorf(pasarela.KindUnauthorized, "unauthenticated",
		"authentication required: send X-Auth-Token with an application key or Authorization: Bearer with an access token")
}

func (f *Face) serve(w http.ResponseWriter, r *http.Request, m methods) {
	h, ok := m[r.Method]
	if !ok {
		allow := make([]string, 0, len(m))
		for _, meth := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if _, ok := m[meth]; ok {
				allow = append(allow, meth)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Code: http.StatusMethodNotAllowed,
			Message: "method " + r.Method + " not allowed; allowed: " + strings.Join(allow, ", ")})
		return
	}
	// Every route checks the query string, not only the lists: a pair Go
	// cannot parse would otherwise vanish, and the caller would never learn
	// that its filter was not applied.
	if _, err := transport.Query(r); err != nil {
		f.writeError(w, r, err)
		return
	}
	if err := h(w, r); err != nil {
		f.writeError(w, r, err)
	}
}

// pathID reads a numeric path id. PayREST ids are integers, so anything else
// names a resource that cannot exist: 404.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, pasarela.NotFound(what)
	}
	return id, nil
}

// logInternal records an unexpected cause once, with the request id; the
// client only sees a generic message.
func (f *Face) logInternal(ctx context.Context, err error) {
	f.log.ErrorContext(ctx, "internal error", "face", "payrest", "request_id", transport.RequestID(ctx), "err", err)
}
