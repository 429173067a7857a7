package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeBlock returns the first sh block after heading in README.md.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme := mustFile(t, "README.md")
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	rest := readme[i:]
	start := strings.Index(rest, "```sh\n")
	end := strings.Index(rest[start+6:], "```")
	if start < 0 || end < 0 {
		t.Fatalf("no sh block after %q", heading)
	}
	return rest[start+6 : start+6+end]
}

// TestREADMEEverydayCommands runs README's everyday operator commands as
// printed, with the built binary, beside a server of the demo: in a new
// directory, then again on the database they and the demo left.
func TestREADMEEverydayCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "pasarela"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	m, _ := MustServe(t, nil, "serve", "--demo", "--db", "sqlite:"+filepath.Join(dir, "pasarela.db"), "--addr", "127.0.0.1:0")
	block := readmeBlock(t, "### Everyday commands")
	for run := range 2 {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"PASARELA_ADDR="+strings.TrimPrefix(m.URL(), "http://"), "PASARELA_DB=", "PASARELA_SECRET_KEY=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run %d of README's everyday commands: %v\n%s", run, err, out)
		}
		for _, want := range []string{"schema version", "/readyz: ok", "backed up", "ledger verified", "re-sealed"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("run %d printed no %q:\n%s", run, want, out)
			}
		}
		time.Sleep(1100 * time.Millisecond) // the backup's name has the second in it
	}
}
