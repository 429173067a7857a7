package kashpay_test

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

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/worker"
)

// The seed's entity and user, with a password the policy accepts (the
// seed's own is a sandbox placeholder).
const (
	seedEntity   = "com.cascade"
	seedUser     = "jim@cascadefintech.com"
	seedPassword = "cascTest4333!"
)

// env is the real stack (a database of one engine, the core with the SPEI
// simulator, the server with every middleware) behind an httptest server,
// with the seed's entity (Cascade) and another (Beta).
type env struct {
	t      *testing.T
	URL    string // the face's base URL
	Server string // the server's, where the other faces are
	Svc    *core.Service
	Clock  *coretest.Clock
	DB     *coretest.DB
	Worker *worker.Payouts
	// Cascade and Beta are the two entities' client ids.
	Cascade, Beta string
}

// engines runs fn on a fresh env of each engine, with the face's settings
// changed by opts.
func engines(t *testing.T, fn func(t *testing.T, e *env), opts ...func(*kashpay.Config)) {
	t.Helper()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) { fn(t, newEnv(t, engine, opts...)) })
}

func newEnv(t *testing.T, engine string, opts ...func(*kashpay.Config)) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rail := spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{}, clk.Now)
	svc, err := core.New(context.Background(), db, log, clk.Now, core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000}, PayoutRail: rail})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{MaxBodyBytes: 64 << 10}
	for _, o := range opts {
		o(&cfg.Kashpay)
	}
	ts := httptest.NewServer(server.New(cfg, svc, log, server.NewMetrics()))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { coretest.MustSoundLedger(t, svc) })
	prefix := strings.TrimRight(cfg.Kashpay.Prefix, "/")
	if prefix == "" {
		prefix = kashpay.DefaultPrefix
	}
	e := &env{t: t, URL: ts.URL + prefix, Server: ts.URL, Svc: svc, Clock: clk, DB: db, Worker: &worker.Payouts{Svc: svc, Log: log}}
	e.Cascade = e.mustClient("Cascade Fintech", seedUser, seedPassword, seedEntity)
	e.Beta = e.mustClient("Beta Pagos", "ops@beta.example", seedPassword, "com.betapagos")
	return e
}

func (e *env) mustClient(name, email, password, code string) string {
	e.t.Helper()
	c, _, err := e.Svc.CreateClient(context.Background(), core.ClientInput{Name: name, Email: email, Password: password, Code: code})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// MustCredit funds a client's MXN balance as the operator does.
func (e *env) MustCredit(clientID string, amount int64) {
	e.t.Helper()
	if _, err := e.Svc.CreditBalance(context.Background(), core.CreditInput{ClientID: clientID, Currency: "MXN", Amount: amount}); err != nil {
		e.t.Fatal(err)
	}
}

// MustUser adds a user with roles to a client, as its admin would.
func (e *env) MustUser(clientID, email string, roles ...pasarela.Role) *pasarela.User {
	e.t.Helper()
	u, err := e.Svc.CreateUser(adminOf(clientID), clientID, core.UserInput{Username: pasarela.Set(email),
		Email: pasarela.Set(email), Password: pasarela.Set(seedPassword), Roles: pasarela.Set(roles)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// adminOf is a context acting as an admin of the client.
func adminOf(clientID string) context.Context {
	return pasarela.WithPrincipal(context.Background(), &pasarela.Principal{ClientID: clientID, UserID: 1,
		Roles: []pasarela.Role{pasarela.RoleAdmin}})
}

// MustLogin authenticates through the face and returns the token.
func (e *env) MustLogin(entity, user string) string {
	e.t.Helper()
	r := e.Do("POST", "/AuthenticationService/authenticate", nil,
		`{"entity":"`+entity+`","user":"`+user+`","password":"`+seedPassword+`"}`)
	if r.Status != http.StatusOK || r.JSON["success"] != true {
		e.t.Fatalf("login %s/%s: %d %s", entity, user, r.Status, r.Body)
	}
	return r.JSON["authenticationResponse"].(map[string]any)["token"].(string)
}

// resp is a response as a test sees it.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// Do sends a request with headers (Content-Type application/json when there
// is a body, unless headers say otherwise).
func (e *env) Do(method, path string, headers map[string]string, body string) *resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
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
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&r.JSON); err != nil {
		e.t.Fatalf("%s %s: not a JSON object: %d %s", method, path, res.StatusCode, b)
	}
	return r
}

// bearer is the headers of an authenticated request.
func bearer(token string, more ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + token}
	for i := 0; i+1 < len(more); i += 2 {
		h[more[i]] = more[i+1]
	}
	return h
}

// wantError checks a failure envelope: HTTP status, success false, the
// error's code and, when given, the field it names.
func wantError(t *testing.T, what string, r *resp, status, code int, field string) {
	t.Helper()
	if r.Status != status || r.JSON["success"] != false {
		t.Errorf("%s: %d %s, want HTTP %d with success false", what, r.Status, r.Body, status)
		return
	}
	er, _ := r.JSON["error"].(map[string]any)
	if er == nil || er["code"] != json.Number(strconv.Itoa(code)) || er["name"] == "" || er["message"] == "" {
		t.Errorf("%s: error %v, want code %d", what, r.JSON["error"], code)
		return
	}
	if field != "" && er["field"] != field {
		t.Errorf("%s: error names field %v, want %s", what, er["field"], field)
	}
	for _, k := range []string{"totalItems", "totalPages", "currentPage"} {
		if _, ok := r.JSON[k]; !ok {
			t.Errorf("%s: the envelope has no %s", what, k)
		}
	}
}
