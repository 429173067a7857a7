// Package sandbox is a card processor that moves no money: it answers like a
// card acquirer, deterministically by card number (Stripe's public test
// numbers), so that every payment flow of the gateway works end to end with
// no outside network.
//
// It is real code, not a mock: cards are tokenized and only the token,
// last four digits, brand and expiry are kept; charges live in the
// processor.State the core provides, so they survive restarts and are seen
// by every node. The Book and ChargeRecord it keeps them with are exported
// because other processors' sandbox modes (PayPal's) follow the same rules.
//
// Test cards (any future expiry, any CVC of the right length):
//
//	4242424242424242, 5555555555554444  succeed
//	4000000000000002                    declined (card_declined)
//	4000000000009995                    declined (insufficient_funds)
//	4000000000000069                    declined (expired_card)
//	4000000000000127                    declined (incorrect_cvc)
//	4000000000000119                    declined (processing_error, retryable)
//	4000002760003184                    3-D Secure challenge on every charge, then approved or authentication_failed
//	4000002500003155                    3-D Secure challenge, except off-session once a challenge passed
//	4775718800002026, 5364000000000987  succeed (Gestpay's; the second's check digit is wrong, and accepted)
//	5432123456789012                    declined (card_declined; Gestpay's 74)
//	4556541926187165                    3-D Secure challenge on every charge (Gestpay's)
//	any other Luhn-valid number         succeeds
package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

// GatewayID is the sandbox's id in the gateway catalog.
const GatewayID = "sandbox"

// Capture option values. The option is read by the core, not by the
// sandbox: it is the default the core uses for Charge.Capture when a payment
// does not say. Charge.Capture is the core's instruction and always wins, so
// that one rule decides capture for every processor.
const (
	CaptureAutomatic = "automatic"
	CaptureManual    = "manual"
)

// Processor is the sandbox card processor. It is safe for concurrent use.
type Processor struct {
	state processor.State
	book  *Book
	// Now is the clock card expiry is checked against; nil means time.Now.
	// Tests set it to move through months.
	Now func() time.Time
}

// New returns a sandbox processor keeping its cards and charges in state.
// One process should hold one Processor per State, because charges are
// locked per Processor (see Book).
func New(state processor.State) *Processor {
	return &Processor{state: state, book: NewBook(state)}
}

var _ processor.Processor = (*Processor)(nil)

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Gateway describes the sandbox in the catalog.
func (p *Processor) Gateway() processor.Gateway {
	return processor.Gateway{
		ID:   GatewayID,
		Name: "Sandbox cards",
		Flow: processor.FlowCard,
		Options: []processor.Option{{
			Name:    "capture",
			Type:    "enum",
			Enum:    []string{CaptureAutomatic, CaptureManual},
			Default: CaptureAutomatic,
			Description: "Whether a payment that does not say is captured at once (automatic) " +
				"or held for a later capture (manual).",
		}},
	}
}

// cardRecord is what the sandbox keeps of a tokenized card under
// "card:<token>". It has no field for the number or the CVC on purpose:
// what is not stored cannot leak.
type cardRecord struct {
	Behaviour behaviour `json:"behaviour"`
	Brand     string    `json:"brand"`
	Last4     string    `json:"last4"`
	ExpMonth  int       `json:"exp_month"`
	ExpYear   int       `json:"exp_year"`
	// Authenticated is set when a challenge of a charge of this card
	// passed: the buyer set it up for later charges without them.
	Authenticated bool `json:"authenticated,omitempty"`
}

func cardKey(token string) string { return "card:" + token }

// Tokenize checks a card as an acquirer would (digits, Luhn, expiry, CVC)
// and keeps a token for it. The core checks Luhn too; the sandbox checks
// again so that it never accepts what a real acquirer would refuse.
// A test card that declines as expired tokenizes fine: it declines at
// Authorize, as the real one would.
func (p *Processor) Tokenize(ctx context.Context, _ processor.Config, card processor.CardInput) (pasarela.Card, error) {
	brand, err := checkCard(card, p.now())
	if err != nil {
		return pasarela.Card{}, err
	}
	b, ok := testCards[card.Number]
	if !ok {
		b = behaveSucceed
	}
	rec := cardRecord{Behaviour: b, Brand: brand, Last4: card.Number[len(card.Number)-4:],
		ExpMonth: card.ExpMonth, ExpYear: card.ExpYear}
	raw, err := json.Marshal(rec)
	if err != nil {
		return pasarela.Card{}, pasarela.Internal(err)
	}
	token := NewID("card_", 24)
	if err := p.state.Save(ctx, cardKey(token), raw); err != nil {
		return pasarela.Card{}, pasarela.Internal(fmt.Errorf("save card: %w", err))
	}
	return pasarela.Card{Token: token, BIN: card.Number[:6], Last4: rec.Last4, Brand: brand, ExpMonth: rec.ExpMonth,
		ExpYear: rec.ExpYear}, nil
}

// CheckCharge refuses a charge no processor could take: no positive amount
// or a currency the gateway does not know.
func CheckCharge(ch processor.Charge) error {
	if ch.Amount <= 0 {
		return pasarela.Invalid("amount", "amount", "must be greater than zero")
	}
	if _, ok := pasarela.LookupCurrency(ch.Currency); !ok {
		return pasarela.Invalid("currency", "currency", "is not a currency the gateway knows")
	}
	return nil
}

// Authorize charges a tokenized card. Every charge, declined ones too, gets
// a ref and a record, so that Status can answer for it later. A repeated
// idempotency key answers the first charge (see Book.Once).
func (p *Processor) Authorize(ctx context.Context, _ processor.Config, ch processor.Charge) (processor.Result, error) {
	if err := CheckCharge(ch); err != nil {
		return processor.Result{}, err
	}
	return p.book.Once(ctx, ch, func() (processor.Result, error) { return p.authorize(ctx, ch) })
}

