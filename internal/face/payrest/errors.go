package payrest

import (
	"net/http"
	"sort"
	"strings"

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

// wireFields renames the core's canonical field names (see pasarela.Error)
// to PayREST's. Names the two agree on ("amount", "currency", "cycles") are
// not listed. A list's filter fields are query parameters here.
var wireFields = map[string]string{
	"customer_id":     "clientId",
	"customer_email":  "clientEmail",
	"return_url":      "returnUrl",
	"cancel_url":      "cancelUrl",
	"expires_at":      "expiresAt",
	"gateway_config":  "gatewayConfig",
	"gateway_configs": "gatewayConfigs",
	"interval_count":  "intervalCount",
	"start_date":      "startDate",
	"end_date":        "endDate",
	"first_name":      "firstName",
	"last_name":       "lastName",
	"entity":          "targetEntity",
	"key_prefix":      "apiKey",
	"shop_login":      "shopLogin",
	"idempotency_key": "Idempotency-Key",

	"pages.success_url":  "gestpay.positiveUrl",
	"pages.failure_url":  "gestpay.negativeUrl",
	"pages.notify_url":   "gestpay.serverToServerUrl",
	"pages.language":     "gestpay.languageId",
	"access.allowed_ips": "gestpay.allowedIps",

	"created_at":      "createdAt",
	"updated_at":      "updatedAt",
	"completed_at":    "completionDate",
	"next_charge_at":  "nextChargeDate",
	"next_attempt_at": "nextAttemptAt",

	"after": "cursor",

	"filter.status":         "status",
	"filter.customer_id":    "client_id",
	"filter.transaction_id": "transaction_id",
	"filter.event_id":       "eventId",
	"filter.name":           "name",
	"filter.text":           "filter",
}

// sortFromWire is wireFields backwards for the fields a list is sorted by:
// PayREST's name to the core's. Filters are not sort fields.
var sortFromWire = func() map[string]string {
	m := map[string]string{}
	for core, wire := range wireFields {
		if !strings.Contains(core, ".") {
			m[wire] = core
		}
	}
	return m
}()

// ruleKey is one rule of one field, in the core's names.
type ruleKey struct{ field, code string }

// wording is PayREST's own message for the rules whose core message names
// another field (or a field's value), or that PayREST completes with its own
// routes: the message names them the PayREST way, from the rule's params
// where it has some ("" keeps the core's message).
var wording = map[ruleKey]func(fe pasarela.FieldError) string{
	{"cycles", "range"}: func(fe pasarela.FieldError) string {
		return "must be between " + fe.Params["min"] + " and " + fe.Params["max"] + " (absent: until endDate or cancelled)"
	},
	{"end_date", "exclusive"}: func(pasarela.FieldError) string { return "give cycles or endDate, not both" },
	{"end_date", "range"}:     func(pasarela.FieldError) string { return "must not be before startDate" },
	{"gateway_configs", "no_gateway"}: func(fe pasarela.FieldError) string {
		if fe.Params["application_id"] == "" {
			return ""
		}
		return fe.Message + "; configure one with POST /application/" + fe.Params["application_id"] + "/gateway"
	},
	{"sort", "sort_field"}: func(fe pasarela.FieldError) string {
		p := fe.Params
		if p == nil {
			return "" // the store's second line, which names no fields
		}
		field, ok := strings.CutPrefix(p["field"], notPayREST)
		if !ok {
			field = wireName(field)
		}
		var names []string
		for _, f := range strings.Split(p["sortable"], ", ") {
			names = append(names, wireName(f))
		}
		sort.Strings(names)
		return "cannot sort by '" + field + "'; sortable fields: " + strings.Join(names, ", ")
	},
	{"after", "after_sort"}: func(pasarela.FieldError) string {
		return "a cursor pages a list sorted by id only (id_asc or id_desc)"
	},
	{"sort", "sort_fixed"}: func(pasarela.FieldError) string {
		return "the detail is ordered by completionDate, then id, and cannot be sorted otherwise"
	},
}

// wireName is PayREST's name of a field the core named. An element of a
// list ("access.allowed_ips[2]") is named by its list's name and its index.
func wireName(f string) string {
	if w, ok := wireFields[f]; ok {
		return w
	}
	if base, index, ok := strings.Cut(f, "["); ok {
		if w, ok := wireFields[base]; ok {
			return w + "[" + index
		}
	}
	return f
}

// wireRule renders one broken rule in PayREST's names. An unknown field, and
// a query parameter that cannot be read, are named as the client sent them,
// never renamed: they are not the core's names even when they spell one.
func wireRule(fe pasarela.FieldError) (field, message string) {
	field, message = fe.Field, fe.Message
	if fe.Code == "unknown_field" || fe.Code == transport.CodeQuerySyntax {
		return field, message
	}
	if word, ok := wording[ruleKey{fe.Field, fe.Code}]; ok {
		if w := word(fe); w != "" {
			message = w
		}
	}
	return wireName(fe.Field), message
}

func (f *Face) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := pasarela.AsError(err)
	status, ok := statusOf[e.Kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	status = transport.Status(r.Context(), status)
	body := errorBody{Code: status, Message: e.Message}
	if status == http.StatusInternalServerError {
		f.logInternal(r.Context(), err)
		body.Message = "internal error"
	} else if len(e.Fields) > 0 {
		body.Errors = map[string][]string{}
		for i, fe := range e.Fields {
			field, msg := wireRule(fe)
			if field == "" {
				field = "body"
			}
			body.Errors[field] = append(body.Errors[field], msg)
			if i == 0 && fe.Message == e.Message {
				body.Message = msg
			}
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

func writeJSON(w http.ResponseWriter, status int, v any) { transport.WriteJSON(w, status, v) }

// WriteHTTPError answers, in the face's format and with status, an error
// the server found at the HTTP level before any route ran (a request head
// too large, a path with dot segments).
func (f *Face) WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error) {
	f.writeError(w, r.WithContext(transport.WithStatus(r.Context(), status)), err)
}
