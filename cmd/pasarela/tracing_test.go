package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/pasarela/pasarela/internal/telemetry"
)

// TestTracing: traces are off by default; with --otlp-endpoint a request
// is exported over OTLP/HTTP as a server span with the store's and the
// processor's spans under it, continuing the caller's trace.
func TestTracing(t *testing.T) {
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0")
	if telemetry.Enabled(m.tracer) {
		t.Fatal("tracing is on with no endpoint")
	}
	m.Close()

	var mu sync.Mutex
	var got bytes.Buffer
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			got.Write(b)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	m, d := mustDemo(t, testDB(t), "--otlp-endpoint", collector.URL)
	if !telemetry.Enabled(m.tracer) {
		t.Fatal("tracing is off with --otlp-endpoint")
	}
	req, _ := http.NewRequest("POST", m.URL()+"/application/"+d.app+"/payment",
		bytes.NewBufferString(`{"payment":{"amount":"100","currency":"EUR"}}`))
	req.Header.Set("X-Auth-Token", d.key)
	req.Header.Set("Content-Type", "application/json")
	// The caller's trace: W3C trace context.
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("payment: %d", res.StatusCode)
	}
	m.Close() // flushes the spans
	mu.Lock()
	defer mu.Unlock()
	body := got.Bytes()
	traceID := []byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	for _, want := range [][]byte{[]byte("POST /application/{applicationId}/payment"), []byte("store.update"),
		[]byte("store.view"), []byte("pasarela"), traceID} {
		if !bytes.Contains(body, want) {
			t.Errorf("the exported spans lack %q (%d bytes exported)", want, len(body))
		}
	}
}
