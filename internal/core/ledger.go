package core

import (
	"context"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Ledger accounts. Balances are the gateway's view of who is owed what:
// a client's available balance is what the gateway owes the merchant; a
// processor's clearing account goes negative by what the processor owes the
// gateway (captured but not yet paid out by it); the platform's fee account
// holds the fees earned.
const (
	KindAvailable = "available"
	KindPending   = "pending" // money in flight (payouts sent to a rail, not yet confirmed)
	KindClearing  = "clearing"
	KindFees      = "fees"
	KindFunding   = "funding"
	PlatformOwner = "platform"
)

// ClientAccount is a client's account of one kind in one currency.
func ClientAccount(clientID, currency, kind string) store.Account {
	return store.Account{Owner: "client:" + clientID, Currency: currency, Kind: kind}
}

func clearingAccount(gateway, currency string) store.Account {
	return store.Account{Owner: "processor:" + gateway, Currency: currency, Kind: KindClearing}
}

func feeAccount(currency string) store.Account {
	return store.Account{Owner: PlatformOwner, Currency: currency, Kind: KindFees}
}

// fee is the platform's fee on a capture: basis points rounded half up,
// plus the fixed part, never more than the amount.
func (s *Service) fee(amount int64) int64 {
	f := (amount*s.cfg.Fees.BPS+5000)/10000 + s.cfg.Fees.Fixed
	return min(max(f, 0), amount)
}

// postCapture books a capture: the processor owes the amount, the merchant
// is owed it less the fee, the platform earns the fee.
func (s *Service) postCapture(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, gateway string) error {
	fee := s.fee(pay.Captured)
	_, err := tx.Post(ctx, store.Posting{Kind: "capture", ClientID: pay.ClientID, PaymentID: pay.ID, At: s.now(),
		Description: "capture of payment " + pay.TransactionID,
		Entries: []store.Entry{
			{Account: clearingAccount(gateway, pay.Currency), Amount: -pay.Captured},
			{Account: ClientAccount(pay.ClientID, pay.Currency, KindAvailable), Amount: pay.Captured - fee},
			{Account: feeAccount(pay.Currency), Amount: fee},
		}})
	return err
}

// postCaptureReversal undoes a capture of amount whose money the chain took
// back (a reorganization orphaned the block that paid a deposit): the exact
// opposite of postCapture's entries, the fee computed as it was.
func (s *Service) postCaptureReversal(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, amount int64, gateway string) error {
	fee := s.fee(amount)
	_, err := tx.Post(ctx, store.Posting{Kind: "capture_reversal", ClientID: pay.ClientID, PaymentID: pay.ID, At: s.now(),
		Description: "reversal of the capture of payment " + pay.TransactionID + " (the chain took the payment back)",
		Entries: []store.Entry{
			{Account: clearingAccount(gateway, pay.Currency), Amount: amount},
			{Account: ClientAccount(pay.ClientID, pay.Currency, KindAvailable), Amount: -(amount - fee)},
			{Account: feeAccount(pay.Currency), Amount: -fee},
		}})
	return err
}

// postRefund books a refund: the merchant's balance pays it back through
// the processor. The platform keeps its fee, as card networks keep theirs.
func (s *Service) postRefund(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, r *pasarela.Refund, gateway string) error {
	_, err := tx.Post(ctx, store.Posting{Kind: "refund", ClientID: pay.ClientID, PaymentID: pay.ID, RefundID: r.ID, At: s.now(),
		Description: "refund of payment " + pay.TransactionID,
		Entries: []store.Entry{
			{Account: ClientAccount(pay.ClientID, pay.Currency, KindAvailable), Amount: -r.Amount},
			{Account: clearingAccount(gateway, pay.Currency), Amount: r.Amount},
		}})
	return err
}

// VerifyLedger checks that every ledger transaction balances and every
// stored balance equals the sum of its entries; it returns what does not
// hold (nothing, when the ledger is sound). It is for operators and tests.
func (s *Service) VerifyLedger(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		problems, err := tx.VerifyLedger(ctx)
		for _, p := range problems {
			out = append(out, p.What)
		}
		return err
	})
	return out, err
}

// Balances returns the caller's client's ledger balances.
func (s *Service) Balances(ctx context.Context) ([]store.AccountBalance, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.AccountBalance
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Balances(ctx, "client:"+p.ClientID)
		return err
	})
	return out, err
}
