package pasarela

import "testing"

func TestParseMajor(t *testing.T) {
	eur, _ := LookupCurrency("eur")
	jpy, _ := LookupCurrency("JPY")
	for _, tc := range []struct {
		in   string
		c    Currency
		want int64
		code string
	}{
		{"10.50", eur, 1050, ""}, {"10.5", eur, 1050, ""}, {"0.01", eur, 1, ""}, {"7", eur, 700, ""},
		{"10.505", eur, 0, "scale"}, {"1.5", jpy, 0, "scale"}, {"15", jpy, 15, ""},
		{"0", eur, 0, "amount"}, {"-1", eur, 0, "amount"}, {"1e3", eur, 0, "amount"}, {"", eur, 0, "required"},
		{"abc", eur, 0, "amount"}, {"99999999999999999999", eur, 0, "amount"},
	} {
		got, err := ParseMajor("amount", tc.in, tc.c)
		if tc.code == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseMajor(%q %s) = %d, %v; want %d", tc.in, tc.c.Code, got, err, tc.want)
		}
		if tc.code != "" && (err == nil || AsError(err).Code != tc.code) {
			t.Errorf("ParseMajor(%q %s) = %d, %v; want error %s", tc.in, tc.c.Code, got, err, tc.code)
		}
	}
}

func TestParseMinor(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "1": 1, "007": 7} {
		if got, err := ParseMinor("amount", in); err != nil || got != want {
			t.Errorf("ParseMinor(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "-5", "1.5", " 1", "1e2", "+3", "99999999999999999999"} {
		if _, err := ParseMinor("amount", in); err == nil || ErrorKind(err) != KindInvalid {
			t.Errorf("ParseMinor(%q) accepted", in)
		}
	}
}

func TestFormatMajor(t *testing.T) {
	eur, _ := LookupCurrency("EUR")
	kwd, _ := LookupCurrency("KWD")
	clp, _ := LookupCurrency("CLP")
	for _, tc := range []struct {
		n    int64
		c    Currency
		want string
	}{{1050, eur, "10.50"}, {1, eur, "0.01"}, {1234, kwd, "1.234"}, {500, clp, "500"}} {
		if got := FormatMajor(tc.n, tc.c); got != tc.want {
			t.Errorf("FormatMajor(%d %s) = %s, want %s", tc.n, tc.c.Code, got, tc.want)
		}
	}
}

func FuzzParseMajor(f *testing.F) {
	for _, s := range []string{"10.50", "0.001", "-1", "1e5", "99999999999999999999.99", ".5", "5."} {
		f.Add(s)
	}
	eur, _ := LookupCurrency("EUR")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMajor("amount", s, eur)
		if err != nil {
			if ErrorKind(err) != KindInvalid {
				t.Fatalf("%q: error of kind %v", s, ErrorKind(err))
			}
			return
		}
		if n <= 0 || n > maxMinor {
			t.Fatalf("%q parsed to %d", s, n)
		}
		// Formatting and parsing again gives the same amount: nothing was rounded.
		if m, err := ParseMajor("amount", FormatMajor(n, eur), eur); err != nil || m != n {
			t.Fatalf("%q → %d → %q → %d, %v", s, n, FormatMajor(n, eur), m, err)
		}
	})
}
