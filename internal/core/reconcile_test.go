package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// crashMode is where a crashProc makes its process "die".
type crashMode int

const (
	crashNone          crashMode = iota
	crashBeforeCall              // the process dies after its claim, before the processor sees the call
	crashAfterCall               // the processor does the work; the process dies before it settles
	holdAfterCall                // the process hangs after the processor's answer until released
	unreachableLookups           // Lookup and Status fail as an unreachable processor's would
	lostAnswer                   // the processor does the work; its answer is lost on the way back
	lostAnswerDown               // as lostAnswer, and Lookup fails too
)

// crashProc is the sandbox behind a switch that makes the calling process
// die: the call blocks until its context ends (the process is gone, so
// nothing after it is written), or hangs until the test releases it (a
// process that is slow past its lease, then comes back).
type crashProc struct {
	processor.Processor // the sandbox, set once the env exists

	mu      sync.Mutex
	mode    crashMode
	arrived chan processor.Charge // a charge reached the switch
	release chan struct{}
	refunds crashMode
}

func (c *crashProc) Gateway() processor.Gateway { return sandbox.New(nil).Gateway() }

func (c *crashProc) set(m crashMode) (arrived <-chan processor.Charge, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mode, c.arrived, c.release = m, make(chan processor.Charge, 10), make(chan struct{})
	rel := c.release
	var once sync.Once
	return c.arrived, func() { once.Do(func() { close(rel) }) }
}

func (c *crashProc) state() (crashMode, chan processor.Charge, chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mode, c.arrived, c.release
}

func (c *crashProc) Authorize(ctx context.Context, cfg processor.Config, ch processor.Charge) (processor.Result, error) {
	mode, arrived, release := c.state()
	switch mode {
	case crashBeforeCall:
		arrived <- ch
		<-ctx.Done()
		return processor.Result{}, ctx.Err()
	case crashAfterCall:
		_, _ = c.Processor.Authorize(ctx, cfg, ch)
		arrived <- ch
		<-ctx.Done()
		return processor.Result{}, ctx.Err()
	case holdAfterCall:
		res, err := c.Processor.Authorize(ctx, cfg, ch)
		arrived <- ch
		<-release
		return res, err
	case lostAnswer, lostAnswerDown:
		_, _ = c.Processor.Authorize(ctx, cfg, ch)
		return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable", Message: "connection reset"}
	}
	return c.Processor.Authorize(ctx, cfg, ch)
}

func (c *crashProc) Refund(ctx context.Context, cfg processor.Config, ref string, amount int64, key string) (processor.Result, error) {
	c.mu.Lock()
	mode, arrived := c.refunds, c.arrived
	c.mu.Unlock()
	if mode == crashAfterCall {
		_, _ = c.Processor.Refund(ctx, cfg, ref, amount, key)
		arrived <- processor.Charge{Reference: ref, IdempotencyKey: key}
		<-ctx.Done()
		return processor.Result{}, ctx.Err()
	}
	if mode == lostAnswer {
		_, _ = c.Processor.Refund(ctx, cfg, ref, amount, key)
		return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable", Message: "connection reset"}
	}
	return c.Processor.Refund(ctx, cfg, ref, amount, key)
}

func (c *crashProc) Lookup(ctx context.Context, cfg processor.Config, key string) (processor.Result, error) {
	if mode, _, _ := c.state(); mode == unreachableLookups || mode == lostAnswerDown {
		return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable", Message: "down"}
	}
	return c.Processor.Lookup(ctx, cfg, key)
}

// reconcileEnv is the real stack with the crash switch as its sandbox.
func reconcileEnv(t *testing.T, engine string, opts ...envOption) (*env, *crashProc) {
	t.Helper()
	cp := &crashProc{}
	opts = append(opts, func(c *core.Config) { c.Processors = processor.NewRegistry(cp) })
	e := newEnv(t, engine, opts...)
	cp.Processor = e.sandbox
	return e, cp
}

// crash runs fn (a buyer's or the scheduler's call) until the switch sees
// its charge, then kills it: its context ends and nothing after is written.
func (e *env) crash(arrived <-chan processor.Charge, fn func(ctx context.Context) error) processor.Charge {
	e.t.Helper()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	ch := <-arrived
	cancel()
	if err := <-done; err == nil {
		e.t.Fatal("the crashed call reported success")
	}
	return ch
}

