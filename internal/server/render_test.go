package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/webhook"
	"github.com/pasarela/pasarela/internal/worker"
)

// hookReceiver is a merchant's endpoint: it checks both signatures of every
// delivery and keeps the bodies of each event (by webhook-id), and the
// events of each type in the order they first came.
type hookReceiver struct {
	t       *testing.T
	secrets []string
	apiKey  string
	now     func() time.Time
	mu      sync.Mutex
	bodies  map[string][][]byte // webhook-id → every body received
	events  map[string][]string // event type → webhook-ids
	srv     *httptest.Server
	got     chan struct{}
}

func newHookReceiver(t *testing.T, apiKey string, now func() time.Time) *hookReceiver {
	rc := &hookReceiver{t: t, apiKey: apiKey, now: now, bodies: map[string][][]byte{}, events: map[string][]string{}, got: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		secrets := rc.secrets
		rc.mu.Unlock()
		ok := false
		for _, s := range secrets {
			ok = ok || webhook.Verify(s, r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderTimestamp),
				r.Header.Get(webhook.HeaderSignature), body, rc.now(), 0) == nil
		}
		if !ok {
			t.Errorf("%s: no webhook-signature holds", r.Header.Get(webhook.HeaderEventType))
		}
		if err := webhook.VerifyHash(rc.apiKey, r.Header.Get(webhook.HeaderHash), body); err != nil {
			t.Errorf("%s: Hash: %v", r.Header.Get(webhook.HeaderEventType), err)
		}
		rc.mu.Lock()
		id, typ := r.Header.Get(webhook.HeaderID), r.Header.Get(webhook.HeaderEventType)
		if rc.bodies[id] == nil {
			rc.events[typ] = append(rc.events[typ], id)
		}
		rc.bodies[id] = append(rc.bodies[id], body)
		rc.mu.Unlock()
		rc.got <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// wait waits for n more deliveries; the deadline only ends a test that
// would otherwise hang.
func (rc *hookReceiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-rc.got:
		case <-time.After(30 * time.Second):
			t.Fatal("a delivery never arrived")
		}
	}
}

// first is the first body received of the i-th event of a type.
func (rc *hookReceiver) first(t *testing.T, typ string, i int) []byte {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.events[typ]) <= i {
		t.Fatalf("%d %s events, want %d", len(rc.events[typ]), typ, i+1)
	}
	return rc.bodies[rc.events[typ][i]][0]
}

// deliverAll runs a deliverer with the gateway's formats until n deliveries
// arrived.
func deliverAll(t *testing.T, svc *core.Service, rc *hookReceiver, publicURL string, n int) {
	t.Helper()
	d := &worker.Deliverer{Svc: svc, Renderers: Renderers(publicURL, nil), AllowPrivate: true, Poll: 5 * time.Millisecond}
	d.Start(context.Background())
	defer d.Stop()
	rc.wait(t, n)
}

// listItem is the only element of a PayREST list answer, as sent.
func listItem(t *testing.T, url, key string) []byte {
	t.Helper()
	res, body := get(t, url, map[string]string{"X-Auth-Token": key})
	var items []json.RawMessage
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &items) != nil || len(items) != 1 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	return items[0]
}

