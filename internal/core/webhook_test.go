package core_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/webhook"
)

// MustWebhook creates a webhook of A's application with its key.
func (e *env) MustWebhook(in core.WebhookInput) *pasarela.Webhook {
	e.t.Helper()
	if in.Entity == "" {
		in.Entity = pasarela.EntityPayment
	}
	if in.Targets == nil {
		in.Targets = []string{"https://hooks.example.com/a"}
	}
	if in.Format == "" {
		in.Format = pasarela.FormatPayREST
	}
	w, _, err := e.svc.CreateWebhook(e.app(), e.appID(), in, nil)
	if err != nil {
		e.t.Fatalf("create webhook: %v", err)
	}
	return w
}

// testRenderers render the payrest format as the payload's resource in
// plain JSON: the core's tests need a format, not a face's shapes, which
// the faces' own tests check.
var testRenderers = core.Renderers{pasarela.FormatPayREST: {
	pasarela.EntityPayment: func(p *pasarela.EventPayload, _ core.Recipient) (core.Rendered, error) {
		b, err := json.Marshal(p.Payment)
		return core.Rendered{Body: b}, err
	},
	pasarela.EntityRefund: func(p *pasarela.EventPayload, _ core.Recipient) (core.Rendered, error) {
		b, err := json.Marshal(p.Refund)
		return core.Rendered{Body: b}, err
	},
}}

// claim leases every due delivery, rendered by testRenderers.
func (e *env) claim(owner string) []*core.DeliveryJob {
	e.t.Helper()
	return e.claimWith(owner, testRenderers)
}

// claimWith leases every due delivery, rendered by r.
func (e *env) claimWith(owner string, r core.Renderers) []*core.DeliveryJob {
	e.t.Helper()
	jobs, err := e.svc.ClaimDeliveries(e.ctx, owner, 100, time.Minute, nil, r)
	if err != nil {
		e.t.Fatalf("claim: %v", err)
	}
	return jobs
}

func (e *env) finish(j *core.DeliveryJob, res webhook.Result) {
	e.t.Helper()
	if err := e.svc.FinishDelivery(e.ctx, j, res); err != nil {
		e.t.Fatalf("finish: %v", err)
	}
}

