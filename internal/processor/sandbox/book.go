package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

// ChargeRecord is what a simulated processor keeps of one charge: the state
// a real acquirer holds on its side. It is stored as JSON in a
// processor.State, so its field names are a storage format: rename none.
//
// Status is the charge's life (requires_action, authorized, captured,
// canceled, declined); refunds never change it, they only add to Refunded,
// and Result derives the refunded view from that.
type ChargeRecord struct {
	Ref       string            `json:"ref"`
	Reference string            `json:"reference"` // the core's transaction id, for support
	Amount    int64             `json:"amount"`    // authorized, in minor units
	Currency  string            `json:"currency"`
	Capture   bool              `json:"capture"` // capture as soon as the buyer step succeeds
	Status    processor.Outcome `json:"status"`
	Action    string            `json:"action,omitempty"`
	ActionURL string            `json:"action_url,omitempty"`
	Captured  int64             `json:"captured"`
	Refunded  int64             `json:"refunded"`
	Code      string            `json:"code,omitempty"`
	Message   string            `json:"message,omitempty"`
	Retryable bool              `json:"retryable,omitempty"`
	CardToken string            `json:"card_token,omitempty"`
	AuthCode  string            `json:"auth_code,omitempty"` // the simulated issuer's approval code
	// Remote holds identifiers a processor talking to a real service keeps
	// next to the simulated fields (PayPal's transaction ids).
	Remote map[string]string `json:"remote,omitempty"`
	// Refunds maps the idempotency key of each keyed refund to its amount,
	// so that a repeated refund answers the first and returns nothing again.
	Refunds map[string]int64 `json:"refunds,omitempty"`
}

// Result is what Status answers for the record now.
//
// A charge that had any refund answers Refunded with Amount the total
// refunded so far, so that the core can tell a partial refund (Amount below
// what it captured) from a full one. A captured charge with no refund
// answers Captured with the captured amount; an authorization, its held
// amount; a canceled one, the amount released.
func (c *ChargeRecord) Result() processor.Result {
	r := processor.Result{Outcome: c.Status, Ref: c.Ref}
	switch c.Status {
	case processor.RequiresAction:
		r.Action, r.ActionURL = c.Action, c.ActionURL
	case processor.Authorized, processor.Canceled:
		r.Amount = c.Amount
	case processor.Captured:
		r.Amount = c.Captured
	}
	switch c.Status {
	case processor.Authorized, processor.Captured:
		r.AuthorizationCode = c.AuthCode
		if c.Refunded > 0 {
			r.Outcome, r.Amount = processor.Refunded, c.Refunded
		}
	case processor.Declined:
		r.Code, r.Message, r.Retryable = c.Code, c.Message, c.Retryable
	}
	return r
}

// Clone returns a deep copy, so that a change can be tried and thrown away.
func (c *ChargeRecord) Clone() *ChargeRecord {
	out := *c
	if c.Remote != nil {
		out.Remote = make(map[string]string, len(c.Remote))
		for k, v := range c.Remote {
			out.Remote[k] = v
		}
	}
	if c.Refunds != nil {
		out.Refunds = make(map[string]int64, len(c.Refunds))
		for k, v := range c.Refunds {
			out.Refunds[k] = v
		}
	}
	return &out
}

// RefundedUnder answers the amount of the refund made under key before,
// if there was one ("" is never a key).
func (c *ChargeRecord) RefundedUnder(key string) (int64, bool) {
	if key == "" {
		return 0, false
	}
	n, ok := c.Refunds[key]
	return n, ok
}

// RefundKeyed is Refund remembering key, so that RefundedUnder tells a
// repeat. It returns the amount refunded under key: the first call's when
// key was seen before, when nothing is refunded again.
func (c *ChargeRecord) RefundKeyed(key string, amount int64) (int64, error) {
	if n, ok := c.RefundedUnder(key); ok {
		return n, nil
	}
	if err := c.Refund(amount); err != nil {
		return 0, err
	}
	if key != "" {
		if c.Refunds == nil {
			c.Refunds = map[string]int64{}
		}
		c.Refunds[key] = amount
	}
	return amount, nil
}

// Complete ends the buyer step: an approved charge is captured or held as
// it asked; a refused one is declined with code and message.
func (c *ChargeRecord) Complete(approved bool, code, message string) error {
	if c.Status != processor.RequiresAction {
		return stateError(c, "is not waiting for the buyer")
	}
	c.Action, c.ActionURL = "", ""
	if !approved {
		c.Status, c.Code, c.Message = processor.Declined, code, message
		return nil
	}
	c.approve()
	return nil
}

// approve captures the charge or holds it, as it asked.
func (c *ChargeRecord) approve() {
	if c.AuthCode == "" {
		// Six characters, as issuers' approval codes are.
		c.AuthCode = strings.ToUpper(NewID("", 6))
	}
	if c.Capture {
		c.Status, c.Captured = processor.Captured, c.Amount
	} else {
		c.Status = processor.Authorized
	}
}

