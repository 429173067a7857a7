package payrest_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// snapshot is what tenant B's owner sees of its data.
type snapshot struct {
	apps, app, users, admin string
}

// MustSnapshot reads tn's applications and users with tn's own credentials.
func (e *env) MustSnapshot(tn tenant, appID int64) snapshot {
	e.t.Helper()
	return snapshot{
		apps:  string(e.MustGet("/application?limit=100", Bearer(tn.Token)).Body),
		app:   string(e.MustGet(appPath(appID), Bearer(tn.Token)).Body),
		users: string(e.MustGet(usersPath(tn.ClientID)+"?limit=100", Bearer(tn.Token)).Body),
		admin: string(e.MustGet(userPath(tn.ClientID, tn.AdminID), Bearer(tn.Token)).Body),
	}
}

// TestTenantIsolation: no credential of tenant A reads or changes anything
// of tenant B; every attempt is answered 404, as if B's ids did not exist.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bViewer := e.MustCreateUser(e.B, "bviewer", "viewer")
	e.MustCreateUser(e.A, "aviewer", "viewer")
	aViewer := Bearer(e.MustLogin("aviewer", testPassword))
	bApp, bPath, bUsers := e.B.AppID, appPath(e.B.AppID), usersPath(e.B.ClientID)
	bAdmin, bView := userPath(e.B.ClientID, e.B.AdminID), userPath(e.B.ClientID, bViewer)
	// B's users addressed through A's client path.
	viaA, viaAView := userPath(e.A.ClientID, e.B.AdminID), userPath(e.A.ClientID, bViewer)
	appForm := appBody(map[string]any{"name": "pwned", "url": "https://evil.example"})
	userForm := userBody(map[string]any{"username": "mallory", "email": "mallory@example.com",
		"password": testPassword, "roles": []string{"admin"}})
	userPatch := userBody(map[string]any{"roles": []string{"viewer"}, "password": "Hij4cked-pass!"})
	userPut := userBody(map[string]any{"username": "mallory2", "email": "mallory2@example.com", "roles": []string{"viewer"}})

	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", bPath, nil},
		{"PUT", bPath, appForm},
		{"PATCH", bPath, appForm},
		{"DELETE", bPath, nil},
		{"POST", bPath + "/recreate-key", nil},
		{"GET", bUsers, nil},
		{"GET", bUsers + "?limit=100&sort=id_desc", nil},
		{"POST", bUsers, userForm},
		{"GET", bAdmin, nil},
		{"PUT", bAdmin, userPut},
		{"PATCH", bAdmin, userPatch},
		{"DELETE", bAdmin, nil},
		{"GET", bView, nil},
		{"PATCH", bView, userPatch},
		{"DELETE", bView, nil},
		{"GET", viaA, nil},
		{"PUT", viaA, userPut},
		{"PATCH", viaA, userPatch},
		{"DELETE", viaA, nil},
		{"DELETE", viaAView, nil},
	}
	callers := []struct {
		name string
		a    auth
	}{
		{"A admin token", Bearer(e.A.Token)},
		{"A application key", Key(e.A.AppKey)},
		{"A viewer token", aViewer},
	}

	before := e.MustSnapshot(e.B, bApp)
	for _, c := range callers {
		for _, rt := range routes {
			t.Run(c.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				if c.name != "A admin token" && (rt.path == viaA || rt.path == viaAView) {
					// A's own users collection, which only A's admins may
					// use at all: the refusal says nothing about B's id.
					e.For(t).Do(rt.method, rt.path, c.a, rt.body).ExpectError(t, http.StatusForbidden)
					return
				}
				e.For(t).Do(rt.method, rt.path, c.a, rt.body).ExpectError(t, http.StatusNotFound)
			})
		}
	}
	t.Run("lists show only the caller's own", func(t *testing.T) {
		for _, c := range callers {
			r := e.For(t).MustGet("/application?limit=100", c.a)
			if ids := r.IDs(); slices.Contains(ids, bApp) {
				t.Errorf("%s lists B's application: %v", c.name, ids)
			}
			r = e.For(t).MustGet("/application?limit=100&name="+url.QueryEscape("Beta"), c.a)
			if len(r.List) != 0 || r.Header.Get("X-Total-Count") != "0" {
				t.Errorf("%s finds B's application by name: %s", c.name, r.Body)
			}
		}
		r := e.For(t).MustGet(usersPath(e.A.ClientID)+"?limit=100", Bearer(e.A.Token))
		if ids := r.IDs(); slices.Contains(ids, e.B.AdminID) || slices.Contains(ids, bViewer) {
			t.Errorf("A lists B's users: %v", ids)
		}
	})

	t.Run("B is unchanged", func(t *testing.T) {
		e := e.For(t)
		if after := e.MustSnapshot(e.B, bApp); after != before {
			t.Errorf("B's data changed:\nbefore %+v\nafter  %+v", before, after)
		}
		e.MustGet(bPath, Key(e.B.AppKey)) // the key was not rotated
		e.MustLogin(e.B.AdminLogin, testPassword)
		e.MustLogin("bviewer", testPassword) // the password was not changed
		e.Form("/oauth/token", "grant_type=password&username=mallory&password="+url.QueryEscape(testPassword)).
			Expect(t, http.StatusUnauthorized)
	})
}

