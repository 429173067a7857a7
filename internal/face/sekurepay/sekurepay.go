// Package sekurepay is the SekurePay face: merchant orders with items, taxes
// and shipping in integer cents under /sekurepay/api/v1, HTTP Basic
// authentication with the application's API key as the user name, HTTPS
// only. An order is a payment of the core (its merchant reference is the
// order id), so PayREST, webhooks and the ledger see it like any other.
package sekurepay

import (
	"context"
	_ "embed"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// Prefix is where the face is mounted: SekurePay's base path /api/v1 under
// the face's name, so that a merchant changes only its base URL.
const Prefix = "/sekurepay/api/v1"

// hsts is sent with every answer: SekurePay promises HTTPS over HSTS, and a
// client that learnt it once never tries plain HTTP again for a year.
const hsts = "max-age=31536000"

// Face serves the SekurePay API over the core.
type Face struct {
	svc *core.Service
	log *slog.Logger
}

// New returns the face.
func New(svc *core.Service, log *slog.Logger) *Face { return &Face{svc: svc, log: log} }

// handler is a SekurePay handler: an error it returns is written in the
// face's format.
type handler func(w http.ResponseWriter, r *http.Request) error

// Register mounts the face's routes on mux.
func (f *Face) Register(mux transport.Router) {
	mux.Handle(Prefix+"/orders", f.route(map[string]handler{"POST": f.createOrder}))
	mux.Handle(Prefix+"/orders/{id}", f.route(map[string]handler{"GET": f.getOrder}))
	// Anything else under the prefix answers in the face's format too.
	mux.Handle(Prefix+"/", f.route(nil))
	// The document is public and served on either listener: it holds no
	// data, and tools fetch it before they have credentials.
	mux.HandleFunc("GET "+OpenAPIPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapiJSON)
	})
}

// OpenAPIPath is where the face's OpenAPI 3.1 document is served.
const OpenAPIPath = "/openapi/sekurepay.json"

// OpenAPI is the face's OpenAPI document, for the reference at /docs/.
// Callers must not change it.
func OpenAPI() []byte { return openapiJSON }

// openapiJSON describes what this face serves; a test validates real
// requests and responses against it, so it cannot drift from the code.
//
//go:embed openapi.json
var openapiJSON []byte

