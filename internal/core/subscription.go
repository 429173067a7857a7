package core

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"sync"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Subscriptions charge a stored card on a schedule. The life of one:
//
//  1. the merchant creates it (pending) and an agreement bound to one
//     gateway config, whose hosted page (/pay/sa_…) the buyer opens;
//  2. the buyer types a card there: it is tokenized and verified with a
//     hold of one cycle's amount that is released at once (3-D Secure when
//     the card asks for it); the token is stored and the subscription is
//     active;
//  3. the scheduler (RunSubscriptions) claims each due cycle in a write
//     transaction, creating the cycle's payment (type subscription) already
//     processing, then charges the stored token outside any transaction and
//     settles it like any charge (ledger included). A decline is retried on
//     the dunning schedule (past_due), and when the retries are spent the
//     payment fails and the subscription is unpaid;
//  4. a cancel (invalidated) stops everything not yet sent to the processor.
//
// Lock order, so that PostgreSQL never deadlocks and no change slips past
// another: a subscription's row first, then its agreements, cycles and
// payments. The claim, the cancel, the settlement of a cycle's payment and
// every step of an agreement take them in that order, so whatever changes a
// subscription's agreements or cycles holds the subscription meanwhile.

// agreementTokenPrefix marks the hosted page of a subscription agreement.
const agreementTokenPrefix = "sa_"

// IsAgreementToken reports whether a page token is a subscription
// agreement's, so the hosted pages can route it.
func IsAgreementToken(token string) bool {
	return len(token) > len(agreementTokenPrefix) && token[:len(agreementTokenPrefix)] == agreementTokenPrefix
}

// maxCycles bounds a subscription's number of cycles.
const maxCycles = 10000

// Subscription event types.
const (
	EventSubscriptionCreated   = "subscription.created"
	EventSubscriptionActivated = "subscription.activated"   // the agreement was confirmed
	EventSubscriptionRenewed   = "subscription.renewed"     // a cycle was paid
	EventSubscriptionPastDue   = "subscription.past_due"    // a cycle was declined and will be retried
	EventSubscriptionUnpaid    = "subscription.unpaid"      // the retries are spent
	EventSubscriptionCompleted = "subscription.completed"   // no cycle is left
	EventSubscriptionCanceled  = "subscription.invalidated" // cancelled by the merchant
)

// SubscriptionInput is a subscription as a face asks for it.
type SubscriptionInput struct {
	Amount         int64 // minor units
	Currency       string
	Description    string
	CustomerID     string
	CustomerEmail  string
	Interval       string
	IntervalCount  int // 0 means 1
	StartDate      *time.Time
	Cycles         int
	EndDate        *time.Time
	GatewayConfigs []int64
}

// maxIntervalCount bounds a period to about ten years of its unit.
var maxIntervalCount = map[pasarela.Interval]int{
	pasarela.IntervalDay: 3650, pasarela.IntervalWeek: 520, pasarela.IntervalMonth: 120, pasarela.IntervalYear: 10,
}

