package gestpay

import (
	"strings"
	"testing"
)

// TestCrypt: a string opens only with its key and for its shop, is made of
// Gestpay's alphabet, and any change of one character breaks it.
func TestCrypt(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c := crypt{kind: kindRequest, appID: 7, payment: 1 << 40}
	s := sealCrypt(key, "GESPAY12345678", c)
	if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*") != "" {
		t.Fatalf("%q is not in Gestpay's alphabet", s)
	}
	if got, ok := openCrypt(key, "GESPAY12345678", s); !ok || got != c {
		t.Fatalf("opened %+v %v, want %+v", got, ok, c)
	}
	if _, ok := openCrypt(key, "GESPAY12345679", s); ok {
		t.Error("opened for another shop")
	}
	if _, ok := openCrypt([]byte("another key of thirty-two bytes!"), "GESPAY12345678", s); ok {
		t.Error("opened with another key")
	}
	for i := range s {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, ok := openCrypt(key, "GESPAY12345678", string(b)); ok {
			t.Errorf("opened with character %d changed", i)
		}
	}
	for _, bad := range []string{"", s[:len(s)-1], s + "A", "30715CA8", strings.Repeat("*", len(s))} {
		if _, ok := openCrypt(key, "GESPAY12345678", bad); ok {
			t.Errorf("opened %q", bad)
		}
	}
}

// TestCryptKinds: each kind opens only with the reference it may carry, so
// that a PaRes says one of its two answers and no other kind carries one.
func TestCryptKinds(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, c := range []struct {
		kind byte
		ref  string
		ok   bool
	}{
		{kindRequest, "", true}, {kindResult, "", true}, {kindTransKey, "", true}, {kindVBVRisp, "", true},
		{kindIssuer, "", true}, {kindPaRes, paResApproved, true}, {kindPaRes, paResRefused, true},
		{kindPage, "ORD-1", true},
		{kindPaRes, "", false}, {kindPaRes, "maybe", false}, {kindTransKey, "Y", false}, {kindPage, "", false},
		{'Z', "", false},
	} {
		s := sealCrypt(key, "GESPAY1", crypt{kind: c.kind, appID: 1, payment: 2, ref: c.ref})
		got, ok := openCrypt(key, "GESPAY1", s)
		if ok != c.ok || (ok && (got.kind != c.kind || got.ref != c.ref)) {
			t.Errorf("kind %c ref %q: opened %+v %v", c.kind, c.ref, got, ok)
		}
	}
}
