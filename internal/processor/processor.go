// Package processor is the seam between the core and the payment processors
// (card acquirers, wallets, rails). Each processor lives in a package of its
// own, implements Processor, and passes the one behavioural suite in
// processortest. The core never knows which processor it talks to.
package processor

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/pasarela/pasarela"
)

// The catalog's description types are the gateway's vocabulary (the root
// package), so that faces show the catalog without importing processors.
type (
	// Option describes one configuration option of a gateway.
	Option = pasarela.GatewayOption
	// Flow is how a buyer pays with a gateway.
	Flow = pasarela.GatewayFlow
	// Gateway is a catalog entry: a processor the gateway can route to.
	Gateway = pasarela.Gateway
)

// Flows.
const (
	FlowCard     = pasarela.FlowCard
	FlowRedirect = pasarela.FlowRedirect
	FlowDeposit  = pasarela.FlowDeposit
)

// ConfigChecker is implemented by a processor whose options need checks
// beyond their types (a key that must parse): the core calls it after the
// option schema passed, and its errors name the option.
type ConfigChecker interface {
	CheckConfig(cfg Config) error
}

// Config is one gateway config's options, validated against the gateway's
// Options (secrets decrypted) before the core hands it to the processor.
type Config map[string]any

// String returns a string option, or "".
func (c Config) String(name string) string { s, _ := c[name].(string); return s }

// CardInput is card data as a buyer typed it (see pasarela.CardInput).
type CardInput = pasarela.CardInput

// Charge asks a processor to take money.
type Charge struct {
	Reference   string // the payment's transaction id, unique
	Amount      int64  // minor units
	Currency    string
	Description string
	Card        *pasarela.Card // the tokenized card, for card flows
	Capture     bool           // capture at once; false holds the money for a later Capture
	ReturnURL   string         // where a buyer step (3-D Secure, approval) comes back to
	// IdempotencyKey names this attempt: a repeated Authorize with the same
	// key answers the first one's charge and charges nothing again, so that
	// a process that lost the answer (or died) can ask again safely. The
	// core derives it from what it committed before the call (the payment's
	// transaction id, the version its claim wrote, the gateway config), so
	// that a reconciler can rebuild it after a crash. "" means none.
	IdempotencyKey string
	// OffSession says the buyer is not there (a scheduled charge of a card
	// stored with their agreement): a processor that may exempt such a
	// merchant-initiated charge from authentication, because the card was
	// authenticated when it was stored, does so rather than ask for a buyer
	// step nobody can take.
	OffSession bool
}

// Outcome is what a processor call ended in.
type Outcome string

// Outcomes.
const (
	Authorized     Outcome = "authorized"      // money held, to capture
	Captured       Outcome = "captured"        // money taken
	RequiresAction Outcome = "requires_action" // the buyer must act: see Result.Action
	Declined       Outcome = "declined"        // refused; Result.Code says why
	Canceled       Outcome = "canceled"        // an authorization released
	Refunded       Outcome = "refunded"        // money returned
)

// Buyer steps a processor can ask for.
const (
	ActionChallenge = "3ds_challenge" // 3-D Secure: the buyer confirms with the card issuer
	ActionApproval  = "approval"      // the buyer approves on the wallet's page (PayPal)
)

// Decline codes shared by every processor, so that every face can map them.
const (
	CodeCardDeclined      = "card_declined"
	CodeInsufficientFunds = "insufficient_funds"
	CodeExpiredCard       = "expired_card"
	CodeIncorrectCVC      = "incorrect_cvc"
	CodeProcessingError   = "processing_error" // retryable: another gateway config may succeed
	CodeAuthentication    = "authentication_failed"
	CodeBuyerCanceled     = "buyer_canceled"
)

