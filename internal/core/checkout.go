package core

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// The hosted checkout: a buyer holding a page token (no account, no key)
// pays one payment. Every method takes the token and answers the Checkout
// as it stands afterwards, so the page always shows the truth.

// Buyer steps and flows, as the hosted pages meet them.
const (
	ActionChallenge = processor.ActionChallenge
	ActionApproval  = processor.ActionApproval
	FlowCard        = string(processor.FlowCard)
	FlowRedirect    = string(processor.FlowRedirect)
)

// CheckoutOption is one way to pay offered on the page.
type CheckoutOption struct {
	Flow    string // FlowCard or FlowRedirect
	Gateway string // catalog id
	Name    string // gateway display name
	// Label is what a buyer's button calls the way of paying: the
	// gateway's brand ("PayPal"), else its name.
	Label    string
	ConfigID int64 // for redirect flows, which config the button uses
}

// Checkout is what the hosted page shows.
type Checkout struct {
	Token    string
	Payment  *pasarela.Payment
	Link     *pasarela.PaymentLink // nil on the payment's own page
	Merchant string                // the application's name
	// Logo is the application's logo URL as the merchant set it ("" for
	// none); the page decides whether a buyer's browser may load it.
	Logo    string
	Options []CheckoutOption
	// Action is the buyer step the payment waits for (3-D Secure challenge,
	// wallet approval), and ActionURL where it happens when outside.
	Action    string
	ActionURL string
	ReturnURL string
	CancelURL string
	// Pages are the application's page settings: a return through a face's
	// own page may end at their success or failure URL.
	Pages pasarela.PageSettings
	// Expired is true when the token can no longer be used to pay.
	Expired bool
	// PayWithin is how long a pending payment with an expiry (a deposit
	// at its locked rate) can still be paid, by the gateway's clock, for
	// a page that counts it down; zero otherwise.
	PayWithin time.Duration
}

var errNoCheckout = pasarela.NotFound("payment page")

// linkOf is the id of the link a checkout was opened through, or 0.
func linkOf(c *Checkout) int64 {
	if c == nil || c.Link == nil {
		return 0
	}
	return c.Link.ID
}

// notFoundAsNoCheckout answers a buyer's unknown token as a missing page,
// and lets any other failure (the database is down) through as itself.
func notFoundAsNoCheckout(err error) error {
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return errNoCheckout
	}
	return err
}

