package core

import (
	"context"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// CreditInput is an operator's funding of a client's balance: money the
// client sent the platform (a bank transfer to it, say), which the client
// may then pay out.
type CreditInput struct {
	ClientID    string
	Currency    string
	Amount      int64 // minor units
	Description string
	// Reference (the bank transfer's reference, say), when given, makes
	// the credit idempotent: crediting the same reference again changes
	// nothing and answers the first credit.
	Reference string
}

// Credit is the answer of a funding.
type Credit struct {
	ClientID      string
	Currency      string
	Amount        int64
	Reference     string
	TransactionID int64 // the ledger transaction
	Available     int64 // the client's available balance after it
	Pending       int64
	Replayed      bool // the reference had been credited before: nothing changed
}

// funding is the ledger kind of an operator's credit.
const kindFundingPosting = "funding"

// CreditBalance funds a client's available balance from the platform's
// funding account, with a balanced ledger posting: balances are never
// edited. It is for the operator's command line, which has no principal.
func (s *Service) CreditBalance(ctx context.Context, in CreditInput) (*Credit, error) {
	var v pasarela.Validation
	in.ClientID = strings.TrimSpace(in.ClientID)
	if in.ClientID == "" {
		v.Add("client", "required", "is required")
	}
	cur, ok := pasarela.LookupCurrency(in.Currency)
	if !ok || cur.Crypto {
		v.Add("currency", "currency", "must be an ISO 4217 currency code such as MXN")
	}
	if in.Amount <= 0 {
		v.Add("amount", "amount", "must be greater than zero")
	}
	checkText(&v, "description", &in.Description, false, 200)
	in.Reference = strings.TrimSpace(in.Reference)
	if in.Reference != "" {
		if err := CheckIdempotencyKey(in.Reference); err != nil || len(in.Reference) > 100 {
			v.Add("reference", "reference", "must be 1 to 100 printable characters without spaces")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.Description == "" {
		in.Description = "funding of the " + cur.Code + " balance"
	}
	out := &Credit{ClientID: in.ClientID, Currency: cur.Code, Amount: in.Amount, Reference: in.Reference}
	credit := func(tx *store.Tx) error {
		if _, err := tx.GetClient(ctx, in.ClientID); err != nil {
			return err
		}
		if in.Reference != "" {
			id, moved, currency, err := tx.PostingByReference(ctx, in.ClientID, kindFundingPosting, in.Reference)
			if err == nil {
				if moved != in.Amount || currency != cur.Code {
					return pasarela.Invalid("reference", "reference_reused",
						"this reference was credited before with another amount or currency; use a new reference for a new credit")
				}
				out.TransactionID, out.Replayed = id, true
				return s.creditBalances(ctx, tx, out)
			}
			if pasarela.ErrorKind(err) != pasarela.KindNotFound {
				return err
			}
		}
		id, err := tx.Post(ctx, store.Posting{Kind: kindFundingPosting, ClientID: in.ClientID, Reference: in.Reference,
			Description: in.Description, At: s.now(),
			Entries: []store.Entry{
				{Account: fundingAccount(cur.Code), Amount: -in.Amount},
				{Account: ClientAccount(in.ClientID, cur.Code, KindAvailable), Amount: in.Amount},
			}})
		if err != nil {
			return err
		}
		out.TransactionID = id
		return s.creditBalances(ctx, tx, out)
	}
	err := s.db.Update(ctx, credit)
	if pasarela.ErrorKind(err) == pasarela.KindConflict && in.Reference != "" {
		// Two credits of one reference raced (PostgreSQL): the loser's
		// write was refused by the reference's unique index, and it now
		// finds the winner's.
		err = s.db.Update(ctx, credit)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) creditBalances(ctx context.Context, tx *store.Tx, c *Credit) error {
	var err error
	if c.Available, err = tx.Balance(ctx, ClientAccount(c.ClientID, c.Currency, KindAvailable)); err != nil {
		return err
	}
	c.Pending, err = tx.Balance(ctx, ClientAccount(c.ClientID, c.Currency, KindPending))
	return err
}

// fundingAccount is where operators' credits come from: it goes negative by
// what clients have been funded with.
func fundingAccount(currency string) store.Account {
	return store.Account{Owner: PlatformOwner, Currency: currency, Kind: KindFunding}
}
