// Package sandbox is a simulated blockchain kept in the gateway's own
// database: an operator (or a test) sends coins to a deposit address and
// mines blocks, and the chain reports those payments through the same
// chain.Watcher a real node does. Crypto deposits thus work end to end
// with no node and no outside network, as the sandbox card processor does
// for card payments. Every gateway node sharing the database sees one
// chain, and it survives restarts.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/store"
)

// MaxBlocks is the most blocks one Mine call mines: enough to confirm any
// deposit at once, few enough that a mistyped count cannot fill the
// database.
const MaxBlocks = 1000

// mineAttempts bounds the retries of a Mine that lost a race: on
// PostgreSQL two concurrent calls may build on the same tip, and the
// second fails on the blocks' primary key.
const mineAttempts = 10

// Chain is the sandbox chain. It is safe for concurrent use.
type Chain struct {
	db  store.DB
	now func() time.Time
}

// New returns the sandbox chain kept in db; now stamps outputs and blocks.
func New(db store.DB, now func() time.Time) *Chain {
	return &Chain{db: db, now: now}
}

var _ chain.Watcher = (*Chain)(nil)

// Name is the name a crypto gateway config's "chain" option gives the
// sandbox chain.
func (c *Chain) Name() string { return "sandbox" }

// Supports reports whether the sandbox simulates the currency's chain: every
// currency whose addresses package chain derives and validates.
func (c *Chain) Supports(currency string) bool {
	return slices.Contains(chain.Currencies(), strings.ToUpper(currency))
}

// Send puts a transaction paying amount to address into the currency's
// mempool and returns its id (random, 32 bytes in hex; the output is vout
// 0). address must be an address of currency on network, and amount
// positive with no more decimals than the currency has (8 for BTC, 18 for
// ETH): a real chain cannot carry a smaller unit. The address is kept in
// its canonical spelling (chain.CanonicalAddress), the one deposits are
// derived in. Errors are *pasarela.Error naming the field.
func (c *Chain) Send(ctx context.Context, currency, network, address string, amount decimal.Decimal) (string, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !c.Supports(currency) {
		return "", pasarela.Invalid("currency", "currency_unsupported",
			"the sandbox chain supports "+strings.Join(chain.Currencies(), ", "))
	}
	switch network {
	case chain.Mainnet, chain.Testnet, chain.Regtest:
	default:
		return "", pasarela.Invalid("network", "network", "must be mainnet, testnet or regtest")
	}
	canonical, ok := chain.CanonicalAddress(currency, network, address)
	if !ok {
		return "", pasarela.Invalid("address", "address", "is not a "+currency+" "+network+" address")
	}
	cur, _ := pasarela.LookupCurrency(currency)
	if !amount.IsPositive() {
		return "", pasarela.Invalid("amount", "amount", "must be greater than zero")
	}
	if !amount.Equal(amount.Truncate(cur.Scale)) {
		return "", pasarela.Invalid("amount", "amount_precision",
			fmt.Sprintf("%s has at most %d decimals", currency, cur.Scale))
	}
	var id [32]byte
	rand.Read(id[:])
	out := &store.SandboxOutput{Currency: currency, TxID: hex.EncodeToString(id[:]), Vout: 0, Address: canonical,
		Amount: amount, CreatedAt: c.now()}
	if err := c.db.Update(ctx, func(tx *store.Tx) error { return tx.InsertSandboxOutput(ctx, out) }); err != nil {
		return "", err
	}
	return out.TxID, nil
}

// Mine mines blocks blocks (1 to MaxBlocks) of the currency's chain: the
// first holds every transaction of its mempool. It returns the new tip's
// height.
func (c *Chain) Mine(ctx context.Context, currency string, blocks int) (int64, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !c.Supports(currency) {
		return 0, pasarela.Invalid("currency", "currency_unsupported",
			"the sandbox chain supports "+strings.Join(chain.Currencies(), ", "))
	}
	if blocks < 1 || blocks > MaxBlocks {
		return 0, pasarela.Invalid("blocks", "blocks", fmt.Sprintf("must be from 1 to %d", MaxBlocks))
	}
	var tip int64
	var err error
	for range mineAttempts {
		err = c.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			tip, err = tx.MineSandboxBlocks(ctx, currency, blocks, c.now())
			return err
		})
		var e *pasarela.Error
		if !errors.As(err, &e) || e.Kind != pasarela.KindConflict {
			break
		}
	}
	return tip, err
}

// Payments returns every output of the currency's sandbox chain paying any
// of addresses, oldest first: with 0 confirmations while in the mempool,
// then tip − height + 1. Sandbox transactions never signal
// replace-by-fee, and blocks are never orphaned.
func (c *Chain) Payments(ctx context.Context, currency string, addresses []string) ([]chain.Payment, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !c.Supports(currency) {
		return nil, pasarela.Invalid("currency", "currency_unsupported",
			"the sandbox chain supports "+strings.Join(chain.Currencies(), ", "))
	}
	if len(addresses) == 0 {
		return nil, nil
	}
	var tip int64
	var outs []store.SandboxOutput
	// One View: the tip and the outputs come from one snapshot, so an
	// output is never counted in a block newer than the tip read.
	err := c.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if tip, err = tx.SandboxTip(ctx, currency); err != nil {
			return err
		}
		outs, err = tx.SandboxOutputs(ctx, currency, addresses)
		return err
	})
	if err != nil {
		return nil, err
	}
	payments := make([]chain.Payment, len(outs))
	for i, o := range outs {
		confirmations := 0
		if o.Height > 0 {
			confirmations = int(tip - o.Height + 1)
		}
		payments[i] = chain.Payment{TxID: o.TxID, Vout: o.Vout, Address: o.Address, Amount: o.Amount,
			Confirmations: confirmations}
	}
	return payments, nil
}