// load reads the payment, link, application and configs behind a token.
func (s *Service) loadCheckout(ctx context.Context, tx *store.Tx, token string) (*Checkout, []store.GatewayConfigRow, error) {
	c := &Checkout{Token: token}
	var err error
	switch {
	case strings.HasPrefix(token, linkTokenPrefix):
		if c.Link, err = tx.GetPaymentLinkByToken(ctx, token); err != nil {
			return nil, nil, notFoundAsNoCheckout(err)
		}
		if c.Payment, err = tx.GetPaymentByID(ctx, c.Link.ClientID, c.Link.PaymentID); err != nil {
			return nil, nil, err
		}
	case strings.HasPrefix(token, checkoutTokenPrefix):
		if c.Payment, err = tx.GetPaymentByCheckoutToken(ctx, token); err != nil {
			return nil, nil, notFoundAsNoCheckout(err)
		}
	default:
		return nil, nil, errNoCheckout
	}
	pay := c.Payment
	if pay.Type == pasarela.PaymentDeposit {
		// The page of a deposit shows its crypto side: the address, the
		// amount due, what the chain shows.
		d, err := tx.GetDeposit(ctx, pay.ClientID, pay.ID)
		if err != nil {
			return nil, nil, err
		}
		pay.Deposit = withURI(d)
	}
	app, err := tx.GetApplication(ctx, pay.ClientID, pay.ApplicationID)
	if err != nil {
		return nil, nil, err
	}
	c.Merchant, c.Pages = app.Name, app.Pages
	if app.Logo != nil {
		c.Logo = *app.Logo
	}
	c.ReturnURL, c.CancelURL = pay.ReturnURL, pay.CancelURL
	allowed := pay.GatewayConfigs
	if c.Link != nil {
		allowed = []int64{c.Link.GatewayConfig}
		if c.Link.ReturnURL != "" {
			c.ReturnURL = c.Link.ReturnURL
		}
		if c.Link.CancelURL != "" {
			c.CancelURL = c.Link.CancelURL
		}
	}
	configs, err := usableConfigs(ctx, tx, pay.ClientID, pay.ApplicationID, allowed, false)
	if err != nil {
		return nil, nil, err
	}
	seenCard := false
	for _, cfg := range configs {
		proc, ok := s.processors.Get(cfg.Gateway)
		if !ok {
			continue
		}
		g := proc.Gateway()
		if g.Flow == processor.FlowCard {
			if seenCard {
				continue // one card form routes among all card configs
			}
			seenCard = true
		}
		label := g.Brand
		if label == "" {
			label = g.Name
		}
		c.Options = append(c.Options, CheckoutOption{Flow: string(g.Flow), Gateway: g.ID, Name: g.Name, Label: label, ConfigID: cfg.ID})
	}
	now := s.now()
	c.Expired = (c.Link != nil && (c.Link.Expired(now) || c.Link.Status != pasarela.LinkActive) && pay.Status.Payable()) ||
		(pay.ExpiresAt != nil && !now.Before(*pay.ExpiresAt) && pay.Status.Payable())
	if pay.Status == pasarela.StatusPending && pay.ExpiresAt != nil && now.Before(*pay.ExpiresAt) && !c.Expired {
		c.PayWithin = pay.ExpiresAt.Sub(now)
	}
	if pay.Status == pasarela.StatusRequiresAction {
		c.Action, c.ActionURL = pay.Action, pay.ActionURL
		if c.Action == "" {
			c.Action = actionOf(pay)
		}
	}
	return c, configs, nil
}

// actionOf names the buyer step a payment waits for, from its config's flow.
func actionOf(pay *pasarela.Payment) string {
	if pay.Card != nil {
		return processor.ActionChallenge
	}
	return processor.ActionApproval
}

// OpenCheckout returns the page of a token. A payment whose own expiry has
// passed is marked expired on the way.
func (s *Service) OpenCheckout(ctx context.Context, token string) (*Checkout, error) {
	var c *Checkout
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, _, err = s.loadCheckout(ctx, tx, token)
		return err
	})
	if err != nil {
		return nil, err
	}
	if pay := c.Payment; pay.ExpiresAt != nil && !s.now().Before(*pay.ExpiresAt) && pay.Status.Payable() {
		dep := pay.Deposit
		if err := s.expire(ctx, pay); err != nil {
			return nil, err
		}
		pay.Deposit = dep // expire rereads the payment alone
	}
	return c, nil
}

// expire marks a payment nobody paid in time.
func (s *Service) expire(ctx context.Context, pay *pasarela.Payment) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetPaymentByID(ctx, pay.ClientID, pay.ID)
		if err != nil || !cur.Status.Payable() {
			return err
		}
		if err := s.transition(ctx, tx, cur, pasarela.StatusExpired); err != nil {
			return err
		}
		*pay = *cur
		return tx.CloseActiveLinks(ctx, cur.ClientID, cur.ID, pasarela.LinkInvalidated, s.now())
	})
}

var (
	errCheckoutExpired = pasarela.Errorf(pasarela.KindInvalid, "link_expired", "this payment page has expired")
	errNotPayable      = pasarela.Errorf(pasarela.KindInvalid, "not_payable", "this payment can no longer be paid")
	errNotOffered      = pasarela.Errorf(pasarela.KindInvalid, "no_gateway", "this way of paying is not offered for this payment")
)

