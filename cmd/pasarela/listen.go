package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pasarela/pasarela/internal/webhook"
)

// WebhookListenCommand is `pasarela webhook listen`, a receiver for
// development: point a webhook at it and watch what pasarela sends.
type WebhookListenCommand struct {
	output
	addr string
	keys webhookKeys
	// ready, when set (tests), is told the address once it listens.
	ready func(addr string)
}

// ParseFlags reads where to listen and the keys to check deliveries with;
// without keys deliveries are printed unchecked.
func (c *WebhookListenCommand) ParseFlags(args, environ []string) error {
	fs := newFlagSet("webhook listen", c.stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:9000", "address to listen on")
	c.keys.flags(fs)
	return parseArgs(fs, args)
}

// Run receives deliveries until ctx ends. Each is printed with
// its event, its id, whether its signatures hold and whether that id came
// before (deliveries are at least once: a receiver deduplicates by
// webhook-id), then its body. It answers 204 when every signature it was
// given a secret for holds, and 400 otherwise, so a receiver that rejects a
// delivery shows how pasarela retries it.
func (c *WebhookListenCommand) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxVerifyBody))
		if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		id := r.Header.Get("webhook-id")
		var checks []string
		ok := true
		if c.keys.secret != "" {
			err := webhook.Verify(c.keys.secret, id, r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body, time.Now(), c.keys.tolerance)
			checks, ok = append(checks, verdict("webhook-signature", err)), ok && err == nil
		}
		if c.keys.apiKey != "" {
			err := webhook.VerifyHash(c.keys.apiKey, r.Header.Get("Hash"), body)
			checks, ok = append(checks, verdict("Hash", err)), ok && err == nil
		}
		if len(checks) == 0 {
			checks = append(checks, "not checked (no --secret or --api-key)")
		}
		mu.Lock()
		again := ok && seen[id]
		if ok && id != "" {
			seen[id] = true
		}
		mu.Unlock()
		if again {
			checks = append(checks, "seen before: a receiver would skip it")
		}
		fmt.Fprintf(c.stdout, "%s %s %s %s %s: %s\n%s\n\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path,
			orDash(r.Header.Get("Pasarela-Event")), orDash(id), strings.Join(checks, ", "), strings.TrimSpace(string(body)))
		if !ok {
			http.Error(w, "signature check failed", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	fmt.Fprintf(c.stdout, "listening on http://%s (Ctrl-C to stop)\n", ln.Addr())
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	}
}

func verdict(what string, err error) string {
	if err != nil {
		return what + " INVALID (" + err.Error() + ")"
	}
	return what + " valid"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