func (s *Service) validateSubscription(in *SubscriptionInput) error {
	var v pasarela.Validation
	if in.Amount <= 0 {
		v.Add("amount", "amount", "must be greater than zero")
	}
	if in.Currency == "" {
		v.Add("currency", "required", "is required")
	} else if c, ok := pasarela.LookupCurrency(in.Currency); !ok || c.Crypto {
		v.Add("currency", "currency", "must be an ISO 4217 currency code such as EUR")
	} else {
		in.Currency = c.Code
	}
	checkText(&v, "description", &in.Description, false, 1000)
	checkText(&v, "customer_id", &in.CustomerID, false, 200)
	if in.CustomerEmail != "" {
		if a, err := mail.ParseAddress(in.CustomerEmail); err != nil || a.Address != in.CustomerEmail {
			v.Add("customer_email", "email", "must be a valid email address")
		}
	}
	iv := pasarela.Interval(in.Interval)
	switch {
	case in.Interval == "":
		v.Add("interval", "required", "is required: day, week, month or year")
	case !iv.Valid():
		v.Add("interval", "enum", "must be day, week, month or year")
	}
	if in.IntervalCount == 0 {
		in.IntervalCount = 1
	}
	if max, ok := maxIntervalCount[iv]; ok && (in.IntervalCount < 1 || in.IntervalCount > max) {
		v.Add("interval_count", "range", "must be between 1 and "+strconv.Itoa(max))
	} else if in.IntervalCount < 1 {
		v.Add("interval_count", "range", "must be 1 or more")
	}
	now := s.now()
	if in.StartDate == nil {
		in.StartDate = &now
	} else {
		t := in.StartDate.UTC().Truncate(time.Microsecond)
		in.StartDate = &t
		// A start a little in the past (a date typed as today) is due at
		// once; one further back would charge periods nobody agreed to.
		if t.Before(now.Add(-24 * time.Hour)) {
			v.Add("start_date", "past", "may not be more than a day in the past")
		} else if t.After(now.AddDate(5, 0, 0)) {
			v.Add("start_date", "range", "may be at most 5 years ahead")
		}
	}
	if in.Cycles < 0 || in.Cycles > maxCycles {
		v.AddParams("cycles", "range", "must be between 1 and "+strconv.Itoa(maxCycles)+" (absent: until end_date or cancelled)",
			map[string]string{"min": "1", "max": strconv.Itoa(maxCycles)})
	}
	if in.EndDate != nil {
		t := in.EndDate.UTC().Truncate(time.Microsecond)
		in.EndDate = &t
		if in.Cycles > 0 {
			v.Add("end_date", "exclusive", "give cycles or end_date, not both")
		} else if t.Before(*in.StartDate) {
			v.Add("end_date", "range", "must not be before start_date")
		}
	}
	if len(in.GatewayConfigs) > 50 {
		v.Add("gateway_configs", "too_many", "may name at most 50 gateway configs")
	}
	return v.Err()
}

// subscriptionScope is the idempotency scope of an application's
// subscriptions.
func subscriptionScope(appID int64) string {
	return "app:" + strconv.FormatInt(appID, 10) + ":subscription"
}

// cardConfigs keeps the configs whose processor takes cards: only a card
// can be stored and charged without the buyer.
func (s *Service) cardConfigs(configs []store.GatewayConfigRow) []store.GatewayConfigRow {
	var out []store.GatewayConfigRow
	for _, c := range configs {
		if p, ok := s.processors.Get(c.Gateway); ok && p.Gateway().Flow == processor.FlowCard {
			out = append(out, c)
		}
	}
	return out
}