// Result is a processor's answer.
type Result struct {
	Outcome   Outcome
	Ref       string // the processor's reference of the charge
	Action    string // with RequiresAction: ActionChallenge or ActionApproval
	ActionURL string // with RequiresAction: the processor's page, when it has one outside the gateway
	Code      string // with Declined: one of the Code constants
	Message   string // with Declined: a human explanation, safe to show the buyer
	Retryable bool   // with Declined: the same charge may succeed elsewhere or later
	Amount    int64  // the amount captured, canceled or refunded
	// AuthorizationCode is the issuer's approval code of an authorized or
	// captured charge, when the processor reports one.
	AuthorizationCode string
}

// Processor is one payment processor. Business outcomes (a decline) are
// Results; an error means the processor could not be asked or answered
// nonsense, and the core treats the charge as not done.
type Processor interface {
	Gateway() Gateway
	// Tokenize stores a card with the processor and returns what the gateway
	// may keep. Only FlowCard processors support it.
	Tokenize(ctx context.Context, cfg Config, card CardInput) (pasarela.Card, error)
	// Authorize starts a charge; with ch.Capture it also captures.
	Authorize(ctx context.Context, cfg Config, ch Charge) (Result, error)
	// Resume continues a charge after the buyer's step, approved or not.
	Resume(ctx context.Context, cfg Config, ref string, approved bool) (Result, error)
	// Capture takes amount (at most the authorized amount) of an authorization.
	Capture(ctx context.Context, cfg Config, ref string, amount int64) (Result, error)
	// Cancel releases an authorization that was not captured.
	Cancel(ctx context.Context, cfg Config, ref string) (Result, error)
	// Refund returns amount of a captured charge. A repeated key (the
	// core's refund, see RefundKey) answers the first refund and returns no
	// money again; "" means none.
	Refund(ctx context.Context, cfg Config, ref string, amount int64, key string) (Result, error)
	// Status fetches what the processor knows of a charge now.
	Status(ctx context.Context, cfg Config, ref string) (Result, error)
	// Lookup answers what became of the Authorize made with an idempotency
	// key, as Status would answer for its charge. A key the processor never
	// saw is a KindNotFound error, and the key is spent from then on: a
	// later Authorize with it is declined (CodeProcessingError, retryable)
	// and charges nothing. That fence is what lets the core give up on an
	// attempt whose process it believes dead without a late call of that
	// process taking money nobody will account for.
	Lookup(ctx context.Context, cfg Config, key string) (Result, error)
}

// ErrNotSent marks a failed call that certainly never reached the
// processor (no connection could be made, the request could not be built):
// nothing happened there, so the core may try another config at once. Any
// other error leaves the outcome open, and the core asks about the call's
// idempotency key before doing anything else.
var ErrNotSent = errors.New("the request did not reach the processor")

// NotSent marks err as ErrNotSent.
func NotSent(err error) error { return fmt.Errorf("%w: %w", ErrNotSent, err) }

// MessageAbandoned is the decline message of an Authorize whose idempotency
// key a Lookup had spent: the core had given the attempt up.
const MessageAbandoned = "the payment attempt was abandoned after an interruption; please try again"

// State is durable storage a processor may use for what a real processor
// would keep on its side (the sandbox's charges and card tokens). The core
// provides it over the database, so it survives restarts and is shared by
// every node.
type State interface {
	// Load returns the value stored under key, or nil when there is none.
	Load(ctx context.Context, key string) ([]byte, error)
	// Save stores value under key.
	Save(ctx context.Context, key string, value []byte) error
}

// Registry holds the processors of a running gateway by gateway id.
type Registry struct{ m map[string]Processor }

// NewRegistry returns a registry of ps.
func NewRegistry(ps ...Processor) *Registry {
	r := &Registry{m: map[string]Processor{}}
	for _, p := range ps {
		r.m[p.Gateway().ID] = p
	}
	return r
}

// Get returns the processor of a gateway id.
func (r *Registry) Get(id string) (Processor, bool) { p, ok := r.m[id]; return p, ok }

// Gateways lists the catalog, ordered by id.
func (r *Registry) Gateways() []Gateway {
	out := make([]Gateway, 0, len(r.m))
	for _, p := range r.m {
		out = append(out, p.Gateway())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
