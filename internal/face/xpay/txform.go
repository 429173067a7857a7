package xpay

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// txInput is a decoded transaction form (POST transactions/ and
// transactions/create/), before the core checks currencies, the exchange
// and the amount against what it offers.
type txInput struct {
	Src, Tgt     string // crypto and fiat currency codes, upper case; COC read as COP
	Amount       string // the fiat amount's exact decimal text, as sent
	ExchangeID   int
	Callback     string
	FiatWithdraw *int
}

// numberRE is JSON's number grammar, which every amount this face reads
// must follow (a string amount too): no hex, no "Infinity", no blanks.
var numberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// maxAmountDigits bounds an amount's text: no fiat price has more digits,
// and a decimal with a huge exponent would cost memory to expand.
const maxAmountDigits = 40

// plainAmount returns the exact decimal text of a number literal, without
// an exponent (1.5e3 → 1500), or ok false when it is not one.
func plainAmount(s string) (string, bool) {
	if len(s) > maxAmountDigits || !numberRE.MatchString(s) {
		return "", false
	}
	if !strings.ContainsAny(s, "eE") {
		return s, true
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.Exponent() < -maxAmountDigits || d.Exponent() > maxAmountDigits {
		return "", false
	}
	return d.String(), true
}

// currencyCode reads a currency code as the face passes it to the core:
// trimmed, upper case, with xpay's test alias COC read as COP.
func currencyCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "COC" {
		return "COP"
	}
	return s
}

// decodeTransaction reads the transaction form. Every required field that
// is missing is named at once under 3013, as the seed's row lists them;
// then each present field's type.
func decodeTransaction(f *form) (txInput, error) {
	var in txInput
	var missing []string
	for _, name := range []string{"src_currency", "tgt_currency", "amount", "exchange_id"} {
		if !f.has(name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return in, pasarela.Invalid(strings.Join(missing, ", "), "missing_fields", "Missing some required fields: "+strings.Join(missing, ", ")+".")
	}
	var v pasarela.Validation
	for _, x := range []struct {
		name string
		dst  *string
	}{{"src_currency", &in.Src}, {"tgt_currency", &in.Tgt}} {
		s, err := f.str(x.name)
		switch {
		case err != nil:
			v.AddError(err)
		case strings.TrimSpace(*s) == "":
			v.Add(x.name, "missing_fields", "Missing some required fields: "+x.name+".")
		default:
			*x.dst = currencyCode(*s)
		}
	}
	if text, _, err := f.numberText("amount"); err != nil {
		v.AddError(err)
	} else if amount, ok := plainAmount(text); !ok {
		v.Add("amount", "type", "Must be a number in the target currency, such as 150000.30.")
	} else {
		in.Amount = amount
	}
	if text, _, err := f.numberText("exchange_id"); err != nil {
		v.Add("exchange_id", "exchange_not_found", "The exchange does not exist: exchange_id must be an exchange's number.")
	} else if n, err := strconv.Atoi(text); err != nil || n <= 0 {
		v.Add("exchange_id", "exchange_not_found", "The exchange does not exist.")
	} else {
		in.ExchangeID = n
	}
	if f.has("callback") {
		if s, err := f.str("callback"); err != nil {
			v.Add("callback", "callback_invalid", "The callback is not a valid URL.")
		} else {
			in.Callback = strings.TrimSpace(*s)
		}
	}
	if f.has("fiat_withdraw") {
		text, _, err := f.numberText("fiat_withdraw")
		n, aerr := strconv.Atoi(text)
		if err != nil || aerr != nil || n < 0 || n > 100 {
			v.Add("fiat_withdraw", "type", "Must be a whole percentage from 0 to 100.")
		} else {
			in.FiatWithdraw = &n
		}
	}
	return in, v.Err()
}

// txFields are the members of a transaction form.
var txFields = []string{"src_currency", "tgt_currency", "amount", "exchange_id", "callback", "fiat_withdraw"}
