package xpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	chainsandbox "github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/face/xpay"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/server"
)

// env is the real stack (a database of one engine, the core, the server
// with every middleware) behind an httptest server, with two commerces:
// Alpha (whose admin is an xpay manager) and Beta.
type env struct {
	t      testing.TB
	h      http.Handler // the whole server, for in-process calls
	URL    string       // the face's base URL, without a trailing slash
	Server string       // the server's root
	Svc    *core.Service
	Clock  *coretest.Clock
	DB     *coretest.DB
	A, B   *coretest.Tenant
}

// engines runs fn on a fresh env of each engine.
func engines(t *testing.T, fn func(t *testing.T, e *env), opts ...func(*core.Config)) {
	t.Helper()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) { fn(t, newEnv(t, engine, opts...)) })
}

func newEnv(t testing.TB, engine string, opts ...func(*core.Config)) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ch := chainsandbox.New(db, clk.Now)
	cfg := core.Config{
		SignIn:      core.SignInConfig{FailuresPerIP: 1000},
		PublicURL:   publicURL,
		SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
		Processors:  processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)), crypto.New()),
		Crypto:      core.CryptoConfig{Chains: []chain.Watcher{ch}, Sandbox: ch},
		CryptoRates: core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(clk.Now)}},
		Webhooks:    core.WebhookConfig{AllowPrivate: true},
	}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := core.New(context.Background(), db, log, clk.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RefreshCryptoRates(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{MaxBodyBytes: 64 << 10}, svc, log, server.NewMetrics())
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { coretest.MustSoundLedger(t, svc) })
	e := &env{t: t, h: h, URL: ts.URL + xpay.DefaultPrefix, Server: ts.URL, Svc: svc, Clock: clk, DB: db}
	e.A = coretest.MustTenant(t, svc, "Alpha Shop")
	e.B = coretest.MustTenant(t, svc, "Beta Shop")
	e.MustCrypto(e.A, bip84Zpub, nil)
	e.MustCrypto(e.B, otherXpub(t), nil)
	return e
}

// publicURL is the gateway's public URL in the tests: the hosted pages'
// links start with it.
const publicURL = "http://pay.test"

// BIP84's published test vector: account 0 of the mnemonic "abandon …
// about" and its first receive addresses.
const (
	bip84Zpub  = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	bip84Addr0 = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
	bip84Addr1 = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
)

// otherXpub is another merchant's key, made from a fixed seed.
func otherXpub(t testing.TB) string {
	t.Helper()
	k, err := hdkeychain.NewMaster(bytes.Repeat([]byte{7}, 32), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	// An account key, m/44'/0'/0', as a wallet exports it.
	for _, i := range []uint32{44, 0, 0} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + i); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := k.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	return pub.String()
}

// MustCrypto gives the tenant's application a crypto gateway config
// watching the sandbox chain, with options over the defaults.
func (e *env) MustCrypto(ten *coretest.Tenant, xpub string, options map[string]any) {
	e.t.Helper()
	opts := map[string]any{"btcXpub": xpub, "chain": "sandbox"}
	for k, v := range options {
		opts[k] = v
	}
	if _, err := e.Svc.CreateGatewayConfig(ten.AdminCtx(context.Background()), ten.App.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(crypto.GatewayID), Name: pasarela.Set("Crypto"), Config: pasarela.Set(opts)}); err != nil {
		e.t.Fatal(err)
	}
}

// Send pays an address on the sandbox chain through the operator's route.
func (e *env) Send(ten *coretest.Tenant, address, amount string) {
	e.t.Helper()
	r := do(e.t, "POST", e.Server+"/sandbox/chain/BTC/send", map[string]string{"X-Auth-Token": ten.App.APIKey},
		`{"address":"`+address+`","amount":"`+amount+`"}`)
	if r.Status != http.StatusOK || r.JSON["txid"] == nil {
		e.t.Fatalf("send: %d %s", r.Status, r.Body)
	}
}

