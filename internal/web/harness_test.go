package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	chainsandbox "github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

const testPassword = "Sup3r-secret!"

// Fee settings of the stack; fee(amount) is what the platform keeps.
const (
	feeBPS   = 250
	feeFixed = 30
)

func fee(amount int64) int64 { return min((amount*feeBPS+5000)/10000+feeFixed, amount) }

// clock is the core's clock: real time plus an offset the test can move, so
// that links expire on demand while card expiry (checked by the sandbox
// against real time) stays meaningful.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }

// Advance moves the clock forward.
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.offset += d; c.mu.Unlock() }

// syncBuffer is a log sink tests read after the fact.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// merchant is the merchant's site: it records the requests that reach its
// return page.
type merchant struct {
	*httptest.Server
	mu     sync.Mutex
	visits []*url.URL
	seen   chan *url.URL
}

func newMerchant(t *testing.T) *merchant {
	m := &merchant{seen: make(chan *url.URL, 16)}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := *r.URL
		m.mu.Lock()
		m.visits = append(m.visits, &u)
		m.mu.Unlock()
		select {
		case m.seen <- &u:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>Shop</title><h1 id="thanks">Thanks for your order</h1>`)
	}))
	t.Cleanup(m.Close)
	return m
}

// Visits returns the requests the merchant's site received.
func (m *merchant) Visits() []*url.URL {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*url.URL(nil), m.visits...)
}

// stack is the real gateway (SQLite file, core with the sandbox and PayPal
// sandbox processors, server with every middleware) behind an httptest
// server, with one merchant whose application has a sandbox card config
// and a PayPal config in sandbox mode.
type stack struct {
	t        *testing.T
	URL      string
	Svc      *core.Service
	DB       store.DB
	Clock    *clock
	Logs     *syncBuffer
	Merchant *merchant

	posts map[string]int // POST requests per path
	mu    sync.Mutex

	ctx          context.Context // the merchant admin's principal
	AppCtx       context.Context // the application's key
	AppID        int64
	CardConfig   int64
	PayPalConfig int64
	CryptoConfig int64 // with stackOptions.Crypto
}

func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, stackOptions{})
}

// stackOptions vary the stack: its database engine ("" is SQLite), and
// crypto deposits (the crypto gateway watching the sandbox chain, priced by
// the sandbox rate table, and a crypto config on the application holding
// BIP84's test key).
type stackOptions struct {
	Engine string
	Crypto bool
}

// bip84Zpub is BIP84's published test vector: account 0 of the mnemonic
// "abandon … about"; bip84Addr0 its first receive address.
const (
	bip84Zpub  = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	bip84Addr0 = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
)

func newStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	ctx := context.Background()
	var db store.DB
	closeDB := func() {}
	if o.Engine == "" || o.Engine == "sqlite" {
		sdb, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := sdb.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db, closeDB = sdb, func() { sdb.Close() }
	} else {
		// Opened, migrated and closed (after the server, whose cleanup
		// runs first) by coretest.
		db = coretest.MustOpen(t, o.Engine).DB
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	clk := &clock{}
	procs := []processor.Processor{sandbox.New(core.ProcessorState(db, sandbox.GatewayID)),
		paypal.New(core.ProcessorState(db, paypal.GatewayID))}
	cfg := core.Config{PublicURL: base, Fees: core.FeeConfig{BPS: feeBPS, Fixed: feeFixed}, RoutingSeed: 1}
	if o.Crypto {
		ch := chainsandbox.New(db, clk.Now)
		procs = append(procs, crypto.New())
		cfg.SecretKey = []byte("0123456789abcdef0123456789abcdef")
		cfg.Crypto = core.CryptoConfig{Chains: []chain.Watcher{ch}, Sandbox: ch}
		cfg.CryptoRates = core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(clk.Now)}}
	}
	cfg.Processors = processor.NewRegistry(procs...)
	svc, err := core.New(ctx, db, log, clk.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, URL: base, Svc: svc, DB: db, Clock: clk, Logs: logs, Merchant: newMerchant(t), posts: map[string]int{}}
	h := server.New(server.Config{}, svc, log, server.NewMetrics())
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			s.mu.Lock()
			s.posts[r.URL.Path]++
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
	ts.Start()
	t.Cleanup(func() { ts.Close(); closeDB() })

	c, u, err := svc.CreateClient(ctx, core.ClientInput{Name: "Tienda Azul", Email: "owner@azul.example", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	app, err := svc.OperatorCreateApplication(ctx, c.ID, "Tienda Azul")
	if err != nil {
		t.Fatal(err)
	}
	s.AppID = app.ID
	s.ctx = pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: c.ID, UserID: u.ID, Username: u.Username, Roles: u.Roles})
	card, err := svc.CreateGatewayConfig(s.ctx, app.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("Sandbox cards")})
	if err != nil {
		t.Fatal(err)
	}
	s.CardConfig = card.ID
	pp, err := svc.CreateGatewayConfig(s.ctx, app.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(paypal.GatewayID), Name: pasarela.Set("PayPal"),
		Config: pasarela.Set(map[string]any{"sandbox": true, "username": "shop_api1.example", "password": "pw", "signature": "sig"})})
	if err != nil {
		t.Fatal(err)
	}
	s.PayPalConfig = pp.ID
	s.AppCtx = coretest.AppCtx(ctx, &app.Application)
	if o.Crypto {
		if err := svc.RefreshCryptoRates(ctx); err != nil {
			t.Fatal(err)
		}
		cc, err := svc.CreateGatewayConfig(s.ctx, app.ID, core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
			Name: pasarela.Set("Crypto"), Config: pasarela.Set(map[string]any{"btcXpub": bip84Zpub})})
		if err != nil {
			t.Fatal(err)
		}
		s.CryptoConfig = cc.ID
	}
	return s
}

// MustDeposit creates a deposit of price COP in BTC (100000 COP is 0.004
// BTC at the sandbox's rate) that returns to the merchant's site.
func (s *stack) MustDeposit(t *testing.T, price string) *core.DepositDetail {
	t.Helper()
	d, _, err := s.Svc.CreateDeposit(s.ctx, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: price, ExchangeID: 1,
		ReturnURL: s.Merchant.URL + "/return?order=42"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// MustChainSend pays address on the sandbox chain, as the application may.
func (s *stack) MustChainSend(t *testing.T, address, amount string) {
	t.Helper()
	if _, err := s.Svc.SandboxChainSend(s.AppCtx, "BTC", address, amount); err != nil {
		t.Fatal(err)
	}
}

// MustChainMine mines blocks on the sandbox chain.
func (s *stack) MustChainMine(t *testing.T, blocks int) {
	t.Helper()
	if _, err := s.Svc.SandboxChainMine(s.AppCtx, "BTC", blocks); err != nil {
		t.Fatal(err)
	}
}

// Posts returns how many POST requests reached path.
func (s *stack) Posts(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts[path]
}

// MustPayment creates a payment of €10.50 (unless in says otherwise)
// that returns to the merchant's site.
func (s *stack) MustPayment(t *testing.T, in core.PaymentInput) *pasarela.Payment {
	t.Helper()
	if in.Amount == 0 {
		in.Amount, in.Currency = 1050, "EUR"
	}
	if in.Description == "" {
		in.Description = "Blue mug"
	}
	if in.ReturnURL == "" {
		in.ReturnURL = s.Merchant.URL + "/return?order=42"
	}
	if in.CancelURL == "" {
		in.CancelURL = s.Merchant.URL + "/cart"
	}
	pay, _, err := s.Svc.CreatePayment(s.ctx, s.AppID, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pay
}

// MustLink creates a payment (see MustPayment) and a link to pay it by card.
func (s *stack) MustLink(t *testing.T, in core.PaymentInput) (*pasarela.Payment, *pasarela.PaymentLink) {
	t.Helper()
	pay := s.MustPayment(t, in)
	l, err := s.Svc.CreatePaymentLink(s.ctx, s.AppID, pay.ID, core.PaymentLinkInput{GatewayConfig: s.CardConfig})
	if err != nil {
		t.Fatal(err)
	}
	return pay, l
}

// MustGetPayment reads a payment back through the core.
func (s *stack) MustGetPayment(t *testing.T, id int64) *core.PaymentDetail {
	t.Helper()
	d, err := s.Svc.GetPayment(s.ctx, s.AppID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// ExpectStatus fails unless the payment has the status.
func (s *stack) ExpectStatus(t *testing.T, id int64, want pasarela.PaymentStatus) *core.PaymentDetail {
	t.Helper()
	d := s.MustGetPayment(t, id)
	if d.Status != want {
		t.Fatalf("payment %d is %s, want %s (failure %q)", id, d.Status, want, d.FailureCode)
	}
	return d
}

// ExpectLedgerSound fails unless the ledger balances.
func (s *stack) ExpectLedgerSound(t *testing.T) {
	t.Helper()
	problems, err := s.Svc.VerifyLedger(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("ledger problems: %v", problems)
	}
}

// Balance returns a ledger account's balance.
func (s *stack) Balance(t *testing.T, a store.Account) int64 {
	t.Helper()
	var b int64
	err := s.DB.View(context.Background(), func(tx *store.Tx) error {
		var err error
		b, err = tx.Balance(context.Background(), a)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ExpectNoSecretsLogged fails if a card number or security code reached the
// logs.
func (s *stack) ExpectNoSecretsLogged(t *testing.T, secrets ...string) {
	t.Helper()
	logs := s.Logs.String()
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Fatalf("the logs hold %q", sec)
		}
	}
}

// buyer is a browser without JavaScript: it keeps cookies and does not
// follow redirects, so that each answer can be checked.
type buyer struct {
	t      *testing.T
	s      *stack
	client *http.Client
	header http.Header // sent with every request
}

func (s *stack) Buyer(t *testing.T) *buyer {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &buyer{t: t, s: s, header: http.Header{}, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer as a buyer sees it.
type page struct {
	t      *testing.T
	Status int
	Header http.Header
	Body   string
	URL    string
}

func (b *buyer) do(req *http.Request) *page {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &page{t: b.t, Status: res.StatusCode, Header: res.Header, Body: string(body), URL: req.URL.String()}
}

// Get fetches a path of the gateway (or an absolute URL).
func (b *buyer) Get(path string) *page {
	b.t.Helper()
	if strings.HasPrefix(path, "/") {
		path = b.s.URL + path
	}
	req, err := http.NewRequest("GET", path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// Post sends a form to a path of the gateway.
func (b *buyer) Post(path string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.s.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// Follow follows a 303 to the gateway's own page; other answers are
// returned as they are.
func (b *buyer) Follow(p *page) *page {
	b.t.Helper()
	for i := 0; i < 5 && p.Status == http.StatusSeeOther; i++ {
		loc := p.Header.Get("Location")
		if !strings.HasPrefix(loc, "/pay/") {
			return p
		}
		p = b.Get(loc)
	}
	return p
}

// card is the card form's fields with the test defaults.
func card(number string) url.Values {
	return url.Values{"name": {"Ada Lovelace"}, "number": {number}, "exp": {"12/34"}, "cvc": {"123"}}
}

// Pay opens the page of token and submits the card form with its CSRF
// value, as a browser would.
func (b *buyer) Pay(token string, form url.Values) *page {
	b.t.Helper()
	p := b.Get("/pay/" + token).Expect(http.StatusOK)
	form.Set("csrf", p.CSRF())
	return b.Post("/pay/"+token, form)
}

// Submit posts the first form of p whose action is path, with the hidden
// fields it has and the extra values given.
func (b *buyer) Submit(p *page, path string, extra url.Values) *page {
	b.t.Helper()
	form := p.Form(path)
	for k, v := range extra {
		form[k] = v
	}
	return b.Post(path, form)
}

// Expect fails unless the page has the status.
func (p *page) Expect(status int) *page {
	p.t.Helper()
	if p.Status != status {
		p.t.Fatalf("%s: status %d, want %d; body:\n%s", p.URL, p.Status, status, p.Body)
	}
	return p
}

// Contains fails unless the body has every text given (HTML-escaped as
// templates write it).
func (p *page) Contains(texts ...string) *page {
	p.t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			p.t.Fatalf("%s: body lacks %q:\n%s", p.URL, s, p.Body)
		}
	}
	return p
}

// Lacks fails if the body has any of the texts given.
func (p *page) Lacks(texts ...string) *page {
	p.t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			p.t.Fatalf("%s: body has %q:\n%s", p.URL, s, p.Body)
		}
	}
	return p
}

// SeeOther fails unless the page is a 303 and returns where it points.
func (p *page) SeeOther() string {
	p.t.Helper()
	p.Expect(http.StatusSeeOther)
	return p.Header.Get("Location")
}

var (
	csrfPattern  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	formPattern  = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
	inputPattern = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// CSRF returns the page's CSRF field.
func (p *page) CSRF() string {
	p.t.Helper()
	m := csrfPattern.FindStringSubmatch(p.Body)
	if m == nil {
		p.t.Fatalf("%s: no CSRF field in:\n%s", p.URL, p.Body)
	}
	return m[1]
}

// Form returns the hidden fields of the first form posting to path.
func (p *page) Form(path string) url.Values {
	p.t.Helper()
	for _, m := range formPattern.FindAllStringSubmatch(p.Body, -1) {
		if m[1] != path {
			continue
		}
		v := url.Values{}
		for _, in := range inputPattern.FindAllStringSubmatch(m[2], -1) {
			v.Add(in[1], in[2])
		}
		return v
	}
	p.t.Fatalf("%s: no form to %s in:\n%s", p.URL, path, p.Body)
	return nil
}

// FieldError returns the error message shown next to a field, or "".
func (p *page) FieldError(field string) string {
	m := regexp.MustCompile(`(?s)<p class="error" id="` + field + `-error">.*?</span>\s*(.*?)</p>`).FindStringSubmatch(p.Body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}
