// Package processortest is the one behavioural suite every processor passes,
// so that the core can rely on the same answers whichever processor a
// payment is routed to, and an in-memory processor.State to run it on.
//
// The suite states the contract the core relies on, beyond the interface's
// types:
//
//   - Authorize (after the buyer step, if any) answers Captured with the full
//     amount when Charge.Capture is set, else Authorized with the amount held.
//   - Capture takes 1 to the authorized amount, once: a partial capture
//     releases the rest. Result.Amount is the amount captured.
//   - Cancel releases an uncaptured authorization; Result.Amount is what was
//     held. A captured charge is refunded, never canceled.
//   - Refund returns 1 to what is captured and not yet refunded, as many
//     times as the captured amount allows. Result.Amount is this refund's.
//   - Status answers the charge's state now: Refunded with the total refunded
//     once any refund happened (the core compares it with what it captured
//     to tell a partial refund from a full one), else Captured, Authorized,
//     Canceled, Declined or RequiresAction.
//   - A refused operation on a known charge is a *pasarela.Error of
//     KindInvalid; an unknown ref is KindNotFound. Neither changes the charge.
//   - Concurrent operations on one charge never take or return more money
//     than the rules allow.
//   - A charge outlives the Processor value: a new one on the same State
//     carries on with it (a restart, or another node).
//   - Authorize with an IdempotencyKey it saw before answers that charge
//     (same ref, its state now) and charges nothing, also with no card, on
//     a new Processor, and when calls race; another amount under the same
//     key is refused. Lookup of the key answers the same; Lookup of a key
//     never used is KindNotFound and spends it: Authorize with it then
//     declines (processing_error) and charges nothing.
//   - Refund with a key it saw before answers that refund's amount and
//     returns nothing again.
package processortest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

// Harness tells the suite how to build a processor and how to get a charge
// paid with it.
type Harness struct {
	// New returns a processor keeping its state in state. The suite passes
	// a fresh MemoryState for each test, and the same one twice to act out
	// a restart.
	New func(t *testing.T, state processor.State) processor.Processor
	// Config is a valid gateway config for the processor.
	Config processor.Config
	// Currency of the suite's charges; "" means EUR.
	Currency string

	// Card flows: a card that is charged with no buyer step, one that is
	// declined with DeclineCode, and optionally one that needs a buyer step
	// (3-D Secure).
	Card        processor.CardInput
	Decline     processor.CardInput
	DeclineCode string
	Challenge   *processor.CardInput

	// Approve, for redirect flows, does the buyer's part on the processor's
	// page (a fake PayPal marks the token approved) before the suite calls
	// Resume with approved true. Nil when Resume alone is the approval, as
	// in a sandbox whose approval page is the gateway's own.
	Approve func(t *testing.T, res processor.Result)
}

// Run runs the suite. Each test gets a fresh processor and State.
func Run(t *testing.T, h Harness) {
	if h.Currency == "" {
		h.Currency = "EUR"
	}
	s := &suite{h: h}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"catalog", s.catalog},
		{"tokenize", s.tokenize},
		{"automatic capture", s.automaticCapture},
		{"manual capture of part", s.manualCapturePart},
		{"capture beyond the authorization", s.captureBeyond},
		{"capture of no amount", s.captureNothing},
		{"cancel an authorization", s.cancelAuthorization},
		{"cancel after capture", s.cancelAfterCapture},
		{"refund in parts", s.refundInParts},
		{"refund of an authorization", s.refundAuthorization},
		{"declined", s.declined},
		{"buyer step declined", s.buyerDeclined},
		{"buyer step approved", s.buyerApproved},
		{"unknown refs", s.unknownRefs},
		{"invalid charges", s.invalidCharges},
		{"restart", s.restart},
		{"concurrent refunds", s.concurrentRefunds},
		{"concurrent captures", s.concurrentCaptures},
		{"idempotent authorize", s.idempotentAuthorize},
		{"lookup spends an unused key", s.lookupSpends},
		{"idempotent refund", s.idempotentRefund},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

type suite struct {
	h   Harness
	seq atomic.Int64
}

