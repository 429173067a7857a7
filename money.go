package pasarela

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Currency is one currency the gateway handles, with the number of decimals
// its minor unit has (its scale).
type Currency struct {
	Code    string // ISO 4217 alpha code, or the ticker of a crypto currency
	Numeric int    // ISO 4217 numeric code (0 for crypto)
	Scale   int32  // decimals of the minor unit
	Crypto  bool
}

// currencies is the ISO 4217 table for the fiat currencies the faces meet,
// and a table for the crypto currencies the spec names, keyed by code.
var currencies = currencyTable(
	Currency{"EUR", 978, 2, false}, Currency{"USD", 840, 2, false}, Currency{"GBP", 826, 2, false},
	Currency{"CHF", 756, 2, false}, Currency{"MXN", 484, 2, false}, Currency{"COP", 170, 2, false},
	Currency{"BRL", 986, 2, false}, Currency{"ARS", 32, 2, false}, Currency{"CLP", 152, 0, false},
	Currency{"PEN", 604, 2, false}, Currency{"JPY", 392, 0, false}, Currency{"CAD", 124, 2, false},
	Currency{"AUD", 36, 2, false}, Currency{"SEK", 752, 2, false}, Currency{"NOK", 578, 2, false},
	Currency{"DKK", 208, 2, false}, Currency{"PLN", 985, 2, false}, Currency{"CZK", 203, 2, false},
	Currency{"HUF", 348, 2, false}, Currency{"RON", 946, 2, false}, Currency{"TRY", 949, 2, false},
	Currency{"CNY", 156, 2, false}, Currency{"INR", 356, 2, false}, Currency{"KRW", 410, 0, false},
	Currency{"BHD", 48, 3, false}, Currency{"KWD", 414, 3, false}, Currency{"JOD", 400, 3, false},
	Currency{"TND", 788, 3, false}, Currency{"UYU", 858, 2, false}, Currency{"PYG", 600, 0, false},
	Currency{"BOB", 68, 2, false}, Currency{"VES", 928, 2, false},
	Currency{"BTC", 0, 8, true}, Currency{"LTC", 0, 8, true}, Currency{"BCH", 0, 8, true},
	Currency{"DOGE", 0, 8, true}, Currency{"ETH", 0, 18, true}, Currency{"USDT", 0, 6, true},
	Currency{"USDC", 0, 6, true}, Currency{"DAI", 0, 18, true},
)

// currencyTable keys cs by code; the code is written once per currency, so
// a row cannot be filed under another currency's code.
func currencyTable(cs ...Currency) map[string]Currency {
	m := make(map[string]Currency, len(cs))
	for _, c := range cs {
		m[c.Code] = c
	}
	return m
}

// LookupCurrency returns the currency with the given code (case-insensitive).
func LookupCurrency(code string) (Currency, bool) {
	c, ok := currencies[strings.ToUpper(strings.TrimSpace(code))]
	return c, ok
}

// LookupNumericCurrency returns the fiat currency with the given ISO 4217
// numeric code (978 for EUR).
func LookupNumericCurrency(n int) (Currency, bool) {
	for _, c := range currencies {
		if !c.Crypto && c.Numeric == n && n > 0 {
			return c, true
		}
	}
	return Currency{}, false
}

// maxMinor bounds amounts so that sums of many of them stay far from the
// int64 limit: 10^15 minor units (ten trillion euros).
const maxMinor = 1_000_000_000_000_000

// ParseMinor reads an amount written in minor units ("100" = 1.00 EUR), as
// PayREST sends it. Signs, decimals, exponents and blanks are refused.
func ParseMinor(field, s string) (int64, error) {
	if s == "" {
		return 0, Invalid(field, "required", "is required")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, Invalid(field, "amount", "must be a whole number of minor units, like \"1050\" for 10.50")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxMinor {
		return 0, Invalid(field, "amount", "is too large")
	}
	if n <= 0 {
		return 0, Invalid(field, "amount", "must be greater than zero")
	}
	return n, nil
}

// ParseMajor reads an amount written in major units ("10.50") for the
// currency. More decimals than the currency has is an error, never a
// rounding.
func ParseMajor(field, s string, c Currency) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, Invalid(field, "required", "is required")
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+') {
			return 0, Invalid(field, "amount", "must be a decimal number like 10.50")
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, Invalid(field, "amount", "must be a decimal number like 10.50")
	}
	if !d.IsPositive() {
		return 0, Invalid(field, "amount", "must be greater than zero")
	}
	scaled := d.Shift(c.Scale)
	if !scaled.Equal(scaled.Truncate(0)) {
		return 0, Invalid(field, "scale", c.Code+" amounts may have at most "+strconv.Itoa(int(c.Scale))+" decimals")
	}
	if scaled.GreaterThan(decimal.NewFromInt(maxMinor)) {
		return 0, Invalid(field, "amount", "is too large")
	}
	return scaled.IntPart(), nil
}

// FormatMajor writes minor units in major units with the currency's scale
// ("1050" EUR → "10.50").
func FormatMajor(minor int64, c Currency) string {
	return decimal.New(minor, -c.Scale).StringFixed(c.Scale)
}
