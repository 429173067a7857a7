// Package server composes the faces on one net/http ServeMux and wraps them
// in what every request needs: a request id, the caller's address, a body
// limit, a deadline, panic recovery, one log line and metrics. It also runs
// the listener with graceful shutdown.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/pasarela/pasarela/internal/apidocs"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/dashboard"
	"github.com/pasarela/pasarela/internal/face/gestpay"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/face/sekurepay"
	"github.com/pasarela/pasarela/internal/face/xpay"
	"github.com/pasarela/pasarela/internal/telemetry"
	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/web"
)

// Config holds the HTTP settings and each face's own settings; the zero
// value gives the defaults.
type Config struct {
	MaxBodyBytes   int64         // default 1 MiB
	RequestTimeout time.Duration // default 30 s
	// MaxHeaderBytes bounds a request's line and headers (default 64 KiB):
	// a larger head is a 431 in the face's format (see httperror.go).
	MaxHeaderBytes int
	// BodyReadTimeout is the time a declared body has to arrive (default
	// 5 s, plus a second per 64 KiB declared, within ReadTimeout).
	BodyReadTimeout time.Duration
	TrustedProxies  transport.Proxies

	// Faces are the APIs to mount (see Faces); empty mounts them all. The
	// hosted pages, health and metrics are always served. What a webhook
	// carries does not depend on it: its endpoint's format does (see
	// Renderers).
	Faces []string

	// Tracer, when it records (telemetry.Setup with an endpoint), gives
	// each request a server span, continuing the caller's trace from its
	// traceparent header; the store's and processors' spans are its
	// children.
	Tracer trace.TracerProvider

	// Renderers are the webhook formats the gateway's deliverer sends
	// with (Renderers(publicURL, gestpayKey)), for the dashboard's
	// delivery log to show the request each delivery sent; nil leaves
	// the requests out of the log.
	Renderers core.Renderers

	// Each face's own settings.
	PayREST payrest.Config
	Kashpay kashpay.Config
	Gestpay gestpay.Config
	Xpay    xpay.Config
}

// The faces New can mount, by name.
const (
	FacePayREST   = "payrest"
	FaceKashpay   = "kashpay"
	FaceSekurePay = "sekurepay"
	FaceGestpay   = "gestpay"
	FaceXpay      = "xpay"
)

// face is what the server needs of a face: to mount its routes.
type face interface {
	Register(transport.Router)
	// WriteHTTPError answers an error found before any route ran, in the
	// face's format, with the status given.
	WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error)
}

// faces builds each face from its settings, in the order they are mounted,
// and says how the reference at /docs/ lists it. Adding a face is one entry
// here (and its flags in cmd/pasarela).
var faces = []struct {
	name string
	make func(cfg *Config, svc *core.Service, log *slog.Logger) face
	docs apidocs.Face
}{
	{FacePayREST, func(c *Config, svc *core.Service, log *slog.Logger) face {
		return payrest.New(svc, log, c.PayREST)
	}, apidocs.Face{Title: "PayREST", OpenAPI: payrest.OpenAPI(), OpenAPIPath: payrest.OpenAPIPath,
		Summary: "The gateway's own API: applications and keys, gateway configurations, payments and payment links, refunds, subscriptions, webhooks and statistics."}},
	{FaceKashpay, func(c *Config, svc *core.Service, log *slog.Logger) face {
		return kashpay.New(svc, log, c.Kashpay)
	}, apidocs.Face{Title: "Kashpay", OpenAPI: kashpay.OpenAPI(), OpenAPIPath: kashpay.OpenAPIPath,
		Summary: "Kashpay (Onsigna) compatible: SPEI payouts out of an entity's balance, and its operations."}},
	{FaceSekurePay, func(c *Config, svc *core.Service, log *slog.Logger) face {
		return sekurepay.New(svc, log)
	}, apidocs.Face{Title: "SekurePay", OpenAPI: sekurepay.OpenAPI(), OpenAPIPath: sekurepay.OpenAPIPath,
		Summary: "SekurePay compatible: orders with their items, taxes and shipping, paid on the hosted checkout."}},
	{FaceGestpay, func(c *Config, svc *core.Service, log *slog.Logger) face {
		return gestpay.New(svc, log, c.Gestpay)
	}, apidocs.Face{Title: "Gestpay", WSDLs: gestpayWSDLs(),
		Summary: "Gestpay (Axerve) compatible SOAP services: the encrypted-string payment page (WSCryptDecrypt) and server-to-server card payments (WSs2s)."}},
	{FaceXpay, func(c *Config, svc *core.Service, log *slog.Logger) face {
		return xpay.New(svc, log, c.Xpay)
	}, apidocs.Face{Title: "xpay", OpenAPI: xpay.OpenAPI(), OpenAPIPath: xpay.OpenAPIPath,
		Summary: "xpay compatible: crypto deposits for a fiat price, with quotes and the signed-in commerce."}},
}

