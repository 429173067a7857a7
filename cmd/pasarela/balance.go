package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/store"
)

// creditArgs are the arguments of `balance credit`.
type creditArgs struct {
	currency, amount, reference, description string
}

func (m *Main) balanceFlags(fs *flag.FlagSet) {
	fs.StringVar(&m.clientID, "client", "", "the client's id")
	fs.StringVar(&m.credit.currency, "currency", "MXN", "ISO 4217 currency of the balance")
	fs.StringVar(&m.credit.amount, "amount", "", "amount in major units, like 1000.00")
	fs.StringVar(&m.credit.reference, "reference", "", "the funding's reference (a bank transfer's, say): crediting it again changes nothing")
	fs.StringVar(&m.credit.description, "description", "", "what the funding is, for the ledger")
	fs.BoolVar(&m.asJSON, "json", false, "print one JSON object")
}

func (m *Main) checkBalanceFlags() error {
	if m.clientID == "" || m.credit.amount == "" {
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

// creditBalance funds a client's balance with a ledger posting from the
// platform's funding account.
func (m *Main) creditBalance(ctx context.Context) error {
	cur, ok := pasarela.LookupCurrency(m.credit.currency)
	if !ok || cur.Crypto {
		return fmt.Errorf("balance credit: --currency %q must be an ISO 4217 currency code such as MXN", m.credit.currency)
	}
	amount, err := pasarela.ParseMajor("amount", m.credit.amount, cur)
	if err != nil {
		return fmt.Errorf("balance credit: --%w", err)
	}
	c, err := m.svc.CreditBalance(ctx, core.CreditInput{ClientID: m.clientID, Currency: cur.Code, Amount: amount,
		Description: m.credit.description, Reference: m.credit.reference})
	if err != nil {
		return fmt.Errorf("balance credit: %w", err)
	}
	if m.asJSON {
		return m.printJSON(balanceOut{Client: &clientRef{ID: c.ClientID}, Balance: &balanceRef{Currency: c.Currency,
			Credited: pasarela.FormatMajor(c.Amount, cur), Available: pasarela.FormatMajor(c.Available, cur),
			Pending: pasarela.FormatMajor(c.Pending, cur), Reference: c.Reference, TransactionID: c.TransactionID,
			Replayed: c.Replayed}})
	}
	if c.Replayed {
		fmt.Fprintf(m.stdout, "reference %s was credited before (ledger transaction %d); nothing changed\n", c.Reference, c.TransactionID)
	} else {
		fmt.Fprintf(m.stdout, "credited %s %s to client %s (ledger transaction %d)\n", pasarela.FormatMajor(c.Amount, cur), c.Currency,
			c.ClientID, c.TransactionID)
	}
	fmt.Fprintf(m.stdout, "available %s %s, pending %s %s\n", pasarela.FormatMajor(c.Available, cur), c.Currency,
		pasarela.FormatMajor(c.Pending, cur), c.Currency)
	return nil
}

// payoutFlags are serve's payout settings.
func (c *Config) payoutFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.PayoutInterval, "payout-interval", c.PayoutInterval, "how often the payout worker asks the SPEI rail about orders in flight")
	fs.DurationVar(&c.SPEISendAfter, "spei-send-after", c.SPEISendAfter, "simulated SPEI: an order is sent (27) this long after it is queued (26)")
	fs.DurationVar(&c.SPEISettleAfter, "spei-settle-after", c.SPEISettleAfter, "simulated SPEI: a sent order is confirmed (29) or rejected (28) this long after")
	fs.DurationVar(&c.SPEIReturnAfter, "spei-return-after", c.SPEIReturnAfter, "simulated SPEI: an order to be returned (amount ending in .11) is returned (11) this long after confirmation")
	fs.DurationVar(&c.KashpayTokenTTL, "kashpay-token-ttl", c.KashpayTokenTTL, "lifetime of a Kashpay session token")
}

// payoutRail is the SPEI rail payouts travel on: the simulator, keeping its
// orders in the database.
func (c *Config) payoutRail(db store.DB) processor.PayoutRail {
	return spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{Send: c.SPEISendAfter, Settle: c.SPEISettleAfter,
		Return: c.SPEIReturnAfter}, nil)
}
