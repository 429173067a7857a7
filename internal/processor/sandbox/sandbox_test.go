package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/processortest"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// now is the tests' clock: fixed, so that "a future expiry" means the same
// thing every month the tests run.
var now = time.Date(2030, time.June, 15, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func newSandbox(state processor.State) *sandbox.Processor {
	p := sandbox.New(state)
	p.Now = clock
	return p
}

func card(number string) processor.CardInput {
	cvc := "321"
	if strings.HasPrefix(number, "34") || strings.HasPrefix(number, "37") {
		cvc = "4321"
	}
	return processor.CardInput{Name: "Ada Lovelace", Number: number, ExpMonth: 12, ExpYear: 2031, CVC: cvc}
}

var challenge = card("4000002760003184")

func TestSuite(t *testing.T) {
	processortest.Run(t, processortest.Harness{
		New: func(t *testing.T, state processor.State) processor.Processor {
			return newSandbox(state)
		},
		Config:      processor.Config{"capture": sandbox.CaptureManual},
		Card:        card("4242424242424242"),
		Decline:     card("4000000000000002"),
		DeclineCode: processor.CodeCardDeclined,
		Challenge:   &challenge,
	})
}

// MustPay tokenizes number and authorizes a charge of 1000 EUR cents with it.
func MustPay(t *testing.T, p *sandbox.Processor, number string, capture bool) processor.Result {
	t.Helper()
	ctx := context.Background()
	c, err := p.Tokenize(ctx, nil, card(number))
	if err != nil {
		t.Fatalf("Tokenize(%s): %v", number, err)
	}
	res, err := p.Authorize(ctx, nil, processor.Charge{Reference: "pay_1", Amount: 1000, Currency: "EUR", Card: &c, Capture: capture})
	if err != nil {
		t.Fatalf("Authorize(%s): %v", number, err)
	}
	return res
}

// TestTestCards pins each test card's outcome: the checkout, the docs and
// every face's scenario tables rely on them.
func TestTestCards(t *testing.T) {
	tests := []struct {
		number    string
		capture   bool
		outcome   processor.Outcome
		code      string
		retryable bool
	}{
		{"4242424242424242", true, processor.Captured, "", false},
		{"4242424242424242", false, processor.Authorized, "", false},
		{"5555555555554444", true, processor.Captured, "", false},
		{"378282246310005", true, processor.Captured, "", false}, // not a listed card: succeeds
		{"4000000000000002", true, processor.Declined, processor.CodeCardDeclined, false},
		{"4000000000009995", true, processor.Declined, processor.CodeInsufficientFunds, false},
		{"4000000000000069", true, processor.Declined, processor.CodeExpiredCard, false},
		{"4000000000000127", true, processor.Declined, processor.CodeIncorrectCVC, false},
		{"4000000000000119", true, processor.Declined, processor.CodeProcessingError, true},
		{"4000002760003184", true, processor.RequiresAction, "", false},
		{"4775718800002026", true, processor.Captured, "", false},
		{"5364000000000987", true, processor.Captured, "", false}, // its check digit is wrong, as published
		{"5432123456789012", true, processor.Declined, processor.CodeCardDeclined, false},
		{"4556541926187165", true, processor.RequiresAction, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			res := MustPay(t, newSandbox(&processortest.MemoryState{}), tt.number, tt.capture)
			if res.Outcome != tt.outcome || res.Code != tt.code || res.Retryable != tt.retryable || res.Ref == "" {
				t.Fatalf("got %+v, want %s code %q retryable %v", res, tt.outcome, tt.code, tt.retryable)
			}
			approved := tt.outcome == processor.Captured || tt.outcome == processor.Authorized
			if approved != (len(res.AuthorizationCode) == 6) {
				t.Errorf("authorization code %q for %s", res.AuthorizationCode, res.Outcome)
			}
			if tt.outcome == processor.Declined && res.Message == "" {
				t.Error("a decline has no message for the buyer")
			}
			if tt.outcome == processor.RequiresAction && (res.Action != processor.ActionChallenge || res.ActionURL != "") {
				t.Errorf("got action %q url %q; want a challenge on the gateway's own page", res.Action, res.ActionURL)
			}
			if !strings.HasPrefix(res.Ref, "ch_") {
				t.Errorf("ref %q does not look like a sandbox charge", res.Ref)
			}
		})
	}
}

