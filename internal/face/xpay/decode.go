package xpay

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// form is a request body's members by name, from a JSON object or from an
// urlencoded or multipart form (the seed's password sample posts -F
// fields). JSON is read strictly: exactly one object, no member twice, valid
// UTF-8, and no member whose name differs from a known one only in case
// ({"Amount":…} beside or instead of "amount" is refused, never guessed).
// Members the face does not know are ignored, as xpay's own server did.
type form struct {
	raw    []byte // the body as sent
	json   map[string]jsontext.Value
	values map[string]string
}

// maxFormFields bounds a form's members, whatever its encoding.
const maxFormFields = 64

var errNotObject = pasarela.Errorf(pasarela.KindInvalid, "malformed_json", "The body must be one JSON object.")

// readForm reads the body of r (the server has capped its size) as a form
// with the members known.
func readForm(r *http.Request, known ...string) (*form, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if transport.IsTooLarge(err) {
			return nil, pasarela.Errorf(pasarela.KindTooLarge, "too_large", "The request body is too large.")
		}
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_json", "Could not read the request body.")
	}
	ct := r.Header.Get("Content-Type")
	if len(bytes.TrimSpace(body)) == 0 {
		// An empty body is an empty form whatever its type (the plugins'
		// cancel posts nothing with a JSON Content-Type).
		return &form{values: map[string]string{}}, nil
	}
	mt, params, perr := mime.ParseMediaType(ct)
	var f *form
	switch {
	case ct == "" || perr == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")):
		f, err = decodeJSONForm(body, known)
	case perr == nil && mt == "application/x-www-form-urlencoded":
		f, err = decodeURLForm(body)
	case perr == nil && mt == "multipart/form-data":
		f, err = decodeMultipart(body, params["boundary"])
	default:
		return nil, pasarela.Errorf(pasarela.KindUnsupportedMedia, "content_type",
			"Unsupported media type %q: send application/json, application/x-www-form-urlencoded or multipart/form-data.", ct)
	}
	if err != nil {
		return nil, err
	}
	f.raw = body
	return f, nil
}

// decodeJSONForm parses exactly one JSON object strictly (see form).
func decodeJSONForm(body []byte, known []string) (*form, error) {
	var m map[string]jsontext.Value
	if err := jsonv2.Unmarshal(body, &m); err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName) {
			name := strings.Trim(string(se.JSONPointer.LastToken()), `"`)
			return nil, pasarela.Invalid(fieldName(name), "duplicate_field", "The field appears more than once.")
		}
		return nil, errNotObject
	}
	if m == nil {
		return nil, errNotObject
	}
	if len(m) > maxFormFields {
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_json", "The body has too many fields.")
	}
	for name := range m {
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return nil, pasarela.Invalid(fieldName(name), "type", "Unknown field; the field is spelled \""+k+"\".")
			}
		}
	}
	return &form{json: m}, nil
}

// fieldName is a client's member name as an error may show it.
func fieldName(s string) string {
	if !utf8.ValidString(s) || len(s) > 64 || s == "" {
		return "all"
	}
	return s
}

// decodeURLForm parses an urlencoded body; a field sent twice is refused.
func decodeURLForm(body []byte) (*form, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The form body cannot be read.")
	}
	return valuesForm(q)
}

func valuesForm(q map[string][]string) (*form, error) {
	if len(q) > maxFormFields {
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The form has too many fields.")
	}
	f := &form{values: make(map[string]string, len(q))}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, pasarela.Invalid(fieldName(k), "duplicate_field", "The field appears more than once.")
		}
		if !utf8.ValidString(vs[0]) {
			return nil, pasarela.Invalid(fieldName(k), "type", "The field is not valid UTF-8 text.")
		}
		f.values[k] = vs[0]
	}
	return f, nil
}

// decodeMultipart parses a multipart/form-data body of text fields (curl
// -F name=value); a file part is refused.
func decodeMultipart(body []byte, boundary string) (*form, error) {
	if boundary == "" {
		return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The multipart body has no boundary.")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	q := map[string][]string{}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil || n >= maxFormFields {
			return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The multipart body cannot be read.")
		}
		name := p.FormName()
		if name == "" || p.FileName() != "" {
			return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The multipart body may hold only text fields.")
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, pasarela.Errorf(pasarela.KindInvalid, "malformed_form", "The multipart body cannot be read.")
		}
		q[name] = append(q[name], string(v))
	}
	return valuesForm(q)
}

// has reports whether the member is present and not null.
func (f *form) has(name string) bool {
	if f.json != nil {
		v, ok := f.json[name]
		return ok && v.Kind() != 'n'
	}
	_, ok := f.values[name]
	return ok
}

// str reads a member that must be a string: nil when absent or null.
func (f *form) str(name string) (*string, error) {
	if f.json == nil {
		v, ok := f.values[name]
		if !ok {
			return nil, nil
		}
		return &v, nil
	}
	v, ok := f.json[name]
	if !ok || v.Kind() == 'n' {
		return nil, nil
	}
	if v.Kind() != '"' {
		return nil, pasarela.Invalid(name, "type", "Must be a string.")
	}
	var s string
	if err := jsonv2.Unmarshal(v, &s); err != nil {
		return nil, pasarela.Invalid(name, "type", "Must be a string.")
	}
	return &s, nil
}

// numberText reads a member that is a number, sent as a JSON number or as
// a string of one (the plugins send exchange_id "1"): its literal text,
// never through a float, so 150000.30000000002 reaches the core as
// written. Absent and null read as "" with ok false.
func (f *form) numberText(name string) (text string, ok bool, err error) {
	if f.json == nil {
		v, present := f.values[name]
		return strings.TrimSpace(v), present, nil
	}
	v, present := f.json[name]
	if !present || v.Kind() == 'n' {
		return "", false, nil
	}
	switch v.Kind() {
	case '0':
		return string(bytes.TrimSpace(v)), true, nil
	case '"':
		var s string
		if err := jsonv2.Unmarshal(v, &s); err != nil {
			return "", true, pasarela.Invalid(name, "type", "Must be a number.")
		}
		return strings.TrimSpace(s), true, nil
	}
	return "", true, pasarela.Invalid(name, "type", "Must be a number.")
}
