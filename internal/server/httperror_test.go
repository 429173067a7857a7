package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// mustServerWith is MustServer with a configuration.
func mustServerWith(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(context.Background(), db, log, nil, core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(cfg, svc, log, NewMetrics()))
	t.Cleanup(func() { ts.Close(); db.Close() })
	return ts
}

// rawRequest sends req as written (no client cleans its path) and reads
// the answer.
func rawRequest(t *testing.T, addr, req string, wait time.Duration) (*http.Response, string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_ = conn.SetDeadline(start.Add(wait))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%.60q: %v", req, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b), time.Since(start)
}

// TestHTTPLevelErrors: what the server refuses before any route runs is
// answered in the format of the face the path leads to, never as Go's
// plain text or HTML redirect.
func TestHTTPLevelErrors(t *testing.T) {
	t.Parallel()
	ts := mustServerWith(t, Config{BodyReadTimeout: 300 * time.Millisecond})
	addr := ts.Listener.Addr().String()
	long := strings.Repeat("x", 200<<10)
	soap := `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>`
	cases := []struct {
		name, req string
		status    int
		ctype     string
		body      []string // parts of the body
	}{
		{"payrest dot segment", "GET /application/1/../1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "application/json",
			[]string{`"code":400`, `'.' or '..' segments`}},
		{"payrest empty segment", "POST //oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400, "application/json",
			[]string{`"code":400`}},
		{"sekurepay dot segment", "GET /sekurepay/api/v1/orders/./1 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "application/json",
			[]string{`"error":{`, `"code":"path"`, `"type":"invalid_request_error"`}},
		{"kashpay dot segment", "POST /kashpay/OKPay/x/../createOrder HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400, "application/json",
			[]string{`"success":false`, `"name":"RequestException"`}},
		{"xpay dot segment", "GET /xpay/api/v1/users/../users/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "application/json",
			[]string{`"code":`, `segments`}},
		{"gestpay SOAP path", "POST /gestpay/gestpayws/./WSCryptDecrypt.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: " +
			itoa(len(soap)) + "\r\n\r\n" + soap, 400, "text/xml", []string{"<soap:Fault>", "<faultcode>soap:Client</faultcode>", "segments"}},
		{"no face's path", "GET /nowhere/../x HTTP/1.1\r\nHost: x\r\n\r\n", 400, "application/json", []string{`"code":400`}},
		{"payrest URL of 200 KB", "GET /application?q=" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, "application/json",
			[]string{`"code":431`, "too large"}},
		{"sekurepay URL of 200 KB", "GET /sekurepay/api/v1/orders/" + long + " HTTP/1.1\r\nHost: x\r\n\r\n", 431, "application/json",
			[]string{`"error":{`, `"code":"header_too_large"`}},
		{"kashpay header of 200 KB", "GET /kashpay/EntitiesServices/getBalance HTTP/1.1\r\nHost: x\r\nX-Pad: " + long + "\r\n\r\n", 431,
			"application/json", []string{`"name":"RequestException"`}},
		{"gestpay SOAP URL of 200 KB", "POST /gestpay/gestpayws/WSs2s.asmx?" + long + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/soap+xml\r\nContent-Length: 0\r\n\r\n",
			431, "application/soap+xml", []string{"<soap:Fault>", "soap:Sender"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body, _ := rawRequest(t, addr, tc.req, 10*time.Second)
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) {
				t.Fatalf("%d %s, want %d %s: %.300s", res.StatusCode, res.Header.Get("Content-Type"), tc.status, tc.ctype, body)
			}
			for _, part := range tc.body {
				if !strings.Contains(body, part) {
					t.Errorf("body lacks %s: %.300s", part, body)
				}
			}
			if res.Header.Get("Location") != "" {
				t.Errorf("redirected to %s", res.Header.Get("Location"))
			}
		})
	}
	t.Run("a declared body that does not come", func(t *testing.T) {
		// 100 bytes declared, 10 sent: the face answers once the body's
		// deadline passes, not after the server's 30 s ReadTimeout.
		res, body, took := rawRequest(t, addr, "POST /kashpay/AuthenticationService/authenticate HTTP/1.1\r\nHost: x\r\n"+
			"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"entity\":", 10*time.Second)
		if res.StatusCode != 400 || !strings.Contains(body, `"code":1010`) || took > 5*time.Second {
			t.Fatalf("%d after %v: %s", res.StatusCode, took, body)
		}
	})
	t.Run("a head over the server's own limit is net/http's", func(t *testing.T) {
		// Documented: no handler runs, so the answer is Go's plain text.
		res, _, _ := rawRequest(t, addr, "GET /application?q="+strings.Repeat("x", ServerMaxHeaderBytes+8192)+" HTTP/1.1\r\nHost: x\r\n\r\n", 10*time.Second)
		if res.StatusCode != 431 {
			t.Fatalf("%d", res.StatusCode)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