// Mine mines blocks on the sandbox chain through the operator's route.
func (e *env) Mine(ten *coretest.Tenant, blocks int) {
	e.t.Helper()
	r := do(e.t, "POST", e.Server+"/sandbox/chain/BTC/mine", map[string]string{"X-Auth-Token": ten.App.APIKey},
		`{"blocks":`+strconv.Itoa(blocks)+`}`)
	if r.Status != http.StatusOK || r.JSON["height"] == nil {
		e.t.Fatalf("mine: %d %s", r.Status, r.Body)
	}
}

// MustCreate creates a transaction through the face with key and returns it.
func (e *env) MustCreate(key, body string) map[string]any {
	e.t.Helper()
	r := e.Do("POST", "/transactions/create/", token(key), body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	return r.JSON
}

// MustStatus reads a transaction and fails unless it has status st.
func (e *env) MustStatus(key string, id any, st string) map[string]any {
	e.t.Helper()
	r := e.Do("GET", "/transactions/"+fmt.Sprint(id)+"/", token(key), "")
	if r.Status != http.StatusOK || r.JSON["status"] != st {
		e.t.Fatalf("transaction %v: %d %s, want status %s", id, r.Status, r.Body, st)
	}
	return r.JSON
}

// order is the WooCommerce plugin's create body: a float amount with its
// noise, the exchange id a string.
const order = `{"tgt_currency":"COP","src_currency":"BTC","amount":150000.30000000002,"exchange_id":"1","callback":"http:\/\/shop.example\/?ipn-xpay=42"}`

// MustUser adds a user with roles to a client, as its admin would.
func (e *env) MustUser(ten *coretest.Tenant, email string, roles ...pasarela.Role) *pasarela.User {
	e.t.Helper()
	u, err := e.Svc.CreateUser(ten.AdminCtx(context.Background()), ten.Client.ID, core.UserInput{
		Username: pasarela.Set(email), Email: pasarela.Set(email), Password: pasarela.Set(coretest.Password),
		FirstName: pasarela.Set("Till"), LastName: pasarela.Set("Terminal"), Roles: pasarela.Set(roles)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// MustLogin signs in through the face and returns the key.
func (e *env) MustLogin(email string) string {
	e.t.Helper()
	r := e.Do("POST", "/auth/login/", nil, `{"email":"`+email+`","password":"`+coretest.Password+`"}`)
	key, _ := r.JSON["key"].(string)
	if r.Status != http.StatusOK || len(key) != 40 {
		e.t.Fatalf("login %s: %d %s", email, r.Status, r.Body)
	}
	return key
}

// resp is a response as a test sees it: JSON holds an object body, List an
// array body.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
	List   []any
}

// Do sends a request with headers (Content-Type application/json when
// there is a body, unless headers say otherwise).
func (e *env) Do(method, path string, headers map[string]string, body string) *resp {
	e.t.Helper()
	return do(e.t, method, e.URL+path, headers, body)
}

func do(t testing.TB, method, url string, headers map[string]string, body string) *resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &resp{Status: res.StatusCode, Header: res.Header, Body: b}
	if method == http.MethodHead || method == http.MethodOptions {
		return r
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		err = dec.Decode(&r.List)
	} else {
		err = dec.Decode(&r.JSON)
	}
	if err != nil {
		t.Fatalf("%s %s: not JSON: %d %s", method, url, res.StatusCode, b)
	}
	return r
}

// token is the headers of an authenticated request.
func token(key string, more ...string) map[string]string {
	h := map[string]string{"Authorization": "Token " + key}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// wantError checks xpay's error: HTTP status, application code and field.
func wantError(t *testing.T, what string, r *resp, status, code int, field string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: %d %s, want HTTP %d", what, r.Status, r.Body, status)
		return
	}
	if r.JSON["code"] != json.Number(strconv.Itoa(code)) || r.JSON["detail"] == "" || r.JSON["detail"] == nil {
		t.Errorf("%s: %s, want code %d", what, r.Body, code)
		return
	}
	if r.JSON["field"] != field {
		t.Errorf("%s: field %v, want %s (%s)", what, r.JSON["field"], field, r.Body)
	}
}