// route wraps the handlers of one path: HSTS, HTTPS only, authentication,
// then dispatch by method. HTTPS is checked before the credentials, so that
// a request that should never have been sent is refused the same way
// whatever it carries.
func (f *Face) route(methods map[string]handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", hsts)
		if !transport.Secure(r.Context()) {
			f.writeError(w, r, errHTTPSRequired)
			return
		}
		p, err := f.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="SekurePay", charset="UTF-8"`)
			f.writeError(w, r, err)
			return
		}
		r = r.WithContext(pasarela.WithPrincipal(r.Context(), p))
		if methods == nil {
			f.writeError(w, r, pasarela.NotFound("route "+r.URL.Path))
			return
		}
		h, ok := methods[r.Method]
		if !ok {
			var allow []string
			for _, m := range []string{"GET", "POST"} {
				if _, ok := methods[m]; ok {
					allow = append(allow, m)
				}
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			f.writeError(w, r, errMethod(r.Method, allow))
			return
		}
		if err := h(w, r); err != nil {
			f.writeError(w, r, err)
		}
	})
}

var errHTTPSRequired = &pasarela.Error{Kind: pasarela.KindForbidden, Code: "https_required",
	Message: "SekurePay accepts requests over HTTPS only; send this request to the https:// address of the gateway"}

func errMethod(method string, allow []string) error {
	return &pasarela.Error{Kind: pasarela.KindInvalid, Code: "method_not_allowed",
		Message: "method " + method + " is not allowed here; allowed: " + strings.Join(allow, ", ")}
}

func unauthorized(code, message string) error {
	return pasarela.Errorf(pasarela.KindUnauthorized, code, "%s", message)
}

// authenticate reads HTTP Basic credentials: the API key as the user name,
// an empty password. Only application keys open this face; a key travels in
// every request, and the core checks it in constant time.
func (f *Face) authenticate(r *http.Request) (*pasarela.Principal, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, unauthorized("unauthenticated",
			"authentication required: use HTTP Basic with your API key as the user name and an empty password (curl -u KEY:)")
	}
	scheme, encoded, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil, unauthorized("invalid_scheme", "the Authorization header must use the Basic scheme, with your API key as the user name")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, unauthorized("invalid_credentials", "the Basic credentials are not valid base64 of \"API_KEY:\"")
	}
	key, password, ok := strings.Cut(string(raw), ":")
	switch {
	case !ok:
		return nil, unauthorized("invalid_credentials", "the Basic credentials must be \"API_KEY:\" (the key, a colon, and an empty password)")
	case password != "":
		// Refused rather than ignored: a secret in the password field is a
		// sign the key is where it should not be (or a placeholder sent by
		// mistake), and an empty password is what the API documents.
		return nil, unauthorized("invalid_credentials", "the password must be empty: send your API key as the user name followed by a colon")
	case key == "":
		return nil, unauthorized("invalid_credentials", "the user name must be your API key")
	}
	return f.svc.AuthenticateKey(r.Context(), key)
}

// errorJSON is the face's error: SekurePay documents HTTP status codes and
// nothing more, so the body is the decided {"error":{type, message, param}},
// with the core's stable code and, when a request broke several rules, all
// of them.
type errorJSON struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string       `json:"type"`
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message"`
	Param   string       `json:"param,omitempty"`
	Errors  []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Param   string `json:"param"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// badRequestCodes are invalid-kind codes about the request as a whole (it
// is not JSON, not an object, holds a member twice, not allowed here): 400. Every other broken
// rule is about a field's value: 422, naming the field.
var badRequestCodes = map[string]bool{"malformed_json": true, "duplicate_field": true, "path": true, "method_not_allowed": true, "idempotency_key": true}

// statusOf is the face's one table from error kind to HTTP status and type.
func statusOf(e *pasarela.Error) (int, string) {
	switch e.Kind {
	case pasarela.KindInvalid:
		switch {
		case e.Code == "method_not_allowed":
			return http.StatusMethodNotAllowed, "invalid_request_error"
		case badRequestCodes[e.Code]:
			return http.StatusBadRequest, "invalid_request_error"
		}
		return http.StatusUnprocessableEntity, "validation_error"
	case pasarela.KindUnauthorized:
		return http.StatusUnauthorized, "authentication_error"
	case pasarela.KindForbidden:
		if e.Code == "https_required" {
			return http.StatusForbidden, "https_required"
		}
		return http.StatusForbidden, "permission_error"
	case pasarela.KindNotFound:
		return http.StatusNotFound, "not_found_error"
	case pasarela.KindConflict:
		return http.StatusConflict, "conflict_error"
	case pasarela.KindTooLarge:
		return http.StatusRequestEntityTooLarge, "invalid_request_error"
	case pasarela.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType, "invalid_request_error"
	case pasarela.KindRateLimited:
		return http.StatusTooManyRequests, "rate_limit_error"
	case pasarela.KindUnavailable:
		return http.StatusServiceUnavailable, "api_error"
	case pasarela.KindCanceled:
		return transport.StatusClientClosed, "api_error"
	}
	return http.StatusInternalServerError, "api_error"
}

func (f *Face) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := pasarela.AsError(err)
	status, typ := statusOf(e)
	status = transport.Status(r.Context(), status)
	d := errorDetail{Type: typ, Code: e.Code, Message: wordMessage(e.Code, e.Message, e.Params), Param: wireParam(e.Field)}
	if status == http.StatusInternalServerError {
		f.logInternal(r.Context(), err)
		d = errorDetail{Type: typ, Message: "internal error"}
	} else if len(e.Fields) > 0 {
		first := wireRule(e.Fields[0])
		d.Param, d.Code, d.Message = first.Param, first.Code, first.Message
		if len(e.Fields) > 1 {
			d.Message = "the order breaks several rules; see errors"
			for _, fe := range e.Fields {
				d.Errors = append(d.Errors, wireRule(fe))
			}
		}
	}
	if d.Message == "" {
		d.Message = http.StatusText(status)
	}
	writeJSON(w, status, errorJSON{Error: d})
}

func writeJSON(w http.ResponseWriter, status int, v any) { transport.WriteJSON(w, status, v) }

// logInternal records an unexpected cause once, with the request id; the
// client only sees a generic message.
func (f *Face) logInternal(ctx context.Context, err error) {
	f.log.ErrorContext(ctx, "internal error", "face", "sekurepay", "request_id", transport.RequestID(ctx), "err", err)
}

// WriteHTTPError answers, in the face's format and with status, an error
// the server found at the HTTP level before any route ran (a request head
// too large, a path with dot segments).
func (f *Face) WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error) {
	f.writeError(w, r.WithContext(transport.WithStatus(r.Context(), status)), err)
}
