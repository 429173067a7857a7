package payrest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// authedRoutes is one request on every route that needs credentials.
func authedRoutes(e *env) []struct{ method, path string } {
	return []struct{ method, path string }{
		{"GET", "/application"},
		{"POST", "/application"},
		{"GET", appPath(e.A.AppID)},
		{"PUT", appPath(e.A.AppID)},
		{"PATCH", appPath(e.A.AppID)},
		{"DELETE", appPath(e.A.AppID)},
		{"POST", appPath(e.A.AppID) + "/recreate-key"},
		{"GET", usersPath(e.A.ClientID)},
		{"POST", usersPath(e.A.ClientID)},
		{"GET", userPath(e.A.ClientID, e.A.AdminID)},
		{"PUT", userPath(e.A.ClientID, e.A.AdminID)},
		{"PATCH", userPath(e.A.ClientID, e.A.AdminID)},
		{"DELETE", userPath(e.A.ClientID, e.A.AdminID)},
	}
}

// ExpectUnauthorized fails unless r is a PayREST 401 that asks for a Bearer token.
func (r *resp) ExpectUnauthorized(t *testing.T) *resp {
	t.Helper()
	r.ExpectError(t, http.StatusUnauthorized)
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Fatalf("WWW-Authenticate %q", got)
	}
	return r
}

// TestCredentials: requests without valid credentials get 401 with
// WWW-Authenticate, on every route, whatever is wrong with them.
func TestCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := appBody(map[string]any{"name": "x"})
	for _, rt := range authedRoutes(e) {
		t.Run("none "+rt.method+" "+rt.path, func(t *testing.T) {
			e.For(t).Do(rt.method, rt.path, NoAuth, body).ExpectUnauthorized(t)
		})
	}

	aKey := e.A.AppKey
	flipped := []byte(aKey)
	flipped[len(flipped)-1] ^= 1 // same prefix, wrong secret
	bad := map[string]map[string]string{
		"garbage key":                             {"X-Auth-Token": "garbage"},
		"empty-ish key":                           {"X-Auth-Token": " "},
		"key one character short":                 {"X-Auth-Token": aKey[:len(aKey)-1]},
		"key one character long":                  {"X-Auth-Token": aKey + "a"},
		"key with the wrong secret":               {"X-Auth-Token": string(flipped)},
		"key of the right length without the tag": {"X-Auth-Token": "xxx_" + aKey[4:]},
		"key prefix only":                         {"X-Auth-Token": aKey[:16]},
		"key in upper case":                       {"X-Auth-Token": strings.ToUpper(aKey)},
		"key with SQL":                            {"X-Auth-Token": "psk_' OR '1'='1' --" + strings.Repeat("a", 29)},
		"key as a bearer token":                   {"Authorization": "Bearer " + aKey},
		"basic auth":                              {"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(e.A.AdminLogin+":"+testPassword))},
		"token scheme":                            {"Authorization": "Token " + e.A.Token},
		"bearer without token":                    {"Authorization": "Bearer"},
		"bearer with blank token":                 {"Authorization": "Bearer    "},
		"no scheme":                               {"Authorization": e.A.Token},
		"bearer garbage":                          {"Authorization": "Bearer garbage"},
		"bearer with two tokens":                  {"Authorization": "Bearer " + e.A.Token + " " + e.A.Token},
		"bearer glued":                            {"Authorization": "Bearer" + e.A.Token},
		"good token, bad key: the key counts":     {"X-Auth-Token": "garbage", "Authorization": "Bearer " + e.A.Token},
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			r := e.For(t).Header("GET", "/application", h).ExpectUnauthorized(t)
			if strings.Contains(string(r.Body), aKey) || strings.Contains(string(r.Body), e.A.Token) {
				t.Errorf("the answer echoes the credential: %s", r.Body)
			}
		})
	}
	good := map[string]map[string]string{
		"key":                      {"X-Auth-Token": aKey},
		"key with spaces":          {"X-Auth-Token": "  " + aKey + " "},
		"bearer":                   {"Authorization": "Bearer " + e.A.Token},
		"bearer in lower case":     {"Authorization": "bearer " + e.A.Token},
		"bearer with extra spaces": {"Authorization": "Bearer   " + e.A.Token},
	}
	for name, h := range good {
		t.Run(name, func(t *testing.T) {
			e.For(t).Header("GET", "/application", h).Expect(t, http.StatusOK)
		})
	}
	t.Run("public routes need nothing", func(t *testing.T) {
		e.For(t).Do("GET", "/openapi/payrest.json", NoAuth, nil).Expect(t, http.StatusOK)
	})
}

