package dashboard

import (
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
)

// majorAmount reads an amount a person typed in major units, written as
// the page's language writes numbers: "1,234.50" in English, "1.234,50" in
// Spanish and Italian. A grouping mark is accepted only between well-formed
// groups of three digits, so "1,000" on an English page is a thousand and
// on a Spanish page it is one (with a decimal comma), never a guess. More
// decimals than the currency has are refused even when they are zeros: a
// person who typed "1.500" EUR on an English page meant something the
// currency cannot hold, and rounding it silently would move the wrong
// amount. The root package's ParseMajor stays lenient about trailing zeros
// because API faces receive amounts such as "10.00" for every currency.
func majorAmount(lang, field, text, currency string) (int64, error) {
	cur, ok := pasarela.LookupCurrency(currency)
	if !ok {
		return 0, pasarela.Invalid(field, "currency", "unknown currency")
	}
	marks := marksOf(lang)
	example := groupDigits("1234", marks.group) + marks.point + "50"
	if cur.Scale == 0 {
		example = groupDigits("1234", marks.group)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, pasarela.Invalid(field, "required", "is required")
	}
	for _, r := range text {
		if !(r >= '0' && r <= '9' || string(r) == marks.group || string(r) == marks.point) {
			return 0, pasarela.Invalid(field, "amount", "must be a number written like "+example)
		}
	}
	whole, frac, hasPoint := strings.Cut(text, marks.point)
	if strings.Contains(frac, marks.point) || strings.Contains(frac, marks.group) {
		return 0, pasarela.Invalid(field, "amount", "must be a number written like "+example)
	}
	if hasPoint && frac == "" || whole == "" {
		return 0, pasarela.Invalid(field, "amount", "must be a number written like "+example)
	}
	if strings.Contains(whole, marks.group) {
		groups := strings.Split(whole, marks.group)
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return 0, pasarela.Invalid(field, "grouping", "must group digits in threes, like "+example)
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, pasarela.Invalid(field, "grouping", "must group digits in threes, like "+example)
			}
		}
		whole = strings.Join(groups, "")
	}
	if len(frac) > int(cur.Scale) {
		if cur.Scale == 0 {
			return 0, pasarela.Invalid(field, "scale", cur.Code+" amounts have no decimals")
		}
		return 0, pasarela.Invalid(field, "scale", cur.Code+" amounts may have at most "+strconv.Itoa(int(cur.Scale))+" decimals")
	}
	canonical := whole
	if frac != "" {
		canonical += "." + frac
	}
	return pasarela.ParseMajor(field, canonical, cur)
}
