package payrest_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestApplicationList covers paging, ordering, the name filter and the
// X-Total-Count header of GET /application.
func TestApplicationList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Tenant A has "Alpha Shop web"; add 11 more so that the default page
	// (10) is smaller than the total (12).
	ids := []int64{e.A.AppID}
	for i := 1; i <= 11; i++ {
		id, _ := e.MustCreateApp(Bearer(e.A.Token), fmt.Sprintf("App %02d", i))
		ids = append(ids, id)
	}
	desc := slices.Clone(ids)
	slices.Reverse(desc)

	tests := []struct {
		name  string
		query string
		want  []int64
		total int
	}{
		{"default limit 10, sorted by id", "", ids[:10], 12},
		{"limit and offset", "?limit=3&offset=2", ids[2:5], 12},
		{"offset past the end", "?offset=50", []int64{}, 12},
		{"max limit 100", "?limit=100", ids, 12},
		{"limit 1", "?limit=1", ids[:1], 12},
		{"sort id desc", "?sort=id_desc&limit=100", desc, 12},
		{"sort without direction is asc", "?sort=id&limit=100", ids, 12},
		{"sort direction case-insensitive", "?sort=id_DESC&limit=3", desc[:3], 12},
		{"sort by name desc then id", "?sort=name_desc,id_asc&limit=2", []int64{ids[11], ids[10]}, 12},
		{"sort by createdAt", "?sort=createdAt_asc&limit=2", ids[:2], 12},
		{"name filter, case-insensitive", "?name=app%200", ids[1:10], 9},
		{"name filter with paging", "?name=APP&limit=2&offset=10", ids[11:12], 11},
		{"name filter matching nothing", "?name=nothing", []int64{}, 0},
		{"name filter matching the first app", "?name=alpha", ids[:1], 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range []auth{Bearer(e.A.Token)} {
				r := e.For(t).Do("GET", "/application"+tc.query, a, nil).Expect(t, http.StatusOK)
				if r.List == nil {
					t.Fatalf("body is not an array: %s", r.Body)
				}
				if got := r.IDs(); !slices.Equal(got, tc.want) {
					t.Errorf("ids %v, want %v", got, tc.want)
				}
				if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(tc.total) {
					t.Errorf("X-Total-Count %q, want %d", got, tc.total)
				}
			}
		})
	}

	t.Run("list items hide the key", func(t *testing.T) {
		r := e.For(t).MustGet("/application?limit=100", Bearer(e.A.Token))
		for _, item := range r.List {
			m := item.(map[string]any)
			k := m["apiKey"].(map[string]any)
			if k["key"] != nil {
				t.Fatalf("list shows a key: %v", m)
			}
			if p, _ := k["prefix"].(string); !strings.HasPrefix(p, "psk_") {
				t.Fatalf("prefix %v", k["prefix"])
			}
		}
	})

	bad := []struct {
		name  string
		query string
		field string
	}{
		{"limit 0", "?limit=0", "limit"},
		{"limit 101", "?limit=101", "limit"},
		{"limit not a number", "?limit=x", "limit"},
		{"limit negative", "?limit=-1", "limit"},
		{"limit float", "?limit=1.5", "limit"},
		{"limit huge", "?limit=99999999999999999999999", "limit"},
		{"offset -1", "?offset=-1", "offset"},
		{"offset not a number", "?offset=x", "offset"},
		{"sort unknown field", "?sort=secret_asc", "sort"},
		{"sort key hash", "?sort=keyHash", "sort"},
		{"sort bad direction", "?sort=id_up", "sort"},
		{"sort empty field", "?sort=_asc", "sort"},
		{"sort empty item", "?sort=id,", "sort"},
		{"sort too many keys", "?sort=id,name,url,createdAt,updatedAt,id", "sort"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("GET", "/application"+tc.query, Bearer(e.A.Token), nil).ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
	t.Run("several broken rules at once", func(t *testing.T) {
		e.For(t).Do("GET", "/application?limit=x&offset=-1", Bearer(e.A.Token), nil).
			ExpectError(t, http.StatusBadRequest, "limit", "offset")
	})
}

// TestApplicationCreate covers POST /application.
func TestApplicationCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)

	t.Run("created with its key shown once", func(t *testing.T) {
		r := e.Do("POST", "/application", admin, appBody(map[string]any{
			"name": "Shop", "url": "https://shop.example.com", "logo": "https://shop.example.com/logo.png"})).
			Expect(t, http.StatusCreated)
		id := r.ID()
		if id <= 0 || r.JSON["name"] != "Shop" || r.JSON["url"] != "https://shop.example.com" ||
			r.JSON["logo"] != "https://shop.example.com/logo.png" {
			t.Fatalf("body %s", r.Body)
		}
		if loc := r.Header.Get("Location"); loc != appPath(id) {
			t.Errorf("Location %q, want %q", loc, appPath(id))
		}
		k := r.JSON["apiKey"].(map[string]any)
		key, _ := k["key"].(string)
		if !strings.HasPrefix(key, "psk_") || !strings.HasPrefix(key, k["prefix"].(string)) {
			t.Fatalf("apiKey %v", k)
		}
		if s, _ := r.JSON["shopLogin"].(string); !strings.HasPrefix(s, "GESPAY") {
			t.Errorf("shopLogin %v", r.JSON["shopLogin"])
		}
		// The key works as X-Auth-Token and names this application.
		got := e.MustGet(appPath(id), Key(key))
		if got.ID() != id {
			t.Fatalf("key reached %s", got.Body)
		}
		// It is never shown again.
		if k := got.JSON["apiKey"].(map[string]any); k["key"] != nil || k["prefix"] != r.JSON["apiKey"].(map[string]any)["prefix"] {
			t.Fatalf("detail shows %v", k)
		}
		if k := e.MustGet(appPath(id), admin).JSON["apiKey"].(map[string]any); k["key"] != nil {
			t.Fatalf("detail shows %v", k)
		}
	})

	t.Run("url and logo are optional", func(t *testing.T) {
		r := e.Do("POST", "/application", admin, appBody(map[string]any{"name": "Bare"})).Expect(t, http.StatusCreated)
		if r.JSON["url"] != nil || r.JSON["logo"] != nil {
			t.Fatalf("body %s", r.Body)
		}
	})

	t.Run("keys are unique", func(t *testing.T) {
		_, k1 := e.MustCreateApp(admin, "K1")
		_, k2 := e.MustCreateApp(admin, "K2")
		if k1 == k2 {
			t.Fatal("two applications got the same key")
		}
	})

	bad := []struct {
		name   string
		fields map[string]any
		field  string
	}{
		{"missing name", map[string]any{"url": "https://x.example"}, "name"},
		{"empty name", map[string]any{"name": ""}, "name"},
		{"blank name", map[string]any{"name": "   "}, "name"},
		{"null name", map[string]any{"name": nil}, "name"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201)}, "name"},
		{"name with line break", map[string]any{"name": "a\nb"}, "name"},
		{"name with NUL", map[string]any{"name": "a\x00b"}, "name"},
		{"url not a url", map[string]any{"name": "x", "url": "not a url"}, "url"},
		{"url relative", map[string]any{"name": "x", "url": "/shop"}, "url"},
		{"url javascript", map[string]any{"name": "x", "url": "javascript:alert(1)"}, "url"},
		{"url ftp", map[string]any{"name": "x", "url": "ftp://x.example/"}, "url"},
		{"url too long", map[string]any{"name": "x", "url": "https://x.example/" + strings.Repeat("a", 2048)}, "url"},
		{"logo not a url", map[string]any{"name": "x", "logo": "logo.png"}, "logo"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("POST", "/application", admin, appBody(tc.fields)).ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
	t.Run("every broken rule is reported", func(t *testing.T) {
		e.For(t).Do("POST", "/application", admin, appBody(map[string]any{"url": "x", "logo": "y"})).
			ExpectError(t, http.StatusBadRequest, "name", "url", "logo")
	})
	t.Run("nothing was created by the refused requests", func(t *testing.T) {
		r := e.For(t).MustGet("/application?limit=100", admin)
		if got := r.Header.Get("X-Total-Count"); got != "5" { // Alpha Shop web, Shop, Bare, K1, K2
			t.Fatalf("X-Total-Count %s: %s", got, r.Body)
		}
	})
}

