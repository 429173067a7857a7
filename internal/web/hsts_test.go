package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/web"
)

// TestHSTSOnSecurePages: a hosted page reached over HTTPS (directly, or
// through a trusted proxy that says so) tells the browser to keep to HTTPS;
// over plain HTTP the header would mean nothing and is not sent.
func TestHSTSOnSecurePages(t *testing.T) {
	s := newStack(t)
	mux := http.NewServeMux()
	web.New(s.Svc, slog.New(slog.NewTextHandler(io.Discard, nil))).Register(mux)
	for _, secure := range []bool{true, false} {
		r := httptest.NewRequest("GET", "/pay/pc_nosuchtokennosuchtokennosuchtoken", nil)
		r = r.WithContext(transport.WithInfo(r.Context(), transport.RequestInfo{ID: "t", ClientIP: "127.0.0.1", Secure: secure}))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if got := w.Header().Get("Strict-Transport-Security"); (got != "") != secure {
			t.Errorf("secure=%v: Strict-Transport-Security %q", secure, got)
		}
	}
}
