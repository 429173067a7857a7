package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// A charge runs in three steps so that no processor call happens inside a
// database transaction (on SQLite that would stall every writer):
//  1. claim: one transaction moves the payment to processing; of two racing
//     attempts (a double click, a cancel) exactly one gets past this;
//  2. the processor calls, outside any transaction;
//  3. settle: one transaction records the outcome, its ledger entries and
//     the links' new state.
//
// A process that dies between 1 and 3 leaves the payment processing; the
// processor's Status call tells later what happened there.

// claim moves a payment from one of the from statuses to processing.
func (s *Service) claim(ctx context.Context, clientID string, id int64, from ...pasarela.PaymentStatus) (*pasarela.Payment, error) {
	var pay *pasarela.Payment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if pay, err = tx.GetPaymentByID(ctx, clientID, id); err != nil {
			return err
		}
		if !contains(from, pay.Status) {
			return pasarela.Errorf(pasarela.KindInvalid, "payment_state", "the payment is %s", pay.Status)
		}
		return s.transition(ctx, tx, pay, pasarela.StatusProcessing)
	})
	return pay, err
}

// attempt is one try of a charge at one gateway config.
type attempt struct {
	config store.GatewayConfigRow
	result processor.Result
	link   int64 // the payment link the buyer paid through, if any
}

// cardSource is the card of a charge: typed by the buyer, which is
// tokenized at each processor tried because a token belongs to the
// processor that made it, or stored, whose token is charged as it is (its
// caller offers only the config it was stored with).
type cardSource struct {
	typed  *processor.CardInput
	stored *pasarela.Card
}

// token returns the card as proc may charge it.
func (c *cardSource) token(ctx context.Context, proc processor.Processor, opts processor.Config) (pasarela.Card, error) {
	if c.stored != nil {
		return *c.stored, nil
	}
	return proc.Tokenize(ctx, opts, *c.typed)
}

// authorize tries the configs in order until one does not decline with a
// retryable error. Card configs are skipped when there is no card (a
// redirect flow).
func (s *Service) authorize(ctx context.Context, pay *pasarela.Payment, configs []store.GatewayConfigRow, card *cardSource) (*attempt, error) {
	var last *attempt
	var lastErr error
	for _, c := range configs {
		proc, ok := s.processors.Get(c.Gateway)
		if !ok {
			continue
		}
		opts, err := s.options(&c)
		if err != nil {
			return nil, err
		}
		ch := processor.Charge{Reference: pay.TransactionID, Amount: pay.Amount, Currency: pay.Currency,
			Description: pay.Description, Capture: s.captures(pay, opts),
			ReturnURL:      s.cfg.PublicURL + "/pay/" + pay.CheckoutToken,
			IdempotencyKey: chargeKey(pay, c.ID)}
		if proc.Gateway().Flow == processor.FlowCard {
			if card == nil {
				continue
			}
			tok, err := card.token(ctx, proc, opts)
			if err != nil {
				if pasarela.ErrorKind(err) == pasarela.KindInvalid {
					return nil, err // the buyer's input: no other processor will like it better
				}
				lastErr = err
				continue
			}
			ch.Card = &tok
			pay.Card = &tok
		}
		res, err := authorizeOnce(ctx, proc, opts, ch)
		if errors.Is(err, errOutcomeUnknown) {
			// Trying another config now could charge the buyer twice.
			s.log.WarnContext(ctx, "processor outcome unknown; left to the reconciler", "gateway", c.Gateway, "config", c.ID, "payment", pay.ID, "err", err)
			return nil, err
		}
		if err != nil {
			s.log.WarnContext(ctx, "processor call failed", "gateway", c.Gateway, "config", c.ID, "payment", pay.ID, "err", err)
			lastErr = err
			last = &attempt{config: c, result: processor.Result{Outcome: processor.Declined, Code: processor.CodeProcessingError,
				Message: "the payment processor could not be reached", Retryable: true}}
			continue
		}
		last = &attempt{config: c, result: res}
		if res.Outcome == processor.Declined && res.Retryable {
			continue
		}
		return last, nil
	}
	if last != nil {
		return last, nil
	}
	if lastErr != nil {
		return nil, pasarela.Internal(lastErr)
	}
	return nil, pasarela.Errorf(pasarela.KindInvalid, "no_gateway", "no gateway config can take this payment")
}

// errOutcomeUnknown: a charge call failed and the processor could not say
// either what became of it, so the buyer may have been charged. The payment
// stays processing, and the reconciler asks again with the same key.
var errOutcomeUnknown = pasarela.Errorf(pasarela.KindUnavailable, "outcome_unknown",
	"the payment is being confirmed with the processor; its result will show here shortly")