// startAttempt checks a token can pay and claims the payment.
func (s *Service) startAttempt(ctx context.Context, token string, flow processor.Flow, configID int64) (*Checkout, *pasarela.Payment, []store.GatewayConfigRow, error) {
	var c *Checkout
	var configs []store.GatewayConfigRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, configs, err = s.loadCheckout(ctx, tx, token)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Expired {
		return c, nil, nil, errCheckoutExpired
	}
	if !c.Payment.Status.Payable() {
		return c, nil, nil, errNotPayable
	}
	if c.Payment.Type == pasarela.PaymentDeposit {
		// A deposit is paid on its chain, never by card or wallet, even
		// if a config of another flow were added to it.
		return c, nil, nil, errNotOffered
	}
	var chosen []store.GatewayConfigRow
	for _, cfg := range s.router.order(configs) {
		proc, ok := s.processors.Get(cfg.Gateway)
		if ok && proc.Gateway().Flow == flow && (configID == 0 || cfg.ID == configID) {
			chosen = append(chosen, cfg)
		}
	}
	if len(chosen) == 0 {
		return c, nil, nil, errNotOffered
	}
	// A payment waiting for its buyer's step may be tried again with
	// another card, unless it allows a single attempt: then that step is
	// its attempt, and a second card could be charged while the first
	// charge is still open at its processor.
	from := []pasarela.PaymentStatus{pasarela.StatusPending, pasarela.StatusRequiresAction}
	if c.Payment.SingleAttempt {
		from = from[:1]
	}
	pay, err := s.claim(ctx, c.Payment.ClientID, c.Payment.ID, from...)
	if err != nil {
		if pasarela.AsError(err).Code == "payment_state" {
			return c, nil, nil, errNotPayable
		}
		return c, nil, nil, err
	}
	return c, pay, chosen, nil
}

// PayWithCard charges a card typed on the hosted page. The card is checked
// here (Luhn, expiry, CVC) before any processor sees it, then tokenized at
// the processor; the gateway keeps only the token, last four digits, brand
// and expiry. Pressing Pay twice charges once: the second press finds the
// payment no longer pending.
func (s *Service) PayWithCard(ctx context.Context, token string, card pasarela.CardInput) (*Checkout, error) {
	if err := CheckCard(&card, s.now()); err != nil {
		return nil, err
	}
	return s.payByCard(ctx, token, 0, &cardSource{typed: &card})
}

// payByCard is the card payment of a page token, whichever way the card
// came: claim the payment, charge the card at configID (0: any card config
// the payment allows, in routing order), settle the answer.
func (s *Service) payByCard(ctx context.Context, token string, configID int64, card *cardSource) (*Checkout, error) {
	c, pay, configs, err := s.startAttempt(ctx, token, processor.FlowCard, configID)
	if err != nil {
		return c, err
	}
	a, err := s.authorize(ctx, pay, configs, card)
	if a != nil {
		a.link = linkOf(c)
	}
	if errors.Is(err, errOutcomeUnknown) {
		return s.finishWithError(ctx, token, err) // still processing: see errOutcomeUnknown
	}
	if err != nil {
		code, msg := processor.CodeProcessingError, "the payment could not be processed; please try again"
		if pasarela.ErrorKind(err) == pasarela.KindInvalid {
			code, msg = pasarela.AsError(err).Code, pasarela.AsError(err).Message
		}
		s.release(ctx, pay, pasarela.StatusPending, code, msg)
		return s.finishWithError(ctx, token, err)
	}
	if _, err := s.settle(ctx, pay, a, false); err != nil {
		return nil, err
	}
	return s.OpenCheckout(ctx, token)
}

func (s *Service) finishWithError(ctx context.Context, token string, err error) (*Checkout, error) {
	c, cerr := s.OpenCheckout(ctx, token)
	if cerr != nil {
		return nil, err
	}
	return c, err
}

