package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/pasarela/pasarela/internal/transport"
)

// CSRF protection is the double-submit pattern: a page with a form sets a
// random cookie (HttpOnly, SameSite=Strict, only for /pay/) and puts the same
// value in a hidden field; a POST passes only when both arrive and match.
// Another site can make a browser send the cookie (not with SameSite=Strict,
// but older browsers ignore it) yet can never read it, so it cannot fill the
// field. Browsers that say a request is cross-site (Sec-Fetch-Site) are
// refused outright.
const (
	csrfCookie = "pasarela_csrf"
	csrfField  = "csrf"
	csrfBytes  = 32
)

// csrfToken returns the browser's CSRF value, setting a new cookie when it
// has none (a Strict cookie is not sent when the buyer arrives from the
// merchant's site, so the first page of a visit sets it). It must be called
// before the response's header is written.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && wellFormed(c.Value) {
		return c.Value
	}
	b := make([]byte, csrfBytes)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/pay/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: transport.Secure(r.Context())})
	return v
}

// checkCSRF reports whether a POST (its form parsed) carries the cookie and
// the same value in the form, compared in constant time.
func checkCSRF(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !wellFormed(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get(csrfField))) == 1
}

// wellFormed reports whether v could be a value csrfToken made.
func wellFormed(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == csrfBytes
}
