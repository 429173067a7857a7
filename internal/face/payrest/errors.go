package payrest

import (
	"encoding/json"
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// errorBody is PayREST's error: the HTTP status repeated in code, a message,
// and the broken rules per field.
type errorBody struct {
	Code    int                 `json:"code"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

// statusOf is the face's one table from error kind to HTTP status.
var statusOf = map[pasarela.Kind]int{
	pasarela.KindInvalid:          http.StatusBadRequest,
	pasarela.KindNotFound:         http.StatusNotFound,
	pasarela.KindConflict:         http.StatusConflict,
	pasarela.KindUnauthorized:     http.StatusUnauthorized,
	pasarela.KindForbidden:        http.StatusForbidden,
	pasarela.KindUnavailable:      http.StatusServiceUnavailable,
	pasarela.KindTooLarge:         http.StatusRequestEntityTooLarge,
	pasarela.KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	pasarela.KindRateLimited:      http.StatusTooManyRequests,
	pasarela.KindCanceled:         transport.StatusClientClosed,
	pasarela.KindInternal:         http.StatusInternalServerError,
}

func (f *Face) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := pasarela.AsError(err)
	status, ok := statusOf[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	body := errorBody{Code: status, Message: e.Message}
	if status == http.StatusInternalServerError {
		f.logInternal(r.Context(), err)
		body.Message = "internal error"
	} else if len(e.Fields) > 0 {
		body.Errors = map[string][]string{}
		for _, fe := range e.Fields {
			field := fe.Field
			if field == "" {
				field = "body"
			}
			body.Errors[field] = append(body.Errors[field], fe.Message)
		}
		if body.Message == "" || len(e.Fields) > 1 {
			body.Message = "validation failed"
		}
	}
	if body.Message == "" {
		body.Message = http.StatusText(status)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a broken connection has no one to tell
}
