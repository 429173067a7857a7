package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The sandbox chain's ledger: simulated transaction outputs and blocks, per
// currency, in the gateway's own database so that every node of a cluster
// sees one chain and it survives restarts. Height 0 is the mempool; blocks
// start at height 1. The chain holds no reorganizations: a block, once
// mined, stays.

// SandboxOutput is one simulated transaction output.
type SandboxOutput struct {
	// ID is the row's id, set by SandboxOutputs: outputs are numbered in
	// the order they were sent.
	ID       int64
	Currency string
	TxID     string
	Vout     int
	Address  string
	// Amount is in the currency's unit (BTC, not satoshi), exact.
	Amount decimal.Decimal
	// Height is the block holding the output, 0 while in the mempool.
	Height    int64
	CreatedAt time.Time
}

// sandboxAddressBatch is how many addresses one query of outputs (the
// sandbox chain's and a node's) names: far below SQLite's limit of 32766 parameters and PostgreSQL's
// 65535, while a watcher polling thousands of open deposits needs few
// round trips.
const sandboxAddressBatch = 500

// byAddresses runs a query over addresses in batches of
// sandboxAddressBatch: query gets the batch's placeholders (after those of
// a, the arguments before the list) and row is called with each row's scan.
func (tx *Tx) byAddresses(ctx context.Context, a args, addresses []string, query func(in string) string, row func(scan func(...any) error) error) error {
	for start := 0; start < len(addresses); start += sandboxAddressBatch {
		chunk := addresses[start:min(start+sandboxAddressBatch, len(addresses))]
		b := append(args(nil), a...)
		ph := make([]string, len(chunk))
		for i, addr := range chunk {
			ph[i] = b.add(addr)
		}
		rows, err := tx.query(ctx, query(strings.Join(ph, ", ")), b...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := row(rows.Scan); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return tx.d.Translate(err)
		}
	}
	return nil
}

// sandboxBlockBatch is how many block rows one INSERT writes (4 parameters
// each).
const sandboxBlockBatch = 250

// InsertSandboxOutput adds an output to the sandbox chain, at o.Height
// (0: the mempool). A transaction id and output index already used in the
// currency is a conflict.
func (tx *Tx) InsertSandboxOutput(ctx context.Context, o *SandboxOutput) error {
	_, err := tx.exec(ctx, `INSERT INTO sandbox_chain_outputs
		(currency, txid, vout, address, amount, height, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		o.Currency, o.TxID, o.Vout, o.Address, o.Amount.String(), o.Height, micros(o.CreatedAt))
	return err
}

// SandboxTip returns the height of the currency's last block, 0 when none
// has been mined.
func (tx *Tx) SandboxTip(ctx context.Context, currency string) (int64, error) {
	var tip sql.NullInt64
	if err := tx.q.QueryRowContext(ctx, `SELECT MAX(height) FROM sandbox_chain_blocks WHERE currency = $1`,
		currency).Scan(&tip); err != nil {
		return 0, tx.d.Translate(err)
	}
	return tip.Int64, nil
}

// MineSandboxBlocks mines n blocks of the currency at time at: every output
// waiting in the mempool goes into the first of them, the others are
// empty. Each block's hash is a SHA-256 over the previous block's hash, its
// height and the sorted ids of its transactions, so the chain reads like a
// real one and a test can tell blocks apart. It returns the new tip.
//
// On PostgreSQL two concurrent calls may build on the same tip; the second
// then fails on the blocks' primary key with a conflict, and may be
// retried.
func (tx *Tx) MineSandboxBlocks(ctx context.Context, currency string, n int, at time.Time) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("store: mining %d sandbox blocks", n)
	}
	tip, err := tx.SandboxTip(ctx, currency)
	if err != nil {
		return 0, err
	}
	prev := make([]byte, sha256.Size)
	if tip > 0 {
		var h string
		if err := tx.q.QueryRowContext(ctx, `SELECT hash FROM sandbox_chain_blocks WHERE currency = $1 AND height = $2`,
			currency, tip).Scan(&h); err != nil {
			return 0, tx.d.Translate(err)
		}
		if prev, err = hex.DecodeString(h); err != nil {
			return 0, fmt.Errorf("sandbox block %s %d: stored hash %q: %w", currency, tip, h, err)
		}
	}
	// RETURNING names exactly the outputs moved, so an output a
	// concurrent transaction adds to the mempool meanwhile is either in
	// the block and in its hash, or in neither.
	rows, err := tx.query(ctx, `UPDATE sandbox_chain_outputs SET height = $1 WHERE currency = $2 AND height = 0
		RETURNING txid`, tip+1, currency)
	if err != nil {
		return 0, err
	}
	var txids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		txids = append(txids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, tx.d.Translate(err)
	}
	slices.Sort(txids)
	txids = slices.Compact(txids)

	for start := 1; start <= n; start += sandboxBlockBatch {
		end := min(start+sandboxBlockBatch-1, n)
		var a args
		var b strings.Builder
		b.WriteString(`INSERT INTO sandbox_chain_blocks (currency, height, hash, mined_at) VALUES `)
		for i := start; i <= end; i++ {
			height := tip + int64(i)
			h := sha256.New()
			h.Write(prev)
			h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
			if i == 1 {
				for _, id := range txids {
					h.Write([]byte(id))
				}
			}
			prev = h.Sum(nil)
			if i > start {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %s)", a.add(currency), a.add(height), a.add(hex.EncodeToString(prev)),
				a.add(micros(at)))
		}
		if _, err := tx.exec(ctx, b.String(), a...); err != nil {
			return 0, err
		}
	}
	return tip + int64(n), nil
}

// SandboxBlockHash returns the hash of the currency's block at height, or
// a not-found error.
func (tx *Tx) SandboxBlockHash(ctx context.Context, currency string, height int64) (string, error) {
	var h string
	err := tx.scanRow(tx.q.QueryRowContext(ctx,
		`SELECT hash FROM sandbox_chain_blocks WHERE currency = $1 AND height = $2`, currency, height),
		"sandbox block", func(scan func(...any) error) error { return scan(&h) })
	return h, err
}

// SandboxOutputs returns every output of the currency paying any of
// addresses, mined or in the mempool, oldest first.
func (tx *Tx) SandboxOutputs(ctx context.Context, currency string, addresses []string) ([]SandboxOutput, error) {
	var out []SandboxOutput
	err := tx.byAddresses(ctx, args{currency}, addresses, func(in string) string {
		return `SELECT id, currency, txid, vout, address, amount, height, created_at
			FROM sandbox_chain_outputs WHERE currency = $1 AND address IN (` + in + `) ORDER BY id`
	}, func(scan func(...any) error) error {
		var o SandboxOutput
		var amount string
		var created int64
		if err := scan(&o.ID, &o.Currency, &o.TxID, &o.Vout, &o.Address, &amount, &o.Height, &created); err != nil {
			return err
		}
		var err error
		if o.Amount, err = decimal.NewFromString(amount); err != nil {
			return fmt.Errorf("sandbox output %s:%d: stored amount %q: %w", o.TxID, o.Vout, amount, err)
		}
		o.CreatedAt = fromMicros(created)
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Each chunk comes in insertion order; the whole list must too.
	if len(addresses) > sandboxAddressBatch {
		slices.SortFunc(out, func(x, y SandboxOutput) int { return cmp.Compare(x.ID, y.ID) })
	}
	return out, nil
}
