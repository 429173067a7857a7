package payrest_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestUserCreate covers POST /client/{clientId}/user.
func TestUserCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	users := usersPath(e.A.ClientID)

	t.Run("created", func(t *testing.T) {
		e := e.For(t)
		r := e.Do("POST", users, admin, userBody(map[string]any{
			"username": "Carol.M", "email": "Carol@Example.COM", "password": testPassword,
			"roles": []string{"manager", "viewer", "manager"}, "firstName": "Carol", "lastName": "Mendez"})).
			Expect(t, http.StatusCreated)
		id := r.ID()
		want := map[string]any{"username": "carol.m", "email": "carol@example.com", "firstName": "Carol", "lastName": "Mendez"}
		for k, v := range want {
			if r.JSON[k] != v {
				t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
			}
		}
		if roles := r.JSON["roles"].([]any); !slices.Equal(roles, []any{"manager", "viewer"}) {
			t.Errorf("roles %v, want [manager viewer]", roles)
		}
		if u, _ := r.JSON["uuid"].(string); len(u) != 36 {
			t.Errorf("uuid %v", r.JSON["uuid"])
		}
		if loc := r.Header.Get("Location"); loc != userPath(e.A.ClientID, id) {
			t.Errorf("Location %q", loc)
		}
		if strings.Contains(strings.ToLower(string(r.Body)), "password") || strings.Contains(string(r.Body), "argon2") {
			t.Errorf("the answer shows the password: %s", r.Body)
		}
		got := e.MustGet(userPath(e.A.ClientID, id), admin)
		if got.JSON["username"] != "carol.m" || got.JSON["email"] != "carol@example.com" {
			t.Errorf("stored %s", got.Body)
		}
		// The new user signs in with its username (in any case) and its email.
		e.MustLogin("CAROL.M", testPassword)
		e.MustLogin("carol@example.com", testPassword)
	})

	t.Run("roles and names are optional", func(t *testing.T) {
		r := e.For(t).Do("POST", users, admin, userBody(map[string]any{
			"username": "plain", "email": "plain@example.com", "password": testPassword})).Expect(t, http.StatusCreated)
		if roles, ok := r.JSON["roles"].([]any); !ok || len(roles) != 0 {
			t.Errorf("roles %v, want []", r.JSON["roles"])
		}
		if r.JSON["firstName"] != nil || r.JSON["lastName"] != nil {
			t.Errorf("body %s", r.Body)
		}
	})

	valid := func(over map[string]any) map[string]any {
		m := map[string]any{"username": "dave", "email": "dave@example.com", "password": testPassword, "roles": []string{"viewer"}}
		for k, v := range over {
			if v == "<absent>" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return userBody(m)
	}
	bad := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"unknown role", valid(map[string]any{"roles": []string{"superuser"}}), 400, "roles"},
		{"role in wrong case", valid(map[string]any{"roles": []string{"Admin"}}), 400, "roles"},
		{"roles not an array", valid(map[string]any{"roles": "admin"}), 400, "roles"},
		{"role not a string", valid(map[string]any{"roles": []any{1}}), 400, "roles"},
		{"missing username", valid(map[string]any{"username": "<absent>"}), 400, "username"},
		{"short username", valid(map[string]any{"username": "ab"}), 400, "username"},
		{"username with space", valid(map[string]any{"username": "da ve"}), 400, "username"},
		{"username with quote", valid(map[string]any{"username": "dave'--"}), 400, "username"},
		{"username too long", valid(map[string]any{"username": strings.Repeat("d", 65)}), 400, "username"},
		{"missing email", valid(map[string]any{"email": "<absent>"}), 400, "email"},
		{"bad email", valid(map[string]any{"email": "not-an-email"}), 400, "email"},
		{"email with display name", valid(map[string]any{"email": "Dave <dave@example.com>"}), 400, "email"},
		{"missing password", valid(map[string]any{"password": "<absent>"}), 400, "password"},
		{"weak password", valid(map[string]any{"password": "password"}), 400, "password"},
		{"first name too long", valid(map[string]any{"firstName": strings.Repeat("f", 101)}), 400, "firstName"},
		{"duplicate username", valid(map[string]any{"username": "carol.m"}), 409, "username"},
		{"duplicate username in other case", valid(map[string]any{"username": "CAROL.M"}), 409, "username"},
		{"duplicate email", valid(map[string]any{"email": "carol@example.com"}), 409, "email"},
		{"duplicate email in other case", valid(map[string]any{"email": "CAROL@example.com"}), 409, "email"},
		{"email of another tenant's admin", valid(map[string]any{"email": "beta@example.com"}), 409, "email"},
		{"username of another tenant's admin", valid(map[string]any{"username": "beta@example.com"}), 409, "username"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("POST", users, admin, tc.body).ExpectError(t, tc.status, tc.field)
		})
	}
	t.Run("every broken rule is reported", func(t *testing.T) {
		e.For(t).Do("POST", users, admin, userBody(map[string]any{"username": "x", "email": "y", "roles": []string{"z"}})).
			ExpectError(t, http.StatusBadRequest, "username", "email", "roles", "password")
	})
	t.Run("nothing was created by the refused requests", func(t *testing.T) {
		r := e.For(t).MustGet(users+"?limit=100", admin)
		if n := r.Header.Get("X-Total-Count"); n != "3" { // the admin, carol.m, plain
			t.Errorf("X-Total-Count %s: %s", n, r.Body)
		}
	})
}

