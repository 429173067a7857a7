package pasarela

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller should do about it. Each face
// owns one table from Kind (and Code) to its wire format.
type Kind uint8

// The error kinds. KindInternal is the zero value so that an unclassified
// error is never shown to a client as anything but an internal failure.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthorized
	KindForbidden
	KindUnavailable
	KindTooLarge
	KindUnsupportedMedia
	KindRateLimited
	// KindCanceled is a request its caller abandoned (the connection
	// closed): nobody reads the answer and it is no fault of the server.
	KindCanceled
)

var kindNames = [...]string{
	KindInternal:         "internal",
	KindInvalid:          "invalid",
	KindNotFound:         "not_found",
	KindConflict:         "conflict",
	KindUnauthorized:     "unauthorized",
	KindForbidden:        "forbidden",
	KindUnavailable:      "unavailable",
	KindTooLarge:         "too_large",
	KindUnsupportedMedia: "unsupported_media_type",
	KindRateLimited:      "rate_limited",
	KindCanceled:         "canceled",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the one error type of the gateway. Message is safe to show to a
// client; Err (the cause) is for logs only and is never sent on the wire.
//
// The core speaks its own vocabulary, never a face's, so that one rule reads
// the same whichever API broke it and each face can word it its own way:
//
//   - Field names are the snake_case of the root types' Go fields: a
//     Payment's CustomerID is "customer_id", ReturnURL "return_url",
//     GatewayConfigs "gateway_configs"; a Payout's BeneficiaryAccount is
//     "beneficiary_account"; an order's SubTotal "sub_total". An element of
//     a list is named with its index and a dot, "items[0].amount", and a
//     key of a map with a dot, "config.api_key" (the key as the map holds
//     it). Amounts are in the unit of the type that holds them (minor units
//     for an int64, a decimal otherwise) and never carry a unit suffix.
//   - A list's filter is named "filter." and the filter's field
//     ("filter.customer_id"), so that it never reads as the body's field of
//     the same name; a list is sorted by the same names as its fields
//     ("created_at"). A rule on fields taken together is named after them
//     as one: a card's expiry month and year are "exp".
//   - Codes are stable snake_case words ("required", "password_too_short",
//     "total_mismatch"); a face that numbers its errors maps these words to
//     its numbers in its own table.
//   - Messages name only canonical fields. When a message needs other values
//     (the expected total of an order), Params carries them by name so that a
//     face can word its own message without parsing the core's.
//
// Each face maps Kind, Code and Field to its wire format in one table of its
// own (see internal/face/*/errors.go).
type Error struct {
	Kind    Kind
	Code    string // stable, machine-readable (e.g. "password_too_short")
	Message string // safe for clients, naming only canonical fields
	Field   string // the canonical name of the input field concerned, if any
	Err     error  // wrapped cause, logged once, never sent
	// Fields holds several field errors at once for validations that report
	// every problem of a request together.
	Fields []FieldError
	// Params are the values a face needs to word Message its own way,
	// keyed by canonical names (see FieldError.Params).
	Params map[string]string
	// Constraint names the storage constraint a conflict violated (the
	// store's Unique… constants), so that callers decide by constraint and
	// never by comparing field names or message text.
	Constraint string
}

// FieldError is one rule broken by one input field. Params, when the rule
// has them, are the values its message quotes, keyed by canonical names
// (for "total_mismatch": "sub_total", "shipping", "taxes", "expected" and
// "got"), so that a face can word its own message from them.
type FieldError struct {
	Field   string
	Code    string
	Message string
	Params  map[string]string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error of the given kind and code with a client-safe message.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a broken rule on one field.
func Invalid(field, code, message string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Field: field, Message: message,
		Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

// NotFound reports a missing resource. The same answer is given for resources
// of another client, so that existence never leaks across tenants.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

// Internal wraps an unexpected cause; the client sees only a generic message.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// Validation collects field errors so that a request learns every problem at
// once. The zero value is ready to use.
type Validation struct{ fields []FieldError }

// Add records one broken rule.
func (v *Validation) Add(field, code, message string) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, Message: message})
}

// AddParams records one broken rule together with the values its message
// quotes, so that a face can word the message its own way.
func (v *Validation) AddParams(field, code, message string, params map[string]string) {
	v.fields = append(v.fields, FieldError{Field: field, Code: code, Message: message, Params: params})
}

// AddError records the field errors of err if it is an invalid-kind *Error,
// and reports whether it did.
func (v *Validation) AddError(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalid {
		return false
	}
	if len(e.Fields) == 0 {
		v.AddParams(e.Field, e.Code, e.Message, e.Params)
	} else {
		v.fields = append(v.fields, e.Fields...)
	}
	return true
}

// Err returns nil when no rule was broken, or one invalid-kind *Error.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	f := v.fields[0]
	return &Error{Kind: KindInvalid, Code: f.Code, Field: f.Field, Message: f.Message, Params: f.Params, Fields: v.fields}
}

// ErrorKind returns the kind of err, KindInternal when it is not an *Error.
func ErrorKind(err error) Kind {
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns err as an *Error, wrapping unknown errors as internal. An
// error caused by a canceled context is KindCanceled whatever wraps it: the
// caller went away mid-request, which is not an internal failure to log.
func AsError(err error) *Error {
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindCanceled, Code: "canceled", Message: "the request was canceled by its caller", Err: err}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
