package payrest_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela/internal/face/payrest"
)

// TestTokenFormat: PayREST's tokens are HS256 JWTs with the claims they had
// before the format moved into the face, signed with the secret stored as
// "user-tokens", so tokens issued earlier keep working; one that differs
// from the format in any checked claim is refused.
func TestTokenFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := e.Clock.Now()
	for typ, tok := range map[string]string{"Bearer": e.A.Token, "Refresh": e.mustRefreshToken()} {
		header, _, _, claims := jwtParts(t, tok)
		head, _ := base64.RawURLEncoding.DecodeString(header)
		if string(head) != `{"alg":"HS256","typ":"JWT"}` {
			t.Errorf("%s header %s", typ, head)
		}
		ttl := map[string]float64{"Bearer": 300, "Refresh": 1800}[typ]
		jti, _ := claims["jti"].(string)
		if len(claims) != 7 || claims["typ"] != typ || claims["sub"] != strconv.FormatInt(e.A.AdminID, 10) ||
			claims["cid"] != e.A.ClientID || claims["iss"] != "pasarela" || claims["iat"] != float64(now.Unix()) ||
			claims["exp"] != float64(now.Unix())+ttl || len(jti) != 16 {
			t.Errorf("%s claims %v", typ, claims)
		}
	}
	key, err := e.Svc.SigningKey(context.Background(), "user-tokens", 32)
	if err != nil {
		t.Fatal(err)
	}
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"typ": "Bearer", "cid": e.A.ClientID, "sub": strconv.FormatInt(e.A.AdminID, 10),
			"iss": "pasarela", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "abcdefghijklmnop"}
		if change != nil {
			change(c)
		}
		return c
	}
	sign := func(c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	e.MustGet("/application", Bearer(sign(claims(nil))))
	for name, c := range map[string]jwt.MapClaims{
		"another issuer":     claims(func(c jwt.MapClaims) { c["iss"] = "keycloak" }),
		"no issuer":          claims(func(c jwt.MapClaims) { delete(c, "iss") }),
		"no expiry":          claims(func(c jwt.MapClaims) { delete(c, "exp") }),
		"expired":            claims(func(c jwt.MapClaims) { c["exp"] = now.Unix() }),
		"no type":            claims(func(c jwt.MapClaims) { delete(c, "typ") }),
		"another client":     claims(func(c jwt.MapClaims) { c["cid"] = e.B.ClientID }),
		"subject not a user": claims(func(c jwt.MapClaims) { c["sub"] = "admin" }),
	} {
		t.Run(name, func(t *testing.T) {
			e.For(t).Do("GET", "/application", Bearer(sign(c)), nil).ExpectUnauthorized(t)
		})
	}
}

// mustRefreshToken signs A's admin in and returns the refresh token.
func (e *env) mustRefreshToken() string {
	e.t.Helper()
	_, refresh := e.Form("/oauth/token", passwordForm(e.A.AdminLogin, testPassword)).ExpectTokens(e.t)
	return refresh
}

// TestTokenRoleChange: the user is read again on every request, so a
// change of roles applies to the next one with the same token.
func TestTokenRoleChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.MustCreateUser(e.A, "lena", "viewer")
	tok := Bearer(e.MustLogin("lena", testPassword))
	e.Do("POST", "/application", tok, appBody(map[string]any{"name": "x"})).ExpectError(t, http.StatusForbidden)
	e.Do("PATCH", userPath(e.A.ClientID, id), Bearer(e.A.Token), userBody(map[string]any{"roles": []string{"admin"}})).
		Expect(t, http.StatusOK)
	e.Do("POST", "/application", tok, appBody(map[string]any{"name": "x"})).Expect(t, http.StatusCreated)
}

// TestTokenConfig: the lifetimes are the face's settings, announced in the
// token answer and enforced by the core's clock.
func TestTokenConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *payrest.Config) { c.AccessTokenTTL, c.RefreshTokenTTL = time.Minute, 2*time.Minute })
	r := e.Form("/oauth/token", passwordForm(e.A.AdminLogin, testPassword)).Expect(t, http.StatusOK)
	if r.JSON["expires_in"] != float64(60) || r.JSON["refresh_expires_in"] != float64(120) {
		t.Fatalf("body %s", r.Body)
	}
	access, refresh := r.JSON["access_token"].(string), r.JSON["refresh_token"].(string)
	e.Clock.Advance(time.Minute - time.Second)
	e.MustGet("/application", Bearer(access))
	e.Clock.Advance(time.Second)
	e.Do("GET", "/application", Bearer(access), nil).ExpectUnauthorized(t)
	e.Clock.Advance(time.Minute - time.Second)
	r = e.Form("/oauth/token", refreshForm(refresh)).Expect(t, http.StatusOK)
	if r.JSON["expires_in"] != float64(60) {
		t.Fatalf("refreshed %s", r.Body)
	}
	e.Clock.Advance(time.Second)
	e.Form("/oauth/token", refreshForm(refresh)).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
}