// tokenPaths are the two token endpoints.
var tokenPaths = []string{"/oauth/token", "/auth/realms/anything/protocol/openid-connect/token",
	"/auth/realms/production/protocol/openid-connect/token"}

// passwordForm is a password grant.
func passwordForm(username, password string) string {
	return url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}}.Encode()
}

// refreshForm is a refresh_token grant.
func refreshForm(token string) string {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}.Encode()
}

// ExpectTokens fails unless r is a successful OAuth2 token response, and
// returns its access and refresh tokens.
func (r *resp) ExpectTokens(t *testing.T) (access, refresh string) {
	t.Helper()
	r.Expect(t, http.StatusOK)
	access, _ = r.JSON["access_token"].(string)
	refresh, _ = r.JSON["refresh_token"].(string)
	if access == "" || refresh == "" || access == refresh {
		t.Fatalf("tokens in %s", r.Body)
	}
	if r.JSON["token_type"] != "Bearer" || r.JSON["expires_in"] != float64(300) || r.JSON["refresh_expires_in"] != float64(1800) {
		t.Fatalf("body %s", r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store (RFC 6749 §5.1)", cc)
	}
	return access, refresh
}

// ExpectOAuthError fails unless r is an RFC 6749 §5.2 error with the status
// and error code.
func (r *resp) ExpectOAuthError(t *testing.T, status int, code string) *resp {
	t.Helper()
	r.Expect(t, status)
	if r.JSON["error"] != code {
		t.Fatalf("error %v, want %s; body %s", r.JSON["error"], code, r.Body)
	}
	if d, _ := r.JSON["error_description"].(string); d == "" {
		t.Fatalf("no error_description: %s", r.Body)
	}
	if _, ok := r.JSON["access_token"]; ok {
		t.Fatalf("an error with a token: %s", r.Body)
	}
	return r
}

// TestTokenEndpoint covers the OAuth2 password and refresh_token grants.
func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.MustCreateUser(e.A, "hank", "viewer")
	for _, path := range tokenPaths {
		t.Run(path, func(t *testing.T) {
			e := e.For(t)
			access, refresh := e.Form(path, passwordForm("hank", testPassword)).ExpectTokens(t)
			e.MustGet(appPath(e.A.AppID), Bearer(access))
			// The refresh token is refused as an access token.
			e.Do("GET", "/application", Bearer(refresh), nil).ExpectUnauthorized(t)
			// The refresh grant gives a new pair that works.
			access2, refresh2 := e.Form(path, refreshForm(refresh)).ExpectTokens(t)
			e.MustGet(appPath(e.A.AppID), Bearer(access2))
			e.Form(path, refreshForm(refresh2)).ExpectTokens(t)
			// An access token is refused as a refresh token.
			e.Form(path, refreshForm(access)).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
			e.Form(path, refreshForm("garbage")).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		})
	}
	t.Run("sign in by email, any case, surrounding spaces", func(t *testing.T) {
		e.For(t).Form("/oauth/token", passwordForm(" HANK@example.com ", testPassword)).ExpectTokens(t)
	})
	t.Run("the password is case-sensitive", func(t *testing.T) {
		e.For(t).Form("/oauth/token", passwordForm("hank", strings.ToUpper(testPassword))).
			ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
	})

	t.Run("wrong password and unknown user look the same", func(t *testing.T) {
		e := e.For(t)
		wrong := e.Form("/oauth/token", passwordForm("hank", "Wrong-passw0rd!")).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
		unknown := e.Form("/oauth/token", passwordForm("nobody-here", "Wrong-passw0rd!")).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
		if string(wrong.Body) != string(unknown.Body) {
			t.Errorf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
		}
		for _, h := range []string{"Content-Type", "WWW-Authenticate", "Cache-Control"} {
			if wrong.Header.Get(h) != unknown.Header.Get(h) {
				t.Errorf("%s differs: %q vs %q", h, wrong.Header.Get(h), unknown.Header.Get(h))
			}
		}
	})

	bad := []struct {
		name   string
		form   string
		status int
		code   string
	}{
		{"unsupported grant", "grant_type=client_credentials&client_id=x&client_secret=y", 400, "unsupported_grant_type"},
		{"authorization_code grant", "grant_type=authorization_code&code=x", 400, "unsupported_grant_type"},
		{"grant in the wrong case", "grant_type=PASSWORD&username=hank&password=" + url.QueryEscape(testPassword), 400, "unsupported_grant_type"},
		{"no grant", "username=hank&password=" + url.QueryEscape(testPassword), 400, "invalid_request"},
		{"no username", "grant_type=password&password=" + url.QueryEscape(testPassword), 400, "invalid_request"},
		{"no password", "grant_type=password&username=hank", 400, "invalid_request"},
		{"empty password", "grant_type=password&username=hank&password=", 400, "invalid_request"},
		{"no refresh token", "grant_type=refresh_token", 400, "invalid_request"},
		{"malformed form", "grant_type=password&username=%zz", 400, "invalid_request"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Form("/oauth/token", tc.form).ExpectOAuthError(t, tc.status, tc.code)
		})
	}
	t.Run("credentials in the query string are not read", func(t *testing.T) {
		e.For(t).Raw("POST", "/oauth/token?"+passwordForm("hank", testPassword), NoAuth,
			"application/x-www-form-urlencoded", nil).ExpectOAuthError(t, http.StatusBadRequest, "invalid_request")
	})
	for _, ct := range []string{"application/json", "", "text/plain", "multipart/form-data; boundary=x"} {
		t.Run("Content-Type "+ct, func(t *testing.T) {
			body := `{"grant_type":"password","username":"hank","password":"` + testPassword + `"}`
			if ct != "application/json" {
				body = passwordForm("hank", testPassword)
			}
			e.For(t).Raw("POST", "/oauth/token", NoAuth, ct, []byte(body)).
				ExpectOAuthError(t, http.StatusUnsupportedMediaType, "invalid_request")
		})
	}
	t.Run("form with charset", func(t *testing.T) {
		e.For(t).Raw("POST", "/oauth/token", NoAuth, "application/x-www-form-urlencoded; charset=UTF-8",
			[]byte(passwordForm("hank", testPassword))).ExpectTokens(t)
	})
	t.Run("oversized form", func(t *testing.T) {
		e.For(t).Raw("POST", "/oauth/token", NoAuth, "application/x-www-form-urlencoded",
			[]byte("grant_type=password&username=hank&password="+strings.Repeat("a", 70<<10))).
			ExpectOAuthError(t, http.StatusRequestEntityTooLarge, "invalid_request")
	})
}