func (e *env) reconcile() core.ReconcileResult {
	e.t.Helper()
	r, err := e.svc.Reconcile(e.ctx)
	if err != nil {
		e.t.Fatalf("reconcile: %v", err)
	}
	return r
}

// eventCount counts a payment's events of one type.
func (e *env) eventCount(typ string, entityID int64) int {
	e.t.Helper()
	return e.count(`SELECT COUNT(*) FROM events WHERE type = $1 AND entity_id = $2`, typ, entityID)
}

// TestReconcileCrashedCharge: the processor charged the card and the
// process died before settling. Within the lease nothing happens; after it,
// Reconcile completes the payment once: one charge at the processor, one
// capture posting, one payment.completed event, the merchant's balance
// credited once, and a second run changes nothing.
func TestReconcileCrashedCharge(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{Amount: 2000})
		arrived, _ := cp.set(crashAfterCall)
		e.crash(arrived, func(ctx context.Context) error {
			_, err := e.svc.PayWithCard(ctx, p.CheckoutToken, card(cardVisa))
			return err
		})
		cp.set(crashNone)
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusProcessing {
			t.Fatalf("after the crash the payment is %s, want processing", got)
		}

		e.clock.Advance(time.Minute)
		if r := e.reconcile(); r != (core.ReconcileResult{}) {
			t.Fatalf("reconcile within the lease: %+v, want nothing done", r)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusProcessing {
			t.Fatalf("a payment claimed a minute ago is %s; the lease is 2 minutes", got)
		}

		e.clock.Advance(90 * time.Second)
		if r := e.reconcile(); r.Payments != 1 || r.Left != 0 {
			t.Fatalf("reconcile after the lease: %+v, want one payment settled", r)
		}
		got := e.MustGet(p.ID).Payment
		if got.Status != pasarela.StatusCompleted || got.Captured != 2000 || got.ProcessorRef == "" {
			t.Fatalf("reconciled payment: %s captured %d ref %q", got.Status, got.Captured, got.ProcessorRef)
		}
		if n := e.sandboxCharges(p); n != 1 {
			t.Fatalf("the sandbox holds %d charges of the payment, want 1", n)
		}
		if pst := e.postings(p.ID); len(pst) != 1 || pst[0] != "capture" {
			t.Fatalf("postings %v, want one capture", pst)
		}
		if n := e.eventCount("payment.completed", p.ID); n != 1 {
			t.Fatalf("%d payment.completed events, want 1", n)
		}
		if bal := e.balance(core.ClientAccount(e.A.Client.ID, "EUR", core.KindAvailable)); bal != 2000-(2000*250/10000+30) {
			t.Fatalf("available balance %d", bal)
		}
		if r := e.reconcile(); r != (core.ReconcileResult{}) {
			t.Fatalf("second reconcile: %+v, want nothing", r)
		}
	})
}

// TestReconcileCrashBeforeProcessor: the process died after its claim and
// before any processor saw the charge. Reconcile gives the attempt up (the
// payment is payable again, nothing was taken), and the key it spent makes
// a late call of that process charge nothing; the buyer then pays.
func TestReconcileCrashBeforeProcessor(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		cfg := e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		arrived, _ := cp.set(crashBeforeCall)
		lost := e.crash(arrived, func(ctx context.Context) error {
			_, err := e.svc.PayWithCard(ctx, p.CheckoutToken, card(cardVisa))
			return err
		})
		cp.set(crashNone)
		if lost.IdempotencyKey == "" {
			t.Fatal("the charge carried no idempotency key")
		}
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Payments != 1 {
			t.Fatalf("reconcile: %+v", r)
		}
		got := e.MustGet(p.ID).Payment
		if got.Status != pasarela.StatusPending || got.FailureCode != processor.CodeProcessingError {
			t.Fatalf("after reconcile: %s (%s), want pending with %s", got.Status, got.FailureCode, processor.CodeProcessingError)
		}
		if n := e.sandboxCharges(p); n != 0 {
			t.Fatalf("%d charges at the sandbox, want none", n)
		}
		// The dead process wakes up and sends its charge: refused.
		late, err := e.sandbox.Authorize(e.ctx, processor.Config{}, lost)
		if err != nil || late.Outcome != processor.Declined || late.Code != processor.CodeProcessingError {
			t.Fatalf("late charge: %+v, %v; want declined", late, err)
		}
		if n := e.sandboxCharges(p); n != 0 {
			t.Fatalf("the late charge was taken (%d charges)", n)
		}
		if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
			t.Fatalf("the buyer's retry: %s", c.Payment.Status)
		}
		if n := e.capturedCharges(p); n != 1 {
			t.Fatalf("%d captured charges, want 1", n)
		}
		_ = cfg
	})
}

