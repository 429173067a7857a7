package xpay

import (
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// errorBody is xpay's error: the application code, the field it concerns
// ("all" when it concerns the request as a whole) and a message. The seed
// numbers one error per row, so the body carries one: the first rule the
// request broke. When it broke several, errors lists every one of them in
// the same shape (this gateway's addition), so a developer fixes them all
// at once while a client reading only code/field/detail sees the first.
type errorBody struct {
	Code   int          `json:"code"`
	Field  string       `json:"field"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Code   int    `json:"code"`
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// wireError is how one core error code is shown: the HTTP status and the
// application code of the seed's tables, and, for codes whose field the
// seed fixes, that field.
type wireError struct {
	status int
	code   int
	field  string
}

// The seed's application codes used across routes, and this gateway's own
// for the HTTP errors the seed lists without a code (404, 405, 406, 409,
// 413, 415, 429): the HTTP status times ten, out of the seed's ranges.
const (
	codeInvalid          = 2002
	codeNotAuthenticated = 3003
	codeUnknown          = 3004
	codeNotFound         = 4040
	codeMethod           = 4050
	codeNotAcceptable    = 4060
	codeConflict         = 4090
	codeTooLarge         = 4130
	codeMediaType        = 4150
	codeTooMany          = 4290
)

// errorTable is the face's one table from the core's (and the face's own)
// error codes to xpay's. The password rules are the core's canonical ones,
// numbered as xpay numbers them (see core.CheckPassword).
var errorTable = map[string]wireError{
	// Authentication.
	"not_authenticated": {http.StatusUnauthorized, codeNotAuthenticated, "all"},
	"invalid_token":     {http.StatusUnauthorized, codeNotAuthenticated, "all"},
	"unauthenticated":   {http.StatusUnauthorized, codeNotAuthenticated, "all"},
	"invalid_grant":     {http.StatusUnauthorized, codeNotAuthenticated, "all"},
	"too_many_attempts": {http.StatusTooManyRequests, codeTooMany, "all"},
	"user_required":     {http.StatusForbidden, codeNotAuthenticated, "all"},
	"role_required":     {http.StatusForbidden, codeNotAuthenticated, "all"},
	"forbidden":         {http.StatusForbidden, codeNotAuthenticated, "all"},

	// Requests.
	"no_route":                {http.StatusNotFound, codeNotFound, "all"},
	"method_not_allowed":      {http.StatusMethodNotAllowed, codeMethod, "all"},
	"not_acceptable":          {http.StatusNotAcceptable, codeNotAcceptable, "all"},
	"content_type":            {http.StatusUnsupportedMediaType, codeMediaType, "all"},
	"too_large":               {http.StatusRequestEntityTooLarge, codeTooLarge, "all"},
	"malformed_json":          {http.StatusBadRequest, codeInvalid, "all"},
	"malformed_form":          {http.StatusBadRequest, codeInvalid, "all"},
	"duplicate_field":         {http.StatusBadRequest, codeInvalid, ""},
	"type":                    {http.StatusBadRequest, codeInvalid, ""},
	"required":                {http.StatusBadRequest, 5002, ""},
	"empty":                   {http.StatusBadRequest, 5001, ""},
	transport.CodeQuerySyntax: {http.StatusBadRequest, codeInvalid, ""},
	"idempotency_key_reused":  {http.StatusConflict, codeConflict, "Idempotency-Key"},
	"idempotency_key":         {http.StatusBadRequest, codeInvalid, "Idempotency-Key"},

	// Transactions: the face's own checks of a form and a filter.
	"missing_fields":     {http.StatusBadRequest, 3013, ""},
	"callback_invalid":   {http.StatusBadRequest, 3014, "callback"},
	"exchange_not_found": {http.StatusBadRequest, 3019, "exchange_id"},
	"user_not_found":     {http.StatusBadRequest, 3005, "user"},
	"status_invalid":     {http.StatusBadRequest, 3006, "status"},
	"from_format":        {http.StatusBadRequest, 3007, "from"},
	"to_format":          {http.StatusBadRequest, 3008, "to"},
	"from_after_to":      {http.StatusBadRequest, 3009, "from, to"},

	// The password policy and the password change.
	core.PasswordEmpty:    {http.StatusBadRequest, 5001, ""},
	core.PasswordRequired: {http.StatusBadRequest, 5002, ""},
	core.PasswordTooShort: {http.StatusBadRequest, 5003, ""},
	core.PasswordTooLong:  {http.StatusBadRequest, 5004, ""},
	core.PasswordNoLower:  {http.StatusBadRequest, 5020, ""},
	core.PasswordNoUpper:  {http.StatusBadRequest, 5021, ""},
	core.PasswordNoDigit:  {http.StatusBadRequest, 5022, ""},
	core.PasswordNoSymbol: {http.StatusBadRequest, 5023, ""},
	"password_incorrect":  {http.StatusBadRequest, codeInvalid, ""},
	"password_mismatch":   {http.StatusBadRequest, codeInvalid, ""},
}

// byKind answers codes the table does not name.
var byKind = map[pasarela.Kind]wireError{
	pasarela.KindInvalid:          {http.StatusBadRequest, codeInvalid, "all"},
	pasarela.KindNotFound:         {http.StatusNotFound, codeNotFound, "all"},
	pasarela.KindConflict:         {http.StatusConflict, codeConflict, "all"},
	pasarela.KindUnauthorized:     {http.StatusUnauthorized, codeNotAuthenticated, "all"},
	pasarela.KindForbidden:        {http.StatusForbidden, codeNotAuthenticated, "all"},
	pasarela.KindUnavailable:      {http.StatusServiceUnavailable, codeUnknown, "all"},
	pasarela.KindTooLarge:         {http.StatusRequestEntityTooLarge, codeTooLarge, "all"},
	pasarela.KindUnsupportedMedia: {http.StatusUnsupportedMediaType, codeMediaType, "all"},
	pasarela.KindRateLimited:      {http.StatusTooManyRequests, codeTooMany, "all"},
	pasarela.KindCanceled:         {transport.StatusClientClosed, codeUnknown, "all"},
	pasarela.KindInternal:         {http.StatusInternalServerError, codeUnknown, "all"},
}

// routeTable is one route's own numbering of core codes, keyed by
// "code@field" or by code alone; it wins over errorTable.
type routeTable map[string]wireError

// routed is an error a route numbers with its own table.
type routed struct {
	err   error
	table routeTable
}

func (r *routed) Error() string { return r.err.Error() }
func (r *routed) Unwrap() error { return r.err }

// withRoute marks err to be numbered by table first.
func withRoute(table routeTable, err error) error {
	if err == nil {
		return nil
	}
	return &routed{err: err, table: table}
}

func lookup(table routeTable, kind pasarela.Kind, code, field string) wireError {
	if kind != pasarela.KindInternal {
		if w, ok := table[code+"@"+field]; ok {
			return w
		}
		if w, ok := table[code]; ok {
			return w
		}
	}
	if w, ok := errorTable[code]; ok && kind != pasarela.KindInternal {
		return w
	}
	if w, ok := byKind[kind]; ok {
		return w
	}
	return byKind[pasarela.KindInternal]
}

// coreFields renames the core's canonical field names to xpay's.
var coreFields = map[string]string{}

// wireField is the field a wire error names: the one the table fixes, else
// the error's own (renamed to xpay's spelling), else "all".
func wireField(w wireError, field string) string {
	if w.field != "" {
		return w.field
	}
	if x, ok := coreFields[field]; ok {
		return x
	}
	if field == "" {
		return "all"
	}
	return field
}

// errorResponse renders err as xpay's error and its HTTP status, and
// reports whether it is an internal failure to log.
func errorResponse(err error) (int, errorBody, bool) {
	var table routeTable
	if r, ok := err.(*routed); ok {
		table = r.table
	}
	e := pasarela.AsError(err)
	w := lookup(table, e.Kind, e.Code, e.Field)
	if w.status >= 500 && e.Kind == pasarela.KindInternal {
		return w.status, errorBody{Code: w.code, Field: "all", Detail: "An internal error occurred."}, true
	}
	body := errorBody{Code: w.code, Field: wireField(w, e.Field), Detail: e.Message}
	if len(e.Fields) > 1 {
		for _, fe := range e.Fields {
			fw := lookup(table, e.Kind, fe.Code, fe.Field)
			body.Errors = append(body.Errors, fieldError{Code: fw.code, Field: wireField(fw, fe.Field), Detail: fe.Message})
		}
	}
	return w.status, body, false
}

func (f *Face) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body, internal := errorResponse(err)
	if internal {
		f.logInternal(r.Context(), err)
	}
	writeJSON(w, transport.Status(r.Context(), status), body)
}

// WriteHTTPError answers, in the face's format and with status, an error
// the server found at the HTTP level before any route ran (a request head
// too large, a path with dot segments).
func (f *Face) WriteHTTPError(w http.ResponseWriter, r *http.Request, status int, err error) {
	f.writeError(w, r.WithContext(transport.WithStatus(r.Context(), status)), err)
}
