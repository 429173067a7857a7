package core

import (
	"bytes"
	"testing"
)

// TestSealerKeys: a sealer seals with its key and opens with it or any
// other it was given; one that meets a value no key it knows opens asks
// for the keys again (a rotation ran while it served) and then opens it.
func TestSealerKeys(t *testing.T) {
	k0, k1 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	s1, err := newSealer(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s1.seal([]byte("secret"), []byte("row"))

	old, err := newSealer(k0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.open(sealed, []byte("row")); err == nil {
		t.Fatal("a sealer without the key opened the value")
	}
	both, err := newSealer(k0, k1)
	if err != nil {
		t.Fatal(err)
	}
	if p, current, err := both.openWith(sealed, []byte("row")); err != nil || current || string(p) != "secret" {
		t.Fatalf("with the other key: %q %v %v", p, current, err)
	}
	if _, err := both.open(sealed, []byte("other row")); err == nil {
		t.Fatal("opened with another row's additional data")
	}
	reloads := 0
	old.reload = func() ([]byte, [][]byte, error) { reloads++; return k1, [][]byte{k0}, nil }
	if p, err := old.open(sealed, []byte("row")); err != nil || string(p) != "secret" {
		t.Fatalf("after reloading the keys: %q %v", p, err)
	}
	if _, current, _ := old.openWith(old.seal([]byte("x"), nil), nil); !current || reloads != 1 {
		t.Fatalf("the reloaded sealer seals with the new key: current %v, %d reloads", current, reloads)
	}
}