// TestWebhookBodyWhateverFacesAreMounted: a gateway that serves only
// Kashpay sends PayREST endpoints the same bodies, byte for byte, as the
// full gateway: each payment and refund exactly as PayREST's API shows it.
// The body depends on the endpoint's format alone.
func TestWebhookBodyWhateverFacesAreMounted(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := coretest.MustOpen(t, engine)
		clk := coretest.NewClock(coretest.Start)
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		const publicURL = "http://pay.test"
		svc, err := core.New(ctx, db, log, clk.Now, core.Config{SecretKey: []byte("0123456789abcdef0123456789abcdef"),
			PublicURL: publicURL, Webhooks: core.WebhookConfig{AllowPrivate: true},
			Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
		if err != nil {
			t.Fatal(err)
		}
		ten := coretest.MustTenant(t, svc, "Alpha Shop")
		admin, appID := ten.AdminCtx(ctx), ten.App.ID
		if _, err := svc.CreateGatewayConfig(admin, appID, core.GatewayConfigInput{Gateway: pasarela.Set(sandbox.GatewayID),
			Name: pasarela.Set("cards"), Weight: pasarela.Set(1)}); err != nil {
			t.Fatal(err)
		}
		rc := newHookReceiver(t, ten.App.APIKey, clk.Now)
		var hooks []*pasarela.Webhook
		for _, in := range []core.WebhookInput{
			{Targets: []string{rc.srv.URL}, Entity: pasarela.EntityPayment, Events: []string{"payment.completed"}},
			{Targets: []string{rc.srv.URL}, Entity: pasarela.EntityRefund, Events: []string{"refund.completed"}},
		} {
			in.Format = pasarela.FormatPayREST
			w, _, err := svc.CreateWebhook(admin, appID, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			hooks = append(hooks, w)
			rc.secrets = append(rc.secrets, w.Secret)
		}

		// Only Kashpay is served: PayREST's routes are not there.
		kash := httptest.NewServer(New(Config{Faces: []string{FaceKashpay}}, svc, log, NewMetrics()))
		defer kash.Close()
		if res, _ := get(t, kash.URL+"/application", map[string]string{"X-Auth-Token": ten.App.APIKey}); res.StatusCode != 404 {
			t.Fatalf("GET /application on a Kashpay-only server: %d, want 404", res.StatusCode)
		}
		pay := func(desc string) *pasarela.Payment {
			p, _, err := svc.CreatePayment(admin, appID, core.PaymentInput{Amount: 1050, Currency: "EUR", Description: desc,
				Metadata: map[string]string{"order": desc}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Second)
			if _, err := svc.PayWithCard(ctx, p.CheckoutToken, pasarela.CardInput{Name: "Ada", Number: "4242424242424242",
				ExpMonth: 12, ExpYear: 2045, CVC: "123"}); err != nil {
				t.Fatal(err)
			}
			return p
		}
		kept := pay("kept")
		refunded := pay("refunded")
		clk.Advance(time.Second)
		if _, _, err := svc.Refund(admin, appID, refunded.ID, core.RefundInput{Amount: 1050, Reason: "returned"}, nil); err != nil {
			t.Fatal(err)
		}
		deliverAll(t, svc, rc, publicURL, 3)

		// The full gateway shows the same payment and refund in its
		// PayREST answers, and sends the same bodies again.
		full := httptest.NewServer(New(Config{}, svc, log, NewMetrics()))
		defer full.Close()
		base := full.URL + "/application/" + strconv.FormatInt(appID, 10) + "/payment"
		shownPayment := listItem(t, base+"?transaction_id="+kept.TransactionID, ten.App.APIKey)
		shownRefund := listItem(t, base+"/"+strconv.FormatInt(refunded.ID, 10)+"/refund", ten.App.APIKey)
		var sentPayment []byte
		for i := range 2 {
			b := rc.first(t, "payment.completed", i)
			if bytes.Contains(b, []byte(kept.TransactionID)) {
				sentPayment = b
			}
		}
		if !bytes.Equal(sentPayment, shownPayment) {
			t.Errorf("payment webhook body\n%s\nPayREST shows\n%s", sentPayment, shownPayment)
		}
		if sentRefund := rc.first(t, "refund.completed", 0); !bytes.Equal(sentRefund, shownRefund) {
			t.Errorf("refund webhook body\n%s\nPayREST shows\n%s", sentRefund, shownRefund)
		}

		var redelivered int
		for _, w := range hooks {
			ds, _, err := svc.ListDeliveries(admin, appID, w.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if _, err := svc.RetryDelivery(admin, appID, w.ID, d.ID); err != nil {
					t.Fatal(err)
				}
				redelivered++
			}
		}
		deliverAll(t, svc, rc, publicURL, redelivered)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for id, bodies := range rc.bodies {
			if len(bodies) != 2 || !bytes.Equal(bodies[0], bodies[1]) {
				t.Errorf("event %s: the full gateway sent %d bodies, want the first one again:\n%s", id, len(bodies), bytes.Join(bodies, []byte("\n")))
			}
		}
	})
}
