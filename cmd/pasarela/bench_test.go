package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestBench runs `pasarela bench` as a person would, against a server
// started by `serve` on :0: it bootstraps its own tenant through the
// database, runs every scenario briefly and reports each with every
// request successful.
func TestBench(t *testing.T) {
	db := testDB(t)
	srv, _ := MustRun(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	_, out := MustRun(t, nil, "bench", "--url", srv.URL(), "--bootstrap-db", db,
		"--duration", "300ms", "--workers", "4", "--warmup", "5")
	for _, s := range benchScenarios {
		block := regexp.MustCompile(`(?m)^` + s + `\n  requests (\d+)  success ([0-9.]+)%`).FindStringSubmatch(out)
		if block == nil || block[1] == "0" || block[2] != "100.00" {
			t.Fatalf("scenario %s not reported with every request successful:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "status 201×") || !strings.Contains(out, "latency p50 ") {
		t.Errorf("report lacks status counts or latencies:\n%s", out)
	}

	// A wrong key is one clear error, not a run of 401s.
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	if err := m.ParseFlags([]string{"bench", "--url", srv.URL(), "--key", "psk_wrong", "--app", "1",
		"--duration", "100ms"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bench with a wrong key = %v, want an error naming the 401", err)
	}
}

// TestBenchFlags covers the command line's refusals.
func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench"}, // neither --key/--app nor --bootstrap-db
		{"bench", "--key", "k", "--app", "1", "--scenario", "create,delete"},
		{"bench", "--key", "k", "--app", "1", "--url", "127.0.0.1:8080"},
		{"bench", "--key", "k", "--app", "1", "--workers", "0"},
		{"bench", "--key", "k", "--app", "1", "extra"},
	} {
		m := NewMain(&bytes.Buffer{}, &bytes.Buffer{})
		if err := m.ParseFlags(args, nil); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
}
