package xpay_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkXpay measures an xpay call's cost on the server, in process (no
// network), on SQLite, beside a ceiling and a peer of the same run:
// "ceiling" is a bare handler that reads a JSON body and writes an answer
// of the same size; "payrest-create" is PayREST's payment creation (one
// payment, one commit). Creating a transaction also prices it, takes the
// next derivation index and derives an address in its commit. Compare the
// ratios, not the numbers.
//
//	go test -run '^$' -bench Xpay -benchtime 1000x ./internal/face/xpay/
func BenchmarkXpay(b *testing.B) {
	e := newEnv(b, "sqlite")
	key := e.MustLogin(e.A.Admin.Email)
	tx := e.MustCreate(key, order)
	id := fmt.Sprint(tx["id"])
	ceiling := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, strings.Repeat("x", 1000))
	})
	serve := func(b *testing.B, h http.Handler, req func() *http.Request) {
		b.ReportAllocs()
		for range b.N {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req())
			if w.Code != 200 && w.Code != 201 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	}
	xpay := func(method, path, body string) func() *http.Request {
		return func() *http.Request {
			r := httptest.NewRequest(method, "/xpay/api/v1"+path, strings.NewReader(body))
			r.Header.Set("Authorization", "Token "+key)
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "*/*")
			return r
		}
	}
	b.Run("ceiling", func(b *testing.B) { serve(b, ceiling, xpay("POST", "/transactions/create/", order)) })
	b.Run("payrest-create", func(b *testing.B) {
		serve(b, e.h, func() *http.Request {
			r := httptest.NewRequest("POST", "/application/"+strconv.FormatInt(e.A.App.ID, 10)+"/payment",
				strings.NewReader(`{"payment":{"amount":"1050","currency":"EUR","description":"bench"}}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Auth-Token", e.A.App.APIKey)
			return r
		})
	})
	b.Run("quotes", func(b *testing.B) {
		serve(b, e.h, xpay("GET", "/transactions/available/currencies/150000.30/COP/", ""))
	})
	b.Run("create", func(b *testing.B) { serve(b, e.h, xpay("POST", "/transactions/create/", order)) })
	b.Run("read", func(b *testing.B) { serve(b, e.h, xpay("GET", "/transactions/"+id+"/", "")) })
}
