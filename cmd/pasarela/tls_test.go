package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// httpsClient trusts only the certificate in certFile.
func httpsClient(t *testing.T, certFile string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", certFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// sekurePay sends a SekurePay request with the key as the Basic user name.
func sekurePay(t *testing.T, c *http.Client, method, url, key, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(key+":")))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return res.StatusCode, res.Header, v
}

// TestServeTLS runs serve with a self-signed pair as a person would: the
// pair is made beside the database on the first start and reused on the
// next, SekurePay works over HTTPS and refuses the plain listener, and
// payment URLs point at HTTPS.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "pasarela.db")
	MustRun(t, nil, "migrate", "--db", db)
	out := MustRun(t, nil, "client", "create", "--name", "Cascade", "--email", "ops@cascade.example",
		"--password", "Str0ng-pass!", "--db", db, "--json")
	var c struct{ Client struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	out = MustRun(t, nil, "app", "create", "--client", c.Client.ID, "--name", "Web shop", "--db", db, "--json")
	var a struct {
		Application struct {
			ID     int64
			APIKey string
		}
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	key := a.Application.APIKey
	certFile, keyFile := filepath.Join(dir, "pasarela.db.tls.crt"), filepath.Join(dir, "pasarela.db.tls.key")

	var firstCert []byte
	for run := 0; run < 2; run++ {
		m, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0", "--tls-addr", "127.0.0.1:0", "--tls-self-signed")
		cert, err := os.ReadFile(certFile)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("run %d: key file %v %v", run, info, err)
		}
		if run == 0 {
			firstCert = cert
		} else if !bytes.Equal(cert, firstCert) {
			t.Fatal("the self-signed certificate changed on restart")
		}
		hc := httpsClient(t, certFile)
		base := m.TLSURL() + "/sekurepay/api/v1"
		id := []string{"1001", "1002"}[run]
		body := `{"id":"` + id + `","sub_total_cents":10000,"shipping_amount_cents":200,"total_cents":10700,"currency":"USD",
			"items":[{"description":"51 inch TV","amount_cents":"10000"}],"taxes":[{"description":"GST","amount_cents":"500"}]}`
		if run == 0 {
			// No gateway config yet: the order is refused, saying how to fix it.
			status, hdr, v := sekurePay(t, hc, "POST", base+"/orders", key, body)
			if status != http.StatusUnprocessableEntity || hdr.Get("Strict-Transport-Security") == "" ||
				!strings.Contains(v["error"].(map[string]any)["message"].(string), "/gateway") {
				t.Fatalf("order without a gateway: %d %v", status, v)
			}
			// Give the application a sandbox config through PayREST, over
			// HTTPS, as its admin (gateway configs need one).
			req, _ := http.NewRequest("POST", m.TLSURL()+"/application/"+jsonNumber(a.Application.ID)+"/gateway",
				strings.NewReader(`{"gatewayConfig":{"gateway":"sandbox","name":"Cards"}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tlsLogin(t, hc, m.TLSURL()))
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("gateway config: %d %s", res.StatusCode, b)
			}
		}
		status, _, v := sekurePay(t, hc, "POST", base+"/orders", key, body)
		if status != http.StatusCreated || !strings.HasPrefix(v["payment_url"].(string), m.TLSURL()+"/pay/") {
			t.Fatalf("run %d: create order: %d %v", run, status, v)
		}
		if status, _, v := sekurePay(t, hc, "GET", base+"/orders/"+id, key, ""); status != http.StatusOK || v["status"] != "pending" {
			t.Fatalf("run %d: get order: %d %v", run, status, v)
		}
		// The plain listener serves the other faces but refuses SekurePay.
		status, _, v = sekurePay(t, http.DefaultClient, "GET", m.URL()+"/sekurepay/api/v1/orders/"+id, key, "")
		if status != http.StatusForbidden || v["error"].(map[string]any)["type"] != "https_required" {
			t.Fatalf("run %d: plain HTTP: %d %v", run, status, v)
		}
		if status, _ := request(t, "GET", m.URL()+"/healthz", "", ""); status != http.StatusOK {
			t.Fatalf("run %d: plain healthz: %d", run, status)
		}
		if err := m.Close(); err != nil {
			t.Fatalf("run %d: close: %v", run, err)
		}
	}
}

func tlsLogin(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	res, err := c.PostForm(base+"/oauth/token", map[string][]string{"grant_type": {"password"},
		"username": {"ops@cascade.example"}, "password": {"Str0ng-pass!"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(res.Body).Decode(&v)
	tok, _ := v["access_token"].(string)
	if tok == "" {
		t.Fatalf("login: %d %v", res.StatusCode, v)
	}
	return tok
}

// TestTLSSettings checks the flags and their environment variables.
func TestTLSSettings(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "x.db")
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	cases := []struct {
		name    string
		env     []string
		args    []string
		wantErr string
	}{
		{"cert without key", nil, []string{"--tls-cert", certFile}, "go together"},
		{"addr without cert", nil, []string{"--tls-addr", "127.0.0.1:0"}, "needs a certificate"},
		{"missing files", nil, []string{"--tls-addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, "c.pem"},
		{"env self-signed at named files", []string{"PASARELA_TLS_SELF_SIGNED=true", "PASARELA_TLS_ADDR=127.0.0.1:0",
			"PASARELA_TLS_CERT=" + certFile, "PASARELA_TLS_KEY=" + keyFile}, nil, ""},
		// The pair made just above, loaded as an operator's files.
		{"file pair", nil, []string{"--tls-addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, c.args...)
			m := parseServe(t, c.env, &stdout, &stderr, args...).newMain()
			err := m.Run(context.Background())
			defer m.Close()
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := httpsClient(t, certFile).Get(m.TLSURL() + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("healthz over HTTPS: %d", res.StatusCode)
			}
		})
	}
}
