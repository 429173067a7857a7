package sekurepay_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/transport"
)

// env is the real stack (a database of one engine, the core with the
// sandbox processor, the server with every middleware) behind an HTTPS test
// server, with two tenants A and B whose applications have a sandbox card
// config.
type env struct {
	t      *testing.T
	URL    string // https://…
	Svc    *core.Service
	DB     *coretest.DB
	Clock  *coretest.Clock
	Client *http.Client // trusts the test server's certificate
	A, B   *coretest.Tenant
	h      http.Handler
	log    *slog.Logger
}

// newEnv builds the stack on engine.
func newEnv(t *testing.T, engine string) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewUnstartedServer(nil)
	publicURL := "https://" + ts.Listener.Addr().String()
	svc, err := core.New(context.Background(), db, log, clk.Now, core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID))),
		PublicURL:  publicURL, RoutingSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, URL: publicURL, Svc: svc, DB: db, Clock: clk, log: log}
	e.h = server.New(server.Config{MaxBodyBytes: 256 << 10}, svc, log, server.NewMetrics())
	ts.Config.Handler = e.h
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e.Client = ts.Client()
	e.A = coretest.MustSandboxTenant(t, svc, "Alpha Shop")
	e.B = coretest.MustSandboxTenant(t, svc, "Beta Shop")
	return e
}

// plainServer serves the same handler over plain HTTP, with the trusted
// proxies given, and returns its URL.
func (e *env) plainServer(proxies string) string {
	e.t.Helper()
	ps, err := transport.ParseProxies(proxies)
	if err != nil {
		e.t.Fatal(err)
	}
	h := server.New(server.Config{TrustedProxies: ps}, e.Svc, e.log, server.NewMetrics())
	ts := httptest.NewServer(h)
	e.t.Cleanup(ts.Close)
	return ts.URL
}

// basic is an Authorization header value of HTTP Basic.
func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// resp is an answer as a test sees it.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Err returns the error object of an error answer.
func (r *resp) Err(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.JSON["error"].(map[string]any)
	if !ok {
		t.Fatalf("not an error body: %d %s", r.Status, r.Body)
	}
	return e
}

// do sends a request to base+path with the Authorization header given
// ("" for none). body is sent as is when a string, as JSON otherwise.
func (e *env) do(client *http.Client, base, method, path, authz string, body any, header ...string) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{Status: res.StatusCode, Header: res.Header, Body: b}
	_ = json.Unmarshal(b, &r.JSON)
	return r
}

// Do sends a SekurePay request over HTTPS as key.
func (e *env) Do(method, path, key string, body any, header ...string) *resp {
	e.t.Helper()
	return e.do(e.Client, e.URL, method, "/sekurepay/api/v1"+path, basic(key, ""), body, header...)
}

// PayREST sends a PayREST request as an application key.
func (e *env) PayREST(method, path, key string) *resp {
	e.t.Helper()
	return e.do(e.Client, e.URL, method, path, "", nil, "X-Auth-Token", key)
}

// order is a valid order (the seed's, with its total corrected) under id.
func order(id string) map[string]any {
	return map[string]any{
		"id": id, "sub_total_cents": 10000, "shipping_amount_cents": 200, "total_cents": 10700, "currency": "USD",
		"items": []any{map[string]any{"description": "51 inch TV", "amount_cents": "10000"}},
		"taxes": []any{map[string]any{"description": "GST", "amount_cents": "500"}},
	}
}

// MustOrder creates an order and fails unless it is created.
func (e *env) MustOrder(key string, body any) map[string]any {
	e.t.Helper()
	r := e.Do("POST", "/orders", key, body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create order: %d %s", r.Status, r.Body)
	}
	return r.JSON
}

// buyer is a browser without JavaScript over HTTPS: cookies kept,
// redirects not followed.
func (e *env) buyer() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := *e.Client
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Pay opens a payment_url as a buyer and submits the card form with
// number, as a browser would; it returns the answer to the POST.
func (e *env) Pay(paymentURL, number string) *http.Response {
	e.t.Helper()
	b := e.buyer()
	res, err := b.Get(paymentURL)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", paymentURL, res.StatusCode, page)
	}
	m := csrfPattern.FindSubmatch(page)
	if m == nil {
		e.t.Fatalf("no card form at %s:\n%s", paymentURL, page)
	}
	form := url.Values{"csrf": {string(m[1])}, "name": {"Ada Lovelace"}, "number": {number}, "exp": {"12/34"}, "cvc": {"123"}}
	res, err = b.PostForm(paymentURL, form)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
