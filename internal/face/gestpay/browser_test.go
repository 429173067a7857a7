package gestpay_test

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela/internal/browsertest"
)

// The custom payment page in a real browser: a shop's page on its own
// origin includes js_GestPay.js from the gateway, as merchants do.

// newBrowser starts chromium for a test.
func newBrowser(t *testing.T) (context.Context, *browsertest.Console) {
	return browsertest.New(t, 60*time.Second)
}

// shopPage is a merchant's page as Gestpay's examples write it: it opens
// the payment page, pays when it is ready (or sends the 3-D Secure answer
// it was posted), and on 8006 keeps the TransKey and sends the buyer to
// pagam3d.aspx with its own address unescaped as c. What the calls answer
// is written into #done.
var shopPage = template.Must(template.New("shop").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<script src="{{.Gateway}}/gestpay/pagam/JavaScript/js_GestPay.js"></script></head>
<body data-gateway="{{.Gateway}}" data-shop="{{.Shop}}" data-s="{{.S}}" data-card="{{.Card}}" data-pares="{{.PaRes}}">
<h1>Checkout</h1>
<script>
var d = document.body.dataset;
function done(step, r) {
	var el = document.createElement("pre");
	el.id = "done";
	el.textContent = JSON.stringify({step: step, r: r});
	document.body.appendChild(el);
}
if (typeof BrowserEnabled === "undefined" || !BrowserEnabled) {
	done("enabled", null);
} else {
	GestPay.CreatePaymentPage(d.shop, d.s, function (r) {
		if (r.ErrorCode != 10) {
			done("create", r);
		} else if (d.pares) {
			GestPay.SendPayment({PARes: d.pares, TransKey: sessionStorage.getItem("TransKey")}, function (r) {
				done("pares", r);
			});
		} else {
			GestPay.SendPayment({CC: d.card, EXPMM: "05", EXPYY: "35", CVV2: "123", Name: "Ada Lovelace"}, function (r) {
				if (r.ErrorCode == 8006) {
					sessionStorage.setItem("TransKey", r.TransKey);
					document.location.href = d.gateway + "/gestpay/pagam/pagam3d.aspx?a=" + d.shop + "&b=" + r.VBVRisp +
						"&c=" + document.location.href;
					return;
				}
				done("pay", r);
			});
		}
	});
}
</script></body></html>
`))

// checksPage calls the script's checks, ping before any payment page, and
// CreatePaymentPage with a string the gateway refuses, while a forged
// answer posted by the page itself (not the gateway's iframe) must be
// ignored.
var checksPage = template.Must(template.New("checks").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Checks</title>
<script src="{{.Gateway}}/gestpay/pagam/JavaScript/js_GestPay.js"></script></head>
<body data-shop="{{.Shop}}" data-s="{{.S}}">
<script>
var d = document.body.dataset, out = {};
function code(name, f) { f(function (r) { out[name] = r.ErrorCode + " " + r.ErrorDescription; }); }
code("cc ok", function (cb) { GestPay.checkCC("4242 4242 4242 4242", cb); });
code("cc short", function (cb) { GestPay.checkCC("4242", cb); });
code("cc digit", function (cb) { GestPay.checkCC("4242424242424241", cb); });
code("cc exempt", function (cb) { GestPay.checkCC("5364000000000987", cb); });
code("cvv", function (cb) { GestPay.checkCVV("12", cb); });
code("cvv ok", function (cb) { GestPay.checkCVV("123", cb); });
code("month", function (cb) { GestPay.checkEXPMM("13", cb); });
code("year", function (cb) { GestPay.checkEXPYY("2035", cb); });
code("expired", function (cb) { GestPay.checkEXPDATE("01", "20", cb); });
code("date ok", function (cb) { GestPay.checkEXPDATE("12", "99", cb); });
code("email", function (cb) { GestPay.checkEMAIL("nobody", cb); });
code("email ok", function (cb) { GestPay.checkEMAIL("ada@example.com", cb); });
code("ping first", function (cb) { GestPay.ping(cb); });
// Forged answers, posted by this page (not the iframe) the moment the
// iframe has loaded and asked it whether it is ready, so that they arrive
// before its answer.
new MutationObserver(function (changes) {
	for (var i = 0; i < changes.length; i++) {
		for (var j = 0; j < changes[i].addedNodes.length; j++) {
			var node = changes[i].addedNodes[j];
			if (node.tagName === "IFRAME") {
				node.addEventListener("load", function () {
					for (var id = 1; id < 4; id++) {
						window.postMessage(JSON.stringify({gestpay: 1, id: id, result: {ErrorCode: 10, ErrorDescription: "forged"}}), "*");
					}
				});
			}
		}
	}
}).observe(document.body, {childList: true});
GestPay.CreatePaymentPage(d.shop, d.s + "AA", function (r) {
	out["create"] = r.ErrorCode + " " + r.ErrorDescription;
	GestPay.ping(function (p) {
		out["ping"] = p.ErrorCode + " " + p.ErrorDescription;
		GestPay.getLastAnswer(function (l) {
			out["last"] = l.ErrorCode + " " + l.ErrorDescription;
			var el = document.createElement("pre");
			el.id = "done";
			el.textContent = JSON.stringify(out);
			document.body.appendChild(el);
		});
	});
});
</script></body></html>
`))

