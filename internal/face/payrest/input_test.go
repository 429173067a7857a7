package payrest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// bodyCase is one request body and what it must get; field is named in
// errors unless it is "".
type bodyCase struct {
	name   string
	ctype  string
	body   string
	status int
	field  string
}

// TestBodyDecoding: what a malformed, mistyped, oversized or unexpected body
// gets, on every route that takes one.
func TestBodyDecoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	routes := []struct {
		method, path, root string
	}{
		{"POST", "/application", "application"},
		{"PUT", appPath(e.A.AppID), "application"},
		{"PATCH", appPath(e.A.AppID), "application"},
		{"POST", usersPath(e.A.ClientID), "user"},
		{"PUT", userPath(e.A.ClientID, e.A.AdminID), "user"},
		{"PATCH", userPath(e.A.ClientID, e.A.AdminID), "user"},
	}
	for _, rt := range routes {
		r := rt.root
		known := "name" // a member of the root object, to send twice or in another case
		if r == "user" {
			known = "username"
		}
		cases := []bodyCase{
			{"malformed JSON", "application/json", `{"` + r + `":{"name":`, 400, "body"},
			{"trailing comma", "application/json", `{"` + r + `":{"name":"x",}}`, 400, "body"},
			{"not JSON", "application/json", `name=x`, 400, "body"},
			{"single quotes", "application/json", `{'` + r + `':{}}`, 400, "body"},
			{"empty body", "application/json", ``, 400, "body"},
			{"whitespace body", "application/json", "  \n ", 400, "body"},
			{"JSON null", "application/json", `null`, 400, r},
			{"JSON array", "application/json", `[{"` + r + `":{}}]`, 400, "body"},
			{"JSON string", "application/json", `"x"`, 400, "body"},
			{"JSON number", "application/json", `5`, 400, "body"},
			{"text/plain", "text/plain", `{"` + r + `":{"name":"x"}}`, 415, ""},
			{"no Content-Type", "", `{"` + r + `":{"name":"x"}}`, 415, ""},
			{"form Content-Type", "application/x-www-form-urlencoded", `{"` + r + `":{"name":"x"}}`, 415, ""},
			{"multipart", "multipart/form-data; boundary=x", `{"` + r + `":{"name":"x"}}`, 415, ""},
			{"xml", "application/xml", `<` + r + `/>`, 415, ""},
			{"broken Content-Type", "application/json; charset", `{"` + r + `":{"name":"x"}}`, 415, ""},
			{"oversized", "application/json", `{"` + r + `":{"name":"` + strings.Repeat("a", 65<<10) + `"}}`, 413, ""},
			{"oversized whitespace", "application/json", `{"` + r + `":{}}` + strings.Repeat(" ", 65<<10), 413, ""},
			{"unknown field in the root object", "application/json", `{"` + r + `":{"isAdmin":true}}`, 400, "isAdmin"},
			{"id in the root object", "application/json", `{"` + r + `":{"id":1}}`, 400, "id"},
			{"client in the root object", "application/json", `{"` + r + `":{"clientId":"x"}}`, 400, "clientId"},
			{"second root key", "application/json", `{"` + r + `":{},"extra":{}}`, 400, "extra"},
			{"not wrapped", "application/json", `{"name":"x","email":"x@example.com"}`, 400, "name"},
			{"empty object", "application/json", `{}`, 400, r},
			{"root is null", "application/json", `{"` + r + `":null}`, 400, r},
			{"root is a string", "application/json", `{"` + r + `":"x"}`, 400, r},
			{"root is an array", "application/json", `{"` + r + `":[]}`, 400, r},
			{"root key in another case", "application/json", `{"` + strings.ToUpper(r) + `":{}}`, 400, strings.ToUpper(r)},
			{"trailing object", "application/json", `{"` + r + `":{}}{}`, 400, "body"},
			{"trailing garbage", "application/json", `{"` + r + `":{}} xyz`, 400, "body"},
			{"trailing bracket", "application/json", `{"` + r + `":{}}]`, 400, "body"},
			{"trailing data inside the root", "application/json", `{"` + r + `":{} {}}`, 400, "body"},
			{"root key twice", "application/json", `{"` + r + `":{},"` + r + `":{}}`, 400, r},
			{"member twice", "application/json", `{"` + r + `":{"` + known + `":"x","` + known + `":"y"}}`, 400, known},
			{"member in another case", "application/json", `{"` + r + `":{"` + strings.ToUpper(known[:1]) + known[1:] + `":"x"}}`, 400, strings.ToUpper(known[:1]) + known[1:]},
			{"member in another case beside it", "application/json", `{"` + r + `":{"` + known + `":"x","` + strings.ToUpper(known) + `":"y"}}`, 400, strings.ToUpper(known)},
			{"invalid UTF-8", "application/json", "{\"" + r + "\":{\"" + known + "\":\"a\xffb\"}}", 400, "body"},
			{"deep nesting", "application/json", `{"` + r + `":{"name":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`, 400, ""},
		}
		if r == "application" {
			cases = append(cases, bodyCase{"name is a number", "application/json", `{"application":{"name":5}}`, 400, "name"}, bodyCase{"url is an array", "application/json", `{"application":{"name":"x","url":["https://x.example"]}}`, 400, "url"}, bodyCase{"logo is an object", "application/json", `{"application":{"name":"x","logo":{}}}`, 400, "logo"}, bodyCase{"apiKey cannot be set", "application/json", `{"application":{"name":"x","apiKey":{"key":"psk_x"}}}`, 400, "apiKey"})
		} else {
			cases = append(cases, bodyCase{"roles is a string", "application/json", `{"user":{"roles":"admin"}}`, 400, "roles"}, bodyCase{"username is a bool", "application/json", `{"user":{"username":true}}`, 400, "username"}, bodyCase{"password is a number", "application/json", `{"user":{"password":12345678}}`, 400, "password"}, bodyCase{"password hash cannot be set", "application/json", `{"user":{"passwordHash":"$argon2id$x"}}`, 400, "passwordHash"})
		}
		for _, tc := range cases {
			t.Run(rt.method+" "+rt.path+" "+tc.name, func(t *testing.T) {
				var fields []string
				if tc.field != "" {
					fields = append(fields, tc.field)
				}
				res := e.For(t).Raw(rt.method, rt.path, admin, tc.ctype, []byte(tc.body)).ExpectError(t, tc.status, fields...)
				if len(res.Body) > 4<<10 {
					t.Errorf("error body of %d bytes", len(res.Body))
				}
			})
		}
	}

	t.Run("accepted spellings of the Content-Type", func(t *testing.T) {
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON",
			"application/vnd.payrest+json"} {
			e.For(t).Raw("PATCH", appPath(e.A.AppID), admin, ct, []byte(`{"application":{}}`)).Expect(t, http.StatusOK)
		}
	})
	t.Run("whitespace around the object is fine", func(t *testing.T) {
		e.For(t).Raw("PATCH", appPath(e.A.AppID), admin, "application/json", []byte(" \n{\"application\":{}}\n\t ")).
			Expect(t, http.StatusOK)
	})
	t.Run("a body just under the limit is read", func(t *testing.T) {
		name := strings.Repeat("a", 60<<10)
		e.For(t).Do("PATCH", appPath(e.A.AppID), admin, appBody(map[string]any{"name": name})).
			ExpectError(t, http.StatusBadRequest, "name") // too long for a name, but not too large a body
	})
	t.Run("nothing changed", func(t *testing.T) {
		r := e.For(t).MustGet(appPath(e.A.AppID), admin)
		if r.JSON["name"] != "Alpha Shop web" {
			t.Errorf("application changed: %s", r.Body)
		}
		if n := e.For(t).MustGet("/application", admin).Header.Get("X-Total-Count"); n != "1" {
			t.Errorf("X-Total-Count %s", n)
		}
		users := e.For(t).MustGet(usersPath(e.A.ClientID), admin)
		if n := users.Header.Get("X-Total-Count"); n != "1" {
			t.Errorf("users X-Total-Count %s: %s", n, users.Body)
		}
		e.For(t).MustLogin(e.A.AdminLogin, testPassword)
	})
}