// TestChallenge covers both ends of 3-D Secure, with either capture mode.
func TestChallenge(t *testing.T) {
	tests := []struct {
		approved bool
		capture  bool
		want     processor.Outcome
		code     string
	}{
		{true, true, processor.Captured, ""},
		{true, false, processor.Authorized, ""},
		{false, true, processor.Declined, processor.CodeAuthentication},
	}
	for _, tt := range tests {
		p := newSandbox(&processortest.MemoryState{})
		ref := MustPay(t, p, "4000002760003184", tt.capture).Ref
		res, err := p.Resume(context.Background(), nil, ref, tt.approved)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != tt.want || res.Code != tt.code || res.Ref != ref {
			t.Errorf("approved=%v capture=%v: got %+v, want %s %q", tt.approved, tt.capture, res, tt.want, tt.code)
		}
	}
}

// TestOffSessionAfterSetup: 4000002500003155 asks for a challenge until one
// passed; from then on, charges without the buyer (off-session) of the same
// token go through, while on-session ones and tokens that never passed a
// challenge still ask. 4000002760003184 asks every time.
func TestOffSessionAfterSetup(t *testing.T) {
	ctx := context.Background()
	p := newSandbox(&processortest.MemoryState{})
	charge := func(tok pasarela.Card, offSession bool) processor.Result {
		t.Helper()
		res, err := p.Authorize(ctx, nil, processor.Charge{Reference: sandbox.NewID("pay_", 8), Amount: 500,
			Currency: "EUR", Card: &tok, Capture: true, OffSession: offSession})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	setup, err := p.Tokenize(ctx, nil, card("4000002500003155"))
	if err != nil {
		t.Fatal(err)
	}
	never, _ := p.Tokenize(ctx, nil, card("4000002500003155"))
	always, _ := p.Tokenize(ctx, nil, challenge)
	if res := charge(setup, true); res.Outcome != processor.RequiresAction {
		t.Fatalf("off-session before any challenge: %+v, want requires_action", res)
	}
	first := charge(setup, false)
	if first.Outcome != processor.RequiresAction {
		t.Fatalf("on-session: %+v", first)
	}
	if res, err := p.Resume(ctx, nil, first.Ref, true); err != nil || res.Outcome != processor.Captured {
		t.Fatalf("challenge: %+v %v", res, err)
	}
	if res := charge(setup, true); res.Outcome != processor.Captured {
		t.Errorf("off-session after the challenge: %+v, want captured", res)
	}
	if res := charge(setup, false); res.Outcome != processor.RequiresAction {
		t.Errorf("on-session after the challenge: %+v, want requires_action", res)
	}
	if res := charge(never, true); res.Outcome != processor.RequiresAction {
		t.Errorf("another token of the card, never challenged: %+v, want requires_action", res)
	}
	ref := charge(always, false).Ref
	if _, err := p.Resume(ctx, nil, ref, true); err != nil {
		t.Fatal(err)
	}
	if res := charge(always, true); res.Outcome != processor.RequiresAction {
		t.Errorf("4000002760003184 off-session after a challenge: %+v, want requires_action", res)
	}
}

// TestResumeWithoutChallenge: a charge that never asked for the buyer
// cannot be "approved" into something else.
func TestResumeWithoutChallenge(t *testing.T) {
	p := newSandbox(&processortest.MemoryState{})
	ref := MustPay(t, p, "4242424242424242", false).Ref
	_, err := p.Resume(context.Background(), nil, ref, false)
	if pasarela.ErrorKind(err) != pasarela.KindInvalid {
		t.Fatalf("got %v, want an invalid-kind error", err)
	}
}

// TestTokenizeRefuses covers what an acquirer refuses before any charge,
// with the field each problem belongs to so that the checkout can point
// at it.
func TestTokenizeRefuses(t *testing.T) {
	valid := card("4242424242424242")
	tests := []struct {
		name  string
		in    func(c *processor.CardInput)
		field string
		code  string
	}{
		{"luhn", func(c *processor.CardInput) { c.Number = "4242424242424241" }, "number", "invalid_number"},
		{"spaces", func(c *processor.CardInput) { c.Number = "4242 4242 4242 4242" }, "number", "invalid_number"},
		{"empty", func(c *processor.CardInput) { c.Number = "" }, "number", "invalid_number"},
		{"short", func(c *processor.CardInput) { c.Number = "42424242424" }, "number", "invalid_number"},
		{"long", func(c *processor.CardInput) { c.Number = "42424242424242424242" }, "number", "invalid_number"},
		{"last month", func(c *processor.CardInput) { c.ExpMonth, c.ExpYear = 5, 2030 }, "exp", processor.CodeExpiredCard},
		{"last year", func(c *processor.CardInput) { c.ExpMonth, c.ExpYear = 12, 2029 }, "exp", processor.CodeExpiredCard},
		{"month 0", func(c *processor.CardInput) { c.ExpMonth = 0 }, "exp", "invalid_expiry"},
		{"month 13", func(c *processor.CardInput) { c.ExpMonth = 13 }, "exp", "invalid_expiry"},
		{"two-digit year", func(c *processor.CardInput) { c.ExpYear = 31 }, "exp", "invalid_expiry"},
		{"far future", func(c *processor.CardInput) { c.ExpYear = 2090 }, "exp", "invalid_expiry"},
		{"cvc letters", func(c *processor.CardInput) { c.CVC = "12a" }, "cvc", "invalid_cvc"},
		{"cvc short", func(c *processor.CardInput) { c.CVC = "12" }, "cvc", "invalid_cvc"},
		{"cvc of amex on visa", func(c *processor.CardInput) { c.CVC = "1234" }, "cvc", "invalid_cvc"},
		{"cvc of visa on amex", func(c *processor.CardInput) { c.Number, c.CVC = "378282246310005", "123" }, "cvc", "invalid_cvc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := &processortest.MemoryState{}
			in := valid
			tt.in(&in)
			_, err := newSandbox(state).Tokenize(context.Background(), nil, in)
			var e *pasarela.Error
			if !errors.As(err, &e) || e.Kind != pasarela.KindInvalid || e.Field != tt.field || e.Code != tt.code {
				t.Fatalf("got %#v, want invalid %s on %q", err, tt.code, tt.field)
			}
			if strings.Contains(e.Error(), in.Number) && in.Number != "" {
				t.Errorf("the error %q repeats the card number", e.Error())
			}
			if n := len(state.Snapshot()); n != 0 {
				t.Errorf("a refused card left %d values in the state", n)
			}
		})
	}
}

