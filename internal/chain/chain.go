// Package chain is the seam between the core and the blockchains crypto
// deposits are paid on. A deposit is paid to a fresh address derived from
// the merchant's own extended public key (the gateway never holds a private
// key); a Watcher tells what a chain shows about those addresses now. The
// sandbox chain (package sandbox) and a real node behind JSON-RPC implement
// the same Watcher, so the core never knows which one it talks to.
package chain

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Payment is one transaction output paying a watched address, as the chain
// shows it now.
type Payment struct {
	TxID    string
	Vout    int
	Address string
	// Amount is in the currency's unit (BTC, not satoshi), exact.
	Amount decimal.Decimal
	// Confirmations is 0 while the transaction waits in the mempool, then
	// the number of blocks of the best chain from the one holding it to
	// the tip, that block included.
	Confirmations int
	// Replaceable says the transaction signals replace-by-fee (BIP 125): a
	// payment that is not yet in a block may still be replaced by one that
	// pays someone else.
	Replaceable bool
}

// Watcher reports what one chain backend shows about deposit addresses.
type Watcher interface {
	// Name is the backend's name, as a crypto gateway config's "chain"
	// option names it ("sandbox", "rpc").
	Name() string
	// Supports reports whether the backend watches a currency's chain.
	Supports(currency string) bool
	// Payments returns every output paying any of addresses that the
	// chain shows now: in the mempool or in a block of the best chain. An
	// output that left (its block was orphaned and the transaction
	// dropped, or it was replaced) is no longer returned. An error means
	// the chain could not be read; the deposits keep their state.
	Payments(ctx context.Context, currency string, addresses []string) ([]Payment, error)
}

// Health is how a chain backend's node fared at its last look: whether it
// answered, and how many blocks the watcher is behind the node's tip.
type Health struct {
	// Name names the node ("rpc http://127.0.0.1:8332") and Currency the
	// chain watched on it.
	Name     string
	Currency string
	// Reachable is false when the last look failed; Err says why (no
	// credentials in it).
	Reachable bool
	Err       string
	// Tip is the node's best height; Processed the last block the
	// watcher processed; Lag their difference.
	Tip, Processed, Lag int64
	// CheckedAt is when the node was last asked.
	CheckedAt time.Time
}
