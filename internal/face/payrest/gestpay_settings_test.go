package payrest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
)

// gestpayOf returns the gestpay object of an application answer.
func gestpayOf(t *testing.T, r *resp) map[string]any {
	t.Helper()
	g, ok := r.JSON["gestpay"].(map[string]any)
	if !ok {
		t.Fatalf("no gestpay object: %s", r.Body)
	}
	return g
}

// wantGestpay fails unless the gestpay object is exactly want (JSON values).
func wantGestpay(t *testing.T, what string, r *resp, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if got := gestpayOf(t, r); !reflect.DeepEqual(got, w) {
		t.Errorf("%s: gestpay %v, want %v", what, got, w)
	}
}

// TestApplicationGestpaySettings: an admin sets a shop's Gestpay settings
// on PATCH, reads them back on GET, changes one while the others stay, and
// the server-to-server URL becomes a webhook endpoint of the application in
// Gestpay's format.
func TestApplicationGestpaySettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	path := appPath(e.A.AppID)

	wantGestpay(t, "unset", e.MustGet(path, admin), `{"positiveUrl":"","negativeUrl":"","serverToServerUrl":"",
		"allowedIps":[],"requireApiKey":false,"languageId":""}`)

	all := map[string]any{"positiveUrl": "https://shop.example/ok", "negativeUrl": "https://shop.example/ko",
		"serverToServerUrl": "https://shop.example/s2s", "allowedIps": []string{"127.0.0.1/32", "10.1.2.3/8", "::1"},
		"requireApiKey": true, "languageId": "1"}
	set := `{"positiveUrl":"https://shop.example/ok","negativeUrl":"https://shop.example/ko",
		"serverToServerUrl":"https://shop.example/s2s","allowedIps":["127.0.0.1/32","10.0.0.0/8","::1/128"],
		"requireApiKey":true,"languageId":"1"}`
	r := e.Do("PATCH", path, admin, appBody(map[string]any{"gestpay": all})).Expect(t, http.StatusOK)
	wantGestpay(t, "PATCH answer", r, set)
	wantGestpay(t, "read back", e.MustGet(path, admin), set)
	list := e.MustGet("/application", admin)
	if len(list.List) != 1 {
		t.Fatalf("list: %s", list.Body)
	}
	if g := list.List[0].(map[string]any)["gestpay"].(map[string]any); g["serverToServerUrl"] != "https://shop.example/s2s" {
		t.Errorf("list shows %v", g)
	}

	// The notification URL is a GET webhook in Gestpay's format.
	hooks, _, err := e.Svc.ListWebhooks(pasarela.WithPrincipal(context.Background(),
		&pasarela.Principal{ClientID: e.A.ClientID, ApplicationID: e.A.AppID}), e.A.AppID, pasarela.ListOptions{Limit: 10})
	if err != nil || len(hooks) != 1 || hooks[0].Method != "GET" || hooks[0].Format != pasarela.FormatGestpay ||
		hooks[0].Targets[0] != "https://shop.example/s2s" {
		t.Fatalf("webhooks: %+v %v", hooks, err)
	}

	// PATCH one setting: the others stay; null clears one.
	r = e.Do("PATCH", path, admin, appBody(map[string]any{"name": "Renamed",
		"gestpay": map[string]any{"languageId": "2", "negativeUrl": nil}})).Expect(t, http.StatusOK)
	set = strings.Replace(strings.Replace(set, `"languageId":"1"`, `"languageId":"2"`, 1),
		`"negativeUrl":"https://shop.example/ko"`, `"negativeUrl":""`, 1)
	wantGestpay(t, "partial PATCH", r, set)
	if r.JSON["name"] != "Renamed" {
		t.Errorf("name %v", r.JSON["name"])
	}
	// PATCH without gestpay leaves every setting.
	r = e.Do("PATCH", path, admin, appBody(map[string]any{"logo": "https://shop.example/logo.png"})).Expect(t, http.StatusOK)
	wantGestpay(t, "PATCH without gestpay", r, set)

	// PUT replaces: settings left out are cleared, and the webhook goes.
	r = e.Do("PUT", path, admin, appBody(map[string]any{"name": "Replaced",
		"gestpay": map[string]any{"allowedIps": []string{"192.0.2.1"}}})).Expect(t, http.StatusOK)
	wantGestpay(t, "PUT", r, `{"positiveUrl":"","negativeUrl":"","serverToServerUrl":"",
		"allowedIps":["192.0.2.1/32"],"requireApiKey":false,"languageId":""}`)
	hooks, _, _ = e.Svc.ListWebhooks(pasarela.WithPrincipal(context.Background(),
		&pasarela.Principal{ClientID: e.A.ClientID, ApplicationID: e.A.AppID}), e.A.AppID, pasarela.ListOptions{Limit: 10})
	if len(hooks) != 0 {
		t.Errorf("webhooks after clearing the URL: %+v", hooks)
	}

	// POST creates with settings; the answer shows them with the key.
	r = e.Do("POST", "/application", admin, appBody(map[string]any{"name": "Second",
		"gestpay": map[string]any{"positiveUrl": "https://two.example/ok", "languageId": "5"}})).Expect(t, http.StatusCreated)
	wantGestpay(t, "POST", r, `{"positiveUrl":"https://two.example/ok","negativeUrl":"","serverToServerUrl":"",
		"allowedIps":[],"requireApiKey":false,"languageId":"5"}`)
	wantGestpay(t, "POST read back", e.MustGet(appPath(r.ID()), admin), `{"positiveUrl":"https://two.example/ok","negativeUrl":"",
		"serverToServerUrl":"","allowedIps":[],"requireApiKey":false,"languageId":"5"}`)
}

