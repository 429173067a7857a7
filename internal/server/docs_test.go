package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/face/sekurepay"
	"github.com/pasarela/pasarela/internal/face/xpay"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// mustServerOf is MustServer with the faces given mounted.
func mustServerOf(t *testing.T, faces ...string) *httptest.Server {
	t.Helper()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	svc, err := core.New(context.Background(), db, log, nil, core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(Config{Faces: faces}, svc, log, NewMetrics()))
	t.Cleanup(func() { ts.Close(); db.Close() })
	return ts
}

// TestDocsIndex lists every face mounted, and each link of the index
// answers: the reference pages, the OpenAPI documents and Gestpay's WSDLs.
func TestDocsIndex(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, io.Discard)
	res, body := get(t, ts.URL+"/docs/", nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs/ = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q: want nothing but the gateway's own stylesheet, no script", csp)
	}
	links := []struct{ href, ctype, holds string }{
		{"/docs/payrest", "text/html", "Create a payment"},
		{"/docs/kashpay", "text/html", "createOrder"},
		{"/docs/sekurepay", "text/html", "Create an order"},
		{"/docs/xpay", "text/html", "xpay"},
		{payrest.OpenAPIPath, "application/json", `"openapi"`},
		{kashpay.OpenAPIPath, "application/json", `"openapi"`},
		{sekurepay.OpenAPIPath, "application/json", `"openapi"`},
		{xpay.OpenAPIPath, "application/json", `"openapi"`},
		{"/gestpay/gestpayws/WSCryptDecrypt.asmx?wsdl", "text/xml", "definitions"},
		{"/gestpay/gestpayws/WSs2s.asmx?wsdl", "text/xml", "definitions"},
	}
	for _, l := range links {
		if !strings.Contains(body, `href="`+strings.ReplaceAll(l.href, "&", "&amp;")+`"`) {
			t.Errorf("the index has no link to %s", l.href)
			continue
		}
		res, page := get(t, ts.URL+l.href, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), l.ctype) || !strings.Contains(page, l.holds) {
			t.Errorf("GET %s = %d %s, want %s holding %q", l.href, res.StatusCode, res.Header.Get("Content-Type"), l.ctype, l.holds)
		}
	}
	for _, want := range []string{`id="face-payrest"`, `id="face-kashpay"`, `id="face-sekurepay"`, `id="face-gestpay"`, `id="face-xpay"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the index lacks %s", want)
		}
	}
	// /docs without the slash leads to the index.
	req, _ := http.NewRequest("GET", ts.URL+"/docs", nil)
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/docs/" {
		t.Errorf("GET /docs = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestDocsEveryOperation finds every operation of each JSON face's document
// on its reference page, under its own anchor, and every named schema.
func TestDocsEveryOperation(t *testing.T) {
	t.Parallel()
	ts, _ := MustServer(t, io.Discard)
	docs := map[string][]byte{"payrest": payrest.OpenAPI(), "kashpay": kashpay.OpenAPI(), "sekurepay": sekurepay.OpenAPI(), "xpay": xpay.OpenAPI()}
	for face, doc := range docs {
		var d struct {
			Paths      map[string]map[string]json.RawMessage
			Components struct{ Schemas map[string]json.RawMessage }
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		res, page := get(t, ts.URL+"/docs/"+face, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /docs/%s = %d", face, res.StatusCode)
		}
		n := 0
		for path, item := range d.Paths {
			for method, raw := range item {
				var op struct{ OperationID, Summary string }
				if json.Unmarshal(raw, &op) != nil || method == "parameters" || method == "description" || method == "summary" {
					continue
				}
				n++
				if !strings.Contains(page, `<code class="path">`+path+`</code>`) {
					t.Errorf("/docs/%s lacks the path %s", face, path)
				}
				if op.OperationID != "" && !strings.Contains(page, `id="op-`+op.OperationID+`"`) {
					t.Errorf("/docs/%s lacks the operation %s", face, op.OperationID)
				}
			}
		}
		if got := strings.Count(page, `<article class="op"`); got != n {
			t.Errorf("/docs/%s shows %d operations, the document has %d", face, got, n)
		}
		for name := range d.Components.Schemas {
			if !strings.Contains(page, `<h3><code>`+name+`</code></h3>`) {
				t.Errorf("/docs/%s lacks the schema %s", face, name)
			}
		}
	}
}

// TestDocsOnlyMountedFaces keeps a face that is not mounted out of the
// reference: a page of routes that answer 404 would mislead.
func TestDocsOnlyMountedFaces(t *testing.T) {
	t.Parallel()
	ts := mustServerOf(t, FaceSekurePay)
	_, body := get(t, ts.URL+"/docs/", nil)
	if !strings.Contains(body, `href="/docs/sekurepay"`) || strings.Contains(body, "payrest") || strings.Contains(body, "WSDL") {
		t.Errorf("an index of SekurePay alone:\n%s", body)
	}
	if res, _ := get(t, ts.URL+"/docs/payrest", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /docs/payrest without the face = %d, want 404", res.StatusCode)
	}
	if res, _ := get(t, ts.URL+"/docs/nosuch", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /docs/nosuch = %d, want 404", res.StatusCode)
	}
}
