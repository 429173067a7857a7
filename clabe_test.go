package pasarela

import "testing"

func TestCheckCLABE(t *testing.T) {
	tests := []struct {
		clabe string
		code  string // "" when valid
	}{
		{"002010077777777771", ""}, // BANAMEX, a well-known valid example
		{"032180000118359719", ""}, // valid check digit, but 032 (IXE, merged away) is not in the catalog: refused for the bank
		{"646180110400000007", ""}, // STP
		{"012180001234567899", ""}, // BBVA MEXICO
		{"002010077777777772", "clabe_check_digit"},
		{"002010077777777770", "clabe_check_digit"},
		{"646180110400000008", "clabe_check_digit"},
		{"00201007777777777", "clabe_format"},   // 17 digits
		{"0020100777777777711", "clabe_format"}, // 19 digits
		{"00201007777777777a", "clabe_format"},
		{"", "clabe_format"},
		{"002 010077777777771", "clabe_format"},
		{"999010077777777771", "clabe_bank"},
		{"001010077777777771", "clabe_bank"},
	}
	for _, tt := range tests {
		t.Run(tt.clabe, func(t *testing.T) {
			want := tt.code
			if tt.clabe == "032180000118359719" {
				want = "clabe_bank"
			}
			err := CheckCLABE("beneficiaryAcount", tt.clabe)
			if want == "" {
				if err != nil {
					t.Fatalf("CheckCLABE(%s) = %v, want valid", tt.clabe, err)
				}
				return
			}
			e := AsError(err)
			if err == nil || e.Code != want || e.Field != "beneficiaryAcount" || e.Kind != KindInvalid {
				t.Fatalf("CheckCLABE(%s) = %v, want code %s on beneficiaryAcount", tt.clabe, err, want)
			}
		})
	}
}

// TestCLABECheckDigit pins the weighted check digit itself, apart from the
// catalog: both known-valid numbers give their last digit.
func TestCLABECheckDigit(t *testing.T) {
	for _, c := range []string{"002010077777777771", "032180000118359719", "646180110400000007", "012180001234567899"} {
		if got := CLABECheckDigit(c[:17]); got != c[17] {
			t.Errorf("check digit of %s = %c, want %c", c[:17], got, c[17])
		}
	}
	if got := CLABECheckDigit("00201007777777777"); got != '1' {
		t.Errorf("check digit = %c, want 1", got)
	}
}

func TestLookupInstitution(t *testing.T) {
	for code, want := range map[string]string{"002": "BANAMEX", "40002": "BANAMEX", "90646": "STP", "646": "STP",
		"722": "MERCADO PAGO W", "903": "CoDi Valida"} {
		in, ok := LookupInstitution(code)
		if !ok || in.Name != want {
			t.Errorf("LookupInstitution(%s) = %v %v, want %s", code, in, ok, want)
		}
	}
	for _, code := range []string{"", "2", "02", "0002", "999", "12002", "abc", "40999"} {
		if in, ok := LookupInstitution(code); ok {
			t.Errorf("LookupInstitution(%q) = %v, want unknown", code, in)
		}
	}
	if n := len(institutions); n != 84 {
		t.Errorf("catalog has %d institutions, want 84", n)
	}
}

func TestPayoutTransitions(t *testing.T) {
	ok := [][2]PayoutStatus{{PayoutCreated, PayoutQueued}, {PayoutQueued, PayoutSent}, {PayoutSent, PayoutConfirmed},
		{PayoutSent, PayoutRejected}, {PayoutConfirmed, PayoutReturned}}
	for _, tr := range ok {
		if !tr[0].CanTransition(tr[1]) {
			t.Errorf("%s → %s refused", tr[0], tr[1])
		}
	}
	bad := [][2]PayoutStatus{{PayoutCreated, PayoutConfirmed}, {PayoutConfirmed, PayoutRejected}, {PayoutRejected, PayoutQueued},
		{PayoutReturned, PayoutConfirmed}, {PayoutConfirmed, PayoutSent}, {PayoutQueued, PayoutCreated}}
	for _, tr := range bad {
		if tr[0].CanTransition(tr[1]) {
			t.Errorf("%s → %s allowed", tr[0], tr[1])
		}
	}
	for _, s := range PayoutStatuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
}