// CreateSubscription creates a pending subscription of an application. It
// charges nothing until a buyer confirms an agreement.
func (s *Service) CreateSubscription(ctx context.Context, appID int64, in SubscriptionInput, idem *Idem) (*pasarela.Subscription, *Replay, error) {
	var p *pasarela.Principal
	var replay *Replay
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = paymentWriterTx(ctx, tx, appID); err != nil {
			return err
		}
		if err := s.validateSubscription(&in); err != nil {
			return err
		}
		configs, err := usableConfigs(ctx, tx, p.ClientID, appID, in.GatewayConfigs, true)
		if err == nil && len(s.cardConfigs(configs)) == 0 {
			err = errNoGateway("gateway_configs", "no enabled card gateway config can store a card for this subscription", appID)
		}
		if err != nil || idem == nil {
			return err
		}
		replay, err = lookupReplay(ctx, tx, p.ClientID, subscriptionScope(appID), idem, s.now())
		return err
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	now := s.now()
	sub := &pasarela.Subscription{ClientID: p.ClientID, ApplicationID: appID, Status: pasarela.SubscriptionPending,
		Amount: in.Amount, Currency: in.Currency, Description: in.Description, CustomerID: in.CustomerID,
		CustomerEmail: in.CustomerEmail, Interval: pasarela.Interval(in.Interval), IntervalCount: in.IntervalCount,
		StartDate: *in.StartDate, Cycles: in.Cycles, EndDate: in.EndDate, GatewayConfigs: in.GatewayConfigs,
		NextCycle: 1, CreatedAt: now, UpdatedAt: now}
	if sub.GatewayConfigs == nil {
		sub.GatewayConfigs = []int64{}
	}
	v, replay, err := s.createOnce(ctx, p.ClientID, subscriptionScope(appID), idem, func(tx *store.Tx) (any, error) {
		if err := tx.CreateSubscription(ctx, sub); err != nil {
			return nil, err
		}
		return sub, s.recordEvent(ctx, tx, EventSubscriptionCreated, sub)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return v.(*pasarela.Subscription), nil, nil
}

// SubscriptionDetail is a subscription with its agreements, its cycles and
// the payments that charged them.
type SubscriptionDetail struct {
	*pasarela.Subscription
	Agreements []pasarela.SubscriptionAgreement
	Cycles     []pasarela.SubscriptionCycle
	Payments   []pasarela.Payment // the cycles' payments, first cycle first
}

// GetSubscription returns a subscription of an application with what hangs
// from it.
func (s *Service) GetSubscription(ctx context.Context, appID, id int64) (*SubscriptionDetail, error) {
	d := &SubscriptionDetail{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if d.Subscription, err = tx.GetSubscription(ctx, p.ClientID, appID, id); err != nil {
			return err
		}
		if d.Agreements, err = tx.ListAgreements(ctx, p.ClientID, id); err != nil {
			return err
		}
		if d.Cycles, err = tx.ListCycles(ctx, p.ClientID, id); err != nil {
			return err
		}
		d.Payments, err = tx.ListCyclePayments(ctx, p.ClientID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// SubscriptionFilter narrows a subscription list.
type SubscriptionFilter = store.SubscriptionFilter

// ListSubscriptions returns a page of an application's subscriptions.
func (s *Service) ListSubscriptions(ctx context.Context, appID int64, f SubscriptionFilter, opts pasarela.ListOptions) ([]pasarela.Subscription, int, error) {
	var out []pasarela.Subscription
	var total int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if err := checkList(&opts, store.SubscriptionSortFields); err != nil {
			return err
		}
		var v pasarela.Validation
		if f.Status != "" && !pasarela.SubscriptionStatus(f.Status).Valid() {
			v.Add("filter.status", "enum", "unknown status "+quoteField(f.Status)+"; one of pending, active, past_due, unpaid, completed, invalidated")
		}
		checkText(&v, "filter.customer_id", &f.CustomerID, false, 200)
		if err := v.Err(); err != nil {
			return err
		}
		out, total, err = tx.ListSubscriptions(ctx, p.ClientID, appID, f, opts)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// PaymentSubscription is the subscription a payment charges a cycle of.
type PaymentSubscription struct {
	Subscription *pasarela.Subscription
	Cycle        int
}

// SubscriptionOfPayment returns the subscription a payment of the
// application belongs to, or nil when it belongs to none.
func (s *Service) SubscriptionOfPayment(ctx context.Context, appID, paymentID int64) (*PaymentSubscription, error) {
	var out *PaymentSubscription
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		c, err := tx.GetCycleByPayment(ctx, p.ClientID, paymentID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		sub, err := tx.GetSubscription(ctx, p.ClientID, appID, c.SubscriptionID)
		if err != nil {
			return err
		}
		out = &PaymentSubscription{Subscription: sub, Cycle: c.Cycle}
		return nil
	})
	return out, err
}

// touch stamps a subscription's change time and writes it.
func (s *Service) saveSubscription(ctx context.Context, tx *store.Tx, sub *pasarela.Subscription) error {
	sub.UpdatedAt = s.now()
	return tx.UpdateSubscription(ctx, sub)
}

// CancelSubscription invalidates a subscription and its unfinished
// agreements. A cycle waiting for a retry is invalidated with its payment;
// a charge already sent to the processor finishes (and is recorded), but no
// further cycle is created.
func (s *Service) CancelSubscription(ctx context.Context, appID, id int64) error {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		sub, err := tx.GetSubscription(ctx, p.ClientID, appID, id)
		if err != nil {
			return err
		}
		switch sub.Status {
		case pasarela.SubscriptionInvalidated, pasarela.SubscriptionCompleted:
			return pasarela.Errorf(pasarela.KindInvalid, "invalid_transition",
				"cannot apply 'invalidated': the subscription is %s", sub.Status)
		}
		now := s.now()
		sub.Status, sub.NextChargeAt, sub.CanceledAt = pasarela.SubscriptionInvalidated, nil, &now
		if err := tx.InvalidateOpenAgreements(ctx, sub.ClientID, sub.ID, now); err != nil {
			return err
		}
		c, err := lastCycle(ctx, tx, sub)
		if err != nil {
			return err
		}
		if c != nil {
			if c.Status == pasarela.CycleRetrying {
				pay, err := tx.GetPaymentByID(ctx, sub.ClientID, c.PaymentID)
				if err != nil {
					return err
				}
				if pay.Status.Payable() {
					if err := s.transition(ctx, tx, pay, pasarela.StatusInvalidated); err != nil {
						return err
					}
				}
				c.Status, c.NextAttemptAt, c.UpdatedAt = pasarela.CycleInvalidated, nil, now
				if err := tx.UpdateCycle(ctx, c); err != nil {
					return err
				}
			}
		}
		if err := s.saveSubscription(ctx, tx, sub); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, EventSubscriptionCanceled, sub)
	})
}

// SubscriptionRun counts what one scheduler step did.
type SubscriptionRun struct {
	Claimed int // cycles whose charge was sent to a processor
	Paid    int
	Failed  int // declined (to be retried, or for good)
}

// subscriptionBatch bounds one step's work; subscriptionParallel is how
// many cycles one step charges at once. Charges of different subscriptions
// are independent, and overlapping them lets SQLite group their commits and
// PostgreSQL overlap their fsyncs and the processors' answers.
const (
	subscriptionBatch    = 100
	subscriptionParallel = 8
)

// RunSubscriptions charges the cycles that are due: it claims each in its
// own write transaction (at most one node succeeds per cycle), charges the
// stored card outside any transaction, and settles the payment. Several
// nodes may run it at once. Call it again while it reports work done.
func (s *Service) RunSubscriptions(ctx context.Context) (SubscriptionRun, error) {
	var r SubscriptionRun
	var due []store.DueSubscription
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.DueSubscriptions(ctx, s.now(), subscriptionBatch)
		return err
	})
	if err != nil {
		return r, err
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, subscriptionParallel)
	)
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			var one SubscriptionRun
			err := s.runSubscription(ctx, d, &one)
			mu.Lock()
			defer mu.Unlock()
			r.Claimed, r.Paid, r.Failed = r.Claimed+one.Claimed, r.Paid+one.Paid, r.Failed+one.Failed
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return r, errors.Join(errs...)
}