// amount of the suite's charges: above any minimum and with a remainder
// for partial captures and refunds.
const amount = 1000

func (s *suite) fresh(t *testing.T) processor.Processor {
	t.Helper()
	return s.h.New(t, &MemoryState{})
}

func (s *suite) flow(p processor.Processor) processor.Flow { return p.Gateway().Flow }

func (s *suite) charge(capture bool) processor.Charge {
	return processor.Charge{
		Reference:   fmt.Sprintf("suite_%d", s.seq.Add(1)),
		Amount:      amount,
		Currency:    s.h.Currency,
		Description: "processortest charge",
		Capture:     capture,
		ReturnURL:   "https://shop.example/return",
	}
}

// card tokenizes in and returns it ready for a Charge.
func (s *suite) card(t *testing.T, p processor.Processor, in processor.CardInput) *pasarela.Card {
	t.Helper()
	c, err := p.Tokenize(context.Background(), s.h.Config, in)
	if err != nil {
		t.Fatalf("Tokenize(…%s): %v", last4(in.Number), err)
	}
	return &c
}

// pay gets a charge of amount captured (capture) or authorized, going
// through the buyer step of a redirect flow, and returns its ref.
func (s *suite) pay(t *testing.T, p processor.Processor, capture bool) string {
	t.Helper()
	ctx := context.Background()
	ch := s.charge(capture)
	want := processor.Authorized
	if capture {
		want = processor.Captured
	}
	var res processor.Result
	var err error
	switch s.flow(p) {
	case processor.FlowCard:
		ch.Card = s.card(t, p, s.h.Card)
		res, err = p.Authorize(ctx, s.h.Config, ch)
		if err != nil {
			t.Fatalf("Authorize: %v", err)
		}
	case processor.FlowRedirect:
		res = s.startBuyerStep(t, p, ch, processor.ActionApproval)
		if s.h.Approve != nil {
			s.h.Approve(t, res)
		}
		ref := res.Ref
		res, err = p.Resume(ctx, s.h.Config, ref, true)
		if err != nil {
			t.Fatalf("Resume(%s, approved): %v", ref, err)
		}
		if res.Ref != ref {
			t.Fatalf("Resume changed the ref from %q to %q; the core keeps the first", ref, res.Ref)
		}
	default:
		t.Fatalf("flow %q: the suite knows no way to pay", s.flow(p))
	}
	if res.Outcome != want || res.Amount != amount || res.Ref == "" {
		t.Fatalf("paying with capture=%v: got %+v, want %s of %d with a ref", capture, res, want, amount)
	}
	s.status(t, p, res.Ref, want, amount)
	return res.Ref
}

// startBuyerStep authorizes ch and checks that the processor asks for the
// buyer step action.
func (s *suite) startBuyerStep(t *testing.T, p processor.Processor, ch processor.Charge, action string) processor.Result {
	t.Helper()
	res, err := p.Authorize(context.Background(), s.h.Config, ch)
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if res.Outcome != processor.RequiresAction || res.Action != action || res.Ref == "" {
		t.Fatalf("Authorize: got %+v, want requires_action %q with a ref", res, action)
	}
	s.status(t, p, res.Ref, processor.RequiresAction, 0)
	return res
}

// status checks what Status says of ref.
func (s *suite) status(t *testing.T, p processor.Processor, ref string, want processor.Outcome, wantAmount int64) processor.Result {
	t.Helper()
	res, err := p.Status(context.Background(), s.h.Config, ref)
	if err != nil {
		t.Fatalf("Status(%s): %v", ref, err)
	}
	if res.Outcome != want || res.Amount != wantAmount || res.Ref != ref {
		t.Fatalf("Status(%s): got %+v, want %s of %d", ref, res, want, wantAmount)
	}
	return res
}

// refused checks that err is a *pasarela.Error of kind with a message a
// person can act on.
func refused(t *testing.T, what string, err error, kind pasarela.Kind) {
	t.Helper()
	var e *pasarela.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got error %v, want a *pasarela.Error of kind %s", what, err, kind)
	}
	if e.Kind != kind || e.Message == "" {
		t.Fatalf("%s: got %s error %q, want kind %s with a message", what, e.Kind, e.Message, kind)
	}
}

