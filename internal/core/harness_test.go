package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
)

// Test cards of the sandbox (Stripe's public numbers).
const (
	cardVisa         = "4242424242424242"
	cardMastercard   = "5555555555554444"
	cardDeclined     = "4000000000000002"
	cardInsufficient = "4000000000009995"
	cardExpired      = "4000000000000069"
	cardBadCVC       = "4000000000000127"
	cardProcessing   = "4000000000000119"
	card3DS          = "4000002760003184"
)

// raceDetector is set when the tests run with -race, which makes the
// pure-Go SQLite engine some 25 times slower: tests that need volume rather
// than interleavings (routing statistics) take less of it then.
var raceDetector bool

// cardExpYear is far past the test clock and the wall clock (the sandbox
// checks expiry against the wall clock), yet within the 50 years ahead the
// sandbox accepts.
const cardExpYear = 2045

// card is a card a buyer types: any test number, valid for years.
func card(number string) pasarela.CardInput {
	return pasarela.CardInput{Name: "Ada Lovelace", Number: number, ExpMonth: 12, ExpYear: cardExpYear, CVC: "123"}
}

// env is the real stack on one engine: core.Service over a migrated store,
// the sandbox processor over the core's processor state, a fake processor
// whose behaviour the test sets, and two tenants (A and B).
type env struct {
	t       *testing.T
	ctx     context.Context
	db      *coretest.DB
	clock   *coretest.Clock
	svc     *core.Service
	sandbox *sandbox.Processor
	fake    *fakeProcessor
	A, B    *coretest.Tenant
}

// envOption changes the core's configuration before it is built.
type envOption func(*core.Config)

// newEnv builds the stack and registers, as the last word of every test,
// that the ledger is sound.
func newEnv(t *testing.T, engine string, opts ...envOption) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	e := &env{t: t, ctx: context.Background(), db: db, clock: coretest.NewClock(coretest.Start)}
	e.sandbox = sandbox.New(core.ProcessorState(db, sandbox.GatewayID))
	e.fake = newFake()
	cfg := core.Config{
		Processors:  processor.NewRegistry(e.sandbox, e.fake),
		SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
		Fees:        core.FeeConfig{BPS: 250, Fixed: 30},
		RoutingSeed: 42,
		PublicURL:   "http://pay.test",
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.svc = mustService(t, db, e.clock, cfg)
	e.A = coretest.MustTenant(t, e.svc, "Alpha Shop")
	e.B = coretest.MustTenant(t, e.svc, "Beta Shop")
	// Cleanups run last first: this runs before the database closes.
	t.Cleanup(func() { coretest.MustSoundLedger(t, e.svc) })
	return e
}

// engines runs fn on a fresh env of each engine.
func engines(t *testing.T, fn func(t *testing.T, e *env), opts ...envOption) {
	t.Helper()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) { fn(t, newEnv(t, engine, opts...)) })
}

