package transport_test

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// FuzzDecodeObject: the strict object decoder Kashpay and SekurePay read
// bodies with. Whatever it accepts is one JSON object of valid UTF-8 that
// encoding/json reads to the same members (so no member was sent twice:
// encoding/json would keep the last of two, and the members would then
// differ from a strict read); whatever it refuses is ErrNotObject or a
// duplicate_field error naming a member; it never panics.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{"amount":250,"currency":"484"}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`,
		`{"Amount":1,"amount":2}`, "{\"a\":\"\xff\"}", `[1]`, `{} {}`, `{"a":"\u0000"}`, ``, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := transport.DecodeObject(body)
		if err != nil {
			if m != nil {
				t.Fatal("members beside an error")
			}
			if errors.Is(err, transport.ErrNotObject) {
				return
			}
			e := pasarela.AsError(err)
			if e.Code != "duplicate_field" || e.Field == "" {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("invalid UTF-8 accepted: %q", body)
		}
		var loose map[string]json.RawMessage
		if err := json.Unmarshal(body, &loose); err != nil {
			t.Fatalf("accepted what encoding/json refuses: %v", err)
		}
		if len(loose) != len(m) {
			t.Fatalf("%d members, encoding/json reads %d", len(m), len(loose))
		}
		for k, v := range m {
			if lv, ok := loose[k]; !ok || string(lv) != string(v) {
				t.Fatalf("member %q: %s, encoding/json reads %s", k, v, lv)
			}
		}
	})
}