func (s *suite) ok(t *testing.T, what string, res processor.Result, err error, want processor.Outcome, wantAmount int64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if res.Outcome != want || res.Amount != wantAmount || res.Ref == "" {
		t.Fatalf("%s: got %+v, want %s of %d with a ref", what, res, want, wantAmount)
	}
}

var (
	idPattern     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	optionPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	// secretWords in an option's name mean it holds a credential, which
	// must be flagged Secret so that it is encrypted and never shown.
	secretWords = []string{"password", "secret", "signature", "key", "token", "pwd"}
)

// catalog checks the Gateway entry the catalog shows and the core
// validates configs against.
func (s *suite) catalog(t *testing.T) {
	p := s.fresh(t)
	g := p.Gateway()
	if !idPattern.MatchString(g.ID) || strings.TrimSpace(g.Name) == "" {
		t.Errorf("gateway id %q, name %q: want a lowercase id and a name", g.ID, g.Name)
	}
	if g.Flow != processor.FlowCard && g.Flow != processor.FlowRedirect {
		t.Errorf("flow %q is not one the checkout knows", g.Flow)
	}
	if !reflect.DeepEqual(g, p.Gateway()) {
		t.Error("Gateway() answers differently twice: the catalog must be stable")
	}
	seen := map[string]processor.Option{}
	for _, o := range g.Options {
		if !optionPattern.MatchString(o.Name) {
			t.Errorf("option name %q is not a plain identifier", o.Name)
		}
		if _, dup := seen[o.Name]; dup {
			t.Errorf("option %q is listed twice", o.Name)
		}
		seen[o.Name] = o
		if strings.TrimSpace(o.Description) == "" {
			t.Errorf("option %q has no description for the dashboard", o.Name)
		}
		if (o.Type == "enum") != (len(o.Enum) > 0) {
			t.Errorf("option %q: type %q with enum %v; enum values go with type enum only", o.Name, o.Type, o.Enum)
		}
		if o.Default != nil {
			if err := checkValue(o, o.Default); err != nil {
				t.Errorf("option %q: default: %v", o.Name, err)
			}
			if o.Required {
				t.Errorf("option %q is required and has a default; one of them is wrong", o.Name)
			}
		}
		if o.Secret && o.Type != "string" {
			t.Errorf("option %q is secret but of type %q; secrets are strings", o.Name, o.Type)
		}
		if !o.Secret {
			for _, w := range secretWords {
				if strings.Contains(strings.ToLower(o.Name), w) {
					t.Errorf("option %q looks like a credential but is not flagged Secret", o.Name)
				}
			}
		}
		if o.Required {
			if _, ok := s.h.Config[o.Name]; !ok {
				t.Errorf("the harness config lacks required option %q", o.Name)
			}
		}
	}
	for name, v := range s.h.Config {
		o, ok := seen[name]
		if !ok {
			t.Errorf("the harness config has %q, which the gateway does not list", name)
			continue
		}
		if err := checkValue(o, v); err != nil {
			t.Errorf("harness config %q: %v", name, err)
		}
	}
}

// checkValue reports whether v is of the option's type, as the core
// validates a config.
func checkValue(o processor.Option, v any) error {
	ok := false
	switch o.Type {
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		switch v.(type) {
		case int, int64:
			ok = true
		}
	case "enum":
		s, isString := v.(string)
		for _, e := range o.Enum {
			ok = ok || isString && s == e
		}
	default:
		return fmt.Errorf("unknown option type %q", o.Type)
	}
	if !ok {
		return fmt.Errorf("%#v is not a valid %s", v, o.Type)
	}
	return nil
}

