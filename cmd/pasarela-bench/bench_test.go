package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// MustServe builds the gateway's binary and runs `pasarela serve` on :0 over
// a fresh SQLite file, as `make loadtest` does; it returns the server's URL
// and the database setting, and stops the server (SIGTERM) when the test
// ends. Building with the go command is what keeps this test from linking
// the gateway into the load generator, which is the point of the split; the
// test is skipped where there is no go command.
func MustServe(t *testing.T) (url, db string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build the gateway with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pasarela")
	if out, err := exec.Command(goBin, "build", "-o", bin, "github.com/pasarela/pasarela/cmd/pasarela").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pasarela: %v\n%s", err, out)
	}
	db = "sqlite:" + filepath.Join(dir, "pasarela.db")
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-format", "json")
	logs, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stdout = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	})
	// The server logs the address it listens on; every later line is
	// drained, or the server would block on a full pipe.
	lines := bufio.NewScanner(logs)
	var seen strings.Builder
	for lines.Scan() {
		seen.WriteString(lines.Text() + "\n")
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "listening" && entry.Addr != "" {
			go io.Copy(io.Discard, logs)
			return "http://" + entry.Addr, db
		}
	}
	t.Fatalf("pasarela serve ended without listening:\n%s", seen.String())
	return "", ""
}

// TestBench runs pasarela-bench as a person would, against a gateway
// started by `pasarela serve` on :0: it bootstraps its own tenant through
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
