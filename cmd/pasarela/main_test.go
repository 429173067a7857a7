package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// MustRun parses args as the command line and runs the command to its
// end, returning what it printed. serve runs until it is stopped: start it
// with MustServe.
func MustRun(t *testing.T, environ []string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd, err := ParseCommand(args, environ, &out, &errOut)
	if err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	if _, ok := cmd.(*ServeCommand); ok {
		t.Fatalf("%v: start serve with MustServe", args)
	}
	if err := cmd.Run(context.Background()); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// MustServe parses args as a serve command line and starts the server as
// serve does, returning once it listens: the server, and what it printed
// (the --demo credentials). It is closed when the test ends.
func MustServe(t *testing.T, environ []string, args ...string) (*Main, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := parseServe(t, environ, &out, &errOut, args...).newMain()
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("run %v: %v\n%s", args, err, errOut.String())
	}
	t.Cleanup(func() { m.Close() })
	return m, out.String()
}

// parseServe parses args, a serve command line.
func parseServe(t *testing.T, environ []string, stdout, stderr io.Writer, args ...string) *ServeCommand {
	t.Helper()
	cmd, err := ParseCommand(args, environ, stdout, stderr)
	if err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	s, ok := cmd.(*ServeCommand)
	if !ok {
		t.Fatalf("%v is not serve but %T", args, cmd)
	}
	return s
}

// runOrStart runs a parsed command as main does, except that a server is
// closed as soon as it listens: for tests of what every command refuses.
func runOrStart(cmd Command) error {
	if s, ok := cmd.(*ServeCommand); ok {
		m := s.newMain()
		err := m.Run(context.Background())
		m.Close()
		return err
	}
	return cmd.Run(context.Background())
}

// testDB returns a new SQLite database, migrated as an operator's first
// `pasarela migrate` makes it: the operator commands other than migrate
// refuse a database that does not exist.
func testDB(t *testing.T) string {
	t.Helper()
	db := emptyDB(t)
	MustRun(t, nil, "migrate", "--db", db)
	return db
}

// emptyDB returns the setting of a SQLite database that does not exist yet.
func emptyDB(t *testing.T) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "pasarela.db")
}

func request(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Auth-Token", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return res.StatusCode, v
}

