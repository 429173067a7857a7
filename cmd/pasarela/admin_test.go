package main

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestAdminCommands: payment list and get, user reset-password and app
// rotate-key, run beside a serving gateway as an operator would.
func TestAdminCommands(t *testing.T) {
	db := testDB(t)
	m, out := MustServe(t, nil, "serve", "--demo", "--db", db, "--addr", "127.0.0.1:0")
	key := regexp.MustCompile(`X-Auth-Token: (psk_[a-z0-9]+)`).FindStringSubmatch(out)[1]
	app := regexp.MustCompile(`/application/(\d+)`).FindStringSubmatch(out)[1]
	user := regexp.MustCompile(`admin user +(\S+) +password (\S+)`).FindStringSubmatch(out)
	for i, body := range []string{
		`{"payment":{"amount":"1050","currency":"EUR","description":"Order 1","clientId":"cust-1"}}`,
		`{"payment":{"amount":"2000","currency":"USD","description":"Order 2","clientId":"cust-2"}}`,
	} {
		if status, b := request(t, "POST", m.URL()+"/application/"+app+"/payment", key, body); status != 201 {
			t.Fatalf("payment %d: %d %v", i, status, b)
		}
	}

	var list []paymentOut
	if err := json.Unmarshal([]byte(MustRun(t, nil, "payment", "list", "--app", app, "--db", db, "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Description != "Order 2" || list[0].Amount != 2000 || list[0].Status != "pending" {
		t.Fatalf("payment list: %+v", list)
	}
	list = nil
	if err := json.Unmarshal([]byte(MustRun(t, nil, "payment", "list", "--app", app, "--client-id", "cust-1",
		"--sort", "amount_asc", "--db", db, "--json")), &list); err != nil || len(list) != 1 || list[0].CustomerID != "cust-1" {
		t.Fatalf("payment list --client-id: %+v %v", list, err)
	}
	if out := MustRun(t, nil, "payment", "list", "--app", app, "--status", "completed,refunded", "--db", db); !strings.Contains(out, "0 of 0 payments") {
		t.Fatalf("payment list --status completed: %q", out)
	}
	if out := MustRun(t, nil, "payment", "list", "--app", app, "--db", db); !strings.Contains(out, "Order 1") || !strings.Contains(out, "2 of 2 payments") {
		t.Fatalf("payment list table: %q", out)
	}
	var p paymentOut
	if err := json.Unmarshal([]byte(MustRun(t, nil, "payment", "get", "--app", app, "--id", jsonNumber(list[0].ID), "--db", db, "--json")), &p); err != nil || p.ID != list[0].ID || p.Currency != "EUR" {
		t.Fatalf("payment get: %+v %v", p, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"payment", "get", "--app", app, "--id", "999"}, "not found"},
		{[]string{"payment", "list", "--app", "999"}, "application 999"},
		{[]string{"payment", "list", "--app", app, "--status", "paid"}, "unknown status"},
		{[]string{"payment", "list", "--app", app, "--sort", "secret_desc"}, "sort"},
		{[]string{"user", "reset-password", "--user", user[1], "--password", "weak"}, "password"},
		{[]string{"user", "reset-password", "--user", "nobody@example.com", "--password", "N3w-pass!word"}, "no user nobody@example.com"},
		{[]string{"app", "rotate-key", "--id", "999"}, "no application 999"},
	} {
		if err := runLine(t, append(tc.args, "--db", db)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want an error mentioning %q", tc.args, err, tc.want)
		}
	}

	// A new password: the old one no longer signs in, the new one does.
	MustRun(t, nil, "user", "reset-password", "--user", strings.ToUpper(user[1]), "--password", "N3w-pass!word", "--db", db)
	res, err := http.PostForm(m.URL()+"/oauth/token", map[string][]string{"grant_type": {"password"}, "username": {user[1]}, "password": {user[2]}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == 200 {
		t.Error("the old password still signs in")
	}
	login(t, m.URL(), user[1], "N3w-pass!word")

	// A new API key: the old one fails at once, the new one works.
	var rotated struct{ Application struct{ APIKey string } }
	if err := json.Unmarshal([]byte(MustRun(t, nil, "app", "rotate-key", "--id", app, "--db", db, "--json")), &rotated); err != nil || rotated.Application.APIKey == "" {
		t.Fatalf("app rotate-key: %+v %v", rotated, err)
	}
	if status, _ := request(t, "GET", m.URL()+"/application/"+app, rotated.Application.APIKey, ""); status != 200 {
		t.Errorf("the new key: %d", status)
	}
	// The server caches keys briefly; a restart (or the cache's end) makes
	// the old key fail everywhere. A fresh server refuses it at once.
	m.Close()
	m2, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	if status, _ := request(t, "GET", m2.URL()+"/application/"+app, key, ""); status != 401 {
		t.Errorf("the old key after rotate-key: %d", status)
	}
}
