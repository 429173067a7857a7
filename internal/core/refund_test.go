package core_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestRefunds walks refund sequences on a 10.50 EUR payment: each step's
// answer, the payment's status and refunded amount, and the ledger
// postings after it.
func TestRefunds(t *testing.T) {
	t.Parallel()
	type step = refundStep
	tests := []struct {
		name  string
		steps []step
	}{
		{"full", []step{{0, "", pasarela.StatusRefunded, 1050}}},
		{"full by amount", []step{{1050, "", pasarela.StatusRefunded, 1050}}},
		{"partial then the rest", []step{
			{300, "", pasarela.StatusPartiallyRefunded, 300},
			{0, "", pasarela.StatusRefunded, 1050}}},
		{"three partials", []step{
			{300, "", pasarela.StatusPartiallyRefunded, 300},
			{300, "", pasarela.StatusPartiallyRefunded, 600},
			{450, "", pasarela.StatusRefunded, 1050}}},
		{"over-refund at once", []step{
			{1051, "exceeds_refundable", pasarela.StatusCompleted, 0},
			{1050, "", pasarela.StatusRefunded, 1050}}},
		{"over-refund after a partial", []step{
			{300, "", pasarela.StatusPartiallyRefunded, 300},
			{751, "exceeds_refundable", pasarela.StatusPartiallyRefunded, 300},
			{750, "", pasarela.StatusRefunded, 1050}}},
		{"nothing left", []step{
			{0, "", pasarela.StatusRefunded, 1050},
			{1, "not_refundable", pasarela.StatusRefunded, 1050},
			{0, "not_refundable", pasarela.StatusRefunded, 1050}}},
		{"negative", []step{{-5, "amount", pasarela.StatusCompleted, 0}}},
	}
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		for _, tc := range tests {
			p := e.MustCompleted(core.PaymentInput{Amount: 1050})
			wantPostings := []string{"capture"}
			for i, s := range tc.steps {
				r, replay, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: s.amount, Reason: "returned"}, nil)
				if s.code != "" {
					wantErr(t, tc.name, err, pasarela.KindInvalid, s.code)
					if s.code == "exceeds_refundable" && pasarela.AsError(err).Field != "amount" {
						t.Errorf("%s step %d: the error names field %q", tc.name, i, pasarela.AsError(err).Field)
					}
				} else {
					want := s.amount
					if want == 0 { // the rest
						want = s.refunded
						if i > 0 {
							want -= tc.steps[i-1].refunded
						}
					}
					if err != nil || replay != nil || r.Status != pasarela.RefundCompleted || r.Amount != want ||
						r.ProcessorRef == "" || r.Currency != "EUR" || r.PaymentID != p.ID {
						t.Fatalf("%s step %d: refund %+v %v, want %d completed", tc.name, i, r, err, want)
					}
					wantPostings = append(wantPostings, "refund")
				}
				pay := e.MustGet(p.ID)
				if pay.Status != s.status || pay.Refunded != s.refunded {
					t.Errorf("%s step %d: payment %s refunded %d, want %s %d", tc.name, i, pay.Status, pay.Refunded, s.status, s.refunded)
				}
				if got := e.postings(p.ID); !equalStrings(got, wantPostings) {
					t.Errorf("%s step %d: postings %v, want %v", tc.name, i, got, wantPostings)
				}
				if res, _ := e.sandbox.Status(e.ctx, nil, pay.ProcessorRef); s.refunded > 0 && res.Amount != s.refunded {
					t.Errorf("%s step %d: the sandbox refunded %d", tc.name, i, res.Amount)
				}
			}
			refunds, err := e.svc.ListRefunds(e.app(), e.appID(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refunds {
				if r.Status != pasarela.RefundCompleted || r.Reason != "returned" {
					t.Errorf("%s: stored refund %+v", tc.name, r)
				}
			}
		}
	})
}

