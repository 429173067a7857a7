package processor

import (
	"context"
	"time"
)

// Payouts are not card charges: the gateway sends money out of a client's
// balance over a rail (SPEI in Mexico) and then learns, over minutes or days,
// what became of it. A rail has its own small interface.

// PayoutOrder is what a rail needs to carry a payout.
type PayoutOrder struct {
	// Key identifies the order to the rail; sending the same key again
	// returns the first answer, so a send retried after a crash never
	// pays twice.
	Key              string
	Amount           int64 // minor units
	Currency         string
	BeneficiaryName  string
	Account          string // CLABE
	BankCode         string // 3-digit Banxico code
	Concept          string
	NumericReference string
}

// PayoutState is where a rail says a payout is.
type PayoutState string

// Payout states a rail reports.
const (
	PayoutQueued    PayoutState = "queued"    // accepted, waiting for its cycle
	PayoutSent      PayoutState = "sent"      // sent to the beneficiary's bank
	PayoutConfirmed PayoutState = "confirmed" // credited to the beneficiary
	PayoutRejected  PayoutState = "rejected"  // refused before crediting
	PayoutReturned  PayoutState = "returned"  // sent back after crediting
)

// PayoutResult is a rail's answer about one payout.
type PayoutResult struct {
	State PayoutState
	Ref   string // the rail's reference (SPEI clave de rastreo)
	// Code and Message say why a payout was rejected or returned; the
	// message is safe to show the merchant.
	Code    string
	Message string
	// NextCheck is when asking again may give another answer; zero when
	// the rail expects nothing more of this payout.
	NextCheck time.Time
}

// PayoutRail carries payouts. Business outcomes (a rejection) are results;
// an error means the rail could not be asked, and the core asks again later.
type PayoutRail interface {
	// ID names the rail ("spei"); it names its clearing account too.
	ID() string
	// Send hands a payout to the rail.
	Send(ctx context.Context, o PayoutOrder) (PayoutResult, error)
	// Status tells what the rail knows of a payout now.
	Status(ctx context.Context, ref string) (PayoutResult, error)
}
