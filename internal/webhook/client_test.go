package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url          string
		allowPrivate bool
		want         string // part of the error; "" when accepted
	}{
		{"https://hooks.example.com/pasarela", false, ""},
		{"http://hooks.example.com:8080/p?x=1", false, ""},
		{"https://93.184.216.34/hook", false, ""},
		{"ftp://hooks.example.com/", false, "http or https"},
		{"/relative/path", false, "http or https"},
		{"hooks.example.com/x", false, "http or https"},
		{"https://user:pass@hooks.example.com/", false, "credentials"},
		{"https://hooks.example.com/#frag", false, "fragment"},
		{"http://127.0.0.1:9000/", false, "private"},
		{"http://10.1.2.3/", false, "private"},
		{"http://192.168.1.1/", false, "private"},
		{"http://172.16.0.1/", false, "private"},
		{"http://169.254.169.254/latest/meta-data", false, "private"},
		{"http://[::1]:8080/", false, "private"},
		{"http://[fd00::1]/", false, "private"},
		{"http://[::ffff:127.0.0.1]/", false, "private"},
		{"http://0.0.0.0/", false, "private"},
		{"http://100.64.0.1/", false, "private"},
		{"http://localhost:8080/", false, "private"},
		{"http://api.localhost/", false, "private"},
		{"http://127.0.0.1:9000/", true, ""},
		{"http://localhost:8080/", true, ""},
		{"https://" + strings.Repeat("a", MaxTargetLength) + ".com/", false, "at most"},
		{"", false, "empty"},
	}
	for _, tt := range tests {
		err := CheckTarget(tt.url, tt.allowPrivate)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckTarget(%q, %v) = %v, want accepted", tt.url, tt.allowPrivate, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckTarget(%q, %v) = %v, want an error about %q", tt.url, tt.allowPrivate, err, tt.want)
		}
	}
}

func TestForbidden(t *testing.T) {
	for _, s := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fe80::1", "192.168.0.10", "::ffff:10.0.0.1",
		"0.0.0.0", "::", "224.0.0.1", "100.100.100.100", "198.18.0.1", "255.255.255.255", "64:ff9b::a00:1"} {
		if !Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("Forbidden(%s) = false", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"} {
		if Forbidden(netip.MustParseAddr(s)) {
			t.Errorf("Forbidden(%s) = true", s)
		}
	}
}