// TestReconcileOutcomes: what the processor answered decides the
// settlement, as the live settle would have: a decline returns the payment
// to pending with its code and no money; a 3-D Secure card waits for the
// buyer (requires_action) and the buyer's step then completes it.
func TestReconcileOutcomes(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		declined := e.MustPayment(core.PaymentInput{})
		challenged := e.MustPayment(core.PaymentInput{})
		for _, c := range []struct {
			p      *pasarela.Payment
			number string
		}{{declined, cardDeclined}, {challenged, card3DS}} {
			arrived, _ := cp.set(crashAfterCall)
			e.crash(arrived, func(ctx context.Context) error {
				_, err := e.svc.PayWithCard(ctx, c.p.CheckoutToken, card(c.number))
				return err
			})
		}
		cp.set(crashNone)
		e.clock.Advance(5 * time.Minute)
		if r := e.reconcile(); r.Payments != 2 {
			t.Fatalf("reconcile: %+v", r)
		}
		d := e.MustGet(declined.ID).Payment
		if d.Status != pasarela.StatusPending || d.FailureCode != processor.CodeCardDeclined || d.Captured != 0 {
			t.Fatalf("declined: %s %q captured %d", d.Status, d.FailureCode, d.Captured)
		}
		if pst := e.postings(declined.ID); len(pst) != 0 {
			t.Fatalf("a decline posted %v", pst)
		}
		ch := e.MustGet(challenged.ID).Payment
		if ch.Status != pasarela.StatusRequiresAction || ch.Action != processor.ActionChallenge {
			t.Fatalf("3-D Secure: %s action %q", ch.Status, ch.Action)
		}
		if c, err := e.svc.ResumeCheckout(e.ctx, challenged.CheckoutToken, true); err != nil || c.Payment.Status != pasarela.StatusCompleted {
			t.Fatalf("resume after reconcile: %v", err)
		}
		if n := e.sandboxCharges(challenged); n != 1 {
			t.Fatalf("%d charges of the 3-D Secure payment, want 1", n)
		}
	})
}

// TestReconcileRacesSettle: the original process was only slow. It comes
// back with the processor's answer just as the reconciler settles: exactly
// one of them settles, once.
func TestReconcileRacesSettle(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		arrived, release := cp.set(holdAfterCall)
		paid := make(chan error, 1)
		go func() {
			_, err := e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardVisa))
			paid <- err
		}()
		<-arrived
		e.clock.Advance(3 * time.Minute)
		var wg sync.WaitGroup
		var r core.ReconcileResult
		var rerr error
		wg.Go(func() { r, rerr = e.svc.Reconcile(e.ctx) })
		release()
		wg.Wait()
		payErr := <-paid
		cp.set(crashNone)
		if rerr != nil {
			t.Fatalf("reconcile: %v", rerr)
		}
		// One settles; the other sees the payment already settled.
		if (r.Payments == 1) == (payErr == nil) {
			t.Fatalf("reconciled %d and the original answered %v: want exactly one settlement", r.Payments, payErr)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusCompleted {
			t.Fatalf("payment %s", got)
		}
		if n := e.sandboxCharges(p); n != 1 {
			t.Fatalf("%d charges, want 1", n)
		}
		if pst := e.postings(p.ID); len(pst) != 1 {
			t.Fatalf("postings %v, want one capture", pst)
		}
		if n := e.eventCount("payment.completed", p.ID); n != 1 {
			t.Fatalf("%d payment.completed events, want 1", n)
		}
	})
}

