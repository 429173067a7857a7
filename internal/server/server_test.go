package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

func MustServer(t *testing.T, logs io.Writer) (*httptest.Server, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "s.db"), sqlite.Options{})
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
	if !strings.Contains(logs.String(), `"request_id":"trace-42"`) || !strings.Contains(logs.String(), `"route":"GET /healthz"`) {
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
		`pasarela_http_request_duration_seconds_bucket{route="GET /readyz"`,
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
}

// TestPanicRecovery: a handler that panics answers 500 in JSON and the
// server keeps serving.
func TestPanicRecovery(t *testing.T) {
	var logs bytes.Buffer
	h := &handler{cfg: Config{MaxBodyBytes: 1024, RequestTimeout: 1e9}, next: http.NewServeMux(),
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
