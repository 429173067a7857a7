package gestpay_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkGestpay measures a Gestpay call's cost on the server, in
// process (no network), on SQLite, beside a ceiling and a peer of the same
// run: "ceiling" is a bare handler that reads a SOAP body and writes an
// answer of the same size; "payrest-create" is PayREST's payment creation,
// the same core call Encrypt makes. Compare the ratios, not the numbers.
//
//	go test -run '^$' -bench Gestpay -benchtime 2000x ./internal/face/gestpay/
func BenchmarkGestpay(b *testing.B) {
	e := newEnv(b, "sqlite")
	shop, key := e.A.App.ShopLogin, e.A.App.APIKey
	soap := func(ns, op, children string) string {
		return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><` + op + ` xmlns="` + ns + `">` +
			children + `</` + op + `></soap:Body></soap:Envelope>`
	}
	order := func(i int) string {
		return `<shopLogin>` + shop + `</shopLogin><apikey>` + key + `</apikey><uicCode>242</uicCode><amount>10.50</amount>` +
			`<shopTransactionId>B-` + strconv.Itoa(i) + `</shopTransactionId><customInfo>STORE=1</customInfo>`
	}
	s := e.mustEncrypt(orderOf(e.A, "BENCH-DECRYPT", "1.00")...)
	ceiling := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, strings.Repeat("x", 600))
	})
	serve := func(b *testing.B, h http.Handler, req func(i int) *http.Request) {
		b.ReportAllocs()
		for i := range b.N {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req(i))
			if w.Code != 200 && w.Code != 201 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	}
	post := func(path, action, body string) *http.Request {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "text/xml; charset=utf-8")
		r.Header.Set("SOAPAction", action)
		return r
	}
	run := 0
	b.Run("ceiling", func(b *testing.B) {
		serve(b, ceiling, func(int) *http.Request { return post(cryptPath, "", soap(nsCrypt, "Decrypt", "")) })
	})
	b.Run("payrest-create", func(b *testing.B) {
		serve(b, e.h, func(int) *http.Request {
			r := httptest.NewRequest("POST", "/application/"+strconv.FormatInt(e.A.App.ID, 10)+"/payment",
				strings.NewReader(`{"payment":{"amount":"1050","currency":"EUR","description":"bench"}}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Auth-Token", key)
			return r
		})
	})
	b.Run("encrypt", func(b *testing.B) {
		run++
		serve(b, e.h, func(i int) *http.Request {
			return post(cryptPath, nsCrypt+"Encrypt", soap(nsCrypt, "Encrypt", order(run*10_000_000+i)))
		})
	})
	b.Run("decrypt", func(b *testing.B) {
		body := soap(nsCrypt, "Decrypt", `<shopLogin>`+shop+`</shopLogin><CryptedString>`+s+`</CryptedString><apikey>`+key+`</apikey>`)
		serve(b, e.h, func(int) *http.Request { return post(cryptPath, nsCrypt+"Decrypt", body) })
	})
	b.Run("callPagamS2S", func(b *testing.B) {
		run++
		serve(b, e.h, func(i int) *http.Request {
			return post(s2sPath, nsS2S+"callPagamS2S", soap(nsS2S, "callPagamS2S", order(run*10_000_000+i)+
				`<cardNumber>4242424242424242</cardNumber><expiryMonth>05</expiryMonth><expiryYear>35</expiryYear><cvv>123</cvv>`))
		})
	})
}

const (
	nsCrypt = "https://ecomm.sella.it/"
	nsS2S   = "https://ecomms2s.sella.it/"
)
