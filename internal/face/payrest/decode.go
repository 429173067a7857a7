package payrest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// decodeBody reads a PayREST request body: JSON, wrapped in its root key
// ({"application":{…}}), with no unknown fields at either level and nothing
// after the object. The server has already capped the body's size.
func decodeBody(r *http.Request, root string, dst any) error {
	_, err := readBody(r, root, dst)
	return err
}

// readBody is decodeBody that also returns the raw body, which idempotent
// requests fingerprint.
func readBody(r *http.Request, root string, dst any) ([]byte, error) {
	body, err := transport.ReadJSON(r, true)
	if err != nil {
		return nil, err
	}
	return body, decodeEnvelope(body, root, dst)
}

// decodeEnvelope is the part of decodeBody that parses; it is what the fuzz
// target drives.
func decodeEnvelope(body []byte, root string, dst any) error {
	var env map[string]json.RawMessage
	if err := strictUnmarshal(body, &env); err != nil {
		return err
	}
	if env == nil {
		return pasarela.Invalid(root, "required", `the body must be a JSON object {"`+root+`":{…}}`)
	}
	var v pasarela.Validation
	for k := range env {
		if k != root {
			v.Add(k, "unknown_field", `unknown field; the body must be {"`+root+`":{…}}`)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	inner, ok := env[root]
	if !ok || bytes.Equal(bytes.TrimSpace(inner), []byte("null")) {
		return pasarela.Invalid(root, "required", `the body must be {"`+root+`":{…}}`)
	}
	if t := bytes.TrimSpace(inner); len(t) == 0 || t[0] != '{' {
		return pasarela.Invalid(root, "type", "must be a JSON object")
	}
	return strictUnmarshal(inner, dst)
}

// strictUnmarshal decodes exactly one JSON value into dst, refusing unknown
// fields, trailing data, a member sent twice, invalid UTF-8 and a member
// whose name matches a field only when case is ignored ({"Amount":…} is an
// unknown field, never the amount): encoding/json's case folding and "last
// duplicate wins" let a proxy or audit that reads "amount" see another
// value than the one the gateway would have used. Decoder errors become
// field errors.
func strictUnmarshal(data []byte, dst any) error {
	if err := jsonv2.Unmarshal(data, dst, jsonv2.RejectUnknownMembers(true)); err != nil {
		return jsonError(reflect.TypeOf(dst), err)
	}
	return nil
}

// jsonError names what a strict decode refused, in PayREST's field errors.
func jsonError(dst reflect.Type, err error) error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn):
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) {
			return pasarela.Invalid(lastName(syn.JSONPointer), "duplicate_field", "appears more than once")
		}
		if errors.Is(syn.Err, io.ErrUnexpectedEOF) && syn.ByteOffset == 0 {
			return pasarela.Invalid("body", "json", "the body is empty or cut short")
		}
		if strings.Contains(syn.Err.Error(), "UTF-8") {
			return pasarela.Invalid("body", "json", "the body is not valid UTF-8")
		}
		return pasarela.Invalid("body", "json", "malformed JSON at byte "+strconv.FormatInt(syn.ByteOffset, 10))
	case errors.As(err, &sem):
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return pasarela.Invalid(lastName(sem.JSONPointer), "unknown_field", "unknown field")
		}
		var inner *jsontext.SyntacticError
		if errors.As(sem.Err, &inner) {
			return jsonError(dst, inner)
		}
		field := pointerField(dst, sem.JSONPointer)
		if field == "" || sem.JSONPointer == "" {
			return pasarela.Invalid("body", "json", "the body must be a JSON object")
		}
		kind := "of another type"
		var legacy *json.UnmarshalTypeError // from a field's own UnmarshalJSON (pasarela.Field)
		switch {
		case errors.As(sem.Err, &legacy) && legacy.Type != nil:
			kind = jsonTypeName(legacy.Type.Kind().String())
		case sem.GoType != nil:
			kind = jsonTypeName(sem.GoType.Kind().String())
		}
		return pasarela.Invalid(field, "type", "must be "+kind)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return pasarela.Invalid("body", "json", "the body is empty or cut short")
	}
	return pasarela.Invalid("body", "json", "invalid JSON")
}

// pointerField is the member a JSON pointer leads to, as an error names
// it: the dotted path of struct members from the decoded type
// ("gestpay.allowedIps"), array indexes skipped and stopping at a map (a
// bad metadata value is an error of "metadata"); the path goes on with the
// name the client sent where it matches no member. "body" when the path is
// empty or not text an error can show.
func pointerField(t reflect.Type, p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			t = t.Elem()
			continue
		case t != nil && t.Kind() == reflect.Map:
			if len(parts) == 0 { // a map at the top: the key is the field
				parts = append(parts, tok)
			}
			t = nil
		case t != nil && t.Kind() == reflect.Struct:
			parts = append(parts, tok)
			t = memberType(t, tok)
		default:
			if t != nil || len(parts) == 0 {
				parts = append(parts, tok)
			}
			t = nil
		}
		if t == nil {
			break
		}
	}
	name := strings.Join(parts, ".")
	if name == "" || !utf8.ValidString(name) || len(name) > 128 {
		return "body"
	}
	return name
}

// lastName is the last member name of a JSON pointer (array indexes
// skipped): the member sent twice, or the unknown one, as the client spelled
// it; "body" when there is none an error can show.
func lastName(p jsontext.Pointer) string {
	name := ""
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err != nil {
			name = tok
		}
	}
	if name == "" || !utf8.ValidString(name) || len(name) > 64 {
		return "body"
	}
	return name
}

// memberType is the type of the struct member JSON names name, seen
// through pasarela.Field[T] to T; nil when there is none.
func memberType(t reflect.Type, name string) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag != name {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Struct && strings.HasPrefix(ft.Name(), "Field[") {
			if v, ok := ft.FieldByName("Value"); ok {
				ft = v.Type
			}
		}
		return ft
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	}
	return "of another type"
}
