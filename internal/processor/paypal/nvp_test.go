package paypal

import (
	"testing"
)

func TestDecodeNVP(t *testing.T) {
	tests := []struct {
		body string
		ok   bool
	}{
		{"ACK=Success&TOKEN=EC-1", true},
		{"ACK=SuccessWithWarning&L_ERRORCODE0=11452", true},
		{"ACK=Failure&L_ERRORCODE0=10002&L_LONGMESSAGE0=Security+header+is+not+valid", true},
		{"TOKEN=EC-1", false},        // no ACK: not an answer to trust
		{"ACK=Maybe", false},         // an ACK PayPal never sends
		{"ACK=Success&x=%zz", false}, // not URL-encoded
		{"<html>Bad Gateway</html>", false},
	}
	for _, tt := range tests {
		if _, err := decodeNVP([]byte(tt.body)); (err == nil) != tt.ok {
			t.Errorf("decodeNVP(%q): err %v, want ok %v", tt.body, err, tt.ok)
		}
	}
}

// FuzzDecodeNVP feeds the one parser of PayPal's input with anything: it
// must never panic, and what it accepts always says whether the call
// succeeded.
func FuzzDecodeNVP(f *testing.F) {
	for _, s := range []string{"ACK=Success&TOKEN=EC-1", "ACK=Failure&L_ERRORCODE0=1", "", "%", "ACK=Success&ACK=Failure"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := decodeNVP(body)
		if err != nil {
			return
		}
		switch v.Get("ACK") {
		case "Success", "SuccessWithWarning", "Failure", "FailureWithWarning":
		default:
			t.Fatalf("accepted ACK %q", v.Get("ACK"))
		}
		_ = cleanMessage(v.Get("L_LONGMESSAGE0"))
		_, _ = parseAmount(v.Get("AMT"), "EUR")
	})
}

func TestAmounts(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		amt      string
	}{
		{1050, "EUR", "10.50"},
		{1, "USD", "0.01"},
		{1050, "JPY", "1050"},
		{105000, "HUF", "1050"},
	}
	for _, tt := range tests {
		got, err := formatAmount(tt.minor, tt.currency)
		if err != nil || got != tt.amt {
			t.Errorf("formatAmount(%d, %s) = %q, %v; want %q", tt.minor, tt.currency, got, err, tt.amt)
		}
	}
	for _, tt := range []struct {
		amt   string
		minor int64
	}{{"10.50", 1050}, {"1,000.00", 100000}, {"0.01", 1}} {
		if got, err := parseAmount(tt.amt, "EUR"); err != nil || got != tt.minor {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", tt.amt, got, err, tt.minor)
		}
	}
}

func TestCleanMessage(t *testing.T) {
	long := make([]rune, 300)
	for i := range long {
		long[i] = 'é'
	}
	if got := cleanMessage(string(long)); len([]rune(got)) != 255 {
		t.Errorf("a long message kept %d characters", len([]rune(got)))
	}
	if got := cleanMessage(" line\r\nbreak\x00 "); got != "line  break" {
		t.Errorf("got %q", got)
	}
}
