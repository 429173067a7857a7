package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// MaxTargetLength bounds a target URL.
const MaxTargetLength = 2048

// ErrForbiddenAddress is returned when a target resolves to an address the
// gateway refuses to call (private, loopback, link-local, …).
var ErrForbiddenAddress = errors.New("address not allowed for webhooks")

// blocked are the networks a webhook may not reach unless private targets
// are allowed: besides what netip classifies (loopback, private, link-local,
// multicast, unspecified), the shared CGNAT space, IETF protocol
// assignments, benchmarking, reserved and broadcast ranges, and IPv6
// translation prefixes that embed IPv4 addresses.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// Forbidden reports whether ip is one a webhook must not reach by default.
func Forbidden(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// CheckTarget checks a target URL as a merchant gives it: absolute http or
// https, a host, no credentials (they would be shown in every listing; the
// signature is how a receiver authenticates the gateway), no fragment, and,
// unless allowPrivate, no literal address or localhost name that Forbidden
// refuses. Names are checked again at connect time, when they resolve.
// The message of the error it returns is safe to show.
func CheckTarget(raw string, allowPrivate bool) error {
	if raw == "" {
		return errors.New("must not be empty")
	}
	if len(raw) > MaxTargetLength || !utf8.ValidString(raw) {
		return fmt.Errorf("must be a valid URL of at most %d characters", MaxTargetLength)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not carry credentials; receivers verify the signature headers instead")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("must name a host")
	}
	if allowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && Forbidden(ip) {
		return errors.New("must not point to a private, loopback or link-local address")
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return errors.New("must not point to a private, loopback or link-local address")
	}
	return nil
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// AllowPrivate lets the client reach private and loopback addresses.
	AllowPrivate bool
	// Timeout bounds one attempt, from dialing to the end of the answer
	// (default 10 s).
	Timeout time.Duration
	// MaxConnsPerHost bounds the connections to one host (default 8).
	MaxConnsPerHost int
}

// Client sends deliveries. It never follows redirects, never uses a proxy
// from the environment (a proxy would connect on its behalf, past the
// address check), and checks every address it connects to after name
// resolution, so that a name re-pointed at a private address between the
// check at creation and the call (DNS rebinding) is still refused.
type Client struct {
	hc      *http.Client
	timeout time.Duration
}

// OutboundTransport is the transport of the gateway's calls to addresses
// a merchant or an operator configured (webhooks, rate sources): no proxy
// from the environment, which would connect on the gateway's behalf past
// the check, and unless allowPrivate no connection to a private, loopback
// or link-local address, checked on the address dialed, after name
// resolution, so that no DNS answer gets round it.
func OutboundTransport(timeout time.Duration, allowPrivate bool) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || Forbidden(ap.Addr()) {
				return ErrForbiddenAddress
			}
			return nil
		}
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// NewClient returns a client.
func NewClient(o ClientOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxConnsPerHost <= 0 {
		o.MaxConnsPerHost = 8
	}
	tr := OutboundTransport(o.Timeout, o.AllowPrivate)
	tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost = o.MaxConnsPerHost, o.MaxConnsPerHost
	return &Client{timeout: o.Timeout, hc: &http.Client{Transport: tr,
		// A redirect is the receiver's answer, recorded as a failed
		// attempt: following it would send the signed body somewhere the
		// merchant did not register.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Request is one attempt to send.
type Request struct {
	Method  string // POST, PUT or PATCH; GET for a bare request
	URL     string
	Headers map[string]string
	Body    []byte
	// Bare sends the request with no header of the gateway's: no
	// Content-Type, no signature and not even a User-Agent. Formats that
	// carry their proof in the URL use it (Gestpay's server-to-server call,
	// which merchant code tells from a browser by its missing User-Agent).
	Bare bool
}

// Result is what one attempt came to.
type Result struct {
	Status   int // 0 when no answer came
	Latency  time.Duration
	Response string // the first bytes of the answer's body
	Err      error  // why no answer came (network, timeout, refused address)
}

// OK reports whether the receiver took the delivery (2xx).
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// snippetSize is how much of an answer is kept in the delivery log; at most
// drainSize is read so that the connection can be reused.
const (
	snippetSize = 1024
	drainSize   = 64 << 10
)

// Send makes one attempt: the body with its headers, or a bare request.
func (c *Client) Send(ctx context.Context, r Request) Result {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: err}
	}
	if r.Bare {
		// An empty value, unlike no value, keeps net/http from adding its
		// own User-Agent.
		req.Header.Set("User-Agent", "")
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "pasarela-webhooks/1")
		for k, v := range r.Headers {
			req.Header.Set(k, v)
		}
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: cleanError(err)}
	}
	defer resp.Body.Close()
	snippet := make([]byte, snippetSize)
	n, _ := io.ReadFull(resp.Body, snippet)
	_, _ = io.CopyN(io.Discard, resp.Body, drainSize)
	res := Result{Status: resp.StatusCode, Latency: time.Since(start), Response: strings.ToValidUTF8(string(snippet[:n]), "")}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Err = fmt.Errorf("redirect to %q not followed", resp.Header.Get("Location"))
	}
	return res
}

// cleanError drops the URL net/http wraps errors in: the log already names
// the target, and the reason reads better alone.
func cleanError(err error) error {
	if errors.Is(err, ErrForbiddenAddress) {
		// Without the address: the delivery log is the merchant's to
		// read, and would otherwise map internal names to internal IPs.
		return ErrForbiddenAddress
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// CloseIdle closes the client's idle connections.
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }
