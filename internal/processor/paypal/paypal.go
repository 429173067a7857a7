// Package paypal is the paypal_express_checkout processor: the buyer
// approves the payment on PayPal and comes back to the gateway.
//
// In sandbox mode (config option sandbox, the default) it moves no money and
// calls nobody: Authorize answers an EC- token to approve on the gateway's
// own approval page (approve or cancel), and the charge then follows the
// same rules as the sandbox card processor's, in the same kind of record.
//
// In live mode it speaks PayPal's classic NVP API (SetExpressCheckout, then
// GetExpressCheckoutDetails and DoExpressCheckoutPayment on Resume, DoCapture,
// DoVoid, RefundTransaction, GetTransactionDetails). It keeps a record per
// token too, so that it can refuse what PayPal would (a second capture, a
// refund beyond what is left) without asking, and so that Capture and Refund
// know PayPal's transaction ids.
//
// The ref of a charge is its EC- token from Authorize to the end: the core
// keeps one ref per payment, and PayPal's transaction ids stay inside.
package paypal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// GatewayID is the id PayREST knows this gateway by.
const GatewayID = "paypal_express_checkout"

// PayPal's live addresses.
const (
	DefaultEndpoint    = "https://api-3t.paypal.com/nvp"
	DefaultApprovalURL = "https://www.paypal.com/cgi-bin/webscr?cmd=_express-checkout&token="
)

// Processor is the PayPal Express Checkout processor. Set its fields before
// first use; it is then safe for concurrent use.
type Processor struct {
	book *sandbox.Book

	// Endpoint is the NVP API's URL; "" means DefaultEndpoint. Tests point
	// it at a local server.
	Endpoint string
	// ApprovalURL is the buyer's approval page, to which the token is
	// appended; "" means DefaultApprovalURL.
	ApprovalURL string
	// Client makes the NVP calls; nil means a client with a 30 second
	// timeout, so that a hung PayPal cannot hold a checkout forever.
	Client *http.Client
}

// New returns a PayPal processor keeping its records in state. One process
// should hold one Processor per State (see sandbox.Book).
func New(state processor.State) *Processor {
	return &Processor{book: sandbox.NewBook(state)}
}

var _ processor.Processor = (*Processor)(nil)

var defaultClient = &http.Client{Timeout: 30 * time.Second}

func (p *Processor) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return defaultClient
}

func (p *Processor) endpoint() string {
	if p.Endpoint != "" {
		return p.Endpoint
	}
	return DefaultEndpoint
}

func (p *Processor) approvalURL(token string) string {
	base := p.ApprovalURL
	if base == "" {
		base = DefaultApprovalURL
	}
	return base + url.QueryEscape(token)
}

// Gateway describes PayPal in the catalog, with the options of the PayREST
// sample config.
func (p *Processor) Gateway() processor.Gateway {
	return processor.Gateway{
		ID:    GatewayID,
		Name:  "PayPal ExpressCheckout",
		Brand: "PayPal",
		Flow:  processor.FlowRedirect,
		Options: []processor.Option{
			{Name: "sandbox", Type: "boolean", Default: true,
				Description: "Simulate PayPal: buyers approve on the gateway's own test page and no money moves."},
			{Name: "username", Type: "string", Required: true,
				Description: "The PayPal API username (NVP signature credentials)."},
			{Name: "password", Type: "string", Required: true, Secret: true,
				Description: "The PayPal API password."},
			{Name: "signature", Type: "string", Required: true, Secret: true,
				Description: "The PayPal API signature."},
		},
	}
}

// sandboxMode tells the mode of a config. A config that does not say is in
// sandbox mode, as the option's default says, so that a config missing the
// option can never move real money.
func sandboxMode(cfg processor.Config) bool {
	v, ok := cfg["sandbox"].(bool)
	return !ok || v
}

// Record fields kept in ChargeRecord.Remote for live charges.
const (
	remoteMode          = "mode"             // "live" for charges made through PayPal
	remoteTransaction   = "transaction_id"   // the sale or capture, to refund
	remoteAuthorization = "authorization_id" // the authorization, to capture or void
	remotePendingOp     = "pending_op"       // a money-moving call whose answer was lost
	remotePendingID     = "pending_msgsubid" // its MSGSUBID, reused when it is retried
)

func isLive(c *sandbox.ChargeRecord) bool { return c.Remote[remoteMode] == "live" }

// Tokenize is refused: the buyer pays on PayPal, with no card form.
func (p *Processor) Tokenize(context.Context, processor.Config, processor.CardInput) (pasarela.Card, error) {
	return pasarela.Card{}, &pasarela.Error{Kind: pasarela.KindInvalid, Code: "unsupported",
		Message: "PayPal Express Checkout takes no cards: the buyer pays on PayPal"}
}

// Authorize starts the approval: it answers RequiresAction with an EC- token
// as the ref. In live mode ActionURL is PayPal's page; in sandbox mode it is
// empty, for the gateway shows its own approval page.
func (p *Processor) Authorize(ctx context.Context, cfg processor.Config, ch processor.Charge) (processor.Result, error) {
	if err := sandbox.CheckCharge(ch); err != nil {
		return processor.Result{}, err
	}
	return p.book.Once(ctx, ch, func() (processor.Result, error) { return p.authorize(ctx, cfg, ch) })
}

