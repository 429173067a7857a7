package pasarela

import "time"

// PaymentStatus is where a payment is in its life. Each face shows it under
// its own name (see the spec's table); the core knows only these.
type PaymentStatus string

// Payment statuses.
const (
	StatusPending           PaymentStatus = "pending"         // created, waiting for the buyer
	StatusProcessing        PaymentStatus = "processing"      // a processor call is in flight
	StatusRequiresAction    PaymentStatus = "requires_action" // the buyer must act (3-D Secure, PayPal approval)
	StatusAdjustment        PaymentStatus = "adjustment"      // paid amount differs (crypto)
	StatusAuthorized        PaymentStatus = "authorized"      // held, to capture
	StatusCompleted         PaymentStatus = "completed"       // captured
	StatusFailed            PaymentStatus = "failed"          // declined with no retry left
	StatusInvalidated       PaymentStatus = "invalidated"     // cancelled by the merchant
	StatusExpired           PaymentStatus = "expired"         // nobody paid in time
	StatusRefunded          PaymentStatus = "refunded"
	StatusPartiallyRefunded PaymentStatus = "partially_refunded"
)

// transitions is the one table of allowed payment state changes. Every
// change goes through CanTransition; anything else is refused. A declined
// buyer attempt returns the payment from processing to pending, so the buyer
// can try another card; a payment only fails for good where no buyer can
// retry (a server-to-server charge, a scheduled charge out of retries).
var transitions = map[PaymentStatus][]PaymentStatus{
	StatusPending:           {StatusProcessing, StatusInvalidated, StatusExpired, StatusFailed},
	StatusProcessing:        {StatusPending, StatusRequiresAction, StatusAdjustment, StatusAuthorized, StatusCompleted, StatusFailed, StatusInvalidated},
	StatusRequiresAction:    {StatusProcessing, StatusPending, StatusInvalidated, StatusExpired},
	StatusAdjustment:        {StatusCompleted, StatusFailed, StatusInvalidated},
	StatusAuthorized:        {StatusProcessing, StatusExpired},
	StatusCompleted:         {StatusPartiallyRefunded, StatusRefunded},
	StatusPartiallyRefunded: {StatusPartiallyRefunded, StatusRefunded},
}

// CanTransition reports whether a payment may go from one status to another.
func CanTransition(from, to PaymentStatus) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s except refunds.
func (s PaymentStatus) Final() bool {
	switch s {
	case StatusFailed, StatusInvalidated, StatusExpired, StatusRefunded:
		return true
	}
	return false
}

// Payable reports whether a buyer may still pay.
func (s PaymentStatus) Payable() bool {
	return s == StatusPending || s == StatusRequiresAction
}

// Valid reports whether s is a known status.
func (s PaymentStatus) Valid() bool {
	_, ok := transitions[s]
	return ok || s.Final()
}

// TransitionError is the refusal of a state change, naming both states.
func TransitionError(from, to PaymentStatus) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_transition",
		Message: "the payment is " + string(from) + " and cannot become " + string(to)}
}

// PaymentType tells a one-off payment from a scheduled charge.
type PaymentType string

// Payment types.
const (
	PaymentSimple       PaymentType = "simple"
	PaymentSubscription PaymentType = "subscription"
)

// Card is what the gateway keeps of a card: never the number or the CVC.
type Card struct {
	Token    string
	Last4    string
	Brand    string
	ExpMonth int
	ExpYear  int
}

// Payment is money in: what a buyer owes a merchant's application.
type Payment struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	TransactionID string // public, unguessable reference
	Status        PaymentStatus
	Type          PaymentType
	Amount        int64 // minor units of Currency
	Currency      string
	Captured      int64 // minor units captured
	Refunded      int64 // minor units refunded (completed refunds)
	Description   string
	CustomerID    string // PayREST clientId: the merchant's customer reference
	CustomerEmail string
	MerchantRef   string // SekurePay order id, Gestpay shopTransactionId
	Language      string
	Flags         []string
	AskForDetails bool
	// GatewayConfigs are the configs allowed for this payment (empty: all
	// enabled configs of the application).
	GatewayConfigs []int64
	GatewayConfig  int64  // the config chosen, once one was
	ProcessorRef   string // the processor's reference of the charge
	Card           *Card
	FailureCode    string // the last attempt's decline code
	FailureMessage string
	ParentID       int64
	ReturnURL      string
	CancelURL      string
	Metadata       map[string]string
	ExpiresAt      *time.Time
	CompletedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64 // bumped by every change; guards racing transitions
}
