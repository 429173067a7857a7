package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A vector of the Standard Webhooks specification, checked with openssl
// (see internal/webhook/sign_test.go).
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = "1614265330"
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func runVerify(t *testing.T, stdin string, now time.Time, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd, err := ParseCommand(append([]string{"webhook", "verify"}, args...), nil, &out, io.Discard)
	if err != nil {
		return "", err
	}
	v := cmd.(*WebhookVerifyCommand)
	v.stdin = strings.NewReader(stdin)
	v.now = func() time.Time { return now }
	err = v.Run(t.Context())
	return out.String(), err
}

func TestWebhookVerifyCommand(t *testing.T) {
	at := time.Unix(1614265330, 0).Add(time.Minute)
	std := []string{"--secret", vecSecret, "--id", vecID, "--timestamp", vecTS, "--signature", vecSig}
	if out, err := runVerify(t, vecBody, at, std...); err != nil || !strings.Contains(out, "webhook-signature: valid") {
		t.Fatalf("valid delivery: %q %v", out, err)
	}
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(vecBody), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runVerify(t, "ignored", at, append(std, "--body", file)...); err != nil {
		t.Fatalf("body from a file: %v", err)
	}
	for name, c := range map[string]struct {
		body string
		now  time.Time
		args []string
	}{
		"tampered body":  {vecBody + " ", at, std},
		"replayed later": {vecBody, at.Add(10 * time.Minute), std},
		"other secret":   {vecBody, at, []string{"--secret", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "--id", vecID, "--timestamp", vecTS, "--signature", vecSig}},
		"bad hash":       {vecBody, at, append(std, "--api-key", "k", "--hash", strings.Repeat("0", 128))},
	} {
		if out, err := runVerify(t, c.body, c.now, c.args...); err == nil {
			t.Errorf("%s: accepted (%q)", name, out)
		}
	}
	// PayREST's Hash alone (vector of internal/webhook/sign_test.go).
	const hashBody = `{"id":42,"status":"completed","amount":"1050"}`
	const hash = "d3c3c756aba9e15b2b8d99a01e5dcd53b265276243523af99cd8326372f8cd2168450549ed00545241de45b11d2df6d821dbdfaeee012321637ca770eef8168f"
	if out, err := runVerify(t, hashBody, at, "--api-key", "pk_live_3Zq8sKp2.f00dfacecafebeef", "--hash", hash); err != nil || !strings.Contains(out, "Hash: valid") {
		t.Fatalf("Hash: %q %v", out, err)
	}
	for _, args := range [][]string{
		{},
		{"--secret", vecSecret},
		{"--api-key", "k"},
	} {
		if _, err := runVerify(t, "", at, args...); err == nil {
			t.Errorf("%v: accepted incomplete flags", args)
		}
	}
}

// TestServeDeliversWebhooks: serve (with the delivery worker) sends a
// signed webhook when a payment is cancelled; the receiver checks it with
// the verify command.
func TestServeDeliversWebhooks(t *testing.T) {
	type got struct {
		h    http.Header
		body []byte
	}
	arrived := make(chan got, 10)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		arrived <- got{r.Header.Clone(), b}
	}))
	defer rc.Close()
	m, out := MustServe(t, nil, "serve", "--demo", "--webhook-allow-private", "--db", testDB(t), "--addr", "127.0.0.1:0")
	key := regexp.MustCompile(`X-Auth-Token: (psk_[a-z0-9]+)`).FindStringSubmatch(out)[1]
	app := m.URL() + "/application/" + regexp.MustCompile(`/application/(\d+)`).FindStringSubmatch(out)[1]
	status, hook := request(t, "POST", app+"/webhook", key,
		`{"webhook":{"targets":["`+rc.URL+`/hooks"],"targetEntity":"payment","events":["payment.invalidated"]}}`)
	if status != 201 {
		t.Fatalf("create webhook: %d %v", status, hook)
	}
	status, pay := request(t, "POST", app+"/payment", key, `{"payment":{"amount":"1050","currency":"EUR"}}`)
	if status != 201 {
		t.Fatalf("create payment: %d %v", status, pay)
	}
	id := app + "/payment/" + strconv.FormatInt(int64(pay["id"].(float64)), 10)
	if status, _ := request(t, "DELETE", id, key, ""); status != 204 {
		t.Fatalf("cancel: %d", status)
	}
	var g got
	select {
	case g = <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook arrived")
	}
	if g.h.Get("Pasarela-Event") != "payment.invalidated" || !strings.Contains(string(g.body), `"status":"invalidated"`) {
		t.Fatalf("webhook %v %s", g.h, g.body)
	}
	var vout bytes.Buffer
	cmd, err := ParseCommand([]string{"webhook", "verify", "--secret", hook["secret"].(string), "--id", g.h.Get("webhook-id"),
		"--timestamp", g.h.Get("webhook-timestamp"), "--signature", g.h.Get("webhook-signature"),
		"--api-key", key, "--hash", g.h.Get("Hash")}, nil, &vout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	v := cmd.(*WebhookVerifyCommand)
	v.stdin = bytes.NewReader(g.body)
	if err := v.Run(t.Context()); err != nil || !strings.Contains(vout.String(), "Hash: valid") {
		t.Fatalf("verify: %v %s", err, vout.String())
	}
}
