package payrest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// testPassword satisfies the password policy.
const testPassword = "Sup3r-secret!"

// tenant is one client with its admin user's bearer token and one application.
type tenant struct {
	ClientID   string
	AdminID    int64
	AdminLogin string
	Token      string // admin's access token
	AppID      int64
	AppKey     string
}

// env is the real stack (SQLite file, core, server with every middleware)
// behind an httptest server, with two tenants A and B.
type env struct {
	t     *testing.T
	URL   string
	Svc   *core.Service
	Clock *coretest.Clock
	A, B  tenant
	// PayPal is the paypal_express_checkout processor of the catalog; a
	// test may point its Endpoint at a fake NVP server before first use.
	PayPal *paypal.Processor
}

// testSecretKey seals gateway secrets in the tests (32 bytes).
var testSecretKey = []byte("0123456789abcdef0123456789abcdef")

// newEnv builds the stack, with the face's settings changed by opts. Bodies
// are capped at 64 KiB so oversize tests are cheap.
func newEnv(t *testing.T, opts ...func(*payrest.Config)) *env {
	t.Helper()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := coretest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The listener comes first, so that the core knows its public URL; the
	// server starts once the handler is built.
	var h http.Handler
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	publicURL := "http://" + ts.Listener.Addr().String()
	pp := paypal.New(core.ProcessorState(db, paypal.GatewayID))
	svc, err := core.New(ctx, db, log, clk.Now, core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)), pp),
		SecretKey:  testSecretKey, PublicURL: publicURL, Fees: core.FeeConfig{BPS: 250, Fixed: 30}})
	if err != nil {
		ts.Close()
		db.Close()
		t.Fatal(err)
	}
	cfg := server.Config{MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg.PayREST)
	}
	h = server.New(cfg, svc, log, server.NewMetrics())
	ts.Start()
	t.Cleanup(func() { ts.Close(); db.Close() })
	e := &env{t: t, URL: ts.URL, Svc: svc, Clock: clk, PayPal: pp}
	e.A = e.newTenant("Alpha Shop", "alpha@example.com")
	e.B = e.newTenant("Beta Shop", "beta@example.com")
	return e
}