// TestApplicationDetail covers GET /application/{id}.
func TestApplicationDetail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	r := e.MustGet(appPath(e.A.AppID), admin)
	if r.ID() != e.A.AppID || r.JSON["name"] != "Alpha Shop web" {
		t.Fatalf("body %s", r.Body)
	}
	links, _ := r.JSON["links"].([]any)
	if len(links) == 0 || links[0].(map[string]any)["href"] != appPath(e.A.AppID) {
		t.Errorf("links %v", r.JSON["links"])
	}
	for _, path := range []string{
		"/application/999999", "/application/abc", "/application/0", "/application/-1", "/application/1.5",
		"/application/1e3", "/application/99999999999999999999999", "/application/%20",
	} {
		t.Run(path, func(t *testing.T) {
			e.For(t).Do("GET", path, admin, nil).ExpectError(t, http.StatusNotFound)
		})
	}
}

// TestApplicationUpdate covers PUT (full replace) and PATCH (partial).
func TestApplicationUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	full := map[string]any{"name": "Full", "url": "https://full.example", "logo": "https://full.example/l.png"}
	reset := func(t *testing.T) int64 {
		t.Helper()
		r := e.For(t).Do("POST", "/application", admin, appBody(full)).Expect(t, http.StatusCreated)
		return r.ID()
	}

	tests := []struct {
		method string
		name   string
		fields map[string]any
		want   map[string]any
	}{
		{"PUT", "absent url and logo become null", map[string]any{"name": "Renamed"},
			map[string]any{"name": "Renamed", "url": nil, "logo": nil}},
		{"PUT", "every field", map[string]any{"name": "N", "url": "http://n.example", "logo": "http://n.example/l"},
			map[string]any{"name": "N", "url": "http://n.example", "logo": "http://n.example/l"}},
		{"PATCH", "absent fields unchanged", map[string]any{"name": "Renamed"},
			map[string]any{"name": "Renamed", "url": full["url"], "logo": full["logo"]}},
		{"PATCH", "explicit null clears url", map[string]any{"url": nil},
			map[string]any{"name": "Full", "url": nil, "logo": full["logo"]}},
		{"PATCH", "empty object changes nothing", map[string]any{},
			map[string]any{"name": "Full", "url": full["url"], "logo": full["logo"]}},
		{"PATCH", "logo only", map[string]any{"logo": "https://other.example/x.svg"},
			map[string]any{"name": "Full", "url": full["url"], "logo": "https://other.example/x.svg"}},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.name, func(t *testing.T) {
			id := reset(t)
			e := e.For(t)
			r := e.Do(tc.method, appPath(id), admin, appBody(tc.fields)).Expect(t, http.StatusOK)
			check := func(r *resp) {
				t.Helper()
				for k, v := range tc.want {
					if r.JSON[k] != v {
						t.Errorf("%s = %v, want %v; body %s", k, r.JSON[k], v, r.Body)
					}
				}
				if r.ID() != id {
					t.Errorf("id %d, want %d", r.ID(), id)
				}
				if k := r.JSON["apiKey"].(map[string]any); k["key"] != nil {
					t.Errorf("update shows the key: %v", k)
				}
			}
			check(r)
			check(e.MustGet(appPath(id), admin)) // and it was stored
		})
	}

	bad := []struct {
		method string
		name   string
		fields map[string]any
		field  string
	}{
		{"PUT", "name missing", map[string]any{"url": "https://x.example"}, "name"},
		{"PUT", "bad url", map[string]any{"name": "x", "url": "nope"}, "url"},
		{"PATCH", "null name", map[string]any{"name": nil}, "name"},
		{"PATCH", "empty name", map[string]any{"name": ""}, "name"},
		{"PATCH", "bad logo", map[string]any{"logo": "nope"}, "logo"},
	}
	for _, tc := range bad {
		t.Run(tc.method+" "+tc.name, func(t *testing.T) {
			id := reset(t)
			e := e.For(t)
			before := e.MustGet(appPath(id), admin).Body
			e.Do(tc.method, appPath(id), admin, appBody(tc.fields)).ExpectError(t, http.StatusBadRequest, tc.field)
			if after := e.MustGet(appPath(id), admin).Body; string(after) != string(before) {
				t.Errorf("refused update changed the application:\n%s\n%s", before, after)
			}
		})
	}
	for _, method := range []string{"PUT", "PATCH"} {
		for _, path := range []string{"/application/999999", "/application/abc"} {
			t.Run(method+" "+path, func(t *testing.T) {
				e.For(t).Do(method, path, admin, appBody(map[string]any{"name": "x"})).ExpectError(t, http.StatusNotFound)
			})
		}
	}
}

