package dashboard

import (
	"testing"

	"github.com/pasarela/pasarela"
)

// TestMajorAmount: an amount typed on the dashboard is read as the page's
// language writes numbers; grouping marks only in groups of three; never
// more decimals than the currency has, zeros included; each refusal names
// the field and the rule.
func TestMajorAmount(t *testing.T) {
	for _, tc := range []struct {
		lang, text, cur string
		want            int64
		code            string // the refusal's code, or "" when it is read
	}{
		{"en", "10.50", "EUR", 1050, ""},
		{"en", "10.5", "EUR", 1050, ""},
		{"en", "1,000", "EUR", 100000, ""},
		{"en", "1,234,567.89", "EUR", 123456789, ""},
		{"en", "1234.5", "EUR", 123450, ""},
		{"en", " 7 ", "EUR", 700, ""},
		{"es", "10,50", "EUR", 1050, ""},
		{"es", "1.234,50", "EUR", 123450, ""},
		{"it", "1.000", "EUR", 100000, ""},
		{"it", "1.000,5", "EUR", 100050, ""},
		{"en", "1,500", "JPY", 1500, ""},
		{"es", "1.500", "JPY", 1500, ""},
		{"en", "1.500", "EUR", 0, "scale"},
		{"en", "1.00", "JPY", 0, "scale"},
		{"es", "1,000", "EUR", 0, "scale"},
		{"it", "10,500", "EUR", 0, "scale"},
		{"en", "1,00", "EUR", 0, "grouping"},
		{"en", "12,34,567", "EUR", 0, "grouping"},
		{"en", ",100", "EUR", 0, "grouping"},
		{"es", "1.00,5", "EUR", 0, "grouping"},
		{"en", "10,50.5,0", "EUR", 0, "amount"},
		{"en", "1.2.3", "EUR", 0, "amount"},
		{"en", "10.", "EUR", 0, "amount"},
		{"en", ".5", "EUR", 0, "amount"},
		{"en", "-5", "EUR", 0, "amount"},
		{"en", "1e3", "EUR", 0, "amount"},
		{"en", "10 000", "EUR", 0, "amount"},
		{"en", "0", "EUR", 0, "amount"},
		{"en", "0.00", "EUR", 0, "amount"},
		{"en", "", "EUR", 0, "required"},
	} {
		got, err := majorAmount(tc.lang, "amount", tc.text, tc.cur)
		if tc.code == "" {
			if err != nil || got != tc.want {
				t.Errorf("%s %q %s: %d %v, want %d", tc.lang, tc.text, tc.cur, got, err, tc.want)
			}
			continue
		}
		if e := pasarela.AsError(err); e == nil || e.Code != tc.code || e.Field != "amount" {
			t.Errorf("%s %q %s: %d %v, want a refusal %q of the field amount", tc.lang, tc.text, tc.cur, got, err, tc.code)
		}
	}
}