// newTenant creates a client with its admin (through the operator path, as
// the command line does), signs the admin in and creates an application.
func (e *env) newTenant(name, email string) tenant {
	e.t.Helper()
	ctx := context.Background()
	c, u, err := e.Svc.CreateClient(ctx, core.ClientInput{Name: name, Email: email, Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	app, err := e.Svc.OperatorCreateApplication(ctx, c.ID, name+" web")
	if err != nil {
		e.t.Fatal(err)
	}
	return tenant{ClientID: c.ID, AdminID: u.ID, AdminLogin: u.Username, Token: e.MustLogin(u.Username, testPassword),
		AppID: app.ID, AppKey: app.APIKey}
}

// MustLogin signs in through the OAuth2 password grant and returns the access token.
func (e *env) MustLogin(username, password string) string {
	e.t.Helper()
	r := e.Form("/oauth/token", "grant_type=password&username="+username+"&password="+password)
	if r.Status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	return r.JSON["access_token"].(string)
}

// auth sets credentials on a request.
type auth func(*http.Request)

// Bearer authenticates as a user.
func Bearer(token string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Key authenticates as an application.
func Key(key string) auth { return func(r *http.Request) { r.Header.Set("X-Auth-Token", key) } }

// NoAuth sends no credentials.
func NoAuth(*http.Request) {}

// resp is a response as a test sees it.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // when the body is a JSON object
	List   []any          // when the body is a JSON array
}

// Do sends a request. body may be nil, a string (sent as is) or a value
// (sent as JSON); JSON bodies get Content-Type application/json.
func (e *env) Do(method, path string, a auth, body any) *resp {
	e.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	a(req)
	return e.send(req)
}

// Form posts a form-encoded body, as OAuth2 clients do.
func (e *env) Form(path, form string) *resp {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(form))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

func (e *env) send(req *http.Request) *resp {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{Status: res.StatusCode, Header: res.Header, Body: b}
	if len(b) > 0 && b[0] == '{' {
		_ = json.Unmarshal(b, &r.JSON)
	} else if len(b) > 0 && b[0] == '[' {
		_ = json.Unmarshal(b, &r.List)
	}
	return r
}

// Expect fails the test unless the response has the status.
func (r *resp) Expect(t *testing.T, status int) *resp {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

// For returns a view of e whose helpers report to t, so that a subtest's
// failures are reported (and stop) in the subtest.
func (e *env) For(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// Raw sends body with exactly the Content-Type given ("" sends none).
func (e *env) Raw(method, path string, a auth, ctype string, body []byte) *resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	a(req)
	return e.send(req)
}

// Header sends a request with no body and the headers given, and no other
// credentials; it is for malformed credentials.
func (e *env) Header(method, path string, headers map[string]string) *resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return e.send(req)
}

// ExpectError fails the test unless the response is a PayREST error with the
// status: {"code":status,"message":"…","errors":{…}} sent as JSON, whose
// errors name at least the fields given, each with a message.
func (r *resp) ExpectError(t *testing.T, status int, fields ...string) *resp {
	t.Helper()
	r.Expect(t, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want application/json; body %s", ct, r.Body)
	}
	if r.JSON == nil {
		t.Fatalf("body is not a JSON object: %s", r.Body)
	}
	if code, ok := r.JSON["code"].(float64); !ok || int(code) != status {
		t.Fatalf("code %v, want %d; body %s", r.JSON["code"], status, r.Body)
	}
	if msg, ok := r.JSON["message"].(string); !ok || msg == "" {
		t.Fatalf("no message; body %s", r.Body)
	}
	for k := range r.JSON {
		if k != "code" && k != "message" && k != "errors" {
			t.Fatalf("unexpected key %q in error body %s", k, r.Body)
		}
	}
	if len(fields) == 0 {
		return r
	}
	errs, ok := r.JSON["errors"].(map[string]any)
	if !ok {
		t.Fatalf("no errors object; body %s", r.Body)
	}
	for _, f := range fields {
		msgs, ok := errs[f].([]any)
		if !ok || len(msgs) == 0 {
			t.Fatalf("errors.%s missing; body %s", f, r.Body)
		}
		for _, m := range msgs {
			if s, ok := m.(string); !ok || s == "" {
				t.Fatalf("errors.%s holds %v, want messages; body %s", f, m, r.Body)
			}
		}
	}
	return r
}

// FieldErrors returns the messages of errors.field of a PayREST error.
func (r *resp) FieldErrors(field string) []string {
	errs, _ := r.JSON["errors"].(map[string]any)
	list, _ := errs[field].([]any)
	out := make([]string, 0, len(list))
	for _, m := range list {
		s, _ := m.(string)
		out = append(out, s)
	}
	return out
}

// ID returns the id field of a JSON object response.
func (r *resp) ID() int64 {
	f, _ := r.JSON["id"].(float64)
	return int64(f)
}

// IDs returns the id fields of a JSON array response, in order.
func (r *resp) IDs() []int64 {
	out := make([]int64, 0, len(r.List))
	for _, item := range r.List {
		m, _ := item.(map[string]any)
		f, _ := m["id"].(float64)
		out = append(out, int64(f))
	}
	return out
}

// appPath is the path of an application.
func appPath(id int64) string { return "/application/" + strconv.FormatInt(id, 10) }

// userPath is the path of a user of a client.
func userPath(clientID string, id int64) string {
	return "/client/" + clientID + "/user/" + strconv.FormatInt(id, 10)
}

// usersPath is the path of a client's user collection.
func usersPath(clientID string) string { return "/client/" + clientID + "/user" }

// appBody wraps application fields in the root key.
func appBody(fields map[string]any) map[string]any { return map[string]any{"application": fields} }

// userBody wraps user fields in the root key.
func userBody(fields map[string]any) map[string]any { return map[string]any{"user": fields} }

// MustCreateApp creates an application through the API and returns its id
// and its API key.
func (e *env) MustCreateApp(a auth, name string) (int64, string) {
	e.t.Helper()
	r := e.Do("POST", "/application", a, appBody(map[string]any{"name": name}))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create application %q: %d %s", name, r.Status, r.Body)
	}
	key, _ := r.JSON["apiKey"].(map[string]any)["key"].(string)
	if key == "" {
		e.t.Fatalf("create application %q: no key in %s", name, r.Body)
	}
	return r.ID(), key
}

// MustCreateUser creates a user of tenant tn (as its admin) with the test
// password and the roles, and returns its id. The email is derived from
// the username.
func (e *env) MustCreateUser(tn tenant, username string, roles ...string) int64 {
	e.t.Helper()
	if roles == nil {
		roles = []string{}
	}
	r := e.Do("POST", usersPath(tn.ClientID), Bearer(tn.Token), userBody(map[string]any{
		"username": username, "email": username + "@example.com", "password": testPassword, "roles": roles}))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create user %q: %d %s", username, r.Status, r.Body)
	}
	return r.ID()
}