// authorizeOnce makes one charge call. When the call fails after it may
// have reached the processor, the charge may have happened with only its
// answer lost, so the processor is asked
// about the attempt's key at once: its answer stands, and a key it never saw
// is spent (a late arrival of the call charges nothing), which makes a retry
// or another config safe; the call's own error is then returned. When that
// question fails too, the outcome is unknown (errOutcomeUnknown).
func authorizeOnce(ctx context.Context, proc processor.Processor, opts processor.Config, ch processor.Charge) (processor.Result, error) {
	res, err := proc.Authorize(ctx, opts, ch)
	if err == nil || ch.IdempotencyKey == "" || pasarela.ErrorKind(err) == pasarela.KindInvalid || errors.Is(err, processor.ErrNotSent) {
		return res, err
	}
	res, lerr := proc.Lookup(ctx, opts, ch.IdempotencyKey)
	switch {
	case lerr == nil:
		return res, nil
	case pasarela.ErrorKind(lerr) == pasarela.KindNotFound:
		return processor.Result{}, err
	}
	return processor.Result{}, fmt.Errorf("%w (%v; asking about it: %v)", errOutcomeUnknown, err, lerr)
}

// captures tells whether a charge captures at once: the payment says so, or
// else the config's "capture" option, or else it does.
func (s *Service) captures(pay *pasarela.Payment, opts processor.Config) bool {
	switch pay.Capture {
	case "manual":
		return false
	case "automatic":
		return true
	}
	return opts.String("capture") != "manual"
}

// settle records a processor's answer on a claimed payment. final means no
// buyer is there to retry a decline, so a decline fails the payment for good;
// so does the decline of a payment whose page allows a single attempt.
func (s *Service) settle(ctx context.Context, pay *pasarela.Payment, a *attempt, final bool) (*pasarela.Payment, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := s.lockSubscriptionOf(ctx, tx, pay); err != nil {
			return err
		}
		cur, err := tx.GetPaymentByID(ctx, pay.ClientID, pay.ID)
		if err != nil {
			return err
		}
		if cur.Status != pasarela.StatusProcessing || cur.Version != pay.Version {
			return pasarela.Internal(fmt.Errorf("payment %d changed while its charge was in flight (now %s)", pay.ID, cur.Status))
		}
		cur.GatewayConfig, cur.Card = a.config.ID, pay.Card
		if a.result.AuthorizationCode != "" {
			cur.AuthorizationCode = a.result.AuthorizationCode
		}
		if a.result.Ref != "" {
			cur.ProcessorRef = a.result.Ref
		}
		cur.FailureCode, cur.FailureMessage = "", ""
		cur.Action, cur.ActionURL = "", ""
		switch a.result.Outcome {
		case processor.Captured:
			cur.Captured = cur.Amount
			if a.result.Amount > 0 && a.result.Amount < cur.Amount {
				cur.Captured = a.result.Amount // a partial capture
			}
			if err := s.transition(ctx, tx, cur, pasarela.StatusCompleted); err != nil {
				return err
			}
			if err := s.postCapture(ctx, tx, cur, a.config.Gateway); err != nil {
				return err
			}
			if err := s.closeLinks(ctx, tx, cur, a.link); err != nil {
				return err
			}
		case processor.Authorized:
			if err := s.transition(ctx, tx, cur, pasarela.StatusAuthorized); err != nil {
				return err
			}
			if err := s.closeLinks(ctx, tx, cur, a.link); err != nil {
				return err
			}
		case processor.RequiresAction:
			// The step is kept with the payment: the buyer may reload the
			// page or come back later and must land on the same step.
			cur.Action, cur.ActionURL = a.result.Action, a.result.ActionURL
			if err := s.transition(ctx, tx, cur, pasarela.StatusRequiresAction); err != nil {
				return err
			}
		case processor.Canceled:
			if err := s.transition(ctx, tx, cur, pasarela.StatusInvalidated); err != nil {
				return err
			}
			if err := tx.CloseActiveLinks(ctx, cur.ClientID, cur.ID, pasarela.LinkInvalidated, s.now()); err != nil {
				return err
			}
		default: // declined, or an answer that makes no sense here
			cur.FailureCode, cur.FailureMessage = a.result.Code, a.result.Message
			if cur.FailureCode == "" {
				cur.FailureCode = processor.CodeCardDeclined
			}
			to := pasarela.StatusPending
			if final || cur.SingleAttempt {
				to = pasarela.StatusFailed
			}
			if err := s.transition(ctx, tx, cur, to); err != nil {
				return err
			}
		}
		pay = cur
		// A subscription's cycle moves on in the same commit.
		return s.subscriptionPaymentSettled(ctx, tx, cur)
	})
	return pay, err
}

// closeLinks ends the links of a payment the buyer has paid: the one paid
// through becomes used, the others invalidated.
func (s *Service) closeLinks(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, used int64) error {
	if err := tx.CloseActiveLinks(ctx, pay.ClientID, pay.ID, pasarela.LinkInvalidated, s.now()); err != nil {
		return err
	}
	if used == 0 {
		return nil
	}
	return tx.SetPaymentLinkStatus(ctx, pay.ClientID, used, pasarela.LinkUsed, s.now())
}

