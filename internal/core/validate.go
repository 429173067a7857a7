package core

import (
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
)

// checkText validates a required or optional single-line text field.
func checkText(v *pasarela.Validation, field string, value *string, required bool, maxLen int) {
	if value == nil || strings.TrimSpace(*value) == "" {
		if required {
			v.Add(field, "required", "is required")
		}
		return
	}
	if !utf8.ValidString(*value) {
		v.Add(field, "encoding", "must be valid UTF-8")
		return
	}
	if utf8.RuneCountInString(*value) > maxLen {
		v.Add(field, "too_long", "may have at most "+strconv.Itoa(maxLen)+" characters")
	}
	if strings.ContainsAny(*value, "\x00\r\n") {
		v.Add(field, "format", "may not contain line breaks or NUL characters")
	}
}

// checkURL validates an optional absolute http(s) URL.
func checkURL(v *pasarela.Validation, field string, value *string) {
	if value == nil || *value == "" {
		return
	}
	u, err := url.Parse(*value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(*value) > 2048 {
		v.Add(field, "url", "must be an absolute http or https URL of at most 2048 characters")
	}
}

// normalizeEmail validates an email address and returns it lowercased.
func normalizeEmail(v *pasarela.Validation, field string, value *string) string {
	if value == nil || strings.TrimSpace(*value) == "" {
		v.Add(field, "required", "is required")
		return ""
	}
	e := strings.ToLower(strings.TrimSpace(*value))
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		v.Add(field, "email", "must be a valid email address")
		return ""
	}
	return e
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{2,63}$`)

// normalizeUsername validates a username and returns it lowercased, so that
// sign-in does not depend on case.
func normalizeUsername(v *pasarela.Validation, field string, value *string) string {
	if value == nil || strings.TrimSpace(*value) == "" {
		v.Add(field, "required", "is required")
		return ""
	}
	u := strings.ToLower(strings.TrimSpace(*value))
	if !usernamePattern.MatchString(u) {
		v.Add(field, "format", "must be 3 to 64 characters: letters, digits and . _ @ + -, starting with a letter or digit")
		return ""
	}
	return u
}