// merchant is the shop's web server, on its own loopback origin.
type merchant struct {
	*httptest.Server
	gateway string
	mu      sync.Mutex
	posts   []url.Values // what reached it by POST (pagam3d.aspx's return)
	queries []string     // the query each POST came with
}

func newMerchant(t *testing.T, gateway string) *merchant {
	m := &merchant{gateway: gateway}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		v := map[string]string{"Gateway": m.gateway, "Shop": q.Get("shop"), "S": q.Get("s"), "Card": q.Get("card")}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			m.mu.Lock()
			m.posts = append(m.posts, r.PostForm)
			m.queries = append(m.queries, r.URL.RawQuery)
			m.mu.Unlock()
			v["PaRes"] = r.PostForm.Get("PaRes")
		}
		page := shopPage
		switch r.URL.Path {
		case "/shop":
		case "/checks":
			page = checksPage
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, v)
	}))
	t.Cleanup(m.Close)
	return m
}

// outcome is what the shop's page wrote into #done.
type outcome struct {
	Step string
	R    struct {
		ErrorCode         int
		ErrorDescription  string
		EncryptedString   string
		EncryptedResponse string
		TransKey          string
		VBVRisp           string
	}
}

// waitDone waits for #done and reads it into v.
func waitDone(t *testing.T, ctx context.Context, v any) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("wait for the page's answer on %s: %v", loc, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("done")))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
}