// TestUserListDetail covers GET on the collection and on one user.
func TestUserListDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	zed := e.MustCreateUser(e.A, "zed", "viewer")
	amy := e.MustCreateUser(e.A, "amy", "manager")
	all := []int64{e.A.AdminID, zed, amy}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", all},
		{"?limit=1", all[:1]},
		{"?limit=2&offset=1", all[1:]},
		{"?sort=id_desc", []int64{amy, zed, e.A.AdminID}},
		{"?sort=username_asc", []int64{e.A.AdminID, amy, zed}}, // alpha@example.com < amy < zed
		{"?sort=username_desc", []int64{zed, amy, e.A.AdminID}},
		{"?sort=email_asc", []int64{e.A.AdminID, amy, zed}},
		{"?sort=createdAt_desc,id_desc", []int64{amy, zed, e.A.AdminID}},
	}
	for _, tc := range tests {
		t.Run("list"+tc.query, func(t *testing.T) {
			r := e.For(t).MustGet(usersPath(e.A.ClientID)+tc.query, admin)
			if got := r.IDs(); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
			if n := r.Header.Get("X-Total-Count"); n != "3" {
				t.Errorf("X-Total-Count %q", n)
			}
			if strings.Contains(string(r.Body), "argon2") {
				t.Errorf("list shows a password hash")
			}
		})
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?offset=-1", "?sort=password_asc",
		"?sort=passwordHash", "?sort=roles", "?sort=id;DROP TABLE users"} {
		t.Run("list"+q, func(t *testing.T) {
			e.For(t).Do("GET", usersPath(e.A.ClientID)+escapeQuery(q), admin, nil).
				ExpectError(t, http.StatusBadRequest)
		})
	}

	r := e.MustGet(userPath(e.A.ClientID, amy), admin)
	if r.ID() != amy || r.JSON["username"] != "amy" || r.JSON["email"] != "amy@example.com" {
		t.Fatalf("body %s", r.Body)
	}
	if roles := r.JSON["roles"].([]any); !slices.Equal(roles, []any{"manager"}) {
		t.Errorf("roles %v", roles)
	}
	if links := r.JSON["links"].([]any); links[0].(map[string]any)["href"] != userPath(e.A.ClientID, amy) {
		t.Errorf("links %v", links)
	}
	for _, path := range []string{
		userPath(e.A.ClientID, 999999), usersPath(e.A.ClientID) + "/abc", usersPath(e.A.ClientID) + "/0",
		usersPath(e.A.ClientID) + "/-3", "/client/no-such-client/user", "/client/no-such-client/user/1",
	} {
		t.Run("GET "+path, func(t *testing.T) {
			e.For(t).Do("GET", path, admin, nil).ExpectError(t, http.StatusNotFound)
		})
	}
}

// escapeQuery percent-encodes the values of a "?k=v&k=v" query.
func escapeQuery(q string) string {
	q = strings.TrimPrefix(q, "?")
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = k + "=" + url.QueryEscape(v)
	}
	return "?" + strings.Join(parts, "&")
}

