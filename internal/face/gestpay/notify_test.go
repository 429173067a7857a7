package gestpay_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/face/gestpay"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/worker"
)

// s2sReceiver is a shop's server-to-server URL: it records each call and
// answers 503 to the first ones (the shop is down), then 200.
type s2sReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []*http.Request
	down  int
	got   chan struct{}
}

func newS2SReceiver(t *testing.T, down int) *s2sReceiver {
	rc := &s2sReceiver{down: down, got: make(chan struct{}, 16)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.calls = append(rc.calls, r)
		n := len(rc.calls)
		rc.mu.Unlock()
		if n <= rc.down {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		rc.got <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *s2sReceiver) wait(t *testing.T) *http.Request {
	t.Helper()
	select {
	case <-rc.got:
	case <-time.After(30 * time.Second):
		t.Fatal("the notification never arrived")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls[len(rc.calls)-1]
}

// TestServerToServerNotification: after the buyer pays, the shop's
// server-to-server URL gets a GET with a and b and no User-Agent, through
// the durable delivery engine: retried while the shop is down, and in the
// delivery log.
func TestServerToServerNotification(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		ctx := context.Background()
		rc := newS2SReceiver(t, 1)
		// The shop's server-to-server URL, set as its back office would.
		app, err := e.Svc.UpdateApplication(e.A.AdminCtx(ctx), e.A.App.ID, core.ApplicationInput{
			NotifyURL: pasarela.Set(rc.srv.URL + "/?wc-api=WC_Gateway_Gestpay"), NotifyFormat: pasarela.FormatGestpay}, false)
		if err != nil {
			t.Fatal(err)
		}
		hook := struct{ ID int64 }{app.Pages.NotifyWebhook}
		s := e.mustEncrypt(orderOf(e.A, "S2S-1", "30.00")...)
		e.buyer().pay(e.A, s, "4775718800002026")

		key, err := gestpay.CryptKey(ctx, e.Svc)
		if err != nil {
			t.Fatal(err)
		}
		d := &worker.Deliverer{Svc: e.Svc, Renderers: server.Renderers(e.URL, key), AllowPrivate: true, Poll: 5 * time.Millisecond}
		d.Start(ctx)
		defer d.Stop()
		first := rc.wait(t) // answered 503
		// Once the failure is recorded (with its retry due on the test's
		// clock), the clock moves past the backoff.
		e.waitDelivery(hook.ID, func(d pasarela.Delivery) bool { return d.LastStatus == 503 })
		e.Clk.Advance(time.Hour)
		r := rc.wait(t)
		for _, req := range []*http.Request{first, r} {
			if _, ua := req.Header["User-Agent"]; ua || req.Method != "GET" || req.Header.Get("Content-Type") != "" {
				t.Errorf("notification %s %v", req.Method, req.Header)
			}
		}
		q := r.URL.Query()
		if q.Get("wc-api") != "WC_Gateway_Gestpay" || q.Get("a") != e.A.App.ShopLogin || q.Get("b") == "" {
			t.Fatalf("notification query %q", r.URL.RawQuery)
		}
		res := e.call("Decrypt", "shopLogin", q.Get("a"), "CryptedString", q.Get("b"), "apikey", e.A.App.APIKey)
		if res["TransactionResult"] != "OK" || res["ShopTransactionID"] != "S2S-1" || res["Amount"] != "30.00" {
			t.Fatalf("Decrypt of the notification's b: %v", res)
		}
		// Another shop cannot read it.
		if res := e.call("Decrypt", "shopLogin", e.B.App.ShopLogin, "CryptedString", q.Get("b"), "apikey", e.B.App.APIKey); res["ErrorCode"] != "1136" {
			t.Errorf("shop B Decrypts A's notification: %v", res)
		}
		got := e.waitDelivery(hook.ID, func(d pasarela.Delivery) bool { return d.Status == pasarela.DeliveryDelivered })
		if got.Attempts != 2 || got.EventType != "payment.completed" || len(got.Log) != 2 || got.Log[0].Status != 503 {
			t.Errorf("delivery %+v", got)
		}
		// A refused card is notified too: KO with its code.
		s = e.mustEncrypt(orderOf(e.A, "S2S-2", "30.00")...)
		e.buyer().pay(e.A, s, "5432123456789012")
		q = rc.wait(t).URL.Query()
		res = e.call("Decrypt", "shopLogin", q.Get("a"), "CryptedString", q.Get("b"), "apikey", e.A.App.APIKey)
		if res["TransactionResult"] != "KO" || res["ShopTransactionID"] != "S2S-2" || res["ErrorCode"] != "74" {
			t.Fatalf("Decrypt of the refusal's notification: %v", res)
		}
	})
}

// waitDelivery waits until the only delivery of shop A's webhook hook is
// as ok wants, and returns it with its log.
func (e *env) waitDelivery(hook int64, ok func(pasarela.Delivery) bool) pasarela.Delivery {
	e.t.Helper()
	ctx := e.A.AdminCtx(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds, _, err := e.Svc.ListDeliveries(ctx, e.A.App.ID, hook, core.DeliveryFilter{}, pasarela.ListOptions{})
		if err != nil || len(ds) > 1 {
			e.t.Fatalf("deliveries %v %v", ds, err)
		}
		if len(ds) == 1 && ok(ds[0]) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deliveries never as wanted: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
