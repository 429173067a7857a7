package kashpay_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/face/kashpay"
)

// claimsOf decodes a token's header and claims.
func claimsOf(t *testing.T, token string) (string, map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	head, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		t.Fatal(err)
	}
	return string(head), claims
}

// TestSessionToken: the token is Kashpay's shape (header of the algorithm
// alone; sub, iat, exp) plus the entity, lasts 100 minutes by the core's
// clock, and every kind of tampering (alg none, HS256 with the same key, a
// changed payload, a PayREST token) is refused.
func TestSessionToken(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		token := e.MustLogin(seedEntity, seedUser)
		head, claims := claimsOf(t, token)
		if head != `{"alg":"HS512"}` {
			t.Fatalf("header %s", head)
		}
		now := e.Clock.Now()
		iat := float64(now.Unix())
		if len(claims) != 4 || claims["sub"] != seedUser || claims["iat"] != iat || claims["exp"] != iat+6000 || claims["ent"] != seedEntity {
			t.Fatalf("claims %v", claims)
		}
		// Tokens issued before the format moved to this package were signed
		// with the secret stored under this name: one made so still passes,
		// and the forgeries below fail for what they change, not by accident.
		var key []byte
		if err := e.DB.Raw.QueryRow(`SELECT secret FROM signing_keys WHERE name = 'kashpay-tokens'`).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if len(key) != 64 {
			t.Fatalf("a key of %d bytes", len(key))
		}
		sign := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
			tok, err := jwt.NewWithClaims(m, c).SignedString(k)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		good := jwt.MapClaims{"sub": seedUser, "ent": seedEntity, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if r := e.Do("GET", "/EntitiesServices/getBalance", bearer(sign(jwt.SigningMethodHS512, key, good)), ""); r.Status != 200 {
			t.Fatalf("well-made token: %d %s", r.Status, r.Body)
		}
		parts := strings.Split(token, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		changed := strings.Replace(string(payload), seedEntity, "com.betapagos", 1)
		noExp := jwt.MapClaims{"sub": seedUser, "ent": seedEntity, "iat": now.Unix()}
		otherEntity := jwt.MapClaims{"sub": seedUser, "ent": "com.betapagos", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		upperEntity := jwt.MapClaims{"sub": seedUser, "ent": "COM.CASCADE", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for name, tok := range map[string]string{
			"alg none":               sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good),
			"HS256 with the key":     sign(jwt.SigningMethodHS256, key, good),
			"HS384 with the key":     sign(jwt.SigningMethodHS384, key, good),
			"another key":            sign(jwt.SigningMethodHS512, []byte(strings.Repeat("k", 64)), good),
			"changed payload":        parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2],
			"no signature":           parts[0] + "." + parts[1] + ".",
			"no expiry":              sign(jwt.SigningMethodHS512, key, noExp),
			"user of another entity": sign(jwt.SigningMethodHS512, key, otherEntity),
			"entity in another case": sign(jwt.SigningMethodHS512, key, upperEntity),
			"PayREST access token":   e.payrestToken(),
			"garbage":                "not.a.token",
		} {
			r := e.Do("GET", "/EntitiesServices/getBalance", bearer(tok), "")
			wantError(t, name, r, 401, 1003, "")
		}
		// Expiry by the core's clock: valid until its exp, refused from then on.
		e.Clock.Advance(100*time.Minute - time.Second)
		if r := e.Do("GET", "/EntitiesServices/getBalance", bearer(token), ""); r.Status != 200 {
			t.Fatalf("a second before expiry: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(time.Second)
		wantError(t, "at expiry", e.Do("GET", "/EntitiesServices/getBalance", bearer(token), ""), 401, 1003, "")
	})
}

// payrestToken signs the seed's user in through PayREST's token endpoint,
// on the same server.
func (e *env) payrestToken() string {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {seedUser}, "password": {seedPassword}}
	res, err := http.PostForm(e.Server+"/oauth/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.AccessToken == "" {
		e.t.Fatalf("PayREST sign-in: %d %v", res.StatusCode, err)
	}
	return body.AccessToken
}

// TestSessionFollowsTheUser: the user is read again on every request, so a
// role change applies to the next one and a deleted user's token stops
// working at once.
func TestSessionFollowsTheUser(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 100_000)
		u := e.MustUser(e.Cascade, "viewer@cascadefintech.com", pasarela.RoleViewer)
		token := e.MustLogin(seedEntity, "viewer@cascadefintech.com")
		wantError(t, "viewer orders", e.Do("POST", "/OKPay/createOrder", bearer(token), sampleOrderBody), 403, 1006, "")
		if _, err := e.Svc.UpdateUser(adminOf(e.Cascade), e.Cascade, u.ID,
			core.UserInput{Roles: pasarela.Set([]pasarela.Role{pasarela.RoleManager})}, false); err != nil {
			t.Fatal(err)
		}
		if r := e.Do("POST", "/OKPay/createOrder", bearer(token), sampleOrderBody); r.Status != 200 {
			t.Fatalf("manager orders: %d %s", r.Status, r.Body)
		}
		if err := e.Svc.DeleteUser(adminOf(e.Cascade), e.Cascade, u.ID); err != nil {
			t.Fatal(err)
		}
		wantError(t, "deleted user", e.Do("GET", "/EntitiesServices/getBalance", bearer(token), ""), 401, 1003, "")
	})
}

// TestSessionLimited: failed sign-ins are limited per user, as every other
// sign-in of the gateway is, and a wrong entity counts as a failure.
func TestSessionLimited(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		for i := range 5 {
			body := `{"entity":"com.betapagos","user":"` + seedUser + `","password":"` + seedPassword + `"}`
			if i%2 == 1 {
				body = `{"entity":"` + seedEntity + `","user":"` + seedUser + `","password":"wrong-Passw0rd"}`
			}
			wantError(t, "failure", e.Do("POST", "/AuthenticationService/authenticate", nil, body), 401, 1001, "")
		}
		r := e.Do("POST", "/AuthenticationService/authenticate", nil, seedAuthBody)
		wantError(t, "after five failures", r, 429, 1002, "")
	})
}

// TestSessionConfig: the token's lifetime and the face's mount point are
// the face's own settings.
func TestSessionConfig(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		if !strings.HasSuffix(e.URL, "/onsigna") {
			t.Fatalf("mounted at %s", e.URL)
		}
		r := e.Do("POST", "/AuthenticationService/authenticate", nil, seedAuthBody)
		ar, _ := r.JSON["authenticationResponse"].(map[string]any)
		if r.Status != 200 || ar["expires"] != "600000" {
			t.Fatalf("authenticate: %d %s", r.Status, r.Body)
		}
		token := ar["token"].(string)
		if _, claims := claimsOf(t, token); claims["exp"].(float64)-claims["iat"].(float64) != 600 {
			t.Fatalf("claims %v", claims)
		}
		e.Clock.Advance(10*time.Minute - time.Second)
		if r := e.Do("GET", "/EntitiesServices/getBalance", bearer(token), ""); r.Status != 200 {
			t.Fatalf("before expiry: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(time.Second)
		wantError(t, "at expiry", e.Do("GET", "/EntitiesServices/getBalance", bearer(token), ""), 401, 1003, "")
		res, err := http.Get(e.Server + kashpay.DefaultPrefix + "/EntitiesServices/getBalance")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("the default prefix answers %d", res.StatusCode)
		}
	}, func(c *kashpay.Config) { c.TokenTTL = 10 * time.Minute; c.Prefix = "/onsigna/" })
}
