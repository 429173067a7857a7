package core

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Stored cards are cards an application keeps to charge again (tokens): the
// card is checked, tokenized at the processor of one of the application's
// card gateway configs and, when asked, verified; the gateway keeps the
// processor's token and what may be shown of the card under a reference the
// application chooses. The number and the security code are never kept.

// A verification the card's issuer answers with a 3-D Secure challenge
// ends as CodeAuthenticationRequired: a verification has no buyer at hand
// to take the challenge, so it cannot prove the card. The card is not saved
// with verification, and a check reports it as not approved. The same card
// may still be saved without verification; charging it then asks for the
// challenge on the payment's page, as a typed card does.

// verificationAmount is the hold, in minor units of the verification's
// currency, that verifies a card. Processors that refuse a charge of
// nothing (the sandbox does) take the smallest amount; the hold is released
// as soon as it is answered.
const verificationAmount = 1

// StoredCardInput asks to store a card under Reference. With Verify, a hold
// of the smallest amount of Currency is made and released before the card is
// stored, and a decline refuses it; without, Currency is not used.
type StoredCardInput struct {
	Reference string
	Card      pasarela.CardInput
	Verify    bool
	Currency  string
}

// CardCheck is what checking a card found: what may be shown of it and,
// when it was verified, whether the hold was approved and, when not, the
// decline's code and message.
type CardCheck struct {
	Brand    string
	BIN      string
	Last4    string
	Verified bool // a verification was made
	Approved bool // the verification's hold was approved (and released)
	Code     string
	Message  string
}

// cardWriter lets through callers that may keep and verify cards for appID:
// the same as may take its payments, because a stored card is charged.
func (s *Service) cardWriter(ctx context.Context, appID int64) (*pasarela.Principal, error) {
	return s.paymentWriter(ctx, appID)
}

// checkReference validates a stored card's reference: 1 to 100 printable
// characters, kept as given because it is the application's identifier.
func checkReference(v *pasarela.Validation, ref string) {
	switch {
	case ref == "":
		v.Add("reference", "required", "is required")
	case !utf8.ValidString(ref):
		v.Add("reference", "encoding", "must be valid UTF-8")
	case utf8.RuneCountInString(ref) > 100:
		v.Add("reference", "too_long", "may have at most 100 characters")
	case strings.ContainsFunc(ref, func(r rune) bool { return !unicode.IsPrint(r) }):
		// NUL and the other control characters among them.
		v.Add("reference", "format", "may contain only printable characters")
	}
}

// checkVerification validates the currency of a verification's hold.
func checkVerification(v *pasarela.Validation, currency *string) {
	if *currency == "" {
		v.Add("currency", "required", "is required to verify a card")
	} else if c, ok := pasarela.LookupCurrency(*currency); !ok || c.Crypto {
		v.Add("currency", "currency", "must be an ISO 4217 currency code such as EUR")
	} else {
		*currency = c.Code
	}
}

// tokenized is a card tokenized at one config and, when verified, the
// verification's answer.
type tokenized struct {
	config store.GatewayConfigRow
	card   pasarela.Card
	result *processor.Result
}

