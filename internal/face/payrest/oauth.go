package payrest

import (
	"mime"
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// tokenJSON is the OAuth2 token response (RFC 6749 §5.1), with Keycloak's
// refresh_expires_in, since PayREST's token URL is a Keycloak realm's.
type tokenJSON struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
}

// oauthError is RFC 6749 §5.2: OAuth2 clients expect this shape from a token
// endpoint, not PayREST's.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// token serves the OAuth2 password and refresh_token grants.
func (f *Face) token(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		writeJSON(w, http.StatusUnsupportedMediaType, oauthError{"invalid_request", "Content-Type must be application/x-www-form-urlencoded"})
		return nil
	}
	if err := r.ParseForm(); err != nil {
		if transport.IsTooLarge(err) {
			writeJSON(w, http.StatusRequestEntityTooLarge, oauthError{"invalid_request", "the request body is too large"})
			return nil
		}
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "the form could not be parsed"})
		return nil
	}
	ctx := r.Context()
	form := r.PostForm
	var err error
	var t *tokenJSON
	switch form.Get("grant_type") {
	case "password":
		if form.Get("username") == "" || form.Get("password") == "" {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "username and password are required"})
			return nil
		}
		t, err = f.login(ctx, form.Get("username"), form.Get("password"), transport.ClientIP(ctx))
	case "refresh_token":
		if form.Get("refresh_token") == "" {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "refresh_token is required"})
			return nil
		}
		t, err = f.refresh(ctx, form.Get("refresh_token"))
	case "":
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "grant_type is required"})
		return nil
	default:
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "grant_type must be password or refresh_token"})
		return nil
	}
	if err != nil {
		switch pasarela.ErrorKind(err) {
		case pasarela.KindUnauthorized:
			// Keycloak, whose token URL PayREST uses, answers bad user
			// credentials with 401; a bad refresh token is RFC 6749's 400.
			status := http.StatusUnauthorized
			if form.Get("grant_type") == "refresh_token" {
				status = http.StatusBadRequest
			}
			writeJSON(w, status, oauthError{"invalid_grant", pasarela.AsError(err).Message})
		case pasarela.KindRateLimited:
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusTooManyRequests, oauthError{"slow_down", pasarela.AsError(err).Message})
		default:
			return err
		}
		return nil
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}
