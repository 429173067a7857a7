package kashpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

type authResponse struct {
	Token string `json:"token"`
	// Expires is the token's lifetime in milliseconds, a string as in
	// Kashpay's own answers.
	Expires string `json:"expires"`
}

// authResult is the authenticate answer: Kashpay's has no paging counters.
type authResult struct {
	Success                bool          `json:"success"`
	AuthenticationResponse *authResponse `json:"authenticationResponse"`
}

// authenticate serves POST /AuthenticationService/authenticate.
func (f *Face) authenticate(w http.ResponseWriter, r *http.Request) error {
	body, err := transport.ReadJSON(r, false)
	if err != nil {
		return err
	}
	fields, err := parseObject(body, "entity", "user", "password")
	if err != nil {
		return err
	}
	var v pasarela.Validation
	var in struct{ entity, user, password string }
	for _, x := range []struct {
		name string
		dst  *string
	}{{"entity", &in.entity}, {"user", &in.user}, {"password", &in.password}} {
		s, err := fields.text(x.name)
		if err != nil {
			v.AddError(err)
			continue
		}
		if s == "" {
			v.Add(x.name, "required", "is required")
		}
		*x.dst = s
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := r.Context()
	token, err := f.signIn(ctx, in.entity, in.user, in.password, transport.ClientIP(ctx))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, authResult{Success: true, AuthenticationResponse: &authResponse{Token: token,
		Expires: strconv.FormatInt(int64(f.cfg.TokenTTL/time.Millisecond), 10)}})
	return nil
}

// object is a decoded JSON object whose members are read one by one, each
// in the types Kashpay's own samples send it in (a reference is a number in
// one sample and a string in another).
type object map[string]json.RawMessage

var errNotObject = pasarela.Errorf(pasarela.KindInvalid, "malformed_json", "the body must be one JSON object")

// parseObject decodes exactly one JSON object strictly (no member twice,
// valid UTF-8). Kashpay ignores members it does not know, but a member
// whose name differs from a known one only in case ({"Amount":…}) is
// refused, naming it: it is never read as the known one, and a proxy that
// reads "amount" must not see another value than the gateway.
func parseObject(body []byte, known ...string) (object, error) {
	o, err := transport.DecodeObject(body)
	if errors.Is(err, transport.ErrNotObject) {
		return nil, errNotObject
	}
	if err != nil {
		return nil, err
	}
	if name := transport.CaseFolded(o, known); name != "" {
		return nil, pasarela.Invalid(name, "unknown_field", "is not a field; member names are case-sensitive")
	}
	return object(o), nil
}

// text reads a member as text: a JSON string as is, a JSON number as its
// literal digits (never through a float, so an 18-digit account keeps every
// digit). Absent and null read as "".
func (o object) text(name string) (string, error) {
	raw, ok := o[name]
	if !ok {
		return "", nil
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", pasarela.Invalid(name, "type", "must be a string or a number")
		}
		return s, nil
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		return string(raw), nil
	}
	return "", pasarela.Invalid(name, "type", "must be a string or a number")
}