// TestApplicationDelete covers DELETE /application/{id}.
func TestApplicationDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	id, key := e.MustCreateApp(admin, "Doomed")

	r := e.Do("DELETE", appPath(id), admin, nil).Expect(t, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 with a body: %s", r.Body)
	}
	e.Do("GET", appPath(id), admin, nil).ExpectError(t, http.StatusNotFound)
	e.Do("DELETE", appPath(id), admin, nil).ExpectError(t, http.StatusNotFound)
	e.Do("PATCH", appPath(id), admin, appBody(map[string]any{"name": "back"})).ExpectError(t, http.StatusNotFound)
	e.Do("POST", appPath(id)+"/recreate-key", admin, nil).ExpectError(t, http.StatusNotFound)
	// The deleted application's key is dead.
	e.Do("GET", "/application", Key(key), nil).ExpectError(t, http.StatusUnauthorized)
	e.Do("DELETE", "/application/abc", admin, nil).ExpectError(t, http.StatusNotFound)
	// The other application is still there.
	e.MustGet(appPath(e.A.AppID), Key(e.A.AppKey))
}

// TestRecreateKey covers POST /application/{id}/recreate-key: the new key
// works and the old one fails at once.
func TestRecreateKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	id, old := e.MustCreateApp(admin, "Rotating")
	e.MustGet(appPath(id), Key(old))

	r := e.Do("POST", appPath(id)+"/recreate-key", admin, nil).Expect(t, http.StatusCreated)
	if r.ID() != id || r.JSON["name"] != "Rotating" {
		t.Fatalf("body %s", r.Body)
	}
	k := r.JSON["apiKey"].(map[string]any)
	fresh, _ := k["key"].(string)
	if !strings.HasPrefix(fresh, "psk_") || fresh == old || !strings.HasPrefix(fresh, k["prefix"].(string)) {
		t.Fatalf("apiKey %v (old %s)", k, old)
	}
	e.Do("GET", appPath(id), Key(old), nil).ExpectError(t, http.StatusUnauthorized)
	e.Do("GET", "/application", Key(old), nil).ExpectError(t, http.StatusUnauthorized)
	if got := e.MustGet(appPath(id), Key(fresh)); got.ID() != id {
		t.Fatalf("new key reached %s", got.Body)
	}
	// Rotating again kills the second key too.
	third := e.Do("POST", appPath(id)+"/recreate-key", admin, nil).Expect(t, http.StatusCreated).
		JSON["apiKey"].(map[string]any)["key"].(string)
	e.Do("GET", appPath(id), Key(fresh), nil).ExpectError(t, http.StatusUnauthorized)
	e.MustGet(appPath(id), Key(third))
	// Other applications' keys are untouched.
	e.MustGet(appPath(e.A.AppID), Key(e.A.AppKey))

	e.Do("POST", "/application/999999/recreate-key", admin, nil).ExpectError(t, http.StatusNotFound)
	e.Do("POST", "/application/abc/recreate-key", admin, nil).ExpectError(t, http.StatusNotFound)
}