// StartRedirect begins a redirect-flow payment (PayPal): the processor
// answers with the approval step the buyer goes through next.
func (s *Service) StartRedirect(ctx context.Context, token string, configID int64) (*Checkout, error) {
	c, pay, configs, err := s.startAttempt(ctx, token, processor.FlowRedirect, configID)
	if err != nil {
		return s.finishWithError(ctx, token, err)
	}
	a, err := s.authorize(ctx, pay, configs[:1], nil)
	if a != nil {
		a.link = linkOf(c)
	}
	if errors.Is(err, errOutcomeUnknown) {
		return s.finishWithError(ctx, token, err)
	}
	if err != nil {
		s.release(ctx, pay, pasarela.StatusPending, processor.CodeProcessingError, "the payment could not be started; please try again")
		return s.finishWithError(ctx, token, err)
	}
	if _, err := s.settle(ctx, pay, a, false); err != nil {
		return nil, err
	}
	return s.OpenCheckout(ctx, token)
}

// ResumeCheckout continues a payment after the buyer's step: approved (the
// 3-D Secure challenge passed, the wallet approved) or not.
func (s *Service) ResumeCheckout(ctx context.Context, token string, approved bool) (*Checkout, error) {
	c, err := s.OpenCheckout(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.Payment.Status != pasarela.StatusRequiresAction {
		return c, pasarela.Errorf(pasarela.KindInvalid, "no_action", "this payment is not waiting for you")
	}
	pay, err := s.claim(ctx, c.Payment.ClientID, c.Payment.ID, pasarela.StatusRequiresAction)
	if err != nil {
		return s.finishWithError(ctx, token, errNotPayable)
	}
	proc, opts, row, err := s.processorOf(ctx, pay)
	var res processor.Result
	if err == nil {
		res, err = proc.Resume(ctx, opts, pay.ProcessorRef, approved)
	}
	if err != nil {
		// The processor may have taken the money before its answer was lost:
		// the payment keeps waiting for this step, which is safe to retry
		// (the processor answers a repeated resume with the first outcome),
		// rather than becoming payable again and charged twice.
		s.release(ctx, pay, pasarela.StatusRequiresAction, processor.CodeProcessingError, "the payment could not be completed; please try again")
		return s.finishWithError(ctx, token, pasarela.Internal(err))
	}
	a := &attempt{config: *row, result: res, link: linkOf(c)}
	if _, err := s.settle(ctx, pay, a, false); err != nil {
		return nil, err
	}
	return s.OpenCheckout(ctx, token)
}

// CheckCard validates card input before any processor sees it, normalising
// the number (spaces and dashes removed) and a two-digit year. Each problem
// names its field: name, number, exp, cvc.
func CheckCard(c *pasarela.CardInput, now time.Time) error {
	var v pasarela.Validation
	c.Number = strings.NewReplacer(" ", "", "-", "").Replace(c.Number)
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "" && c.NameOptional:
	case c.Name == "":
		v.Add("name", "required", "enter the name on the card")
	case !utf8.ValidString(c.Name) || strings.ContainsFunc(c.Name, unicode.IsControl):
		v.Add("name", "format", "the name may not contain control characters")
	case utf8.RuneCountInString(c.Name) > 100:
		v.Add("name", "too_long", "the name is too long")
	}
	switch {
	case c.Number == "":
		v.Add("number", "required", "enter the card number")
	case !pasarela.Digits(c.Number) || len(c.Number) < 12 || len(c.Number) > 19, !pasarela.CheckDigitValid(c.Number):
		v.Add("number", "card_number", "the card number is not valid")
	}
	checkExpiry(&v, c.ExpMonth, &c.ExpYear, now)
	if brand := pasarela.CardBrand(c.Number); !pasarela.ValidCVC(brand, c.CVC) {
		msg := "enter the 3 digit security code"
		if brand == pasarela.BrandAmex {
			msg = "enter the 4 digit security code"
		}
		v.Add("cvc", "cvc", msg)
	}
	return v.Err()
}