// TestUserUpdate covers PUT and PATCH on a user.
func TestUserUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	id := e.MustCreateUser(e.A, "erin", "manager")
	path := userPath(e.A.ClientID, id)
	e.Do("PATCH", path, admin, userBody(map[string]any{"firstName": "Erin", "lastName": "Ortiz"})).Expect(t, http.StatusOK)

	t.Run("PATCH changes only what it names", func(t *testing.T) {
		r := e.For(t).Do("PATCH", path, admin, userBody(map[string]any{"roles": []string{"viewer", "terminal"}})).Expect(t, http.StatusOK)
		want := map[string]any{"username": "erin", "email": "erin@example.com", "firstName": "Erin", "lastName": "Ortiz"}
		for k, v := range want {
			if r.JSON[k] != v {
				t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
			}
		}
		if roles := r.JSON["roles"].([]any); !slices.Equal(roles, []any{"viewer", "terminal"}) {
			t.Errorf("roles %v", roles)
		}
	})
	t.Run("PATCH null clears a name", func(t *testing.T) {
		r := e.For(t).Do("PATCH", path, admin, userBody(map[string]any{"lastName": nil})).Expect(t, http.StatusOK)
		if r.JSON["lastName"] != nil || r.JSON["firstName"] != "Erin" {
			t.Errorf("body %s", r.Body)
		}
	})
	t.Run("PATCH password", func(t *testing.T) {
		e := e.For(t)
		e.Do("PATCH", path, admin, userBody(map[string]any{"password": "N3w-password!"})).Expect(t, http.StatusOK)
		e.MustLogin("erin", "N3w-password!")
		e.Form("/oauth/token", "grant_type=password&username=erin&password="+url.QueryEscape(testPassword)).
			Expect(t, http.StatusUnauthorized)
		e.Do("PATCH", path, admin, userBody(map[string]any{"password": "weak"})).ExpectError(t, http.StatusBadRequest, "password")
		e.Do("PATCH", path, admin, userBody(map[string]any{"password": nil})).ExpectError(t, http.StatusBadRequest, "password")
		e.MustLogin("erin", "N3w-password!") // the refused changes changed nothing
	})
	t.Run("PUT replaces; absent names become null, the password stays", func(t *testing.T) {
		e := e.For(t)
		r := e.Do("PUT", path, admin, userBody(map[string]any{"username": "erin2", "email": "erin2@example.com",
			"roles": []string{"manager"}})).Expect(t, http.StatusOK)
		want := map[string]any{"username": "erin2", "email": "erin2@example.com", "firstName": nil, "lastName": nil}
		for k, v := range want {
			if r.JSON[k] != v {
				t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
			}
		}
		e.MustLogin("erin2", "N3w-password!")
	})
	t.Run("PUT without roles leaves none", func(t *testing.T) {
		r := e.For(t).Do("PUT", path, admin, userBody(map[string]any{"username": "erin2", "email": "erin2@example.com"})).
			Expect(t, http.StatusOK)
		if roles, ok := r.JSON["roles"].([]any); !ok || len(roles) != 0 {
			t.Errorf("roles %v", r.JSON["roles"])
		}
	})

	other := e.MustCreateUser(e.A, "frank", "viewer")
	bad := []struct {
		method string
		name   string
		fields map[string]any
		status int
		field  string
	}{
		{"PUT", "missing username", map[string]any{"email": "x@example.com"}, 400, "username"},
		{"PUT", "missing email", map[string]any{"username": "erin2"}, 400, "email"},
		{"PATCH", "unknown role", map[string]any{"roles": []string{"root"}}, 400, "roles"},
		{"PATCH", "null username", map[string]any{"username": nil}, 400, "username"},
		{"PATCH", "bad email", map[string]any{"email": "nope"}, 400, "email"},
		{"PATCH", "username taken", map[string]any{"username": "frank"}, 409, "username"},
		{"PATCH", "email taken", map[string]any{"email": "frank@example.com"}, 409, "email"},
		{"PUT", "email taken", map[string]any{"username": "erin2", "email": "frank@example.com"}, 409, "email"},
	}
	for _, tc := range bad {
		t.Run(tc.method+" "+tc.name, func(t *testing.T) {
			e := e.For(t)
			before := e.MustGet(path, admin).Body
			e.Do(tc.method, path, admin, userBody(tc.fields)).ExpectError(t, tc.status, tc.field)
			if after := e.MustGet(path, admin).Body; string(after) != string(before) {
				t.Errorf("refused update changed the user:\n%s\n%s", before, after)
			}
		})
	}
	if r := e.MustGet(userPath(e.A.ClientID, other), admin); r.JSON["username"] != "frank" {
		t.Errorf("other user changed: %s", r.Body)
	}
	for _, method := range []string{"PUT", "PATCH"} {
		t.Run(method+" unknown user", func(t *testing.T) {
			e.For(t).Do(method, userPath(e.A.ClientID, 999999), admin,
				userBody(map[string]any{"username": "ghost", "email": "ghost@example.com"})).ExpectError(t, http.StatusNotFound)
		})
	}
}

