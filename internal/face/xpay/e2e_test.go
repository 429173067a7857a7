package xpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/worker"
)

// shop is a shop's callback receiver (the plugins' ?ipn-xpay= URL): it
// keeps every JSON body it is posted.
type shop struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
	heads  []http.Header
}

func newShop(t *testing.T) *shop {
	s := &shop{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && dec.Decode(&m) == nil {
			s.mu.Lock()
			s.bodies = append(s.bodies, m)
			s.heads = append(s.heads, r.Header.Clone())
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

// wait returns the first callback about transaction id with status st.
func (s *shop) wait(t *testing.T, id any, st string) (map[string]any, http.Header) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		for i, b := range s.bodies {
			if b["id"] == id && b["status"] == st {
				s.mu.Unlock()
				return b, s.heads[i]
			}
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no callback of transaction %v with status %s", id, st)
	return nil, nil
}

// deliver runs the webhook deliverer with the gateway's formats for the
// rest of the test.
func (e *env) deliver() {
	d := &worker.Deliverer{Svc: e.Svc, Renderers: server.Renderers(publicURL, nil), AllowPrivate: true, Poll: 5 * time.Millisecond}
	d.Start(context.Background())
	e.t.Cleanup(d.Stop)
}

// TestPluginSequence plays the shop plugin's sequence against the running
// server: login, users/, quotes, create with a float amount and a string
// exchange id, pay the address on the sandbox chain, verifying, mine,
// approved with the callback received and amount_to_paid unchanged, a
// second transaction cancelled; then an under-payment (adjustment), a late
// payment and an expiry (both rejected).
func TestPluginSequence(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.deliver()
		sh := newShop(t)
		plugin := map[string]string{"Accept": "*/*", "User-Agent": ""}
		r := e.Do("POST", "/auth/login/", plugin, `{"email":"`+e.A.Admin.Email+`","password":"`+coretest.Password+`"}`)
		key, _ := r.JSON["key"].(string)
		h := token(key, "Accept", "*/*", "User-Agent", "")
		if r := e.Do("GET", "/users/", h, ""); r.JSON["user_info"] == nil {
			t.Fatalf("users/: %s", r.Body)
		}
		r = e.Do("GET", "/transactions/available/currencies/150000.30/COP/", h, "")
		q := r.JSON["available_currencies"].([]any)[0].(map[string]any)
		body := `{"tgt_currency":"COP","src_currency":"BTC","amount":150000.30000000002,"exchange_id":"` + string(q["exchange"].(json.Number)) +
			`","callback":"` + strings.ReplaceAll(sh.URL+"/?ipn-xpay=42", "/", `\/`) + `"}`
		tx := e.MustCreate(key, body)
		if tx["amount_to_paid"] != q["amount"] {
			t.Errorf("quoted %v, due %v", q["amount"], tx["amount_to_paid"])
		}
		id, due, wallet := tx["id"], tx["amount_to_paid"].(string), tx["wallet"].(string)
		// url opens the hosted deposit page with the address to pay.
		page, err := http.Get(strings.Replace(tx["url"].(string), publicURL, e.Server, 1))
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if page.StatusCode != http.StatusOK || !strings.Contains(string(html), wallet) {
			t.Errorf("deposit page %s: %d", tx["url"], page.StatusCode)
		}
		cb, _ := sh.wait(t, id, "sending")
		if cb["amount_to_paid"] != due || cb["wallet"] != wallet || cb["callback"] != sh.URL+"/?ipn-xpay=42" {
			t.Errorf("callback: %v", cb)
		}

		e.Send(e.A, wallet, due)
		got := e.MustStatus(key, id, "verifying")
		if got["transaction_status_code"] != json.Number("1") || got["amount_received"] != due {
			t.Errorf("verifying: %v", got)
		}
		sh.wait(t, id, "verifying")
		e.Mine(e.A, 1)
		got = e.MustStatus(key, id, "approved")
		if got["amount_to_paid"] != due || got["transaction_status_code"] != json.Number("4") {
			t.Errorf("approved: %v", got)
		}
		cb, head := sh.wait(t, id, "approved")
		if cb["amount_to_paid"] != due || head.Get("Webhook-Signature") == "" || head.Get("Webhook-Id") == "" {
			t.Errorf("approved callback: %v %v", cb, head)
		}
		// The shop re-reads, as every plugin does, and compares the amount.
		if e.MustStatus(key, id, "approved")["amount_to_paid"] != due {
			t.Error("amount_to_paid moved")
		}

		second := e.MustCreate(key, body)
		r = e.Do("POST", "/transactions/cancel/"+string(second["id"].(json.Number))+"/", h, "")
		if r.Status != http.StatusOK || r.JSON["status"] != "canceled" {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		sh.wait(t, second["id"], "canceled")

		// Under-payment: half the amount, confirmed → adjustment; what
		// arrived is shown beside the unchanged amount due.
		under := e.MustCreate(key, body)
		e.Send(e.A, under["wallet"].(string), "0.003")
		e.Mine(e.A, 1)
		got = e.MustStatus(key, under["id"], "adjustment")
		if got["amount_to_paid"] != under["amount_to_paid"] || got["amount_received"] != "0.00300000" || got["transaction_status_code"] != json.Number("2") {
			t.Errorf("adjustment: %v", got)
		}
		sh.wait(t, under["id"], "adjustment")

		// Expiry: nobody pays within the waiting time.
		expired := e.MustCreate(key, body)
		// Late payment: paid after the waiting time.
		late := e.MustCreate(key, body)
		e.Clock.Advance(1201 * time.Second)
		e.Send(e.A, late["wallet"].(string), late["amount_to_paid"].(string))
		got = e.MustStatus(key, late["id"], "rejected")
		if got["transaction_status_code"] != json.Number("5") || got["amount_to_paid"] != late["amount_to_paid"] {
			t.Errorf("late: %v", got)
		}
		if _, err := e.Svc.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.MustStatus(key, expired["id"], "rejected")
		sh.wait(t, expired["id"], "rejected")
		sh.wait(t, late["id"], "rejected")
	})
}

// TestPHPPlugin runs the PHP client written the way the shop plugins use
// curl (testdata/clients/plugin.php) against the running server.
func TestPHPPlugin(t *testing.T) {
	t.Parallel()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not installed: apt-get install php-cli php-curl (.ci/run does)")
	}
	if out, err := exec.Command(php, "-r", `exit(function_exists("curl_init") ? 0 : 1);`).CombinedOutput(); err != nil {
		t.Skipf("php has no curl extension (apt-get install php-curl): %s", out)
	}
	e := newEnv(t, "sqlite")
	e.deliver()
	sh := newShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, "testdata/clients/plugin.php", e.Server+"/xpay/", e.A.Admin.Email, coretest.Password,
		sh.URL+"/?ipn-xpay=42", e.Server, e.A.App.APIKey)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !strings.HasSuffix(string(out), "ok\n") {
		t.Fatalf("plugin.php: %v", err)
	}
	for _, want := range []string{`"amount":150000.30000000002`, `"exchange_id":"1"`, "create: ", " sending ", "read: approved", "cancel: ", "swapped: 2002 amount"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output has no %q", want)
		}
	}
	sh.wait(t, json.Number("1"), "approved")
}