// checkExpiry validates a card's expiry month and year (a two-digit year
// is read as this century's, and normalised) as field "exp": a real month,
// not over at now.
func checkExpiry(v *pasarela.Validation, month int, year *int, now time.Time) {
	if *year < 100 && *year > 0 {
		*year += 2000
	}
	switch {
	case month < 1 || month > 12 || *year < 2000 || *year > 2100:
		v.Add("exp", "expiry", "enter the expiry date as MM/YY")
	case *year < now.Year() || (*year == now.Year() && month < int(now.Month())):
		v.Add("exp", "expired", "the card has expired")
	}
}

// PublicURL is the base URL buyers reach the gateway's pages at, for faces
// that send a buyer to a page of their own (no trailing slash).
func (s *Service) PublicURL() string { return s.cfg.PublicURL }

// ShopPage is a payment as a buyer's browser reaches it through a face whose
// pages name the shop and carry a reference the face has signed (Gestpay's
// a and b), with the application it belongs to.
type ShopPage struct {
	Payment     *pasarela.Payment
	Application *pasarela.Application
}

// ShopRef names a payment of an application to ShopPayment: by its id, or
// (when ID is 0) by the merchant's reference, which is unique in an
// application.
type ShopRef struct {
	ApplicationID int64
	ID            int64
	MerchantRef   string
}

// ShopPayment returns the payment ref names when shopLogin is its
// application's shop login. It takes no principal: the buyer has none, and
// the caller proved the reference by its signature. A shop login that is not
// the application's, or a payment of another application, is not found, so a
// reference signed for one shop opens nothing of another's.
func (s *Service) ShopPayment(ctx context.Context, shopLogin string, ref ShopRef) (*ShopPage, error) {
	var pg ShopPage
	err := s.db.View(ctx, func(tx *store.Tx) error {
		app, err := tx.GetApplicationByShopLogin(ctx, shopLogin)
		if err != nil {
			return err
		}
		if app.ID != ref.ApplicationID {
			return pasarela.NotFound("payment")
		}
		var pay *pasarela.Payment
		if ref.ID != 0 {
			pay, err = tx.GetPayment(ctx, app.ClientID, app.ID, ref.ID)
		} else {
			pay, err = tx.GetPaymentByMerchantRef(ctx, app.ClientID, app.ID, ref.MerchantRef)
		}
		if err != nil {
			return err
		}
		pg = ShopPage{Payment: pay, Application: app}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if pay := pg.Payment; pay.ExpiresAt != nil && !s.now().Before(*pay.ExpiresAt) && pay.Status.Payable() {
		if err := s.expire(ctx, pay); err != nil {
			return nil, err
		}
	}
	return &pg, nil
}

// AbandonCheckout records that the buyer left the page of a single-attempt
// payment without paying (its page's cancel link): that is the payment's
// outcome, a failure with the code processor.CodeBuyerCanceled. Only a
// pending payment is abandoned (one not tried yet, or whose try failed
// before any processor answered); any other is left as it is and returned,
// so a late or repeated cancel changes nothing that happened.
func (s *Service) AbandonCheckout(ctx context.Context, token string) (*Checkout, error) {
	c, err := s.OpenCheckout(ctx, token)
	if err != nil {
		return nil, err
	}
	if !c.Payment.SingleAttempt || c.Payment.Status != pasarela.StatusPending {
		return c, nil
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetPaymentByID(ctx, c.Payment.ClientID, c.Payment.ID)
		if err != nil || cur.Status != pasarela.StatusPending {
			return err
		}
		cur.FailureCode, cur.FailureMessage = processor.CodeBuyerCanceled, "the buyer left the payment page without paying"
		if err := s.transition(ctx, tx, cur, pasarela.StatusFailed); err != nil {
			return err
		}
		return tx.CloseActiveLinks(ctx, cur.ClientID, cur.ID, pasarela.LinkInvalidated, s.now())
	})
	if err != nil {
		return nil, err
	}
	return s.OpenCheckout(ctx, token)
}