// TestBootstrap runs the bootstrap contract as a person would: create a
// client and an application with --json, then serve and use the key.
func TestBootstrap(t *testing.T) {
	db := testDB(t)
	out := MustRun(t, nil, "client", "create", "--name", "Cascade", "--email", "Ops@Cascade.example",
		"--password", "Str0ng-pass!", "--code", "com.cascade", "--db", db, "--json")
	var c struct {
		Client struct{ ID, Name, Code string }
		User   struct {
			ID              int64
			Username, Email string
		}
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("client create --json printed %q: %v", out, err)
	}
	if c.Client.ID == "" || c.Client.Name != "Cascade" || c.Client.Code != "com.cascade" || c.User.Email != "ops@cascade.example" || c.User.ID == 0 {
		t.Fatalf("client create: %+v", c)
	}

	out = MustRun(t, nil, "app", "create", "--client", c.Client.ID, "--name", "Web shop", "--db", db, "--json")
	var a struct {
		Application struct {
			ID                      int64
			Name, APIKey, ShopLogin string
		}
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("app create --json printed %q: %v", out, err)
	}
	if a.Application.APIKey == "" || a.Application.ShopLogin == "" || a.Application.Name != "Web shop" {
		t.Fatalf("app create: %+v", a)
	}

	// Settings come from the environment when no flag is given.
	m, _ := MustServe(t, []string{"PASARELA_DB=" + db, "PASARELA_ADDR=127.0.0.1:0", "PASARELA_LOG_FORMAT=json"}, "serve")
	status, body := request(t, "GET", m.URL()+"/application/"+jsonNumber(a.Application.ID), a.Application.APIKey, "")
	if status != 200 || body["name"] != "Web shop" {
		t.Fatalf("GET application: %d %v", status, body)
	}
	if status, _ := request(t, "GET", m.URL()+"/readyz", "", ""); status != 200 {
		t.Fatalf("readyz: %d", status)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestDemo checks that --demo prints credentials whose curl command works,
// on the first start and again on the next one.
func TestDemo(t *testing.T) {
	db := testDB(t)
	for run := 0; run < 2; run++ {
		m, out := MustServe(t, nil, "serve", "--demo", "--db", db, "--addr", "127.0.0.1:0")
		key := regexp.MustCompile(`X-Auth-Token: (psk_[a-z0-9]+)`).FindStringSubmatch(out)
		id := regexp.MustCompile(`/application/(\d+)`).FindStringSubmatch(out)
		if key == nil || id == nil {
			t.Fatalf("demo output lacks the curl command:\n%s", out)
		}
		if status, body := request(t, "GET", m.URL()+"/application/"+id[1], key[1], ""); status != 200 {
			t.Fatalf("run %d: the printed curl fails: %d %v", run, status, body)
		}
		// The dashboard's address and sign-in are printed, and work.
		dash := regexp.MustCompile(`(http://\S+/dashboard/)  sign in as (\S+)(?: \(or \S+\))? with password (\S+)`).FindStringSubmatch(out)
		if dash == nil || dash[1] != m.URL()+"/dashboard/" {
			t.Fatalf("demo output lacks the dashboard:\n%s", out)
		}
		dashboardEnrolTOTP(t, m.URL(), dash[2], dash[3])
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGracefulShutdown closes the server while writes are in flight: every
// write that was acknowledged must be there after a restart.
func TestGracefulShutdown(t *testing.T) {
	db := testDB(t)
	out := MustRun(t, nil, "client", "create", "--name", "Shut", "--email", "shut@example.com",
		"--password", "Str0ng-pass!", "--db", db, "--json")
	var c struct{ Client struct{ ID string } }
	_ = json.Unmarshal([]byte(out), &c)

	// Sixteen clients create applications in a loop until the server goes
	// away; the server is closed once some writes have been acknowledged.
	m, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	url := m.URL()
	token := login(t, url, "shut@example.com", "Str0ng-pass!")
	var mu sync.Mutex
	acked := map[string]bool{}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				name := "app-" + jsonNumber(int64(w)) + "-" + jsonNumber(int64(i))
				req, _ := http.NewRequest("POST", url+"/application", strings.NewReader(`{"application":{"name":"`+name+`"}}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // refused after shutdown began: not acknowledged
				}
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					return
				}
				mu.Lock()
				acked[name] = true
				if len(acked) >= 50 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}(w)
	}
	<-enough
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	m2, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0")
	token = login(t, m2.URL(), "shut@example.com", "Str0ng-pass!")
	stored := map[string]bool{}
	for offset := 0; ; offset += 100 {
		req, _ := http.NewRequest("GET", m2.URL()+"/application?limit=100&offset="+jsonNumber(int64(offset)), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var apps []struct{ Name string }
		err = json.NewDecoder(res.Body).Decode(&apps)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, app := range apps {
			stored[app.Name] = true
		}
		if len(apps) < 100 {
			break
		}
	}
	for name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged application %s lost across shutdown", name)
		}
	}
	t.Logf("%d writes acknowledged before shutdown, all found after restart", len(acked))
}

func login(t *testing.T, base, user, password string) string {
	t.Helper()
	res, err := http.PostForm(base+"/oauth/token", map[string][]string{
		"grant_type": {"password"}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %v", user, res.StatusCode, err)
	}
	return tok.AccessToken
}

// TestSchemaGuards: --no-migrate refuses an unmigrated database, and no
// command runs on a schema newer than the binary knows.
func TestSchemaGuards(t *testing.T) {
	db := emptyDB(t)
	m := parseServe(t, nil, io.Discard, io.Discard, "serve", "--no-migrate", "--db", db, "--addr", "127.0.0.1:0").newMain()
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "pasarela migrate") {
		t.Fatalf("serve --no-migrate on an empty database: %v", err)
	}
	m.Close()

	out := MustRun(t, nil, "migrate", "--db", db)
	if !strings.Contains(out, "created the database's schema at version") {
		t.Fatalf("migrate printed %q", out)
	}
	raw, err := sql.Open("sqlite", strings.TrimPrefix(db, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"migrate"}, {"serve", "--no-migrate", "--addr", "127.0.0.1:0"}} {
		cmd, err := ParseCommand(append(args, "--db", db), nil, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		err = runOrStart(cmd)
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Errorf("%v on a newer schema: %v", args, err)
		}
	}
}

// TestCommandLineErrors: mistakes on the command line are explained.
func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"client", "create", "--name", "x"}, "--email"},
		{[]string{"client", "delete"}, "only subcommand is create"},
		{[]string{"app", "create", "--name", "x"}, "--client"},
		{[]string{"app", "delete"}, "subcommands are create, update and rotate-key"},
		{[]string{"app", "update", "--client", "x"}, "--id"},
		{[]string{"serve", "extra"}, "unexpected argument"},
		{[]string{"migrate", "--name", "x"}, "flag provided but not defined"},
		{[]string{"ledger", "check"}, "only subcommand is verify"},
		{[]string{"balance"}, "only subcommand is credit"},
		{[]string{"webhook", "send"}, "subcommands are verify and listen"},
		{[]string{"bench", "--url", "http://127.0.0.1:8080"}, "pasarela-bench"},
		{[]string{"serve", "--faces", "payrest,gestpay-legacy"}, "--faces"},
	} {
		_, err := ParseCommand(tc.args, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--db", "mysql://x"}, "unknown engine"},
		{[]string{"migrate", "--db", "mysql://x"}, "unknown engine"},
		{[]string{"client", "create", "--name", "x", "--email", "x@example.com", "--password", "weak", "--db", testDB(t)}, "password"},
	} {
		cmd, err := ParseCommand(tc.args, nil, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if err := runOrStart(cmd); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// TestHelp: help prints the usage on standard output; no command at all
// prints it on standard error. Both stop before running anything.
func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if _, err := ParseCommand([]string{"help"}, nil, &out, &errOut); err != errHelp || !strings.Contains(out.String(), "pasarela client create") {
		t.Errorf("help: %v, printed %q", err, out.String())
	}
	out.Reset()
	if _, err := ParseCommand(nil, nil, &out, &errOut); err != errHelp || out.Len() > 0 || !strings.Contains(errOut.String(), "pasarela serve") {
		t.Errorf("no command: %v, printed %q and %q", err, out.String(), errOut.String())
	}
	errOut.Reset()
	if _, err := ParseCommand([]string{"app", "create", "-h"}, nil, &out, &errOut); err != errHelp || !strings.Contains(errOut.String(), "-client") ||
		!strings.Contains(errOut.String(), "-db") {
		t.Errorf("app create -h: %v, printed %q", err, errOut.String())
	}
}

// TestListenerDownIsSignalled: when a listener stops serving on its own (its
// socket closed under it), ListenerDown says so, so the process exits rather
// than run its workers with nothing to answer requests.
func TestListenerDownIsSignalled(t *testing.T) {
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0")
	select {
	case <-m.ListenerDown():
		t.Fatal("ListenerDown before anything stopped")
	default:
	}
	m.ln.Close()
	select {
	case <-m.ListenerDown():
	case <-time.After(10 * time.Second):
		t.Fatal("a listener that stopped serving was not signalled")
	}
}

// TestServeFaces: --faces serves the APIs named and no other; the hosted
// pages and health are served whatever it says.
func TestServeFaces(t *testing.T) {
	t.Parallel()
	m, _ := MustServe(t, nil, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0", "--faces", " Kashpay ")
	for path, want := range map[string]int{
		"/application":                                http.StatusNotFound, // PayREST is not served
		"/sekurepay/api/v1/orders/x":                  http.StatusNotFound,
		"/gestpay/gestpayws/WSCryptDecrypt.asmx?wsdl": http.StatusNotFound,
		"/kashpay/EntitiesServices/getBalance":        http.StatusUnauthorized,
		"/healthz":                                    http.StatusOK,
	} {
		if status, _ := request(t, "GET", m.URL()+path, "", ""); status != want {
			t.Errorf("GET %s: %d, want %d", path, status, want)
		}
	}
}
