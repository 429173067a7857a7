package xpay_test

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
	"github.com/pasarela/pasarela/internal/face/xpay"
	"github.com/pasarela/pasarela/internal/server"
)

// env is the real stack (a database of one engine, the core, the server
// with every middleware) behind an httptest server, with two commerces:
// Alpha (whose admin is an xpay manager) and Beta.
type env struct {
	t      *testing.T
	URL    string // the face's base URL, without a trailing slash
	Server string // the server's root
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

func newEnv(t *testing.T, engine string, opts ...func(*core.Config)) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000}, PublicURL: "http://pay.test"}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := core.New(context.Background(), db, log, clk.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(server.Config{MaxBodyBytes: 64 << 10}, svc, log, server.NewMetrics()))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { coretest.MustSoundLedger(t, svc) })
	e := &env{t: t, URL: ts.URL + xpay.DefaultPrefix, Server: ts.URL, Svc: svc, Clock: clk, DB: db}
	e.A = coretest.MustTenant(t, svc, "Alpha Shop")
	e.B = coretest.MustTenant(t, svc, "Beta Shop")
	return e
}

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

func do(t *testing.T, method, url string, headers map[string]string, body string) *resp {
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
