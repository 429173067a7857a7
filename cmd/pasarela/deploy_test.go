package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHealthcheck: healthcheck exits 0 for a ready server (found from
// PASARELA_ADDR, as in the container image) and fails without one.
func TestHealthcheck(t *testing.T) {
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0")
	addr := strings.TrimPrefix(m.URL(), "http://")
	if out := MustRun(t, []string{"PASARELA_ADDR=" + addr}, "healthcheck"); !strings.Contains(out, "/readyz: ok") {
		t.Errorf("healthcheck printed %q", out)
	}
	MustRun(t, nil, "healthcheck", "--url", m.URL()+"/readyz")
	m.Close()
	if err := runLine(t, "healthcheck", "--url", m.URL()+"/readyz", "--timeout", "1s"); err == nil {
		t.Error("healthcheck passed with no server")
	}
	if err := runLine(t, "healthcheck", "--url", "http://127.0.0.1:1/healthz/nothing"); err == nil {
		t.Error("healthcheck passed with nothing listening")
	}
}

func mustFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDeployFiles checks what the container image, the compose file and
// the systemd unit promise, in the files themselves: CI builds the image
// only where a Docker daemon runs (and lints the Dockerfile elsewhere).
func TestDeployFiles(t *testing.T) {
	docker := mustFile(t, "Dockerfile")
	for _, want := range []string{
		`CGO_ENABLED=0 go build`,                         // static: the SQLite driver is pure Go
		`FROM gcr.io/distroless/static-debian12:nonroot`, // CA certificates, no shell
		"USER 65532:65532",                               // not root
		`VOLUME ["/data"]`,                               // the database outside the image
		`PASARELA_DB=sqlite:/data/pasarela.db`,           // ... in the volume
		`CMD ["/usr/local/bin/pasarela", "healthcheck"]`,
		`-X main.version=${VERSION}`,
	} {
		if !strings.Contains(docker, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^FROM golang:` + regexp.QuoteMeta(strings.TrimPrefix(goDirective(t), "go ")) + `-`).MatchString(docker) {
		t.Errorf("the Dockerfile's Go is not go.mod's %s", goDirective(t))
	}
	compose := mustFile(t, "compose.yaml")
	for _, want := range []string{"image: postgres:", "PASARELA_DB: postgres://", "PASARELA_SECRET_KEY: ${PASARELA_SECRET_KEY:?", "pasarela-2:", "condition: service_healthy"} {
		if !strings.Contains(compose, want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
	unit := mustFile(t, "deploy/pasarela.service")
	for _, want := range []string{"ExecStart=/usr/local/bin/pasarela serve", "DynamicUser=yes", "StateDirectory=pasarela",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service",
		"MemoryDenyWriteExecute=yes", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, want) {
			t.Errorf("deploy/pasarela.service lacks %q", want)
		}
	}
}

// goDirective is go.mod's go line.
func goDirective(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go \S+`).FindString(mustFile(t, "go.mod"))
	if m == "" {
		t.Fatal("go.mod has no go line")
	}
	return m
}
