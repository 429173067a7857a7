package web

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"

	"github.com/pasarela/pasarela"
)

// Languages the pages speak: every language the core accepts for a
// payment, each with a whole catalog.
const (
	langEN = "en"
	langES = "es"
	langIT = "it"
	langFR = "fr"
	langDE = "de"
	langPT = "pt"
	langCA = "ca"
)

// pageLangs lists the languages of the pages, English first as the one
// shown when nothing better is known.
var pageLangs = []string{langEN, langES, langIT, langFR, langDE, langPT, langCA}

// langMatcher picks a page language from what a browser asks for. The
// matcher of golang.org/x/text (which the gateway already builds, for
// PostgreSQL's password preparation) honours q-values and knows how tags
// relate: pt-BR is read as Portuguese, de-CH and Swiss German (gsw) as
// German, Galician as Spanish; a parser of our own would know only exact
// prefixes.
var langMatcher = language.NewMatcher(func() []language.Tag {
	tags := make([]language.Tag, len(pageLangs))
	for i, l := range pageLangs {
		tags[i] = language.MustParse(l)
	}
	return tags
}())

// langFromHeader is the page language for an Accept-Language header, for
// pages shown before any payment is known (the 404) or of no payment (the
// subscription agreement): the best of the pages' languages, English when
// none fits.
func langFromHeader(h string) string {
	_, i := language.MatchStrings(langMatcher, h)
	return pageLangs[i]
}

// langOf is the page language of a payment's language; English for one the
// pages do not speak.
func langOf(paymentLang string) string {
	lang := strings.ToLower(paymentLang)
	if _, ok := catalog[lang]; ok {
		return lang
	}
	return langEN
}

// catalog holds every text of the pages per language. Keys of field errors
// are "err.<field>.<code>" or "err.<code>"; of declines "decline.<code>".
// A test checks that every language has exactly English's keys, each with
// the same formatting verbs in the same order, since translate passes the
// arguments positionally.
var catalog = map[string]map[string]string{
	langEN: catalogEN,
	langES: catalogES,
	langIT: catalogIT,
	langFR: catalogFR,
	langDE: catalogDE,
	langPT: catalogPT,
	langCA: catalogCA,
}

// translate returns the text of key in lang (English when lang lacks it),
// formatted with args.
func translate(lang, key string, args ...any) string {
	msg, ok := catalog[lang][key]
	if !ok {
		if msg, ok = catalog[langEN][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

func has(lang, key string) bool { _, ok := catalog[lang][key]; return ok }

// fieldError is the message of a broken rule of a card field: the
// catalog's, else (in English) the core's own safe message, else a generic
// one.
func fieldError(lang, field, code, fallback string) string {
	for _, key := range []string{"err." + field + "." + code, "err." + code} {
		if has(lang, key) {
			return translate(lang, key)
		}
	}
	if lang == langEN && fallback != "" {
		return capitalize(fallback)
	}
	return translate(lang, "err.generic")
}

// declineFields places the declines that concern one input next to it.
var declineFields = map[string]string{
	"expired_card":   "exp",
	"incorrect_cvc":  "cvc",
	"invalid_number": "number",
	"invalid_expiry": "exp",
	"invalid_cvc":    "cvc",
}

// declineError is the message of a failed attempt (a processor's decline
// code, or a refusal of the core), and the field it concerns if any.
func declineError(lang, code, fallback string) (field, msg string) {
	field = declineFields[code]
	switch {
	case has(lang, "decline."+code):
		return field, translate(lang, "decline."+code)
	case has(lang, "err."+code):
		return field, translate(lang, "err."+code)
	case lang == langEN && fallback != "":
		return field, capitalize(fallback)
	}
	return field, translate(lang, "decline.generic")
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// numberMarks are the group and decimal separators of each page language,
// and the space between an amount and a currency written after it: French
// groups with a narrow no-break space, and every language keeps the
// currency on the amount's line, as CLDR writes them.
var numberMarks = map[string]struct{ group, point, space string }{
	langEN: {",", ".", "\u00a0"},
	langES: {".", ",", "\u00a0"},
	langIT: {".", ",", "\u00a0"},
	langFR: {"\u202f", ",", "\u00a0"},
	langDE: {".", ",", "\u00a0"},
	langPT: {".", ",", "\u00a0"},
	langCA: {".", ",", "\u00a0"},
}

// currencySymbols are the symbols a buyer reads without doubt, from CLDR's
// "symbol" of each currency in the pages' languages. A small table rather
// than golang.org/x/text/currency: that package formats only float64
// amounts (an amount here is exact minor units) and puts the symbol before
// the number in every language. Only English writes "$" for the dollar;
// elsewhere, where "$" is as likely a peso, it is "US$". A currency not
// here is written with its code, which names it in any language.
var currencySymbols = map[string]string{"EUR": "€", "GBP": "£", "USD": "US$", "JPY": "¥", "BRL": "R$", "MXN": "MX$"}

// symbolOf is the symbol of a currency in a language, "" for none.
func symbolOf(code, lang string) string {
	if code == "USD" && lang == langEN {
		return "$"
	}
	return currencySymbols[code]
}

// formatAmount writes minor units in major units with the currency as the
// buyer's language writes it: the symbol before the number in English
// ("€1,234.50"), after it in the other languages ("1.234,50 €",
// "1 234,50 €"), and the ISO code after the number for a currency with no
// unambiguous symbol ("1.234,50 CHF").
func formatAmount(minor int64, currency, lang string) string {
	cur, ok := pasarela.LookupCurrency(currency)
	if !ok {
		return fmt.Sprintf("%d %s", minor, currency)
	}
	marks, ok := numberMarks[lang]
	if !ok {
		lang, marks = langEN, numberMarks[langEN]
	}
	s := pasarela.FormatMajor(minor, cur)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(marks.group)
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString(marks.point + frac)
	}
	sign := ""
	if neg {
		sign = "-"
	}
	sym := symbolOf(cur.Code, lang)
	switch {
	case sym != "" && lang == langEN:
		return sign + sym + b.String()
	case sym != "":
		return sign + b.String() + marks.space + sym
	}
	return sign + b.String() + marks.space + cur.Code
}
