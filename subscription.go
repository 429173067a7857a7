package pasarela

import "time"

// SubscriptionStatus is where a subscription is in its life.
type SubscriptionStatus string

// Subscription statuses.
const (
	// SubscriptionPending: created, waiting for the buyer to confirm an
	// agreement (store a card) on the hosted page.
	SubscriptionPending SubscriptionStatus = "pending"
	// SubscriptionActive: the agreement is confirmed and cycles are charged
	// on their due dates.
	SubscriptionActive SubscriptionStatus = "active"
	// SubscriptionPastDue: a cycle's charge was declined and is being
	// retried on the dunning schedule.
	SubscriptionPastDue SubscriptionStatus = "past_due"
	// SubscriptionUnpaid: a cycle's retries are exhausted; no further cycle
	// is charged.
	SubscriptionUnpaid SubscriptionStatus = "unpaid"
	// SubscriptionCompleted: every cycle was charged (or the end date passed).
	SubscriptionCompleted SubscriptionStatus = "completed"
	// SubscriptionInvalidated: cancelled by the merchant.
	SubscriptionInvalidated SubscriptionStatus = "invalidated"
)

// Valid reports whether s is a known subscription status.
func (s SubscriptionStatus) Valid() bool {
	switch s {
	case SubscriptionPending, SubscriptionActive, SubscriptionPastDue, SubscriptionUnpaid,
		SubscriptionCompleted, SubscriptionInvalidated:
		return true
	}
	return false
}

// Charging reports whether the scheduler charges a subscription in s.
func (s SubscriptionStatus) Charging() bool {
	return s == SubscriptionActive || s == SubscriptionPastDue
}

// Interval is the unit of a subscription's billing period.
type Interval string

// Intervals.
const (
	IntervalDay   Interval = "day"
	IntervalWeek  Interval = "week"
	IntervalMonth Interval = "month"
	IntervalYear  Interval = "year"
)

// Valid reports whether i is a known interval.
func (i Interval) Valid() bool {
	switch i {
	case IntervalDay, IntervalWeek, IntervalMonth, IntervalYear:
		return true
	}
	return false
}

// Subscription is an agreement to charge a buyer's stored card an amount on
// a regular schedule. Each charge is an ordinary payment of type
// subscription (a "cycle"), posted to the ledger like any capture.
type Subscription struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	Status        SubscriptionStatus
	Amount        int64 // minor units of Currency, charged each cycle
	Currency      string
	Description   string
	CustomerID    string // PayREST clientId
	CustomerEmail string
	Interval      Interval
	IntervalCount int
	// StartDate is the due date of the first cycle and the anchor of every
	// later one (a subscription started on the 31st is charged on the last
	// day of shorter months and on the 31st again after them).
	StartDate time.Time
	Cycles    int        // number of cycles; 0 means until EndDate or cancelled
	EndDate   *time.Time // no cycle is due after it
	// GatewayConfigs are the configs an agreement may use (empty: all
	// enabled configs of the application).
	GatewayConfigs []int64
	// GatewayConfig is the config of the confirmed agreement: the stored
	// card belongs to its processor.
	GatewayConfig int64
	Card          *Card // the stored card (a processor token), once confirmed
	CyclesPaid    int
	// NextCycle is the number (from 1) of the next cycle to charge.
	NextCycle int
	// NextChargeAt is when the scheduler next has work for the
	// subscription: the next cycle's due date, a retry, or the end of the
	// lease of a charge in flight. Nil when nothing more will happen.
	NextChargeAt *time.Time
	ConfirmedAt  *time.Time
	CanceledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64 // bumped by every change
}

// EventRef tells an event which subscription changed and whose it is.
func (s *Subscription) EventRef() (entity string, id int64, clientID string, appID int64) {
	return EntitySubscription, s.ID, s.ClientID, s.ApplicationID
}

// AgreementStatus is the state of a subscription agreement.
type AgreementStatus string

// Agreement statuses.
const (
	AgreementPending        AgreementStatus = "pending"         // waiting for the buyer's card
	AgreementProcessing     AgreementStatus = "processing"      // the card is being verified
	AgreementRequiresAction AgreementStatus = "requires_action" // 3-D Secure challenge in progress
	AgreementConfirmed      AgreementStatus = "confirmed"       // card stored; the subscription is active
	AgreementInvalidated    AgreementStatus = "invalidated"     // cancelled with its subscription, or superseded
)

// SubscriptionAgreement is the buyer's consent to a subscription, given on
// a hosted page bound to one gateway config: the card is verified there
// (with 3-D Secure when the card asks for it) and stored as a token.
type SubscriptionAgreement struct {
	ID             int64
	ClientID       string
	ApplicationID  int64
	SubscriptionID int64
	Token          string // the unguessable part of /pay/{token}
	GatewayConfig  int64
	Status         AgreementStatus
	ReturnURL      string
	CancelURL      string
	Card           *Card
	ProcessorRef   string // the verification charge, while it waits for the buyer
	FailureCode    string
	FailureMessage string
	ConfirmedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// CycleStatus is the state of one billing cycle's charge.
type CycleStatus string

// Cycle statuses.
const (
	CycleProcessing  CycleStatus = "processing" // claimed; the charge is in flight
	CycleRetrying    CycleStatus = "retrying"   // declined; waiting for its next dunning attempt
	CyclePaid        CycleStatus = "paid"
	CycleFailed      CycleStatus = "failed" // retries exhausted
	CycleInvalidated CycleStatus = "invalidated"
)

// SubscriptionCycle is one billing period of a subscription and the
// payment that charges it. (subscription, cycle) is unique in the store,
// so no two nodes can both create a cycle's payment.
type SubscriptionCycle struct {
	ClientID       string
	SubscriptionID int64
	Cycle          int
	PaymentID      int64
	Status         CycleStatus
	DueAt          time.Time
	Attempts       int
	NextAttemptAt  *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