// TestReconcileUnreachable: a processor that cannot tell leaves the
// payment processing for the next run, which settles it.
func TestReconcileUnreachable(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		arrived, _ := cp.set(crashAfterCall)
		e.crash(arrived, func(ctx context.Context) error {
			_, err := e.svc.PayWithCard(ctx, p.CheckoutToken, card(cardVisa))
			return err
		})
		cp.set(unreachableLookups)
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Left != 1 || r.Payments != 0 {
			t.Fatalf("reconcile with the processor down: %+v, want one left", r)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusProcessing {
			t.Fatalf("payment %s, want still processing", got)
		}
		cp.set(crashNone)
		if r := e.reconcile(); r.Payments != 1 {
			t.Fatalf("reconcile with the processor back: %+v", r)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusCompleted {
			t.Fatalf("payment %s", got)
		}
	})
}

// TestReconcileRefund: a refund sent to the processor whose process died
// is completed once: the processor refunded once, the payment is refunded,
// one refund posting and one refund.completed event.
func TestReconcileRefund(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		p := e.MustCompleted(core.PaymentInput{Amount: 3000})
		arrived, _ := cp.set(crashNone)
		cp.mu.Lock()
		cp.refunds = crashAfterCall
		cp.mu.Unlock()
		var refundID int64
		e.crash(arrived, func(ctx context.Context) error {
			r, _, err := e.svc.Refund(e.A.AdminCtx(ctx), e.appID(), p.ID, core.RefundInput{Amount: 1200}, nil)
			if err == nil && r.Status == pasarela.RefundPending {
				err = errors.New("the refund was left pending") // what a caller that outlived the crash would see
			}
			return err
		})
		cp.mu.Lock()
		cp.refunds = crashNone
		cp.mu.Unlock()
		refunds, err := e.svc.ListRefunds(e.app(), e.appID(), p.ID)
		if err != nil || len(refunds) != 1 || refunds[0].Status != pasarela.RefundPending {
			t.Fatalf("after the crash: %+v %v", refunds, err)
		}
		refundID = refunds[0].ID
		e.clock.Advance(time.Minute)
		if r := e.reconcile(); r.Refunds != 0 {
			t.Fatalf("a refund sent a minute ago was reconciled: %+v", r)
		}
		e.clock.Advance(2 * time.Minute)
		if r := e.reconcile(); r.Refunds != 1 {
			t.Fatalf("reconcile: %+v", r)
		}
		refunds, _ = e.svc.ListRefunds(e.app(), e.appID(), p.ID)
		if refunds[0].Status != pasarela.RefundCompleted {
			t.Fatalf("refund %s", refunds[0].Status)
		}
		got := e.MustGet(p.ID).Payment
		if got.Status != pasarela.StatusPartiallyRefunded || got.Refunded != 1200 {
			t.Fatalf("payment %s refunded %d", got.Status, got.Refunded)
		}
		st, err := e.sandbox.Status(e.ctx, nil, got.ProcessorRef)
		if err != nil || st.Outcome != processor.Refunded || st.Amount != 1200 {
			t.Fatalf("the sandbox: %+v %v; want refunded 1200 once", st, err)
		}
		if pst := e.postings(p.ID); len(pst) != 2 || pst[1] != "refund" {
			t.Fatalf("postings %v", pst)
		}
		if n := e.eventCount("refund.completed", refundID); n != 1 {
			t.Fatalf("%d refund.completed events", n)
		}
	})
}

// TestReconcileSubscriptionCycle: the scheduler claimed a cycle, the
// processor charged the stored card, and the scheduler died. Reconcile
// settles the cycle's payment with the charge that was made (not a second
// one) and the subscription moves on to its next cycle.
func TestReconcileSubscriptionCycle(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		cfg := e.MustSandbox()
		start := e.clock.Now().Add(time.Hour)
		sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{Amount: 1500, StartDate: &start, Cycles: 2}, card(cardVisa))
		e.at(start)
		arrived, _ := cp.set(crashAfterCall)
		e.crash(arrived, func(ctx context.Context) error {
			r, err := e.svc.RunSubscriptions(ctx)
			if err == nil && r.Paid == 1 {
				return nil
			}
			return context.Canceled
		})
		cp.set(crashNone)
		d := e.MustSub(sub.ID)
		if len(d.Cycles) != 1 || d.Cycles[0].Status != pasarela.CycleProcessing {
			t.Fatalf("after the crash: %+v", d.Cycles)
		}
		payID := d.Cycles[0].PaymentID
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Payments != 1 {
			t.Fatalf("reconcile: %+v", r)
		}
		d = e.MustSub(sub.ID)
		if d.Cycles[0].Status != pasarela.CyclePaid || d.Subscription.CyclesPaid != 1 || d.Subscription.Status != pasarela.SubscriptionActive {
			t.Fatalf("after reconcile: cycle %s, paid %d, subscription %s", d.Cycles[0].Status, d.Subscription.CyclesPaid, d.Subscription.Status)
		}
		pay := e.MustGet(payID).Payment
		if pay.Status != pasarela.StatusCompleted {
			t.Fatalf("cycle payment %s", pay.Status)
		}
		if n := e.sandboxCharges(pay); n != 1 {
			t.Fatalf("%d charges of the cycle, want 1", n)
		}
		if pst := e.postings(payID); len(pst) != 1 {
			t.Fatalf("postings %v", pst)
		}
	})
}