// cycleClaim is a cycle claimed for a charge.
type cycleClaim struct {
	sub   *pasarela.Subscription
	pay   *pasarela.Payment
	final bool // no retry is left after this attempt
}

func (s *Service) runSubscription(ctx context.Context, d store.DueSubscription, r *SubscriptionRun) error {
	var cl *cycleClaim
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		cl, err = s.claimCycle(ctx, tx, d)
		return err
	})
	if err != nil || cl == nil {
		if pasarela.ErrorKind(err) == pasarela.KindConflict {
			return nil // another node claimed this cycle first
		}
		return err
	}
	r.Claimed++
	a := s.chargeStored(ctx, cl.sub, cl.pay)
	if a == nil {
		return nil // the outcome is unknown: the cycle stays processing for the reconciler
	}
	a.lastCycleTry(cl.final)
	pay, err := s.settle(ctx, cl.pay, a, cl.final)
	if err != nil {
		return err
	}
	if pay.Status == pasarela.StatusCompleted || pay.Status == pasarela.StatusAuthorized {
		r.Paid++
	} else {
		r.Failed++
	}
	return nil
}

// lastCycleTry turns a cycle's last try that asks for the buyer into a
// decline: nobody is there to authenticate and no retry is left.
func (a *attempt) lastCycleTry(final bool) {
	if final && a.result.Outcome == processor.RequiresAction {
		a.result = processor.Result{Outcome: processor.Declined, Ref: a.result.Ref, Code: CodeAuthenticationRequired,
			Message: "the card asks the buyer to authenticate this charge"}
	}
}

// CodeAuthenticationRequired is the decline of a charge or verification
// the card wants the buyer to authenticate when no buyer is there: a
// scheduled charge (the payment's own page lets the buyer do so until the
// retries are spent) or a stored card's verification (see card.go).
const CodeAuthenticationRequired = "authentication_required"

// CodeSubscriptionEnded declines a cycle whose subscription was cancelled
// between its claim and the charge.
const CodeSubscriptionEnded = "subscription_ended"

