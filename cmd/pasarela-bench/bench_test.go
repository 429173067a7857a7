package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// MustServe runs the gateway as `pasarela serve` builds it (the real
// server over a fresh SQLite file, its secret key in a file beside it, as
// the server keeps it) on a loopback port for the test, and returns its URL
// and the database setting. It runs in the test's process: a test's imports
// are not linked into the pasarela-bench binary (cmd/pasarela's
// TestGatewayLeavesOutTheLoadGenerator checks what is), and building the gateway with the go
// command would cost a full compile in every CI run.
func MustServe(t *testing.T) (url, db string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pasarela.db")
	store, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.WriteFile(path+".key", []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	svc, err := core.New(ctx, store, log, nil, core.Config{SecretKey: key,
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(store, sandbox.GatewayID)))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Config{}, svc, log, server.NewMetrics()))
	t.Cleanup(srv.Close)
	return srv.URL, "sqlite:" + path
}

// TestBench runs pasarela-bench as a person would, against a running
// gateway: it bootstraps its own tenant through
// the database (with the server's secret key, found beside the SQLite file
// as the server keeps it), runs every scenario briefly and reports each
// with every request successful.
func TestBench(t *testing.T) {
	url, db := MustServe(t)
	var out bytes.Buffer
	m := NewMain(&out, io.Discard)
	if err := m.ParseFlags([]string{"--url", url, "--bootstrap-db", db,
		"--duration", "300ms", "--workers", "4", "--warmup", "5"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, s := range benchScenarios {
		block := regexp.MustCompile(`(?m)^` + s + `\n  requests (\d+)  success ([0-9.]+)%`).FindStringSubmatch(out.String())
		if block == nil || block[1] == "0" || block[2] != "100.00" {
			t.Fatalf("scenario %s not reported with every request successful:\n%s", s, out.String())
		}
	}
	if !strings.Contains(out.String(), "status 201×") || !strings.Contains(out.String(), "latency p50 ") {
		t.Errorf("report lacks status counts or latencies:\n%s", out.String())
	}

	// --bootstrap-only makes a tenant and prints it for another load
	// generator, sending no load: its key opens its application.
	out.Reset()
	m = NewMain(&out, io.Discard)
	if err := m.ParseFlags([]string{"--url", url, "--bootstrap-db", db, "--bootstrap-only"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	tenant := regexp.MustCompile(`^app=(\d+) key=(psk_\S+)\n$`).FindStringSubmatch(out.String())
	if tenant == nil {
		t.Fatalf("--bootstrap-only printed %q, want app=ID key=KEY", out.String())
	}
	m = NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--url", url, "--key", tenant[2], "--app", tenant[1], "--scenario", "list", "--duration", "100ms", "--workers", "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Errorf("the printed tenant does not work: %v", err)
	}

	// A wrong key is one clear error, not a run of 401s.
	m = NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--url", url, "--key", "psk_wrong", "--app", "1", "--duration", "100ms"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bench with a wrong key = %v, want an error naming the 401", err)
	}

	// A key file that is not the server's is refused rather than made: a
	// key the server does not hold would seal a config it cannot open.
	m = NewMain(io.Discard, io.Discard)
	missing := filepath.Join(t.TempDir(), "none.key")
	if err := m.ParseFlags([]string{"--url", url, "--bootstrap-db", db, "--secret-key-file", missing}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("bootstrap with a missing key file = %v, want an error saying so", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("bootstrap made a key file")
	}
}

// TestBenchFlags covers the command line's refusals, and the server's
// key settings read from the environment as the server reads them.
func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{}, // neither --key/--app nor --bootstrap-db
		{"--key", "k", "--app", "1", "--scenario", "create,delete"},
		{"--key", "k", "--app", "1", "--url", "127.0.0.1:8080"},
		{"--key", "k", "--app", "1", "--workers", "0"},
		{"--key", "k", "--app", "1", "extra"},
		{"--key", "k", "--app", "1", "--bootstrap-only"}, // nothing to bootstrap
	} {
		m := NewMain(&bytes.Buffer{}, &bytes.Buffer{})
		if err := m.ParseFlags(args, nil); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--bootstrap-db", "sqlite:x.db"}, []string{"PASARELA_SECRET_KEY_FILE=/srv/pasarela.key"}); err != nil {
		t.Fatal(err)
	}
	if m.keys.SecretKeyFile != "/srv/pasarela.key" {
		t.Errorf("PASARELA_SECRET_KEY_FILE not read: %+v", m.keys)
	}
}