// authorize starts one approval. SetExpressCheckout moves no money, so a
// token made for an attempt the core then gave up (its answer lost, the
// key spent by Lookup) is harmless: no buyer is ever sent to approve it.
func (p *Processor) authorize(ctx context.Context, cfg processor.Config, ch processor.Charge) (processor.Result, error) {
	amt, err := formatAmount(ch.Amount, ch.Currency)
	if err != nil {
		return processor.Result{}, err
	}
	c := &sandbox.ChargeRecord{Reference: ch.Reference, Amount: ch.Amount, Currency: strings.ToUpper(ch.Currency),
		Capture: ch.Capture, Status: processor.RequiresAction, Action: processor.ActionApproval}
	if sandboxMode(cfg) {
		c.Ref = "EC-" + strings.ToUpper(sandbox.NewID("", 17))
	} else {
		token, res, err := p.setExpressCheckout(ctx, cfg, ch, amt)
		if err != nil || res.Outcome == processor.Declined {
			return res, err
		}
		c.Ref, c.ActionURL = token, p.approvalURL(token)
		c.Remote = map[string]string{remoteMode: "live"}
	}
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

// buyerCanceled is the message of a buyer who did not approve.
const buyerCanceled = "The buyer canceled the payment at PayPal."

// Resume ends the approval. Approved, a live charge is completed with
// DoExpressCheckoutPayment, after asking PayPal whether the buyer really
// approved (the return URL's PayerID can be forged; PayPal's answer
// cannot); refused, the charge is declined as buyer_canceled.
func (p *Processor) Resume(ctx context.Context, cfg processor.Config, ref string, approved bool) (processor.Result, error) {
	defer p.book.Lock(ref)()
	c, err := p.book.Get(ctx, ref)
	if err != nil {
		return processor.Result{}, err
	}
	if err := c.Clone().Complete(approved, "", ""); err != nil {
		return processor.Result{}, err // not waiting for the buyer
	}
	if approved && isLive(c) {
		return p.completeLive(ctx, cfg, c)
	}
	_ = c.Complete(approved, processor.CodeBuyerCanceled, buyerCanceled)
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return c.Result(), nil
}

// Capture takes amount of an authorization, once.
func (p *Processor) Capture(ctx context.Context, cfg processor.Config, ref string, amount int64) (processor.Result, error) {
	return p.change(ctx, cfg, ref, func(c *sandbox.ChargeRecord) error { return c.TakeCapture(amount) },
		func(c *sandbox.ChargeRecord) (processor.Result, error) { return p.captureLive(ctx, cfg, c, amount) },
		processor.Result{Outcome: processor.Captured, Ref: ref, Amount: amount})
}

// Cancel voids an authorization.
func (p *Processor) Cancel(ctx context.Context, cfg processor.Config, ref string) (processor.Result, error) {
	var held int64
	res, err := p.change(ctx, cfg, ref, func(c *sandbox.ChargeRecord) error { held = c.Amount; return c.Cancel() },
		func(c *sandbox.ChargeRecord) (processor.Result, error) { return p.voidLive(ctx, cfg, c) },
		processor.Result{Outcome: processor.Canceled, Ref: ref})
	if err == nil && res.Outcome == processor.Canceled {
		res.Amount = held
	}
	return res, err
}

// Refund returns amount of a captured charge. A repeated key answers the
// first refund without asking PayPal again; live, the key also becomes the
// call's MSGSUBID, so that PayPal itself answers a retry whose first answer
// was lost with that first refund.
func (p *Processor) Refund(ctx context.Context, cfg processor.Config, ref string, amount int64, key string) (processor.Result, error) {
	done := amount
	res, err := p.change(ctx, cfg, ref, func(c *sandbox.ChargeRecord) error {
		if n, ok := c.RefundedUnder(key); ok {
			done = n
			return nil
		}
		_, err := c.RefundKeyed(key, amount)
		return err
	}, func(c *sandbox.ChargeRecord) (processor.Result, error) {
		if n, ok := c.RefundedUnder(key); ok {
			return processor.Result{Outcome: processor.Refunded, Ref: ref, Amount: n}, nil
		}
		return p.refundLive(ctx, cfg, c, amount, key)
	}, processor.Result{Outcome: processor.Refunded, Ref: ref})
	if err == nil && res.Amount == 0 {
		res.Amount = done
	}
	return res, err
}

// Lookup answers what became of the Authorize made with key: the charge's
// Status (asking PayPal for a live one), or KindNotFound after spending the
// key (see processor.Processor.Lookup).
func (p *Processor) Lookup(ctx context.Context, cfg processor.Config, key string) (processor.Result, error) {
	return p.book.Lookup(ctx, key, func(ref string) (processor.Result, error) { return p.Status(ctx, cfg, ref) })
}

// change runs one follow-up operation under the charge's lock. The rule is
// checked on a copy first, so that what PayPal would refuse is refused
// without asking; a live charge then asks PayPal (live, which applies the
// rule and stores the record itself), a sandbox charge just applies it.
func (p *Processor) change(ctx context.Context, cfg processor.Config, ref string,
	rule func(*sandbox.ChargeRecord) error, live func(*sandbox.ChargeRecord) (processor.Result, error),
	done processor.Result) (processor.Result, error) {
	defer p.book.Lock(ref)()
	c, err := p.book.Get(ctx, ref)
	if err != nil {
		return processor.Result{}, err
	}
	if err := rule(c.Clone()); err != nil {
		return processor.Result{}, err
	}
	if isLive(c) {
		return live(c)
	}
	_ = rule(c)
	if err := p.book.Put(ctx, c); err != nil {
		return processor.Result{}, err
	}
	return done, nil
}

// Status answers what is known of a charge; for a live charge with money
// at PayPal, what PayPal says now.
func (p *Processor) Status(ctx context.Context, cfg processor.Config, ref string) (processor.Result, error) {
	c, err := p.book.Get(ctx, ref)
	if err != nil {
		return processor.Result{}, err
	}
	if isLive(c) && (c.Status == processor.Authorized || c.Status == processor.Captured) {
		return p.statusLive(ctx, cfg, c)
	}
	if isLive(c) && c.Status == processor.RequiresAction && c.Remote[remotePendingOp] == "pay" {
		// DoExpressCheckoutPayment was sent and its answer never came back
		// (a lost connection, a process that died): PayPal knows whether
		// the buyer paid.
		return p.recoverPay(ctx, cfg, ref)
	}
	return c.Result(), nil
}
