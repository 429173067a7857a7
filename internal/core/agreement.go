package core

import (
	"context"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// A subscription agreement is the buyer's consent, given on a hosted page
// (/pay/sa_…) bound to one card gateway config: the card typed there is
// tokenized and verified with a hold of one cycle's amount, released at
// once, and stored with the subscription. See subscription.go for the rest
// of a subscription's life.

// AgreementInput asks for a subscription agreement.
type AgreementInput struct {
	GatewayConfig int64
	ReturnURL     string
	CancelURL     string
}

// CreateAgreement makes the hosted page a buyer confirms a subscription on,
// bound to one card gateway config of the subscription. A subscription
// already running may get a new agreement to replace its card; an earlier
// unfinished agreement is invalidated, so one page at a time can confirm.
func (s *Service) CreateAgreement(ctx context.Context, appID, id int64, in AgreementInput, idem *Idem) (*pasarela.SubscriptionAgreement, *Replay, error) {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	var v pasarela.Validation
	if in.GatewayConfig <= 0 {
		v.Add("gateway_config", "required", "is required: the id of a card gateway config of the subscription")
	}
	checkURL(&v, "return_url", &in.ReturnURL)
	checkURL(&v, "cancel_url", &in.CancelURL)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	now := s.now()
	a := &pasarela.SubscriptionAgreement{ClientID: p.ClientID, ApplicationID: appID, SubscriptionID: id,
		Token: agreementTokenPrefix + randomString(32), GatewayConfig: in.GatewayConfig, Status: pasarela.AgreementPending,
		ReturnURL: in.ReturnURL, CancelURL: in.CancelURL, CreatedAt: now, UpdatedAt: now}
	scope := "agreement:" + strconv.FormatInt(appID, 10) + ":" + strconv.FormatInt(id, 10)
	_, replay, err := s.idempotent(ctx, p.ClientID, scope, idem, func(tx *store.Tx) (any, error) {
		return a, s.createAgreement(ctx, tx, p.ClientID, appID, id, in, a, now)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return a, nil, nil
}

// createAgreement stores a, the one open agreement of subscription id.
func (s *Service) createAgreement(ctx context.Context, tx *store.Tx, clientID string, appID, id int64, in AgreementInput,
	a *pasarela.SubscriptionAgreement, now time.Time) error {
	sub, err := tx.GetSubscription(ctx, clientID, appID, id)
	if err != nil {
		return err
	}
	switch sub.Status {
	case pasarela.SubscriptionPending, pasarela.SubscriptionActive, pasarela.SubscriptionPastDue:
	default:
		return pasarela.Errorf(pasarela.KindInvalid, "not_agreeable",
			"no agreement can be made for a subscription that is %s", sub.Status)
	}
	configs, err := usableConfigs(ctx, tx, clientID, appID, sub.GatewayConfigs, false)
	if err != nil {
		return err
	}
	ok := false
	for _, c := range s.cardConfigs(configs) {
		ok = ok || c.ID == in.GatewayConfig
	}
	if !ok {
		return pasarela.Invalid("gateway_config", "unknown_gateway_config",
			"must be an enabled card gateway config allowed for this subscription")
	}
	// One open agreement at a time: the earlier ones close.
	if err := tx.InvalidateOpenAgreements(ctx, clientID, id, now); err != nil {
		return err
	}
	return tx.CreateAgreement(ctx, a)
}

// AgreementPage is what the hosted agreement page shows.
type AgreementPage struct {
	Token        string
	Agreement    *pasarela.SubscriptionAgreement
	Subscription *pasarela.Subscription
	Merchant     string
	Logo         string // the application's logo URL, "" for none (see Checkout.Logo)
	Gateway      string // the config's catalog id ("sandbox" shows the test cards)
	// FirstCharge is when the first cycle will be charged if the buyer
	// confirms now.
	FirstCharge time.Time
}

// OpenAgreement returns the page of an agreement token.
func (s *Service) OpenAgreement(ctx context.Context, token string) (*AgreementPage, error) {
	var pg *AgreementPage
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		pg, err = s.loadAgreement(ctx, tx, token)
		return err
	})
	return pg, err
}

func (s *Service) loadAgreement(ctx context.Context, tx *store.Tx, token string) (*AgreementPage, error) {
	if !IsAgreementToken(token) {
		return nil, errNoCheckout
	}
	a, err := tx.GetAgreementByToken(ctx, token)
	if err != nil {
		return nil, notFoundAsNoCheckout(err)
	}
	sub, err := tx.GetSubscriptionByID(ctx, a.ClientID, a.SubscriptionID)
	if err != nil {
		return nil, err
	}
	app, err := tx.GetApplication(ctx, a.ClientID, a.ApplicationID)
	if err != nil {
		return nil, err
	}
	pg := &AgreementPage{Token: token, Agreement: a, Subscription: sub, Merchant: app.Name}
	if app.Logo != nil {
		pg.Logo = *app.Logo
	}
	if row, err := tx.GetGatewayConfig(ctx, a.ClientID, a.ApplicationID, a.GatewayConfig); err == nil {
		pg.Gateway = row.Gateway
	}
	n, _ := s.firstCycle(sub)
	pg.FirstCharge = CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, n)
	if pg.FirstCharge.Before(s.now()) {
		pg.FirstCharge = s.now()
	}
	return pg, nil
}

