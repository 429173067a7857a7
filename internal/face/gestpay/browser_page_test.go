package gestpay_test

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// shopResult is the page a shop shows at its positive and negative URLs:
// here, what it was sent, for the test to read.
var shopResult = template.Must(template.New("result").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Page}}</title><link rel="icon" href="data:,"></head>
<body><pre id="done">{{.JSON}}</pre></body></html>
`))

// TestBrowserHostedPage: the buyer goes from the shop to pagam.aspx with
// Encrypt's string, pays on the gateway's page (in Italian, the payment's
// language) and lands on the shop's positive or negative URL, on the
// shop's own origin, with a and a result string that Decrypt opens; a card
// that asks for 3-D Secure goes through the sandbox issuer's page first.
func TestBrowserHostedPage(t *testing.T) {
	// The engines are the HTTP tests' concern; one browser run is enough.
	e := newEnv(t, "sqlite")
	ctx, con := newBrowser(t)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		b, _ := json.Marshal(map[string]string{"Page": r.URL.Path, "A": q.Get("a"), "B": q.Get("b"), "Api": q.Get("wc-api")})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = shopResult.Execute(w, map[string]string{"Page": r.URL.Path, "JSON": string(b)})
	}))
	t.Cleanup(shop.Close)
	if _, err := e.Svc.UpdateApplication(e.A.AdminCtx(context.Background()), e.A.App.ID, core.ApplicationInput{
		SuccessURL: pasarela.Set(shop.URL + "/ok"), FailureURL: pasarela.Set(shop.URL + "/ko?wc-api=WC_Gateway_Gestpay")},
		false); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, card, page, result, code string
		challenge                      bool
	}{
		{"paid", "4775718800002026", "/ok", "OK", "0", false},
		{"refused", "5432123456789012", "/ko", "KO", "74", false},
		{"3-D Secure", "4556541926187165", "/ok", "OK", "0", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := e.mustEncrypt(orderOf(e.A, "HOSTED-"+c.card, "25.00")...)
			err := chromedp.Do(ctx,
				chromedp.Navigate(e.URL+"/gestpay/pagam/pagam.aspx?a="+e.A.App.ShopLogin+"&b="+s),
				chromedp.WaitVisible(chromedp.ID("number")),
				chromedp.SendKeys(chromedp.ID("name"), "Mario Rossi"),
				chromedp.SendKeys(chromedp.ID("number"), c.card),
				chromedp.SendKeys(chromedp.ID("exp"), "05/35"),
				chromedp.SendKeys(chromedp.ID("cvc"), "999"),
			)
			if err != nil {
				t.Fatal(err)
			}
			lang, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.lang"))
			if err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay"))); err != nil {
				t.Fatal(err)
			}
			if lang != "it" {
				t.Errorf("the page of an Italian payment is in %q", lang)
			}
			if c.challenge {
				if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("approve")),
					chromedp.Click(chromedp.ID("approve"))); err != nil {
					t.Fatal(err)
				}
			}
			var got struct{ Page, A, B, Api string }
			waitDone(t, ctx, &got)
			if got.Page != c.page || got.A != e.A.App.ShopLogin || got.B == "" || got.B == s {
				t.Fatalf("the shop's page got %+v", got)
			}
			if c.page == "/ko" && got.Api != "WC_Gateway_Gestpay" {
				t.Errorf("the negative URL lost its own query: %+v", got)
			}
			r := e.call("Decrypt", "shopLogin", got.A, "CryptedString", got.B, "apikey", e.A.App.APIKey)
			if r["TransactionResult"] != c.result || r["ErrorCode"] != c.code || r["ShopTransactionID"] != "HOSTED-"+c.card {
				t.Fatalf("Decrypt: %v", r)
			}
		})
	}
	con.ExpectClean(t)
}

// TestBrowserS2S3DS: a shop that takes cards on its own pages (WSs2s) gets
// 8006 for a card that needs 3-D Secure, sends the buyer to pagam3d.aspx
// with its own address as c, and the browser comes back to the shop by a
// POST with PaRes; the shop's second callPagamS2S with the TransactionKey
// and that PaRes completes the payment.
func TestBrowserS2S3DS(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx, con := newBrowser(t)
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(map[string]string{"Page": r.URL.Path, "Method": r.Method, "PaRes": r.PostForm.Get("PaRes"),
			"Order": r.URL.Query().Get("order")})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = shopResult.Execute(w, map[string]string{"Page": r.URL.Path, "JSON": string(b)})
	}))
	t.Cleanup(shop.Close)

	first := e.payS2S(e.A, "S2S-BROWSER-3DS", "40.00", "4556541926187165")
	if first["ErrorCode"] != "8006" || first["VbV.VbVRisp"] == "" || first["TransactionKey"] == "" {
		t.Fatalf("callPagamS2S: %v", first)
	}
	// As WooCommerce builds it: c unescaped, with its own query.
	back := shop.URL + "/3ds-return?order=77&step=2"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/gestpay/pagam/pagam3d.aspx?a="+e.A.App.ShopLogin+"&b="+first["VbV.VbVRisp"]+"&c="+back),
		chromedp.WaitVisible(chromedp.ID("approve")),
		chromedp.Click(chromedp.ID("approve")),
	); err != nil {
		t.Fatal(err)
	}
	var got struct{ Page, Method, PaRes, Order string }
	waitDone(t, ctx, &got)
	if got.Page != "/3ds-return" || got.Method != "POST" || got.PaRes == "" || got.Order != "77" {
		t.Fatalf("the shop got %+v", got)
	}
	second := e.s2s("callPagamS2S", "shopLogin", e.A.App.ShopLogin, "apikey", e.A.App.APIKey,
		"transKey", first["TransactionKey"], "PARes", got.PaRes)
	want(t, "second callPagamS2S", second, "TransactionType", "PAGAM", "TransactionResult", "OK", "ErrorCode", "0",
		"ShopTransactionID", "S2S-BROWSER-3DS", "Amount", "40.00")
	con.ExpectClean(t)
}
