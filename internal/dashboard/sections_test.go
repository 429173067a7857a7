package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	chainsandbox "github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/rates"
)

// newSectionStack is newStack with what the sections show beyond
// payments (withSections).
func newSectionStack(t *testing.T, engine string) *stack {
	t.Helper()
	return newStackAt(t, engine, time.Now().UTC().Truncate(time.Second), withSections)
}

// withSections adds crypto deposits (the crypto gateway watching the
// sandbox chain, priced by the sandbox rate table), payouts over the SPEI
// rail, and a secret key for the secrets the sections keep.
func withSections(cfg *core.Config, db *coretest.DB, clk *coretest.Clock) {
	ch := chainsandbox.New(db, clk.Now)
	cfg.SecretKey = []byte("0123456789abcdef0123456789abcdef")
	cfg.Processors = processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)), crypto.New())
	cfg.Crypto = core.CryptoConfig{Chains: []chain.Watcher{ch}, Sandbox: ch}
	cfg.CryptoRates = core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(clk.Now)}}
	cfg.PayoutRail = spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{}, clk.Now)
}

// bip84Zpub is BIP84's published test key (account 0 of "abandon … about").
const bip84Zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

// objects are one of each thing the sections show, all of client A.
type objects struct {
	App, Webhook, Delivery, Config, Crypto, User, Sub, Payout, Deposit int64
}

var idRE = regexp.MustCompile(`/dashboard/developers/\d+/configs/(\d+)`)