// TestTokenExpiry: access tokens last 5 minutes, refresh tokens 30.
func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	access, refresh := e.Form("/oauth/token", passwordForm(e.A.AdminLogin, testPassword)).ExpectTokens(t)

	e.Clock.Advance(5*time.Minute - time.Second)
	e.MustGet("/application", Bearer(access))
	e.Clock.Advance(2 * time.Second) // 5 min 1 s
	e.Do("GET", "/application", Bearer(access), nil).ExpectUnauthorized(t)
	e.Do("GET", "/application", Bearer(e.A.Token), nil).ExpectUnauthorized(t) // the harness's token too

	access2, _ := e.Form("/oauth/token", refreshForm(refresh)).ExpectTokens(t)
	e.MustGet("/application", Bearer(access2))

	e.Clock.Advance(30*time.Minute - 5*time.Minute - 2*time.Second) // 29 min 59 s
	e.Form("/oauth/token", refreshForm(refresh)).ExpectTokens(t)
	e.Clock.Advance(2 * time.Second) // 30 min 1 s
	e.Form("/oauth/token", refreshForm(refresh)).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
	// Application keys do not expire.
	e.MustGet("/application", Key(e.A.AppKey))
}

// jwtParts splits a token and decodes its payload.
func jwtParts(t *testing.T, token string) (header, payload, sig string, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return parts[0], parts[1], parts[2], claims
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// flipChar replaces the character at i of a base64url string with another
// base64url character.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// flipUnusedBits changes the last character of an unpadded base64url
// encoding of 32 bytes only in the 2 bits that encode nothing.
func flipUnusedBits(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i^1])
}