// TestApplicationKeyScope: an application key sees only its own
// application, even among its client's others.
func TestApplicationKeyScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	yID, yKey := e.MustCreateApp(Bearer(e.A.Token), "Y")
	xKey := Key(e.A.AppKey)
	before := e.MustGet(appPath(yID), Bearer(e.A.Token)).Body

	r := e.MustGet("/application", xKey)
	if ids := r.IDs(); !slices.Equal(ids, []int64{e.A.AppID}) || r.Header.Get("X-Total-Count") != "1" {
		t.Errorf("X lists %v (total %s)", ids, r.Header.Get("X-Total-Count"))
	}
	r = e.MustGet("/application?name=Y", xKey)
	if len(r.List) != 0 || r.Header.Get("X-Total-Count") != "0" {
		t.Errorf("X finds Y by name: %s", r.Body)
	}
	for _, rt := range []struct {
		method, path string
		body         any
	}{
		{"GET", appPath(yID), nil},
		{"PUT", appPath(yID), appBody(map[string]any{"name": "pwned"})},
		{"PATCH", appPath(yID), appBody(map[string]any{"name": "pwned"})},
		{"DELETE", appPath(yID), nil},
		{"POST", appPath(yID) + "/recreate-key", nil},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			e.For(t).Do(rt.method, rt.path, xKey, rt.body).ExpectError(t, http.StatusNotFound)
		})
	}
	if after := e.MustGet(appPath(yID), Bearer(e.A.Token)).Body; string(after) != string(before) {
		t.Errorf("Y changed:\n%s\n%s", before, after)
	}
	if r := e.MustGet("/application", Key(yKey)); !slices.Equal(r.IDs(), []int64{yID}) {
		t.Errorf("Y lists %v", r.IDs())
	}
}

// TestLoginNamesAcrossTenants: usernames and emails are one namespace of
// sign-in names across all clients, so that no client can take over (or
// shadow) another client's user's sign-in name.
func TestLoginNamesAcrossTenants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A's user "carol" signs in with her email too.
	e.MustCreateUser(e.A, "carol", "viewer")
	e.MustLogin("carol@example.com", testPassword)
	// A's user whose username looks like an email and is not its email.
	dave := e.Do("POST", usersPath(e.A.ClientID), Bearer(e.A.Token), userBody(map[string]any{
		"username": "dave@a.example", "email": "dave@example.com", "password": testPassword})).
		Expect(t, http.StatusCreated).ID()

	tests := []struct {
		name   string
		method string
		path   string
		body   map[string]any
		field  string
	}{
		{"B takes A's user's email as a username", "POST", usersPath(e.B.ClientID),
			map[string]any{"username": "carol@example.com", "email": "c2@b.example", "password": testPassword}, "username"},
		{"B takes A's user's username as an email", "POST", usersPath(e.B.ClientID),
			map[string]any{"username": "dave2", "email": "dave@a.example", "password": testPassword}, "email"},
		{"B renames its admin to A's user's email", "PATCH", userPath(e.B.ClientID, e.B.AdminID),
			map[string]any{"username": "carol@example.com"}, "username"},
		{"B changes its admin's email to A's user's username", "PATCH", userPath(e.B.ClientID, e.B.AdminID),
			map[string]any{"email": "dave@a.example"}, "email"},
		{"A's own user: a username that is another user's email", "PATCH", userPath(e.A.ClientID, dave),
			map[string]any{"username": "carol@example.com"}, "username"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := e.B.Token
			if tc.path == userPath(e.A.ClientID, dave) {
				tok = e.A.Token
			}
			e.For(t).Do(tc.method, tc.path, Bearer(tok), userBody(tc.body)).ExpectError(t, http.StatusConflict, tc.field)
		})
	}
	// Everyone still signs in as themselves.
	e.MustLogin("carol@example.com", testPassword)
	e.MustLogin("dave@a.example", testPassword)
	e.MustLogin(e.B.AdminLogin, testPassword)
	// A user may keep its own email as its username.
	e.Do("PATCH", userPath(e.A.ClientID, dave), Bearer(e.A.Token),
		userBody(map[string]any{"username": "dave@a.example", "email": "dave@a.example"})).Expect(t, http.StatusOK)
	e.MustLogin("dave@a.example", testPassword)
}
