package core

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"time"
)

// lowerBase32 has no padding and only lowercase letters and digits, so that
// generated secrets survive URLs, headers and shells unquoted.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randomString returns n characters of lowercase base32 from the system's
// secure random source (5 bits each).
func randomString(n int) string {
	b := make([]byte, (n*5+7)/8)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS has no entropy: nothing is safe to do
	}
	return lowerBase32.EncodeToString(b)[:n]
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}

// Alphabets in byte order, for timeOrdered: the same characters as
// randomAlnum and randomString use, so identifiers keep their look.
const (
	alnumSorted  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base32Sorted = "234567abcdefghijklmnopqrstuvwxyz"
)

// timeOrdered encodes t's milliseconds since 1970 in n characters of
// alphabet, most significant first, so that identifiers starting with it
// sort by creation time. Random identifiers land on random pages of their
// unique index, and every commit then writes a page per identifier; ordered
// ones go to the index's last page, as an auto-increment id does. What
// follows the prefix stays random: the identifier is as unguessable as its
// random part, and the prefix tells only when it was made. Seven alnum
// characters last until 2081, nine base32 ones for a thousand years; a
// time beyond that wraps around, which costs order, never uniqueness.
func timeOrdered(t time.Time, alphabet string, n int) string {
	v := uint64(max(t.UnixMilli(), 0))
	base := uint64(len(alphabet))
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = alphabet[v%base]
		v /= base
	}
	return string(out)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}
