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