func (p *Processor) authorize(ctx context.Context, ch processor.Charge) (processor.Result, error) {
	if ch.Card == nil || ch.Card.Token == "" {
		return processor.Result{}, pasarela.Invalid("card", "required", "is required for a card charge")
	}
	raw, err := p.state.Load(ctx, cardKey(ch.Card.Token))
	if err != nil {
		return processor.Result{}, pasarela.Internal(fmt.Errorf("load card: %w", err))
	}
	if raw == nil {
		return processor.Result{}, pasarela.Invalid("card", "unknown_token", "is not a card the sandbox tokenized")
	}
	var card cardRecord
	if err := json.Unmarshal(raw, &card); err != nil {
		return processor.Result{}, pasarela.Internal(fmt.Errorf("decode card: %w", err))
	}

	c := &ChargeRecord{Ref: NewID("ch_", 24), Reference: ch.Reference, Amount: ch.Amount,
		Currency: ch.Currency, Capture: ch.Capture, CardToken: ch.Card.Token}
	b := card.Behaviour
	// The charge carries the card's expiry as the gateway keeps it, which
	// a renewed card's new expiry updates (as an acquirer takes the expiry
	// with a stored token's charge); a charge without one has the expiry
	// the card was tokenized with.
	month, year := card.ExpMonth, card.ExpYear
	if ch.Card.ExpMonth != 0 {
		month, year = ch.Card.ExpMonth, ch.Card.ExpYear
	}
	if expired(month, year, p.now()) {
		// The card was valid when tokenized and has expired since.
		b = behaviour(processor.CodeExpiredCard)
	}
	switch b {
	case behaveSucceed:
		c.approve()
	case behaveSetup:
		if ch.OffSession && card.Authenticated {
			c.approve()
			break
		}
		c.Status, c.Action = processor.RequiresAction, processor.ActionChallenge
	case behaveChallenge:
		// The challenge page is the gateway's own (the sandbox has no issuer
		// site), so there is no ActionURL: the checkout shows it.
		c.Status, c.Action = processor.RequiresAction, processor.ActionChallenge
	default:
		d, ok := declines[string(b)]
		if !ok {
			return processor.Result{}, pasarela.Internal(fmt.Errorf("card %s has unknown behaviour %q", ch.Card.Token, b))
		}
		c.Status, c.Code, c.Message, c.Retryable = processor.Declined, string(b), d.message, d.retryable
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

// Resume ends a 3-D Secure challenge: approved, the charge is captured or
// held as it asked; refused, it is declined as authentication_failed.
func (p *Processor) Resume(ctx context.Context, _ processor.Config, ref string, approved bool) (processor.Result, error) {
	c, err := p.book.Update(ctx, ref, func(c *ChargeRecord) error {
		return c.Complete(approved, processor.CodeAuthentication, declines[processor.CodeAuthentication].message)
	})
	if err != nil {
		return processor.Result{}, err
	}
	if approved {
		if err := p.markAuthenticated(ctx, c.CardToken); err != nil {
			return processor.Result{}, err
		}
	}
	return c.Result(), nil
}

// markAuthenticated records that the buyer passed a challenge with a card,
// which lets later off-session charges of a behaveSetup card go without one.
func (p *Processor) markAuthenticated(ctx context.Context, token string) error {
	raw, err := p.state.Load(ctx, cardKey(token))
	if err != nil || raw == nil {
		return err
	}
	var card cardRecord
	if err := json.Unmarshal(raw, &card); err != nil {
		return pasarela.Internal(fmt.Errorf("decode card: %w", err))
	}
	if card.Authenticated {
		return nil
	}
	card.Authenticated = true
	b, err := json.Marshal(card)
	if err != nil {
		return pasarela.Internal(err)
	}
	return p.state.Save(ctx, cardKey(token), b)
}

// Capture takes amount of an authorization, once (see ChargeRecord.TakeCapture).
func (p *Processor) Capture(ctx context.Context, _ processor.Config, ref string, amount int64) (processor.Result, error) {
	if _, err := p.book.Update(ctx, ref, func(c *ChargeRecord) error { return c.TakeCapture(amount) }); err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Captured, Ref: ref, Amount: amount}, nil
}

// Cancel releases an authorization; Amount is what was held.
func (p *Processor) Cancel(ctx context.Context, _ processor.Config, ref string) (processor.Result, error) {
	c, err := p.book.Update(ctx, ref, func(c *ChargeRecord) error { return c.Cancel() })
	if err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Canceled, Ref: ref, Amount: c.Amount}, nil
}

// Refund returns amount of a captured charge; Amount is this refund's, and
// Status tells the total. A repeated key answers the first refund.
func (p *Processor) Refund(ctx context.Context, _ processor.Config, ref string, amount int64, key string) (processor.Result, error) {
	var done int64
	if _, err := p.book.Update(ctx, ref, func(c *ChargeRecord) error {
		var err error
		done, err = c.RefundKeyed(key, amount)
		return err
	}); err != nil {
		return processor.Result{}, err
	}
	return processor.Result{Outcome: processor.Refunded, Ref: ref, Amount: done}, nil
}

// Lookup answers what became of the Authorize made with key (see Book.Lookup).
func (p *Processor) Lookup(ctx context.Context, _ processor.Config, key string) (processor.Result, error) {
	return p.book.Lookup(ctx, key, nil)
}

// Status answers what the sandbox knows of a charge (see ChargeRecord.Result).
func (p *Processor) Status(ctx context.Context, _ processor.Config, ref string) (processor.Result, error) {
	return p.book.Status(ctx, ref)
}
