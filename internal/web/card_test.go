package web

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

func TestParseExpiry(t *testing.T) {
	cases := []struct {
		in          string
		month, year int
		ok          bool
	}{
		{"12/34", 12, 34, true},
		{"1/34", 1, 34, true},
		{"01 / 2034", 1, 2034, true},
		{" 0934 ", 9, 34, true},
		{"092034", 9, 2034, true},
		{"09-34", 9, 34, true},
		{"09.34", 9, 34, true},
		{"13/34", 0, 0, false},
		{"00/34", 0, 0, false},
		{"12/3", 0, 0, false},
		{"12/345", 0, 0, false},
		{"123/34", 0, 0, false},
		{"ab/cd", 0, 0, false},
		{"+1/34", 0, 0, false},
		{"", 0, 0, false},
		{"12", 0, 0, false},
		{"12//34", 0, 0, false},
		{"١٢/٣٤", 0, 0, false}, // Arabic-Indic digits are not digits here
	}
	for _, tc := range cases {
		m, y, ok := parseExpiry(tc.in)
		if m != tc.month || y != tc.year || ok != tc.ok {
			t.Errorf("parseExpiry(%q) = %d, %d, %v; want %d, %d, %v", tc.in, m, y, ok, tc.month, tc.year, tc.ok)
		}
	}
}