// TestTokenizeReportsEveryProblem: the checkout shows all problems at once.
func TestTokenizeReportsEveryProblem(t *testing.T) {
	in := processor.CardInput{Number: "1234", ExpMonth: 1, ExpYear: 2020, CVC: "x"}
	_, err := newSandbox(&processortest.MemoryState{}).Tokenize(context.Background(), nil, in)
	var e *pasarela.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	var fields []string
	for _, f := range e.Fields {
		fields = append(fields, f.Field)
	}
	if strings.Join(fields, ",") != "number,exp,cvc" {
		t.Fatalf("fields %v, want number, exp and cvc", fields)
	}
}

// TestExpiryBoundary: a card is good through the last day of its month.
func TestExpiryBoundary(t *testing.T) {
	p := newSandbox(&processortest.MemoryState{})
	in := card("4242424242424242")
	in.ExpMonth, in.ExpYear = int(now.Month()), now.Year()
	if _, err := p.Tokenize(context.Background(), nil, in); err != nil {
		t.Fatalf("a card expiring this month was refused: %v", err)
	}
}

// TestCardExpiresAfterTokenize: a token outlives its card's expiry, and
// the charge then declines as an issuer would, rather than failing.
func TestCardExpiresAfterTokenize(t *testing.T) {
	ctx := context.Background()
	p := newSandbox(&processortest.MemoryState{})
	c, err := p.Tokenize(ctx, nil, card("4242424242424242")) // expires 12/2031
	if err != nil {
		t.Fatal(err)
	}
	p.Now = func() time.Time { return time.Date(2032, time.January, 1, 0, 0, 0, 0, time.UTC) }
	res, err := p.Authorize(ctx, nil, processor.Charge{Reference: "r", Amount: 100, Currency: "EUR", Card: &c, Capture: true})
	if err != nil || res.Outcome != processor.Declined || res.Code != processor.CodeExpiredCard {
		t.Fatalf("got %+v, %v; want declined expired_card", res, err)
	}
}

// TestRenewedExpiry: the expiry a charge carries with the token's card
// (the gateway's record, which a renewed card updates) is the one checked:
// a later one is taken after the expiry the card was tokenized with, and an
// earlier one that is over declines while the tokenized one is not.
func TestRenewedExpiry(t *testing.T) {
	ctx := context.Background()
	p := newSandbox(&processortest.MemoryState{})
	tok, err := p.Tokenize(ctx, nil, card("4242424242424242")) // expires 12/2031
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now         time.Time
		month, year int
		outcome     processor.Outcome
		code        string
	}{
		{time.Date(2032, time.January, 1, 0, 0, 0, 0, time.UTC), 1, 2034, processor.Captured, ""},
		{now, 5, 2030, processor.Declined, processor.CodeExpiredCard},
	} {
		p.Now = func() time.Time { return tc.now }
		carried := tok
		carried.ExpMonth, carried.ExpYear = tc.month, tc.year
		res, err := p.Authorize(ctx, nil, processor.Charge{Reference: "r", Amount: 100, Currency: "EUR", Card: &carried, Capture: true})
		if err != nil || res.Outcome != tc.outcome || res.Code != tc.code {
			t.Errorf("expiry %d/%d at %s: got %+v, %v; want %s %q", tc.month, tc.year, tc.now.Format("2006-01"), res, err, tc.outcome, tc.code)
		}
	}
}