// firstCycle is the cycle a subscription confirmed now charges first: the
// latest one already due (periods that passed while nobody had agreed are
// not charged), or the first.
func (s *Service) firstCycle(sub *pasarela.Subscription) (int, bool) {
	now := s.now()
	n := 1
	for hasCycle(sub, n+1) && !CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, n+1).After(now) {
		n++
		if n > 100000 {
			break
		}
	}
	return n, hasCycle(sub, n)
}

var errAgreementClosed = pasarela.Errorf(pasarela.KindInvalid, "not_payable", "this agreement can no longer be confirmed")

// claimAgreement moves an agreement from one of the from statuses to
// processing: of two presses of Confirm exactly one gets past this.
func (s *Service) claimAgreement(ctx context.Context, token string, from ...pasarela.AgreementStatus) (*AgreementPage, error) {
	// Which subscription the token is of, to lock it before the agreement.
	first, err := s.OpenAgreement(ctx, token)
	if err != nil {
		return nil, err
	}
	var pg *AgreementPage
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetSubscriptionByID(ctx, first.Agreement.ClientID, first.Agreement.SubscriptionID); err != nil {
			return err
		}
		var err error
		if pg, err = s.loadAgreement(ctx, tx, token); err != nil {
			return err
		}
		a := pg.Agreement
		if !contains(from, a.Status) {
			return errAgreementClosed
		}
		switch pg.Subscription.Status {
		case pasarela.SubscriptionPending, pasarela.SubscriptionActive, pasarela.SubscriptionPastDue:
		default:
			return errAgreementClosed
		}
		a.Status, a.UpdatedAt = pasarela.AgreementProcessing, s.now()
		return tx.UpdateAgreement(ctx, a)
	})
	return pg, err
}

// agreementProcessor returns the processor and options of an agreement's
// config.
func (s *Service) agreementProcessor(ctx context.Context, a *pasarela.SubscriptionAgreement) (processor.Processor, processor.Config, error) {
	var row *store.GatewayConfigRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.GetGatewayConfig(ctx, a.ClientID, a.ApplicationID, a.GatewayConfig)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	proc, ok := s.processors.Get(row.Gateway)
	if !ok || proc.Gateway().Flow != processor.FlowCard || !row.Enabled {
		return nil, nil, pasarela.Errorf(pasarela.KindInvalid, "no_gateway", "this agreement's gateway can no longer store cards")
	}
	opts, err := s.options(row)
	return proc, opts, err
}

