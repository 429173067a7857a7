package gestpay_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core/coretest"
)

const (
	scriptURL  = "/gestpay/pagam/JavaScript/js_GestPay.js"
	iframeURL  = "/gestpay/pagam/hiddeniframe.aspx"
	sendURL    = "/gestpay/pagam/sendpayment.aspx"
	pagam3dURL = "/gestpay/pagam/pagam3d.aspx"
)

// answer is the JSON the payment endpoint answers.
type answer struct {
	ErrorCode        int
	ErrorDescription string
	EncryptedString  string
	TransKey         string
	VBVRisp          string
}

// get fetches path with the headers given; it returns the response and
// its body.
func (e *env) get(path string, header ...string) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// sendRaw posts body to the payment endpoint from origin ("" for none).
func (e *env) sendRaw(origin, ctype, body string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.URL+sendURL, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// send posts fields (name, value pairs) as the hidden page does and wants
// a JSON answer with 200.
func (e *env) send(kv ...string) answer {
	e.t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	body, _ := json.Marshal(m)
	status, out := e.sendRaw(e.URL, "application/json", string(body))
	var a answer
	if err := json.Unmarshal([]byte(out), &a); err != nil || status != 200 {
		e.t.Fatalf("send %v: %d %s", kv, status, out)
	}
	return a
}

// card is a SendPayment of shop ten's string s with a card number.
func card(ten *coretest.Tenant, s, number string, extra ...string) []string {
	return append([]string{"a", ten.App.ShopLogin, "b", s, "CC", number, "EXPMM", "05", "EXPYY", "35", "CVV2", "999",
		"Name", "Mario Rossi"}, extra...)
}

// decrypt calls Decrypt for shop ten with string s.
func (e *env) decrypt(ten *coretest.Tenant, s string) result {
	e.t.Helper()
	return e.call("Decrypt", "shopLogin", ten.App.ShopLogin, "CryptedString", s, "apikey", ten.App.APIKey)
}

var (
	checkField = regexp.MustCompile(`name="check" value="([^"]+)"`)
	paResField = regexp.MustCompile(`name="PaRes" value="([^"]+)"`)
	formAction = regexp.MustCompile(`<form id="pares-form" method="post" action="([^"]+)"`)
)

// threeDS opens pagam3d.aspx for the VBVRisp of an 8006 answer with the
// return address c written unescaped, answers ("approve" or "fail") and
// returns the PaRes the page posts back to c.
func (e *env) threeDS(ten *coretest.Tenant, vbv, c, answerWith string) string {
	e.t.Helper()
	b := e.buyer()
	status, _, body := b.do("GET", pagam3dURL+"?a="+ten.App.ShopLogin+"&b="+vbv+"&c="+c, nil)
	m := checkField.FindStringSubmatch(body)
	if status != 200 || m == nil || !strings.Contains(body, `id="approve"`) || !strings.Contains(body, `id="fail"`) {
		e.t.Fatalf("pagam3d.aspx: %d\n%s", status, body)
	}
	status, _, body = b.do("POST", pagam3dURL, url.Values{"a": {ten.App.ShopLogin}, "b": {vbv},
		"c":     {html.UnescapeString(regexp.MustCompile(`name="c" value="([^"]*)"`).FindStringSubmatch(body)[1])},
		"check": {m[1]}, "answer": {answerWith}})
	p, act := paResField.FindStringSubmatch(body), formAction.FindStringSubmatch(body)
	if status != 200 || p == nil || act == nil || !strings.Contains(body, `src="javascript/pagam3d.js"`) {
		e.t.Fatalf("pagam3d.aspx answer: %d\n%s", status, body)
	}
	if got := html.UnescapeString(act[1]); got != c {
		e.t.Fatalf("PaRes goes to %q, want %q", got, c)
	}
	return p[1]
}

func TestCustomPaymentPage(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		shop := e.A.App.ShopLogin

		t.Run("the scripts are served, cacheable with a validator", func(t *testing.T) {
			res, body := e.get(scriptURL)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
				!strings.Contains(body, "window.BrowserEnabled") || !strings.Contains(body, "window.GestPay") {
				t.Fatalf("js_GestPay.js: %d %v", res.StatusCode, res.Header)
			}
			// The descriptions come from the face's table, in both languages.
			if !strings.Contains(body, `"1119":"Numero della carta di credito con lunghezza errata"`) ||
				!strings.Contains(body, `"1149":"Missing or wrong CVV2"`) || strings.Contains(body, "/*DESCRIPTIONS*/") {
				t.Fatalf("descriptions missing from js_GestPay.js")
			}
			etag := res.Header.Get("ETag")
			if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
				t.Fatalf("caching headers: %v", res.Header)
			}
			res, _ = e.get(scriptURL, "If-None-Match", etag)
			if res.StatusCode != http.StatusNotModified {
				t.Fatalf("revalidation: %d", res.StatusCode)
			}
			for _, p := range []string{"/gestpay/pagam/javascript/hiddeniframe.js", "/gestpay/pagam/javascript/pagam3d.js"} {
				if res, _ := e.get(p); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
					t.Errorf("%s: %d", p, res.StatusCode)
				}
			}
		})

		t.Run("the hidden page: ready or the page's refusal, framable by any shop", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-FRAME", "3.00")...)
			res, body := e.get(iframeURL + "?a=" + shop + "&b=" + s)
			csp := res.Header.Get("Content-Security-Policy")
			if res.StatusCode != 200 || !strings.Contains(body, `data-code="10"`) || !strings.Contains(body, `data-b="`+s+`"`) ||
				!strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "default-src 'none'") ||
				!strings.Contains(csp, "script-src 'self'") || strings.Contains(body, "<script>") ||
				res.Header.Get("X-Frame-Options") != "" {
				t.Fatalf("hidden page: %d %v\n%s", res.StatusCode, res.Header, body)
			}
			paid := e.mustEncrypt(orderOf(e.A, "JS-FRAME-PAID", "3.00")...)
			if a := e.send(card(e.A, paid, "4242424242424242")...); a.ErrorCode != 0 {
				t.Fatalf("pay: %+v", a)
			}
			for _, c := range []struct{ name, query, code string }{
				{"no a", "b=" + s, "1130"},
				{"no b", "a=" + shop, "1133"},
				{"empty b", "a=" + shop + "&b=", "1134"},
				{"extra parameter", "a=" + shop + "&b=" + s + "&x=1", "1135"},
				{"unknown shop", "a=NOSUCHSHOP&b=" + s, "1131"},
				{"another shop's string", "a=" + e.B.App.ShopLogin + "&b=" + s, "1136"},
				{"paid already", "a=" + shop + "&b=" + paid, "1137"},
			} {
				res, body := e.get(iframeURL + "?" + c.query)
				if res.StatusCode != 200 || !strings.Contains(body, `data-code="`+c.code+`"`) || strings.Contains(body, `data-b="`+s) {
					t.Errorf("%s: %d\n%s", c.name, res.StatusCode, body)
				}
			}
		})

		t.Run("paid: 0 and a result string that decrypts OK", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-OK", "12.00")...)
			a := e.send(card(e.A, s, "4242 4242 4242 4242")...)
			if a.ErrorCode != 0 || a.ErrorDescription != "Transazione correttamente effettuata" || a.EncryptedString == "" ||
				a.EncryptedString == s || a.TransKey != "" || a.VBVRisp != "" {
				t.Fatalf("SendPayment: %+v", a)
			}
			r := e.decrypt(e.A, a.EncryptedString)
			if r["TransactionResult"] != "OK" || r["ShopTransactionID"] != "JS-OK" || r["MaskedPAN"] != "424242******4242" {
				t.Fatalf("Decrypt: %v", r)
			}
			// Another shop cannot read it.
			if r := e.decrypt(e.B, a.EncryptedString); r["ErrorCode"] != "1136" {
				t.Fatalf("Decrypt by another shop: %v", r)
			}
			// One attempt: the string is spent.
			if a := e.send(card(e.A, s, "4242424242424242")...); a.ErrorCode != 1137 {
				t.Fatalf("second SendPayment: %+v", a)
			}
		})

		t.Run("declined: 74 and Decrypt says KO", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-KO", "12.00")...)
			a := e.send(card(e.A, s, "5432123456789012")...)
			if a.ErrorCode != 74 || a.ErrorDescription != "Autorizzazione negata" || a.EncryptedString == "" {
				t.Fatalf("SendPayment: %+v", a)
			}
			if r := e.decrypt(e.A, a.EncryptedString); r["TransactionResult"] != "KO" || r["ErrorCode"] != "74" {
				t.Fatalf("Decrypt: %v", r)
			}
			if a := e.send(card(e.A, s, "4242424242424242")...); a.ErrorCode != 1137 {
				t.Fatalf("a second card after the decline: %+v", a)
			}
		})

		t.Run("card refusals, in the payment's language, leave the attempt unused", func(t *testing.T) {
			s := e.mustEncrypt(append(orderOf(e.A, "JS-FIELDS", "5.00"), "languageId", "2")...)
			for _, c := range []struct {
				name string
				kv   []string
				code int
				text string
			}{
				{"short number", card(e.A, s, "4242"), 1119, "Credit card number with wrong length"},
				{"letters", card(e.A, s, "4242abcd42424242"), 1119, "Credit card number with wrong length"},
				{"check digit", card(e.A, s, "4242424242424241"), 1120, "Credit card with wrong check-digit"},
				{"month 13", card(e.A, s, "4242424242424242", "EXPMM", "13"), 1124, "Invalid expiry month"},
				{"year of letters", card(e.A, s, "4242424242424242", "EXPYY", "ab"), 1125, "Invalid expiry year"},
				{"expired", card(e.A, s, "4242424242424242", "EXPMM", "01", "EXPYY", "20"), 1126, "Expired expiry date"},
				{"cvv", card(e.A, s, "4242424242424242", "CVV2", "12"), 1149, "Missing or wrong CVV2"},
				{"email", card(e.A, s, "4242424242424242", "Email", "not-an-address"), 1127, "Invalid cardholder email address"},
				{"a name with a control character", card(e.A, s, "4242424242424242", "Name", "Mario\u0007"), 1148, "Invalid cardholder name"},
				{"no number", card(e.A, s, ""), 1138, "Not accepted call: card number or expiry date are missing"},
				{"card and PARes", card(e.A, s, "4242424242424242", "PARes", "x"), 1141, "Not accepted call: input parameter string not acceptable"},
				{"another shop's string", card(e.B, s, "4242424242424242"), 1136, ""},
				{"unknown shop", append([]string{"a", "NOSUCHSHOP"}, card(e.A, s, "4242424242424242")[2:]...), 1131, ""},
			} {
				a := e.send(c.kv...)
				if a.ErrorCode != c.code || (c.text != "" && a.ErrorDescription != c.text) || a.EncryptedString != "" {
					t.Errorf("%s: %+v, want %d %q", c.name, a, c.code, c.text)
				}
			}
			if r := e.decrypt(e.A, s); r["TransactionResult"] != "XX" {
				t.Fatalf("after refusals: %v", r)
			}
			// The name Encrypt gave stands in for a missing one.
			named := e.mustEncrypt(append(orderOf(e.A, "JS-NAMED", "5.00"), "buyerName", "Mario Rossi")...)
			if a := e.send(card(e.A, named, "5364000000000987", "Name", "")...); a.ErrorCode != 0 {
				t.Fatalf("Encrypt's buyer name: %+v", a)
			}
			if a := e.send(card(e.A, s, "4775718800002026")...); a.ErrorCode != 0 || a.ErrorDescription != "Transaction correctly processed" {
				t.Fatalf("a good card after the refusals: %+v", a)
			}
		})

		t.Run("the endpoint takes requests from the gateway's own pages only", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-ORIGIN", "5.00")...)
			good, _ := json.Marshal(map[string]string{"a": shop, "b": s, "CC": "4242424242424242", "EXPMM": "05",
				"EXPYY": "35", "CVV2": "999", "Name": "Mario Rossi"})
			for _, c := range []struct {
				name, origin, ctype, body string
				status                    int
			}{
				{"no Origin", "", "application/json", string(good), 403},
				{"a shop's origin", "http://shop.example", "application/json", string(good), 403},
				{"another port", "http://127.0.0.1:1", "application/json", string(good), 403},
				{"a form", e.URL, "application/x-www-form-urlencoded", "a=" + shop, 415},
				{"not JSON", e.URL, "application/json", "{", 400},
				{"unknown member", e.URL, "application/json", `{"a":"` + shop + `","b":"` + s + `","cc":"4242424242424242"}`, 400},
				{"member twice", e.URL, "application/json", `{"a":"` + shop + `","a":"` + shop + `","b":"` + s + `"}`, 400},
				{"a number", e.URL, "application/json", `{"a":"` + shop + `","b":"` + s + `","EXPMM":5}`, 400},
				{"two objects", e.URL, "application/json", string(good) + "{}", 400},
			} {
				status, body := e.sendRaw(c.origin, c.ctype, c.body)
				if status != c.status {
					t.Errorf("%s: %d %s", c.name, status, body)
				}
				if status == 400 && !strings.Contains(body, `"ErrorCode":1141`) {
					t.Errorf("%s: %s", c.name, body)
				}
			}
			res, _ := e.get(sendURL)
			if res.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET: %d", res.StatusCode)
			}
			if r := e.decrypt(e.A, s); r["TransactionResult"] != "XX" {
				t.Fatalf("a refused request paid: %v", r)
			}
			big := `{"a":"` + strings.Repeat("x", 300<<10) + `"}`
			if status, _ := e.sendRaw(e.URL, "application/json", big); status != http.StatusRequestEntityTooLarge {
				t.Errorf("a large body: %d", status)
			}
		})

		t.Run("3-D Secure approved: 8006, pagam3d.aspx, then PARes and TransKey pay", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-3DS", "20.00")...)
			a := e.send(card(e.A, s, "4556541926187165")...)
			if a.ErrorCode != 8006 || a.ErrorDescription != "Verify By Visa" || a.TransKey == "" || a.VBVRisp == "" ||
				a.EncryptedString != "" || a.TransKey == a.VBVRisp {
				t.Fatalf("SendPayment: %+v", a)
			}
			if r := e.decrypt(e.A, s); r["TransactionResult"] != "XX" {
				t.Fatalf("Decrypt while waiting: %v", r)
			}
			// Neither string is a string Decrypt reads.
			for _, x := range []string{a.TransKey, a.VBVRisp} {
				if r := e.decrypt(e.A, x); r["ErrorCode"] != "1136" {
					t.Fatalf("Decrypt of a 3-D Secure string: %v", r)
				}
			}
			ret := "http://shop.example:8080/checkout/return?order=JS-3DS&step=3ds"
			pares := e.threeDS(e.A, a.VBVRisp, ret, "approve")
			// A card now is refused: the payment waits for its PaRes.
			if b := e.send(card(e.A, s, "4242424242424242")...); b.ErrorCode != 1137 {
				t.Fatalf("a card during 3-D Secure: %+v", b)
			}
			done := e.send("a", shop, "b", s, "PARes", pares, "TransKey", a.TransKey)
			if done.ErrorCode != 0 || done.EncryptedString == "" {
				t.Fatalf("SendPayment with PARes: %+v", done)
			}
			if r := e.decrypt(e.A, done.EncryptedString); r["TransactionResult"] != "OK" || r["ShopTransactionID"] != "JS-3DS" {
				t.Fatalf("Decrypt: %v", r)
			}
			if again := e.send("a", shop, "b", s, "PARes", pares, "TransKey", a.TransKey); again.ErrorCode != 1137 {
				t.Fatalf("PARes again: %+v", again)
			}
			// The VBVRisp of a payment no longer waiting opens no issuer page.
			status, _, body := e.buyer().do("GET", pagam3dURL+"?a="+shop+"&b="+a.VBVRisp+"&c="+ret, nil)
			if status != 400 || !strings.Contains(body, "1137") {
				t.Fatalf("pagam3d.aspx after: %d\n%s", status, body)
			}
		})

		t.Run("3-D Secure refused: KO", func(t *testing.T) {
			s := e.mustEncrypt(append(orderOf(e.A, "JS-3DS-KO", "20.00"), "languageId", "2")...)
			a := e.send(card(e.A, s, "4000002760003184")...)
			if a.ErrorCode != 8006 {
				t.Fatalf("SendPayment: %+v", a)
			}
			pares := e.threeDS(e.A, a.VBVRisp, "https://shop.example/back", "fail")
			done := e.send("a", shop, "b", s, "PARes", pares, "TransKey", a.TransKey)
			if done.ErrorCode != 74 || done.ErrorDescription != "Authorization denied" || done.EncryptedString == "" {
				t.Fatalf("SendPayment with a refused PARes: %+v", done)
			}
			if r := e.decrypt(e.A, done.EncryptedString); r["TransactionResult"] != "KO" || r["ErrorCode"] != "74" {
				t.Fatalf("Decrypt: %v", r)
			}
		})

		t.Run("PARes and TransKey of another payment or shop are refused", func(t *testing.T) {
			s1 := e.mustEncrypt(orderOf(e.A, "JS-3DS-1", "1.00")...)
			s2 := e.mustEncrypt(orderOf(e.A, "JS-3DS-2", "1.00")...)
			sb := e.mustEncrypt(orderOf(e.B, "JS-3DS-1", "1.00")...)
			a1 := e.send(card(e.A, s1, "4556541926187165")...)
			a2 := e.send(card(e.A, s2, "4556541926187165")...)
			ab := e.send(card(e.B, sb, "4556541926187165")...)
			if a1.ErrorCode != 8006 || a2.ErrorCode != 8006 || ab.ErrorCode != 8006 {
				t.Fatalf("SendPayment: %+v %+v %+v", a1, a2, ab)
			}
			p1 := e.threeDS(e.A, a1.VBVRisp, "https://shop.example/", "approve")
			p2 := e.threeDS(e.A, a2.VBVRisp, "https://shop.example/", "approve")
			pb := e.threeDS(e.B, ab.VBVRisp, "https://shop.example/", "approve")
			for _, c := range []struct {
				name          string
				pares, transK string
			}{
				{"PARes of another payment", p2, a1.TransKey},
				{"TransKey of another payment", p1, a2.TransKey},
				{"PARes of another shop", pb, a1.TransKey},
				{"TransKey of another shop", p1, ab.TransKey},
				{"VBVRisp for TransKey", p1, a1.VBVRisp},
				{"TransKey for PARes", a1.TransKey, a1.TransKey},
				{"no PARes", "", a1.TransKey},
				{"no TransKey", p1, ""},
			} {
				if a := e.send("a", shop, "b", s1, "PARes", c.pares, "TransKey", c.transK); a.ErrorCode != 1141 {
					t.Errorf("%s: %+v", c.name, a)
				}
			}
			if a := e.send("a", shop, "b", s1, "PARes", p1, "TransKey", a1.TransKey); a.ErrorCode != 0 {
				t.Fatalf("its own: %+v", a)
			}
		})

		t.Run("pagam3d.aspx's refusals and its forms", func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "JS-3DS-PAGE", "1.00")...)
			a := e.send(card(e.A, s, "4556541926187165")...)
			if a.ErrorCode != 8006 {
				t.Fatalf("SendPayment: %+v", a)
			}
			for _, c := range []struct{ name, query, code string }{
				{"no a", "b=" + a.VBVRisp + "&c=https://shop.example/", "1130"},
				{"no b", "a=" + shop + "&c=https://shop.example/", "1133"},
				{"no c", "a=" + shop + "&b=" + a.VBVRisp, "1141"},
				{"relative c", "a=" + shop + "&b=" + a.VBVRisp + "&c=/return", "1141"},
				{"script c", "a=" + shop + "&b=" + a.VBVRisp + "&c=javascript:alert(1)", "1141"},
				{"Encrypt's string", "a=" + shop + "&b=" + s + "&c=https://shop.example/", "1136"},
				{"the TransKey", "a=" + shop + "&b=" + a.TransKey + "&c=https://shop.example/", "1136"},
				{"another shop", "a=" + e.B.App.ShopLogin + "&b=" + a.VBVRisp + "&c=https://shop.example/", "1136"},
				{"unknown shop", "a=NOSUCHSHOP&b=" + a.VBVRisp + "&c=https://shop.example/", "1131"},
			} {
				status, _, body := e.buyer().do("GET", pagam3dURL+"?"+c.query, nil)
				if status != 400 || !strings.Contains(body, c.code) {
					t.Errorf("%s: %d\n%s", c.name, status, body)
				}
			}
			// WooCommerce posts a, b and c as a form; an escaped c is read too.
			status, _, body := e.buyer().do("POST", pagam3dURL, url.Values{"a": {shop}, "b": {a.VBVRisp},
				"c": {"https://shop.example/r?x=1&y=2"}})
			if status != 200 || !strings.Contains(body, `value="https://shop.example/r?x=1&amp;y=2"`) {
				t.Fatalf("POST form: %d\n%s", status, body)
			}
			status, _, body = e.buyer().do("GET", pagam3dURL+"?a="+shop+"&b="+a.VBVRisp+"&c="+
				url.QueryEscape("https://shop.example/r?x=1&y=2"), nil)
			if status != 200 || !strings.Contains(body, `value="https://shop.example/r?x=1&amp;y=2"`) ||
				!strings.Contains(body, "1.00 EUR") || !strings.Contains(body, "Alpha Shop") || !strings.Contains(body, "Autorizza") {
				t.Fatalf("escaped c: %d\n%s", status, body)
			}
			// The answer needs the page's own signed field for this payment.
			other := e.mustEncrypt(orderOf(e.A, "JS-3DS-PAGE-2", "1.00")...)
			ao := e.send(card(e.A, other, "4556541926187165")...)
			_, _, page := e.buyer().do("GET", pagam3dURL+"?a="+shop+"&b="+ao.VBVRisp+"&c=https://shop.example/", nil)
			otherCheck := checkField.FindStringSubmatch(page)[1]
			for _, c := range []struct{ name, check, answer string }{
				{"no check", "", "approve"},
				{"another payment's check", otherCheck, "approve"},
				{"the VBVRisp as check", a.VBVRisp, "approve"},
			} {
				status, _, body := e.buyer().do("POST", pagam3dURL, url.Values{"a": {shop}, "b": {a.VBVRisp},
					"c": {"https://shop.example/"}, "check": {c.check}, "answer": {c.answer}})
				if status != 400 || !strings.Contains(body, "1141") || strings.Contains(body, "PaRes") {
					t.Errorf("%s: %d\n%s", c.name, status, body)
				}
			}
			_, _, page = e.buyer().do("GET", pagam3dURL+"?a="+shop+"&b="+a.VBVRisp+"&c=https://shop.example/", nil)
			status, _, body = e.buyer().do("POST", pagam3dURL, url.Values{"a": {shop}, "b": {a.VBVRisp},
				"c": {"https://shop.example/"}, "check": {checkField.FindStringSubmatch(page)[1]}, "answer": {"maybe"}})
			if status != 400 || !strings.Contains(body, "1141") {
				t.Errorf("an unknown answer: %d\n%s", status, body)
			}
			// The page that sends PaRes may post only to the shop's origin.
			res, _ := e.get(pagam3dURL + "?a=" + shop + "&b=" + a.VBVRisp + "&c=https://shop.example/")
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") ||
				res.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("issuer page headers: %v", res.Header)
			}
		})

		t.Run("no card number or CVV is logged", func(t *testing.T) {
			e.expectNotLogged("4242424242424242", "4556541926187165", "5432123456789012", "4775718800002026",
				"4242 4242 4242 4242", "CVV2", "cvc")
		})
	})
}
