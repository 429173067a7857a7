package dashboard_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/webhook"
)

var (
	requestBodyRE    = regexp.MustCompile(`(?s)<pre class="snippet request-body">(.*?)</pre>`)
	requestLineRE    = regexp.MustCompile(`<code class="request-line">([^<]+)</code>`)
	requestHeadersRE = regexp.MustCompile(`Signed with the headers ((?:<code>[^<]+</code>(?:, )?)+)`)
	codeRE           = regexp.MustCompile(`<code>([^<]+)</code>`)
)

// TestDeliveryRequest: a webhook's delivery log shows, beside the answer,
// the request the receiver got: its method and URL, the body exactly as it
// arrived, and the names of the gateway's headers, never the signing
// secret or a signature.
func TestDeliveryRequest(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	ctx := context.Background()
	var (
		mu      sync.Mutex
		gotBody string
		gotHdrs []string
		gotLine string
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		gotBody, gotLine = string(b), r.Method+" "+r.URL.String()
		for name := range r.Header {
			if name != "Content-Type" && name != "User-Agent" && name != "Accept-Encoding" && name != "Content-Length" {
				gotHdrs = append(gotHdrs, strings.ToLower(name))
			}
		}
		_, _ = io.WriteString(w, "received")
	}))
	t.Cleanup(rc.Close)
	target := rc.URL + "/hooks/pasarela"

	admin := s.A.AdminCtx(ctx)
	wh, _, err := s.Svc.CreateWebhook(admin, s.A.App.ID, core.WebhookInput{Targets: []string{target},
		Entity: pasarela.EntityPayment, Events: []string{"payment.invalidated"}, Format: pasarela.FormatPayREST}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pay := s.mustPayment(core.PaymentInput{Description: `Pedido "42" <urgente> & más`})
	if err := s.Svc.CancelPayment(s.A.AppCtx(ctx), s.A.App.ID, pay.ID); err != nil {
		t.Fatal(err)
	}
	// One attempt, as the deliverer makes it.
	jobs, err := s.Svc.ClaimDeliveries(ctx, "test", 10, time.Minute, nil, server.Renderers(s.URL, nil))
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claimed %d (%v), want 1", len(jobs), err)
	}
	res := webhook.NewClient(webhook.ClientOptions{AllowPrivate: true}).Send(ctx, jobs[0].Request)
	if err := s.Svc.FinishDelivery(ctx, jobs[0], res); err != nil {
		t.Fatal(err)
	}
	secret := jobs[0].Request.Headers[webhook.HeaderSignature]

	a := s.browser().mustSignIn(s.A.Admin.Email)
	p := a.get("/dashboard/developers/" + strconv.FormatInt(s.A.App.ID, 10) + "/webhooks/" + strconv.FormatInt(wh.ID, 10))
	wantStatus(t, "webhook page", p, http.StatusOK)
	mu.Lock()
	defer mu.Unlock()
	if gotBody == "" || !strings.Contains(gotBody, "urgente") {
		t.Fatalf("the receiver got %q", gotBody)
	}
	m := requestBodyRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no request body on the page:\n%s", p.Body)
	}
	if shown := html.UnescapeString(m[1]); shown != gotBody {
		t.Errorf("the body shown is not the body received:\n shown %s\n   got %s", shown, gotBody)
	}
	if m := requestLineRE.FindStringSubmatch(p.Body); m == nil || html.UnescapeString(m[1]) != "POST "+target {
		t.Errorf("request line %q, want %q (received %q)", m, "POST "+target, gotLine)
	}
	hm := requestHeadersRE.FindStringSubmatch(p.Body)
	if hm == nil {
		t.Fatalf("no header names on the page:\n%s", p.Body)
	}
	var shown []string
	for _, c := range codeRE.FindAllStringSubmatch(hm[1], -1) {
		shown = append(shown, strings.ToLower(c[1]))
	}
	slices.Sort(shown)
	slices.Sort(gotHdrs)
	if !slices.Equal(shown, gotHdrs) {
		t.Errorf("header names shown %v, received %v", shown, gotHdrs)
	}
	if !slices.Contains(shown, strings.ToLower(webhook.HeaderSignature)) {
		t.Errorf("the signature header is not named: %v", shown)
	}
	if sig, _ := strings.CutPrefix(secret, "v1,"); sig == "" || strings.Contains(p.Body, sig) || strings.Contains(p.Body, "whsec_") {
		t.Error("the page shows a signature or a secret")
	}
}
