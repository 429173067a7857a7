// Package formtoken is the double-submit defence against cross-site
// request forgery, for forms shown before anyone has signed in (the buyer's
// checkout, the dashboard's sign-in): a page with a form sets a random
// cookie (HttpOnly, SameSite=Strict, only for the pages' path) and puts the
// same value in a hidden field; a POST passes only when both arrive and
// match. Another site can make a browser send the cookie (not with
// SameSite=Strict, but older browsers ignore it) yet can never read it, so
// it cannot fill the field. Browsers that say a request is cross-site
// (Sec-Fetch-Site) are refused outright.
package formtoken

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/pasarela/pasarela/internal/transport"
)

// size is the random bytes of a token.
const size = 32

// DoubleSubmit names the cookie, the path it is sent for, and the form field.
type DoubleSubmit struct {
	Cookie, Path, Field string
}

// Token returns the browser's token, setting a new cookie when it has none
// (a Strict cookie is not sent when the visitor arrives from another site,
// so the first page of a visit sets it). It must be called before the
// response's header is written.
func (d DoubleSubmit) Token(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(d.Cookie); err == nil && WellFormed(c.Value) {
		return c.Value
	}
	b := make([]byte, size)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: d.Cookie, Value: v, Path: d.Path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: transport.Secure(r.Context())})
	return v
}

// Check reports whether a POST (its form parsed) carries the cookie and the
// same value in the form, compared in constant time, and is not cross-site.
func (d DoubleSubmit) Check(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	c, err := r.Cookie(d.Cookie)
	if err != nil || !WellFormed(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get(d.Field))) == 1
}

// WellFormed reports whether v could be a value Token made.
func WellFormed(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == size
}
