package pasarela

import "time"

// PayoutStatus is where a payout (money out, a SPEI order) is in its life.
// The Kashpay face shows it under the Onsigna catalog's numbers; the core
// knows only these.
type PayoutStatus string

// Payout statuses, with the Onsigna code each face shows in parentheses.
const (
	PayoutCreated   PayoutStatus = "created"   // (25 Creado) accepted, funds held, not yet with the rail
	PayoutQueued    PayoutStatus = "queued"    // (26 Pendiente de envío) the rail has it, waiting for its cycle
	PayoutSent      PayoutStatus = "sent"      // (27 Enviado) sent to the beneficiary's bank
	PayoutConfirmed PayoutStatus = "confirmed" // (29 Confirmado) the beneficiary's bank credited it
	PayoutRejected  PayoutStatus = "rejected"  // (28 Rechazado) refused before crediting; funds returned
	PayoutReturned  PayoutStatus = "returned"  // (11 Devuelto) sent back by the bank after confirming; funds returned
)

// payoutTransitions is the one table of allowed payout state changes. The
// rail may report several steps at once (an order found confirmed that was
// only created when last looked at): the core walks them one by one, so
// every step posts its own entries and raises its own event.
var payoutTransitions = map[PayoutStatus][]PayoutStatus{
	PayoutCreated:   {PayoutQueued, PayoutRejected},
	PayoutQueued:    {PayoutSent, PayoutRejected},
	PayoutSent:      {PayoutConfirmed, PayoutRejected},
	PayoutConfirmed: {PayoutReturned},
}

// CanTransition reports whether a payout may go from s to to.
func (s PayoutStatus) CanTransition(to PayoutStatus) bool {
	for _, t := range payoutTransitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s PayoutStatus) Final() bool {
	return s == PayoutRejected || s == PayoutReturned
}

// Valid reports whether s is a known status.
func (s PayoutStatus) Valid() bool {
	_, ok := payoutTransitions[s]
	return ok || s.Final()
}

// PayoutStatuses lists every status, in the order a payout may pass them.
var PayoutStatuses = []PayoutStatus{PayoutCreated, PayoutQueued, PayoutSent, PayoutConfirmed, PayoutRejected,
	PayoutReturned}

// PayoutTransitionError is the refusal of a payout state change.
func PayoutTransitionError(from, to PayoutStatus) *Error {
	return &Error{Kind: KindInvalid, Code: "invalid_transition",
		Message: "the payout is " + string(from) + " and cannot become " + string(to)}
}

// Payout is money sent out of a client's balance to a beneficiary's bank
// account: a Kashpay createOrder (SPEI interbank transfer).
type Payout struct {
	ID       int64
	ClientID string
	UserID   int64 // who ordered it
	// Seq is the client's own sequence number of the payout; Reference
	// (Kashpay's referenceCreatedPayment) is the client's prefix and Seq.
	Seq       int64
	Reference string
	Amount    int64 // minor units
	Currency  string
	// TransactionType is the Onsigna operation type (1: SPEI interbank).
	TransactionType int

	BeneficiaryName        string
	BeneficiaryAccount     string // the 18-digit CLABE
	BeneficiaryAccountType string // "40" (CLABE): the only kind SPEI orders here go to
	BankCode               string // 3-digit Banxico institution code
	BeneficiaryEmail       string
	BeneficiaryRFC         string
	BeneficiaryAddress1    string
	BeneficiaryAddress2    string
	BeneficiaryCity        string
	BeneficiaryPostalCode  string

	Concept               string
	Description           string
	NumericReference      string // SPEI "referencia numérica", digits
	AlphanumericReference string // the merchant's own reference
	DateTransaction       string // as the merchant sent it (DDMMYY), informative

	Status PayoutStatus
	// InitialBalance and FinalBalance are the client's available balance
	// just before and just after the order took its amount.
	InitialBalance int64
	FinalBalance   int64

	Rail    string // the rail that carries it ("spei")
	RailRef string // the rail's reference (SPEI "clave de rastreo")
	// FailureCode and FailureMessage say why a payout was rejected or
	// returned.
	FailureCode    string
	FailureMessage string
	// NextCheckAt is when the rail should next be asked about the payout;
	// nil once nothing more is expected.
	NextCheckAt *time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// EventRef implements EventSource: a payout is a client-wide resource, with
// no application.
func (p *Payout) EventRef() (entity string, id int64, clientID string, appID int64) {
	return EntityPayout, p.ID, p.ClientID, 0
}