// TakeCapture captures amount of an authorization. One capture per
// authorization, as most acquirers allow: a partial capture releases the
// rest, so a second capture is refused rather than silently taking money
// the buyer was told was released.
func (c *ChargeRecord) TakeCapture(amount int64) error {
	if c.Status != processor.Authorized {
		if c.Status == processor.Captured {
			return stateError(c, "is already captured")
		}
		return stateError(c, "is not an authorization to capture")
	}
	if err := positive(amount); err != nil {
		return err
	}
	if amount > c.Amount {
		return amountError("amount_exceeds_authorized",
			fmt.Sprintf("may be at most the authorized %d", c.Amount))
	}
	c.Status, c.Captured = processor.Captured, amount
	return nil
}

// Cancel releases an authorization that was not captured.
func (c *ChargeRecord) Cancel() error {
	if c.Status != processor.Authorized {
		if c.Status == processor.Captured {
			return stateError(c, "is captured: refund it instead of canceling")
		}
		return stateError(c, "is not an authorization to cancel")
	}
	c.Status = processor.Canceled
	return nil
}

// Refund returns amount of what was captured. Refunds add up to at most the
// captured amount.
func (c *ChargeRecord) Refund(amount int64) error {
	if c.Status != processor.Captured {
		return stateError(c, "is not captured, so there is nothing to refund")
	}
	if err := positive(amount); err != nil {
		return err
	}
	if left := c.Captured - c.Refunded; amount > left {
		return amountError("amount_exceeds_refundable",
			fmt.Sprintf("may be at most the %d captured and not yet refunded", left))
	}
	c.Refunded += amount
	return nil
}

func stateError(c *ChargeRecord, what string) *pasarela.Error {
	status := string(c.Status)
	if c.Status == processor.Captured && c.Refunded > 0 {
		status = "captured and refunded " + fmt.Sprint(c.Refunded)
	}
	return &pasarela.Error{Kind: pasarela.KindInvalid, Code: "invalid_transition",
		Message: fmt.Sprintf("charge %s (%s) %s", c.Ref, status, what)}
}

func amountError(code, message string) *pasarela.Error {
	return pasarela.Invalid("amount", code, message)
}

func positive(amount int64) error {
	if amount <= 0 {
		return amountError("amount", "must be greater than zero")
	}
	return nil
}

// Book keeps ChargeRecords in a processor.State under "charge:<ref>".
//
// State.Load and State.Save are not one atomic step, so Book serialises the
// read-modify-write of one charge with a lock per ref inside this process.
// Across nodes the core provides that guarantee: it changes one payment at a
// time through its state machine, so two nodes never work on one charge at
// once. Use one Book per State in a process.
type Book struct {
	state processor.State

	mu    sync.Mutex
	locks map[string]*refLock
}

type refLock struct {
	mu    sync.Mutex
	users int // goroutines holding or waiting; the entry goes at zero
}

// NewBook returns a Book over state.
func NewBook(state processor.State) *Book {
	return &Book{state: state, locks: map[string]*refLock{}}
}

// Lock serialises work on one ref until the returned func is called. Entries
// are dropped when nobody holds or waits for them, so the table stays as
// small as the work in flight.
func (b *Book) Lock(ref string) (unlock func()) {
	b.mu.Lock()
	l := b.locks[ref]
	if l == nil {
		l = &refLock{}
		b.locks[ref] = l
	}
	l.users++
	b.mu.Unlock()

	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		b.mu.Lock()
		if l.users--; l.users == 0 {
			delete(b.locks, ref)
		}
		b.mu.Unlock()
	}
}

// Get loads a charge; an unknown ref is a KindNotFound error.
func (b *Book) Get(ctx context.Context, ref string) (*ChargeRecord, error) {
	raw, err := b.state.Load(ctx, chargeKey(ref))
	if err != nil {
		return nil, pasarela.Internal(fmt.Errorf("load charge %s: %w", ref, err))
	}
	if raw == nil {
		return nil, pasarela.NotFound("charge " + ref)
	}
	var c ChargeRecord
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, pasarela.Internal(fmt.Errorf("decode charge %s: %w", ref, err))
	}
	return &c, nil
}

// Put stores a charge, new or changed.
func (b *Book) Put(ctx context.Context, c *ChargeRecord) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return pasarela.Internal(fmt.Errorf("encode charge %s: %w", c.Ref, err))
	}
	if err := b.state.Save(ctx, chargeKey(c.Ref), raw); err != nil {
		return pasarela.Internal(fmt.Errorf("save charge %s: %w", c.Ref, err))
	}
	return nil
}