// tokenize checks that a card flow keeps only what pasarela.Card holds, and
// that a redirect flow refuses cards.
func (s *suite) tokenize(t *testing.T) {
	p := s.fresh(t)
	ctx := context.Background()
	if s.flow(p) != processor.FlowCard {
		if _, err := p.Tokenize(ctx, s.h.Config, s.h.Card); err == nil {
			t.Fatal("Tokenize of a redirect flow succeeded; it has no cards")
		}
		return
	}
	in := s.h.Card
	c, err := p.Tokenize(ctx, s.h.Config, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token == "" || c.Last4 != last4(in.Number) || c.Brand == "" || c.ExpMonth != in.ExpMonth || c.ExpYear != in.ExpYear {
		t.Fatalf("Tokenize: got %+v, want a token, last4 %s, a brand and the expiry", c, last4(in.Number))
	}
	if strings.Contains(c.Token, in.Number) || strings.Contains(c.Token, in.Number[:len(in.Number)-4]) {
		t.Fatalf("the token %q carries the card number", c.Token)
	}
	again, err := p.Tokenize(ctx, s.h.Config, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Token == c.Token {
		t.Fatal("two tokenizations gave one token; tokens must not be derived from the number")
	}
}

func (s *suite) automaticCapture(t *testing.T) {
	p := s.fresh(t)
	ref := s.pay(t, p, true)
	// Money taken is not an authorization: nothing to capture or cancel.
	_, err := p.Capture(context.Background(), s.h.Config, ref, amount)
	refused(t, "Capture of a captured charge", err, pasarela.KindInvalid)
	_, err = p.Cancel(context.Background(), s.h.Config, ref)
	refused(t, "Cancel of a captured charge", err, pasarela.KindInvalid)
	s.status(t, p, ref, processor.Captured, amount)
}

// manualCapturePart holds money, captures part of it, and checks that the
// rest is released: no second capture, and refunds are bounded by what was
// captured, not by what was held.
func (s *suite) manualCapturePart(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	const part = amount - 250
	res, err := p.Capture(ctx, s.h.Config, ref, part)
	s.ok(t, "Capture of part", res, err, processor.Captured, part)
	s.status(t, p, ref, processor.Captured, part)

	_, err = p.Capture(ctx, s.h.Config, ref, 250)
	refused(t, "second Capture", err, pasarela.KindInvalid)
	_, err = p.Cancel(ctx, s.h.Config, ref)
	refused(t, "Cancel after a partial capture", err, pasarela.KindInvalid)
	_, err = p.Refund(ctx, s.h.Config, ref, part+1, "")
	refused(t, "Refund beyond a partial capture", err, pasarela.KindInvalid)
	res, err = p.Refund(ctx, s.h.Config, ref, part, "")
	s.ok(t, "Refund of the captured part", res, err, processor.Refunded, part)
	s.status(t, p, ref, processor.Refunded, part)
}

func (s *suite) captureBeyond(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	_, err := p.Capture(ctx, s.h.Config, ref, amount+1)
	refused(t, "Capture beyond the authorization", err, pasarela.KindInvalid)
	// The refusal changed nothing: the whole amount can still be taken.
	s.status(t, p, ref, processor.Authorized, amount)
	res, err := p.Capture(ctx, s.h.Config, ref, amount)
	s.ok(t, "Capture of the whole", res, err, processor.Captured, amount)
}

func (s *suite) captureNothing(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	for _, n := range []int64{0, -1} {
		_, err := p.Capture(ctx, s.h.Config, ref, n)
		refused(t, fmt.Sprintf("Capture of %d", n), err, pasarela.KindInvalid)
	}
	s.status(t, p, ref, processor.Authorized, amount)
}

func (s *suite) cancelAuthorization(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	res, err := p.Cancel(ctx, s.h.Config, ref)
	s.ok(t, "Cancel", res, err, processor.Canceled, amount)
	s.status(t, p, ref, processor.Canceled, amount)

	_, err = p.Cancel(ctx, s.h.Config, ref)
	refused(t, "second Cancel", err, pasarela.KindInvalid)
	_, err = p.Capture(ctx, s.h.Config, ref, amount)
	refused(t, "Capture after Cancel", err, pasarela.KindInvalid)
	_, err = p.Refund(ctx, s.h.Config, ref, amount, "")
	refused(t, "Refund after Cancel", err, pasarela.KindInvalid)
	s.status(t, p, ref, processor.Canceled, amount)
}

func (s *suite) cancelAfterCapture(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	res, err := p.Capture(ctx, s.h.Config, ref, amount)
	s.ok(t, "Capture", res, err, processor.Captured, amount)
	_, err = p.Cancel(ctx, s.h.Config, ref)
	refused(t, "Cancel after Capture", err, pasarela.KindInvalid)
	s.status(t, p, ref, processor.Captured, amount)
}

func (s *suite) refundInParts(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, true)
	res, err := p.Refund(ctx, s.h.Config, ref, 300, "")
	s.ok(t, "first Refund", res, err, processor.Refunded, 300)
	s.status(t, p, ref, processor.Refunded, 300)

	for _, n := range []int64{amount - 300 + 1, 0, -5} {
		_, err = p.Refund(ctx, s.h.Config, ref, n, "")
		refused(t, fmt.Sprintf("Refund of %d with %d left", n, amount-300), err, pasarela.KindInvalid)
	}
	s.status(t, p, ref, processor.Refunded, 300)

	res, err = p.Refund(ctx, s.h.Config, ref, amount-300, "")
	s.ok(t, "Refund of the rest", res, err, processor.Refunded, amount-300)
	s.status(t, p, ref, processor.Refunded, amount)
	_, err = p.Refund(ctx, s.h.Config, ref, 1, "")
	refused(t, "Refund of a refunded charge", err, pasarela.KindInvalid)
}

func (s *suite) refundAuthorization(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	_, err := p.Refund(ctx, s.h.Config, ref, 100, "")
	refused(t, "Refund of an authorization", err, pasarela.KindInvalid)
	s.status(t, p, ref, processor.Authorized, amount)
}

// declined checks a decline with no buyer step: a Result, not an error,
// with a code every face can map and a message the buyer can read.
func (s *suite) declined(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	if s.flow(p) != processor.FlowCard {
		t.Skip("a redirect flow declines at the buyer step (see buyer step declined)")
	}
	ch := s.charge(true)
	ch.Card = s.card(t, p, s.h.Decline)
	res, err := p.Authorize(ctx, s.h.Config, ch)
	if err != nil {
		t.Fatalf("Authorize of a declining card: %v; a decline is a Result, not an error", err)
	}
	if res.Outcome != processor.Declined || res.Code != s.h.DeclineCode || res.Message == "" {
		t.Fatalf("Authorize of a declining card: got %+v, want declined %q with a message", res, s.h.DeclineCode)
	}
	if res.Ref == "" {
		return // a processor may keep nothing of a decline
	}
	got := s.status(t, p, res.Ref, processor.Declined, 0)
	if got.Code != s.h.DeclineCode {
		t.Fatalf("Status of a decline: code %q, want %q", got.Code, s.h.DeclineCode)
	}
	s.noMoneyMoves(t, p, res.Ref)
}

// noMoneyMoves checks that a charge that never took money cannot be
// captured, canceled or refunded.
func (s *suite) noMoneyMoves(t *testing.T, p processor.Processor, ref string) {
	t.Helper()
	ctx := context.Background()
	_, err := p.Capture(ctx, s.h.Config, ref, amount)
	refused(t, "Capture", err, pasarela.KindInvalid)
	_, err = p.Cancel(ctx, s.h.Config, ref)
	refused(t, "Cancel", err, pasarela.KindInvalid)
	_, err = p.Refund(ctx, s.h.Config, ref, amount, "")
	refused(t, "Refund", err, pasarela.KindInvalid)
}

// buyerStep starts a charge that waits for the buyer, and tells the code a
// refused buyer step declines with; ok is false when the processor has no
// buyer step the harness can trigger.
func (s *suite) buyerStep(t *testing.T, p processor.Processor, capture bool) (res processor.Result, declineCode string, ok bool) {
	t.Helper()
	ch := s.charge(capture)
	switch {
	case s.flow(p) == processor.FlowRedirect:
		return s.startBuyerStep(t, p, ch, processor.ActionApproval), processor.CodeBuyerCanceled, true
	case s.h.Challenge != nil:
		ch.Card = s.card(t, p, *s.h.Challenge)
		return s.startBuyerStep(t, p, ch, processor.ActionChallenge), processor.CodeAuthentication, true
	}
	return processor.Result{}, "", false
}

func (s *suite) buyerDeclined(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	res, code, ok := s.buyerStep(t, p, true)
	if !ok {
		t.Skip("the harness has no card with a buyer step")
	}
	// Nothing was taken while the buyer decides.
	s.noMoneyMoves(t, p, res.Ref)

	got, err := p.Resume(ctx, s.h.Config, res.Ref, false)
	if err != nil {
		t.Fatalf("Resume(refused): %v", err)
	}
	if got.Outcome != processor.Declined || got.Code != code || got.Message == "" || got.Ref != res.Ref {
		t.Fatalf("Resume(refused): got %+v, want declined %q with a message and ref %s", got, code, res.Ref)
	}
	s.status(t, p, res.Ref, processor.Declined, 0)
	_, err = p.Resume(ctx, s.h.Config, res.Ref, true)
	refused(t, "Resume of a declined charge", err, pasarela.KindInvalid)
	s.noMoneyMoves(t, p, res.Ref)
}

func (s *suite) buyerApproved(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	res, _, ok := s.buyerStep(t, p, false)
	if !ok {
		t.Skip("the harness has no card with a buyer step")
	}
	if s.h.Approve != nil && s.flow(p) == processor.FlowRedirect {
		s.h.Approve(t, res)
	}
	got, err := p.Resume(ctx, s.h.Config, res.Ref, true)
	s.ok(t, "Resume(approved) of a manual charge", got, err, processor.Authorized, amount)
	_, err = p.Resume(ctx, s.h.Config, res.Ref, true)
	refused(t, "second Resume", err, pasarela.KindInvalid)
	got, err = p.Capture(ctx, s.h.Config, res.Ref, amount)
	s.ok(t, "Capture after the buyer step", got, err, processor.Captured, amount)
}

func (s *suite) unknownRefs(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	const ref = "no_such_charge"
	calls := map[string]func() error{
		"Resume":  func() error { _, err := p.Resume(ctx, s.h.Config, ref, true); return err },
		"Capture": func() error { _, err := p.Capture(ctx, s.h.Config, ref, amount); return err },
		"Cancel":  func() error { _, err := p.Cancel(ctx, s.h.Config, ref); return err },
		"Refund":  func() error { _, err := p.Refund(ctx, s.h.Config, ref, amount, ""); return err },
		"Status":  func() error { _, err := p.Status(ctx, s.h.Config, ref); return err },
	}
	for name, call := range calls {
		refused(t, name+" of an unknown ref", call(), pasarela.KindNotFound)
	}
}

func (s *suite) invalidCharges(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	var card *pasarela.Card
	if s.flow(p) == processor.FlowCard {
		card = s.card(t, p, s.h.Card)
	}
	tests := []struct {
		name   string
		change func(*processor.Charge)
	}{
		{"no amount", func(c *processor.Charge) { c.Amount = 0 }},
		{"negative amount", func(c *processor.Charge) { c.Amount = -100 }},
		{"unknown currency", func(c *processor.Charge) { c.Currency = "XXX" }},
	}
	if card != nil {
		tests = append(tests, struct {
			name   string
			change func(*processor.Charge)
		}{"no card", func(c *processor.Charge) { c.Card = nil }})
	}
	for _, tt := range tests {
		ch := s.charge(true)
		ch.Card = card
		tt.change(&ch)
		_, err := p.Authorize(ctx, s.h.Config, ch)
		refused(t, "Authorize with "+tt.name, err, pasarela.KindInvalid)
	}
}

// restart checks that a charge lives in the State, not in the Processor: a
// new Processor on the same State (after a restart, or on another node)
// carries on with it.
func (s *suite) restart(t *testing.T) {
	ctx := context.Background()
	state := &MemoryState{}
	before := s.h.New(t, state)
	ref := s.pay(t, before, false)
	after := s.h.New(t, state)
	res, err := after.Capture(ctx, s.h.Config, ref, amount)
	s.ok(t, "Capture after a restart", res, err, processor.Captured, amount)
	s.status(t, before, ref, processor.Captured, amount)
}

// concurrentRefunds races more refunds than the captured amount allows
// (run with -race): exactly the ones that fit succeed.
func (s *suite) concurrentRefunds(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, true)
	const each, tries = 100, 25
	var wg sync.WaitGroup
	var done atomic.Int64
	errs := make(chan error, tries)
	for range tries {
		wg.Go(func() {
			res, err := p.Refund(ctx, s.h.Config, ref, each, "")
			switch {
			case err == nil && res.Outcome == processor.Refunded && res.Amount == each:
				done.Add(1)
			case err == nil:
				errs <- fmt.Errorf("Refund answered %+v", res)
			case pasarela.ErrorKind(err) != pasarela.KindInvalid:
				errs <- fmt.Errorf("Refund failed with %v, want success or an invalid-kind refusal", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := done.Load(); got != amount/each {
		t.Fatalf("%d refunds of %d succeeded on a charge of %d; want exactly %d", got, each, amount, amount/each)
	}
	s.status(t, p, ref, processor.Refunded, amount)
}

// concurrentCaptures races captures of one authorization: one wins.
func (s *suite) concurrentCaptures(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ref := s.pay(t, p, false)
	const tries = 10
	var wg sync.WaitGroup
	var done atomic.Int64
	for range tries {
		wg.Go(func() {
			if _, err := p.Capture(ctx, s.h.Config, ref, amount); err == nil {
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if got := done.Load(); got != 1 {
		t.Fatalf("%d of %d concurrent captures succeeded; want exactly 1", got, tries)
	}
	s.status(t, p, ref, processor.Captured, amount)
}

func last4(number string) string {
	if len(number) < 4 {
		return number
	}
	return number[len(number)-4:]
}

// keyed returns a charge with an idempotency key, with a card on card flows.
func (s *suite) keyed(t *testing.T, p processor.Processor, capture bool) processor.Charge {
	t.Helper()
	ch := s.charge(capture)
	ch.IdempotencyKey = "idem_" + ch.Reference
	if s.flow(p) == processor.FlowCard {
		ch.Card = s.card(t, p, s.h.Card)
	}
	return ch
}

// idempotentAuthorize repeats an Authorize with one key, as a process
// retrying a lost answer and a reconciler after a crash do: one charge.
func (s *suite) idempotentAuthorize(t *testing.T) {
	ctx := context.Background()
	state := &MemoryState{}
	p := s.h.New(t, state)
	ch := s.keyed(t, p, true)
	first, err := p.Authorize(ctx, s.h.Config, ch)
	if err != nil || first.Ref == "" {
		t.Fatalf("Authorize: %+v, %v; want a charge with a ref", first, err)
	}
	same := func(what string, got processor.Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got.Ref != first.Ref || got.Outcome != first.Outcome || got.Amount != first.Amount {
			t.Fatalf("%s: got %+v, want the first charge %+v", what, got, first)
		}
	}
	res, err := p.Authorize(ctx, s.h.Config, ch)
	same("Authorize repeated", res, err)
	noCard := ch
	noCard.Card = nil
	res, err = s.h.New(t, state).Authorize(ctx, s.h.Config, noCard)
	same("Authorize repeated without the card after a restart", res, err)
	res, err = p.Lookup(ctx, s.h.Config, ch.IdempotencyKey)
	same("Lookup", res, err)

	var wg sync.WaitGroup
	refs := make(chan string, 10)
	for range 10 {
		wg.Go(func() {
			if r, err := p.Authorize(ctx, s.h.Config, ch); err == nil {
				refs <- r.Ref
			} else {
				t.Errorf("concurrent repeat: %v", err)
			}
		})
	}
	wg.Wait()
	close(refs)
	for r := range refs {
		if r != first.Ref {
			t.Fatalf("a concurrent repeat charged again as %s (first %s)", r, first.Ref)
		}
	}

	other := ch
	other.Amount = amount + 1
	_, err = p.Authorize(ctx, s.h.Config, other)
	refused(t, "Authorize of another amount under a used key", err, pasarela.KindInvalid)

	// Keys race too: two new keys at once make two charges.
	a, b := s.keyed(t, p, true), s.keyed(t, p, true)
	ra, erra := p.Authorize(ctx, s.h.Config, a)
	rb, errb := p.Authorize(ctx, s.h.Config, b)
	if erra != nil || errb != nil || ra.Ref == rb.Ref {
		t.Fatalf("two keys: %+v %v, %+v %v; want two charges", ra, erra, rb, errb)
	}

	if s.flow(p) == processor.FlowRedirect {
		// After the buyer step the repeat answers the charge as it stands.
		if s.h.Approve != nil {
			s.h.Approve(t, first)
		}
		paid, err := p.Resume(ctx, s.h.Config, first.Ref, true)
		s.ok(t, "Resume", paid, err, processor.Captured, amount)
		res, err := p.Authorize(ctx, s.h.Config, ch)
		s.ok(t, "Authorize repeated after the buyer paid", res, err, processor.Captured, amount)
		if res.Ref != first.Ref {
			t.Fatalf("Authorize repeated after the buyer paid: ref %s, want %s", res.Ref, first.Ref)
		}
		return
	}
	s.status(t, p, first.Ref, processor.Captured, amount)
	// Exactly the amount was taken once: all of it refunds, and no more.
	res, err = p.Refund(ctx, s.h.Config, first.Ref, amount, "")
	s.ok(t, "Refund of the charge", res, err, processor.Refunded, amount)
	_, err = p.Refund(ctx, s.h.Config, first.Ref, 1, "")
	refused(t, "Refund beyond the one charge", err, pasarela.KindInvalid)
}

// lookupSpends asks about a key no Authorize used, as the reconciler does
// for an attempt whose process died before calling the processor: the key
// is spent, so a late call of that process charges nothing.
func (s *suite) lookupSpends(t *testing.T) {
	ctx := context.Background()
	p := s.fresh(t)
	ch := s.keyed(t, p, true)
	_, err := p.Lookup(ctx, s.h.Config, ch.IdempotencyKey)
	refused(t, "Lookup of an unused key", err, pasarela.KindNotFound)
	res, err := p.Authorize(ctx, s.h.Config, ch)
	if err != nil {
		t.Fatalf("Authorize with a spent key: %v; want a decline", err)
	}
	if res.Outcome != processor.Declined || res.Code != processor.CodeProcessingError || res.Message == "" {
		t.Fatalf("Authorize with a spent key: got %+v, want declined %s", res, processor.CodeProcessingError)
	}
	if res.Ref != "" {
		s.noMoneyMoves(t, p, res.Ref)
	}
	_, err = p.Lookup(ctx, s.h.Config, ch.IdempotencyKey)
	refused(t, "Lookup of a spent key", err, pasarela.KindNotFound)
	// Another key is untouched.
	ok := s.keyed(t, p, true)
	if res, err := p.Authorize(ctx, s.h.Config, ok); err != nil || res.Outcome == processor.Declined {
		t.Fatalf("Authorize with a fresh key: %+v, %v", res, err)
	}
}

// idempotentRefund repeats refunds with one key: each key refunds once.
func (s *suite) idempotentRefund(t *testing.T) {
	ctx := context.Background()
	state := &MemoryState{}
	p := s.h.New(t, state)
	ref := s.pay(t, p, true)
	res, err := p.Refund(ctx, s.h.Config, ref, 300, "refund_1")
	s.ok(t, "Refund", res, err, processor.Refunded, 300)
	res, err = s.h.New(t, state).Refund(ctx, s.h.Config, ref, 300, "refund_1")
	s.ok(t, "Refund repeated after a restart", res, err, processor.Refunded, 300)
	s.status(t, p, ref, processor.Refunded, 300)

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := p.Refund(ctx, s.h.Config, ref, 100, "refund_2"); err != nil {
				t.Errorf("concurrent Refund under one key: %v", err)
			}
		})
	}
	wg.Wait()
	s.status(t, p, ref, processor.Refunded, 400)
	res, err = p.Refund(ctx, s.h.Config, ref, 600, "refund_3")
	s.ok(t, "Refund of the rest", res, err, processor.Refunded, 600)
	res, err = p.Refund(ctx, s.h.Config, ref, 300, "refund_1")
	s.ok(t, "Refund repeated when nothing is left", res, err, processor.Refunded, 300)
	s.status(t, p, ref, processor.Refunded, amount)
}
