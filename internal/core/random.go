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
	return lowerBase32.EncodeToString(randomBytes((n*5 + 7) / 8))[:n]
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := randomBytes(16)
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

// randomBytes returns n bytes from the system's secure source. Since Go
// 1.24 crypto/rand.Read never returns an error (it crashes the program
// rather than hand out predictable bytes), so there is none to handle.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
