package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Crash recovery for money in flight. A charge is claimed (processing), sent
// to the processor outside any transaction, then settled (see charge.go); a
// refund is created pending, sent, then settled. A process that dies between
// those steps leaves the row in flight. Reconcile finds such rows once their
// last change is older than Config.Recovery.ReconcileAfter and settles them
// through the same settle paths, after asking the processor what happened:
//
//   - every Authorize carries an idempotency key derived from what the claim
//     committed (chargeKey), so the reconciler can rebuild it and ask
//     Lookup; a key the processor never saw is spent by that Lookup, so a
//     late call of a process thought dead charges nothing;
//   - a subscription cycle claimed by the scheduler is charged again with
//     the same key and the stored card: the processor answers the first
//     charge if there was one, else charges now, once;
//   - a claim that was no new charge (a resume after 3-D Secure, a capture,
//     a cancel) is answered by Status of the payment's processor ref;
//   - a refund is sent again with its key (refundKey): refunded once.
//
// Settling keeps the claim's version check, so the reconciler and a late
// original settle end with exactly one settlement. When the processor cannot
// tell (unreachable), the row is left for the next run.

// chargeKey is the idempotency key of one processor call of a claimed
// payment: the payment's transaction id, the version the claim wrote (each
// claim is a new attempt), and the gateway config the call went to (one
// attempt may try several).
func chargeKey(pay *pasarela.Payment, configID int64) string {
	return pay.TransactionID + "-v" + strconv.FormatInt(pay.Version, 10) + "-c" + strconv.FormatInt(configID, 10)
}

// refundKey is the idempotency key of a refund's processor call.
func refundKey(pay *pasarela.Payment, r *pasarela.Refund) string {
	return pay.TransactionID + "-r" + strconv.FormatInt(r.ID, 10)
}

// ReconcileResult counts what one Reconcile did.
type ReconcileResult struct {
	Payments int // payments settled
	Refunds  int // refunds settled
	Left     int // rows the processor could not tell about, left for the next run
}

// reconcileBatch bounds one run's work of each kind.
const reconcileBatch = 100

// errUntold is the processor not telling what became of a call.
var errUntold = errors.New("the processor could not tell what happened")

// Reconcile settles the payments processing and refunds pending for longer
// than Config.Recovery.ReconcileAfter (see the comment above). It reads
// across every client; each row is then read, asked about and settled
// within its own client. Several nodes may run it at once: the version
// check of settle and the pending check of a refund's update let one of
// them settle each row.
func (s *Service) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var r ReconcileResult
	cutoff := s.now().Add(-s.cfg.Recovery.ReconcileAfter)
	var pays, refunds []store.StuckRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pays, err = tx.StuckPayments(ctx, cutoff, reconcileBatch); err != nil {
			return err
		}
		refunds, err = tx.StuckRefunds(ctx, cutoff, reconcileBatch)
		return err
	})
	if err != nil {
		return r, err
	}
	var errs []error
	for _, row := range pays {
		if ctx.Err() != nil {
			break
		}
		done, err := s.reconcilePayment(ctx, row, cutoff)
		switch {
		case errors.Is(err, errUntold):
			r.Left++
		case err != nil:
			errs = append(errs, fmt.Errorf("payment %d: %w", row.ID, err))
		case done:
			r.Payments++
		}
	}
	for _, row := range refunds {
		if ctx.Err() != nil {
			break
		}
		done, err := s.reconcileRefund(ctx, row, cutoff)
		switch {
		case errors.Is(err, errUntold):
			r.Left++
		case err != nil:
			errs = append(errs, fmt.Errorf("refund %d: %w", row.ID, err))
		case done:
			r.Refunds++
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

// reconcilePayment settles one stuck payment; done is false when someone
// else settled it meanwhile.
func (s *Service) reconcilePayment(ctx context.Context, row store.StuckRow, cutoff time.Time) (bool, error) {
	var pay *pasarela.Payment
	var cycle *pasarela.SubscriptionCycle
	var sub *pasarela.Subscription
	var configs []store.GatewayConfigRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pay, err = tx.GetPaymentByID(ctx, row.ClientID, row.ID); err != nil {
			return err
		}
		if pay.Type == pasarela.PaymentSubscription {
			c, err := tx.GetCycleByPayment(ctx, pay.ClientID, pay.ID)
			switch {
			case pasarela.ErrorKind(err) == pasarela.KindNotFound:
			case err != nil:
				return err
			case c.Status == pasarela.CycleProcessing:
				if sub, err = tx.GetSubscriptionByID(ctx, pay.ClientID, c.SubscriptionID); err != nil {
					return err
				}
				cycle = c
			}
		}
		configs, err = tx.ClientGatewayConfigs(ctx, pay.ClientID, pay.ApplicationID, "")
		return err
	})
	if err != nil {
		return false, err
	}
	if pay.Status != pasarela.StatusProcessing || !pay.UpdatedAt.Before(cutoff) {
		return false, nil // settled, or claimed again, since the list was read
	}
	var a *attempt
	final := false
	if cycle != nil {
		// The scheduler's claim: charge the stored card under the claim's
		// key, as runSubscription would have.
		final = cycle.Attempts > len(s.cfg.Subscriptions.Dunning)
		a, err = s.recoverCycle(ctx, sub, pay, configs)
		if err == nil {
			a.lastCycleTry(final)
		}
	} else {
		a, err = s.recoverAttempt(ctx, pay, configs)
	}
	if err != nil {
		s.log.WarnContext(ctx, "reconcile: the processor could not tell how a payment in flight ended; trying again later",
			"client", pay.ClientID, "payment", pay.ID, "err", err)
		return false, errUntold
	}
	settled, err := s.settle(ctx, pay, a, final)
	if err != nil {
		if s.settledMeanwhile(ctx, pay) {
			return false, nil // the original process (or another node) won
		}
		return false, err
	}
	s.log.InfoContext(ctx, "reconciled a payment left in flight", "client", pay.ClientID, "payment", pay.ID,
		"status", settled.Status)
	return true, nil
}