// gestpayWSDLs are the links of the Gestpay face in the reference.
func gestpayWSDLs() []apidocs.Link {
	var links []apidocs.Link
	for _, w := range gestpay.WSDLs() {
		links = append(links, apidocs.Link{Title: w.Service + " WSDL", Path: w.Path})
	}
	return links
}

// Faces are the names of every face, in the order they are mounted.
var Faces = func() []string {
	names := make([]string, len(faces))
	for i, f := range faces {
		names[i] = f.name
	}
	return names
}()

// mounts reports whether the face named name is to be mounted.
func (c *Config) mounts(name string) bool {
	return len(c.Faces) == 0 || slices.Contains(c.Faces, name)
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.BodyReadTimeout <= 0 {
		c.BodyReadTimeout = 5 * time.Second
	}
}

// CheckFaces returns an error when a name is not one of Faces: a
// configuration that asks for a face New does not know is refused rather
// than silently served without it.
func CheckFaces(names []string) error {
	for _, name := range names {
		if !slices.Contains(Faces, name) {
			return fmt.Errorf("no face named %q (the faces are %s)", name, strings.Join(Faces, ", "))
		}
	}
	return nil
}

// New returns the gateway's HTTP handler. It panics when cfg.Faces names a
// face that does not exist, which configuration code rules out first with
// CheckFaces.
func New(cfg Config, svc *core.Service, log *slog.Logger, m *Metrics) http.Handler {
	cfg.defaults()
	if err := CheckFaces(cfg.Faces); err != nil {
		panic("server.New: " + err.Error())
	}
	m.WatchCore(svc.GapWarnings, svc.ChainHealth)
	m.WatchCounts(svc.OperationalCounts)
	mux := http.NewServeMux()
	h := &handler{cfg: cfg, next: mux, log: log, metrics: m, owners: map[string]string{}, faces: map[string]face{}}
	for _, f := range faces {
		if cfg.mounts(f.name) {
			made := f.make(&cfg, svc, log)
			h.faces[f.name] = made
			made.Register(&recorder{mux: mux, face: f.name, h: h})
		}
	}
	web.New(svc, log).Register(mux)
	var listed []apidocs.Face
	for _, f := range faces {
		if cfg.mounts(f.name) {
			d := f.docs
			d.Name = f.name
			listed = append(listed, d)
		}
	}
	docs, err := apidocs.New(log, listed)
	if err != nil {
		// The documents are embedded: one that does not parse is a build
		// that a test of this package refuses.
		panic("server.New: " + err.Error())
	}
	docs.Register(mux)
	dashboard.New(svc, log, cfg.Renderers).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		// The chains' nodes are reported, not gated on: a node down or
		// behind leaves its deposits as they are while the gateway
		// goes on serving (creating a deposit needs no node), so a load
		// balancer must not take the gateway out for it. Alert on
		// pasarela_chain_up and pasarela_chain_lag_blocks instead.
		body := map[string]any{"status": "ok", "database": "ok"}
		if hs := svc.ChainHealth(); len(hs) > 0 {
			chains := map[string]string{}
			for _, h := range hs {
				state := "ok"
				if !h.Reachable {
					state = "unreachable"
				}
				if h.CheckedAt.IsZero() {
					state = "unknown"
				}
				chains[h.Name+" "+h.Currency] = state
			}
			body["chains"] = chains
		}
		if err := svc.Ready(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "request_id", transport.RequestID(ctx), "err", err)
			body["status"], body["database"] = "unavailable", "unreachable"
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		writeJSON(w, http.StatusOK, body)
	})
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"code": http.StatusNotFound, "message": "no such route: " + r.URL.Path})
	})
	if telemetry.Enabled(cfg.Tracer) {
		h.tracer = cfg.Tracer.Tracer(telemetry.Name)
	}
	return h
}