func (e *env) deliveries(w *pasarela.Webhook) []pasarela.Delivery {
	e.t.Helper()
	ds, _, err := e.svc.ListDeliveries(e.app(), e.appID(), w.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
	if err != nil {
		e.t.Fatalf("list deliveries: %v", err)
	}
	return ds
}

func TestWebhookEventsInTransition(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		all := e.MustWebhook(core.WebhookInput{Targets: []string{"https://hooks.example.com/a", "https://hooks.example.com/b"}})
		done := e.MustWebhook(core.WebhookInput{Events: []string{"payment.completed"}})
		refunds := e.MustWebhook(core.WebhookInput{Entity: pasarela.EntityRefund})
		if all.Secret == "" || !strings.HasPrefix(all.Secret, webhook.SecretPrefix) || all.Secret == done.Secret {
			t.Fatalf("secrets %q and %q: want two distinct whsec_ secrets", all.Secret, done.Secret)
		}
		p := e.MustCompleted(core.PaymentInput{})

		events, err := e.svc.Events(e.app(), e.appID(), pasarela.EntityPayment, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, ev := range events {
			types = append(types, ev.Type)
			if !strings.HasPrefix(ev.ID, "evt_") || ev.EntityID != p.ID || ev.ApplicationID != e.appID() {
				t.Errorf("event %+v", ev)
			}
		}
		if len(types) == 0 || types[len(types)-1] != "payment.completed" {
			t.Fatalf("event types %v, want them to end with payment.completed", types)
		}
		// The event holds the neutral payload of the payment as it was at
		// the change, whatever faces there are (none in these tests).
		last := events[len(events)-1]
		payload, err := last.Payload()
		if err != nil || last.Version != pasarela.EventVersion || payload.Version != pasarela.EventVersion ||
			payload.Entity != pasarela.EntityPayment || payload.Payment == nil || payload.Refund != nil {
			t.Fatalf("event version %d, payload %s (%v)", last.Version, last.Data, err)
		}
		if pp := payload.Payment; pp.ID != p.ID || pp.Status != pasarela.StatusCompleted || pp.Amount != 1050 ||
			pp.Currency != "EUR" || pp.ApplicationID != e.appID() || pp.CheckoutToken == "" || pp.Card == nil {
			t.Fatalf("payment payload %s", last.Data)
		}
		if got, want := len(e.deliveries(all)), 2*len(types); got != want {
			t.Errorf("webhook of every payment event has %d deliveries, want %d (2 targets × %v)", got, want, types)
		}
		if ds := e.deliveries(done); len(ds) != 1 || ds[0].EventType != "payment.completed" || ds[0].Status != pasarela.DeliveryPending {
			t.Errorf("filtered webhook deliveries %+v, want one pending payment.completed", ds)
		}

		if _, _, err := e.svc.Refund(e.admin(), e.appID(), p.ID, core.RefundInput{Amount: 50}, nil); err != nil {
			t.Fatal(err)
		}
		var refundTypes []string
		for _, d := range e.deliveries(refunds) {
			refundTypes = append(refundTypes, d.EventType)
		}
		if strings.Join(refundTypes, ",") != "refund.created,refund.completed" {
			t.Errorf("refund webhook got %v, want refund.created, refund.completed", refundTypes)
		}
		if ds := e.deliveries(done); len(ds) != 1 {
			t.Errorf("payment.completed webhook got %d deliveries after a partial refund, want still 1", len(ds))
		}
	})
}

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		tests := []struct {
			name  string
			in    core.WebhookInput
			field string
		}{
			{"no targets", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment"}, "targets"},
			{"bad scheme", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"ftp://x.example.com"}}, "targets[0]"},
			{"loopback", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"https://ok.example.com", "http://127.0.0.1/"}}, "targets[1]"},
			{"metadata address", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"http://169.254.169.254/"}}, "targets[0]"},
			{"duplicate", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"https://a.example.com", "https://a.example.com"}}, "targets[1]"},
			{"entity", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "kitten", Targets: []string{"https://a.example.com"}}, "entity"},
			{"no entity", core.WebhookInput{Format: pasarela.FormatPayREST, Targets: []string{"https://a.example.com"}}, "entity"},
			{"method", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Method: "GET", Targets: []string{"https://a.example.com"}}, "method"},
			{"event of another entity", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"https://a.example.com"}, Events: []string{"refund.completed"}}, "events[0]"},
			{"unknown payment event", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"https://a.example.com"}, Events: []string{"payment.paid"}}, "events[0]"},
			{"unknown refund event", core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "refund", Targets: []string{"https://a.example.com"}, Events: []string{"refund.pending"}}, "events[0]"},
		}
		for _, tt := range tests {
			_, _, err := e.svc.CreateWebhook(e.app(), e.appID(), tt.in, nil)
			fe := pasarela.AsError(err)
			if fe == nil || fe.Kind != pasarela.KindInvalid || !hasField(fe, tt.field) {
				t.Errorf("%s: %v, want an invalid %s", tt.name, err, tt.field)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM webhooks`); n != 0 {
			t.Errorf("%d webhooks stored by refused requests", n)
		}
		w := e.MustWebhook(core.WebhookInput{Method: "patch", Entity: "subscription", Targets: []string{"https://a.example.com/x"},
			Events: []string{"subscription.created"}})
		if w.Method != "PATCH" || w.Entity != "subscription" {
			t.Errorf("created %+v", w)
		}
	})
}

func hasField(e *pasarela.Error, field string) bool {
	if e.Field == field {
		return true
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestWebhookTenantIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		w := e.MustWebhook(core.WebhookInput{})
		e.MustCompleted(core.PaymentInput{})
		d := e.deliveries(w)[0]
		other := coretestApp(t, e) // another application of A
		for name, ctx := range map[string]func() (any, error){
			"B lists": func() (any, error) {
				l, _, err := e.svc.ListWebhooks(e.B.AdminCtx(e.ctx), e.appID(), pasarela.ListOptions{})
				return l, err
			},
			"B gets":    func() (any, error) { return e.svc.GetWebhook(e.B.AdminCtx(e.ctx), e.appID(), w.ID) },
			"B deletes": func() (any, error) { return nil, e.svc.DeleteWebhook(e.B.AdminCtx(e.ctx), e.appID(), w.ID) },
			"B creates": func() (any, error) {
				w, _, err := e.svc.CreateWebhook(e.B.AdminCtx(e.ctx), e.appID(), core.WebhookInput{Format: pasarela.FormatPayREST, Entity: "payment", Targets: []string{"https://b.example.com"}}, nil)
				return w, err
			},
			"B deliveries": func() (any, error) {
				l, _, err := e.svc.ListDeliveries(e.B.AdminCtx(e.ctx), e.appID(), w.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
				return l, err
			},
			"B retries": func() (any, error) { return e.svc.RetryDelivery(e.B.AdminCtx(e.ctx), e.appID(), w.ID, d.ID) },
			"B's app in B's path": func() (any, error) {
				l, _, err := e.svc.ListDeliveries(e.B.AppCtx(e.ctx), e.B.App.ID, w.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
				return l, err
			},
			"other app's key": func() (any, error) { return e.svc.GetWebhook(coretestAppCtx(e, other), e.appID(), w.ID) },
			"other app's path": func() (any, error) {
				return e.svc.GetWebhook(e.admin(), other.ID, w.ID)
			},
			"other app retries": func() (any, error) { return e.svc.RetryDelivery(e.admin(), other.ID, w.ID, d.ID) },
		} {
			v, err := ctx()
			if pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s: %v, %v; want not found", name, v, err)
			}
		}
		// B's payments never reach A's webhook.
		before := len(e.deliveries(w))
		cfgB, err := e.svc.CreateGatewayConfig(e.B.AdminCtx(e.ctx), e.B.App.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
			Name: pasarela.Set("s"), Weight: pasarela.Set(1)})
		if err != nil {
			t.Fatal(err)
		}
		_ = cfgB
		pb, _, err := e.svc.CreatePayment(e.B.AppCtx(e.ctx), e.B.App.ID, core.PaymentInput{Amount: 100, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.MustPay(pb.CheckoutToken, cardVisa)
		if after := len(e.deliveries(w)); after != before {
			t.Errorf("A's webhook went from %d to %d deliveries after B's payment", before, after)
		}
		if _, err := e.svc.GetWebhook(e.app(), e.appID(), w.ID); err != nil {
			t.Errorf("the webhook is gone after the refused calls: %v", err)
		}
	})
}

func coretestApp(t *testing.T, e *env) *core.NewApplication {
	t.Helper()
	a, err := e.svc.OperatorCreateApplication(e.ctx, e.A.Client.ID, "Alpha other")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func coretestAppCtx(e *env, a *core.NewApplication) context.Context {
	return pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: a.ClientID, ApplicationID: a.ID})
}

func TestDeliveryRetriesAndLease(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		w := e.MustWebhook(core.WebhookInput{Events: []string{"payment.completed"}})
		p := e.MustCompleted(core.PaymentInput{})

		jobs := e.claim("w1")
		if len(jobs) != 1 {
			t.Fatalf("claimed %d, want 1", len(jobs))
		}
		j := jobs[0]
		if j.Attempts != 1 || j.Request.Method != "POST" || j.Request.URL != "https://hooks.example.com/a" {
			t.Fatalf("job %+v", j.Delivery)
		}
		// The request is signed both ways: Standard Webhooks with the
		// endpoint's secret, PayREST's Hash with the application's key.
		h := j.Request.Headers
		if h[webhook.HeaderID] != j.EventID || h[webhook.HeaderEventType] != "payment.completed" {
			t.Fatalf("headers %v", h)
		}
		if err := webhook.Verify(w.Secret, h[webhook.HeaderID], h[webhook.HeaderTimestamp], h[webhook.HeaderSignature], j.Request.Body, e.clock.Now(), 0); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if err := webhook.VerifyHash(e.A.App.APIKey, h[webhook.HeaderHash], j.Request.Body); err != nil {
			t.Fatalf("Hash: %v", err)
		}
		var body struct{ ID int64 }
		if json.Unmarshal(j.Request.Body, &body); body.ID != p.ID {
			t.Fatalf("body %s", j.Request.Body)
		}
		if again := e.claim("w2"); len(again) != 0 {
			t.Fatalf("a leased delivery was claimed again: %d", len(again))
		}

		// A receiver error schedules a retry with backoff.
		e.finish(j, webhook.Result{Status: 503, Response: "busy", Latency: 12 * time.Millisecond})
		d := e.deliveries(w)[0]
		if d.Status != pasarela.DeliveryPending || d.LastStatus != 503 || !d.NextAttemptAt.After(e.clock.Now()) || len(d.Log) != 1 {
			t.Fatalf("after a 503: %+v", d)
		}
		if a := d.Log[0]; a.Attempt != 1 || a.Status != 503 || a.Response != "busy" || a.Latency != 12*time.Millisecond {
			t.Fatalf("log %+v", a)
		}
		if got := e.claim("w2"); len(got) != 0 {
			t.Fatal("claimed before it was due")
		}
		e.clock.Advance(d.NextAttemptAt.Sub(e.clock.Now()))

		// A worker that dies mid-send: its lease ends, another takes over.
		dying := e.claim("w3")
		if len(dying) != 1 || dying[0].Attempts != 2 {
			t.Fatalf("claimed %d", len(dying))
		}
		e.clock.Advance(time.Minute) // the lease
		taken := e.claim("w4")
		if len(taken) != 1 || taken[0].ID != dying[0].ID || taken[0].Attempts != 3 {
			t.Fatalf("after the lease ended claimed %+v", taken)
		}
		// The first worker, back from the dead, changes nothing.
		e.finish(dying[0], webhook.Result{Status: 200})
		if d := e.deliveries(w)[0]; d.Status != pasarela.DeliveryPending {
			t.Fatalf("a lost lease delivered: %+v", d)
		}
		e.finish(taken[0], webhook.Result{Status: 204})
		d = e.deliveries(w)[0]
		if d.Status != pasarela.DeliveryDelivered || d.DeliveredAt == nil || d.Attempts != 3 || len(d.Log) != 3 {
			t.Fatalf("after a 204: %+v", d)
		}

		// Redeliver: due at once, signed again, same webhook-id.
		if _, err := e.svc.RetryDelivery(e.app(), e.appID(), w.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		again := e.claim("w5")
		if len(again) != 1 || again[0].Request.Headers[webhook.HeaderID] != j.EventID {
			t.Fatalf("redelivery %+v", again)
		}
		if _, err := e.svc.RetryDelivery(e.app(), e.appID(), w.ID, d.ID); pasarela.ErrorKind(err) != pasarela.KindConflict {
			t.Fatalf("retry of a delivery in flight: %v, want conflict", err)
		}
		e.finish(again[0], webhook.Result{Status: 200})
	})
}

func TestDeliveryDeadAfterRetryWindow(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		w := e.MustWebhook(core.WebhookInput{Events: []string{"payment.completed"}})
		e.MustCompleted(core.PaymentInput{})
		start := e.clock.Now()
		var prev time.Duration
		attempts := 0
		for {
			jobs := e.claim("w")
			if len(jobs) != 1 {
				t.Fatalf("attempt %d: claimed %d", attempts+1, len(jobs))
			}
			attempts++
			e.finish(jobs[0], webhook.Result{Status: 500})
			d := e.deliveries(w)[0]
			if d.Status == pasarela.DeliveryDead {
				break
			}
			wait := d.NextAttemptAt.Sub(e.clock.Now())
			if wait <= 0 || wait > 4*time.Hour {
				t.Fatalf("attempt %d: next in %s", attempts, wait)
			}
			if attempts > 3 && wait < prev/4 {
				t.Fatalf("attempt %d: delay %s after %s does not grow", attempts, wait, prev)
			}
			prev = wait
			e.clock.Advance(wait)
			if attempts > 200 {
				t.Fatal("never dead")
			}
		}
		if age := e.clock.Now().Sub(start); age < 72*time.Hour || age > 80*time.Hour {
			t.Fatalf("dead after %s and %d attempts, want at least 72 h and not much more", age, attempts)
		}
		if got := e.claim("w"); len(got) != 0 {
			t.Fatal("a dead delivery was claimed")
		}
	})
}

func TestDeliveryGoneDisablesWebhook(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		w := e.MustWebhook(core.WebhookInput{})
		e.MustCompleted(core.PaymentInput{})
		e.MustCompleted(core.PaymentInput{})
		jobs := e.claim("w")
		if len(jobs) != 2 {
			// A payment's later events wait for its first (ordered
			// delivery), so one job per payment.
			t.Fatalf("claimed %d, want the first event of each payment", len(jobs))
		}
		e.finish(jobs[0], webhook.Result{Status: 410})
		got, err := e.svc.GetWebhook(e.app(), e.appID(), w.ID)
		if err != nil || !got.Disabled {
			t.Fatalf("after a 410 the webhook is %+v (%v), want disabled", got, err)
		}
		for _, d := range e.deliveries(w) {
			if d.Status != pasarela.DeliveryDead {
				t.Errorf("delivery %d is %s, want dead", d.ID, d.Status)
			}
		}
		// The other claimed jobs lost their row's pending state: recording
		// them changes nothing.
		e.finish(jobs[1], webhook.Result{Status: 200})
		n := len(e.deliveries(w))
		e.MustCompleted(core.PaymentInput{})
		if len(e.deliveries(w)) != n {
			t.Error("a disabled webhook got new deliveries")
		}
	})
}

func TestDeliveryHashFollowsKeyRotation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		e.MustWebhook(core.WebhookInput{Events: []string{"payment.completed"}})
		na, err := e.svc.RecreateKey(e.admin(), e.appID())
		if err != nil {
			t.Fatal(err)
		}
		e.A.App.APIKey = na.APIKey
		e.MustCompleted(core.PaymentInput{})
		jobs := e.claim("w")
		if len(jobs) != 1 {
			t.Fatalf("claimed %d", len(jobs))
		}
		if err := webhook.VerifyHash(na.APIKey, jobs[0].Request.Headers[webhook.HeaderHash], jobs[0].Request.Body); err != nil {
			t.Fatalf("Hash after rotation: %v", err)
		}
		// The key is kept sealed, never in clear.
		if strings.Contains(e.tableText("application_sealed_keys"), na.APIKey) {
			t.Fatal("the API key is stored in clear")
		}
		if strings.Contains(e.tableText("webhooks"), "whsec_") {
			t.Fatal("a webhook secret is stored in clear")
		}
		e.finish(jobs[0], webhook.Result{Status: 200})
	})
}

// TestDeliveryLegacyEventBodyUnchanged: an event recorded before payloads
// were neutral (version 0) holds the PayREST body rendered then; its
// deliveries send that body byte for byte, signed over it, so a receiver
// checking the signatures of a retry sees what it saw before.
func TestDeliveryLegacyEventBodyUnchanged(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		w := e.MustWebhook(core.WebhookInput{})
		// A PayREST body as the renderers of old wrote it, with spacing and
		// key order no renderer of today would produce.
		legacy := `{"id":7, "transactionId":"tx_legacy","status":"completed","amount":"1050","links":[]}`
		now := e.clock.Now()
		if err := e.db.Update(e.ctx, func(tx *store.Tx) error {
			ev := &pasarela.Event{ID: "evt_legacy", ClientID: e.A.Client.ID, ApplicationID: e.appID(), Type: "payment.completed",
				Entity: pasarela.EntityPayment, EntityID: 7, Version: pasarela.EventVersionLegacy, Data: []byte(legacy), CreatedAt: now}
			if err := tx.CreateEvent(e.ctx, ev); err != nil {
				return err
			}
			return tx.CreateDelivery(e.ctx, &pasarela.Delivery{ClientID: e.A.Client.ID, ApplicationID: e.appID(), WebhookID: w.ID,
				EventID: ev.ID, Target: w.Targets[0], Status: pasarela.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		// No renderer is needed, nor used: the stored body is the body.
		jobs := e.claimWith("w", nil)
		if len(jobs) != 1 || jobs[0].Err != nil {
			t.Fatalf("claimed %d jobs (%+v)", len(jobs), jobs)
		}
		j := jobs[0]
		if string(j.Request.Body) != legacy {
			t.Fatalf("body %s, want the stored %s", j.Request.Body, legacy)
		}
		h := j.Request.Headers
		if err := webhook.Verify(w.Secret, h[webhook.HeaderID], h[webhook.HeaderTimestamp], h[webhook.HeaderSignature], []byte(legacy), now, 0); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if err := webhook.VerifyHash(e.A.App.APIKey, h[webhook.HeaderHash], []byte(legacy)); err != nil {
			t.Fatalf("Hash: %v", err)
		}
		e.finish(j, webhook.Result{Status: 200})
	})
}

// TestDeliveryWithoutRenderer: a format or entity the gateway has no
// renderer for fails the delivery, with the reason in its log, and is
// retried later (a newer gateway may render it).
func TestDeliveryWithoutRenderer(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		w := e.MustWebhook(core.WebhookInput{Events: []string{"payment.completed"}})
		e.MustCompleted(core.PaymentInput{})
		noPayments := core.Renderers{pasarela.FormatPayREST: {pasarela.EntityRefund: testRenderers[pasarela.FormatPayREST][pasarela.EntityRefund]}}
		for _, r := range []core.Renderers{nil, noPayments} {
			jobs := e.claimWith("w", r)
			if len(jobs) != 1 || jobs[0].Err == nil || !strings.Contains(jobs[0].Err.Error(), "no renderer of payment events") {
				t.Fatalf("claimed %+v, want one job that cannot be rendered", jobs)
			}
			e.finish(jobs[0], webhook.Result{})
			d := e.deliveries(w)[0]
			if d.Status != pasarela.DeliveryPending || !strings.Contains(d.LastError, "no renderer") ||
				len(d.Log) == 0 || !strings.Contains(d.Log[len(d.Log)-1].Error, "no renderer") {
				t.Fatalf("delivery %+v, want pending with the reason logged", d)
			}
			e.clock.Advance(5 * time.Hour)
		}
		jobs := e.claim("w")
		if len(jobs) != 1 || jobs[0].Err != nil {
			t.Fatalf("claimed %+v with a renderer", jobs)
		}
		e.finish(jobs[0], webhook.Result{Status: 204})
	})
}

// TestWebhookFormat: an endpoint keeps the format it was created with, and
// no format, or one the gateway cannot send, is refused: the core picks no
// face's format for a caller.
func TestWebhookFormat(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		w := e.MustWebhook(core.WebhookInput{Format: pasarela.FormatPayREST})
		if got, err := e.svc.GetWebhook(e.app(), e.appID(), w.ID); err != nil || got.Format != pasarela.FormatPayREST {
			t.Fatalf("read back format %v (%v)", got, err)
		}
		for _, format := range []string{"", "soap"} {
			_, _, err := e.svc.CreateWebhook(e.app(), e.appID(), core.WebhookInput{Targets: []string{"https://hooks.example.com/x"},
				Entity: pasarela.EntityPayment, Format: format}, nil)
			if pasarela.ErrorKind(err) != pasarela.KindInvalid || pasarela.AsError(err).Field != "format" {
				t.Fatalf("format %q: %v, want invalid format", format, err)
			}
		}
	})
}

func TestWithQuery(t *testing.T) {
	for _, c := range []struct{ target, query, want string }{
		{"https://shop.example/s2s", "a=1&b=2", "https://shop.example/s2s?a=1&b=2"},
		{"https://shop.example/?wc-api=X", "a=1", "https://shop.example/?wc-api=X&a=1"},
		{"https://shop.example/?", "a=1", "https://shop.example/?a=1"},
		{"https://shop.example/x?y=1&", "a=1", "https://shop.example/x?y=1&a=1"},
		{"https://shop.example/x#top", "a=1", "https://shop.example/x?a=1#top"},
		{"https://shop.example/x", "", "https://shop.example/x"},
	} {
		if got := core.WithQuery(c.target, c.query); got != c.want {
			t.Errorf("WithQuery(%q, %q) = %q, want %q", c.target, c.query, got, c.want)
		}
	}
}