// TestApplicationPermissions: application keys read their own application
// but change nothing; only admins change applications.
func TestApplicationPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.MustCreateUser(e.A, "viewer1", "viewer")
	e.MustCreateUser(e.A, "manager1", "manager")
	viewer := Bearer(e.MustLogin("viewer1", testPassword))
	manager := Bearer(e.MustLogin("manager1", testPassword))
	key := Key(e.A.AppKey)
	before := e.MustGet(appPath(e.A.AppID), Bearer(e.A.Token)).Body

	tests := []struct {
		name   string
		a      auth
		method string
		path   string
		body   any
		status int
	}{
		{"key reads its application", key, "GET", appPath(e.A.AppID), nil, http.StatusOK},
		{"key lists", key, "GET", "/application", nil, http.StatusOK},
		{"key cannot create", key, "POST", "/application", appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"key cannot PUT", key, "PUT", appPath(e.A.AppID), appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"key cannot PATCH", key, "PATCH", appPath(e.A.AppID), appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"key cannot DELETE", key, "DELETE", appPath(e.A.AppID), nil, http.StatusForbidden},
		{"key cannot recreate its key", key, "POST", appPath(e.A.AppID) + "/recreate-key", nil, http.StatusForbidden},
		{"viewer reads", viewer, "GET", appPath(e.A.AppID), nil, http.StatusOK},
		{"viewer lists", viewer, "GET", "/application", nil, http.StatusOK},
		{"viewer cannot create", viewer, "POST", "/application", appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"viewer cannot PATCH", viewer, "PATCH", appPath(e.A.AppID), appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"viewer cannot DELETE", viewer, "DELETE", appPath(e.A.AppID), nil, http.StatusForbidden},
		{"manager cannot PUT", manager, "PUT", appPath(e.A.AppID), appBody(map[string]any{"name": "x"}), http.StatusForbidden},
		{"manager cannot recreate the key", manager, "POST", appPath(e.A.AppID) + "/recreate-key", nil, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).Do(tc.method, tc.path, tc.a, tc.body)
			if tc.status == http.StatusOK {
				r.Expect(t, tc.status)
			} else {
				r.ExpectError(t, tc.status)
			}
		})
	}
	if after := e.MustGet(appPath(e.A.AppID), Bearer(e.A.Token)).Body; string(after) != string(before) {
		t.Errorf("refused requests changed the application:\n%s\n%s", before, after)
	}
	e.MustGet(appPath(e.A.AppID), key) // the key was not rotated
	if n := e.MustGet("/application", Bearer(e.A.Token)).Header.Get("X-Total-Count"); n != "1" {
		t.Errorf("X-Total-Count %s after refused creates", n)
	}
}