// refundStep is one refund asked for and what it should leave.
type refundStep struct {
	amount   int64 // 0: the rest
	code     string
	status   pasarela.PaymentStatus
	refunded int64
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRefundInFlight: while a refund is with the processor, another refund
// of the payment is refused as a conflict; once it settles, the next one
// goes through.
func TestRefundInFlight(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		p := e.MustCompleted(core.PaymentInput{Amount: 1050, GatewayConfigs: []int64{fake.ID}})
		arrived, release := e.fake.holdRefunds()
		defer release()
		done := make(chan error, 1)
		var first *pasarela.Refund
		go func() {
			var err error
			first, _, err = e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 200}, nil)
			done <- err
		}()
		select {
		case <-arrived:
		case err := <-done:
			t.Fatalf("the first refund did not wait at the processor: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatal("the first refund never reached the processor")
		}
		_, _, err := e.svc.Refund(e.admin(), e.appID(), p.ID, core.RefundInput{Amount: 100}, nil)
		wantErr(t, "refund while one is pending", err, pasarela.KindConflict, "refund_in_flight", "still with the processor")
		d := e.MustGet(p.ID)
		if d.Status != pasarela.StatusCompleted || d.Refunded != 0 || len(d.Refunds) != 1 || d.Refunds[0].Status != pasarela.RefundPending {
			t.Errorf("while pending: payment %s refunded %d, refunds %+v", d.Status, d.Refunded, d.Refunds)
		}
		if got := e.postings(p.ID); len(got) != 1 {
			t.Errorf("a pending refund posted: %v", got)
		}
		release()
		if err := <-done; err != nil || first.Status != pasarela.RefundCompleted {
			t.Fatalf("first refund: %v %+v", err, first)
		}
		if _, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 100}, nil); err != nil {
			t.Fatalf("refund after the first settled: %v", err)
		}
		d = e.MustGet(p.ID)
		if d.Status != pasarela.StatusPartiallyRefunded || d.Refunded != 300 || !equalStrings(e.postings(p.ID), []string{"capture", "refund", "refund"}) {
			t.Errorf("after both: %s refunded %d postings %v", d.Status, d.Refunded, e.postings(p.ID))
		}
		// 1050 captured on the fake, 300 back.
		if got := e.balance(clearing("fake")); got != -750 {
			t.Errorf("fake clearing %d, want -750", got)
		}
	})
}

// TestRefundFailsAtTheProcessor: a refund the processor does not make is
// recorded as failed, moves no money, and blocks nothing.
func TestRefundFailsAtTheProcessor(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		fake := e.MustConfig("fake", 1, nil)
		p := e.MustCompleted(core.PaymentInput{Amount: 1050, GatewayConfigs: []int64{fake.ID}})
		e.fake.refundFails.Store(true)
		r, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 500}, nil)
		if err != nil || r.Status != pasarela.RefundFailed || r.FailureMessage == "" {
			t.Fatalf("refund at a failing processor: %+v %v, want a failed refund", r, err)
		}
		d := e.MustGet(p.ID)
		if d.Status != pasarela.StatusCompleted || d.Refunded != 0 || len(e.postings(p.ID)) != 1 {
			t.Errorf("after a failed refund: %s refunded %d postings %v", d.Status, d.Refunded, e.postings(p.ID))
		}
		e.fake.refundFails.Store(false)
		if r, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{}, nil); err != nil || r.Amount != 1050 {
			t.Fatalf("refund after a failed one: %+v %v, want all 1050", r, err)
		}
	})
}