// ConfirmAgreement stores the buyer's card for a subscription. The card is
// checked, tokenized at the agreement's processor and verified with a hold
// of one cycle's amount, released at once; a card that asks for 3-D Secure
// leaves the agreement waiting for the challenge (ResumeAgreement).
func (s *Service) ConfirmAgreement(ctx context.Context, token string, card pasarela.CardInput) (*AgreementPage, error) {
	if err := CheckCard(&card, s.now()); err != nil {
		return nil, err
	}
	pg, err := s.claimAgreement(ctx, token, pasarela.AgreementPending)
	if err != nil {
		return pg, err
	}
	a, sub := pg.Agreement, pg.Subscription
	proc, opts, err := s.agreementProcessor(ctx, a)
	if err != nil {
		return s.agreementFailed(ctx, a, err)
	}
	tok, err := proc.Tokenize(ctx, opts, card)
	if err != nil {
		return s.agreementFailed(ctx, a, err)
	}
	a.Card = &tok
	// The key names this attempt (the claim wrote its version), so that a
	// call whose answer was lost is asked about rather than assumed undone.
	res, err := s.verifyCard(ctx, proc, opts, processor.Charge{Reference: "agr_" + randomAlnum(20), Amount: sub.Amount,
		Currency: sub.Currency, Description: sub.Description, Card: &tok, Capture: false,
		ReturnURL: s.CheckoutURL(token), IdempotencyKey: "agr_" + strconv.FormatInt(a.ID, 10) + "_" + strconv.FormatInt(a.Version, 10)})
	if err != nil {
		return s.agreementFailed(ctx, a, err)
	}
	return s.agreementAnswer(ctx, a, res)
}

// ResumeAgreement ends the 3-D Secure challenge of an agreement.
func (s *Service) ResumeAgreement(ctx context.Context, token string, approved bool) (*AgreementPage, error) {
	pg, err := s.claimAgreement(ctx, token, pasarela.AgreementRequiresAction)
	if err != nil {
		return pg, err
	}
	a := pg.Agreement
	proc, opts, err := s.agreementProcessor(ctx, a)
	if err != nil {
		return s.agreementFailed(ctx, a, err)
	}
	res, err := proc.Resume(ctx, opts, a.ProcessorRef, approved)
	if err != nil {
		return s.agreementFailed(ctx, a, err)
	}
	s.releaseHold(ctx, proc, opts, res)
	return s.agreementAnswer(ctx, a, res)
}

// agreementAnswer records the verification's outcome; an approved hold was
// released already (see verifyCard), as verifying a card takes no money.
func (s *Service) agreementAnswer(ctx context.Context, a *pasarela.SubscriptionAgreement, res processor.Result) (*AgreementPage, error) {
	switch res.Outcome {
	case processor.Authorized, processor.Captured:
		return s.finishAgreement(ctx, a)
	case processor.RequiresAction:
		a.ProcessorRef = res.Ref
		return s.setAgreement(ctx, a, pasarela.AgreementRequiresAction, "", "")
	default:
		code := res.Code
		if code == "" {
			code = processor.CodeCardDeclined
		}
		a.ProcessorRef = ""
		return s.setAgreement(ctx, a, pasarela.AgreementPending, code, res.Message)
	}
}

// agreementFailed returns a claimed agreement to pending after an error
// before any money moved, and answers the error with the page.
func (s *Service) agreementFailed(ctx context.Context, a *pasarela.SubscriptionAgreement, cause error) (*AgreementPage, error) {
	code, msg := processor.CodeProcessingError, "the card could not be verified; please try again"
	if e := pasarela.AsError(cause); e.Kind == pasarela.KindInvalid {
		code, msg = e.Code, e.Message
	} else {
		s.log.ErrorContext(ctx, "agreement verification failed", "agreement", a.ID, "err", cause)
	}
	a.ProcessorRef = ""
	pg, err := s.setAgreement(ctx, a, pasarela.AgreementPending, code, msg)
	if err != nil {
		return nil, err
	}
	if pasarela.ErrorKind(cause) == pasarela.KindInvalid {
		return pg, cause
	}
	return pg, pasarela.Internal(cause)
}