// TestInjection: sort and filter values never reach SQL as SQL.
func TestInjection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	names := map[string]int64{}
	for _, n := range []string{"a_b", "ab", "axb", "100% cotton", "100 cotton", "O'Brien's", `back\slash`, "ROBERT'); DROP TABLE applications;--"} {
		id, _ := e.MustCreateApp(admin, n)
		names[n] = id
	}
	ids := func(ns ...string) []int64 {
		out := []int64{}
		for _, n := range ns {
			out = append(out, names[n])
		}
		slices.Sort(out)
		return out
	}

	sorts := []string{
		"id;DROP TABLE users", "name_desc,(select 1)", "id_asc--", "id_asc;", "(CASE WHEN 1=1 THEN id END)",
		"name desc", "id asc", "1", "name_desc,1", "id_asc,name_asc; DELETE FROM applications", "name\x00_asc",
		"name/**/_asc", "name_desc NULLS FIRST", "sqlite_master", "key_hash", "keyHash_desc", "client_id",
	}
	for _, s := range sorts {
		for _, path := range []string{"/application", usersPath(e.A.ClientID)} {
			t.Run("sort "+path+" "+s, func(t *testing.T) {
				e.For(t).Do("GET", path+"?sort="+url.QueryEscape(s), admin, nil).ExpectError(t, http.StatusBadRequest, "sort")
			})
		}
	}

	// Query strings Go cannot parse: sent raw, not escaped. Each is a 400
	// naming the parameter, never a list with the pair silently dropped.
	raw := []struct{ query, field string }{
		{"sort=id;DROP%20TABLE%20x_asc", "sort"},
		{"limit=5&sort=name_asc;name_desc", "sort"},
		{"name=100%zz", "name"},
		{"na%zzme=x", "na%zzme"},
		{"status=pending;", "status"},
		{"created_at=%zz", "created_at"}, // the client's spelling, though the core has a field of that name
	}
	for _, q := range raw {
		for _, path := range []string{"/application", usersPath(e.A.ClientID), paymentsPath(e.A.AppID)} {
			t.Run("unparsable query "+path+" "+q.query, func(t *testing.T) {
				e.For(t).Do("GET", path+"?"+q.query, admin, nil).ExpectError(t, http.StatusBadRequest, q.field)
			})
		}
	}

	filters := []struct {
		name string
		want []int64
	}{
		{"_", ids("a_b")},
		{"a_b", ids("a_b")},
		{"%", ids("100% cotton")},
		{"100%", ids("100% cotton")},
		{"0 c", ids("100 cotton")},
		{"' OR 1=1 --", ids()},
		{"' OR '1'='1", ids()},
		{"'", ids("O'Brien's", "ROBERT'); DROP TABLE applications;--")},
		{`\`, ids(`back\slash`)},
		{`\%`, ids()},
		{`\_`, ids()},
		{"%%", ids()},
		{"[a]", ids()},
		{"DROP TABLE", ids("ROBERT'); DROP TABLE applications;--")},
		{"o'brien", ids("O'Brien's")},
	}
	for _, f := range filters {
		t.Run("name filter "+f.name, func(t *testing.T) {
			r := e.For(t).MustGet("/application?limit=100&name="+url.QueryEscape(f.name), admin)
			got := r.IDs()
			slices.Sort(got)
			if !slices.Equal(got, f.want) {
				t.Errorf("name=%q found %v, want %v", f.name, got, f.want)
			}
		})
	}

	// No name holds these, so a filter with them is refused rather than
	// sent to the database (SQLite would cut the pattern at the NUL and
	// match everything; PostgreSQL refuses NUL and invalid UTF-8).
	for _, f := range []string{"\x00", "a\x00b", "\xff", "a\nb", strings.Repeat("a", 201)} {
		t.Run("name filter refused "+url.QueryEscape(f), func(t *testing.T) {
			e.For(t).Do("GET", "/application?name="+url.QueryEscape(f), admin, nil).ExpectError(t, http.StatusBadRequest, "name")
		})
	}

	t.Run("tables intact", func(t *testing.T) {
		e := e.For(t)
		r := e.MustGet("/application?limit=100", admin)
		if n := r.Header.Get("X-Total-Count"); n != "9" {
			t.Errorf("X-Total-Count %s", n)
		}
		e.MustGet(usersPath(e.A.ClientID), admin)
		e.MustLogin(e.A.AdminLogin, testPassword)
		e.MustLogin(e.B.AdminLogin, testPassword)
		e.MustGet(appPath(e.B.AppID), Key(e.B.AppKey))
	})
}

// TestPasswordPolicy: every rule of the password policy, through the API
// that creates users.
func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	body := func(password any, present bool) map[string]any {
		m := map[string]any{"username": "pat", "email": "pat@example.com"}
		if present {
			m["password"] = password
		}
		return userBody(m)
	}
	tests := []struct {
		name     string
		password any
		present  bool
		want     []string // words each message must contain, one per broken rule
	}{
		{"missing", nil, false, []string{"required"}},
		{"null", nil, true, []string{"required"}},
		{"empty", "", true, []string{"empty"}},
		{"too short", "Ab1!xyz", true, []string{"at least 8"}},
		{"too long", "Ab1!" + strings.Repeat("x", 49), true, []string{"at most 52"}},
		{"no lowercase", "ABCDEFG1!", true, []string{"lowercase"}},
		{"no uppercase", "abcdefg1!", true, []string{"uppercase"}},
		{"no digit", "Abcdefgh!", true, []string{"number"}},
		{"no symbol", "Abcdefgh1", true, []string{"symbol"}},
		{"symbol not on the list", "Abcdefgh1=", true, []string{"symbol"}},
		{"space is not a symbol", "Abcdefgh 1", true, []string{"symbol"}},
		{"several rules", "abc", true, []string{"at least 8", "uppercase", "number", "symbol"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).Do("POST", usersPath(e.A.ClientID), admin, body(tc.password, tc.present)).
				ExpectError(t, http.StatusBadRequest, "password")
			msgs := r.FieldErrors("password")
			if len(msgs) != len(tc.want) {
				t.Fatalf("messages %q, want %d", msgs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(msgs[i], w) {
					t.Errorf("message %q does not say %q", msgs[i], w)
				}
			}
			if strings.Contains(string(r.Body), "Abcdefgh") {
				t.Errorf("the answer echoes the password: %s", r.Body)
			}
		})
	}
	t.Run("nobody was created", func(t *testing.T) {
		if n := e.For(t).MustGet(usersPath(e.A.ClientID), admin).Header.Get("X-Total-Count"); n != "1" {
			t.Fatalf("X-Total-Count %s", n)
		}
	})

	accepted := []struct{ username, password string }{
		{"len8", "Abcdef1!"},
		{"len52", "Ab1!" + strings.Repeat("x", 48)},
		{"unicode", "Ññandú¿9"},
		{"inverted", "¡Abcdef1"},
	}
	for _, tc := range accepted {
		t.Run("accepted "+tc.username, func(t *testing.T) {
			e := e.For(t)
			e.Do("POST", usersPath(e.A.ClientID), admin, userBody(map[string]any{
				"username": tc.username, "email": tc.username + "@example.com", "password": tc.password})).
				Expect(t, http.StatusCreated)
			e.MustLogin(tc.username, url.QueryEscape(tc.password))
		})
	}
}

// TestStrictPaymentJSON: the amount a proxy or an audit reads in a payment
// body is the only one the gateway can use. A member sent twice or spelled
// in another case is refused with a 400 naming it, and no payment is made.
func TestStrictPaymentJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	for _, tc := range []struct{ name, body, field string }{
		{"amount in another case beside it", `{"payment":{"amount":"100","Amount":"999999","currency":"EUR"}}`, "Amount"},
		{"amount in another case alone", `{"payment":{"AMOUNT":"999999","currency":"EUR"}}`, "AMOUNT"},
		{"amount twice", `{"payment":{"amount":"-5","amount":"100","currency":"EUR"}}`, "amount"},
		{"metadata key twice", `{"payment":{"amount":"100","currency":"EUR","metadata":{"a":"1","a":"2"}}}`, "a"},
		{"root in another case", `{"Payment":{"amount":"100","currency":"EUR"}}`, "Payment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Raw("POST", paymentsPath(e.A.AppID), admin, "application/json", []byte(tc.body)).
				ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
	if n := e.For(t).MustGet(paymentsPath(e.A.AppID), admin).Header.Get("X-Total-Count"); n != "0" {
		t.Errorf("X-Total-Count %s after refused bodies", n)
	}
}
