package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/pasarela/pasarela/internal/formtoken"
	"github.com/pasarela/pasarela/internal/transport"
)

// CSRF. Every form of a signed-in user carries a token derived from the
// session's token (a SHA-256 of it under a label): another site can make a
// browser send the session cookie (SameSite=Lax stops that for POSTs in
// current browsers, not in every browser) but can never read the cookie, so
// it cannot compute the field. The token changes with each session, and
// nothing is stored for it. The sign-in form, before any session, uses the
// double-submit pattern instead: a random cookie and the same value in the
// form. Both also refuse a request whose Origin (or, lacking one, the
// browser's Sec-Fetch-Site) says it comes from another site.

const csrfField = "csrf"

// csrfFor is the form token of a session token.
func csrfFor(sessionToken string) string {
	sum := sha256.Sum256([]byte("pasarela dashboard csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validCSRF compares a form's token with the session's in constant time.
func validCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// sameOrigin reports whether a POST comes from the gateway's own pages:
// its Origin, when the browser sends one, names the host the request was
// sent to, with the scheme it arrived with.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := "http"
	if transport.Secure(r.Context()) {
		scheme = "https"
	}
	return u.Host == r.Host && u.Scheme == scheme
}

// signInForm guards the sign-in form, shown before any session, with the
// double-submit pattern (formtoken): a random cookie for the dashboard's
// paths and the same value in the form.
var signInForm = formtoken.DoubleSubmit{Cookie: "pasarela_dash_form", Path: Prefix, Field: csrfField}