func mustService(t *testing.T, db store.DB, clock *coretest.Clock, cfg core.Config) *core.Service {
	t.Helper()
	svc, err := core.New(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// admin and app are A's admin user and application key in a context.
func (e *env) admin() context.Context { return e.A.AdminCtx(e.ctx) }
func (e *env) app() context.Context   { return e.A.AppCtx(e.ctx) }
func (e *env) appID() int64           { return e.A.App.ID }

// MustConfig creates a gateway config of A's application.
func (e *env) MustConfig(gateway string, weight int, options map[string]any) *pasarela.GatewayConfig {
	e.t.Helper()
	in := core.GatewayConfigInput{Gateway: pasarela.Set(gateway), Name: pasarela.Set(gateway + " config"),
		Weight: pasarela.Set(weight)}
	if options != nil {
		in.Config = pasarela.Set(options)
	}
	g, err := e.svc.CreateGatewayConfig(e.admin(), e.appID(), in)
	if err != nil {
		e.t.Fatalf("create %s config: %v", gateway, err)
	}
	return g
}

// MustSandbox creates a sandbox config of weight 1 capturing at once.
func (e *env) MustSandbox() *pasarela.GatewayConfig { return e.MustConfig(sandbox.GatewayID, 1, nil) }

// MustPayment creates a payment of A's application with its key.
func (e *env) MustPayment(in core.PaymentInput) *pasarela.Payment {
	e.t.Helper()
	if in.Amount == 0 {
		in.Amount = 1050
	}
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	p, _, err := e.svc.CreatePayment(e.app(), e.appID(), in, nil)
	if err != nil {
		e.t.Fatalf("create payment: %v", err)
	}
	return p
}

// MustPay pays a page token with a card and wants no error.
func (e *env) MustPay(token, number string) *core.Checkout {
	e.t.Helper()
	c, err := e.svc.PayWithCard(e.ctx, token, card(number))
	if err != nil {
		e.t.Fatalf("pay %s with %s: %v", token, number, err)
	}
	return c
}

// MustCompleted creates a payment and pays it with the Visa test card on
// its own page.
func (e *env) MustCompleted(in core.PaymentInput) *pasarela.Payment {
	e.t.Helper()
	p := e.MustPayment(in)
	if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
		e.t.Fatalf("payment %d is %s after paying, want completed", p.ID, c.Payment.Status)
	}
	return e.MustGet(p.ID).Payment
}

// MustGet reads a payment of A's application.
func (e *env) MustGet(id int64) *core.PaymentDetail {
	e.t.Helper()
	d, err := e.svc.GetPayment(e.app(), e.appID(), id)
	if err != nil {
		e.t.Fatalf("get payment %d: %v", id, err)
	}
	return d
}

// MustLink creates a link of a payment bound to a config.
func (e *env) MustLink(paymentID, configID int64) *pasarela.PaymentLink {
	e.t.Helper()
	l, err := e.svc.CreatePaymentLink(e.app(), e.appID(), paymentID, core.PaymentLinkInput{GatewayConfig: configID})
	if err != nil {
		e.t.Fatalf("create link: %v", err)
	}
	return l
}

// balance is an account's balance as the ledger keeps it.
func (e *env) balance(a store.Account) int64 {
	e.t.Helper()
	var b int64
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		b, err = tx.Balance(e.ctx, a)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return b
}

func clientAvailable(clientID string) store.Account {
	return core.ClientAccount(clientID, "EUR", core.KindAvailable)
}

func clearing(gateway string) store.Account {
	return store.Account{Owner: "processor:" + gateway, Currency: "EUR", Kind: core.KindClearing}
}

var platformFees = store.Account{Owner: core.PlatformOwner, Currency: "EUR", Kind: core.KindFees}

// postings lists the kinds of the ledger transactions of a payment, oldest
// first, as they are stored.
func (e *env) postings(paymentID int64) []string {
	e.t.Helper()
	rows, err := e.db.Raw.QueryContext(e.ctx, `SELECT kind FROM ledger_transactions WHERE payment_id = $1 ORDER BY id`, paymentID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// count runs a COUNT query on the raw connection.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Raw.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// tableText is every value of every row of a table as text, for searching
// what must never be stored.
func (e *env) tableText(table string) string {
	e.t.Helper()
	rows, err := e.db.Raw.QueryContext(e.ctx, `SELECT * FROM `+table)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.t.Fatal(err)
		}
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				b.Write(bs)
			} else {
				fmt.Fprint(&b, v)
			}
			b.WriteByte('|')
		}
		b.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	if n == 0 {
		e.t.Fatalf("table %s is empty: nothing to search", table)
	}
	return b.String()
}

// wantErr fails unless err is a *pasarela.Error of kind and code whose
// message contains each of words.
func wantErr(t *testing.T, what string, err error, kind pasarela.Kind, code string, words ...string) {
	t.Helper()
	var pe *pasarela.Error
	if !errors.As(err, &pe) {
		t.Errorf("%s: error %v (%T), want a *pasarela.Error %s/%s", what, err, err, kind, code)
		return
	}
	if pe.Kind != kind || pe.Code != code {
		t.Errorf("%s: error %s/%s %q, want %s/%s", what, pe.Kind, pe.Code, pe.Message, kind, code)
	}
	for _, w := range words {
		if !strings.Contains(pe.Message, w) {
			t.Errorf("%s: message %q does not mention %q", what, pe.Message, w)
		}
	}
}

