package core

import (
	"context"
	"errors"
	"strconv"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// RefundInput asks to return money; Amount 0 means all that is left.
type RefundInput struct {
	Amount int64
	Reason string
}

// Refund returns captured money to the buyer, fully or in part, never more
// than what is left. While one refund of a payment is with the processor,
// another is refused: the amount left is not known until it settles.
func (s *Service) Refund(ctx context.Context, appID, paymentID int64, in RefundInput, idem *Idem) (*pasarela.Refund, *Replay, error) {
	p, err := s.applicationAccess(ctx, appID, true, pasarela.RoleAdmin, pasarela.RoleManager)
	if err != nil {
		return nil, nil, err
	}
	var v pasarela.Validation
	if in.Amount < 0 {
		v.Add("amount", "amount", "must be greater than zero")
	}
	checkText(&v, "reason", &in.Reason, false, 500)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var pay *pasarela.Payment
	scope := "refund:" + strconv.FormatInt(paymentID, 10)
	created, replay, err := s.idempotent(ctx, p.ClientID, scope, idem, func(tx *store.Tx) (any, error) {
		var err error
		if pay, err = tx.GetPayment(ctx, p.ClientID, appID, paymentID); err != nil {
			return nil, err
		}
		if pay.Type == pasarela.PaymentDeposit {
			return nil, pasarela.Errorf(pasarela.KindInvalid, "not_refundable",
				"a crypto deposit is refunded from the merchant's own wallet: the gateway holds no key to send it back")
		}
		if pay.Status != pasarela.StatusCompleted && pay.Status != pasarela.StatusPartiallyRefunded {
			return nil, pasarela.Errorf(pasarela.KindInvalid, "not_refundable", "only a completed payment can be refunded; this one is %s", pay.Status)
		}
		refunds, err := tx.ListRefunds(ctx, p.ClientID, paymentID)
		if err != nil {
			return nil, err
		}
		for _, r := range refunds {
			if r.Status == pasarela.RefundPending {
				return nil, pasarela.Errorf(pasarela.KindConflict, "refund_in_flight",
					"refund %d of this payment is still with the processor; try again when it has completed", r.ID)
			}
		}
		left := pay.Captured - pay.Refunded
		amount := in.Amount
		if amount == 0 {
			amount = left
		}
		if amount > left {
			return nil, pasarela.Invalid("amount", "exceeds_refundable",
				"at most "+strconv.FormatInt(left, 10)+" can be refunded (captured "+strconv.FormatInt(pay.Captured, 10)+
					", refunded "+strconv.FormatInt(pay.Refunded, 10)+")")
		}
		now := s.now()
		r := &pasarela.Refund{ClientID: p.ClientID, ApplicationID: appID, PaymentID: paymentID, Amount: amount,
			Currency: pay.Currency, Reason: in.Reason, Status: pasarela.RefundPending, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateRefund(ctx, r); err != nil {
			return nil, err
		}
		return r, s.recordEvent(ctx, tx, "refund.created", r)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	r := created.(*pasarela.Refund)
	return s.sendRefund(ctx, pay, r, scope, idem)
}

// sendRefund asks the processor and records the answer; with idem, the
// stored answer becomes the settled refund, so a retry sees what the first
// caller saw.
func (s *Service) sendRefund(ctx context.Context, pay *pasarela.Payment, r *pasarela.Refund, scope string, idem *Idem) (*pasarela.Refund, *Replay, error) {
	proc, opts, row, err := s.processorOf(ctx, pay)
	var res processor.Result
	if err == nil {
		res, err = proc.Refund(ctx, opts, pay.ProcessorRef, r.Amount, refundKey(pay, r))
		if err != nil && pasarela.ErrorKind(err) != pasarela.KindInvalid && !errors.Is(err, processor.ErrNotSent) {
			// The call may have reached the processor and only its answer
			// been lost: calling it failed could make the merchant refund
			// again. The refund stays pending; the reconciler sends it again
			// under the same key, which the processor answers once.
			s.log.WarnContext(ctx, "refund outcome unknown; left to the reconciler", "payment", pay.ID, "refund", r.ID, "err", err)
			return r, nil, nil
		}
	}
	ok := err == nil && res.Outcome == processor.Refunded
	if err != nil {
		s.log.WarnContext(ctx, "refund failed at the processor", "payment", pay.ID, "refund", r.ID, "err", err)
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		if err := s.settleRefund(ctx, tx, pay, r, row, res, ok); err != nil {
			return err
		}
		if idem == nil {
			return nil
		}
		status, body, err := idem.Render(r)
		if err != nil {
			return pasarela.Internal(err)
		}
		return tx.UpdateIdempotency(ctx, r.ClientID, scope, idem.Key, status, body)
	})
	return r, nil, err
}

// settleRefund records a processor's answer to a refund and, when it was
// refunded, the payment's new state and the ledger entries.
func (s *Service) settleRefund(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, r *pasarela.Refund,
	row *store.GatewayConfigRow, res processor.Result, ok bool) error {
	r.UpdatedAt = s.now()
	if !ok {
		r.Status, r.FailureMessage = pasarela.RefundFailed, "the processor did not refund: "+res.Message
		if res.Message == "" {
			r.FailureMessage = "the processor could not be reached; the payment was not refunded"
		}
		if err := tx.UpdateRefund(ctx, r); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, "refund.failed", r)
	}
	r.Status, r.ProcessorRef = pasarela.RefundCompleted, res.Ref
	if err := tx.UpdateRefund(ctx, r); err != nil {
		return err
	}
	if err := s.recordEvent(ctx, tx, "refund.completed", r); err != nil {
		return err
	}
	cur, err := tx.GetPaymentByID(ctx, pay.ClientID, pay.ID)
	if err != nil {
		return err
	}
	cur.Refunded += r.Amount
	to := pasarela.StatusPartiallyRefunded
	if cur.Refunded >= cur.Captured {
		to = pasarela.StatusRefunded
	}
	if err := s.transition(ctx, tx, cur, to); err != nil {
		return err
	}
	return s.postRefund(ctx, tx, cur, r, row.Gateway)
}

// ListRefunds returns a payment's refunds.
func (s *Service) ListRefunds(ctx context.Context, appID, paymentID int64) ([]pasarela.Refund, error) {
	p, err := s.applicationAccess(ctx, appID, false)
	if err != nil {
		return nil, err
	}
	var out []pasarela.Refund
	err = s.db.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetPayment(ctx, p.ClientID, appID, paymentID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListRefunds(ctx, p.ClientID, paymentID)
		return err
	})
	return out, err
}
