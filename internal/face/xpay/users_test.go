package xpay_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestLogin: the seed's login answers a 40-hex key that opens users/;
// JSON and forms both sign in; logout revokes the key; every way to fail
// answers xpay's error with the seed's codes.
func TestLogin(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		key := e.MustLogin(e.A.Admin.Email)
		if strings.ToLower(key) != key {
			t.Fatalf("key %q is not lowercase hex", key)
		}
		// A form signs in too, and the path without its slash is the same.
		r := e.Do("POST", "/auth/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			"email="+e.A.Admin.Email+"&password="+strings.ReplaceAll(coretest.Password, "!", "%21"))
		if r.Status != http.StatusOK || r.JSON["key"] == key {
			t.Fatalf("form login: %d %s", r.Status, r.Body)
		}
		if r := e.Do("GET", "/users/", token(key), ""); r.Status != http.StatusOK {
			t.Fatalf("users/: %d %s", r.Status, r.Body)
		}
		if r := e.Do("POST", "/auth/logout/", token(key), ""); r.Status != http.StatusOK {
			t.Fatalf("logout: %d %s", r.Status, r.Body)
		}
		wantError(t, "revoked key", e.Do("GET", "/users/", token(key), ""), 401, 3003, "all")

		for _, c := range []struct {
			what   string
			body   string
			hdr    map[string]string
			status int
			code   int
			field  string
		}{
			{"wrong password", `{"email":"` + e.A.Admin.Email + `","password":"Wrong-pass1!"}`, nil, 401, 3003, "all"},
			{"unknown user", `{"email":"nobody@example.com","password":"Wrong-pass1!"}`, nil, 401, 3003, "all"},
			{"no email", `{"password":"x"}`, nil, 400, 5002, "email"},
			{"blank password", `{"email":"a@b.c","password":" "}`, nil, 400, 5001, "password"},
			{"email a number", `{"email":5,"password":"x"}`, nil, 400, 2002, "email"},
			{"duplicate key", `{"email":"a@b.c","email":"x@y.z","password":"x"}`, nil, 400, 2002, "email"},
			{"case-folded key", `{"Email":"a@b.c","password":"x"}`, nil, 400, 2002, "Email"},
			{"not an object", `[1]`, nil, 400, 2002, "all"},
			{"trailing data", `{"email":"a","password":"b"} {}`, nil, 400, 2002, "all"},
			{"xml", `<login/>`, map[string]string{"Content-Type": "application/xml"}, 415, 4150, "all"},
			{"too large", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, nil, 413, 4130, "all"},
			{"html only", `{}`, map[string]string{"Accept": "text/html"}, 406, 4060, "all"},
		} {
			wantError(t, c.what, e.Do("POST", "/auth/login/", c.hdr, c.body), c.status, c.code, c.field)
		}
		r = e.Do("GET", "/auth/login/", nil, "")
		wantError(t, "GET login", r, 405, 4050, "all")
		if r.Header.Get("Allow") != "OPTIONS, POST" {
			t.Errorf("Allow %q", r.Header.Get("Allow"))
		}
		if r := e.Do("OPTIONS", "/users/", nil, ""); r.Status != 200 || !strings.Contains(r.Header.Get("Allow"), "GET") {
			t.Errorf("OPTIONS: %d %q", r.Status, r.Header.Get("Allow"))
		}
		wantError(t, "unknown route", e.Do("GET", "/kittens/", nil, ""), 404, 4040, "all")
		wantError(t, "no token", e.Do("GET", "/users/", nil, ""), 401, 3003, "all")
		wantError(t, "bearer", e.Do("GET", "/users/", map[string]string{"Authorization": "Bearer " + key}, ""), 401, 3003, "all")
		wantError(t, "malformed key", e.Do("GET", "/users/", token("../../x"), ""), 401, 3003, "all")
		if r := e.Do("GET", "/users/", nil, ""); r.Header.Get("WWW-Authenticate") != "Token" {
			t.Errorf("401 without WWW-Authenticate: Token: %v", r.Header)
		}
	})
}