// mustObjects makes them: the crypto config and the webhook through the
// dashboard's own forms (as A's admin), the rest through the core as the
// API faces would.
func mustObjects(t *testing.T, s *stack) *objects {
	t.Helper()
	ctx := context.Background()
	admin := s.A.AdminCtx(ctx)
	app := s.A.AppCtx(ctx)
	o := &objects{App: s.A.App.ID, Config: s.Config, User: s.Viewer.ID}
	if err := s.Svc.RefreshCryptoRates(ctx); err != nil {
		t.Fatal(err)
	}
	b := s.browser().mustSignIn(s.A.Admin.Email)
	appPath := "/dashboard/developers/" + strconv.FormatInt(o.App, 10)

	// A crypto config from the schema's form: the key is a secret option.
	form := b.get(appPath + "/configs/new?gateway=crypto")
	wantStatus(t, "new crypto config form", form, http.StatusOK)
	if !strings.Contains(form.Body, `type="password" id="opt-btcXpub"`) || !strings.Contains(form.Body, `id="opt-confirmations" name="opt.confirmations" value="1"`) {
		t.Fatalf("the form is not built from the schema:\n%s", form.Body)
	}
	p := b.post(appPath+"/configs", url.Values{"csrf": {form.csrf(t)}, "gateway": {"crypto"}, "name": {"Crypto"},
		"weight": {"1"}, "enabled": {"on"}, "opt.network": {"mainnet"}, "opt.chain": {"sandbox"}, "opt.btcXpub": {bip84Zpub},
		"opt.confirmations": {"2"}})
	wantStatus(t, "create crypto config", p, http.StatusSeeOther)
	m := idRE.FindStringSubmatch(p.Location)
	if m == nil {
		t.Fatalf("created config at %q", p.Location)
	}
	o.Crypto, _ = strconv.ParseInt(m[1], 10, 64)

	// A webhook from its form, then a delivery to it: a payment cancelled.
	page := b.get(appPath)
	key := regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if key == nil {
		t.Fatalf("no form key on the application page:\n%s", page.Body)
	}
	p = b.post(appPath+"/webhooks", url.Values{"csrf": {page.csrf(t)}, "key": {key[1]}, "target": {"https://hooks.example/a"},
		"entity": {"payment"}, "format": {"payrest"}, "method": {"POST"}, "events": {"payment.invalidated"}})
	wantStatus(t, "create webhook", p, http.StatusCreated)
	if !regexp.MustCompile(`id="new-secret" readonly value="whsec_`).MatchString(p.Body) {
		t.Fatalf("the new webhook's secret is not shown:\n%s", p.Body)
	}
	hooks, _, err := s.Svc.ListWebhooks(admin, o.App, pasarela.ListOptions{Limit: 10})
	if err != nil || len(hooks) != 1 || len(hooks[0].Events) != 1 || hooks[0].Events[0] != "payment.invalidated" {
		t.Fatalf("webhooks: %+v %v", hooks, err)
	}
	o.Webhook = hooks[0].ID
	// The same form sent again creates nothing more.
	p = b.post(appPath+"/webhooks", url.Values{"csrf": {page.csrf(t)}, "key": {key[1]}, "target": {"https://hooks.example/a"},
		"entity": {"payment"}, "format": {"payrest"}, "method": {"POST"}, "events": {"payment.invalidated"}})
	wantStatus(t, "the webhook form again", p, http.StatusSeeOther)
	if hooks, _, _ := s.Svc.ListWebhooks(admin, o.App, pasarela.ListOptions{Limit: 10}); len(hooks) != 1 {
		t.Fatalf("a second send made %d webhooks", len(hooks))
	}
	pay, _, err := s.Svc.CreatePayment(app, o.App, core.PaymentInput{Amount: 1000, Currency: "EUR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Svc.CancelPayment(app, o.App, pay.ID); err != nil {
		t.Fatal(err)
	}
	dels, _, err := s.Svc.ListDeliveries(admin, o.App, o.Webhook, core.DeliveryFilter{}, pasarela.ListOptions{Limit: 10})
	if err != nil || len(dels) != 1 {
		t.Fatalf("deliveries: %+v %v", dels, err)
	}
	o.Delivery = dels[0].ID

	sub, _, err := s.Svc.CreateSubscription(app, o.App, core.SubscriptionInput{Amount: 990, Currency: "EUR",
		Interval: "month", CustomerEmail: "ana@example.com"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Sub = sub.ID
	if _, err := s.Svc.CreditBalance(ctx, core.CreditInput{ClientID: s.A.Client.ID, Currency: "MXN", Amount: 500000}); err != nil {
		t.Fatal(err)
	}
	po, _, err := s.Svc.CreatePayout(admin, core.PayoutInput{Amount: 12345, TransactionType: 1, BeneficiaryName: "Florentino Eter",
		BeneficiaryAccount: "002010077777777771", BankCode: "002", Concept: "Pago proveedor", NumericReference: "43223123"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Payout = po.ID
	dep, _, err := s.Svc.CreateDeposit(admin, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "100000", ExchangeID: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.Deposit = dep.Payment.ID
	return o
}

// sectionTenantRoutes are the sections' routes that name an object, in
// the form of the tenant matrix's routes: the object's id as a
// placeholder, filled in from objects. A user of another client must get
// 404 for each.
var sectionTenantRoutes = []string{
	"GET /dashboard/developers/{app}",
	"POST /dashboard/developers/{app}/key",
	"POST /dashboard/developers/{app}/settings",
	"POST /dashboard/developers/{app}/webhooks",
	"GET /dashboard/developers/{app}/webhooks/{webhook}",
	"POST /dashboard/developers/{app}/webhooks/{webhook}/delete",
	"POST /dashboard/developers/{app}/webhooks/{webhook}/deliveries/{delivery}/redeliver",
	"GET /dashboard/developers/{app}/configs/new?gateway=sandbox",
	"POST /dashboard/developers/{app}/configs",
	"GET /dashboard/developers/{app}/configs/{config}",
	"GET /dashboard/developers/{app}/configs/{crypto}",
	"POST /dashboard/developers/{app}/configs/{config}",
	"GET /dashboard/team/{user}",
	"POST /dashboard/team/{user}/roles",
	"POST /dashboard/team/{user}/password",
	"POST /dashboard/team/{user}/delete",
	"POST /dashboard/team/{user}/disable",
	"POST /dashboard/team/{user}/enable",
	"POST /dashboard/team/{user}/totp/reset",
	"GET /dashboard/subscriptions?app={app}",
	"GET /dashboard/subscriptions/{app}/{sub}",
	"POST /dashboard/subscriptions/{app}/{sub}/cancel",
	"GET /dashboard/payouts/{payout}",
	"GET /dashboard/deposits/{deposit}",
	"POST /dashboard/deposits/{deposit}/cancel",
}

// routes are sectionTenantRoutes with the objects' ids, by method.
func (o *objects) routes() (gets, posts []string) {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	ids := strings.NewReplacer("{app}", id(o.App), "{webhook}", id(o.Webhook), "{delivery}", id(o.Delivery),
		"{config}", id(o.Config), "{crypto}", id(o.Crypto), "{user}", id(o.User), "{sub}", id(o.Sub),
		"{payout}", id(o.Payout), "{deposit}", id(o.Deposit))
	for _, r := range sectionTenantRoutes {
		method, path, _ := strings.Cut(r, " ")
		if method == http.MethodGet {
			gets = append(gets, ids.Replace(path))
		} else {
			posts = append(posts, ids.Replace(path))
		}
	}
	return gets, posts
}

// TestSectionsTenantMatrix: every page of the sections that names one of
// client A's objects is a page for A's admin and not found (404) for B's
// admin, whose every action on them is not found too and changes nothing.
func TestSectionsTenantMatrix(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := newSectionStack(t, engine)
		o := mustObjects(t, s)
		gets, posts := o.routes()
		a := s.browser().mustSignIn(s.A.Admin.Email)
		b := s.browser().mustSignIn(s.B.Admin.Email)
		for _, path := range gets {
			wantStatus(t, "A's admin: "+path, a.get(path), http.StatusOK)
			p := b.get(path)
			wantStatus(t, "B's admin: "+path, p, http.StatusNotFound)
			if !strings.Contains(p.Body, "There is nothing here") {
				t.Fatalf("%s: not the not-found page:\n%s", path, p.Body)
			}
		}
		token := b.token()
		for _, path := range posts {
			p := b.post(path, url.Values{"csrf": {token}, "password": {"An0ther-Passw0rd!"}, "role": {"admin"},
				"gateway": {"sandbox"}, "name": {"x"}, "target": {"https://evil.example/"}, "entity": {"payment"},
				"format": {"payrest"}, "key": {"k1"}})
			wantStatus(t, "B's admin posts "+path, p, http.StatusNotFound)
		}
		// Nothing of A's changed: its key, webhook, viewer, subscription
		// and deposit are as they were.
		if _, err := s.Svc.AuthenticateKey(context.Background(), s.A.App.APIKey); err != nil {
			t.Errorf("A's key after B's posts: %v", err)
		}
		admin := s.A.AdminCtx(context.Background())
		if _, err := s.Svc.GetWebhook(admin, o.App, o.Webhook); err != nil {
			t.Errorf("A's webhook after B's posts: %v", err)
		}
		if u, err := s.Svc.GetUser(admin, s.A.Client.ID, o.User); err != nil || len(u.Roles) != 1 || u.Roles[0] != pasarela.RoleViewer {
			t.Errorf("A's viewer after B's posts: %+v %v", u, err)
		}
		s.browser().mustSignIn(s.Viewer.Email) // the password is unchanged
		if sub, err := s.Svc.GetSubscription(admin, o.App, o.Sub); err != nil || sub.Status != pasarela.SubscriptionPending {
			t.Errorf("A's subscription after B's posts: %v", err)
		}
		if d, err := s.Svc.GetDeposit(admin, o.Deposit); err != nil || d.Payment.Status != pasarela.StatusPending {
			t.Errorf("A's deposit after B's posts: %v", err)
		}
		// B's own lists show nothing of A's.
		for _, path := range []string{"/dashboard/developers", "/dashboard/team", "/dashboard/subscriptions",
			"/dashboard/payouts", "/dashboard/deposits"} {
			p := b.get(path)
			wantStatus(t, "B's "+path, p, http.StatusOK)
			for _, leak := range []string{s.A.App.Name, s.Viewer.Email, "ana@example.com", "Florentino", "/dashboard/deposits/" + strconv.FormatInt(o.Deposit, 10)} {
				if strings.Contains(p.Body, leak) {
					t.Errorf("B's %s shows %q", path, leak)
				}
			}
		}
	})
}

var postFormRE = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// TestSectionsViewer: a viewer reads subscriptions, payouts and deposits
// with no action on them, is refused the admins' sections, and a forged
// POST with the viewer's own valid form token to any action is 403 and
// changes nothing. A terminal, which may not read payouts, has no link to
// them.
func TestSectionsViewer(t *testing.T) {
	t.Parallel()
	s := newSectionStack(t, "sqlite")
	o := mustObjects(t, s)
	gets, posts := o.routes()
	v := s.browser().mustSignIn(s.Viewer.Email)
	for _, path := range []string{"/dashboard/subscriptions", "/dashboard/payouts", "/dashboard/deposits",
		"/dashboard/subscriptions/" + strconv.FormatInt(o.App, 10) + "/" + strconv.FormatInt(o.Sub, 10),
		"/dashboard/payouts/" + strconv.FormatInt(o.Payout, 10), "/dashboard/deposits/" + strconv.FormatInt(o.Deposit, 10)} {
		p := v.get(path)
		wantStatus(t, "viewer reads "+path, p, http.StatusOK)
		for _, m := range postFormRE.FindAllStringSubmatch(p.Body, -1) {
			if m[1] != "/dashboard/signout" {
				t.Errorf("a viewer's %s offers %s", path, m[1])
			}
		}
	}
	for _, path := range append([]string{"/dashboard/developers", "/dashboard/team"}, gets...) {
		if strings.HasPrefix(path, "/dashboard/developers/") || strings.HasPrefix(path, "/dashboard/team/") {
			wantStatus(t, "viewer opens "+path, v.get(path), http.StatusForbidden)
		}
	}
	token := v.token()
	for _, path := range posts {
		p := v.post(path, url.Values{"csrf": {token}, "password": {"An0ther-Passw0rd!"}, "role": {"admin"}})
		wantStatus(t, "viewer posts "+path, p, http.StatusForbidden)
	}
	admin := s.A.AdminCtx(context.Background())
	if u, err := s.Svc.GetUser(admin, s.A.Client.ID, s.Viewer.ID); err != nil || u.Roles[0] != pasarela.RoleViewer {
		t.Fatalf("the viewer made itself something else: %+v %v", u, err)
	}
	if sub, _ := s.Svc.GetSubscription(admin, o.App, o.Sub); sub.Status != pasarela.SubscriptionPending {
		t.Fatalf("the viewer cancelled the subscription: %s", sub.Status)
	}
	if _, err := s.Svc.AuthenticateKey(context.Background(), s.A.App.APIKey); err != nil {
		t.Fatalf("the viewer recreated the key: %v", err)
	}
	term := s.browser().mustSignIn(s.Terminal.Email)
	if home := term.get("/dashboard/"); strings.Contains(home.Body, `href="/dashboard/payouts"`) {
		t.Error("a terminal's nav links to payouts, which it may not read")
	}
	wantStatus(t, "terminal opens payouts", term.get("/dashboard/payouts"), http.StatusForbidden)

	// The manager cancels the deposit and the subscription from their pages.
	m := s.browser().mustSignIn(s.Manager.Email)
	depPath := "/dashboard/deposits/" + strconv.FormatInt(o.Deposit, 10)
	page := m.get(depPath)
	if !strings.Contains(page.Body, `id="cancel-deposit"`) {
		t.Fatalf("a manager is not offered to cancel the deposit:\n%s", page.Body)
	}
	wantStatus(t, "manager cancels the deposit", m.post(depPath+"/cancel", url.Values{"csrf": {page.csrf(t)}}), http.StatusSeeOther)
	if d, _ := s.Svc.GetDeposit(admin, o.Deposit); d.Payment.Status != pasarela.StatusInvalidated {
		t.Fatalf("deposit after cancel: %s", d.Payment.Status)
	}
	subPath := "/dashboard/subscriptions/" + strconv.FormatInt(o.App, 10) + "/" + strconv.FormatInt(o.Sub, 10)
	wantStatus(t, "manager cancels the subscription", m.post(subPath+"/cancel", url.Values{"csrf": {page.csrf(t)}}), http.StatusSeeOther)
	if p := m.get(subPath + "?done=subscription.canceled"); !strings.Contains(p.Body, "The subscription is cancelled.") ||
		strings.Contains(p.Body, `id="cancel-subscription"`) {
		t.Fatalf("subscription page after cancel:\n%s", p.Body)
	}
}

// TestDeveloperForms: a refused webhook or shop settings form names the
// field and the rule, keeps what was typed and changes nothing; saved shop
// settings are the application's, the notification URL a GET webhook in
// Gestpay's format as Gestpay's back office makes it.
func TestDeveloperForms(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	b := s.browser().mustSignIn(s.A.Admin.Email)
	admin := s.A.AdminCtx(context.Background())
	path := "/dashboard/developers/" + strconv.FormatInt(s.A.App.ID, 10)
	page := b.get(path)
	p := b.post(path+"/webhooks", url.Values{"csrf": {page.csrf(t)}, "key": {"form-1"}, "target": {"ftp://shop.example/x"},
		"entity": {"payment"}, "format": {"payrest"}, "events": {"payment.done"}})
	wantStatus(t, "a bad webhook", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "targets[0]") || !strings.Contains(p.Body, `value="ftp://shop.example/x"`) {
		t.Fatalf("refused webhook form:\n%s", p.Body)
	}
	p = b.post(path+"/settings", url.Values{"csrf": {page.csrf(t)}, "success_url": {"https://shop.example/ok"},
		"allowed_ips": {"192.0.2.1\nnot-an-address"}})
	wantStatus(t, "a bad address", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "allowed") || !strings.Contains(p.Body, "not-an-address") {
		t.Fatalf("refused settings form:\n%s", p.Body)
	}
	if a, _ := s.Svc.GetApplication(admin, s.A.App.ID); a.Pages.SuccessURL != "" {
		t.Fatalf("a refused form saved %q", a.Pages.SuccessURL)
	}
	p = b.post(path+"/settings", url.Values{"csrf": {page.csrf(t)}, "success_url": {"https://shop.example/ok"},
		"failure_url": {"https://shop.example/ko"}, "notify_url": {"https://shop.example/s2s"}, "language": {"it"},
		"allowed_ips": {"192.0.2.1\n198.51.100.0/24"}, "require_key": {"on"}})
	wantStatus(t, "save the settings", p, http.StatusSeeOther)
	a, err := s.Svc.GetApplication(admin, s.A.App.ID)
	if err != nil || a.Pages.SuccessURL != "https://shop.example/ok" || a.Pages.FailureURL != "https://shop.example/ko" ||
		a.Pages.Language != "it" || len(a.Access.AllowedIPs) != 2 || !a.Access.RequireKey {
		t.Fatalf("settings: %+v %+v %v", a.Pages, a.Access, err)
	}
	hooks, _, err := s.Svc.ListWebhooks(admin, s.A.App.ID, pasarela.ListOptions{Limit: 10})
	if err != nil || len(hooks) != 1 || hooks[0].Method != "GET" || hooks[0].Format != pasarela.FormatGestpay ||
		hooks[0].Targets[0] != "https://shop.example/s2s" {
		t.Fatalf("the notification webhook: %+v %v", hooks, err)
	}
	if page := b.get(path + "?done=settings"); !strings.Contains(page.Body, "198.51.100.0/24") ||
		!strings.Contains(page.Body, "The shop settings are saved.") {
		t.Fatalf("the settings read back:\n%s", page.Body)
	}
}

// TestGatewayConfigSecrets: a config's secret option is never written into
// a page; saving the form with the secret left empty keeps the stored one
// (deposits still derive addresses from it); a bad value is refused naming
// the option, with nothing saved.
func TestGatewayConfigSecrets(t *testing.T) {
	t.Parallel()
	s := newSectionStack(t, "sqlite")
	o := mustObjects(t, s)
	b := s.browser().mustSignIn(s.A.Admin.Email)
	path := "/dashboard/developers/" + strconv.FormatInt(o.App, 10) + "/configs/" + strconv.FormatInt(o.Crypto, 10)
	p := b.get(path)
	wantStatus(t, "config page", p, http.StatusOK)
	if strings.Contains(p.Body, bip84Zpub) || strings.Contains(p.Body, "********") || !strings.Contains(p.Body, "(stored)") {
		t.Fatalf("the config page shows the secret or hides that one is set:\n%s", p.Body)
	}
	if !strings.Contains(p.Body, `id="opt-confirmations" name="opt.confirmations" value="2"`) {
		t.Fatalf("the config page lacks the stored value:\n%s", p.Body)
	}
	form := url.Values{"csrf": {p.csrf(t)}, "name": {"Crypto renamed"}, "weight": {"1"}, "enabled": {"on"},
		"opt.network": {"mainnet"}, "opt.chain": {"sandbox"}, "opt.btcXpub": {""}, "opt.confirmations": {"x"}}
	p = b.post(path, form)
	wantStatus(t, "a bad integer", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "config.confirmations") {
		t.Fatalf("the refusal does not name the option:\n%s", p.Body)
	}
	form.Set("opt.confirmations", "3")
	wantStatus(t, "save with the secret left empty", b.post(path, form), http.StatusSeeOther)
	admin := s.A.AdminCtx(context.Background())
	cfg, err := s.Svc.GetGatewayConfig(admin, o.App, o.Crypto)
	if err != nil || cfg.Name != "Crypto renamed" || cfg.Options["confirmations"] != int64(3) && cfg.Options["confirmations"] != float64(3) {
		t.Fatalf("config after saving: %+v %v", cfg, err)
	}
	if _, _, err := s.Svc.CreateDeposit(admin, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "5000", ExchangeID: 1}, nil); err != nil {
		t.Fatalf("a deposit after saving with the key left empty: %v", err)
	}
}

// TestTeam: an admin adds a user, changes its roles and resets its
// password, which ends the user's session at once; the client's last
// admin cannot lose its role.
func TestTeam(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	a := s.browser().mustSignIn(s.A.Admin.Email)
	list := a.get("/dashboard/team")
	wantStatus(t, "team", list, http.StatusOK)
	p := a.post("/dashboard/team", url.Values{"csrf": {list.csrf(t)}, "username": {"lucia"}, "email": {"lucia@azul.example"},
		"role": {"manager"}, "password": {"short"}})
	wantStatus(t, "a short password", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "password") || !strings.Contains(p.Body, `value="lucia@azul.example"`) {
		t.Fatalf("refused user form:\n%s", p.Body)
	}
	p = a.post("/dashboard/team", url.Values{"csrf": {list.csrf(t)}, "username": {"lucia"}, "email": {"lucia@azul.example"},
		"role": {"manager"}, "password": {coretest.Password}})
	wantStatus(t, "add a user", p, http.StatusSeeOther)
	m := regexp.MustCompile(`href="/dashboard/team/(\d+)">lucia<`).FindStringSubmatch(a.get("/dashboard/team").Body)
	if m == nil {
		t.Fatal("the new user is not listed")
	}
	userPath := "/dashboard/team/" + m[1]

	lucia := s.browser().mustSignIn("lucia@azul.example")
	wantStatus(t, "lucia's session", lucia.get("/dashboard/"), http.StatusOK)
	p = a.post(userPath+"/roles", url.Values{"csrf": {list.csrf(t)}, "role": {"viewer", "terminal"}})
	wantStatus(t, "change roles", p, http.StatusSeeOther)
	if page := a.get(userPath); !strings.Contains(page.Body, `id="user-roles">Terminal, Viewer<`) {
		t.Fatalf("roles after the change:\n%s", page.Body)
	}
	p = a.post(userPath+"/password", url.Values{"csrf": {list.csrf(t)}, "password": {"N3w-Passw0rd-2026"}})
	wantStatus(t, "reset the password", p, http.StatusSeeOther)
	// Lucia's session is gone: her next page is the sign-in.
	if p := lucia.get("/dashboard/"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/dashboard/signin") {
		t.Fatalf("lucia's old session after the reset: %d %q", p.Status, p.Location)
	}
	wantStatus(t, "the old password", s.browser().signIn("lucia@azul.example", coretest.Password), http.StatusUnauthorized)
	if p := s.browser().signIn("lucia@azul.example", "N3w-Passw0rd-2026"); p.Status != http.StatusSeeOther {
		t.Fatalf("the new password: %d", p.Status)
	}

	// The last admin keeps its role; removing a user ends its access.
	self := "/dashboard/team/" + strconv.FormatInt(s.A.Admin.ID, 10)
	p = a.post(self+"/roles", url.Values{"csrf": {list.csrf(t)}, "role": {"viewer"}})
	wantStatus(t, "the last admin's role", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "at least one enabled admin") {
		t.Fatalf("last admin page:\n%s", p.Body)
	}
	if strings.Contains(a.get(self).Body, `id="delete-user"`) {
		t.Error("an admin is offered to remove itself")
	}
	wantStatus(t, "remove lucia", a.post(userPath+"/delete", url.Values{"csrf": {list.csrf(t)}}), http.StatusSeeOther)
	wantStatus(t, "removed user's page", a.get(userPath), http.StatusNotFound)
}
