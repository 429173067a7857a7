package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/pasarela/pasarela"
)

// maxCardInput bounds what a card field may hold before it is even looked
// at: real values are far shorter, and the core refuses anything odd.
const maxCardInput = 64

// decodeCardForm reads the card form: name, number (spaces and dashes
// stripped, as people and browsers type them in groups), exp as MM/YY (or
// MM/YYYY, MMYY, "MM / YY") and cvc. Anything it cannot read is left for
// core.CheckCard to report against its field; it never fails by itself.
func decodeCardForm(form url.Values) pasarela.CardInput {
	c := pasarela.CardInput{
		Name:   strings.TrimSpace(limit(form.Get("name"), 4*maxCardInput)),
		Number: stripSeparators(limit(form.Get("number"), maxCardInput)),
		CVC:    strings.TrimSpace(limit(form.Get("cvc"), maxCardInput)),
	}
	c.ExpMonth, c.ExpYear, _ = parseExpiry(form.Get("exp"))
	return c
}

// limit cuts s to n bytes; a value that long is refused later anyway, so it
// does not matter that a cut may split a character.
func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// stripSeparators removes the spaces and dashes people type between the
// groups of a card number. Invalid UTF-8 is dropped first: strings.Map
// would turn each bad byte into a three-byte replacement character and
// grow the value past its limit.
func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}

// parseExpiry reads an expiry date. It accepts MM/YY, MM/YYYY, M/YY, MM-YY,
// MMYY and MMYYYY, with spaces anywhere. A two-digit year is returned as
// typed (core.CheckCard makes it 20YY). ok is false when the text is not a
// date; month and year are then 0.
func parseExpiry(s string) (month, year int, ok bool) {
	s = stripSpaces(limit(s, 32))
	var m, y string
	if i := strings.IndexAny(s, "/-."); i >= 0 {
		m, y = s[:i], s[i+1:]
	} else {
		switch len(s) {
		case 4, 6:
			m, y = s[:2], s[2:]
		default:
			return 0, 0, false
		}
	}
	if len(m) < 1 || len(m) > 2 || (len(y) != 2 && len(y) != 4) || !digits(m) || !digits(y) {
		return 0, 0, false
	}
	month, _ = strconv.Atoi(m)
	year, _ = strconv.Atoi(y)
	if month < 1 || month > 12 {
		return 0, 0, false
	}
	return month, year, true
}

func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
