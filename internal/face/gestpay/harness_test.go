package gestpay_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/server"
)

// env is the real stack (a database of one engine, the core with the
// sandbox processor, the full server) behind a plain-HTTP loopback server,
// with two shops A and B whose applications take sandbox cards.
type env struct {
	t    testing.TB
	URL  string // http://127.0.0.1:…
	Svc  *core.Service
	Clk  *coretest.Clock
	A, B *coretest.Tenant
	h    http.Handler
	logs *logBuffer // everything the server logged
}

// logBuffer keeps what the server logs, for tests that read it (no card
// number may ever be there).
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// expectNotLogged fails if the server logged any of secrets.
func (e *env) expectNotLogged(secrets ...string) {
	e.t.Helper()
	logs := e.logs.String()
	if logs == "" {
		e.t.Fatal("nothing was logged: the check would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			e.t.Errorf("the log holds %q", s)
		}
	}
}

func newEnv(t testing.TB, engine string) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(coretest.Start)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + ts.Listener.Addr().String()
	svc, err := core.New(context.Background(), db, log, clk.Now, core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID))),
		PublicURL:  publicURL, RoutingSeed: 1, Webhooks: core.WebhookConfig{AllowPrivate: true},
		Rates: core.RateConfig{Source: rates.NewSandbox(clk.Now)}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, URL: publicURL, Svc: svc, Clk: clk, logs: logs}
	e.h = server.New(server.Config{MaxBodyBytes: 256 << 10}, svc, log, server.NewMetrics())
	ts.Config.Handler = e.h
	ts.Start()
	t.Cleanup(ts.Close)
	e.A = coretest.MustSandboxTenant(t, svc, "Alpha Shop")
	e.B = coretest.MustSandboxTenant(t, svc, "Beta Shop")
	return e
}

const cryptPath = "/gestpay/gestpayws/WSCryptDecrypt.asmx"

// soap11 wraps an operation's XML in a SOAP 1.1 envelope as PHP writes it.
func soap11(op string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="https://ecomm.sella.it/"><SOAP-ENV:Body>` +
		op + `</SOAP-ENV:Body></SOAP-ENV:Envelope>`
}

// post sends body to path with the headers given; it returns the status,
// the Content-Type and the body.
func (e *env) post(path, body string, header ...string) (int, string, string) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

// result is a GestPayCryptDecrypt (or WSs2s's GestPayS2S) read back: its elements by name (Buyer's
// children as Buyer.BuyerName …).
type result map[string]string

// readResult reads the GestPayCryptDecrypt of an answer.
func readResult(t testing.TB, body string) result {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	out := result{}
	var path []string
	in := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("answer is not XML: %v\n%s", err, body)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if tk.Name.Local == "GestPayCryptDecrypt" || tk.Name.Local == "GestPayS2S" {
				if tk.Name.Space != "" {
					t.Fatalf("GestPayCryptDecrypt in namespace %q:\n%s", tk.Name.Space, body)
				}
				in = true
				continue
			}
			if in {
				path = append(path, tk.Name.Local)
				out[strings.Join(path, ".")] = ""
			}
		case xml.CharData:
			if in && len(path) > 0 {
				out[strings.Join(path, ".")] += string(tk)
			}
		case xml.EndElement:
			if tk.Name.Local == "GestPayCryptDecrypt" || tk.Name.Local == "GestPayS2S" {
				in = false
			} else if in {
				path = path[:len(path)-1]
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no GestPayCryptDecrypt in:\n%s", body)
	}
	return out
}

// encrypt calls Encrypt over SOAP 1.1 with the children given (name, value
// pairs, in that order) and returns its result.
func (e *env) encrypt(kv ...string) result {
	e.t.Helper()
	return e.call("Encrypt", kv...)
}

// call calls a WSCryptDecrypt operation over SOAP 1.1 as PHP writes it.
func (e *env) call(op string, kv ...string) result {
	e.t.Helper()
	return e.soapCall(cryptPath, "https://ecomm.sella.it/", op, kv...)
}

// soapCall calls operation op of the service at path, whose namespace is
// ns, with the children given (name, value pairs, in that order), and
// returns its result element.
func (e *env) soapCall(path, ns, op string, kv ...string) result {
	e.t.Helper()
	var b strings.Builder
	b.WriteString("<ns1:" + op + ">")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<ns1:" + kv[i] + ">")
		_ = xml.EscapeText(&b, []byte(kv[i+1]))
		b.WriteString("</ns1:" + kv[i] + ">")
	}
	b.WriteString("</ns1:" + op + ">")
	env := strings.Replace(soap11(b.String()), `xmlns:ns1="https://ecomm.sella.it/"`, `xmlns:ns1="`+ns+`"`, 1)
	status, ctype, body := e.post(path, env, "SOAPAction", `"`+ns+op+`"`)
	if status != 200 || !strings.HasPrefix(ctype, "text/xml") || !strings.Contains(body, "<"+op+"Response") {
		e.t.Fatalf("%s: %d %s\n%s", op, status, ctype, body)
	}
	return readResult(e.t, body)
}

// order is a valid Encrypt of shop ten.
func order(ten *coretest.Tenant, extra ...string) []string {
	return append([]string{"shopLogin", ten.App.ShopLogin, "uicCode", "242", "amount", "10.50",
		"shopTransactionId", "ORD-1", "apikey", ten.App.APIKey}, extra...)
}

// orderOf is a valid Encrypt of shop ten for reference ref and amount.
func orderOf(ten *coretest.Tenant, ref, amount string) []string {
	return []string{"shopLogin", ten.App.ShopLogin, "uicCode", "242", "amount", amount,
		"shopTransactionId", ref, "apikey", ten.App.APIKey}
}

// mustEncrypt encrypts and wants OK.
func (e *env) mustEncrypt(kv ...string) string {
	e.t.Helper()
	r := e.encrypt(kv...)
	if r["TransactionResult"] != "OK" || r["ErrorCode"] != "0" || r["CryptDecryptString"] == "" {
		e.t.Fatalf("Encrypt: %v", r)
	}
	return r["CryptDecryptString"]
}