// claimCycle, inside tx, takes the subscription's due work: a new cycle (its
// payment created already processing) or a retry of the declined one. It
// returns nil when there is nothing to charge (another node did it, the
// subscription was cancelled, or its last cycle is past).
func (s *Service) claimCycle(ctx context.Context, tx *store.Tx, d store.DueSubscription) (*cycleClaim, error) {
	sub, err := tx.GetSubscriptionByID(ctx, d.ClientID, d.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !sub.Status.Charging() || sub.NextChargeAt == nil || sub.NextChargeAt.After(now) || sub.Card == nil {
		return nil, nil
	}
	lease := now.Add(s.cfg.Subscriptions.Lease)
	c, err := lastCycle(ctx, tx, sub)
	if err != nil {
		return nil, err
	}
	if c != nil {
		switch c.Status {
		case pasarela.CycleRetrying:
			if c.NextAttemptAt != nil && c.NextAttemptAt.After(now) {
				sub.NextChargeAt = c.NextAttemptAt
				return nil, s.saveSubscription(ctx, tx, sub)
			}
			pay, err := tx.GetPaymentByID(ctx, sub.ClientID, c.PaymentID)
			if err != nil {
				return nil, err
			}
			if !pay.Status.Payable() {
				// Settled some other way (the buyer authenticated on the
				// payment's page, the merchant cancelled the payment).
				return nil, s.cycleSettled(ctx, tx, sub, c, pay)
			}
			if err := s.transition(ctx, tx, pay, pasarela.StatusProcessing); err != nil {
				return nil, err
			}
			c.Attempts++
			c.Status, c.NextAttemptAt, c.UpdatedAt = pasarela.CycleProcessing, nil, now
			if err := tx.UpdateCycle(ctx, c); err != nil {
				return nil, err
			}
			sub.NextChargeAt = &lease
			if err := s.saveSubscription(ctx, tx, sub); err != nil {
				return nil, err
			}
			return &cycleClaim{sub: sub, pay: pay, final: c.Attempts > len(s.cfg.Subscriptions.Dunning)}, nil
		case pasarela.CycleProcessing:
			// The lease of a charge in flight ended: its node died between
			// the claim and the settlement, or is slow. The payment says
			// which; one still processing needs an operator, as no charge
			// is sent twice.
			pay, err := tx.GetPaymentByID(ctx, sub.ClientID, c.PaymentID)
			if err != nil {
				return nil, err
			}
			if pay.Status != pasarela.StatusProcessing {
				return nil, s.cycleSettled(ctx, tx, sub, c, pay)
			}
			s.log.WarnContext(ctx, "subscription charge still in flight after its lease", "subscription", sub.ID,
				"cycle", c.Cycle, "payment", pay.ID)
			sub.NextChargeAt = &lease
			return nil, s.saveSubscription(ctx, tx, sub)
		}
	}
	n := sub.NextCycle
	if !hasCycle(sub, n) {
		sub.Status, sub.NextChargeAt = pasarela.SubscriptionCompleted, nil
		if err := s.saveSubscription(ctx, tx, sub); err != nil {
			return nil, err
		}
		return nil, s.recordEvent(ctx, tx, EventSubscriptionCompleted, sub)
	}
	due := CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, n)
	if due.After(now) {
		sub.NextChargeAt = &due
		return nil, s.saveSubscription(ctx, tx, sub)
	}
	var parent int64
	if n > 1 {
		if first, err := tx.GetCycle(ctx, sub.ClientID, sub.ID, 1); err == nil {
			parent = first.PaymentID
		} else if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return nil, err
		}
	}
	pay := &pasarela.Payment{ClientID: sub.ClientID, ApplicationID: sub.ApplicationID, TransactionID: newTransactionID(now),
		CheckoutToken: newCheckoutToken(now), Status: pasarela.StatusPending, Type: pasarela.PaymentSubscription,
		Amount: sub.Amount, Currency: sub.Currency, Description: sub.Description, CustomerID: sub.CustomerID,
		CustomerEmail: sub.CustomerEmail, Language: "en", Flags: []string{}, GatewayConfigs: []int64{sub.GatewayConfig},
		GatewayConfig: sub.GatewayConfig, Capture: "automatic", Card: sub.Card, ParentID: parent,
		Metadata:  map[string]string{"subscriptionId": strconv.FormatInt(sub.ID, 10), "cycle": strconv.Itoa(n)},
		CreatedAt: now, UpdatedAt: now}
	if err := tx.CreatePayment(ctx, pay); err != nil {
		return nil, err
	}
	if err := s.transition(ctx, tx, pay, pasarela.StatusProcessing); err != nil {
		return nil, err
	}
	c = &pasarela.SubscriptionCycle{ClientID: sub.ClientID, SubscriptionID: sub.ID, Cycle: n, PaymentID: pay.ID,
		Status: pasarela.CycleProcessing, DueAt: due, Attempts: 1, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateCycle(ctx, c); err != nil {
		return nil, err
	}
	sub.NextCycle, sub.NextChargeAt = n+1, &lease
	if err := s.saveSubscription(ctx, tx, sub); err != nil {
		return nil, err
	}
	return &cycleClaim{sub: sub, pay: pay, final: len(s.cfg.Subscriptions.Dunning) == 0}, nil
}

