package payrest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

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
// fields and trailing data, and turns decoder errors into field errors.
func strictUnmarshal(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return pasarela.Invalid("body", "json", "the body must hold a single JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return pasarela.Invalid("body", "json", "malformed JSON at byte "+strconv.FormatInt(syn.Offset, 10))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return pasarela.Invalid("body", "json", "the body must be a JSON object")
		}
		return pasarela.Invalid(field, "type", "must be "+jsonTypeName(typ.Type.Kind().String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return pasarela.Invalid("body", "json", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return pasarela.Invalid(name, "unknown_field", "unknown field")
	}
	return pasarela.Invalid("body", "json", "invalid JSON")
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