// TestUsers: users/ shows the seed's shape; admins and managers are xpay
// managers, terminal users are not; each user sees its own commerce only.
func TestUsers(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		till := e.MustUser(e.A, "till@alpha.example", pasarela.RoleTerminal)
		e.MustUser(e.B, "mona@beta.example", pasarela.RoleManager)
		for _, c := range []struct {
			email   string
			manager bool
			group   string
			client  string
		}{
			{e.A.Admin.Email, true, "Commerce Admin", e.A.Client.ID},
			{"till@alpha.example", false, "Commerce User", e.A.Client.ID},
			{"mona@beta.example", true, "Commerce Manager", e.B.Client.ID},
		} {
			// Accept: */*, no User-Agent, as PHP's curl sends it.
			r := e.Do("GET", "/users/", token(e.MustLogin(c.email), "Accept", "*/*", "User-Agent", ""), "")
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", c.email, r.Status, r.Body)
			}
			info := r.JSON["user_info"].(map[string]any)
			com := r.JSON["commerce"].(map[string]any)
			groups := info["groups"].([]any)
			if info["email"] != c.email || info["manager"] != c.manager || len(groups) != 1 || groups[0] != c.group ||
				info["twofa"] != false || info["is_active"] != true || com["id"] != c.client {
				t.Errorf("%s: %s", c.email, r.Body)
			}
			if com["active"] != true || com["status"] != "active" || com["dni"] != nil || com["fiat_withdraw"] != false {
				t.Errorf("%s commerce: %s", c.email, r.Body)
			}
			if dt := com["document_type"].(map[string]any); dt["name"] != nil || dt["country"] != nil {
				t.Errorf("%s document_type: %v", c.email, dt)
			}
		}
		r := e.Do("GET", "/users/", token(e.MustLogin("till@alpha.example")), "")
		info := r.JSON["user_info"].(map[string]any)
		if info["first_name"] != "Till" || info["last_name"] != "Terminal" || info["username"] != "till@alpha.example" ||
			info["id"] != json.Number(itoa(till.ID)) {
			t.Errorf("till: %s", r.Body)
		}
	})
}

// TestPassword: the seed's password change in every encoding, every rule
// of the policy with its code, and the tokens a change revokes.
func TestPassword(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustUser(e.A, "till@alpha.example", pasarela.RoleTerminal)
		key := e.MustLogin("till@alpha.example")
		other := e.MustLogin("till@alpha.example")
		pw := coretest.Password
		body := func(old, nw, conf string) string {
			return `{"old_password":"` + old + `","new_password":"` + nw + `","new_password_confirmation":"` + conf + `"}`
		}
		for _, c := range []struct {
			what   string
			body   string
			status int
			code   int
			field  string
		}{
			{"no old", `{"new_password":"Abcdef1!x","new_password_confirmation":"Abcdef1!x"}`, 400, 5002, "old_password"},
			{"empty old", body("", "Abcdef1!x", "Abcdef1!x"), 400, 5001, "old_password"},
			{"no new", `{"old_password":"` + pw + `","new_password_confirmation":"x"}`, 400, 5002, "new_password"},
			{"empty new", body(pw, "", ""), 400, 5001, "new_password"},
			{"too short", body(pw, "Ab1!", "Ab1!"), 400, 5003, "new_password"},
			{"too long", body(pw, "Ab1!"+strings.Repeat("x", 49), "Ab1!"+strings.Repeat("x", 49)), 400, 5004, "new_password"},
			{"no lower", body(pw, "ABCDEFG1!", "ABCDEFG1!"), 400, 5020, "new_password"},
			{"no upper", body(pw, "abcdefg1!", "abcdefg1!"), 400, 5021, "new_password"},
			{"no digit", body(pw, "Abcdefgh!", "Abcdefgh!"), 400, 5022, "new_password"},
			{"no symbol", body(pw, "Abcdefgh1", "Abcdefgh1"), 400, 5023, "new_password"},
			{"mismatch", body(pw, "Abcdefg1!", "Abcdefg1?"), 400, 2002, "new_password_confirmation"},
			{"wrong old", body("Wrong-pass1!", "Abcdefg1!", "Abcdefg1!"), 400, 2002, "old_password"},
			{"no confirmation", `{"old_password":"` + pw + `","new_password":"Abcdefg1!"}`, 400, 5002, "new_password_confirmation"},
			{"old a number", `{"old_password":1,"new_password":"Abcdefg1!","new_password_confirmation":"Abcdefg1!"}`, 400, 2002, "old_password"},
		} {
			wantError(t, c.what, e.Do("PUT", "/password/", token(key), c.body), c.status, c.code, c.field)
		}
		// Several broken rules: the first at the top, all in errors.
		r := e.Do("PUT", "/password/", token(key), body(pw, "abc", "abc"))
		wantError(t, "several", r, 400, 5003, "new_password")
		if errs, _ := r.JSON["errors"].([]any); len(errs) != 4 {
			t.Errorf("several: %s", r.Body)
		}
		wantError(t, "no token", e.Do("PUT", "/password/", nil, body(pw, "Abcdefg1!", "Abcdefg1!")), 401, 3003, "all")

		// The seed's curl: POST with multipart -F fields.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("old_password", pw)
		_ = mw.WriteField("new_password", "Nuevo-clave1")
		_ = mw.WriteField("new_password_confirmation", "Nuevo-clave1")
		_ = mw.Close()
		r = e.Do("POST", "/password/", token(key, "Content-Type", mw.FormDataContentType()), buf.String())
		if r.Status != http.StatusOK || r.JSON["message"] != "Password Changed" {
			t.Fatalf("multipart change: %d %s", r.Status, r.Body)
		}
		// The key used stays valid; the other one is revoked.
		if r := e.Do("GET", "/users/", token(key), ""); r.Status != http.StatusOK {
			t.Errorf("the key used: %d", r.Status)
		}
		wantError(t, "the other key", e.Do("GET", "/users/", token(other), ""), 401, 3003, "all")
		// JSON with PUT, and a form, change it again.
		r = e.Do("PUT", "/password", token(key), body("Nuevo-clave1", "Otra-clave2", "Otra-clave2"))
		if r.Status != http.StatusOK {
			t.Fatalf("JSON change: %d %s", r.Status, r.Body)
		}
		r = e.Do("PUT", "/password/", token(key, "Content-Type", "application/x-www-form-urlencoded"),
			"old_password=Otra-clave2&new_password=Tercera-3x&new_password_confirmation=Tercera-3x")
		if r.Status != http.StatusOK {
			t.Fatalf("form change: %d %s", r.Status, r.Body)
		}
		wantError(t, "duplicate form field", e.Do("PUT", "/password/", token(key, "Content-Type", "application/x-www-form-urlencoded"),
			"old_password=a&old_password=b"), 400, 2002, "old_password")
		r = e.Do("POST", "/auth/login/", nil, `{"email":"till@alpha.example","password":"Tercera-3x"}`)
		if r.Status != http.StatusOK {
			t.Fatalf("login with the new password: %d %s", r.Status, r.Body)
		}
	})
}

