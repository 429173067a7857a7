package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// Languages of the dashboard, English first as the one shown when nothing
// better is known. The page language is the one the user chose with the
// switch (a cookie), else the best match of the browser's Accept-Language.
const (
	langEN = "en"
	langES = "es"
	langIT = "it"
)

var dashLangs = []string{langEN, langES, langIT}

// langNames are the languages as their speakers write them, for the switch.
var langNames = map[string]string{langEN: "English", langES: "Español", langIT: "Italiano"}

// catalog holds every text per language. A test checks that each language
// has exactly English's keys, with the same formatting verbs in the same
// order.
var catalog = map[string]map[string]string{langEN: catalogEN, langES: catalogES, langIT: catalogIT}

// langMatcher honours q-values and knows how tags relate (es-MX is Spanish,
// Galician reads Spanish), which a prefix match would not.
var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Spanish, language.Italian})

const langCookie = "pasarela_lang"

// pageLang is the language of a request's page.
func pageLang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := catalog[c.Value]; ok {
			return c.Value
		}
	}
	_, i := language.MatchStrings(langMatcher, r.Header.Get("Accept-Language"))
	return dashLangs[i]
}

// langLink is one entry of the language switch.
type langLink struct {
	Code, Name, URL string
	Current         bool
}

func langLinks(current, back string) []langLink {
	out := make([]langLink, len(dashLangs))
	for i, l := range dashLangs {
		out[i] = langLink{Code: l, Name: langNames[l], Current: l == current,
			URL: Prefix + "lang/" + l + "?next=" + url.QueryEscape(back)}
	}
	return out
}

// setLang serves GET /dashboard/lang/{lang}: it remembers the language in
// a cookie and goes back. It changes nothing but the cookie, so a GET (a
// link, working without JavaScript and without a form token) is enough.
func (d *Dashboard) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if _, ok := catalog[lang]; !ok {
		d.notFound(w, r, nil)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: Prefix, MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: transport.Secure(r.Context())})
	next := r.URL.Query().Get("next")
	if strings.HasPrefix(next, Prefix+"lang/") {
		next = Prefix
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
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

// errorText is the message of a refused request: the catalog's text for
// the error's code when it has one, else the core's own safe message (in
// English, naming the field).
func errorText(lang string, err error) string {
	var e *pasarela.Error
	if !errors.As(err, &e) {
		return translate(lang, "internal.body")
	}
	if msg, ok := catalog[lang]["err."+e.Code]; ok {
		return msg
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// numberMarks are the group and decimal separators of each language.
var numberMarks = map[string]struct{ group, point string }{
	langEN: {",", "."},
	langES: {".", ","},
	langIT: {".", ","},
}

// marksOf is a language's separators, English's for a language without
// its own.
func marksOf(lang string) struct{ group, point string } {
	if m, ok := numberMarks[lang]; ok {
		return m
	}
	return numberMarks[langEN]
}

// groupDigits writes the digits of a whole number in groups of three.
func groupDigits(whole, group string) string {
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(d)
	}
	return b.String()
}

// formatAmount writes minor units in major units with the currency code
// after them, grouped as the language writes numbers: "1,234.50 EUR" in
// English, "1.234,50 EUR" in Spanish and Italian. The code rather than a
// symbol, because a merchant's list mixes currencies and $ names several.
// The arithmetic is the root package's exact decimal, never a float.
func formatAmount(lang string, minor int64, currency string) string {
	cur, ok := pasarela.LookupCurrency(currency)
	if !ok {
		return strconv.FormatInt(minor, 10) + " " + currency
	}
	marks := marksOf(lang)
	s := pasarela.FormatMajor(minor, cur)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	out := sign + groupDigits(whole, marks.group)
	if frac != "" {
		out += marks.point + frac
	}
	return out + "\u00a0" + cur.Code
}

// formatAxisAmount writes an amount for a chart's axis: major units,
// grouped, without the currency (the chart's caption names it) and without
// decimals that are zero.
func formatAxisAmount(lang string, minor int64, currency string) string {
	s := formatAmount(lang, minor, currency)
	s = strings.TrimSuffix(s, "\u00a0"+strings.ToUpper(currency))
	marks := marksOf(lang)
	if whole, frac, ok := strings.Cut(s, marks.point); ok && strings.Trim(frac, "0") == "" {
		s = whole
	}
	return s
}

// formatInt writes a count grouped as the language writes numbers.
func formatInt(lang string, n int64) string {
	marks := marksOf(lang)
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + groupDigits(s[1:], marks.group)
	}
	return groupDigits(s, marks.group)
}

// formatPercent writes a share in tenths of a percent (953 → "95.3 %").
func formatPercent(lang string, permille int64) string {
	marks := marksOf(lang)
	return strconv.FormatInt(permille/10, 10) + marks.point + strconv.FormatInt(permille%10, 10) + "\u00a0%"
}

// Times are shown in UTC, as the API gives them, and say so: a gateway's
// users span time zones and a page rendered on the server does not know
// the browser's.

// formatTime writes a moment as the language writes dates: "7 Dec 2026,
// 18:04 UTC" in English, "7 dic 2026, 18:04 UTC" in Spanish and Italian.
func formatTime(lang string, t any) string {
	var tm time.Time
	switch v := t.(type) {
	case time.Time:
		tm = v
	case *time.Time:
		if v == nil {
			return ""
		}
		tm = *v
	default:
		return ""
	}
	if tm.IsZero() {
		return ""
	}
	tm = tm.UTC()
	return formatDay(lang, tm) + ", " + tm.Format("15:04") + " UTC"
}

// formatDay writes a date ("7 Dec 2026").
func formatDay(lang string, t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + translate(lang, "month."+strconv.Itoa(int(t.Month()))) + " " + strconv.Itoa(t.Year())
}

// statusText is a payment status in the user's words.
func statusText(lang string, s pasarela.PaymentStatus) string {
	return translate(lang, "status."+string(s))
}

// eventText is an event's type in the user's words, or the type itself for
// one the catalog does not name.
func eventText(lang, typ string) string {
	if msg, ok := catalog[lang]["event."+typ]; ok {
		return msg
	}
	return typ
}
