package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
)

// stack is the real gateway (database, core with the sandbox processor,
// server with every middleware) behind an httptest server, with two
// clients: A, whose users have each role, and B, another client whose admin
// must see nothing of A.
type stack struct {
	t     *testing.T
	URL   string
	Svc   *core.Service
	DB    *coretest.DB
	Clock *coretest.Clock
	A, B  *coretest.Tenant
	// Users of A by role, all with coretest.Password.
	Manager, Terminal, Viewer *pasarela.User
	Config                    int64 // A's sandbox gateway config
}

func newStack(t *testing.T, engine string) *stack {
	t.Helper()
	return newStackAt(t, engine, time.Now().UTC().Truncate(time.Second), nil)
}

// newStackAt is newStack whose clock starts at start (the past, for a test
// that makes payments over days up to now), with the core's configuration
// extended by configure when it is not nil (see withSections).
func newStackAt(t *testing.T, engine string, start time.Time, configure func(*core.Config, *coretest.DB, *coretest.Clock)) *stack {
	t.Helper()
	ctx := context.Background()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(start)
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := core.Config{PublicURL: base, RoutingSeed: 1, Webhooks: core.WebhookConfig{AllowPrivate: true},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))}
	if configure != nil {
		configure(&cfg, db, clk)
	}
	svc, err := core.New(ctx, db, log, clk.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = server.New(server.Config{Renderers: server.Renderers(base, nil)}, svc, log, server.NewMetrics())
	ts.Start()
	t.Cleanup(ts.Close)
	s := &stack{t: t, URL: base, Svc: svc, DB: db, Clock: clk}
	s.A = coretest.MustSandboxTenant(t, svc, "Tienda Azul")
	s.B = coretest.MustSandboxTenant(t, svc, "Otra Tienda")
	actx := s.A.AdminCtx(ctx)
	for _, u := range []struct {
		role pasarela.Role
		dst  **pasarela.User
	}{{pasarela.RoleManager, &s.Manager}, {pasarela.RoleTerminal, &s.Terminal}, {pasarela.RoleViewer, &s.Viewer}} {
		name := string(u.role)
		if *u.dst, err = svc.CreateUser(actx, s.A.Client.ID, core.UserInput{Username: pasarela.Set(name + "-a"),
			Email: pasarela.Set(name + "@azul.example"), Password: pasarela.Set(coretest.Password),
			Roles: pasarela.Set([]pasarela.Role{u.role})}); err != nil {
			t.Fatal(err)
		}
	}
	cfgs, _, err := svc.ListGatewayConfigs(actx, s.A.App.ID, "", pasarela.ListOptions{Limit: 10})
	if err != nil || len(cfgs) == 0 {
		t.Fatalf("A's configs: %v %v", cfgs, err)
	}
	s.Config = cfgs[0].ID
	return s
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that tests see each answer.
type browser struct {
	t    *testing.T
	s    *stack
	http *http.Client
}

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer: its status, location and body.
type page struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &page{Status: res.StatusCode, Location: res.Header.Get("Location"), Body: string(body), Header: res.Header}
}

// get fetches a path of the gateway.
func (b *browser) get(path string) *page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.s.URL+path, nil)
	return b.do(req)
}

// post sends a form to a path, with extra headers given as name, value
// pairs.
func (b *browser) post(path string, form url.Values, headers ...string) *page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the form token of a page.
func (p *page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form token on the page (%d):\n%s", p.Status, p.Body)
	}
	return m[1]
}

// signIn signs in with login and password and returns the answer to the
// form.
func (b *browser) signIn(login, password string) *page {
	b.t.Helper()
	form := b.get("/dashboard/signin")
	return b.post("/dashboard/signin", url.Values{"csrf": {form.csrf(b.t)}, "login": {login}, "password": {password}})
}

// mustSignIn signs in and fails the test unless the dashboard's home
// follows.
func (b *browser) mustSignIn(login string) *browser {
	b.t.Helper()
	if p := b.signIn(login, coretest.Password); p.Status != http.StatusSeeOther || p.Location != "/dashboard/" {
		b.t.Fatalf("sign in as %s: %d %q\n%s", login, p.Status, p.Location, p.Body)
	}
	return b
}

// token is the form token of a signed-in page.
func (b *browser) token() string {
	b.t.Helper()
	return b.get("/dashboard/account").csrf(b.t)
}

// totpCode is the code an authenticator shows now for secret.
func (s *stack) totpCode(secret string) string {
	s.t.Helper()
	c, err := totp.GenerateCode(secret, s.Clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// wantStatus fails unless p has the status.
func wantStatus(t *testing.T, what string, p *page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d (location %q)\n%s", what, p.Status, status, p.Location, p.Body)
	}
}

// mustPayment creates a payment of A's application with its key.
func (s *stack) mustPayment(in core.PaymentInput) *pasarela.Payment {
	s.t.Helper()
	if in.Amount == 0 {
		in.Amount = 1050
	}
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	p, _, err := s.Svc.CreatePayment(s.A.AppCtx(context.Background()), s.A.App.ID, in, nil)
	if err != nil {
		s.t.Fatalf("create payment: %v", err)
	}
	return p
}

// mustPaid creates a payment and pays it on its page with a test card.
func (s *stack) mustPaid(in core.PaymentInput, number string) *pasarela.Payment {
	s.t.Helper()
	p := s.mustPayment(in)
	c, err := s.Svc.PayWithCard(context.Background(), p.CheckoutToken, pasarela.CardInput{Name: "Ada Lovelace",
		Number: number, ExpMonth: 12, ExpYear: time.Now().Year() + 5, CVC: "123"})
	if err != nil {
		s.t.Fatalf("pay %d: %v", p.ID, err)
	}
	return c.Payment
}