// tokenizeCard tokenizes a checked card at the first of configs (in routing
// order) that takes it and, with verify, verifies it there. A processor
// that cannot be reached, or declines with a retryable code, leaves the
// next config to try; the card's own answer (invalid input, a decline)
// ends the search, as no other processor would like the card better.
func (s *Service) tokenizeCard(ctx context.Context, configs []store.GatewayConfigRow, card *pasarela.CardInput, verify bool, currency string) (*tokenized, error) {
	var last *tokenized
	var lastErr error
	for _, c := range s.router.order(configs) {
		proc, ok := s.processors.Get(c.Gateway)
		if !ok || proc.Gateway().Flow != processor.FlowCard {
			continue
		}
		opts, err := s.options(&c)
		if err != nil {
			return nil, err
		}
		tok, err := proc.Tokenize(ctx, opts, *card)
		if err != nil {
			if pasarela.ErrorKind(err) == pasarela.KindInvalid {
				return nil, err
			}
			s.log.WarnContext(ctx, "card tokenization failed", "gateway", c.Gateway, "config", c.ID, "err", err)
			lastErr = err
			continue
		}
		t := &tokenized{config: c, card: tok}
		if !verify {
			return t, nil
		}
		// The verification is committed nowhere before the call, so its
		// key is new each time; authorizeOnce still asks the processor
		// about it at once when the answer is lost.
		ref := "vrf_" + randomAlnum(20)
		res, err := s.verifyCard(ctx, proc, opts, processor.Charge{Reference: ref, Amount: verificationAmount,
			Currency: currency, Description: "card verification", Card: &tok, IdempotencyKey: ref})
		if errors.Is(err, errOutcomeUnknown) {
			return nil, err
		}
		if err != nil {
			if pasarela.ErrorKind(err) == pasarela.KindInvalid {
				return nil, err
			}
			s.log.WarnContext(ctx, "card verification failed", "gateway", c.Gateway, "config", c.ID, "err", err)
			lastErr = err
			continue
		}
		t.result = &res
		if res.Outcome == processor.Declined && res.Retryable {
			last = t
			continue
		}
		return t, nil
	}
	switch {
	case last != nil:
		return last, nil
	case lastErr != nil:
		return nil, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_error",
			Message: "the card processor could not be reached; please try again", Err: lastErr}
	}
	return nil, pasarela.Errorf(pasarela.KindInvalid, "no_gateway", "no enabled card gateway config of the application can store cards")
}

// verifyCard makes a card verification's charge (a hold, never captured)
// and releases it at once when it was approved: verifying a card takes no
// money. A subscription's agreement verifies its card with it too.
func (s *Service) verifyCard(ctx context.Context, proc processor.Processor, opts processor.Config, ch processor.Charge) (processor.Result, error) {
	ch.Capture = false
	res, err := authorizeOnce(ctx, proc, opts, ch)
	if err == nil {
		s.releaseHold(ctx, proc, opts, res)
	}
	return res, err
}

// releaseHold gives back what an approved verification took: the
// authorization is canceled, or refunded when the processor captured it
// anyway. Other outcomes hold nothing. A failed release is logged rather
// than returned, because the card's answer stands.
func (s *Service) releaseHold(ctx context.Context, proc processor.Processor, opts processor.Config, res processor.Result) {
	var err error
	switch res.Outcome {
	case processor.Authorized:
		_, err = proc.Cancel(ctx, opts, res.Ref)
	case processor.Captured:
		_, err = proc.Refund(ctx, opts, res.Ref, res.Amount, "release_"+res.Ref)
	default:
		return
	}
	if err != nil {
		s.log.WarnContext(ctx, "could not release a card verification", "ref", res.Ref, "err", err)
	}
}

// verdict reads a verification's answer: approved, or the code and message
// of why not.
func verdict(res processor.Result) (approved bool, code, message string) {
	switch res.Outcome {
	case processor.Authorized, processor.Captured:
		return true, "", ""
	case processor.RequiresAction:
		return false, CodeAuthenticationRequired,
			"the card's issuer asks the buyer to authenticate (3-D Secure), which a verification cannot do"
	}
	code, message = res.Code, res.Message
	if code == "" {
		code = processor.CodeCardDeclined
	}
	if message == "" {
		message = "the card was declined"
	}
	return false, code, message
}

// cardConfigsOf returns the application's enabled card gateway configs.
func (s *Service) cardConfigsOf(ctx context.Context, tx *store.Tx, clientID string, appID int64) ([]store.GatewayConfigRow, error) {
	configs, err := usableConfigs(ctx, tx, clientID, appID, nil, false)
	if err != nil {
		return nil, err
	}
	configs = s.cardConfigs(configs)
	if len(configs) == 0 {
		return nil, errNoGateway("", "no enabled card gateway config of the application can store cards", appID)
	}
	return configs, nil
}