// lastCycle is the latest cycle created for a subscription, or nil when
// none is (a subscription confirmed late starts past cycle 1).
func lastCycle(ctx context.Context, tx *store.Tx, sub *pasarela.Subscription) (*pasarela.SubscriptionCycle, error) {
	if sub.NextCycle <= 1 {
		return nil, nil
	}
	c, err := tx.GetCycle(ctx, sub.ClientID, sub.ID, sub.NextCycle-1)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, nil
	}
	return c, err
}

// chargeStored charges a subscription's stored card for a claimed payment.
// A processor that cannot be reached is a retryable decline: the dunning
// schedule tries again. nil means the outcome is unknown (errOutcomeUnknown).
func (s *Service) chargeStored(ctx context.Context, sub *pasarela.Subscription, pay *pasarela.Payment) *attempt {
	unreachable := processor.Result{Outcome: processor.Declined, Code: processor.CodeProcessingError,
		Message: "the payment processor could not be reached", Retryable: true}
	var row *store.GatewayConfigRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		row, err = tx.GetGatewayConfig(ctx, sub.ClientID, sub.ApplicationID, sub.GatewayConfig)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "subscription gateway config unavailable", "subscription", sub.ID, "err", err)
		return &attempt{config: store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ID: sub.GatewayConfig}}, result: unreachable}
	}
	a := &attempt{config: *row, result: unreachable}
	proc, ok := s.processors.Get(row.Gateway)
	if !ok {
		return a
	}
	opts, err := s.options(row)
	if err != nil {
		return a
	}
	res, err := authorizeOnce(ctx, proc, opts, s.storedCharge(sub, pay, row.ID))
	if errors.Is(err, errOutcomeUnknown) {
		s.log.WarnContext(ctx, "subscription charge outcome unknown; left to the reconciler", "subscription", sub.ID, "payment", pay.ID, "err", err)
		return nil
	}
	if err != nil {
		s.log.WarnContext(ctx, "subscription charge failed", "subscription", sub.ID, "payment", pay.ID, "err", err)
		if e := pasarela.AsError(err); e.Kind == pasarela.KindInvalid {
			// The processor refuses the stored card itself (an unknown
			// token): no retry will do better.
			return &attempt{config: *row, result: processor.Result{Outcome: processor.Declined,
				Code: processor.CodeCardDeclined, Message: e.Message}}
		}
		return a
	}
	a.result = res
	return a
}

// storedCharge is the processor call of a cycle: the subscription's stored
// card, without the buyer, under the claim's key.
func (s *Service) storedCharge(sub *pasarela.Subscription, pay *pasarela.Payment, configID int64) processor.Charge {
	return processor.Charge{Reference: pay.TransactionID, Amount: pay.Amount, Currency: pay.Currency,
		Description: pay.Description, Card: sub.Card, Capture: true, ReturnURL: s.CheckoutURL(pay.CheckoutToken),
		IdempotencyKey: chargeKey(pay, configID), OffSession: true}
}

// lockSubscriptionOf locks, inside a settlement's transaction and before
// the payment's row, the subscription a cycle payment charges, keeping the
// lock order every subscription change follows.
func (s *Service) lockSubscriptionOf(ctx context.Context, tx *store.Tx, pay *pasarela.Payment) error {
	if pay.Type != pasarela.PaymentSubscription {
		return nil
	}
	c, err := tx.GetCycleByPayment(ctx, pay.ClientID, pay.ID)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = tx.GetSubscriptionByID(ctx, pay.ClientID, c.SubscriptionID)
	return err
}