type handler struct {
	cfg     Config
	next    *http.ServeMux
	log     *slog.Logger
	metrics *Metrics
	tracer  trace.Tracer      // nil when tracing is off
	owners  map[string]string // mux pattern → the face that registered it
	faces   map[string]face   // mounted faces by name
	routes  []Route           // every face's patterns, in registration order
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ip, secure := h.cfg.TrustedProxies.Resolve(r)
	id := transport.CleanRequestID(r.Header.Get("X-Request-Id"))
	if id == "" {
		id = transport.NewRequestID()
	}
	w.Header().Set("X-Request-Id", id)
	ctx, cancel := context.WithTimeout(transport.WithInfo(r.Context(), transport.RequestInfo{ID: id, ClientIP: ip, Secure: secure}), h.cfg.RequestTimeout)
	defer cancel()
	var span trace.Span
	if h.tracer != nil {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span = h.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("pasarela.request_id", id)))
	}
	r = r.WithContext(ctx)
	h.bodyDeadline(w, r)
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)
	sw := &statusWriter{ResponseWriter: w}

	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !sw.wrote {
				writeJSON(sw, http.StatusInternalServerError, map[string]any{"code": 500, "message": "internal error"})
			}
		}
		route := routeLabel(r.Pattern)
		took := time.Since(start)
		if span != nil {
			span.SetName(r.Method + " " + route)
			span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", sw.status()))
			if sw.status() >= 500 {
				span.SetStatus(codes.Error, "")
			}
			span.End()
		}
		h.metrics.observe(route, r.Method, sw.status(), took)
		// Typed attributes: every request logs this line, and key-value
		// arguments box each value and build the attributes from them.
		h.log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("request_id", id), slog.String("method", r.Method),
			slog.String("path", logPath(r.URL.Path)), slog.String("route", route), slog.Int("status", sw.status()),
			slog.Int("bytes", sw.bytes), slog.Float64("duration_ms", float64(took.Microseconds())/1000), slog.String("ip", ip))
	}()
	if status, err := h.refuse(r); err != nil {
		h.httpError(sw, r, status, err)
		return
	}
	h.next.ServeHTTP(sw, r)
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve serves h on ln until ctx ends, then stops accepting connections and
// waits up to grace for requests in flight to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration) error {
	return serve(ctx, ln, h, log, grace, nil)
}

// ServeTLS is Serve over TLS with cfg (see LoadTLS and SelfSignedTLS),
// HTTP/2 included. It runs beside the plain listener's Serve, with the same
// handler, and shuts down the same way when ctx ends.
func ServeTLS(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration, cfg *tls.Config) error {
	return serve(ctx, ln, h, log, grace, cfg)
}

// readTimeout is the http.Server's bound on reading a whole request.
const readTimeout = 30 * time.Second

func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration, cfg *tls.Config) error {
	srv := &http.Server{
		TLSConfig:         cfg,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    ServerMaxHeaderBytes, // the handler answers above Config.MaxHeaderBytes
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() {
		if cfg != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// logPath is a request's path as the log shows it: the token of a hosted
// page (/pay/{token}…) opens that payment or agreement to whoever holds it,
// so only its kind (the prefix before "_") is kept.
func logPath(p string) string {
	rest, ok := strings.CutPrefix(p, "/pay/")
	if !ok {
		return p
	}
	token, tail, _ := strings.Cut(rest, "/")
	kind, _, _ := strings.Cut(token, "_")
	if len(kind) > 8 {
		kind = kind[:8]
	}
	if tail != "" {
		tail = "/" + tail
	}
	return "/pay/" + kind + "_…" + tail
}
