//go:build crashtest

package main

// The crash test (make crashtest; .ci/run runs its short form): the real
// binary serves on SQLite and on PostgreSQL while clients create, pay,
// capture and refund payments, each write with an idempotency key that the
// client retries until it is answered, as a careful client does. The
// server is killed with SIGKILL three times mid-load and started again.
// Then every acknowledged write must be there, every idempotency key must
// replay its first answer, no payment may exist twice, the reconciler must
// settle what was in flight, and `pasarela ledger verify` must pass.
//
// CRASHTEST_PHASE sets how long the load runs between kills (default 4 s;
// the CI's short form uses 1500ms).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// binary is the pasarela binary both tests run, built once.
var binary struct {
	once sync.Once
	path string
	err  error
}

func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "pasarela-crash")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "pasarela")
		if out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

func TestCrash(t *testing.T) {
	phase := 4 * time.Second
	if v := os.Getenv("CRASHTEST_PHASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CRASHTEST_PHASE: %v", err)
		}
		phase = d
	}
	bin := buildBinary(t)
	engines := []string{"sqlite"}
	if os.Getenv(pgtest.Env) != "" {
		engines = append(engines, "postgres")
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := "sqlite:" + filepath.Join(dir, "pasarela.db")
			if engine == "postgres" {
				db = pgtest.ServerDSN(pgtest.Schema(t))
			}
			c := &crashRig{t: t, bin: bin, dir: dir, env: append(os.Environ(), "PASARELA_DB="+db,
				"PASARELA_SECRET_KEY_FILE="+filepath.Join(dir, "pasarela.key"))}
			c.run(phase)
		})
	}
}

// crashRig is one engine's run: the server process and the client's
// record of every write the server acknowledged.
type crashRig struct {
	t        *testing.T
	bin, dir string
	env      []string
	addr     string
	srv      *exec.Cmd
	key      string
	app      int64
	client   *http.Client

	mu       sync.Mutex
	payments map[string]ackPayment // idempotency key → the first answer
	captured map[int64]bool
	refunds  map[string]ackRefund
	what     string       // what was done to the server, for the summary
	attempts atomic.Int64 // requests sent
	failed   atomic.Int64 // requests that got no answer (server down)
}

type ackPayment struct {
	ID     int64
	Amount string
	Body   string // the request's body, to replay
	Token  string
}

type ackRefund struct {
	ID        int64
	PaymentID int64
	Body      string
}