func TestBrand(t *testing.T) {
	tests := []struct{ number, brand string }{
		{"4242424242424242", sandbox.BrandVisa},
		{"4000056655665556", sandbox.BrandVisa},
		{"5555555555554444", sandbox.BrandMastercard},
		{"5105105105105100", sandbox.BrandMastercard},
		{"2223003122003222", sandbox.BrandMastercard},
		{"2720990000000007", sandbox.BrandMastercard},
		{"378282246310005", sandbox.BrandAmex},
		{"371449635398431", sandbox.BrandAmex},
		{"6011111111111117", sandbox.BrandDiscover},
		{"6500000000000002", sandbox.BrandDiscover},
		{"6445644564456445", sandbox.BrandDiscover},
		{"2721000000000004", sandbox.BrandUnknown}, // just past the Mastercard 2-series
		{"3566002020360505", sandbox.BrandUnknown}, // JCB: not a brand the sandbox names
	}
	for _, tt := range tests {
		in := card(tt.number)
		if tt.brand == sandbox.BrandUnknown {
			in.CVC = "123"
		}
		c, err := newSandbox(&processortest.MemoryState{}).Tokenize(context.Background(), nil, in)
		if err != nil {
			t.Errorf("%s: %v", tt.number, err)
			continue
		}
		if c.Brand != tt.brand || c.Last4 != tt.number[len(tt.number)-4:] {
			t.Errorf("%s: got brand %q last4 %q, want %q", tt.number, c.Brand, c.Last4, tt.brand)
		}
	}
}

// TestStateHoldsNoCardData scans everything the sandbox stores, through a
// whole payment's life, for the card number, its first digits and the CVC.
func TestStateHoldsNoCardData(t *testing.T) {
	const number, cvc = "4000002760003184", "987"
	ctx := context.Background()
	state := &processortest.MemoryState{}
	p := newSandbox(state)
	in := card(number)
	in.CVC = cvc
	c, err := p.Tokenize(ctx, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Authorize(ctx, nil, processor.Charge{Reference: "r", Amount: 1000, Currency: "EUR", Card: &c, Capture: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Resume(ctx, nil, res.Ref, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refund(ctx, nil, res.Ref, 400, ""); err != nil {
		t.Fatal(err)
	}
	stored := state.Snapshot()
	if len(stored) != 2 {
		t.Fatalf("stored %d values, want the card and the charge", len(stored))
	}
	for key, value := range stored {
		for _, secret := range []string{number, number[:12], cvc, `"cvc"`, `"number"`, in.Name} {
			if bytes.Contains(value, []byte(secret)) || strings.Contains(key, secret) {
				t.Errorf("%s holds %q: %s", key, secret, value)
			}
		}
	}
}

// TestUnknownToken: a token of one State means nothing in another,
// as tokens of one acquirer account mean nothing in another.
func TestUnknownToken(t *testing.T) {
	ctx := context.Background()
	c, err := newSandbox(&processortest.MemoryState{}).Tokenize(ctx, nil, card("4242424242424242"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = newSandbox(&processortest.MemoryState{}).Authorize(ctx, nil, processor.Charge{Amount: 100, Currency: "EUR", Card: &c})
	var e *pasarela.Error
	if !errors.As(err, &e) || e.Kind != pasarela.KindInvalid || e.Field != "card" {
		t.Fatalf("got %v, want invalid on card", err)
	}
}

// TestStateFailure: a State that fails is an internal error, never a
// decline, so the core does not tell a buyer their card was refused.
func TestStateFailure(t *testing.T) {
	p := newSandbox(failingState{})
	_, err := p.Tokenize(context.Background(), nil, card("4242424242424242"))
	if pasarela.ErrorKind(err) != pasarela.KindInternal || !errors.Is(err, errDisk) {
		t.Fatalf("got %v, want an internal error wrapping the cause", err)
	}
	_, err = p.Status(context.Background(), nil, "ch_x")
	if pasarela.ErrorKind(err) != pasarela.KindInternal || !errors.Is(err, errDisk) {
		t.Fatalf("got %v, want an internal error wrapping the cause", err)
	}
}

var errDisk = errors.New("disk on fire")

type failingState struct{}

func (failingState) Load(context.Context, string) ([]byte, error) { return nil, errDisk }
func (failingState) Save(context.Context, string, []byte) error   { return errDisk }