// setAgreement records a claimed agreement's new status. A subscription
// cancelled while the card was verified takes the agreement with it.
func (s *Service) setAgreement(ctx context.Context, a *pasarela.SubscriptionAgreement, to pasarela.AgreementStatus, code, msg string) (*AgreementPage, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cur, sub, err := lockAgreement(ctx, tx, a)
		if err != nil {
			return err
		}
		if cur.Status != pasarela.AgreementProcessing {
			return nil
		}
		if !agreeable(sub.Status) {
			// Cancelled while the card was verified: the agreement goes
			// with it rather than back to the buyer.
			to = pasarela.AgreementInvalidated
		}
		cur.Status, cur.FailureCode, cur.FailureMessage = to, code, msg
		cur.Card, cur.ProcessorRef, cur.UpdatedAt = a.Card, a.ProcessorRef, s.now()
		return tx.UpdateAgreement(ctx, cur)
	})
	if err != nil {
		return nil, err
	}
	return s.OpenAgreement(ctx, a.Token)
}

// finishAgreement confirms a verified agreement: the card becomes the
// subscription's, and a pending subscription becomes active with its first
// cycle scheduled. A subscription past due is retried at once with the new
// card.
func (s *Service) finishAgreement(ctx context.Context, a *pasarela.SubscriptionAgreement) (*AgreementPage, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cur, sub, err := lockAgreement(ctx, tx, a)
		if err != nil {
			return err
		}
		now := s.now()
		if cur.Status != pasarela.AgreementProcessing {
			return nil
		}
		if !agreeable(sub.Status) {
			cur.Status, cur.UpdatedAt = pasarela.AgreementInvalidated, now
			return tx.UpdateAgreement(ctx, cur)
		}
		cur.Status, cur.Card, cur.ProcessorRef, cur.FailureCode, cur.FailureMessage = pasarela.AgreementConfirmed, a.Card, "", "", ""
		cur.ConfirmedAt, cur.UpdatedAt = &now, now
		if err := tx.UpdateAgreement(ctx, cur); err != nil {
			return err
		}
		sub.Card, sub.GatewayConfig = a.Card, cur.GatewayConfig
		event := EventSubscriptionActivated
		switch sub.Status {
		case pasarela.SubscriptionPending:
			n, ok := s.firstCycle(sub)
			sub.Status, sub.ConfirmedAt, sub.NextCycle = pasarela.SubscriptionActive, &now, n
			if ok {
				due := CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, n)
				sub.NextChargeAt = &due
			} else {
				sub.Status, event = pasarela.SubscriptionCompleted, EventSubscriptionCompleted
			}
		case pasarela.SubscriptionPastDue:
			// The declined cycle is tried again with the new card at the
			// scheduler's next step.
			c, err := lastCycle(ctx, tx, sub)
			if err != nil {
				return err
			}
			if c != nil && c.Status == pasarela.CycleRetrying {
				c.NextAttemptAt, c.UpdatedAt = &now, now
				if err := tx.UpdateCycle(ctx, c); err != nil {
					return err
				}
				sub.NextChargeAt = &now
			}
			event = ""
		default:
			event = ""
		}
		if err := s.saveSubscription(ctx, tx, sub); err != nil {
			return err
		}
		if event == "" {
			return nil
		}
		return s.recordEvent(ctx, tx, event, sub)
	})
	if err != nil {
		return nil, err
	}
	return s.OpenAgreement(ctx, a.Token)
}

// lockAgreement reads, inside tx, a claimed agreement's subscription and
// then the agreement itself, in the lock order every subscription change
// follows.
func lockAgreement(ctx context.Context, tx *store.Tx, a *pasarela.SubscriptionAgreement) (*pasarela.SubscriptionAgreement, *pasarela.Subscription, error) {
	sub, err := tx.GetSubscriptionByID(ctx, a.ClientID, a.SubscriptionID)
	if err != nil {
		return nil, nil, err
	}
	cur, err := tx.GetAgreementByToken(ctx, a.Token)
	if err != nil {
		return nil, nil, err
	}
	return cur, sub, nil
}

// agreeable reports whether a subscription in status st may take an
// agreement: one waiting for its first, or one running (a new card).
func agreeable(st pasarela.SubscriptionStatus) bool {
	return st == pasarela.SubscriptionPending || st.Charging()
}