// TestApplicationGestpayInvalid: each refused setting is named the PayREST
// way, nothing changes, and only an admin of the application's own client
// may set them.
func TestApplicationGestpayInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	path := appPath(e.A.AppID)
	e.Do("PATCH", path, admin, appBody(map[string]any{"gestpay": map[string]any{"positiveUrl": "https://shop.example/ok"}})).
		Expect(t, http.StatusOK)
	before := e.MustGet(path, admin).Body
	many := make([]string, 101)
	for i := range many {
		many[i] = "10.0.0.1"
	}
	for _, tc := range []struct {
		name    string
		gestpay map[string]any
		field   string
	}{
		{"relative positive URL", map[string]any{"positiveUrl": "/ok"}, "gestpay.positiveUrl"},
		{"negative URL with a password", map[string]any{"negativeUrl": "https://u:p@shop.example/ko"}, "gestpay.negativeUrl"},
		{"private server-to-server URL", map[string]any{"serverToServerUrl": "http://10.0.0.1/s2s"}, "gestpay.serverToServerUrl"},
		{"positive URL too long", map[string]any{"positiveUrl": "https://shop.example/" + strings.Repeat("a", 2000)}, "gestpay.positiveUrl"},
		{"unknown language id", map[string]any{"languageId": "9"}, "gestpay.languageId"},
		{"a language name", map[string]any{"languageId": "it"}, "gestpay.languageId"},
		{"not an address", map[string]any{"allowedIps": []string{"127.0.0.1", "shop.example"}}, "gestpay.allowedIps[1]"},
		{"too many addresses", map[string]any{"allowedIps": many}, "gestpay.allowedIps"},
		{"addresses as a string", map[string]any{"allowedIps": "127.0.0.1"}, "gestpay.allowedIps"},
		{"requireApiKey as a string", map[string]any{"requireApiKey": "yes"}, "gestpay.requireApiKey"},
		{"an unknown setting", map[string]any{"notifyUrl": "https://shop.example/s2s"}, "notifyUrl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("PATCH", path, admin, appBody(map[string]any{"gestpay": tc.gestpay})).
				ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
	e.Do("POST", "/application", admin, appBody(map[string]any{"name": "x", "gestpay": map[string]any{"allowedIps": []string{"x"}}})).
		ExpectError(t, http.StatusBadRequest, "gestpay.allowedIps[0]")

	// Refused callers: the application's key, a viewer, another client's
	// admin (who cannot see the application at all).
	e.MustCreateUser(e.A, "viewer1", "viewer")
	viewer := Bearer(e.MustLogin("viewer1", testPassword))
	body := appBody(map[string]any{"gestpay": map[string]any{"allowedIps": []string{"0.0.0.0/0"}}})
	e.Do("PATCH", path, Key(e.A.AppKey), body).ExpectError(t, http.StatusForbidden)
	e.Do("PATCH", path, viewer, body).ExpectError(t, http.StatusForbidden)
	e.Do("PATCH", path, Bearer(e.B.Token), body).ExpectError(t, http.StatusNotFound)
	e.Do("GET", path, Bearer(e.B.Token), nil).ExpectError(t, http.StatusNotFound)
	if after := e.MustGet(path, admin).Body; string(after) != string(before) {
		t.Errorf("refused requests changed the application:\n%s\n%s", before, after)
	}
}