func (c *crashRig) command(args ...string) []byte {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		c.t.Fatalf("pasarela %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return out
}

func (c *crashRig) start() {
	c.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	if c.addr == "" {
		c.addr = ln.Addr().String()
	}
	ln.Close()
	log, err := os.OpenFile(filepath.Join(c.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	c.srv = exec.Command(c.bin, "serve", "--addr", c.addr, "--reconcile-after", "2s")
	c.srv.Env, c.srv.Stdout, c.srv.Stderr = c.env, log, log
	if err := c.srv.Start(); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := c.client.Get("http://" + c.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the server did not get ready: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *crashRig) kill() {
	_ = c.srv.Process.Signal(syscall.SIGKILL)
	_ = c.srv.Wait()
}

func (c *crashRig) stop() {
	_ = c.srv.Process.Signal(syscall.SIGTERM)
	_ = c.srv.Wait()
}

func (c *crashRig) run(phase time.Duration) {
	c.setup()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { c.drive(ctx, w) })
	}
	c.what = "3 kills -9"
	for kill := 1; kill <= 3; kill++ {
		time.Sleep(phase)
		c.kill()
		time.Sleep(200 * time.Millisecond) // clients hit a dead server meanwhile
		c.start()
	}
	time.Sleep(phase)
	cancel()
	wg.Wait()
	c.check()
}

// setup makes the tenant with the commands an operator uses, starts the
// server and configures the sandbox gateway to authorise and capture
// apart.
func (c *crashRig) setup() {
	t := c.t
	c.client = &http.Client{Timeout: 10 * time.Second}
	c.payments, c.captured, c.refunds = map[string]ackPayment{}, map[int64]bool{}, map[string]ackRefund{}
	c.command("migrate")
	var client struct{ Client struct{ ID string } }
	mustJSON(t, c.command("client", "create", "--name", "Crash Shop", "--email", "crash@example.com",
		"--password", "Crash-test-9!", "--json"), &client)
	var app struct {
		Application struct {
			ID     int64
			APIKey string `json:"apiKey"`
		}
	}
	out := c.command("app", "create", "--client", client.Client.ID, "--name", "crash", "--json")
	mustJSON(t, out, &app)
	c.key, c.app = app.Application.APIKey, app.Application.ID
	if c.key == "" || c.app == 0 {
		t.Fatalf("app create answered %s", out)
	}
	c.start()
	t.Cleanup(func() {
		if c.srv.ProcessState == nil {
			c.kill() // a test that failed midway leaves no server behind
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, "serve.log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("server log tail:\n%s", b)
		}
	})
	// The gateway config is the admin's to create (OAuth2 password grant).
	res, err := c.client.PostForm("http://"+c.addr+"/oauth/token", url.Values{"grant_type": {"password"},
		"username": {"crash@example.com"}, "password": {"Crash-test-9!"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	mustJSON(t, b, &tok)
	req, _ := http.NewRequest("POST", "http://"+c.addr+c.appPath()+"/gateway",
		strings.NewReader(`{"gatewayConfig":{"gateway":"sandbox","name":"Cards","config":{"capture":"manual"}}}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	if res, err = c.client.Do(req); err != nil || res.StatusCode != 201 {
		t.Fatalf("gateway config: %v %v", res, err)
	}
	res.Body.Close()
}

func (c *crashRig) appPath() string { return "/application/" + strconv.FormatInt(c.app, 10) }

// do sends one request with the application's key; status 0 is no answer.
func (c *crashRig) do(method, path, idemKey, body string) (int, http.Header, []byte) {
	c.attempts.Add(1)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://"+c.addr+path, rd)
	req.Header.Set("X-Auth-Token", c.key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := c.client.Do(req)
	if err != nil {
		c.failed.Add(1)
		return 0, nil, nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.failed.Add(1)
		return 0, nil, nil
	}
	return res.StatusCode, res.Header, b
}

// retry repeats a request until the server answers other than 5xx or with
// no answer: the same idempotency key every time, as a careful client does.
func (c *crashRig) retry(ctx context.Context, method, path, idemKey, body string) (int, http.Header, []byte) {
	for {
		status, h, b := c.do(method, path, idemKey, body)
		if status != 0 && status < 500 {
			return status, h, b
		}
		if ctx.Err() != nil {
			// The load is over; the server is up: one last answer.
			if status, h, b := c.do(method, path, idemKey, body); status != 0 && status < 500 {
				return status, h, b
			}
			return status, h, b
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// drive runs payments through their life until ctx ends.
func (c *crashRig) drive(ctx context.Context, w int) {
	for n := 0; ctx.Err() == nil; n++ {
		key := fmt.Sprintf("crash-%d-%d-%s", w, n, rand.Text()[:8])
		amount := strconv.Itoa(1000 + n%97*10)
		body := `{"payment":{"amount":"` + amount + `","currency":"EUR","description":"` + key + `"}}`
		status, _, b := c.retry(ctx, "POST", c.appPath()+"/payment", key, body)
		if status != 201 {
			continue
		}
		var p struct {
			ID    int64
			Links []struct{ Rel, Href string }
		}
		if json.Unmarshal(b, &p) != nil || p.ID == 0 {
			c.t.Errorf("create answered %s", b)
			return
		}
		token := ""
		for _, l := range p.Links {
			if l.Rel == "payment" {
				u, _ := url.Parse(l.Href)
				token = strings.TrimPrefix(u.Path, "/pay/")
			}
		}
		c.mu.Lock()
		c.payments[key] = ackPayment{ID: p.ID, Amount: amount, Body: body, Token: token}
		c.mu.Unlock()
		if n%4 == 3 || !c.pay(ctx, token) {
			continue // some payments stay pending
		}
		path := c.appPath() + "/payment/" + strconv.FormatInt(p.ID, 10)
		if status, _, _ := c.retry(ctx, "POST", path+"/capture", "", ""); status != 200 {
			continue
		}
		c.mu.Lock()
		c.captured[p.ID] = true
		c.mu.Unlock()
		rkey := key + "-refund"
		rbody := `{"refund":{"amount":"500","reason":"crash test"}}`
		status, _, b = c.retry(ctx, "POST", path+"/refund", rkey, rbody)
		if status != 201 {
			continue
		}
		var r struct{ ID int64 }
		if json.Unmarshal(b, &r) != nil || r.ID == 0 {
			c.t.Errorf("refund answered %s", b)
			return
		}
		c.mu.Lock()
		c.refunds[rkey] = ackRefund{ID: r.ID, PaymentID: p.ID, Body: rbody}
		c.mu.Unlock()
	}
}

// pay pays on the hosted page with the Visa test card, as a buyer's
// browser posts the form (the CSRF cookie and field carry one value).
func (c *crashRig) pay(ctx context.Context, token string) bool {
	csrf := base64.RawURLEncoding.EncodeToString([]byte(rand.Text() + rand.Text())[:32])
	form := url.Values{"name": {"Ada"}, "number": {"4242 4242 4242 4242"}, "exp": {"12/45"}, "cvc": {"123"}, "csrf": {csrf}}
	for ctx.Err() == nil {
		req, _ := http.NewRequest("POST", "http://"+c.addr+"/pay/"+token, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "pasarela_csrf", Value: csrf})
		c.attempts.Add(1)
		res, err := c.client.Do(req)
		if err != nil {
			c.failed.Add(1)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode < 500 {
			return res.StatusCode < 400
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// check is what must hold once the dust settles.
func (c *crashRig) check() {
	t := c.t
	// The reconciler settles what a kill left in flight (--reconcile-after 2s).
	deadline := time.Now().Add(30 * time.Second)
	processing, inFlight := -1, -1
	for time.Now().Before(deadline) {
		_, h, _ := c.do("GET", c.appPath()+"/payment?status=processing&limit=1", "", "")
		if h != nil {
			processing, _ = strconv.Atoi(h.Get("X-Total-Count"))
			if inFlight < 0 {
				inFlight = processing
			}
			if processing == 0 {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if processing != 0 {
		t.Errorf("%d payments still processing after the reconciler's time", processing)
	}
	// Every payment, by its description (the key that created it): none
	// twice, and every acknowledged one there.
	seen := map[string]int{}
	total := 0
	for offset := 0; ; offset += 100 {
		status, h, b := c.do("GET", c.appPath()+"/payment?limit=100&sort=id_asc&offset="+strconv.Itoa(offset), "", "")
		if status != 200 {
			t.Fatalf("list: %d %s", status, b)
		}
		var page []struct {
			ID          int64
			Description string
			Status      string
		}
		mustJSON(t, b, &page)
		for _, p := range page {
			seen[p.Description]++
		}
		total, _ = strconv.Atoi(h.Get("X-Total-Count"))
		if len(page) < 100 {
			break
		}
	}
	dups := 0
	for k, n := range seen {
		if n > 1 {
			dups++
			t.Errorf("payment %q exists %d times", k, n)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, p := range c.payments {
		if seen[key] == 0 {
			t.Errorf("acknowledged payment %d (%s) is gone", p.ID, key)
		}
		// The key replays its first answer.
		status, h, b := c.do("POST", c.appPath()+"/payment", key, p.Body)
		var got struct{ ID int64 }
		_ = json.Unmarshal(b, &got)
		if status != 201 || got.ID != p.ID || h.Get("Idempotent-Replayed") != "true" {
			t.Errorf("key %s replays %d id %d (replayed %q), want 201 id %d", key, status, got.ID, h.Get("Idempotent-Replayed"), p.ID)
		}
	}
	for id := range c.captured {
		status, _, b := c.do("GET", c.appPath()+"/payment/"+strconv.FormatInt(id, 10), "", "")
		var p struct{ Status, CapturedAmount string }
		_ = json.Unmarshal(b, &p)
		if status != 200 || p.CapturedAmount == "0" || (p.Status != "completed" && p.Status != "partially_refunded") {
			t.Errorf("captured payment %d: %d %s", id, status, b)
		}
	}
	for key, r := range c.refunds {
		path := c.appPath() + "/payment/" + strconv.FormatInt(r.PaymentID, 10) + "/refund"
		status, h, b := c.do("POST", path, key, r.Body)
		var got struct{ ID int64 }
		_ = json.Unmarshal(b, &got)
		if status != 201 || got.ID != r.ID || h.Get("Idempotent-Replayed") != "true" {
			t.Errorf("refund key %s replays %d id %d, want id %d", key, status, got.ID, r.ID)
		}
		_, _, list := c.do("GET", path, "", "")
		if !bytes.Contains(list, []byte(`"id":`+strconv.FormatInt(r.ID, 10)+`,`)) {
			t.Errorf("acknowledged refund %d is not listed: %s", r.ID, list)
		}
	}
	c.stop()
	out := c.command("ledger", "verify")
	t.Logf("%s: %d payments (%d acknowledged, %d captured, %d refunds), %d duplicates, %d left processing by the kills "+
		"and settled by the reconciler, %d requests (%d unanswered while down), %s; ledger verify: %s", c.t.Name(), total,
		len(c.payments), len(c.captured), len(c.refunds), dups, inFlight, c.attempts.Load(), c.failed.Load(), c.what,
		strings.TrimSpace(string(out)))
	if len(c.payments) == 0 || len(c.captured) == 0 || len(c.refunds) == 0 {
		t.Errorf("the load did too little to prove anything")
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

// TestPostgresRestart: PostgreSQL restarts while the server is under load.
// Meanwhile the server answers 503 (never a 500, never a crash) and
// /readyz says the database is unreachable; once PostgreSQL is back the
// server recovers by itself, and nothing acknowledged is lost (the checks
// of the crash test). It stops the whole cluster, so it runs only when
// PASARELA_TEST_PG_RESTART=1 names a cluster no other test is using at the
// time (.ci/run gives it a step of its own, after make test), and it starts
// the cluster again whatever happens to the test.
func TestPostgresRestart(t *testing.T) {
	if os.Getenv("PASARELA_TEST_PG_RESTART") != "1" {
		t.Skip("set PASARELA_TEST_PG_RESTART=1 (and nothing else on the cluster) to restart PostgreSQL under load")
	}
	versions, _ := filepath.Glob("/etc/postgresql/*")
	if len(versions) == 0 {
		t.Skip("no PostgreSQL cluster under /etc/postgresql to restart")
	}
	version := filepath.Base(versions[0])
	ctl := func(action string, opts ...string) error {
		args := append([]string{"--skip-systemctl-redirect", version, "main", action}, opts...)
		out, err := exec.Command("pg_ctlcluster", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_ctlcluster %s: %v: %s", action, err, out)
		}
		return nil
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	c := &crashRig{t: t, bin: bin, dir: dir, env: append(os.Environ(), "PASARELA_DB="+pgtest.ServerDSN(pgtest.Schema(t)),
		"PASARELA_SECRET_KEY_FILE="+filepath.Join(dir, "pasarela.key"))}
	c.what = "PostgreSQL stopped for about 2 s and started again"
	c.setup()
	// Whatever happens below, the cluster is started again (a start of a
	// running cluster fails harmlessly), before the schema is dropped.
	t.Cleanup(func() {
		_ = ctl("start")
		for range 60 {
			if exec.Command("pg_isready", "-q", "-h", "127.0.0.1").Run() == nil {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() { c.drive(ctx, w) })
	}
	time.Sleep(1500 * time.Millisecond)
	if err := ctl("stop", "-m", "fast"); err != nil { // connections cut at once, as a crash or failover does
		t.Fatal(err)
	}
	// Down: 503s in the face's format, /readyz unavailable, the process up.
	deadline := time.Now().Add(10 * time.Second)
	var ready, create int
	var body []byte
	for time.Now().Before(deadline) {
		res, err := c.client.Get("http://" + c.addr + "/readyz")
		if err != nil {
			t.Fatalf("/readyz while PostgreSQL is down: %v (did the server die?)", err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		ready = res.StatusCode
		create, _, _ = c.do("POST", c.appPath()+"/payment", "", `{"payment":{"amount":"100","currency":"EUR"}}`)
		if ready == 503 && create == 503 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ready != 503 || !bytes.Contains(body, []byte(`"database":"unreachable"`)) || create != 503 {
		t.Errorf("while PostgreSQL is down: /readyz %d %s, a create %d; want 503 and 503", ready, body, create)
	}
	if c.srv.ProcessState != nil {
		t.Fatal("the server exited while PostgreSQL was down")
	}
	time.Sleep(time.Second)
	if err := ctl("start"); err != nil {
		t.Fatal(err)
	}
	// Back: the server recovers by itself.
	deadline = time.Now().Add(30 * time.Second)
	for {
		res, err := c.client.Get("http://" + c.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not become ready again after PostgreSQL came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	cancel()
	wg.Wait()
	c.check()
}