// SaveCard stores a card of application appID under in.Reference. The card
// is checked (see CheckCard), tokenized at the application's card gateway
// config that routing picks and, with in.Verify, verified there: a decline
// refuses the save with the decline's code (card_declined,
// insufficient_funds, expired_card, incorrect_cvc …), and a card that asks
// for 3-D Secure with CodeAuthenticationRequired. A reference the
// application already uses is a conflict on store.UniqueStoredCardRef.
func (s *Service) SaveCard(ctx context.Context, appID int64, in StoredCardInput) (*pasarela.StoredCard, error) {
	p, err := s.cardWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	var v pasarela.Validation
	checkReference(&v, in.Reference)
	if in.Verify {
		checkVerification(&v, &in.Currency)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := CheckCard(&in.Card, s.now()); err != nil {
		return nil, err
	}
	var configs []store.GatewayConfigRow
	err = s.db.View(ctx, func(tx *store.Tx) error {
		// A reference in use is refused before the processor is asked, so
		// that a repeated request verifies nothing; the insert below still
		// decides a race.
		_, err := tx.GetStoredCardByReference(ctx, p.ClientID, appID, in.Reference)
		if err == nil {
			return store.ConstraintError(store.UniqueStoredCardRef, nil)
		}
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err
		}
		configs, err = s.cardConfigsOf(ctx, tx, p.ClientID, appID)
		return err
	})
	if err != nil {
		return nil, err
	}
	t, err := s.tokenizeCard(ctx, configs, &in.Card, in.Verify, in.Currency)
	if err != nil {
		return nil, err
	}
	if t.result != nil {
		if ok, code, msg := verdict(*t.result); !ok {
			return nil, &pasarela.Error{Kind: pasarela.KindInvalid, Code: code, Message: msg}
		}
	}
	now := s.now()
	sc := &pasarela.StoredCard{ClientID: p.ClientID, ApplicationID: appID, Reference: in.Reference,
		GatewayConfig: t.config.ID, Card: t.card, CreatedAt: now, UpdatedAt: now}
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.CreateStoredCard(ctx, sc) }); err != nil {
		return nil, err
	}
	return sc, nil
}

// CheckCardAt checks a card for application appID as SaveCard would, and
// stores nothing: without withAuth only the card's own checks (number,
// expiry, security code) are made; with it the card is tokenized and
// verified at the application's card gateway config with a hold of the
// smallest amount of currency, released at once. A decline is an answer
// (CardCheck.Approved false, with its code), not an error.
func (s *Service) CheckCardAt(ctx context.Context, appID int64, card pasarela.CardInput, withAuth bool, currency string) (*CardCheck, error) {
	p, err := s.cardWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	if withAuth {
		var v pasarela.Validation
		checkVerification(&v, &currency)
		if err := v.Err(); err != nil {
			return nil, err
		}
	}
	if err := CheckCard(&card, s.now()); err != nil {
		return nil, err
	}
	n := card.Number
	out := &CardCheck{Brand: pasarela.CardBrand(n), BIN: n[:6], Last4: n[len(n)-4:]}
	if !withAuth {
		return out, nil
	}
	var configs []store.GatewayConfigRow
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		configs, err = s.cardConfigsOf(ctx, tx, p.ClientID, appID)
		return err
	})
	if err != nil {
		return nil, err
	}
	t, err := s.tokenizeCard(ctx, configs, &card, true, currency)
	if err != nil {
		return nil, err
	}
	out.Brand, out.BIN, out.Last4 = t.card.Brand, t.card.BIN, t.card.Last4
	out.Verified = true
	out.Approved, out.Code, out.Message = verdict(*t.result)
	return out, nil
}

// StoredCardByReference returns the stored card of application appID named
// ref.
func (s *Service) StoredCardByReference(ctx context.Context, appID int64, ref string) (*pasarela.StoredCard, error) {
	var sc *pasarela.StoredCard
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		sc, err = tx.GetStoredCardByReference(ctx, p.ClientID, appID, ref)
		return err
	})
	return sc, err
}