// TestUserDelete covers DELETE and what it does to the user's sign-in.
func TestUserDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	id := e.MustCreateUser(e.A, "gina", "viewer")
	tok := e.MustLogin("gina", testPassword)
	e.MustGet(appPath(e.A.AppID), Bearer(tok))

	r := e.Do("DELETE", userPath(e.A.ClientID, id), admin, nil).Expect(t, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 with a body %s", r.Body)
	}
	e.Do("GET", userPath(e.A.ClientID, id), admin, nil).ExpectError(t, http.StatusNotFound)
	e.Do("DELETE", userPath(e.A.ClientID, id), admin, nil).ExpectError(t, http.StatusNotFound)
	e.Do("GET", appPath(e.A.AppID), Bearer(tok), nil).ExpectError(t, http.StatusUnauthorized)
	e.Form("/oauth/token", "grant_type=password&username=gina&password="+url.QueryEscape(testPassword)).
		Expect(t, http.StatusUnauthorized)
	e.Do("DELETE", usersPath(e.A.ClientID)+"/abc", admin, nil).ExpectError(t, http.StatusNotFound)
	// The name is free again.
	e.MustCreateUser(e.A, "gina", "viewer")
}

// TestUserPermissions: only a client's admins manage its users.
func TestUserPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	target := e.MustCreateUser(e.A, "target", "viewer")
	e.MustCreateUser(e.A, "mgr", "manager")
	e.MustCreateUser(e.A, "view", "viewer")
	e.MustCreateUser(e.A, "term", "terminal")
	e.MustCreateUser(e.A, "nobody") // no roles at all
	callers := map[string]auth{
		"manager":         Bearer(e.MustLogin("mgr", testPassword)),
		"viewer":          Bearer(e.MustLogin("view", testPassword)),
		"terminal":        Bearer(e.MustLogin("term", testPassword)),
		"no role":         Bearer(e.MustLogin("nobody", testPassword)),
		"application key": Key(e.A.AppKey),
	}
	list := usersPath(e.A.ClientID)
	one := userPath(e.A.ClientID, target)
	self := userPath(e.A.ClientID, e.A.AdminID)
	body := userBody(map[string]any{"username": "newbie", "email": "newbie@example.com", "password": testPassword,
		"roles": []string{"admin"}})
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", list, nil},
		{"POST", list, body},
		{"GET", one, nil},
		{"PUT", one, userBody(map[string]any{"username": "target", "email": "t@example.com", "roles": []string{"admin"}})},
		{"PATCH", one, userBody(map[string]any{"roles": []string{"admin"}})},
		{"DELETE", one, nil},
		{"PATCH", self, userBody(map[string]any{"password": "Hij4cked-pass!"})},
		{"DELETE", self, nil},
	}
	before := e.MustGet(list+"?limit=100", Bearer(e.A.Token)).Body
	for name, a := range callers {
		for _, rt := range routes {
			t.Run(name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				e.For(t).Do(rt.method, rt.path, a, rt.body).ExpectError(t, http.StatusForbidden)
			})
		}
	}
	if after := e.MustGet(list+"?limit=100", Bearer(e.A.Token)).Body; string(after) != string(before) {
		t.Errorf("refused requests changed the users:\n%s\n%s", before, after)
	}
	e.MustLogin(e.A.AdminLogin, testPassword)

	t.Run("a user promoted to admin manages users at once", func(t *testing.T) {
		e := e.For(t)
		tok := Bearer(e.MustLogin("target", testPassword))
		e.Do("GET", list, tok, nil).ExpectError(t, http.StatusForbidden)
		e.Do("PATCH", one, Bearer(e.A.Token), userBody(map[string]any{"roles": []string{"admin"}})).Expect(t, http.StatusOK)
		e.MustGet(list, tok)
		// and a demoted one loses it at once, with the same token.
		e.Do("PATCH", one, Bearer(e.A.Token), userBody(map[string]any{"roles": []string{"viewer"}})).Expect(t, http.StatusOK)
		e.Do("GET", list, tok, nil).ExpectError(t, http.StatusForbidden)
	})
}

