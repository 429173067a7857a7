package core_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestEntityLogin: a user signs in with its client's entity code, its email
// and its password; every wrong part gets the same answer.
func TestEntityLogin(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		code, email := e.A.Client.Code, e.A.Admin.Email
		s, err := e.svc.EntityLogin(e.ctx, code, email, coretest.Password, "198.51.100.1")
		if err != nil {
			t.Fatal(err)
		}
		if s.Expires != 100*time.Minute {
			t.Fatalf("lifetime %v, want 100m", s.Expires)
		}
		// Kashpay's token shape: header {"alg":"HS512"}, claims sub, iat, exp.
		parts := strings.Split(s.Token, ".")
		head, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if string(head) != `{"alg":"HS512"}` {
			t.Fatalf("header %s", head)
		}
		var claims map[string]any
		body, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if err := json.Unmarshal(body, &claims); err != nil {
			t.Fatal(err)
		}
		now := float64(coretest.Start.Unix())
		if claims["sub"] != email || claims["iat"] != now || claims["exp"] != now+6000 || claims["ent"] != code {
			t.Fatalf("claims %v", claims)
		}
		p, ent, err := e.svc.AuthenticateEntityToken(e.ctx, s.Token)
		if err != nil || ent != code || p.ClientID != e.A.Client.ID || p.UserID != e.A.Admin.ID || !p.HasRole(pasarela.RoleAdmin) {
			t.Fatalf("authenticate: %+v %s %v", p, ent, err)
		}
		// Case and blanks do not matter in the entity and the email.
		if _, err := e.svc.EntityLogin(e.ctx, " "+strings.ToUpper(code), strings.ToUpper(email), coretest.Password, "198.51.100.1"); err != nil {
			t.Fatalf("upper case: %v", err)
		}
		for _, tc := range []struct{ name, entity, user, password string }{
			{"another entity", e.B.Client.Code, email, coretest.Password},
			{"unknown entity", "com.nobody", email, coretest.Password},
			{"no entity", "", email, coretest.Password},
			{"wrong password", code, email, coretest.Password + "x"},
			{"unknown user", code, "nobody@example.com", coretest.Password},
			{"no password", code, email, ""},
		} {
			_, err := e.svc.EntityLogin(e.ctx, tc.entity, tc.user, tc.password, "198.51.100.2")
			wantErr(t, tc.name, err, pasarela.KindUnauthorized, "invalid_grant")
		}
	})
}

// TestEntityLoginLimited: failed sign-ins are limited per user, as every
// other sign-in is.
func TestEntityLoginLimited(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		for i := range 5 {
			_, err := e.svc.EntityLogin(e.ctx, e.A.Client.Code, e.A.Admin.Email, "wrong-password", "198.51.100.3")
			wantErr(t, "attempt "+string(rune('1'+i)), err, pasarela.KindUnauthorized, "invalid_grant")
		}
		_, err := e.svc.EntityLogin(e.ctx, e.A.Client.Code, e.A.Admin.Email, coretest.Password, "198.51.100.3")
		wantErr(t, "after five failures", err, pasarela.KindRateLimited, "too_many_attempts")
	})
}

// TestEntityToken: expiry by the core's clock, and every kind of tampering
// (alg none, HS256 with the same key, a changed payload, a PayREST token)
// is refused.
func TestEntityToken(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s, err := e.svc.EntityLogin(e.ctx, e.A.Client.Code, e.A.Admin.Email, coretest.Password, "198.51.100.1")
		if err != nil {
			t.Fatal(err)
		}
		var key []byte
		if err := e.db.Raw.QueryRow(`SELECT secret FROM signing_keys WHERE name = 'kashpay-tokens'`).Scan(&key); err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		claims := jwt.MapClaims{"sub": e.A.Admin.Email, "ent": e.A.Client.Code, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		sign := func(m jwt.SigningMethod, k any, c jwt.MapClaims) string {
			tok, err := jwt.NewWithClaims(m, c).SignedString(k)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		// A token made with the real key and method passes: the forgeries
		// below fail for what they change, not by accident.
		if _, _, err := e.svc.AuthenticateEntityToken(e.ctx, sign(jwt.SigningMethodHS512, key, claims)); err != nil {
			t.Fatalf("well-made token: %v", err)
		}
		parts := strings.Split(s.Token, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		changed := strings.Replace(string(payload), e.A.Client.Code, e.B.Client.Code, 1)
		noExp := jwt.MapClaims{"sub": e.A.Admin.Email, "ent": e.A.Client.Code, "iat": now.Unix()}
		otherEntity := jwt.MapClaims{"sub": e.A.Admin.Email, "ent": e.B.Client.Code, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for name, tok := range map[string]string{
			"alg none":               sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
			"HS256 with the key":     sign(jwt.SigningMethodHS256, key, claims),
			"HS384 with the key":     sign(jwt.SigningMethodHS384, key, claims),
			"another key":            sign(jwt.SigningMethodHS512, []byte(strings.Repeat("k", 64)), claims),
			"changed payload":        parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2],
			"no signature":           parts[0] + "." + parts[1] + ".",
			"no expiry":              sign(jwt.SigningMethodHS512, key, noExp),
			"user of another entity": sign(jwt.SigningMethodHS512, key, otherEntity),
			"garbage":                "not.a.token",
			"empty":                  "",
		} {
			if _, _, err := e.svc.AuthenticateEntityToken(e.ctx, tok); pasarela.AsError(err).Code != "invalid_token" {
				t.Errorf("%s: %v, want invalid_token", name, err)
			}
		}
		// Expiry: valid until its exp, refused from then on.
		e.clock.Advance(100*time.Minute - time.Second)
		if _, _, err := e.svc.AuthenticateEntityToken(e.ctx, s.Token); err != nil {
			t.Fatalf("a second before expiry: %v", err)
		}
		e.clock.Advance(time.Second)
		if _, _, err := e.svc.AuthenticateEntityToken(e.ctx, s.Token); pasarela.AsError(err).Code != "invalid_token" {
			t.Fatalf("at expiry: %v", err)
		}
	})
}

// TestEntityTokenTTL: the lifetime is configurable.
func TestEntityTokenTTL(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		s, err := e.svc.EntityLogin(e.ctx, e.A.Client.Code, e.A.Admin.Email, coretest.Password, "198.51.100.1")
		if err != nil || s.Expires != 10*time.Minute {
			t.Fatalf("%v %v", s, err)
		}
	}, func(c *core.Config) { c.EntityTokenTTL = 10 * time.Minute })
}