// MustGet fetches path with a and returns the body, failing unless it is 200.
func (e *env) MustGet(path string, a auth) *resp {
	e.t.Helper()
	r := e.Do("GET", path, a, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r
}

// Header adds a request header to the credentials a.
func (a auth) Header(name, value string) auth {
	return func(r *http.Request) { a(r); r.Header.Set(name, value) }
}

// Idem adds an Idempotency-Key to the credentials a.
func (a auth) Idem(key string) auth { return a.Header("Idempotency-Key", key) }

// gatewaysPath is the path of an application's gateway configs.
func gatewaysPath(appID int64) string { return appPath(appID) + "/gateway" }

// gatewayPath is the path of one gateway config.
func gatewayPath(appID, id int64) string {
	return gatewaysPath(appID) + "/" + strconv.FormatInt(id, 10)
}

// paymentsPath is the path of an application's payments.
func paymentsPath(appID int64) string { return appPath(appID) + "/payment" }

// paymentPath is the path of one payment.
func paymentPath(appID, id int64) string {
	return paymentsPath(appID) + "/" + strconv.FormatInt(id, 10)
}

// gatewayBody, paymentBody, linkBody and refundBody wrap fields in their root key.
func gatewayBody(fields map[string]any) map[string]any {
	return map[string]any{"gatewayConfig": fields}
}
func paymentBody(fields map[string]any) map[string]any { return map[string]any{"payment": fields} }
func linkBody(fields map[string]any) map[string]any    { return map[string]any{"paymentLink": fields} }
func refundBody(fields map[string]any) map[string]any  { return map[string]any{"refund": fields} }

// PayPal API credentials of the tests' PayPal configs.
const (
	ppUser      = "merchant_api1.example.com"
	ppPassword  = "PP-PASSWORD-1234"
	ppSignature = "PP-SIGNATURE-abcdefghijklmnop"
)

// ppConfig is a complete paypal_express_checkout config in sandbox mode.
func ppConfig() map[string]any {
	return map[string]any{"sandbox": true, "username": ppUser, "password": ppPassword, "signature": ppSignature}
}

// MustCreateGatewayConfig creates a gateway config of application appID as
// tn's admin and returns the 201 response.
func (e *env) MustCreateGatewayConfig(tn tenant, appID int64, fields map[string]any) *resp {
	e.t.Helper()
	r := e.Do("POST", gatewaysPath(appID), Bearer(tn.Token), gatewayBody(fields))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create gateway config %v: %d %s", fields, r.Status, r.Body)
	}
	return r
}

// MustSandbox creates a sandbox config of application appID (config may be
// nil) and returns its id.
func (e *env) MustSandbox(tn tenant, appID int64, name string, config map[string]any) int64 {
	e.t.Helper()
	f := map[string]any{"gateway": "sandbox", "name": name}
	if config != nil {
		f["config"] = config
	}
	return e.MustCreateGatewayConfig(tn, appID, f).ID()
}

// MustPayPalConfig creates a PayPal config (sandbox mode) of application
// appID and returns its id.
func (e *env) MustPayPalConfig(tn tenant, appID int64, name string) int64 {
	e.t.Helper()
	return e.MustCreateGatewayConfig(tn, appID, map[string]any{"gateway": "paypal_express_checkout", "name": name,
		"config": ppConfig()}).ID()
}

// MustCreatePayment creates a payment of application appID with a and
// returns the 201 response. Without amount and currency it asks 1000 EUR
// minor units.
func (e *env) MustCreatePayment(a auth, appID int64, fields map[string]any) *resp {
	e.t.Helper()
	f := map[string]any{"amount": "1000", "currency": "EUR"}
	for k, v := range fields {
		f[k] = v
	}
	r := e.Do("POST", paymentsPath(appID), a, paymentBody(f))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create payment %v: %d %s", f, r.Status, r.Body)
	}
	return r
}

// Link returns the href of the link rel of a resource (a JSON object).
func Link(obj map[string]any, rel string) string {
	links, _ := obj["links"].([]any)
	for _, l := range links {
		m, _ := l.(map[string]any)
		if m["rel"] == rel {
			s, _ := m["href"].(string)
			return s
		}
	}
	return ""
}

// PageToken returns the hosted page token of a checkout URL (…/pay/{token}).
func PageToken(t *testing.T, url string) string {
	t.Helper()
	_, tok, ok := strings.Cut(url, "/pay/")
	if !ok || tok == "" || strings.Contains(tok, "/") {
		t.Fatalf("not a checkout URL: %q", url)
	}
	return tok
}

// testCard is a card the sandbox answers for by its number.
func testCard(number string) pasarela.CardInput {
	return pasarela.CardInput{Name: "T", Number: number, ExpMonth: 12, ExpYear: 2034, CVC: "123"}
}

// MustPay pays the hosted page of token with card number through the
// core's buyer API, as the checkout page would, and returns the page after.
func (e *env) MustPay(token, number string) *core.Checkout {
	e.t.Helper()
	c, err := e.Svc.PayWithCard(context.Background(), token, testCard(number))
	if err != nil {
		e.t.Fatalf("pay %s with %s: %v", token, number, err)
	}
	return c
}

// MustPayPayment pays payment r (a create or detail response) on its own
// page with card number and returns the payment as PayREST shows it after.
func (e *env) MustPayPayment(a auth, appID int64, r *resp, number string) *resp {
	e.t.Helper()
	e.MustPay(PageToken(e.t, Link(r.JSON, "payment")), number)
	return e.MustGet(paymentPath(appID, r.ID()), a)
}
