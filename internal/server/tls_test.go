package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/server"
)

// trusting returns an HTTPS client that trusts only the certificate in
// certFile: the test proves the listener serves that certificate, for the
// names it claims, without skipping verification.
func trusting(t *testing.T, certFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("no certificate in " + certFile)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
}

func readCert(t *testing.T, certFile string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM in " + certFile)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveTLS runs ServeTLS with cfg on a loopback port until the test ends and
// returns the listener's port and a function that stops it gracefully.
func serveTLS(t *testing.T, cfg *tls.Config) (port string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "not TLS", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, "hello over "+r.Proto)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.ServeTLS(ctx, ln, h, slog.New(slog.NewTextHandler(io.Discard, nil)), 5*time.Second, cfg)
	}()
	var once bool
	var result error
	stop = func() error {
		if !once {
			once = true
			cancel()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, stop
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

func TestSelfSignedListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "pasarela.db.tls.crt"), filepath.Join(dir, "pasarela.db.tls.key")
	now := time.Now()
	cfg, generated, err := server.SelfSignedTLS(certFile, keyFile, now)
	if err != nil || !generated {
		t.Fatalf("first start: generated=%v err=%v", generated, err)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	cert := readCert(t, certFile)
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || cert.PublicKey.(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Fatalf("key is %T, want ECDSA P-256", cert.PublicKey)
	}
	if d := cert.NotAfter.Sub(now); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Fatalf("valid for %v, want a year", d)
	}
	if len(cert.DNSNames) != 1 || cert.DNSNames[0] != "localhost" || len(cert.IPAddresses) != 2 ||
		!cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !cert.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Fatalf("SANs %v %v", cert.DNSNames, cert.IPAddresses)
	}

	// A real TLS client, trusting only this certificate, by IP and by name.
	port, stop := serveTLS(t, cfg)
	c := trusting(t, certFile)
	if got := get(t, c, "https://127.0.0.1:"+port+"/"); got != "hello over HTTP/2.0" {
		t.Fatalf("by IP: %q", got)
	}
	if got := get(t, c, "https://localhost:"+port+"/"); got == "" {
		t.Fatal("by name: empty")
	}
	// Plain HTTP on the TLS port gets nowhere.
	if res, err := http.Get("http://127.0.0.1:" + port + "/"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on the TLS listener")
		}
	}
	// Graceful shutdown ends ServeTLS without an error.
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	// The next start reuses the pair: same certificate, no new files.
	before, _ := os.ReadFile(certFile)
	keyBefore, _ := os.ReadFile(keyFile)
	cfg2, generated, err := server.SelfSignedTLS(certFile, keyFile, now.Add(24*time.Hour))
	if err != nil || generated {
		t.Fatalf("restart: generated=%v err=%v", generated, err)
	}
	after, _ := os.ReadFile(certFile)
	keyAfter, _ := os.ReadFile(keyFile)
	if !bytes.Equal(before, after) || !bytes.Equal(keyBefore, keyAfter) {
		t.Fatal("the pair changed on restart")
	}
	port2, _ := serveTLS(t, cfg2)
	get(t, c, "https://127.0.0.1:"+port2+"/") // the client trusting the first certificate still connects

	// An expired development certificate is replaced.
	_, generated, err = server.SelfSignedTLS(certFile, keyFile, now.Add(400*24*time.Hour))
	if err != nil || !generated {
		t.Fatalf("expired: generated=%v err=%v", generated, err)
	}
	if after, _ := os.ReadFile(certFile); bytes.Equal(before, after) {
		t.Fatal("the expired certificate was kept")
	}
}

func TestLoadTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := server.GenerateSelfSigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := server.LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Fatalf("MinVersion %x", cfg.MinVersion)
	}
	port, _ := serveTLS(t, cfg)
	if got := get(t, trusting(t, certFile), "https://127.0.0.1:"+port+"/"); got == "" {
		t.Fatal("empty answer")
	}

	// Broken pairs are refused with the files named.
	otherCert, _, _ := server.GenerateSelfSigned(time.Now())
	mismatched := filepath.Join(dir, "other.crt")
	if err := os.WriteFile(mismatched, otherCert, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, files := range map[string][2]string{
		"missing cert":     {filepath.Join(dir, "nope.crt"), keyFile},
		"missing key":      {certFile, filepath.Join(dir, "nope.key")},
		"key of another":   {mismatched, keyFile},
		"cert as the key":  {certFile, certFile},
		"key as the cert":  {keyFile, keyFile},
		"directory as key": {certFile, dir},
	} {
		if _, err := server.LoadTLS(files[0], files[1]); err == nil {
			t.Errorf("%s: loaded", name)
		} else if !bytes.Contains([]byte(err.Error()), []byte(filepath.Base(files[0]))) {
			t.Errorf("%s: error does not name the files: %v", name, err)
		}
	}
	// A self-signed pair that cannot be read is not silently replaced.
	if err := os.WriteFile(filepath.Join(dir, "bad.crt"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.SelfSignedTLS(filepath.Join(dir, "bad.crt"), keyFile, time.Now()); err == nil {
		t.Fatal("a corrupt self-signed pair was accepted")
	}
}

// TestSelfSignedKeepsOthersCertificates: --tls-self-signed replaces its own
// expired pair, never an operator's certificate that expired at the same
// paths: that start fails, naming the file, and leaves both files alone.
func TestSelfSignedKeepsOthersCertificates(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{Organization: []string{"Example Shop"}, CommonName: "shop.example"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-24 * time.Hour), DNSNames: []string{"shop.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "shop.crt"), filepath.Join(dir, "shop.key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.SelfSignedTLS(certFile, keyFile, now); err == nil || !strings.Contains(err.Error(), certFile) {
		t.Fatalf("an operator's expired certificate: %v, want a refusal naming it", err)
	}
	if after, _ := os.ReadFile(certFile); !bytes.Equal(after, certPEM) {
		t.Fatal("the operator's certificate was overwritten")
	}
}
