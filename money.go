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
// and a table for the crypto currencies the spec names.
var currencies = map[string]Currency{}

func init() {
	for _, c := range []Currency{
		{"EUR", 978, 2, false}, {"USD", 840, 2, false}, {"GBP", 826, 2, false}, {"CHF", 756, 2, false},
		{"MXN", 484, 2, false}, {"COP", 170, 2, false}, {"BRL", 986, 2, false}, {"ARS", 32, 2, false},
		{"CLP", 152, 0, false}, {"PEN", 604, 2, false}, {"JPY", 392, 0, false}, {"CAD", 124, 2, false},
		{"AUD", 36, 2, false}, {"SEK", 752, 2, false}, {"NOK", 578, 2, false}, {"DKK", 208, 2, false},
		{"PLN", 985, 2, false}, {"CZK", 203, 2, false}, {"HUF", 348, 2, false}, {"RON", 946, 2, false},
		{"TRY", 949, 2, false}, {"CNY", 156, 2, false}, {"INR", 356, 2, false}, {"KRW", 410, 0, false},
		{"BHD", 48, 3, false}, {"KWD", 414, 3, false}, {"JOD", 400, 3, false}, {"TND", 788, 3, false},
		{"UYU", 858, 2, false}, {"PYG", 600, 0, false}, {"BOB", 68, 2, false}, {"VES", 928, 2, false},
		{"BTC", 0, 8, true}, {"LTC", 0, 8, true}, {"BCH", 0, 8, true}, {"DOGE", 0, 8, true},
		{"ETH", 0, 18, true}, {"USDT", 0, 6, true}, {"USDC", 0, 6, true}, {"DAI", 0, 18, true},
	} {
		currencies[c.Code] = c
	}
}

// LookupCurrency returns the currency with the given code (case-insensitive).
func LookupCurrency(code string) (Currency, bool) {
	c, ok := currencies[strings.ToUpper(strings.TrimSpace(code))]
	return c, ok
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
