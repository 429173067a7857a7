package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestGatewayLeavesOutTheLoadGenerator: the load generator is a command of
// its own (pasarela-bench) so that vegeta and what it pulls in are never
// linked into the gateway. It also checks that pasarela-bench does list
// vegeta, so that the first check cannot pass by listing nothing.
func TestGatewayLeavesOutTheLoadGenerator(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list dependencies with")
	}
	const vegeta = "github.com/tsenart/vegeta"
	deps := func(pkg string) []string {
		t.Helper()
		out, err := exec.Command(goBin, "list", "-deps", pkg).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, ee.Stderr)
			}
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	isVegeta := func(p string) bool { return p == vegeta || strings.HasPrefix(p, vegeta+"/") }
	for _, p := range deps("github.com/pasarela/pasarela/cmd/pasarela") {
		if isVegeta(p) {
			t.Errorf("the gateway depends on %s: the load generator belongs in cmd/pasarela-bench", p)
		}
	}
	if !slices.ContainsFunc(deps("github.com/pasarela/pasarela/cmd/pasarela-bench"), isVegeta) {
		t.Errorf("go list -deps shows no %s in cmd/pasarela-bench either: the check above proves nothing", vegeta)
	}
}
