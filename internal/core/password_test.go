package core

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
)

func ptr(s string) *string { return &s }

// TestCheckPassword: each rule of the policy gives its own code, and every
// broken rule is reported.
func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password *string
		codes    []string
	}{
		{"missing", nil, []string{PasswordRequired}},
		{"empty", ptr(""), []string{PasswordEmpty}},
		{"too short", ptr("Ab1!xyz"), []string{PasswordTooShort}},
		{"too long", ptr("Ab1!" + strings.Repeat("x", 49)), []string{PasswordTooLong}},
		{"no lowercase", ptr("ABCDEFG1!"), []string{PasswordNoLower}},
		{"no uppercase", ptr("abcdefg1!"), []string{PasswordNoUpper}},
		{"no digit", ptr("Abcdefgh!"), []string{PasswordNoDigit}},
		{"no symbol", ptr("Abcdefgh1"), []string{PasswordNoSymbol}},
		{"symbol not on the list", ptr("Abcdefgh1="), []string{PasswordNoSymbol}},
		{"space is not a symbol", ptr("Abcdefg 1"), []string{PasswordNoSymbol}},
		{"only spaces", ptr("        "), []string{PasswordNoLower, PasswordNoUpper, PasswordNoDigit, PasswordNoSymbol}},
		{"short and plain", ptr("abc"), []string{PasswordTooShort, PasswordNoUpper, PasswordNoDigit, PasswordNoSymbol}},
		{"one symbol only", ptr("!"), []string{PasswordTooShort, PasswordNoLower, PasswordNoUpper, PasswordNoDigit}},
		{"long digits", ptr(strings.Repeat("1", 60)), []string{PasswordTooLong, PasswordNoLower, PasswordNoUpper, PasswordNoSymbol}},
		{"length counts characters, not bytes", ptr("Ññ1!ñ"), []string{PasswordTooShort}},
		{"8 characters", ptr("Abcdef1!"), nil},
		{"52 characters", ptr("Ab1!" + strings.Repeat("x", 48)), nil},
		{"52 multibyte characters", ptr("Ab1!" + strings.Repeat("ñ", 48)), nil},
		{"non-ASCII letters count", ptr("Ñandú¿99"), nil},
	}
	for _, s := range PasswordSymbols {
		tests = append(tests, struct {
			name     string
			password *string
			codes    []string
		}{"symbol " + string(s), ptr("Abcdefg1" + string(s)), nil})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword("password", tc.password)
			if tc.codes == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *pasarela.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
			if e.Kind != pasarela.KindInvalid || e.Field != "password" || e.Code != tc.codes[0] {
				t.Errorf("kind %v field %q code %q", e.Kind, e.Field, e.Code)
			}
			var codes []string
			for _, f := range e.Fields {
				codes = append(codes, f.Code)
				if f.Field != "password" || f.Message == "" {
					t.Errorf("field error %+v", f)
				}
				if tc.password != nil && *tc.password != "" && strings.Contains(f.Message, *tc.password) {
					t.Errorf("message %q echoes the password", f.Message)
				}
			}
			if !slices.Equal(codes, tc.codes) {
				t.Errorf("codes %v, want %v", codes, tc.codes)
			}
		})
	}
	t.Run("the field name is the caller's", func(t *testing.T) {
		var e *pasarela.Error
		if !errors.As(CheckPassword("new_password", ptr("x")), &e) || e.Fields[0].Field != "new_password" {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("the codes are the core's words, not a face's numbers", func(t *testing.T) {
		got := []string{PasswordEmpty, PasswordRequired, PasswordTooShort, PasswordTooLong,
			PasswordNoLower, PasswordNoUpper, PasswordNoDigit, PasswordNoSymbol}
		want := []string{"password_empty", "password_required", "password_too_short", "password_too_long",
			"password_no_lower", "password_no_upper", "password_no_digit", "password_no_symbol"}
		if !slices.Equal(got, want) {
			t.Fatalf("codes %v, want %v", got, want)
		}
	})
}

// TestHashPassword: hashes verify their own password only, are salted, and
// a malformed hash verifies nothing.
func TestHashPassword(t *testing.T) {
	t.Parallel()
	const pw = "Sup3r-secret!"
	h1, h2 := HashPassword(pw), HashPassword(pw)
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h1, pw) {
		t.Errorf("hash %q", h1)
	}
	for _, h := range []string{h1, h2} {
		if !VerifyPassword(h, pw) {
			t.Errorf("%q does not verify its password", h)
		}
	}
	for _, wrong := range []string{"", "sup3r-secret!", "Sup3r-secret", "Sup3r-secret!!", " Sup3r-secret!", "Sup3r-secret!\x00"} {
		if VerifyPassword(h1, wrong) {
			t.Errorf("%q verifies %q", h1, wrong)
		}
	}
	parts := strings.Split(h1, "$")
	malformed := map[string]string{
		"empty":           "",
		"plain text":      pw,
		"argon2i":         strings.Replace(h1, "$argon2id$", "$argon2i$", 1),
		"other version":   strings.Replace(h1, "$v=19$", "$v=16$", 1),
		"no params":       strings.Join([]string{"", parts[1], parts[2], "", parts[4], parts[5]}, "$"),
		"bad salt":        strings.Join([]string{"", parts[1], parts[2], parts[3], "!!!", parts[5]}, "$"),
		"bad key":         strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!!"}, "$"),
		"empty key":       strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], ""}, "$"),
		"truncated":       h1[:len(h1)-10],
		"extra field":     h1 + "$x",
		"other salt":      strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4][1:] + "A", parts[5]}, "$"),
		"other time cost": strings.Replace(h1, ",t=2,", ",t=3,", 1),
	}
	for name, h := range malformed {
		t.Run(name, func(t *testing.T) {
			if VerifyPassword(h, pw) {
				t.Errorf("%q verifies", h)
			}
		})
	}
}
