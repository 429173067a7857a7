package pasarela

import (
	"sort"
	"strconv"
	"time"
)

// Card brands, as Card.Brand holds them.
const (
	BrandVisa       = "visa"
	BrandMastercard = "mastercard"
	BrandAmex       = "amex"
	BrandDiscover   = "discover"
	BrandUnknown    = "unknown"
)

// CardBrand names a card's brand from its number's leading digits (its IIN
// range).
func CardBrand(number string) string {
	prefix := func(n int) int {
		if len(number) < n {
			return -1
		}
		v, _ := strconv.Atoi(number[:n])
		return v
	}
	switch p2, p3, p4 := prefix(2), prefix(3), prefix(4); {
	case number != "" && number[0] == '4':
		return BrandVisa
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return BrandMastercard
	case p2 == 34 || p2 == 37:
		return BrandAmex
	case p4 == 6011, p2 == 65, p3 >= 644 && p3 <= 649:
		return BrandDiscover
	}
	return BrandUnknown
}

// ValidCVC reports whether cvc fits the brand's security code: American
// Express prints four digits, the other known networks three; for an
// unknown network either is accepted.
func ValidCVC(brand, cvc string) bool {
	if !Digits(cvc) {
		return false
	}
	switch brand {
	case BrandAmex:
		return len(cvc) == 4
	case BrandUnknown:
		return len(cvc) == 3 || len(cvc) == 4
	}
	return len(cvc) == 3
}

// checkDigitExempt are published test card numbers whose check digit is
// wrong but which a gateway's sandbox accepted, so that merchants' test
// suites use them: Gestpay's 5364000000000987. A live processor declines
// them like any card it does not know.
var checkDigitExempt = map[string]bool{"5364000000000987": true}

// CheckDigitExempt lists the published test numbers whose wrong check
// digit CheckDigitValid accepts, for checks a gateway runs elsewhere (a
// payment page's script) that must agree with it.
func CheckDigitExempt() []string {
	out := make([]string, 0, len(checkDigitExempt))
	for n := range checkDigitExempt {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckDigitValid reports whether a card number passes the check-digit test
// a gateway applies before any processor sees the card: LuhnValid, or one of
// the published test numbers whose check digit is wrong.
func CheckDigitValid(number string) bool {
	return LuhnValid(number) || checkDigitExempt[number]
}

// LuhnValid reports whether a card number of digits has a right check digit.
func LuhnValid(number string) bool {
	if !Digits(number) {
		return false
	}
	sum, double := 0, false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Digits reports whether s is one or more ASCII digits.
func Digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// StoredCard is a card an application keeps to charge again without the
// buyer typing it (a token, as Gestpay calls it): its processor's token and
// what may be shown of it, under the application's own Reference. The
// token belongs to the processor of GatewayConfig, so only that config can
// charge it.
type StoredCard struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	// Reference names the card to the application that stored it; it is
	// unique in that application (two applications may use the same one).
	Reference     string
	GatewayConfig int64
	Card          Card
	CreatedAt     time.Time
	UpdatedAt     time.Time
}
