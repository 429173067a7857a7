package core

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// DepositState is a deposit as its hosted page polls it: what the buyer
// needs to see change while the chain works, and nothing of the merchant.
type DepositState struct {
	Status        pasarela.PaymentStatus
	Currency      string          // the crypto currency paid in
	Amount        decimal.Decimal // what is due, in Currency
	Received      decimal.Decimal
	Confirmations int
	ExpiresAt     time.Time
	// ExpiresIn is how long the buyer still has to pay: zero once the
	// deposit has left pending or its time is up.
	ExpiresIn time.Duration
	Late      bool
}

// DepositStatus returns the state of the deposit whose page token is token.
// The token is the buyer's only credential: it names one payment, and any
// token that is not a deposit's own page token (a link's, another
// payment's, garbage) is not found. A deposit whose time ran out while
// nobody paid is marked expired on the way, as its page would be.
func (s *Service) DepositStatus(ctx context.Context, token string) (*DepositState, error) {
	if !strings.HasPrefix(token, checkoutTokenPrefix) {
		return nil, errNoCheckout
	}
	var pay *pasarela.Payment
	var dep *pasarela.Deposit
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if pay, err = tx.GetPaymentByCheckoutToken(ctx, token); err != nil {
			return notFoundAsNoCheckout(err)
		}
		if pay.Type != pasarela.PaymentDeposit {
			return errNoCheckout
		}
		dep, err = tx.GetDeposit(ctx, pay.ClientID, pay.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := s.now()
	if pay.ExpiresAt != nil && !now.Before(*pay.ExpiresAt) && pay.Status.Payable() {
		if err := s.expire(ctx, pay); err != nil {
			return nil, err
		}
	}
	st := &DepositState{Status: pay.Status, Currency: dep.Currency, Amount: dep.Amount, Received: dep.Received,
		Confirmations: dep.Confirmations, ExpiresAt: dep.ExpiresAt, Late: dep.Late}
	if pay.Status == pasarela.StatusPending && now.Before(dep.ExpiresAt) {
		st.ExpiresIn = dep.ExpiresAt.Sub(now)
	}
	return st, nil
}