// TestCountries: the unauthenticated list of countries.
func TestCountries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	r := e.Do("GET", "/countries/", map[string]string{"Accept": "*/*"}, "")
	if r.Status != http.StatusOK || len(r.List) < 5 {
		t.Fatalf("countries: %d %s", r.Status, r.Body)
	}
	co := r.List[0].(map[string]any)
	if co["code"] != "CO" || co["name"] != "Colombia" || co["currency"] != "COP" || co["id"] != json.Number("1") {
		t.Errorf("first country: %v", co)
	}
	if r := e.Do("HEAD", "/countries/", nil, ""); r.Status != http.StatusOK {
		t.Errorf("HEAD: %d", r.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestLoginWithSecondFactor: xpay's login has no field for a one-time
// code, so a user with a second factor is refused with the right password,
// in xpay's error format, told to use a code on the dashboard or a key;
// a wrong password still gets DRF's one answer.
func TestLoginWithSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	u := e.MustUser(e.A, "otp@alpha.example", pasarela.RoleManager)
	coretest.MustTOTP(t, e.Svc, u, e.Clock.Now())
	r := e.Do("POST", "/auth/login/", nil, `{"email":"otp@alpha.example","password":"`+coretest.Password+`"}`)
	wantError(t, "password alone", r, http.StatusUnauthorized, 3003, "all")
	if detail, _ := r.JSON["detail"].(string); !strings.Contains(detail, "one-time code") || !strings.Contains(detail, "application key") {
		t.Errorf("detail %q does not say to use a code or an application key", detail)
	}
	r = e.Do("POST", "/auth/login/", nil, `{"email":"otp@alpha.example","password":"wrong"}`)
	if detail, _ := r.JSON["detail"].(string); r.Status != http.StatusUnauthorized || detail != "Unable to log in with provided credentials." {
		t.Errorf("wrong password: %d %s", r.Status, r.Body)
	}
}