func TestBrowserCustomPaymentPage(t *testing.T) {
	// The engines are the HTTP tests' concern; one browser run is enough.
	e := newEnv(t, "sqlite")
	ctx, con := newBrowser(t)
	m := newMerchant(t, e.URL)
	if strings.TrimPrefix(m.URL, "http://") == strings.TrimPrefix(e.URL, "http://") {
		t.Fatal("the shop and the gateway share an origin")
	}
	shop := e.A.App.ShopLogin
	open := func(path, s, number string) {
		t.Helper()
		u := m.URL + path + "?shop=" + url.QueryEscape(shop) + "&s=" + s + "&card=" + number
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("paid", func(t *testing.T) {
		s := e.mustEncrypt(orderOf(e.A, "WEB-OK", "12.00")...)
		open("/shop", s, "4242424242424242")
		var o outcome
		waitDone(t, ctx, &o)
		if o.Step != "pay" || o.R.ErrorCode != 0 || o.R.EncryptedString == "" || o.R.EncryptedResponse != o.R.EncryptedString ||
			o.R.ErrorDescription != "Transazione correttamente effettuata" {
			t.Fatalf("SendPayment: %+v", o)
		}
		if r := e.decrypt(e.A, o.R.EncryptedString); r["TransactionResult"] != "OK" || r["ShopTransactionID"] != "WEB-OK" {
			t.Fatalf("Decrypt: %v", r)
		}
	})

	t.Run("declined", func(t *testing.T) {
		s := e.mustEncrypt(orderOf(e.A, "WEB-KO", "12.00")...)
		open("/shop", s, "5432123456789012")
		var o outcome
		waitDone(t, ctx, &o)
		if o.Step != "pay" || o.R.ErrorCode != 74 || o.R.EncryptedString == "" {
			t.Fatalf("SendPayment: %+v", o)
		}
		if r := e.decrypt(e.A, o.R.EncryptedString); r["TransactionResult"] != "KO" || r["ErrorCode"] != "74" {
			t.Fatalf("Decrypt: %v", r)
		}
	})

	t.Run("3-D Secure", func(t *testing.T) {
		s := e.mustEncrypt(orderOf(e.A, "WEB-3DS", "30.00")...)
		open("/shop", s, "4556541926187165")
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("approve"))); err != nil {
			t.Fatalf("the issuer's page: %v", err)
		}
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		back := m.URL + "/shop?shop=" + url.QueryEscape(shop) + "&s=" + s + "&card=4556541926187165"
		if !strings.HasPrefix(loc, e.URL+"/gestpay/pagam/pagam3d.aspx?a="+shop+"&b=") || !strings.HasSuffix(loc, "&c="+back) {
			t.Fatalf("at %s, want pagam3d.aspx with c=%s", loc, back)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("approve"))); err != nil {
			t.Fatal(err)
		}
		var o outcome
		waitDone(t, ctx, &o)
		if o.Step != "pares" || o.R.ErrorCode != 0 || o.R.EncryptedString == "" {
			t.Fatalf("SendPayment with PARes: %+v", o)
		}
		if r := e.decrypt(e.A, o.R.EncryptedString); r["TransactionResult"] != "OK" || r["ShopTransactionID"] != "WEB-3DS" {
			t.Fatalf("Decrypt: %v", r)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(m.posts) != 1 || m.posts[0].Get("PaRes") == "" || m.queries[0] != strings.SplitN(back, "?", 2)[1] {
			t.Fatalf("the shop got %v with %v", m.posts, m.queries)
		}
	})

	t.Run("checks, ping and a refused string", func(t *testing.T) {
		s := e.mustEncrypt(orderOf(e.A, "WEB-CHECKS", "1.00")...)
		open("/checks", s, "")
		var out map[string]string
		waitDone(t, ctx, &out)
		want := map[string]string{
			"cc ok":      "0 ",
			"cc short":   "1119 Numero della carta di credito con lunghezza errata",
			"cc digit":   "1120 Carta di credito con check-digit errato",
			"cc exempt":  "0 ",
			"cvv":        "1149 CVV2 mancante o errato",
			"cvv ok":     "0 ",
			"month":      "1124 Mese di scadenza non valido",
			"year":       "1125 Anno di scadenza non valido",
			"expired":    "1126 Data di scadenza superata",
			"date ok":    "0 ",
			"email":      "1127 Indirizzo email del compratore non valido",
			"email ok":   "0 ",
			"ping first": "9992 Errore nella creazione dell'iFrame",
			// No payment, so the gateway's page speaks the browser's
			// language, English here, and the script follows it.
			"create": "1136 Not accepted call: transaction did not begin with a call to server-server cryptography system",
			"ping":   "1111 Ping Back",
			"last":   "1111 Ping Back",
		}
		for k, v := range want {
			if out[k] != v {
				t.Errorf("%s: %q, want %q", k, out[k], v)
			}
		}
	})

	e.expectNotLogged("4242424242424242", "4556541926187165", "5432123456789012")
	con.ExpectClean(t)
}

// TestBrowserReadmeSnippet runs the merchant page the README prints, as
// printed but for the gateway's address, the shop and the string: it must
// pay.
func TestBrowserReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Gestpay face")
	_, snippet, _ := strings.Cut(section, "```html\n")
	snippet, _, ok := strings.Cut(snippet, "```")
	if !ok || !strings.Contains(snippet, "js_GestPay.js") {
		t.Fatal("no merchant page in the README's Gestpay section")
	}
	e := newEnv(t, "sqlite")
	ctx, con := newBrowser(t)
	s := e.mustEncrypt(orderOf(e.A, "README", "10.50")...)
	page := strings.NewReplacer("http://localhost:8080", e.URL, `"GESPAY…"`, `"`+e.A.App.ShopLogin+`"`,
		`"AVIA…"`, `"`+s+`"`).Replace(snippet)
	if page == snippet {
		t.Fatal("the README's page has none of the values to replace")
	}
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/shop.html":
		case "/favicon.ico":
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(shop.Close)
	button := chromedp.CSS("#pay button:not([disabled])")
	if err := chromedp.Do(ctx, chromedp.Navigate(shop.URL+"/shop.html"), chromedp.WaitVisible(button),
		chromedp.Click(button)); err != nil {
		t.Fatal(err)
	}
	var out string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if out, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("out"))); err != nil || out != "" {
			break
		}
	}
	code, enc, _ := strings.Cut(out, "\n")
	if code != "0 Transazione correttamente effettuata" {
		t.Fatalf("the page shows %q", out)
	}
	if r := e.decrypt(e.A, strings.TrimSpace(enc)); r["TransactionResult"] != "OK" || r["ShopTransactionID"] != "README" {
		t.Fatalf("Decrypt: %v", r)
	}
	con.ExpectClean(t)
}