// TestRefundIdempotency: a retried refund with the same key answers the
// settled refund and refunds once; who may refund is the merchant's
// application or its admins and managers.
func TestRefundIdempotency(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		p := e.MustCompleted(core.PaymentInput{Amount: 1050})
		key := &core.Idem{Key: "refund-1", Fingerprint: core.Fingerprint([]byte("300")), Render: renderJSON}
		r, replay, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 300}, key)
		if err != nil || replay != nil {
			t.Fatal(err, replay)
		}
		_, want, _ := renderJSON(r)
		for range 2 {
			_, replay, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 300}, key)
			if err != nil || replay == nil || !bytes.Equal(replay.Body, want) || !bytes.Contains(replay.Body, []byte(`"completed"`)) {
				t.Errorf("retry: %v %v, want the settled refund %s", replay, err, want)
			}
		}
		if d := e.MustGet(p.ID); d.Refunded != 300 || len(d.Refunds) != 1 {
			t.Errorf("after retries: refunded %d in %d refunds", d.Refunded, len(d.Refunds))
		}
		other := &core.Idem{Key: "refund-1", Fingerprint: core.Fingerprint([]byte("400")), Render: renderJSON}
		_, _, err = e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 400}, other)
		wantErr(t, "the refund key for another amount", err, pasarela.KindConflict, "idempotency_key_reused")
		// Keys are per payment: the same key refunds another payment.
		q := e.MustCompleted(core.PaymentInput{Amount: 1050})
		if r, replay, err := e.svc.Refund(e.app(), e.appID(), q.ID, core.RefundInput{Amount: 300}, key); err != nil || replay != nil || r.PaymentID != q.ID {
			t.Errorf("the same key on another payment: %+v %v %v", r, replay, err)
		}
		// Roles: users of the client other than admins and managers may not.
		as := func(role pasarela.Role) context.Context {
			return pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: e.A.Client.ID, UserID: 99, Username: "x",
				Roles: []pasarela.Role{role}})
		}
		for _, role := range []pasarela.Role{pasarela.RoleTerminal, pasarela.RoleViewer} {
			_, _, err := e.svc.Refund(as(role), e.appID(), p.ID, core.RefundInput{Amount: 1}, nil)
			wantErr(t, string(role)+" refunds", err, pasarela.KindForbidden, "role_required")
		}
		if _, _, err := e.svc.Refund(as(pasarela.RoleManager), e.appID(), p.ID, core.RefundInput{Amount: 1}, nil); err != nil {
			t.Errorf("a manager refunds: %v", err)
		}
		if _, _, err := e.svc.Refund(e.ctx, e.appID(), p.ID, core.RefundInput{Amount: 1}, nil); pasarela.ErrorKind(err) != pasarela.KindUnauthorized {
			t.Errorf("a refund with no principal: %v", err)
		}
	})
}

// TestRefundLostAnswerStaysPending: a refund call that fails after it may
// have reached the processor is not recorded as failed (the merchant would
// refund again): it stays pending, and the reconciler sends it again under
// the same key, which the processor answers once.
func TestRefundLostAnswerStaysPending(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		p := e.MustCompleted(core.PaymentInput{Amount: 3000})
		cp.mu.Lock()
		cp.refunds = lostAnswer
		cp.mu.Unlock()
		r, _, err := e.svc.Refund(e.A.AdminCtx(e.ctx), e.appID(), p.ID, core.RefundInput{Amount: 1200}, nil)
		if err != nil || r.Status != pasarela.RefundPending {
			t.Fatalf("refund with a lost answer: %+v %v, want pending", r, err)
		}
		cp.mu.Lock()
		cp.refunds = crashNone
		cp.mu.Unlock()
		e.clock.Advance(3 * time.Minute)
		if res := e.reconcile(); res.Refunds != 1 {
			t.Fatalf("reconcile: %+v", res)
		}
		d := e.MustGet(p.ID)
		if d.Refunded != 1200 || len(d.Refunds) != 1 || d.Refunds[0].Status != pasarela.RefundCompleted {
			t.Fatalf("after reconcile: refunded %d, refunds %+v", d.Refunded, d.Refunds)
		}
		if pst := e.postings(p.ID); len(pst) != 2 {
			t.Fatalf("postings %v, want capture and one refund", pst)
		}
	})
}