// TestLastAdmin: a client never loses its last admin.
func TestLastAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	self := userPath(e.A.ClientID, e.A.AdminID)
	refused := []struct {
		name, method string
		body         any
	}{
		{"delete", "DELETE", nil},
		{"demote by PATCH", "PATCH", userBody(map[string]any{"roles": []string{"viewer"}})},
		{"demote by PATCH to no roles", "PATCH", userBody(map[string]any{"roles": []string{}})},
		{"demote by PATCH null", "PATCH", userBody(map[string]any{"roles": nil})},
		{"demote by PUT without roles", "PUT", userBody(map[string]any{"username": e.A.AdminLogin, "email": e.A.AdminLogin})},
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				e.For(t).Do(tc.method, self, admin, tc.body).ExpectError(t, http.StatusBadRequest)
				r := e.For(t).MustGet(self, admin)
				if roles := r.JSON["roles"].([]any); !slices.Contains(roles, any("admin")) {
					t.Fatalf("roles %v", roles)
				}
			})
		}
	}
	check(t)
	t.Run("errors name roles", func(t *testing.T) {
		e.For(t).Do("PATCH", self, admin, userBody(map[string]any{"roles": []string{"viewer"}})).
			ExpectError(t, http.StatusBadRequest, "roles")
	})

	// With a second admin, the first may step down; then the second is the last.
	second := e.MustCreateUser(e.A, "second", "admin")
	secondTok := Bearer(e.MustLogin("second", testPassword))
	r := e.Do("PATCH", self, admin, userBody(map[string]any{"roles": []string{"admin", "viewer"}})).Expect(t, http.StatusOK)
	if roles := r.JSON["roles"].([]any); len(roles) != 2 {
		t.Fatalf("roles %v", roles)
	}
	e.Do("PATCH", self, admin, userBody(map[string]any{"roles": []string{"viewer"}})).Expect(t, http.StatusOK)
	secondPath := userPath(e.A.ClientID, second)
	e.Do("DELETE", secondPath, secondTok, nil).ExpectError(t, http.StatusBadRequest)
	e.Do("PATCH", secondPath, secondTok, userBody(map[string]any{"roles": []string{"manager"}})).ExpectError(t, http.StatusBadRequest)
	// Promote the first again; the second may now delete itself.
	e.Do("PATCH", self, secondTok, userBody(map[string]any{"roles": []string{"admin"}})).Expect(t, http.StatusOK)
	e.Do("DELETE", secondPath, secondTok, nil).Expect(t, http.StatusNoContent)
	e.Do("GET", usersPath(e.A.ClientID), secondTok, nil).ExpectError(t, http.StatusUnauthorized)
	if n := e.MustGet(usersPath(e.A.ClientID), admin).Header.Get("X-Total-Count"); n != strconv.Itoa(1) {
		t.Errorf("X-Total-Count %s", n)
	}
}

// TestUserRaces: racing requests keep the rules that single requests keep.
func TestUserRaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)

	t.Run("one username, many creates", func(t *testing.T) {
		const n = 4
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.For(t).Do("POST", usersPath(e.A.ClientID), admin, userBody(map[string]any{
					"username": "racer", "email": "racer" + strconv.Itoa(i) + "@example.com", "password": testPassword}))
				statuses <- r.Status
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
			t.Errorf("statuses %v, want one 201 and %d 409", count, n-1)
		}
	})

	t.Run("two admins demote each other", func(t *testing.T) {
		second := e.MustCreateUser(e.A, "second", "admin")
		secondTok := Bearer(e.MustLogin("second", testPassword))
		var wg sync.WaitGroup
		var s1, s2 int
		wg.Add(2)
		go func() {
			defer wg.Done()
			s1 = e.For(t).Do("PATCH", userPath(e.A.ClientID, second), admin, userBody(map[string]any{"roles": []string{"viewer"}})).Status
		}()
		go func() {
			defer wg.Done()
			s2 = e.For(t).Do("DELETE", userPath(e.A.ClientID, e.A.AdminID), secondTok, nil).Status
		}()
		wg.Wait()
		// Whichever ran first won; the other found itself (or its caller)
		// without the right to go on.
		ok := 0
		for _, s := range []int{s1, s2} {
			if s == http.StatusOK || s == http.StatusNoContent {
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("statuses %d and %d: want exactly one success", s1, s2)
		}
		// The client still has an admin who can manage users.
		r := e.For(t).Do("GET", usersPath(e.A.ClientID)+"?limit=100", admin, nil)
		if r.Status != http.StatusOK {
			r = e.For(t).Do("GET", usersPath(e.A.ClientID)+"?limit=100", secondTok, nil).Expect(t, http.StatusOK)
		}
		admins := 0
		for _, item := range r.List {
			if slices.Contains(item.(map[string]any)["roles"].([]any), any("admin")) {
				admins++
			}
		}
		if admins != 1 {
			t.Errorf("%d admins left: %s", admins, r.Body)
		}
	})
}