func TestDecodeCardForm(t *testing.T) {
	form := url.Values{"name": {"  Ada Lovelace "}, "number": {"4242 4242-4242 4242"}, "exp": {"12 / 34"}, "cvc": {" 123 "}}
	got := decodeCardForm(form)
	want := pasarela.CardInput{Name: "Ada Lovelace", Number: "4242424242424242", ExpMonth: 12, ExpYear: 34, CVC: "123"}
	if got != want {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	// What the form decodes, the core accepts.
	if err := core.CheckCard(&got, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// Oversized input is cut before anything looks at it.
	huge := decodeCardForm(url.Values{"number": {strings.Repeat("4", 10000)}, "name": {strings.Repeat("x", 10000)}})
	if len(huge.Number) > maxCardInput || len(huge.Name) > 4*maxCardInput {
		t.Fatalf("kept %d and %d bytes", len(huge.Number), len(huge.Name))
	}
}

// FuzzCardForm feeds arbitrary form bodies to the card form's decoding: it
// must never panic, must strip every separator from the number, must bound
// every field, and what parseExpiry accepts must be a real month that
// prints back to the same date.
func FuzzCardForm(f *testing.F) {
	for _, seed := range []string{
		"name=Ada&number=4242+4242+4242+4242&exp=12%2F34&cvc=123",
		"number=4000-0000-0000-0002&exp=1%2F2034",
		"exp=0934&cvc=1234",
		"exp=%20%2F%20&number=%E2%80%83",
		"name=%00&number=%FF%FE&exp=99%2F99",
		"exp=12%2F34&exp=01%2F20",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		c := decodeCardForm(form)
		if strings.ContainsFunc(c.Number, func(r rune) bool { return r == '-' || unicode.IsSpace(r) }) {
			t.Fatalf("number %q keeps a separator", c.Number)
		}
		if len(c.Number) > maxCardInput || len(c.CVC) > maxCardInput || len(c.Name) > 4*maxCardInput {
			t.Fatalf("unbounded field in %+v", c)
		}
		if c.Name != strings.TrimSpace(c.Name) {
			t.Fatalf("name %q not trimmed", c.Name)
		}
		m, y, ok := parseExpiry(form.Get("exp"))
		if m != c.ExpMonth || y != c.ExpYear {
			t.Fatalf("decode and parseExpiry disagree on %q", form.Get("exp"))
		}
		if !ok {
			if m != 0 || y != 0 {
				t.Fatalf("refused %q but returned %d/%d", form.Get("exp"), m, y)
			}
			return
		}
		if m < 1 || m > 12 || y < 0 || y > 9999 {
			t.Fatalf("accepted %q as %d/%d", form.Get("exp"), m, y)
		}
		again, y2, ok2 := parseExpiry(fmt.Sprintf("%02d/%04d", m, y))
		if !ok2 || again != m || y2 != y {
			t.Fatalf("%d/%d does not read back", m, y)
		}
		// Whatever was decoded, the core's check never panics on it.
		_ = core.CheckCard(&c, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	})
}

// formatVerb matches one fmt verb, so that a translation can be checked to
// take the same arguments as English.
var formatVerb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// TestCatalog checks that every language has every text English has (and
// no other), and that each text takes the same arguments, in the same
// order, as English's.
func TestCatalog(t *testing.T) {
	var keys []string
	for k := range catalog[langEN] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(catalog) != len(pageLangs) {
		t.Errorf("catalog has %d languages, the pages list %d", len(catalog), len(pageLangs))
	}
	for _, lang := range pageLangs {
		texts, ok := catalog[lang]
		if !ok {
			t.Errorf("no catalog for %s", lang)
			continue
		}
		for _, k := range keys {
			msg, ok := texts[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			want := formatVerb.FindAllString(catalog[langEN][k], -1)
			got := formatVerb.FindAllString(msg, -1)
			if !slices.Equal(got, want) {
				t.Errorf("%s %q takes %v, English %v", lang, k, got, want)
				continue
			}
			var args []any
			for _, v := range got {
				if v == "%d" {
					args = append(args, 7)
				} else {
					args = append(args, "x")
				}
			}
			if out := translate(lang, k, args...); strings.Contains(out, "%!") {
				t.Errorf("%s %q formats as %q", lang, k, out)
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s %q is empty", lang, k)
			}
		}
		for k := range texts {
			if _, ok := catalog[langEN][k]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, k)
			}
		}
	}
	// Every code core.CheckCard and the processors use has a text.
	for _, code := range []string{"name.required", "name.too_long", "number.required", "number.card_number", "exp.expiry",
		"exp.expired", "cvc.cvc", "number.invalid_number", "exp.invalid_expiry", "cvc.invalid_cvc", "exp.expired_card"} {
		field, c, _ := strings.Cut(code, ".")
		for _, lang := range pageLangs {
			if msg := fieldError(lang, field, c, ""); msg == translate(lang, "err.generic") {
				t.Errorf("%s: no text for %s", lang, code)
			}
		}
	}
	for _, code := range []string{"card_declined", "insufficient_funds", "expired_card", "incorrect_cvc", "processing_error",
		"authentication_failed", "buyer_canceled"} {
		for _, lang := range pageLangs {
			if _, msg := declineError(lang, code, ""); msg == translate(lang, "decline.generic") {
				t.Errorf("%s: no text for decline %s", lang, code)
			}
		}
	}
}

func TestFormatAmount(t *testing.T) {
	cases := []struct {
		minor          int64
		currency, lang string
		want           string
	}{
		{1050, "EUR", langEN, "€10.50"},
		{1050, "EUR", langES, "10,50\u00a0€"},
		{1050, "EUR", langIT, "10,50\u00a0€"},
		{1050, "EUR", langDE, "10,50\u00a0€"},
		{1050, "EUR", langFR, "10,50\u00a0€"},
		{123456789, "EUR", langEN, "€1,234,567.89"},
		{123456789, "EUR", langES, "1.234.567,89\u00a0€"},
		{5000, "JPY", langEN, "¥5,000"},
		{1234, "KWD", langES, "1,234\u00a0KWD"},
		{5, "USD", langEN, "$0.05"},
		{5, "USD", langES, "0,05\u00a0US$"},
		{1999, "GBP", langEN, "£19.99"},
		{1999, "MXN", langES, "19,99\u00a0MX$"},
		{100, "XXX", langEN, "100 XXX"},
		{123456, "EUR", langIT, "1.234,56\u00a0€"},
		{123456, "EUR", langFR, "1\u202f234,56\u00a0€"},
		{123456, "EUR", langPT, "1.234,56\u00a0€"},
		{123456, "EUR", langCA, "1.234,56\u00a0€"},
		{99, "EUR", langFR, "0,99\u00a0€"},
		{123456789, "CHF", langFR, "1\u202f234\u202f567,89\u00a0CHF"},
		{123456789, "CHF", langEN, "1,234,567.89\u00a0CHF"},
		{-123456, "EUR", langIT, "-1.234,56\u00a0€"},
		{-123456, "EUR", langEN, "-€1,234.56"},
		{500000, "JPY", langDE, "500.000\u00a0¥"},
		{1050, "EUR", "nl", "€10.50"},
	}
	for _, tc := range cases {
		if got := formatAmount(tc.minor, tc.currency, tc.lang); got != tc.want {
			t.Errorf("formatAmount(%d, %s, %s) = %q, want %q", tc.minor, tc.currency, tc.lang, got, tc.want)
		}
	}
}