// TestClientRefusesPrivateAtConnect checks the address the client actually
// connects to: literal addresses, and a name that resolves to loopback
// (what a DNS rebinding attack does after the check at creation). The
// receiver must never see a request.
func TestClientRefusesPrivateAtConnect(t *testing.T) {
	hit := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	c := NewClient(ClientOptions{Timeout: 5 * time.Second})
	for _, target := range []string{
		srv.URL,                             // 127.0.0.1
		"http://localhost:" + port + "/",    // a name resolving to loopback, checked when connecting
		"http://10.255.255.1:" + port,       // 10/8
		"http://169.254.169.254/latest",     // link-local (cloud metadata)
		"http://[::1]:" + port + "/",        // IPv6 loopback
		"http://[::ffff:127.0.0.1]:" + port, // IPv4-mapped loopback
	} {
		res := c.Send(context.Background(), Request{Method: "POST", URL: target, Body: []byte(`{}`)})
		if !errors.Is(res.Err, ErrForbiddenAddress) {
			t.Errorf("Send(%s) = status %d, err %v; want a refused address", target, res.Status, res.Err)
		}
	}
	select {
	case <-hit:
		t.Fatal("a refused target received a request")
	default:
	}
	// Allowed, the same server is reached.
	c = NewClient(ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	if res := c.Send(context.Background(), Request{Method: "POST", URL: "http://localhost:" + port + "/", Body: []byte(`{}`)}); !res.OK() {
		t.Fatalf("Send with private addresses allowed = %+v", res)
	}
}

func TestClientAnswers(t *testing.T) {
	release := make(chan struct{})
	var got http.Header
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			got = r.Header.Clone()
			b, _ := io.ReadAll(r.Body)
			gotBody = r.Method + " " + string(b)
			w.Write([]byte(strings.Repeat("x", 5000)))
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/gone":
			w.WriteHeader(http.StatusGone)
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 200 * time.Millisecond})

	res := c.Send(context.Background(), Request{Method: "PUT", URL: srv.URL + "/ok",
		Headers: map[string]string{HeaderID: "evt_1"}, Body: []byte(`{"a":1}`)})
	if !res.OK() || res.Status != 200 || len(res.Response) != snippetSize {
		t.Fatalf("ok: status %d, err %v, response %d bytes", res.Status, res.Err, len(res.Response))
	}
	if gotBody != `PUT {"a":1}` || got.Get("webhook-id") != "evt_1" || got.Get("Content-Type") != "application/json" {
		t.Fatalf("receiver got %q with headers %v", gotBody, got)
	}

	res = c.Send(context.Background(), Request{Method: "POST", URL: srv.URL + "/redirect", Body: []byte(`{}`)})
	if res.OK() || res.Status != http.StatusFound || res.Err == nil || !strings.Contains(res.Err.Error(), "not followed") {
		t.Fatalf("redirect: %+v, want a failed attempt that did not follow", res)
	}

	res = c.Send(context.Background(), Request{Method: "POST", URL: srv.URL + "/slow", Body: []byte(`{}`)})
	if res.OK() || res.Status != 0 || res.Err == nil {
		t.Fatalf("slow receiver: %+v, want a timeout", res)
	}

	res = c.Send(context.Background(), Request{Method: "POST", URL: srv.URL + "/gone", Body: []byte(`{}`)})
	if res.OK() || res.Status != http.StatusGone {
		t.Fatalf("gone: %+v", res)
	}
}

// TestRefusalNamesNoAddress: a refused target's error, which the merchant
// reads in the delivery log, says why without the address a name resolved
// to (it would map internal names to internal addresses).
func TestRefusalNamesNoAddress(t *testing.T) {
	c := NewClient(ClientOptions{})
	res := c.Send(context.Background(), Request{Method: "POST", URL: "http://localhost:9/hook", Body: []byte("{}")})
	if res.Err == nil || !errors.Is(res.Err, ErrForbiddenAddress) || strings.Contains(res.Err.Error(), "127.0.0.1") ||
		strings.Contains(res.Err.Error(), "::1") {
		t.Fatalf("refusal: %v", res.Err)
	}
}

// A bare request carries no header of the gateway's: a receiver that tells
// a server-to-server call from a browser by its missing User-Agent must see
// none, and nothing that names the gateway either.
func TestClientBareRequest(t *testing.T) {
	got := make(chan *http.Request, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r }))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	for _, bare := range []bool{true, false} {
		res := c.Send(context.Background(), Request{Method: "GET", URL: srv.URL + "/s2s?a=SHOP&b=x*y_z", Bare: bare,
			Headers: map[string]string{"Webhook-Id": "evt_1"}})
		if !res.OK() {
			t.Fatalf("bare=%v: %+v", bare, res)
		}
		r := <-got
		_, hasUA := r.Header["User-Agent"]
		switch {
		case bare && (hasUA || r.Header.Get("Content-Type") != "" || r.Header.Get("Webhook-Id") != ""):
			t.Errorf("bare request headers: %v", r.Header)
		case !bare && r.Header.Get("User-Agent") == "":
			t.Errorf("a signed delivery lost its User-Agent: %v", r.Header)
		}
		if r.Method != "GET" || r.URL.Query().Get("a") != "SHOP" || r.URL.Query().Get("b") != "x*y_z" {
			t.Errorf("bare=%v: %s %s", bare, r.Method, r.URL)
		}
	}
}