// TestTamperedTokens: a token that the gateway did not sign as it is, or
// that names another user, is refused.
func TestTamperedTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.A.Token
	header, payload, sig, claims := jwtParts(t, tok)

	// The same claims, pointed at tenant B's admin.
	forged := map[string]any{}
	for k, v := range claims {
		forged[k] = v
	}
	forged["sub"] = strconv.FormatInt(e.B.AdminID, 10)
	forged["cid"] = e.B.ClientID
	forgedPayload := b64JSON(t, forged)

	none := b64JSON(t, map[string]any{"alg": "none", "typ": "JWT"})
	wrongKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims)).SignedString([]byte("not the secret"))
	if err != nil {
		t.Fatal(err)
	}
	refreshTyp := map[string]any{}
	for k, v := range claims {
		refreshTyp[k] = v
	}
	refreshTyp["typ"] = "Refresh"

	tampered := map[string]string{
		"signature char flipped (first)":  header + "." + payload + "." + flipChar(sig, 0),
		"signature char flipped (middle)": header + "." + payload + "." + flipChar(sig, len(sig)/2),
		"signature char flipped (last)":   header + "." + payload + "." + flipChar(sig, len(sig)-1),
		// HS256's 32 bytes take 43 base64url characters whose last 2 bits
		// carry nothing; a lenient decoder would accept this as the same
		// signature, so one token would have several spellings.
		"signature's unused bits set": header + "." + payload + "." + flipUnusedBits(sig),
		"signature dropped":           header + "." + payload + ".",
		"signature missing":           header + "." + payload,
		"signature padded":            header + "." + payload + "." + sig + "=",
		"payload names B's admin":     header + "." + forgedPayload + "." + sig,
		"alg none, no signature":      none + "." + forgedPayload + ".",
		"alg none, own claims":        none + "." + payload + ".",
		"alg none, old signature":     none + "." + payload + "." + sig,
		"signed with another key":     wrongKey,
		"type changed to refresh":     header + "." + b64JSON(t, refreshTyp) + "." + sig,
		"extra segment":               tok + ".x",
		"not base64":                  "!!!.???.***",
		"empty parts":                 "..",
	}
	for name, bad := range tampered {
		t.Run(name, func(t *testing.T) {
			e.For(t).Do("GET", "/application", Bearer(bad), nil).ExpectUnauthorized(t)
			e.For(t).Form("/oauth/token", refreshForm(bad)).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		})
	}
	e.MustGet("/application", Bearer(tok)) // the original still works
}

// TestDeletedUserToken: deleting a user ends its tokens at once.
func TestDeletedUserToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.MustCreateUser(e.A, "ivan", "viewer")
	access, refresh := e.Form("/oauth/token", passwordForm("ivan", testPassword)).ExpectTokens(t)
	e.MustGet("/application", Bearer(access))
	e.Do("DELETE", userPath(e.A.ClientID, id), Bearer(e.A.Token), nil).Expect(t, http.StatusNoContent)
	e.Do("GET", "/application", Bearer(access), nil).ExpectUnauthorized(t)
	e.Form("/oauth/token", refreshForm(refresh)).ExpectOAuthError(t, http.StatusBadRequest, "invalid_grant")
	// A new user with the same name does not inherit the old tokens.
	e.MustCreateUser(e.A, "ivan", "admin")
	e.Do("GET", "/application", Bearer(access), nil).ExpectUnauthorized(t)
}

// TestLoginRateLimit: repeated failed sign-ins for one user are refused for
// a while, even with the right password; other users are not affected.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.MustCreateUser(e.A, "jill", "viewer")
	e.MustCreateUser(e.A, "kate", "viewer")
	for i := 0; i < 5; i++ {
		e.Form("/oauth/token", passwordForm("jill", "Wrong-passw0rd!")).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
	}
	r := e.Form("/oauth/token", passwordForm("jill", "Wrong-passw0rd!"))
	r.Expect(t, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	if _, ok := r.JSON["access_token"]; ok {
		t.Fatalf("429 with a token: %s", r.Body)
	}
	// The right password is refused too while the lockout lasts, in any case of the name.
	e.Form("/oauth/token", passwordForm("jill", testPassword)).Expect(t, http.StatusTooManyRequests)
	e.Form("/oauth/token", passwordForm("JILL", testPassword)).Expect(t, http.StatusTooManyRequests)
	// Another user signs in as usual.
	e.Form("/oauth/token", passwordForm("kate", testPassword)).ExpectTokens(t)
	// An unknown name is limited the same way, so the limit tells nothing.
	for i := 0; i < 5; i++ {
		e.Form("/oauth/token", passwordForm("ghost", "Wrong-passw0rd!")).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
	}
	e.Form("/oauth/token", passwordForm("ghost", "Wrong-passw0rd!")).Expect(t, http.StatusTooManyRequests)

	e.Clock.Advance(2 * time.Minute)
	e.Form("/oauth/token", passwordForm("jill", testPassword)).ExpectTokens(t)
}
