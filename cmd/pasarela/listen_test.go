package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/webhook"
)

// syncBuffer lets the test read what the listener prints while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWebhookListen: the development receiver accepts a delivery signed as
// pasarela signs them (204), says when an id comes again, and refuses a
// tampered one (400), printing what it found each time.
func TestWebhookListen(t *testing.T) {
	const apiKey = "psk_listentestlistentestlistentestlistentes"
	var out syncBuffer
	cmd, err := ParseCommand([]string{"webhook", "listen", "--addr", "127.0.0.1:0", "--secret", vecSecret, "--api-key", apiKey}, nil, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	l := cmd.(*WebhookListenCommand)
	addr := make(chan string, 1)
	l.ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	url := "http://" + <-addr + "/hooks"

	send := func(body string, signed []byte) int {
		t.Helper()
		h, err := webhook.Headers(vecSecret, apiKey, "evt_1", time.Now(), signed)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set("Pasarela-Event", "payment.completed")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	body := `{"id":1,"status":"completed"}`
	if code := send(body, []byte(body)); code != http.StatusNoContent {
		t.Fatalf("a valid delivery got %d\n%s", code, out.String())
	}
	if code := send(body, []byte(body)); code != http.StatusNoContent || !strings.Contains(out.String(), "seen before") {
		t.Fatalf("a repeated delivery got %d, or was not called a repeat\n%s", code, out.String())
	}
	if code := send(`{"id":1,"status":"failed"}`, []byte(body)); code != http.StatusBadRequest {
		t.Fatalf("a tampered delivery got %d\n%s", code, out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	printed := out.String()
	for _, want := range []string{"payment.completed evt_1: webhook-signature valid, Hash valid", body,
		"webhook-signature INVALID", "Hash INVALID"} {
		if !strings.Contains(printed, want) {
			t.Errorf("output lacks %q:\n%s", want, printed)
		}
	}
}
