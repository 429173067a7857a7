package main

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// appJSON is what app create and app update print with --json.
type appJSON struct {
	Application struct {
		ID                      int64
		Name, APIKey, ShopLogin string
		Settings                appSettingsOut
	}
}

func mustAppJSON(t *testing.T, out string) appJSON {
	t.Helper()
	var a appJSON
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("printed %q: %v", out, err)
	}
	return a
}

// runErr runs a command line that must fail and returns its error.
func runErr(t *testing.T, args ...string) error {
	t.Helper()
	cmd, err := ParseCommand(args, nil, io.Discard, io.Discard)
	if err != nil {
		return err
	}
	if err := cmd.Run(context.Background()); err != nil {
		return err
	}
	t.Fatalf("%v succeeded, want an error", args)
	return nil
}

// TestAppSettings runs app create with settings and app update as an
// operator would, then serves and reads the settings back through PayREST.
func TestAppSettings(t *testing.T) {
	db := testDB(t)
	out := MustRun(t, nil, "client", "create", "--name", "Negozio", "--email", "ops@negozio.example",
		"--password", "Str0ng-pass!", "--db", db, "--json")
	var c struct{ Client struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	other := MustRun(t, nil, "client", "create", "--name", "Altro", "--email", "ops@altro.example",
		"--password", "Str0ng-pass!", "--db", db, "--json")
	var o struct{ Client struct{ ID string } }
	if err := json.Unmarshal([]byte(other), &o); err != nil {
		t.Fatal(err)
	}

	a := mustAppJSON(t, MustRun(t, nil, "app", "create", "--client", c.Client.ID, "--name", "Shop",
		"--success-url", "https://negozio.example/ok", "--allowed-ips", "127.0.0.1, 10.1.2.3/8", "--language", "it",
		"--db", db, "--json"))
	want := appSettingsOut{SuccessURL: "https://negozio.example/ok", Language: "it", AllowedIPs: []string{"127.0.0.1/32", "10.0.0.0/8"}}
	if a.Application.APIKey == "" || !reflect.DeepEqual(a.Application.Settings, want) {
		t.Fatalf("app create: %+v, want settings %+v", a, want)
	}
	id := jsonNumber(a.Application.ID)

	// update changes the flags given and keeps the others.
	u := mustAppJSON(t, MustRun(t, nil, "app", "update", "--id", id, "--notify-url", "https://negozio.example/s2s",
		"--require-key", "--failure-url", "https://negozio.example/ko", "--db", db, "--json"))
	want.NotifyURL, want.FailureURL, want.RequireKey = "https://negozio.example/s2s", "https://negozio.example/ko", true
	if u.Application.APIKey != "" || !reflect.DeepEqual(u.Application.Settings, want) {
		t.Fatalf("app update: %+v, want settings %+v", u, want)
	}
	// With the right client, and clearing: an empty value clears a setting.
	u = mustAppJSON(t, MustRun(t, nil, "app", "update", "--id", id, "--client", c.Client.ID, "--allowed-ips", "",
		"--success-url", "", "--require-key=false", "--db", db, "--json"))
	want.AllowedIPs, want.SuccessURL, want.RequireKey = []string{}, "", false
	if !reflect.DeepEqual(u.Application.Settings, want) {
		t.Fatalf("app update clearing: %+v, want settings %+v", u.Application.Settings, want)
	}
	text := MustRun(t, nil, "app", "update", "--id", id, "--language", "es", "--db", db)
	if !strings.Contains(text, "language: es") || !strings.Contains(text, "notify URL: https://negozio.example/s2s") {
		t.Errorf("app update printed %q", text)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"app", "update", "--id", id, "--client", o.Client.ID, "--language", "it"}, "has no application"},
		{[]string{"app", "update", "--id", "999999", "--language", "it"}, "no application 999999"},
		{[]string{"app", "update", "--id", id, "--language", "xx"}, "--language: must be one of"},
		{[]string{"app", "update", "--id", id, "--allowed-ips", "127.0.0.1,nope"}, "--allowed-ips entry [1]"},
		{[]string{"app", "update", "--id", id, "--success-url", "ftp://negozio.example"}, "--success-url"},
		{[]string{"app", "update", "--id", id, "--notify-url", "https://negozio.example/x", "--notify-format", "soap"}, "--notify-format"},
		{[]string{"app", "create", "--client", c.Client.ID, "--name", "x", "--failure-url", "/ko"}, "--failure-url"},
	} {
		if err := runErr(t, append(tc.args, "--db", db)...); !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}

	// The server shows what the command line set.
	m, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	status, body := request(t, "GET", m.URL()+"/application/"+id, a.Application.APIKey, "")
	g, _ := body["gestpay"].(map[string]any)
	if status != 200 || g["serverToServerUrl"] != "https://negozio.example/s2s" || g["negativeUrl"] != "https://negozio.example/ko" ||
		g["languageId"] != "3" || g["requireApiKey"] != false {
		t.Fatalf("GET application: %d %v", status, body)
	}
}
