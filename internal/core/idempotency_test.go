package core_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// countPayments is how many payments A's application has.
func (e *env) countPayments() int {
	e.t.Helper()
	_, n, err := e.svc.ListPayments(e.app(), e.appID(), core.PaymentFilter{}, pasarela.ListOptions{Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	return n.Count
}

// TestIdempotentCreateRace: requests with one Idempotency-Key racing each
// other create one payment; one caller gets it, every other gets the
// stored answer, byte for byte.
func TestIdempotentCreateRace(t *testing.T) {
	t.Parallel()
	const racers = 8
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		in := core.PaymentInput{Amount: 2500, Currency: "EUR", Description: "one order"}
		for round, key := range []string{"order-1", "order-2", "order-3"} {
			pays := make([]*pasarela.Payment, racers)
			replays := make([]*core.Replay, racers)
			errs := make([]error, racers)
			barrier(racers, func(i int) {
				pays[i], replays[i], errs[i] = e.svc.CreatePayment(e.app(), e.appID(), in, idem(key, `{"amount":"2500"}`))
			})
			var created *pasarela.Payment
			for i := range racers {
				switch {
				case errs[i] != nil:
					t.Errorf("round %d: racer %d: %v", round, i, errs[i])
				case pays[i] != nil && replays[i] != nil:
					t.Errorf("round %d: racer %d got a payment and a replay", round, i)
				case pays[i] != nil:
					if created != nil {
						t.Errorf("round %d: payments %d and %d were both created", round, created.ID, pays[i].ID)
					}
					created = pays[i]
				}
			}
			if created == nil {
				t.Fatalf("round %d: nobody created the payment", round)
			}
			_, want, _ := renderJSON(created)
			for i, r := range replays {
				if r != nil && (r.Status != 201 || !bytes.Equal(r.Body, want)) {
					t.Errorf("round %d: racer %d replayed %d %s, want 201 %s", round, i, r.Status, r.Body, want)
				}
			}
			if n := e.countPayments(); n != round+1 {
				t.Errorf("round %d: %d payments exist, want %d", round, n, round+1)
			}
		}
	})
}

// TestIdempotencyKey covers a key's life: the same request is replayed with
// the first answer, another request with the same key is a conflict, keys
// are per application, and a key lives 24 hours.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		in := core.PaymentInput{Amount: 1050, Currency: "EUR"}
		body := `{"amount":"1050","currency":"EUR"}`
		first, replay, err := e.svc.CreatePayment(e.app(), e.appID(), in, idem("k1", body))
		if err != nil || replay != nil || first == nil {
			t.Fatalf("first request: %v %v %v", first, replay, err)
		}
		_, want, _ := renderJSON(first)

		// What changed since does not change the answer: it is the first one.
		e.MustPay(first.CheckoutToken, cardVisa)
		e.clock.Advance(23 * time.Hour)
		p, replay, err := e.svc.CreatePayment(e.app(), e.appID(), in, idem("k1", body))
		if err != nil || p != nil || replay == nil || !bytes.Equal(replay.Body, want) {
			t.Fatalf("retry after 23 h: %v %v %v, want the first answer replayed", p, replay, err)
		}
		var shown pasarela.Payment
		if err := json.Unmarshal(replay.Body, &shown); err != nil || shown.ID != first.ID || shown.Status != pasarela.StatusPending {
			t.Errorf("replayed %+v (%v)", shown, err)
		}

		// Another body with the same key is refused, and creates nothing.
		other := in
		other.Amount = 9999
		_, _, err = e.svc.CreatePayment(e.app(), e.appID(), other, idem("k1", `{"amount":"9999","currency":"EUR"}`))
		wantErr(t, "same key, other body", err, pasarela.KindConflict, "idempotency_key_reused", "Idempotency-Key")

		// Another application of the client has keys of its own.
		app2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "second app")
		ctx2 := coretest.AppCtx(e.ctx, &app2.Application)
		if _, err := e.svc.CreateGatewayConfig(e.admin(), app2.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
			Name: pasarela.Set("sandbox")}); err != nil {
			t.Fatal(err)
		}
		if p, replay, err := e.svc.CreatePayment(ctx2, app2.ID, in, idem("k1", body)); err != nil || replay != nil || p == nil {
			t.Errorf("the same key on another application: %v %v %v, want a new payment", p, replay, err)
		}
		if n := e.countPayments(); n != 1 {
			t.Errorf("%d payments, want 1", n)
		}

		// Past 24 hours the key is free again: the same request creates anew.
		e.clock.Advance(2 * time.Hour)
		p, replay, err = e.svc.CreatePayment(e.app(), e.appID(), in, idem("k1", body))
		if err != nil || replay != nil || p == nil || p.ID == first.ID {
			t.Fatalf("retry after 25 h: %v %v %v, want a new payment", p, replay, err)
		}
		// … and the new record is the one replayed from now on.
		_, again, err := e.svc.CreatePayment(e.app(), e.appID(), in, idem("k1", body))
		if _, want2, _ := renderJSON(p); err != nil || again == nil || !bytes.Equal(again.Body, want2) {
			t.Errorf("replay of the renewed key: %v %v", again, err)
		}
		if n := e.countPayments(); n != 2 {
			t.Errorf("%d payments, want 2", n)
		}
	})
}

// TestIdempotencyKeyRejectsBadInput: a failed request stores nothing, so
// the same key may be used again once the request is right.
func TestIdempotencyKeyRejectsBadInput(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		_, _, err := e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "XXX"}, idem("k", "bad"))
		wantErr(t, "bad currency", err, pasarela.KindInvalid, "currency")
		if _, replay, err := e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "EUR"}, idem("k", "good")); err != nil || replay != nil {
			t.Errorf("the key after a refused request: %v %v", replay, err)
		}
		for _, key := range []string{"", "has space", string(make([]byte, 256)), "tab\t"} {
			if err := core.CheckIdempotencyKey(key); pasarela.ErrorKind(err) != pasarela.KindInvalid {
				t.Errorf("CheckIdempotencyKey(%q) = %v", key, err)
			}
		}
		if err := core.CheckIdempotencyKey("3f1c-ab_9:x"); err != nil {
			t.Errorf("a good key: %v", err)
		}
	})
}