// release returns a claimed payment to where it was when a step failed
// before any processor took the money.
func (s *Service) release(ctx context.Context, pay *pasarela.Payment, to pasarela.PaymentStatus, code, message string) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetPaymentByID(ctx, pay.ClientID, pay.ID)
		if err != nil || cur.Status != pasarela.StatusProcessing {
			return err
		}
		cur.FailureCode, cur.FailureMessage = code, message
		return s.transition(ctx, tx, cur, to)
	})
	if err != nil {
		s.log.ErrorContext(ctx, "could not release a claimed payment", "payment", pay.ID, "err", err)
	}
}

// processorOf returns the processor and opened options of a payment's config.
func (s *Service) processorOf(ctx context.Context, pay *pasarela.Payment) (processor.Processor, processor.Config, *store.GatewayConfigRow, error) {
	var row *store.GatewayConfigRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.GetGatewayConfig(ctx, pay.ClientID, pay.ApplicationID, pay.GatewayConfig)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	proc, ok := s.processors.Get(row.Gateway)
	if !ok {
		return nil, nil, nil, pasarela.Internal(fmt.Errorf("gateway %q is not in this build", row.Gateway))
	}
	opts, err := s.options(row)
	return proc, opts, row, err
}

// CapturePayment takes the money of an authorized payment.
func (s *Service) CapturePayment(ctx context.Context, appID, id int64) (*pasarela.Payment, error) {
	return s.CaptureAmount(ctx, appID, id, 0)
}

// CaptureAmount takes amount (minor units; 0 for all of it) of an
// authorized payment. A partial capture releases the rest, as acquirers do
// with one capture per authorization: the payment is completed with what
// was captured, and refunds are bounded by it.
func (s *Service) CaptureAmount(ctx context.Context, appID, id, amount int64) (*pasarela.Payment, error) {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	own, err := s.ownPayment(ctx, p.ClientID, appID, id)
	if err != nil {
		return nil, err
	}
	if amount < 0 {
		return nil, pasarela.Invalid("amount", "amount", "must be greater than zero")
	}
	if own.Type == pasarela.PaymentDeposit {
		// Nobody charges a deposit: capturing one accepts what the chain
		// brought (see acceptDeposit).
		return s.acceptDeposit(ctx, p.ClientID, id, amount)
	}
	pay, err := s.claim(ctx, p.ClientID, id, pasarela.StatusAuthorized)
	if err != nil {
		return nil, capitalize(err, "cannot capture")
	}
	if amount == 0 {
		amount = pay.Amount
	}
	if amount > pay.Amount {
		s.release(ctx, pay, pasarela.StatusAuthorized, "", "")
		return nil, pasarela.Invalid("amount", "capture_exceeds", "must be at most the authorized amount")
	}
	proc, opts, row, err := s.processorOf(ctx, pay)
	if err != nil {
		s.release(ctx, pay, pasarela.StatusAuthorized, "", "")
		return nil, err
	}
	res, err := proc.Capture(ctx, opts, pay.ProcessorRef, amount)
	if err != nil || res.Outcome != processor.Captured {
		s.release(ctx, pay, pasarela.StatusAuthorized, processor.CodeProcessingError, "the capture failed; try again")
		if err == nil {
			err = fmt.Errorf("capture answered %s", res.Outcome)
		}
		return nil, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_error", Message: "the processor did not capture the payment; it is still authorized", Err: err}
	}
	return s.settle(ctx, pay, &attempt{config: *row, result: res}, false)
}

// releaseAuthorization cancels a claimed authorization at the processor and
// invalidates the payment.
func (s *Service) releaseAuthorization(ctx context.Context, pay *pasarela.Payment) error {
	proc, opts, row, err := s.processorOf(ctx, pay)
	if err == nil {
		var res processor.Result
		if res, err = proc.Cancel(ctx, opts, pay.ProcessorRef); err == nil {
			res.Outcome = processor.Canceled
			_, err = s.settle(ctx, pay, &attempt{config: *row, result: res}, false)
			return err
		}
	}
	s.release(ctx, pay, pasarela.StatusAuthorized, processor.CodeProcessingError, "the authorization could not be released")
	return &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_error", Message: "the processor did not release the authorization; the payment is still authorized", Err: err}
}

// ownPayment checks that payment id belongs to the application, and
// returns it as it is now (its kind decides how it is captured).
func (s *Service) ownPayment(ctx context.Context, clientID string, appID, id int64) (*pasarela.Payment, error) {
	var pay *pasarela.Payment
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		pay, err = tx.GetPayment(ctx, clientID, appID, id)
		return err
	})
	return pay, err
}

// capitalize prefixes an invalid-state error with what was attempted.
func capitalize(err error, what string) error {
	if e := pasarela.AsError(err); e.Code == "payment_state" {
		return pasarela.Errorf(pasarela.KindInvalid, "invalid_transition", "%s: %s", what, strings.TrimPrefix(e.Message, "the "))
	}
	return err
}