// Update runs change on the stored charge under its lock and stores the
// charge when change succeeds; on an error nothing is stored.
func (b *Book) Update(ctx context.Context, ref string, change func(*ChargeRecord) error) (*ChargeRecord, error) {
	defer b.Lock(ref)()
	c, err := b.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := change(c); err != nil {
		return nil, err
	}
	if err := b.Put(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Status answers what the book knows of a charge.
func (b *Book) Status(ctx context.Context, ref string) (processor.Result, error) {
	c, err := b.Get(ctx, ref)
	if err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

func chargeKey(ref string) string { return "charge:" + ref }

// keyRecord is what a Book keeps under "key:<idempotency key>": the charge
// an Authorize with that key made, or the answer when it kept no charge,
// or that a Lookup spent the key before any Authorize used it.
type keyRecord struct {
	Ref      string            `json:"ref,omitempty"`
	Amount   int64             `json:"amount,omitempty"`
	Currency string            `json:"currency,omitempty"`
	Answer   *processor.Result `json:"answer,omitempty"`
	Spent    bool              `json:"spent,omitempty"`
}

func idemKey(key string) string { return "key:" + key }

func (b *Book) loadKey(ctx context.Context, key string) (*keyRecord, error) {
	raw, err := b.state.Load(ctx, idemKey(key))
	if err != nil {
		return nil, pasarela.Internal(fmt.Errorf("load idempotency key: %w", err))
	}
	if raw == nil {
		return nil, nil
	}
	var k keyRecord
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, pasarela.Internal(fmt.Errorf("decode idempotency key: %w", err))
	}
	return &k, nil
}

func (b *Book) saveKey(ctx context.Context, key string, k *keyRecord) error {
	raw, err := json.Marshal(k)
	if err != nil {
		return pasarela.Internal(err)
	}
	if err := b.state.Save(ctx, idemKey(key), raw); err != nil {
		return pasarela.Internal(fmt.Errorf("save idempotency key: %w", err))
	}
	return nil
}

// Once runs an Authorize under ch.IdempotencyKey. Without a key it just
// calls charge. With a key charge ran under before, it answers that
// charge as it stands now and calls nothing (a different amount or
// currency under the same key is refused: that is a bug, never a retry).
// With a key a Lookup spent, it declines without charging. Otherwise it
// calls charge, which stores its ChargeRecord (if it keeps one), and
// remembers the key.
//
// The key is locked for the whole call, so that two racing calls with one
// key (a process thought dead and the reconciler) charge once.
func (b *Book) Once(ctx context.Context, ch processor.Charge, charge func() (processor.Result, error)) (processor.Result, error) {
	key := ch.IdempotencyKey
	if key == "" {
		return charge()
	}
	defer b.Lock(idemKey(key))()
	k, err := b.loadKey(ctx, key)
	if err != nil {
		return processor.Result{}, err
	}
	if k != nil {
		switch {
		case k.Spent:
			return processor.Result{Outcome: processor.Declined, Code: processor.CodeProcessingError,
				Message: processor.MessageAbandoned, Retryable: true}, nil
		case k.Amount != ch.Amount || k.Currency != ch.Currency:
			return processor.Result{}, pasarela.Errorf(pasarela.KindInvalid, "idempotency_key_reused",
				"idempotency key %q was used for a charge of %d %s", key, k.Amount, k.Currency)
		case k.Answer != nil:
			return *k.Answer, nil
		}
		return b.Status(ctx, k.Ref)
	}
	res, err := charge()
	if err != nil {
		// Nothing was charged (or the answer is lost, and the processor's
		// own retry rules apply): the key stays free for the retry.
		return res, err
	}
	k = &keyRecord{Ref: res.Ref, Amount: ch.Amount, Currency: ch.Currency}
	if res.Ref == "" {
		k.Answer = &res
	}
	// The charge is stored before its key. A crash between the two leaves a
	// charge no key names; a Lookup then spends the key, and the core
	// treats the attempt as never made. Only this simulation can lose that
	// way: both writes are to the one State, one right after the other.
	if err := b.saveKey(ctx, key, k); err != nil {
		return processor.Result{}, err
	}
	return res, nil
}

// Lookup answers what became of the Authorize made with key (see
// processor.Processor.Lookup): status of the charge's ref, or KindNotFound
// after spending the key. status is nil for the book's own Status.
func (b *Book) Lookup(ctx context.Context, key string, status func(ref string) (processor.Result, error)) (processor.Result, error) {
	if status == nil {
		status = func(ref string) (processor.Result, error) { return b.Status(ctx, ref) }
	}
	if key == "" {
		return processor.Result{}, pasarela.Invalid("key", "required", "an idempotency key is required")
	}
	defer b.Lock(idemKey(key))()
	k, err := b.loadKey(ctx, key)
	if err != nil {
		return processor.Result{}, err
	}
	switch {
	case k == nil:
		if err := b.saveKey(ctx, key, &keyRecord{Spent: true}); err != nil {
			return processor.Result{}, err
		}
		return processor.Result{}, pasarela.NotFound("charge with idempotency key " + key)
	case k.Spent:
		return processor.Result{}, pasarela.NotFound("charge with idempotency key " + key)
	case k.Answer != nil:
		return *k.Answer, nil
	}
	return status(k.Ref)
}

// lowerBase32 has only lowercase letters and digits, so that references
// survive URLs and logs unquoted.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns prefix followed by n random characters (5 bits each) from
// the system's secure source: references must not be guessable, because a
// 3-D Secure or approval page is addressed by them.
func NewID(prefix string, n int) string {
	b := make([]byte, (n*5+7)/8)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes rather than return predictable bytes
	return prefix + lowerBase32.EncodeToString(b)[:n]
}
