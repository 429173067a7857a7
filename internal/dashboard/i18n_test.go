package dashboard

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var verbRE = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestCatalogs: every language has exactly English's keys, each with the
// same formatting verbs in the same order, since translate passes the
// arguments positionally.
func TestCatalogs(t *testing.T) {
	for lang, cat := range catalog {
		for key, en := range catalogEN {
			msg, ok := cat[key]
			if !ok {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			if !slices.Equal(verbRE.FindAllString(msg, -1), verbRE.FindAllString(en, -1)) {
				t.Errorf("%s %q: verbs of %q differ from English's %q", lang, key, msg, en)
			}
		}
		for key := range cat {
			if _, ok := catalogEN[key]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, key)
			}
		}
	}
}

// TestFormats: amounts, counts and dates as each language writes them.
func TestFormats(t *testing.T) {
	when := time.Date(2026, 12, 7, 18, 4, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{formatAmount(langEN, 123450, "EUR"), "1,234.50\u00a0EUR"},
		{formatAmount(langES, 123450, "EUR"), "1.234,50\u00a0EUR"},
		{formatAmount(langIT, -5, "EUR"), "-0,05\u00a0EUR"},
		{formatAmount(langES, 1234567, "CLP"), "1.234.567\u00a0CLP"},
		{formatAmount(langEN, 12, "XXZ"), "12 XXZ"},
		{formatInt(langES, 1000000), "1.000.000"},
		{formatInt(langEN, -1234), "-1,234"},
		{formatPercent(langES, 953), "95,3\u00a0%"},
		{formatTime(langEN, when), "7 Dec 2026, 18:04 UTC"},
		{formatTime(langES, &when), "7 dic 2026, 18:04 UTC"},
		{formatTime(langIT, (*time.Time)(nil)), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestLocalPath: a redirect target outside the dashboard is refused.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/dashboard/payments?status=failed": "/dashboard/payments?status=failed",
		"https://evil.example/dashboard/":   "/dashboard/",
		"//evil.example/dashboard/":         "/dashboard/",
		"/dashboard/\r\nSet-Cookie: x":      "/dashboard/",
		"":                                  "/dashboard/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
