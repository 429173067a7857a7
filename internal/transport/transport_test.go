package transport

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestResolve(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote, xff, proto string
		tls                      bool
		wantIP                   string
		wantSecure               bool
	}{
		{"direct", "203.0.113.7:5555", "", "", false, "203.0.113.7", false},
		{"direct TLS", "203.0.113.7:5555", "", "", true, "203.0.113.7", true},
		{"untrusted peer cannot forge", "203.0.113.7:5555", "1.2.3.4", "https", false, "203.0.113.7", false},
		{"trusted proxy", "127.0.0.1:4000", "198.51.100.2", "https", false, "198.51.100.2", true},
		{"chain of proxies", "10.1.1.1:4000", "198.51.100.2, 10.2.2.2", "http", false, "198.51.100.2", false},
		{"spoofed left-most hop ignored", "10.1.1.1:4000", "6.6.6.6, 198.51.100.2", "", false, "198.51.100.2", false},
		// The proxy's own entry unreadable: the client is unknown, not the
		// proxy (which an allow-list may trust).
		{"garbage from the proxy: unknown client", "127.0.0.1:4000", "nonsense", "", false, "", false},
		{"garbage further left stops the walk", "10.1.1.1:4000", "nonsense, 10.2.2.2", "", false, "10.2.2.2", false},
		{"a hop with its port", "127.0.0.1:4000", "198.51.100.2:5678", "", false, "198.51.100.2", false},
		{"appended proto: the proxy's value counts", "127.0.0.1:4000", "", "https, http", false, "127.0.0.1", false},
		{"appended proto over https", "127.0.0.1:4000", "", "http, https", false, "127.0.0.1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			ip, secure := proxies.Resolve(r)
			if ip != tc.wantIP || secure != tc.wantSecure {
				t.Fatalf("got %s secure=%v, want %s secure=%v", ip, secure, tc.wantIP, tc.wantSecure)
			}
		})
	}
	if _, err := ParseProxies("10.0.0.0/33"); err == nil {
		t.Fatal("a bad prefix was accepted")
	}
}

func TestCleanRequestID(t *testing.T) {
	for in, want := range map[string]string{
		"abc-123_x.y":            "abc-123_x.y",
		"":                       "",
		"has space":              "",
		"new\nline":              "",
		string(make([]byte, 65)): "",
	} {
		if got := CleanRequestID(in); got != want {
			t.Errorf("CleanRequestID(%q) = %q, want %q", in, got, want)
		}
	}
}
