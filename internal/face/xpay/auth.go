package xpay

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// xpay's tokens are Django REST Framework's: 40 lowercase hexadecimal
// characters (20 random bytes from crypto/rand), sent as "Authorization:
// Token <key>". The format lives here; the core keeps only a hash of each
// token and says whose it is.
const tokenBytes = 20

func newToken() string {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// validToken reports whether s has the format of a token this face makes,
// so that anything else is refused without a database read.
func validToken(s string) bool {
	if len(s) != 2*tokenBytes {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

type loginResponse struct {
	Key string `json:"key"`
}

// login serves POST auth/login/: {email, password} (JSON or a form) →
// {"key": …}. A wrong email or password, and an unknown user, get the
// core's one answer; the login may be the user name too.
func (f *Face) login(w http.ResponseWriter, r *http.Request) error {
	in, err := readForm(r, "email", "password")
	if err != nil {
		return err
	}
	var v pasarela.Validation
	var email, password string
	for _, x := range []struct {
		name string
		dst  *string
	}{{"email", &email}, {"password", &password}} {
		s, err := in.str(x.name)
		switch {
		case err != nil:
			v.AddError(err)
		case s == nil:
			v.Add(x.name, "required", "This field is required.")
		case strings.TrimSpace(*s) == "":
			v.Add(x.name, "empty", "This field may not be blank.")
		default:
			*x.dst = *s
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := r.Context()
	id, err := f.svc.CheckCredentials(ctx, email, password, transport.ClientIP(ctx))
	if err != nil {
		// Wrong credentials get DRF's one answer; a user with a second
		// factor is told to use a code on the dashboard or a key instead.
		if e := pasarela.AsError(err); e.Kind == pasarela.KindUnauthorized && e.Code != core.ErrSecondFactorRequired.Code {
			return pasarela.Errorf(pasarela.KindUnauthorized, "invalid_grant", "Unable to log in with provided credentials.")
		}
		return err
	}
	key := newToken()
	if err := f.svc.KeepUserToken(ctx, id, key); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loginResponse{Key: key})
	return nil
}

// logout serves POST auth/logout/: the token used is revoked.
func (f *Face) logout(w http.ResponseWriter, r *http.Request) error {
	_, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if err := f.svc.RevokeUserToken(r.Context(), strings.TrimSpace(key)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"detail": "Successfully logged out."})
	return nil
}