// TestReconcileTenants: stuck payments of two clients are settled in one
// run, each within its own client: its own balance, its own events.
func TestReconcileTenants(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		bApp := e.B.AppCtx(e.ctx)
		if _, err := e.svc.CreateGatewayConfig(e.B.AdminCtx(e.ctx), e.B.App.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("cards")}); err != nil {
			t.Fatal(err)
		}
		pa := e.MustPayment(core.PaymentInput{Amount: 1000})
		pb, _, err := e.svc.CreatePayment(bApp, e.B.App.ID, core.PaymentInput{Amount: 4000, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*pasarela.Payment{pa, pb} {
			arrived, _ := cp.set(crashAfterCall)
			e.crash(arrived, func(ctx context.Context) error {
				_, err := e.svc.PayWithCard(ctx, p.CheckoutToken, card(cardVisa))
				return err
			})
		}
		cp.set(crashNone)
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Payments != 2 {
			t.Fatalf("reconcile: %+v", r)
		}
		fee := func(n int64) int64 { return n*250/10000 + 30 }
		if got := e.balance(core.ClientAccount(e.A.Client.ID, "EUR", core.KindAvailable)); got != 1000-fee(1000) {
			t.Fatalf("A's balance %d", got)
		}
		if got := e.balance(core.ClientAccount(e.B.Client.ID, "EUR", core.KindAvailable)); got != 4000-fee(4000) {
			t.Fatalf("B's balance %d", got)
		}
		for _, c := range []struct {
			client string
			p      *pasarela.Payment
		}{{e.A.Client.ID, pa}, {e.B.Client.ID, pb}} {
			if n := e.count(`SELECT COUNT(*) FROM events WHERE client_id = $1 AND type = 'payment.completed' AND entity_id = $2`, c.client, c.p.ID); n != 1 {
				t.Fatalf("client %s: %d payment.completed events of its payment", c.client, n)
			}
			if n := e.count(`SELECT COUNT(*) FROM events WHERE client_id <> $1 AND entity = 'payment' AND entity_id = $2`, c.client, c.p.ID); n != 0 {
				t.Fatalf("%d events of client %s's payment under another client", n, c.client)
			}
		}
		if _, err := e.svc.GetPayment(bApp, e.B.App.ID, pa.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("B reads A's payment: %v", err)
		}
	})
}

// TestLostAnswerIsAskedAbout: a charge whose answer is lost on the way back
// is not taken for a failure (a retry or another config would charge the
// buyer twice): the processor is asked about the attempt's key at once and
// its answer settles the payment. When it cannot be asked either, the
// payment stays processing and the reconciler settles it later, once.
func TestLostAnswerIsAskedAbout(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		e.MustSandbox()
		e.MustSandbox() // a second config a careless fallback would charge again

		p := e.MustPayment(core.PaymentInput{Amount: 1500})
		cp.set(lostAnswer)
		if _, err := e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardVisa)); err != nil {
			t.Fatalf("pay with a lost answer: %v", err)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusCompleted {
			t.Fatalf("after a lost answer the payment is %s, want completed (the processor said so)", got)
		}
		if n := e.sandboxCharges(p); n != 1 {
			t.Fatalf("%d charges at the sandbox, want 1", n)
		}

		q := e.MustPayment(core.PaymentInput{Amount: 1500})
		cp.set(lostAnswerDown)
		_, err := e.svc.PayWithCard(e.ctx, q.CheckoutToken, card(cardVisa))
		wantErr(t, "pay with a lost answer and no way to ask", err, pasarela.KindUnavailable, "outcome_unknown")
		if got := e.MustGet(q.ID).Status; got != pasarela.StatusProcessing {
			t.Fatalf("with the outcome unknown the payment is %s, want processing", got)
		}
		cp.set(crashNone)
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Payments != 1 {
			t.Fatalf("reconcile: %+v", r)
		}
		if got := e.MustGet(q.ID).Status; got != pasarela.StatusCompleted {
			t.Fatalf("after reconcile the payment is %s, want completed", got)
		}
		if n := e.sandboxCharges(q); n != 1 {
			t.Fatalf("%d charges at the sandbox, want 1", n)
		}
		if problems, err := e.svc.VerifyLedger(e.ctx); err != nil || len(problems) > 0 {
			t.Fatalf("ledger: %v %v", problems, err)
		}
	})
}

