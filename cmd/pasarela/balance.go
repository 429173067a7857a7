package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// BalanceCreditCommand is `pasarela balance credit`: it funds a client's
// balance with a ledger posting from the platform's funding account.
type BalanceCreditCommand struct {
	operator
	clientID, currency, amount, reference, description string
	asJSON                                             bool
}

// ParseFlags reads the credit; --client and --amount are required.
func (c *BalanceCreditCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("balance credit", environ)
	if err != nil {
		return err
	}
	clientFlag(fs, &c.clientID)
	fs.StringVar(&c.currency, "currency", "MXN", "ISO 4217 currency of the balance")
	fs.StringVar(&c.amount, "amount", "", "amount in major units, like 1000.00")
	fs.StringVar(&c.reference, "reference", "", "the funding's reference (a bank transfer's, say): crediting it again changes nothing")
	fs.StringVar(&c.description, "description", "", "what the funding is, for the ledger")
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.clientID == "" || c.amount == "" {
		return errors.New("balance credit: --client and --amount are required")
	}
	return nil
}

// balanceOut is the --json shape of `balance credit`: the client and its
// balance in the credited currency after the credit.
type balanceOut struct {
	Client  *clientRef  `json:"client"`
	Balance *balanceRef `json:"balance"`
}

type clientRef struct {
	ID string `json:"id"`
}

type balanceRef struct {
	Currency      string `json:"currency"`
	Credited      string `json:"credited"`
	Available     string `json:"available"`
	Pending       string `json:"pending"`
	Reference     string `json:"reference,omitempty"`
	TransactionID int64  `json:"transactionId"`
	Replayed      bool   `json:"replayed"`
}

// Run credits the balance and prints it after the credit.
func (c *BalanceCreditCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error { return c.credit(ctx, svc) })
}

func (b *BalanceCreditCommand) credit(ctx context.Context, svc *core.Service) error {
	cur, ok := pasarela.LookupCurrency(b.currency)
	if !ok || cur.Crypto {
		return fmt.Errorf("balance credit: --currency %q must be an ISO 4217 currency code such as MXN", b.currency)
	}
	amount, err := pasarela.ParseMajor("amount", b.amount, cur)
	if err != nil {
		return fmt.Errorf("balance credit: --%w", err)
	}
	c, err := svc.CreditBalance(ctx, core.CreditInput{ClientID: b.clientID, Currency: cur.Code, Amount: amount,
		Description: b.description, Reference: b.reference})
	if err != nil {
		return fmt.Errorf("balance credit: %w", err)
	}
	if b.asJSON {
		return b.printJSON(balanceOut{Client: &clientRef{ID: c.ClientID}, Balance: &balanceRef{Currency: c.Currency,
			Credited: pasarela.FormatMajor(c.Amount, cur), Available: pasarela.FormatMajor(c.Available, cur),
			Pending: pasarela.FormatMajor(c.Pending, cur), Reference: c.Reference, TransactionID: c.TransactionID,
			Replayed: c.Replayed}})
	}
	if c.Replayed {
		fmt.Fprintf(b.stdout, "reference %s was credited before (ledger transaction %d); nothing changed\n", c.Reference, c.TransactionID)
	} else {
		fmt.Fprintf(b.stdout, "credited %s %s to client %s (ledger transaction %d)\n", pasarela.FormatMajor(c.Amount, cur), c.Currency,
			c.ClientID, c.TransactionID)
	}
	fmt.Fprintf(b.stdout, "available %s %s, pending %s %s\n", pasarela.FormatMajor(c.Available, cur), c.Currency,
		pasarela.FormatMajor(c.Pending, cur), c.Currency)
	return nil
}
