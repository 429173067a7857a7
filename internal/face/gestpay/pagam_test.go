package gestpay_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// buyer is a browser without JavaScript: cookies kept, redirects read one
// at a time.
type buyer struct {
	e *env
	c *http.Client
}

func (e *env) buyer() *buyer {
	jar, _ := cookiejar.New(nil)
	return &buyer{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends one request (a form when form is not nil) and returns the
// status, the Location and the body.
func (b *buyer) do(method, u string, form url.Values) (int, string, string) {
	b.e.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.URL + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(out)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// pay opens pagam.aspx for string s of shop ten and pays with card number;
// it returns where the page sends the browser after the attempt.
func (b *buyer) pay(ten *coretest.Tenant, s, number string) string {
	b.e.t.Helper()
	status, loc, body := b.do("GET", "/gestpay/pagam/pagam.aspx?a="+ten.App.ShopLogin+"&b="+s, nil)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/") {
		b.e.t.Fatalf("pagam.aspx: %d %q\n%s", status, loc, body)
	}
	status, _, body = b.do("GET", loc, nil)
	m := csrfField.FindStringSubmatch(body)
	if status != 200 || m == nil {
		b.e.t.Fatalf("checkout: %d\n%s", status, body)
	}
	status, next, body := b.do("POST", loc, url.Values{"csrf": {m[1]}, "name": {"Mario Rossi"}, "number": {number},
		"exp": {"05/35"}, "cvc": {"999"}})
	if status != http.StatusSeeOther {
		b.e.t.Fatalf("pay: %d\n%s", status, body)
	}
	return next
}

func TestPaymentPage(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		t.Run("paid: the shop's result string decrypts OK", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-OK", "12.00")...)
			b := e.buyer()
			next := b.pay(e.A, s, "5364000000000987") // Gestpay's test card
			if !strings.Contains(next, "/gestpay/pagam/esito.aspx?a="+e.A.App.ShopLogin) {
				t.Fatalf("after paying: %q", next)
			}
			// No positive URL set: the buyer reads the outcome on the page.
			status, _, body := b.do("GET", next, nil)
			if status != 200 || !strings.Contains(body, "Pagamento eseguito") || !strings.Contains(body, "PAGE-OK") {
				t.Fatalf("esito: %d\n%s", status, body)
			}
			r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != "OK" || r["Amount"] != "12.00" || len(r["AuthorizationCode"]) != 6 {
				t.Fatalf("Decrypt: %v", r)
			}
			// The string has served: the page refuses it now.
			status, _, body = b.do("GET", "/gestpay/pagam/pagam.aspx?a="+e.A.App.ShopLogin+"&b="+s, nil)
			if status != 400 || !strings.Contains(body, "1137") {
				t.Fatalf("pagam.aspx again: %d\n%s", status, body)
			}
		})
		t.Run("a token when the shop asks for one", func(t *testing.T) {
			for _, c := range []struct{ ref, asked string }{{"TOK-1", "MASKEDPAN"}, {"TOK-2", "my-own-token-7"}} {
				s := e.mustEncrypt(append(orderOf(e.A, c.ref, "5.00"), "requestToken", c.asked)...)
				e.buyer().pay(e.A, s, "4775718800002026")
				r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
				tok := r["TOKEN"]
				if c.asked == "MASKEDPAN" {
					if len(tok) != 16 || tok[:2] != "47" || tok[12:] != "2026" || strings.Contains(tok, "7188") {
						t.Errorf("TOKEN %q", tok)
					}
				} else if tok != c.asked {
					t.Errorf("TOKEN %q, want the shop's %q", tok, c.asked)
				}
				if r["MaskedPAN"] != "477571******2026" || r["TokenExpiryMonth"] != "05" || r["TokenExpiryYear"] != "35" ||
					r["PaymentMethod"] != "VISA" {
					t.Errorf("Decrypt: %v", r)
				}
			}
			// The token Decrypt answered charges the card through WSs2s.
			s := e.mustEncrypt(append(orderOf(e.A, "TOK-4", "6.00"), "requestToken", "MASKEDPAN")...)
			e.buyer().pay(e.A, s, "4775718800002026")
			tok := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)["TOKEN"]
			if again := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)["TOKEN"]; again != tok {
				t.Errorf("Decrypt twice: tokens %q and %q", tok, again)
			}
			r := e.s2s("callPagamS2S", "shopLogin", e.A.App.ShopLogin, "apikey", e.A.App.APIKey, "uicCode", "242",
				"amount", "7.00", "shopTransactionId", "TOK-4-AGAIN", "tokenValue", tok)
			if r["TransactionResult"] != "OK" || r["MaskedPAN"] != "477571******2026" {
				t.Errorf("callPagamS2S with Decrypt's token: %v", r)
			}
			// No token unasked.
			s = e.mustEncrypt(orderOf(e.A, "TOK-3", "5.00")...)
			e.buyer().pay(e.A, s, "4775718800002026")
			if r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey); r["TOKEN"] != "" {
				t.Errorf("a token nobody asked for: %v", r)
			}
		})
		t.Run("declined: one attempt, then KO 74", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-KO", "12.00")...)
			b := e.buyer()
			next := b.pay(e.A, s, "5432123456789012") // Gestpay's refused card
			status, _, body := b.do("GET", next, nil)
			if status != 200 || !strings.Contains(body, "Pagamento non riuscito") || !strings.Contains(body, "74") {
				t.Fatalf("esito: %d\n%s", status, body)
			}
			r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != "74" || r["ErrorDescription"] != "Autorizzazione negata" {
				t.Fatalf("Decrypt: %v", r)
			}
		})
		t.Run("cancel link abandons: KO 1143", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-AB", "12.00")...)
			b := e.buyer()
			_, loc, _ := b.do("GET", "/gestpay/pagam/pagam.aspx?a="+e.A.App.ShopLogin+"&b="+s, nil)
			_, _, body := b.do("GET", loc, nil)
			m := regexp.MustCompile(`href="([^"]*esito\.aspx[^"]*)"`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no cancel link:\n%s", body)
			}
			cancel := strings.ReplaceAll(m[1], "&amp;", "&")
			// Neither a HEAD of the cancel link (a link checker's) nor the
			// return address reached before paying abandons the payment.
			if status, _, _ := b.do("HEAD", cancel, nil); status != 200 {
				t.Fatalf("HEAD of the cancel link: %d", status)
			}
			r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != "XX" {
				t.Fatalf("after a HEAD of the cancel link: %v", r)
			}
			id, _ := strconv.ParseInt(r["BankTransactionID"], 10, 64)
			d, err := e.Svc.GetPayment(e.A.AppCtx(context.Background()), e.A.App.ID, id)
			if err != nil || d.ReturnURL == d.CancelURL {
				t.Fatalf("return and cancel addresses: %v %v", d, err)
			}
			if status, loc, _ := b.do("GET", d.ReturnURL, nil); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/") {
				t.Fatalf("the return address before paying: %d %q", status, loc)
			}
			status, _, body := b.do("GET", cancel, nil)
			if status != 200 || !strings.Contains(body, "1143") {
				t.Fatalf("esito: %d\n%s", status, body)
			}
			r = e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != "1143" ||
				r["ErrorDescription"] != "Transazione abbandonata dal compratore" {
				t.Fatalf("Decrypt: %v", r)
			}
		})
		t.Run("refusals of the page", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-ERR", "1.00")...)
			shop := e.A.App.ShopLogin
			for _, c := range []struct {
				name, method, query string
				form                url.Values
				code                string
			}{
				{"no a", "GET", "b=" + s, nil, "1130"},
				{"no b", "GET", "a=" + shop, nil, "1133"},
				{"empty b", "GET", "a=" + shop + "&b=", nil, "1134"},
				{"extra parameter", "GET", "a=" + shop + "&b=" + s + "&c=1", nil, "1135"},
				{"b twice", "GET", "a=" + shop + "&b=" + s + "&b=" + s, nil, "1135"},
				{"unknown shop", "GET", "a=NOSUCHSHOP&b=" + s, nil, "1131"},
				{"altered string", "GET", "a=" + shop + "&b=" + s[:len(s)-2] + "AA", nil, "1136"},
				{"another shop's string", "GET", "a=" + e.B.App.ShopLogin + "&b=" + s, nil, "1136"},
				{"post with an extra query parameter", "POST", "x=1", url.Values{"a": {shop}, "b": {s}}, "1135"},
			} {
				status, _, body := e.buyer().do(c.method, "/gestpay/pagam/pagam.aspx?"+c.query, c.form)
				if status != 400 || !strings.Contains(body, c.code) {
					t.Errorf("%s: %d\n%s", c.name, status, body)
				}
			}
			// A form POST as shops send it, with their submit button.
			status, loc, body := e.buyer().do("POST", "/gestpay/pagam/pagam.aspx", url.Values{"a": {shop}, "b": {s}, "Pay": {"Pay"}})
			if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/pay/") {
				t.Errorf("POST form: %d %q\n%s", status, loc, body)
			}
			// Paths in any case, as IIS served them.
			status, _, _ = e.buyer().do("GET", "/gestpay/PAGAM/Pagam.aspx?a="+shop+"&b="+s, nil)
			if status != http.StatusSeeOther {
				t.Errorf("miscased path: %d", status)
			}
		})
		t.Run("the shop's positive and negative URLs get a and b", func(t *testing.T) {
			ctx := context.Background()
			if _, err := e.Svc.UpdateApplication(e.B.AdminCtx(ctx), e.B.App.ID, core.ApplicationInput{
				SuccessURL: pasarela.Set("https://shop.example/ok"), FailureURL: pasarela.Set("https://shop.example/?wc-api=ko"),
				Language: pasarela.Set("en")}, false); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ ref, card, prefix, result, code, desc string }{
				{"URL-OK", "4775718800002026", "https://shop.example/ok?a=", "OK", "0", "Transaction correctly processed"},
				{"URL-KO", "5432123456789012", "https://shop.example/?wc-api=ko&a=", "KO", "74", "Authorization denied"},
			} {
				s := e.mustEncrypt(orderOf(e.B, c.ref, "9.99")...)
				b := e.buyer()
				status, loc, body := b.do("GET", b.pay(e.B, s, c.card), nil)
				if status != http.StatusSeeOther || !strings.HasPrefix(loc, c.prefix+e.B.App.ShopLogin+"&b=") {
					t.Fatalf("%s: esito %d %q\n%s", c.ref, status, loc, body)
				}
				u, _ := url.Parse(loc)
				bb := u.Query().Get("b")
				if bb == s {
					t.Errorf("%s: the result string is the request's", c.ref)
				}
				// The shop speaks English: so do its answers.
				r := e.call("Decrypt", "shopLogin", e.B.App.ShopLogin, "CryptedString", bb, "apikey", e.B.App.APIKey)
				if r["TransactionResult"] != c.result || r["ErrorCode"] != c.code || r["ErrorDescription"] != c.desc {
					t.Errorf("%s: Decrypt %v", c.ref, r)
				}
			}
			// A payment page of an English shop is in English.
			s := e.mustEncrypt(orderOf(e.B, "URL-EN", "1.00")...)
			_, loc, _ := e.buyer().do("GET", "/gestpay/pagam/pagam.aspx?a="+e.B.App.ShopLogin+"&b="+s, nil)
			if _, _, body := e.buyer().do("GET", loc, nil); !strings.Contains(body, `lang="en"`) {
				t.Errorf("the page of an English shop:\n%s", body)
			}
			if r := e.encrypt(orderOf(e.B, "URL-EN", "-1")...); r["ErrorDescription"] != "Not numeric amount" {
				t.Errorf("Encrypt error in English: %v", r)
			}
		})
		t.Run("a string nobody paid in a day expires: KO 1143", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-LATE", "1.00")...)
			e.Clk.Advance(25 * time.Hour)
			status, _, body := e.buyer().do("GET", "/gestpay/pagam/pagam.aspx?a="+e.A.App.ShopLogin+"&b="+s, nil)
			if status != 400 || !strings.Contains(body, "1137") {
				t.Fatalf("pagam.aspx after a day: %d\n%s", status, body)
			}
			r := e.call("Decrypt", "shopLogin", e.A.App.ShopLogin, "CryptedString", s, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != "1143" {
				t.Fatalf("Decrypt of an expired payment: %v", r)
			}
		})
		t.Run("esito refuses strings it did not make", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "PAGE-ES", "1.00")...)
			status, _, body := e.buyer().do("GET", "/gestpay/pagam/esito.aspx?a="+e.A.App.ShopLogin+"&b="+s, nil)
			if status != 400 || !strings.Contains(body, "1136") {
				t.Errorf("a request string at esito: %d\n%s", status, body)
			}
		})
	})
}