// subscriptionPaymentSettled updates, inside the settlement's transaction,
// the subscription whose cycle a payment charges: whoever settled it (the
// scheduler, the buyer on the payment's page), the subscription moves on in
// the same commit.
func (s *Service) subscriptionPaymentSettled(ctx context.Context, tx *store.Tx, pay *pasarela.Payment) error {
	if pay.Type != pasarela.PaymentSubscription {
		return nil
	}
	c, err := tx.GetCycleByPayment(ctx, pay.ClientID, pay.ID)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	sub, err := tx.GetSubscriptionByID(ctx, pay.ClientID, c.SubscriptionID)
	if err != nil {
		return err
	}
	return s.cycleSettled(ctx, tx, sub, c, pay)
}

// cycleSettled applies a cycle payment's status to the cycle and its
// subscription.
func (s *Service) cycleSettled(ctx context.Context, tx *store.Tx, sub *pasarela.Subscription, c *pasarela.SubscriptionCycle, pay *pasarela.Payment) error {
	now := s.now()
	c.UpdatedAt = now
	event := ""
	switch pay.Status {
	case pasarela.StatusProcessing:
		return nil
	case pasarela.StatusCompleted, pasarela.StatusAuthorized, pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded:
		if c.Status == pasarela.CyclePaid {
			return nil
		}
		c.Status, c.NextAttemptAt = pasarela.CyclePaid, nil
		sub.CyclesPaid++
		event = EventSubscriptionRenewed
		if sub.Status.Charging() {
			sub.Status = pasarela.SubscriptionActive
			event = s.scheduleNext(sub)
		}
	case pasarela.StatusPending, pasarela.StatusRequiresAction:
		if !sub.Status.Charging() {
			// Cancelled while the charge was in flight: no retry.
			if err := s.transition(ctx, tx, pay, pasarela.StatusInvalidated); err != nil {
				return err
			}
			c.Status, c.NextAttemptAt = pasarela.CycleInvalidated, nil
			break
		}
		next, ok := dunningDue(s.cfg.Subscriptions.Dunning, c.DueAt, c.Attempts+1)
		if !ok {
			if err := s.transition(ctx, tx, pay, pasarela.StatusFailed); err != nil {
				return err
			}
			return s.cycleSettled(ctx, tx, sub, c, pay)
		}
		if next.Before(now) {
			next = now
		}
		c.Status, c.NextAttemptAt = pasarela.CycleRetrying, &next
		if sub.Status != pasarela.SubscriptionPastDue {
			event = EventSubscriptionPastDue
		}
		sub.Status, sub.NextChargeAt = pasarela.SubscriptionPastDue, &next
	case pasarela.StatusFailed:
		c.Status, c.NextAttemptAt = pasarela.CycleFailed, nil
		if sub.Status.Charging() {
			sub.Status, sub.NextChargeAt = pasarela.SubscriptionUnpaid, nil
			event = EventSubscriptionUnpaid
		}
	default: // invalidated or expired: the merchant dropped this cycle
		c.Status, c.NextAttemptAt = pasarela.CycleInvalidated, nil
		if sub.Status.Charging() {
			sub.Status = pasarela.SubscriptionActive
			event = s.scheduleNext(sub)
		}
	}
	if err := tx.UpdateCycle(ctx, c); err != nil {
		return err
	}
	if err := s.saveSubscription(ctx, tx, sub); err != nil {
		return err
	}
	if event == "" {
		return nil
	}
	return s.recordEvent(ctx, tx, event, sub)
}

// scheduleNext sets when an active subscription's next cycle is due, or
// completes it when none is left; it returns the event that says so.
func (s *Service) scheduleNext(sub *pasarela.Subscription) string {
	if !hasCycle(sub, sub.NextCycle) {
		sub.Status, sub.NextChargeAt = pasarela.SubscriptionCompleted, nil
		return EventSubscriptionCompleted
	}
	due := CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, sub.NextCycle)
	sub.NextChargeAt = &due
	return EventSubscriptionRenewed
}
