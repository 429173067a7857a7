package apidocs_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela/internal/apidocs"
	"github.com/pasarela/pasarela/internal/browsertest"
	"github.com/pasarela/pasarela/internal/face/payrest"
)

// TestBrowserReference opens the PayREST reference in chromium under the
// headers the gateway sends: the create-payment operation is there with
// its request body, the index links to it, the console is clean (no
// Content-Security-Policy violation) and nothing was loaded from another
// host.
func TestBrowserReference(t *testing.T) {
	docs, err := apidocs.New(slog.New(slog.NewTextHandler(io.Discard, nil)), []apidocs.Face{
		{Name: "payrest", Title: "PayREST", Summary: "The gateway's own API.", OpenAPI: payrest.OpenAPI(), OpenAPIPath: payrest.OpenAPIPath},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	docs.Register(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx, con := browsertest.New(t, 15*time.Second, chromedp.WindowSize(1280, 900))

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/docs/"), chromedp.Click(chromedp.CSS(`#face-payrest h2 a`)),
		chromedp.WaitVisible(chromedp.ID("op-createPayment"))); err != nil {
		t.Fatalf("open the PayREST reference from the index: %v", err)
	}
	op, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("op-createPayment")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"POST", "/application/{applicationId}/payment", "Create a payment", "Request body",
		"PaymentRequest", "201", "Idempotency-Key"} {
		// Headings are upper-cased by the stylesheet, and innerText
		// reads them so.
		if !strings.Contains(strings.ToLower(op), strings.ToLower(want)) {
			t.Errorf("the create-payment operation as shown lacks %q:\n%s", want, op)
		}
	}
	// The table of contents leads to the operation.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`nav.toc a[href="#op-createPayment"]`))); err != nil {
		t.Fatal(err)
	}
	styled, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#op-createPayment .method")).backgroundColor`))
	if err != nil || styled == "rgba(0, 0, 0, 0)" {
		t.Errorf("the method badge is not styled (%q, %v): the stylesheet did not apply", styled, err)
	}
	outside, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map(e => e.name).filter(u => !u.startsWith(location.origin))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(outside) > 0 {
		t.Errorf("the page loaded from other hosts: %v", outside)
	}
	con.ExpectClean(t)
}
