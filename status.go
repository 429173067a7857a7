package pasarela

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
// Completed (and adjustment) go back to processing or pending only for a
// crypto deposit whose paying block a reorganization orphaned, or whose
// payment was replaced: the chain took the money back.
var transitions = map[PaymentStatus][]PaymentStatus{
	StatusPending:           {StatusProcessing, StatusInvalidated, StatusExpired, StatusFailed},
	StatusProcessing:        {StatusPending, StatusRequiresAction, StatusAdjustment, StatusAuthorized, StatusCompleted, StatusFailed, StatusInvalidated},
	StatusRequiresAction:    {StatusProcessing, StatusPending, StatusInvalidated, StatusExpired},
	StatusAdjustment:        {StatusCompleted, StatusFailed, StatusInvalidated, StatusProcessing, StatusPending},
	StatusAuthorized:        {StatusProcessing, StatusExpired},
	StatusCompleted:         {StatusPartiallyRefunded, StatusRefunded, StatusProcessing, StatusPending},
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
