package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/store/engine"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// demo is what serve --demo printed: its application's API key and id,
// and its admin user's access token.
type demo struct {
	key, app, token string
	user, password  string
}

// mustDemo serves --demo on db and returns the server and the demo.
func mustDemo(t *testing.T, db string, extra ...string) (*Main, demo) {
	t.Helper()
	m, out := MustServe(t, nil, append([]string{"serve", "--demo", "--db", db, "--addr", "127.0.0.1:0", "--webhook-allow-private"}, extra...)...)
	key := regexp.MustCompile(`X-Auth-Token: (psk_[a-z0-9]+)`).FindStringSubmatch(out)
	id := regexp.MustCompile(`/application/(\d+)`).FindStringSubmatch(out)
	user := regexp.MustCompile(`admin user +(\S+) +password (\S+)`).FindStringSubmatch(out)
	if key == nil || id == nil || user == nil {
		t.Fatalf("demo output lacks the credentials:\n%s", out)
	}
	return m, demo{key: key[1], app: id[1], token: login(t, m.URL(), user[1], user[2]), user: user[1], password: user[2]}
}

// bearer sends a request with a user's access token.
func bearer(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(res.Body).Decode(&v)
	return res.StatusCode, v
}

// sealEveryKind gives the demo application a value in every sealed
// column: a gateway config with secrets, a webhook (its signing secret);
// the application's API key is sealed when it is made.
func sealEveryKind(t *testing.T, m *Main, d demo) {
	t.Helper()
	status, body := bearer(t, "POST", m.URL()+"/application/"+d.app+"/gateway", d.token,
		`{"gatewayConfig":{"gateway":"paypal_express_checkout","name":"PayPal","config":{"sandbox":true,"username":"u","password":"p","signature":"s"}}}`)
	if status != 201 {
		t.Fatalf("gateway config: %d %v", status, body)
	}
	status, body = request(t, "POST", m.URL()+"/application/"+d.app+"/webhook", d.key,
		`{"webhook":{"targets":["http://127.0.0.1:9/hooks"],"targetEntity":"payment"}}`)
	if status != 201 {
		t.Fatalf("webhook: %d %v", status, body)
	}
	dashboardEnrolTOTP(t, m.URL(), d.user, d.password)
}

var formTokenRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// dashboardEnrolTOTP signs in to the dashboard and starts enrolling an
// authenticator, which seals a TOTP secret.
func dashboardEnrolTOTP(t *testing.T, base, user, password string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := func(path string) string {
		t.Helper()
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := formTokenRE.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no form token (%d)", path, res.StatusCode)
		}
		return string(m[1])
	}
	res, err := c.PostForm(base+"/dashboard/signin", url.Values{"csrf": {token("/dashboard/signin")}, "login": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = c.PostForm(base+"/dashboard/account/totp", url.Values{"csrf": {token("/dashboard/account")}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard TOTP enrolment: %d", res.StatusCode)
	}
}

func mustKeyFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestSecretKeyRotate: rotate seals every sealed value with a new key
// (proved by opening them all with that key alone), keeps the old one,
// can be run again, and resumes a rotation that stopped half way.
func TestSecretKeyRotate(t *testing.T) {
	db := testDB(t)
	keyFile := engine.KeyFile(db, "")
	m, d := mustDemo(t, db)
	sealEveryKind(t, m, d)
	old := mustKeyFile(t, keyFile)

	// Rotated while the server serves.
	out := MustRun(t, nil, "secret-key", "rotate", "--db", db)
	if !strings.Contains(out, "re-sealed") {
		t.Fatalf("rotate printed %q", out)
	}
	newKey := mustKeyFile(t, keyFile)
	if newKey == old || mustKeyFile(t, keyFile+previousKeySuffix) != old {
		t.Fatalf("after rotate: key %s (was %s), previous %s", newKey, old, mustKeyFile(t, keyFile+previousKeySuffix))
	}
	if _, err := os.Stat(keyFile + nextKeySuffix); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", keyFile+nextKeySuffix, err)
	}
	onlyKey := func(k string) string {
		t.Helper()
		return MustRun(t, []string{"PASARELA_SECRET_KEY=" + k}, "secret-key", "reseal", "--db", db)
	}
	// With the new key alone, every value opens and none needs sealing.
	if out := onlyKey(newKey); !regexp.MustCompile(`re-sealed 0 values; [3-9]\d* were sealed with the current key`).MatchString(out) {
		t.Fatalf("reseal with the new key alone: %q", out)
	}
	// The server that was running still reads what was re-sealed (it
	// reads the keys again), so its webhook deliveries are signed.
	if status, body := request(t, "POST", m.URL()+"/application/"+d.app+"/payment", d.key,
		`{"payment":{"amount":"100","currency":"EUR"}}`); status != 201 {
		t.Fatalf("payment after rotation: %d %v", status, body)
	}

	// Again: idempotent, a new key each time.
	MustRun(t, nil, "secret-key", "rotate", "--db", db)
	if k := mustKeyFile(t, keyFile); k == newKey || k == old {
		t.Fatal("second rotation kept a key")
	}

	// A rotation that stopped after writing its new key (and perhaps
	// re-sealing some values) is resumed with that key.
	pending := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	if err := os.WriteFile(keyFile+nextKeySuffix, []byte(pending+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := MustRun(t, nil, "secret-key", "rotate", "--db", db); !strings.Contains(out, "resuming") {
		t.Fatalf("resumed rotate printed %q", out)
	}
	if mustKeyFile(t, keyFile) != pending {
		t.Fatal("the resumed rotation did not move to the pending key")
	}
	if out := onlyKey(pending); !strings.Contains(out, "re-sealed 0 values") {
		t.Fatalf("after the resumed rotation: %q", out)
	}
	// A key that opens nothing is an error that names what it cannot open.
	if err := runLine(t, "secret-key", "reseal", "--db", db); err != nil {
		t.Fatalf("reseal with the key files: %v", err)
	}
	wrong := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	cmd, _ := ParseCommand([]string{"secret-key", "reseal", "--db", db}, []string{"PASARELA_SECRET_KEY=" + wrong}, &bytes.Buffer{}, &bytes.Buffer{})
	if err := cmd.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "no key opens it") {
		t.Fatalf("reseal with a wrong key: %v", err)
	}
}

// TestSecretKeyRotatePostgres: the rotation and the business metrics on
// PostgreSQL, whose sealed columns are bytea.
func TestSecretKeyRotatePostgres(t *testing.T) {
	t.Parallel()
	db := pgtest.Schema(t)
	keyFile := filepath.Join(t.TempDir(), "pasarela.key")
	m, d := mustDemo(t, db, "--secret-key-file", keyFile)
	sealEveryKind(t, m, d)
	res, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `pasarela_webhook_deliveries{status="pending"}`) || strings.Contains(string(b), "pasarela_metrics_read_errors_total 1") {
		t.Errorf("metrics on PostgreSQL:\n%s", grepMetric(string(b), "pasarela_"))
	}
	MustRun(t, nil, "secret-key", "rotate", "--db", db, "--secret-key-file", keyFile)
	out := MustRun(t, []string{"PASARELA_SECRET_KEY=" + mustKeyFile(t, keyFile)}, "secret-key", "reseal", "--db", db)
	if !regexp.MustCompile(`re-sealed 0 values; [3-9]\d* were sealed with the current key`).MatchString(out) {
		t.Fatalf("reseal with the new key alone: %q", out)
	}
}
