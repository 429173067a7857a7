package core

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestDummyHashProbe makes the dummy hash when this test binary is run by
// TestDummyHashIsLazy; otherwise it does nothing.
func TestDummyHashProbe(t *testing.T) {
	t.Parallel()
	if os.Getenv("PASARELA_DUMMY_HASH_PROBE") == "" {
		t.Skip("run by TestDummyHashIsLazy")
	}
	if !strings.HasPrefix(dummyHash(), "$argon2id$") {
		t.Fatal("not an argon2id hash")
	}
}

// TestDummyHashIsLazy: a process that links the core but signs nobody in
// never pays for the dummy hash (argon2id's memory, tens of milliseconds).
// The peak memory of this test binary run with nothing to do is compared
// with that of a run that makes the hash: had the package made it at load
// time, both would hold its memory.
func TestDummyHashIsLazy(t *testing.T) {
	t.Parallel()
	peak := func(run string) int64 {
		cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PASARELA_DUMMY_HASH_PROBE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", run, err, out)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	}
	idle, probe := peak("TestNothingAtAll"), peak("TestDummyHashProbe")
	if probe-idle < argonMemory/2 {
		t.Errorf("peak memory %d KiB doing nothing, %d KiB making the dummy hash: the hash is made before anyone signs in", idle, probe)
	}
}