// barrier starts n goroutines at once and waits for them all.
func barrier(n int, fn func(i int)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// renderJSON is an Idem.Render as a JSON face has one: the status and the
// body the first request got.
func renderJSON(v any) (int, []byte, error) {
	b, err := json.Marshal(v)
	return 201, b, err
}

// idem is an Idempotency-Key with the fingerprint of a request body.
func idem(key, body string) *core.Idem {
	return &core.Idem{Key: key, Fingerprint: core.Fingerprint([]byte("POST"), []byte("/payment"), []byte(body)),
		Render: renderJSON}
}

// fakeMode is how the fake processor answers Authorize.
type fakeMode int

const (
	fakeApprove   fakeMode = iota // captures or authorizes as asked
	fakeRetryable                 // declines with a retryable processing error
	fakeDecline                   // declines for good (card_declined)
	fakeError                     // cannot be reached (an error, not a result)
	fakeAction                    // asks the buyer to approve on its own page
)

// fakeProcessor is a card processor whose answers the test decides and
// whose calls it counts. Its Refund can be held at a gate, to keep a refund
// pending while the test acts.
type fakeProcessor struct {
	mode        atomic.Int32
	refundFails atomic.Bool // Refund answers an error
	calls       sync.Map    // method name → *atomic.Int64

	mu         sync.Mutex
	refundGate chan struct{} // when set, Refund waits for it to close
	refundIn   chan struct{} // told when a Refund reaches the gate
}

func newFake() *fakeProcessor { return &fakeProcessor{} }

var _ processor.Processor = (*fakeProcessor)(nil)

func (f *fakeProcessor) set(m fakeMode) { f.mode.Store(int32(m)) }

func (f *fakeProcessor) count(method string) {
	v, _ := f.calls.LoadOrStore(method, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Calls is how often a method was called.
func (f *fakeProcessor) Calls(method string) int64 {
	v, ok := f.calls.Load(method)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// holdRefunds makes Refund wait until release is called; arrived is told
// each time a refund reaches the gate.
func (f *fakeProcessor) holdRefunds() (arrived <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refundGate, f.refundIn = make(chan struct{}), make(chan struct{}, 100)
	gate := f.refundGate
	var once sync.Once
	return f.refundIn, func() { once.Do(func() { close(gate) }) }
}

func (f *fakeProcessor) Gateway() processor.Gateway {
	return processor.Gateway{ID: "fake", Name: "Fake cards", Flow: processor.FlowCard}
}

func (f *fakeProcessor) Tokenize(_ context.Context, _ processor.Config, c processor.CardInput) (pasarela.Card, error) {
	f.count("Tokenize")
	return pasarela.Card{Token: "fake_" + c.Number[len(c.Number)-4:], Last4: c.Number[len(c.Number)-4:], Brand: "visa",
		ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}, nil
}

func (f *fakeProcessor) Authorize(_ context.Context, _ processor.Config, ch processor.Charge) (processor.Result, error) {
	f.count("Authorize")
	ref := "fake_" + ch.Reference
	switch fakeMode(f.mode.Load()) {
	case fakeRetryable:
		return processor.Result{Outcome: processor.Declined, Ref: ref, Code: processor.CodeProcessingError,
			Message: "fake processing error", Retryable: true}, nil
	case fakeDecline:
		return processor.Result{Outcome: processor.Declined, Ref: ref, Code: processor.CodeCardDeclined,
			Message: "fake decline"}, nil
	case fakeError:
		// A processor nobody could connect to (see processor.ErrNotSent).
		return processor.Result{}, processor.NotSent(errors.New("fake processor unreachable"))
	case fakeAction:
		return processor.Result{Outcome: processor.RequiresAction, Ref: ref, Action: processor.ActionApproval,
			ActionURL: "https://wallet.example/approve?token=" + ref}, nil
	}
	if ch.Capture {
		return processor.Result{Outcome: processor.Captured, Ref: ref, Amount: ch.Amount}, nil
	}
	return processor.Result{Outcome: processor.Authorized, Ref: ref, Amount: ch.Amount}, nil
}

func (f *fakeProcessor) Resume(context.Context, processor.Config, string, bool) (processor.Result, error) {
	f.count("Resume")
	return processor.Result{}, errors.New("the fake processor has no buyer step")
}

func (f *fakeProcessor) Capture(_ context.Context, _ processor.Config, ref string, amount int64) (processor.Result, error) {
	f.count("Capture")
	return processor.Result{Outcome: processor.Captured, Ref: ref, Amount: amount}, nil
}

func (f *fakeProcessor) Cancel(_ context.Context, _ processor.Config, ref string) (processor.Result, error) {
	f.count("Cancel")
	return processor.Result{Outcome: processor.Canceled, Ref: ref}, nil
}

func (f *fakeProcessor) Refund(_ context.Context, _ processor.Config, ref string, amount int64, _ string) (processor.Result, error) {
	f.count("Refund")
	f.mu.Lock()
	gate, in := f.refundGate, f.refundIn
	f.mu.Unlock()
	if gate != nil {
		in <- struct{}{}
		<-gate
	}
	if f.refundFails.Load() {
		// Nobody could connect: the processor never saw it.
		return processor.Result{}, processor.NotSent(errors.New("fake processor unreachable"))
	}
	return processor.Result{Outcome: processor.Refunded, Ref: ref, Amount: amount}, nil
}

func (f *fakeProcessor) Status(context.Context, processor.Config, string) (processor.Result, error) {
	f.count("Status")
	return processor.Result{}, errors.New("not kept")
}

func (f *fakeProcessor) Lookup(context.Context, processor.Config, string) (processor.Result, error) {
	f.count("Lookup")
	return processor.Result{}, errors.New("not kept")
}
