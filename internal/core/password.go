package core

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/pasarela/pasarela"
)

// PasswordSymbols are the symbols the password policy accepts as "a symbol".
// The list is xpay's (its rule 5023), the one policy of every face.
const PasswordSymbols = "%&*#@!¡?¿+$_-"

// Password policy codes. They are the core's words; a face with numbered
// errors maps them in its own table. xpay numbers the same rules so, and its
// face is to take this table as it is:
//
//	password_empty      5001
//	password_required   5002
//	password_too_short  5003
//	password_too_long   5004
//	password_no_lower   5020
//	password_no_upper   5021
//	password_no_digit   5022
//	password_no_symbol  5023
const (
	PasswordEmpty     = "password_empty"
	PasswordRequired  = "password_required"
	PasswordTooShort  = "password_too_short"
	PasswordTooLong   = "password_too_long"
	PasswordNoLower   = "password_no_lower"
	PasswordNoUpper   = "password_no_upper"
	PasswordNoDigit   = "password_no_digit"
	PasswordNoSymbol  = "password_no_symbol"
	passwordMinLength = 8
	passwordMaxLength = 52
)

// CheckPassword applies the one password policy of the gateway to the field
// named field. Every rule broken is reported, each with its own code, so a
// user fixes everything at once. A nil password is "required"; an empty one
// is "empty".
func CheckPassword(field string, password *string) error {
	var v pasarela.Validation
	switch {
	case password == nil:
		v.Add(field, PasswordRequired, "the password is required")
		return v.Err()
	case *password == "":
		v.Add(field, PasswordEmpty, "the password may not be empty")
		return v.Err()
	}
	p := *password
	n := utf8.RuneCountInString(p)
	if n < passwordMinLength {
		v.Add(field, PasswordTooShort, fmt.Sprintf("the password must have at least %d characters", passwordMinLength))
	}
	if n > passwordMaxLength {
		v.Add(field, PasswordTooLong, fmt.Sprintf("the password may have at most %d characters", passwordMaxLength))
	}
	var lower, upper, digit, symbol bool
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(PasswordSymbols, r):
			symbol = true
		}
	}
	if !lower {
		v.Add(field, PasswordNoLower, "the password must contain a lowercase letter")
	}
	if !upper {
		v.Add(field, PasswordNoUpper, "the password must contain an uppercase letter")
	}
	if !digit {
		v.Add(field, PasswordNoDigit, "the password must contain a number")
	}
	if !symbol {
		v.Add(field, PasswordNoSymbol, "the password must contain one of the symbols "+PasswordSymbols)
	}
	return v.Err()
}

// argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane), which keeps a login near 20–40 ms on a small machine.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format, which
// carries its own parameters so they can be raised later without breaking
// stored hashes. It cannot fail: its salt comes from crypto/rand, which
// never returns an error since Go 1.24.
func HashPassword(password string) string {
	salt := randomBytes(argonSaltLen)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password matches the PHC-format hash, in
// time independent of where the two differ.
func VerifyPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem uint32
	var t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	// Zero or absurd parameters come only from a damaged row; argon2 would
	// panic on them or take forever, so they simply do not verify.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads); err != nil ||
		t == 0 || t > 16 || threads == 0 || mem < 8*uint32(threads) || mem > 1<<21 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a login names no known user, so that an
// unknown user costs the same time as a wrong password. It is made on the
// first sign-in, not when the package loads: an argon2id hash costs 19 MiB
// and tens of milliseconds, which every command and test binary that links
// the core would otherwise pay at start.
var dummyHash = sync.OnceValue(func() string {
	return HashPassword("not a real password, only spends the time of one")
})
