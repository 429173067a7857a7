package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeMetrics: the business series and the workers' activity are in
// /metrics of a running server.
func TestServeMetrics(t *testing.T) {
	m, d := mustDemo(t, testDB(t))
	if status, body := request(t, "POST", m.URL()+"/application/"+d.app+"/payment", d.key,
		`{"payment":{"amount":"100","currency":"EUR"}}`); status != 201 {
		t.Fatalf("payment: %d %v", status, body)
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(m.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		body = string(b)
		// The subscription scheduler and the rate workers pass once at start.
		if strings.Contains(body, `pasarela_worker_passes_total{worker="subscriptions"}`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`pasarela_payments{gateway="",status="pending"} 1`,
		`pasarela_webhook_deliveries{status="pending"}`,
		`pasarela_worker_passes_total{worker="subscriptions"}`,
		`pasarela_worker_pass_duration_seconds_count{worker="rates"}`,
		`pasarela_http_requests_total{method="POST",route="/application/{applicationId}/payment",status="201"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s\n%s", want, grepMetric(body, "pasarela_http_requests_total"))
		}
	}
}

func grepMetric(s, name string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, name) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