// TestRouting covers wrong methods (405 with Allow, in PayREST's format) and
// unknown routes (404 JSON).
func TestRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	app := appPath(e.A.AppID)
	user := userPath(e.A.ClientID, e.A.AdminID)
	methods := []struct {
		method, path, allow string
		a                   auth
	}{
		{"DELETE", "/application", "GET, POST", admin},
		{"PUT", "/application", "GET, POST", admin},
		{"PATCH", "/application", "GET, POST", admin},
		{"POST", app, "GET, PUT, PATCH, DELETE", admin},
		{"GET", app + "/recreate-key", "POST", admin},
		{"DELETE", app + "/recreate-key", "POST", admin},
		{"PUT", usersPath(e.A.ClientID), "GET, POST", admin},
		{"POST", user, "GET, PUT, PATCH, DELETE", admin},
		{"GET", "/oauth/token", "POST", NoAuth},
		{"PUT", "/oauth/token", "POST", NoAuth},
		{"GET", "/auth/realms/production/protocol/openid-connect/token", "POST", NoAuth},
		{"POST", "/openapi/payrest.json", "GET", NoAuth},
	}
	for _, tc := range methods {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.For(t).Do(tc.method, tc.path, tc.a, nil).ExpectError(t, http.StatusMethodNotAllowed)
			if got := r.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	for _, path := range []string{"/nope", "/applications", "/application/1/nope", "/client", "/client/x",
		"/client/x/users", "/oauth", "/oauth/token/x"} {
		t.Run("GET "+path, func(t *testing.T) {
			r := e.For(t).Do("GET", path, admin, nil).ExpectError(t, http.StatusNotFound)
			if r.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("unknown route asks for credentials")
			}
		})
	}
}

// TestApplicationListsItsGatewayConfigs: an application shows its gateway
// configs as {id, gateway, name, weight}, in detail and in lists, and never
// another application's.
func TestApplicationListsItsGatewayConfigs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other, _ := e.MustCreateApp(Bearer(e.A.Token), "other")
	cards := e.MustSandbox(e.A, e.A.AppID, "cards", nil)
	e.MustSandbox(e.A, other, "other cards", nil)
	check := func(t *testing.T, app map[string]any) {
		t.Helper()
		got, _ := app["gatewayConfigs"].([]any)
		if len(got) != 1 {
			t.Fatalf("gatewayConfigs %v", app["gatewayConfigs"])
		}
		g := got[0].(map[string]any)
		if g["id"].(float64) != float64(cards) || g["gateway"] != "sandbox" || g["name"] != "cards" || g["weight"].(float64) != 1 {
			t.Fatalf("summary %v", g)
		}
	}
	for _, a := range []auth{Bearer(e.A.Token), Key(e.A.AppKey)} {
		check(t, e.MustGet(appPath(e.A.AppID), a).JSON)
		list := e.MustGet("/application?sort=id_asc", a).List
		check(t, list[0].(map[string]any))
	}
}