// settledMeanwhile tells whether a payment is no longer the claim pay was
// read at: someone settled it, so a failed settle lost a fair race.
func (s *Service) settledMeanwhile(ctx context.Context, pay *pasarela.Payment) bool {
	changed := false
	_ = s.db.View(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetPaymentByID(ctx, pay.ClientID, pay.ID)
		changed = err == nil && (cur.Status != pasarela.StatusProcessing || cur.Version != pay.Version)
		return err
	})
	return changed
}

// configByID finds a config among configs.
func configByID(configs []store.GatewayConfigRow, id int64) (store.GatewayConfigRow, bool) {
	for _, c := range configs {
		if c.ID == id {
			return c, true
		}
	}
	return store.GatewayConfigRow{}, false
}

// recoverCycle charges a scheduler-claimed cycle's stored card again under
// the claim's key: the processor answers the charge the dead process made,
// or makes it now, once. Any error leaves the payment for the next run: an
// unreachable processor may have charged, so no decline is assumed.
func (s *Service) recoverCycle(ctx context.Context, sub *pasarela.Subscription, pay *pasarela.Payment, configs []store.GatewayConfigRow) (*attempt, error) {
	row, ok := configByID(configs, sub.GatewayConfig)
	if !ok {
		return nil, fmt.Errorf("gateway config %d of subscription %d is gone", sub.GatewayConfig, sub.ID)
	}
	proc, ok := s.processors.Get(row.Gateway)
	if !ok {
		return nil, fmt.Errorf("gateway %q is not in this build", row.Gateway)
	}
	opts, err := s.options(&row)
	if err != nil {
		return nil, err
	}
	ch := s.storedCharge(sub, pay, row.ID)
	if !sub.Status.Charging() {
		// Cancelled since the claim: only a charge the dead process made
		// stands; Lookup answers it, or spends the key so none is made.
		res, err := proc.Lookup(ctx, opts, ch.IdempotencyKey)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return &attempt{config: row, result: processor.Result{Outcome: processor.Declined, Code: CodeSubscriptionEnded,
				Message: "the subscription ended before this charge was made"}}, nil
		}
		if err != nil {
			return nil, err
		}
		return &attempt{config: row, result: res}, nil
	}
	res, err := proc.Authorize(ctx, opts, ch)
	if err != nil {
		if pasarela.ErrorKind(err) == pasarela.KindInvalid {
			// The processor refuses the stored card itself, as chargeStored
			// declines it: no retry will do better.
			return &attempt{config: row, result: processor.Result{Outcome: processor.Declined,
				Code: processor.CodeCardDeclined, Message: pasarela.AsError(err).Message}}, nil
		}
		return nil, err
	}
	return &attempt{config: row, result: res}, nil
}

