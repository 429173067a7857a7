package payrest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
)

// requireInvalid fails unless err is nil or an invalid-kind *pasarela.Error
// that names a field and says something.
func requireInvalid(t *testing.T, input string, err error) *pasarela.Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *pasarela.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T %v is not a *pasarela.Error", input, err, err)
	}
	if e.Kind != pasarela.KindInvalid {
		t.Fatalf("%q: kind %v, want invalid (%v)", input, e.Kind, err)
	}
	if e.Message == "" || len(e.Fields) == 0 {
		t.Fatalf("%q: error without message or fields: %+v", input, e)
	}
	for _, f := range e.Fields {
		if f.Message == "" {
			t.Fatalf("%q: field error without message: %+v", input, e)
		}
	}
	return e
}

// FuzzDecodeEnvelope drives the PayREST body parser with arbitrary bytes: it
// never panics, and every refusal is an invalid-kind error.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"application":{"name":"Shop","url":"https://shop.example","logo":"https://shop.example/l.png"}}`,
		`{"application":{}}`,
		`{"application":{"name":null,"url":null}}`,
		`{"application":{"name":5}}`,
		`{"application":{"name":["x"]}}`,
		`{"application":{"name":{"a":1}}}`,
		`{"application":{"name":"x","extra":1}}`,
		`{"application":{"NAME":"x"}}`,
		`{"application":{"name":"a","name":"b"}}`,
		`{"application":null}`,
		`{"application":[]}`,
		`{"application":"x"}`,
		`{"application":{},"other":{}}`,
		`{"other":{}}`,
		`{"name":"x"}`,
		`{}`,
		`null`,
		`[]`,
		`[{"application":{}}]`,
		`"application"`,
		`5`,
		`true`,
		``,
		` `,
		`{`,
		`{"application":`,
		`{"application":{"name":"x"}`,
		`{"application":{"name":"x",}}`,
		`{"application":{}}{}`,
		`{"application":{}} x`,
		`{"application":{}}]`,
		`{"application":{"name":"\u0000"}}`,
		`{"application":{"name":"\ud800"}}`,
		"{\"application\":{\"name\":\"\xff\xfe\"}}",
		`{"application":{"name":"x"}}` + "\n\t ",
		`{"application":{"name":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`,
		`{"application":{"url":1e999}}`,
		`{"application":{"logo":-0}}`,
		`{"application" :  { "name" : "x" } }`,
		"\xef\xbb\xbf{\"application\":{}}",
		`{"application":{"gestpay":{"positiveUrl":"https://shop.example/ok","allowedIps":["127.0.0.1/32"],"requireApiKey":true,"languageId":"1"}}}`,
		`{"application":{"gestpay":null}}`,
		`{"application":{"gestpay":{}}}`,
		`{"application":{"gestpay":{"languageId":"9"}}}`,
		`{"application":{"gestpay":{"languageId":1}}}`,
		`{"application":{"gestpay":{"allowedIps":"127.0.0.1"}}}`,
		`{"application":{"gestpay":{"allowedIps":[1]}}}`,
		`{"application":{"gestpay":{"requireApiKey":"true"}}}`,
		`{"application":{"gestpay":{"shopLogin":"x"}}}`,
		`{"application":{"gestpay":[]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var form applicationForm
		err := decodeEnvelope(body, "application", &form)
		requireInvalid(t, string(body), err)
		if err != nil {
			return
		}
		// An accepted body is one JSON object whose only key is the root,
		// holding an object.
		var env map[string]json.RawMessage
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("%q accepted, but it is not a JSON object: %v", body, err)
		}
		inner, ok := env["application"]
		if len(env) != 1 || !ok || !bytes.HasPrefix(bytes.TrimSpace(inner), []byte("{")) {
			t.Fatalf("%q accepted", body)
		}
		for _, f := range []pasarela.Field[string]{form.Name, form.URL, form.Logo} {
			if f.Value != nil && !f.Present {
				t.Fatalf("%q: a value without presence", body)
			}
		}
		// Reading the gestpay object (its language id) refuses only with
		// an invalid-kind error too.
		_, err = form.input()
		requireInvalid(t, string(body), err)
	})
}

// FuzzListOptions drives the paging and sort parser with arbitrary query
// strings: it never panics, accepts only plain field names and sane
// numbers, and every refusal is an invalid-kind error.
func FuzzListOptions(f *testing.F) {
	for _, seed := range []string{
		"",
		"limit=10&offset=0&sort=id_asc",
		"limit=100",
		"limit=0",
		"limit=101",
		"limit=-1",
		"limit=x",
		"limit=1.5",
		"limit=+5",
		"limit=99999999999999999999",
		"offset=-1",
		"offset=9223372036854775807",
		"sort=name_desc,id",
		"sort=createdAt_DESC",
		"sort=id;DROP TABLE users",
		"sort=name_desc,(select 1)",
		"sort=id_asc--",
		"sort=_asc",
		"sort=id_",
		"sort=,",
		"sort=a,b,c,d,e,f",
		"sort=%00",
		"sort=n%C3%A1me",
		"sort=" + strings.Repeat("a", 41),
		"sort=a_b_asc",
		"sort=%20id%20_%20asc",
		"sort=id&sort=name",
		"limit=5&limit=x",
		"name=%25&sort=id",
		"%zz=1",
		"sort=id\x00_asc",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // what parsed is what a handler sees
		opts, err := listOptions(q)
		if e := requireInvalid(t, raw, err); e != nil {
			return
		}
		if opts.Limit < 0 || opts.Offset < 0 {
			t.Fatalf("%q: limit %d offset %d", raw, opts.Limit, opts.Offset)
		}
		if len(opts.Sort) > maxSortKeys {
			t.Fatalf("%q: %d sort keys", raw, len(opts.Sort))
		}
		for _, s := range opts.Sort {
			if _, ok := wireFields[s.Field]; ok {
				continue // a PayREST name, now the core's
			}
			// Any other name is the client's as sent, marked when it
			// spells a core name PayREST does not use.
			name := strings.TrimPrefix(s.Field, notPayREST)
			if name == "" || len(name) > 40 {
				t.Fatalf("%q: sort field %q", raw, s.Field)
			}
			for _, r := range name {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
					t.Fatalf("%q: sort field %q holds %q", raw, s.Field, r)
				}
			}
		}
	})
}
