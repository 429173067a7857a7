package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

func MustServer(t *testing.T, logs io.Writer) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	svc, err := core.New(context.Background(), db, log, nil, core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	ts := httptest.NewServer(New(Config{}, svc, log, m))
	t.Cleanup(func() { ts.Close(); db.Close() })
	return ts, db
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestRequestIDAndLog(t *testing.T) {
	var logs bytes.Buffer
	ts, _ := MustServer(t, &logs)
	res, _ := get(t, ts.URL+"/healthz", map[string]string{"X-Request-Id": "trace-42"})
	if res.StatusCode != 200 || res.Header.Get("X-Request-Id") != "trace-42" {
		t.Fatalf("status %d, request id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
	}
	res, _ = get(t, ts.URL+"/healthz", map[string]string{"X-Request-Id": "bad id\twith tab"})
	if id := res.Header.Get("X-Request-Id"); len(id) != 16 {
		t.Fatalf("an unsafe request id was kept or none generated: %q", id)
	}
	if !strings.Contains(logs.String(), `"request_id":"trace-42"`) || !strings.Contains(logs.String(), `"route":"/healthz"`) {
		t.Fatalf("log line lacks request id or route:\n%s", logs.String())
	}
}

func TestReadyAndMetrics(t *testing.T) {
	ts, db := MustServer(t, io.Discard)
	if res, body := get(t, ts.URL+"/readyz", nil); res.StatusCode != 200 {
		t.Fatalf("readyz: %d %s", res.StatusCode, body)
	}
	get(t, ts.URL+"/application", nil) // 401, counted
	_, body := get(t, ts.URL+"/metrics", nil)
	for _, want := range []string{
		`pasarela_http_requests_total{method="GET",route="/application",status="401"} 1`,
		`pasarela_http_request_duration_seconds_bucket{route="/readyz"`,
		`pasarela_store_commit_batch_size_count`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	db.Close()
	if res, _ := get(t, ts.URL+"/readyz", nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d", res.StatusCode)
	}
}

func TestUnknownRoute(t *testing.T) {
	ts, _ := MustServer(t, io.Discard)
	res, body := get(t, ts.URL+"/nope", nil)
	if res.StatusCode != 404 || !strings.Contains(body, `"code":404`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	get(t, ts.URL+"/another/made-up/path", nil)
	// Unknown paths are one series, "unmatched", never the catch-all's
	// pattern nor the paths themselves; no route label has a method.
	_, body = get(t, ts.URL+"/metrics", nil)
	if !strings.Contains(body, `pasarela_http_requests_total{method="GET",route="unmatched",status="404"} 2`) {
		t.Errorf("unknown routes are not counted as unmatched:\n%s", grepLines(body, "pasarela_http_requests_total"))
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, `route="GET `) || strings.Contains(line, `route="POST `) || strings.Contains(line, `route="/"`) {
			t.Errorf("a route label with a method or the catch-all: %s", line)
		}
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestBusinessMetrics: /metrics counts payments by status and processor
// and webhook deliveries by status, read from the database.
func TestBusinessMetrics(t *testing.T) {
	ts, _ := MustServer(t, io.Discard)
	_, body := get(t, ts.URL+"/metrics", nil)
	for _, want := range []string{
		`pasarela_webhook_deliveries{status="pending"} 0`,
		`pasarela_webhook_deliveries{status="dead"} 0`,
		`pasarela_metrics_read_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestPanicRecovery: a handler that panics answers 500 in JSON and the
// server keeps serving.
func TestPanicRecovery(t *testing.T) {
	var logs bytes.Buffer
	cfg := Config{MaxBodyBytes: 1024, RequestTimeout: 1e9}
	cfg.defaults()
	h := &handler{cfg: cfg, next: http.NewServeMux(),
		log: slog.New(slog.NewJSONHandler(&logs, nil)), metrics: NewMetrics()}
	h.next.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"message":"internal error"`) || strings.Contains(rec.Body.String(), "kaboom") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Fatal("the panic was not logged")
	}
}

// TestLogPathHidesPageTokens: a hosted page's token is a credential; the
// access log keeps only its kind.
func TestLogPathHidesPageTokens(t *testing.T) {
	for in, want := range map[string]string{
		"/pay/pc_3oc2kbeyxabcdefghijklmnop":           "/pay/pc_…",
		"/pay/sa_abcdefghijklmnop/challenge":          "/pay/sa_…/challenge",
		"/application/1/payment":                      "/application/1/payment",
		"/pay/no-underscore-token-at-all-aaaaaaaaaaa": "/pay/no-under_…",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCallerGoneIsNotInternal: a request whose caller went away (its context
// canceled while a face waits on the database) is recorded as 499 and never
// logged as an internal error, on every face.
func TestCallerGoneIsNotInternal(t *testing.T) {
	var logs bytes.Buffer
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	svc, err := core.New(context.Background(), db, log, nil, core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, svc, log, NewMetrics())
	key := "psk_" + strings.Repeat("a", 44)
	for _, c := range []struct {
		name, method, path, body string
		hdr                      map[string]string
	}{
		{"payrest", "GET", "/application", "", map[string]string{"X-Auth-Token": key}},
		{"sekurepay", "GET", "/sekurepay/api/v1/orders/x", "", map[string]string{"Authorization": "Basic " +
			base64.StdEncoding.EncodeToString([]byte(key+":"))}},
		{"kashpay", "POST", "/kashpay/AuthenticationService/authenticate",
			`{"user":"a@example.com","password":"Secret-123!","entity":"com.x"}`,
			map[string]string{"Content-Type": "application/json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := httptest.NewRequestWithContext(ctx, c.method, c.path, strings.NewReader(c.body))
			for k, v := range c.hdr {
				req.Header.Set(k, v)
			}
			req.TLS = &tls.ConnectionState{} // SekurePay answers HTTPS only
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 499 {
				t.Errorf("status %d, want 499; body %s", rec.Code, rec.Body)
			}
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("logged as an error:\n%s", logs.String())
			}
			if !strings.Contains(logs.String(), `"status":499`) {
				t.Errorf("the access log does not say 499:\n%s", logs.String())
			}
		})
	}
	// The metrics count them apart, as 499; a failure of the server's own,
	// here its database closed under it, is still counted as a 5xx.
	db.Close()
	req := httptest.NewRequest("GET", "/application", nil)
	req.Header.Set("X-Auth-Token", key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code < 500 {
		t.Fatalf("with the database closed: status %d, want a 5xx; body %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	byStatus := map[string]int{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "pasarela_http_requests_total{") {
			_, status, _ := strings.Cut(line, `status="`)
			status, _, _ = strings.Cut(status, `"`)
			n, _ := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
			byStatus[status] += n
		}
	}
	fives := 0
	for status, n := range byStatus {
		if strings.HasPrefix(status, "5") {
			fives += n
		}
	}
	if byStatus["499"] != 3 || fives != 1 {
		t.Errorf("pasarela_http_requests_total by status: %v; want 499 three times (the callers gone) and one 5xx (the closed database)", byStatus)
	}
}