// TestReconcileCancelledCycle: the scheduler claimed a cycle and died before
// the processor saw the charge; the merchant then cancelled. The reconciler
// does not charge a cancelled subscriber: nothing reached the processor, so
// nothing is taken, and the cycle's payment does not complete.
func TestReconcileCancelledCycle(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		cfg := e.MustSandbox()
		start := e.clock.Now().Add(time.Hour)
		sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{Amount: 1500, StartDate: &start, Cycles: 2}, card(cardVisa))
		e.at(start)
		arrived, _ := cp.set(crashBeforeCall)
		e.crash(arrived, func(ctx context.Context) error {
			_, err := e.svc.RunSubscriptions(ctx)
			if err == nil {
				err = context.Canceled
			}
			return err
		})
		cp.set(crashNone)
		payID := e.MustSub(sub.ID).Cycles[0].PaymentID
		if err := e.svc.CancelSubscription(e.app(), e.appID(), sub.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(3 * time.Minute)
		e.reconcile()
		pay := e.MustGet(payID).Payment
		if pay.Status == pasarela.StatusCompleted || pay.Status == pasarela.StatusProcessing {
			t.Fatalf("cycle payment of a cancelled subscription: %s", pay.Status)
		}
		if n := e.sandboxCharges(pay); n != 0 {
			t.Fatalf("%d charges of a cancelled subscription's cycle, want none", n)
		}
		if pst := e.postings(payID); len(pst) != 0 {
			t.Fatalf("postings %v, want none", pst)
		}
	})
}

// TestConfigKeptWhileCharging: while a payment of the application is being
// charged (or was left so by a crash), none of its configs can be deleted:
// the charge names its config only when it settles, and the reconciler must
// still find it.
func TestConfigKeptWhileCharging(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		cfg := e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{})
		arrived, _ := cp.set(crashAfterCall)
		e.crash(arrived, func(ctx context.Context) error {
			_, err := e.svc.PayWithCard(ctx, p.CheckoutToken, card(cardVisa))
			return err
		})
		cp.set(crashNone)
		err := e.svc.DeleteGatewayConfig(e.admin(), e.appID(), cfg.ID)
		wantErr(t, "delete while a charge is in flight", err, pasarela.KindInvalid, "gateway_in_use")
		e.clock.Advance(3 * time.Minute)
		if r := e.reconcile(); r.Payments != 1 {
			t.Fatalf("reconcile: %+v", r)
		}
		if got := e.MustGet(p.ID).Status; got != pasarela.StatusCompleted {
			t.Fatalf("the charge at the kept config: %s", got)
		}
	})
}

// TestAgreementLostAnswer: the card verification of an agreement whose
// answer was lost is asked about under its key: the hold the processor made
// is found and released, and the agreement is confirmed, not failed with a
// hold left behind.
func TestAgreementLostAnswer(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e, cp := reconcileEnv(t, engine)
		cfg := e.MustSandbox()
		sub := e.MustSubscription(core.SubscriptionInput{})
		a := e.MustAgreement(sub.ID, cfg.ID)
		cp.set(lostAnswer)
		pg, err := e.svc.ConfirmAgreement(e.ctx, a.Token, card(cardVisa))
		cp.set(crashNone)
		if err != nil || pg.Agreement.Status != pasarela.AgreementConfirmed || pg.Subscription.Status != pasarela.SubscriptionActive {
			t.Fatalf("confirm with a lost answer: %+v %v", pg, err)
		}
	})
}