// UpdateStoredCard records a stored card's new expiry (a card renewed with
// the same number): a real month, not over. The expiry travels with every
// charge of the card, so the processor sees the new one.
func (s *Service) UpdateStoredCard(ctx context.Context, appID int64, ref string, expMonth, expYear int) (*pasarela.StoredCard, error) {
	p, err := s.cardWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	var v pasarela.Validation
	checkExpiry(&v, expMonth, &expYear, s.now())
	if err := v.Err(); err != nil {
		return nil, err
	}
	var sc *pasarela.StoredCard
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if sc, err = tx.GetStoredCardByReference(ctx, p.ClientID, appID, ref); err != nil {
			return err
		}
		sc.Card.ExpMonth, sc.Card.ExpYear, sc.UpdatedAt = expMonth, expYear, s.now()
		return tx.UpdateStoredCard(ctx, sc)
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// DeleteStoredCard forgets the stored card of application appID named ref.
// Payments made with it keep what they recorded of the card.
func (s *Service) DeleteStoredCard(ctx context.Context, appID int64, ref string) error {
	p, err := s.cardWriter(ctx, appID)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		sc, err := tx.GetStoredCardByReference(ctx, p.ClientID, appID, ref)
		if err != nil {
			return err
		}
		return tx.DeleteStoredCard(ctx, p.ClientID, appID, sc.ID)
	})
}

// PayWithStoredCard charges the pending payment of a page token with the
// stored card of the payment's application named ref, as PayWithCard
// charges a typed card: the same claim, processor call and settlement, at
// the gateway config the card was stored with only (its token is that
// processor's), which the payment must allow. A reference of another
// application is not found. The card's issuer may still ask for 3-D
// Secure, which leaves the payment requires_action as with a typed card.
func (s *Service) PayWithStoredCard(ctx context.Context, token, ref string) (*Checkout, error) {
	var sc *pasarela.StoredCard
	err := s.db.View(ctx, func(tx *store.Tx) error {
		c, _, err := s.loadCheckout(ctx, tx, token)
		if err != nil {
			return err
		}
		sc, err = tx.GetStoredCardByReference(ctx, c.Payment.ClientID, c.Payment.ApplicationID, ref)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.payByCard(ctx, token, sc.GatewayConfig, &cardSource{stored: &sc.Card})
}

// KeepPaymentCard keeps the card a paid payment of application appID was
// paid with under reference ref, as SaveCard keeps a typed card: the
// processor's token it was charged with, at the payment's gateway config.
// Keeping it again under the same reference answers the card kept; a
// reference that names another card is a conflict. Faces that hand the
// shop a token in a payment's result (Gestpay's requestToken) keep the
// card this way, so that the token can be charged later.
func (s *Service) KeepPaymentCard(ctx context.Context, appID, paymentID int64, ref string) (*pasarela.StoredCard, error) {
	p, err := s.cardWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	var v pasarela.Validation
	checkReference(&v, ref)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *pasarela.StoredCard
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		pay, err := tx.GetPayment(ctx, p.ClientID, appID, paymentID)
		if err != nil {
			return err
		}
		if pay.Card == nil || pay.Card.Token == "" || pay.GatewayConfig == 0 {
			return pasarela.Errorf(pasarela.KindInvalid, "no_card", "the payment was not paid by card")
		}
		if sc, err := tx.GetStoredCardByReference(ctx, p.ClientID, appID, ref); err == nil {
			if sc.Card.Token != pay.Card.Token {
				return store.ConstraintError(store.UniqueStoredCardRef, nil)
			}
			out = sc
			return nil
		} else if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err
		}
		now := s.now()
		out = &pasarela.StoredCard{ClientID: p.ClientID, ApplicationID: appID, Reference: ref,
			GatewayConfig: pay.GatewayConfig, Card: *pay.Card, CreatedAt: now, UpdatedAt: now}
		return tx.CreateStoredCard(ctx, out)
	})
	return out, err
}
