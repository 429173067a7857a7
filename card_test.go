package pasarela

import "testing"

func TestCardRules(t *testing.T) {
	for number, brand := range map[string]string{
		"4242424242424242": BrandVisa, "5555555555554444": BrandMastercard, "2223003122003222": BrandMastercard,
		"378282246310005": BrandAmex, "6011111111111117": BrandDiscover, "3056930009020004": BrandUnknown,
	} {
		if got := CardBrand(number); got != brand {
			t.Errorf("CardBrand(%s) = %s, want %s", number, got, brand)
		}
		if !LuhnValid(number) {
			t.Errorf("%s fails the Luhn check", number)
		}
	}
	for _, bad := range []string{"4242424242424241", "", "42424242424242a2", "0000000000000001"} {
		if LuhnValid(bad) {
			t.Errorf("LuhnValid(%q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		brand, cvc string
		ok         bool
	}{{BrandVisa, "123", true}, {BrandVisa, "1234", false}, {BrandAmex, "1234", true}, {BrandAmex, "123", false},
		{BrandUnknown, "123", true}, {BrandUnknown, "1234", true}, {BrandVisa, "12a", false}, {BrandVisa, "", false}} {
		if ValidCVC(tc.brand, tc.cvc) != tc.ok {
			t.Errorf("ValidCVC(%s, %q) = %v", tc.brand, tc.cvc, !tc.ok)
		}
	}
}

func TestCheckDigitValid(t *testing.T) {
	for n, want := range map[string]bool{
		"4242424242424242": true,  // Luhn
		"4242424242424241": false, // one digit off
		"5364000000000987": true,  // Gestpay's published test card, wrong check digit
		"5364000000000988": false, // its neighbour is not exempt
	} {
		if got := CheckDigitValid(n); got != want {
			t.Errorf("CheckDigitValid(%s) = %v, want %v", n, got, want)
		}
	}
}
