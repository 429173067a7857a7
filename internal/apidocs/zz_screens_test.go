package apidocs_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pasarela/pasarela/internal/apidocs"
	"github.com/pasarela/pasarela/internal/browsertest"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/face/sekurepay"
)

func TestZZScreens(t *testing.T) {
	docs, _ := apidocs.New(slog.New(slog.NewTextHandler(io.Discard, nil)), []apidocs.Face{
		{Name: "payrest", Title: "PayREST", Summary: "The gateway's own API.", OpenAPI: payrest.OpenAPI(), OpenAPIPath: payrest.OpenAPIPath},
		{Name: "sekurepay", Title: "SekurePay", Summary: "Orders.", OpenAPI: sekurepay.OpenAPI(), OpenAPIPath: sekurepay.OpenAPIPath},
		{Name: "gestpay", Title: "Gestpay", Summary: "SOAP.", WSDLs: []apidocs.Link{{"WSCryptDecrypt WSDL", "/x"}}},
	})
	mux := http.NewServeMux()
	docs.Register(mux)
	ts := httptest.NewServer(mux)
	for _, sz := range []struct{ w, h int64; n string }{{1280, 900, "desktop"}, {390, 844, "phone"}} {
		ctx, _ := browsertest.New(t, 20*time.Second, chromedp.WindowSize(int(sz.w), int(sz.h)))
		for _, p := range []struct{ path, name string }{{"/docs/", "index"}, {"/docs/payrest#op-createPayment", "payrest"}, {"/docs/sekurepay#op-createOrder", "sekurepay"}} {
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+p.path)); err != nil {
				t.Fatal(err)
			}
			buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile("/work/screens/docs-"+p.name+"-"+sz.n+".png", buf, 0o644)
		}
	}
}