// recoverAttempt finds what the dead process's call did. First the new
// charge the claim may have been for: Lookup of the claim's key at every
// config of the application (authorize tries them in order, and stops at
// the first answer that is not a retryable decline). Lookup spends the keys
// nobody used, so the attempt can be given up safely. Then, when no key was
// used, the claim was a step on the charge the payment already has (a
// resume after the buyer's step, a capture, a cancel), or a new charge that
// never reached a processor: Status of the payment's ref tells the first,
// and with no ref the payment goes back to pending for the buyer to retry.
func (s *Service) recoverAttempt(ctx context.Context, pay *pasarela.Payment, configs []store.GatewayConfigRow) (*attempt, error) {
	var found *attempt
	for _, c := range configs {
		proc, ok := s.processors.Get(c.Gateway)
		if !ok {
			continue
		}
		opts, err := s.options(&c)
		if err != nil {
			return nil, err
		}
		res, err := proc.Lookup(ctx, opts, chargeKey(pay, c.ID))
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lookup at gateway config %d: %w", c.ID, err)
		}
		a := &attempt{config: c, result: res}
		if res.Outcome != processor.Declined || !res.Retryable {
			return a, nil
		}
		found = a
	}
	if found != nil {
		return found, nil
	}
	row, ok := configByID(configs, pay.GatewayConfig)
	if pay.ProcessorRef != "" && ok {
		proc, ok := s.processors.Get(row.Gateway)
		if !ok {
			return nil, fmt.Errorf("gateway %q is not in this build", row.Gateway)
		}
		opts, err := s.options(&row)
		if err != nil {
			return nil, err
		}
		res, err := proc.Status(ctx, opts, pay.ProcessorRef)
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", pay.ProcessorRef, err)
		}
		switch res.Outcome {
		case processor.Captured, processor.Authorized, processor.RequiresAction, processor.Canceled, processor.Declined:
			return &attempt{config: row, result: res}, nil
		}
		return nil, fmt.Errorf("status of %s answered %s for a payment in flight", pay.ProcessorRef, res.Outcome)
	}
	// No processor saw this attempt: nothing was taken, and the buyer may
	// try again.
	return &attempt{config: store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ID: pay.GatewayConfig}},
		result: processor.Result{Outcome: processor.Declined, Code: processor.CodeProcessingError,
			Message: "the payment was interrupted before it reached the processor; nothing was charged, please try again"}}, nil
}

// reconcileRefund sends a stuck refund again under its key and settles it.
func (s *Service) reconcileRefund(ctx context.Context, row store.StuckRow, cutoff time.Time) (bool, error) {
	var r *pasarela.Refund
	var pay *pasarela.Payment
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if r, err = tx.GetRefund(ctx, row.ClientID, row.ID); err != nil {
			return err
		}
		pay, err = tx.GetPaymentByID(ctx, r.ClientID, r.PaymentID)
		return err
	})
	if err != nil {
		return false, err
	}
	if r.Status != pasarela.RefundPending || !r.UpdatedAt.Before(cutoff) {
		return false, nil
	}
	proc, opts, cfg, err := s.processorOf(ctx, pay)
	var res processor.Result
	if err == nil {
		res, err = proc.Refund(ctx, opts, pay.ProcessorRef, r.Amount, refundKey(pay, r))
	}
	ok := err == nil && res.Outcome == processor.Refunded
	if err != nil {
		if pasarela.ErrorKind(err) != pasarela.KindInvalid {
			s.log.WarnContext(ctx, "reconcile: the processor could not tell how a refund in flight ended; trying again later",
				"client", r.ClientID, "refund", r.ID, "payment", pay.ID, "err", err)
			return false, errUntold
		}
		// The processor refuses the refund (nothing left to return): it
		// failed, and says why.
		res.Message = pasarela.AsError(err).Message
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		return s.settleRefund(ctx, tx, pay, r, cfg, res, ok)
	})
	if err != nil {
		if pasarela.ErrorKind(err) == pasarela.KindNotFound && s.refundSettledMeanwhile(ctx, r) {
			return false, nil // the original process settled it first
		}
		return false, err
	}
	s.log.InfoContext(ctx, "reconciled a refund left in flight", "client", r.ClientID, "refund", r.ID, "status", r.Status)
	return true, nil
}

// refundSettledMeanwhile tells whether a refund is no longer pending.
func (s *Service) refundSettledMeanwhile(ctx context.Context, r *pasarela.Refund) bool {
	settled := false
	_ = s.db.View(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetRefund(ctx, r.ClientID, r.ID)
		settled = err == nil && cur.Status != pasarela.RefundPending
		return err
	})
	return settled
}
