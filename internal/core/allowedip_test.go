package core

import (
	"net/netip"
	"testing"
)

// FuzzAllowedIP drives the allow-list entry parser with arbitrary text: an
// entry it accepts is a valid, masked prefix that reads back as itself, so
// what is stored is what is compared.
func FuzzAllowedIP(f *testing.F) {
	for _, seed := range []string{"127.0.0.1", "10.1.2.3/8", "::1", "2001:db8::1/32", "::ffff:192.0.2.7",
		"::ffff:10.0.0.0/104", "::ffff:0:0/95", "fe80::1%eth0", "fe80::1%eth0/64", "0.0.0.0/0", "::/0", "10.0.0.0/33",
		"1.2.3", "", "/", "1.2.3.4/", "1.2.3.4/-1", " 1.2.3.4", "01.2.3.4"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parseAllowedIP(s)
		if !ok {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" {
			t.Fatalf("%q gave %v, not a valid masked prefix", s, p)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			t.Fatalf("%q gave %v, an IPv4 prefix written as IPv6", s, p)
		}
		back, err := netip.ParsePrefix(p.String())
		if err != nil || back != p {
			t.Fatalf("%q gave %v, which reads back as %v (%v)", s, p, back, err)
		}
		if again, ok := parseAllowedIP(p.String()); !ok || again != p {
			t.Fatalf("%q gave %v, which parses again as %v", s, p, again)
		}
	})
}
