package core

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// TestDummyHashIsLazy: a process that links the core but signs nobody in
// never pays for the dummy hash (argon2id's memory, tens of milliseconds).
// A fresh process of this test binary runs TestDummyHashProbe alone, which
// looks at what the process has allocated before and after it asks for the
// hash: made at load time, the hash's memory would be counted before.
func TestDummyHashIsLazy(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDummyHashProbe$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "PASARELA_DUMMY_HASH_PROBE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestDummyHashProbe is the fresh process of TestDummyHashIsLazy; run on
// its own, it does nothing.
func TestDummyHashProbe(t *testing.T) {
	if os.Getenv("PASARELA_DUMMY_HASH_PROBE") == "" {
		t.Skip("run by TestDummyHashIsLazy")
	}
	const argonBytes = argonMemory * 1024
	allocated := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	before := allocated()
	if before >= argonBytes {
		t.Fatalf("%d bytes allocated before any sign-in: the dummy hash (%d bytes of argon2id memory) was made at load time", before, argonBytes)
	}
	dummyHash()
	if grew := allocated() - before; grew < argonBytes {
		t.Fatalf("making the dummy hash allocated %d bytes, less than argon2id's %d: this probe no longer sees it", grew, argonBytes)
	}
}
