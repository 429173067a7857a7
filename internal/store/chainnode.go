package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// What a real chain's watcher (package chain/rpc) remembers of a node: the
// blocks it processed and the outputs it saw paying deposit addresses, per
// node and currency (tables chain_blocks and chain_outputs). Each block is
// recorded with its outputs in one transaction, so a watcher that stops
// between two blocks resumes after the last one recorded, and an output is
// never counted twice: (node, currency, txid, vout) is its key.

// ChainOutput is one output paying a deposit address, as a node showed it.
type ChainOutput struct {
	Node     string
	Currency string
	TxID     string
	Vout     int
	Address  string
	// Amount is in the currency's unit (BTC, not satoshi), exact.
	Amount decimal.Decimal
	// Height is the block holding the output, 0 while in the mempool;
	// BlockHash is that block's hash ("" in the mempool).
	Height    int64
	BlockHash string
	// Replaceable is whether the mempool transaction may still be
	// replaced (BIP125); false once mined.
	Replaceable bool
	SeenAt      time.Time
}

// ChainBlock is a processed block.
type ChainBlock struct {
	Height int64
	Hash   string
}

// ChainTip returns the highest block processed of a node's chain, and
// false when none was.
func (tx *Tx) ChainTip(ctx context.Context, node, currency string) (ChainBlock, bool, error) {
	var b ChainBlock
	err := tx.q.QueryRowContext(ctx, `SELECT height, hash FROM chain_blocks WHERE node = $1 AND currency = $2
		ORDER BY height DESC LIMIT 1`, node, currency).Scan(&b.Height, &b.Hash)
	if err == sql.ErrNoRows {
		return ChainBlock{}, false, nil
	}
	if err != nil {
		return ChainBlock{}, false, tx.d.Translate(err)
	}
	return b, true, nil
}

// ChainBlocks returns the processed blocks of a node's chain from height
// from on, highest first.
func (tx *Tx) ChainBlocks(ctx context.Context, node, currency string, from int64) ([]ChainBlock, error) {
	rows, err := tx.query(ctx, `SELECT height, hash FROM chain_blocks WHERE node = $1 AND currency = $2 AND height >= $3
		ORDER BY height DESC`, node, currency, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChainBlock
	for rows.Next() {
		var b ChainBlock
		if err := rows.Scan(&b.Height, &b.Hash); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, tx.d.Translate(rows.Err())
}

// RecordChainBlock records a processed block and the outputs in it paying
// deposit addresses: an output already seen in the mempool is moved into
// the block. A block already recorded at that height is a conflict (another
// gateway node processed it first).
func (tx *Tx) RecordChainBlock(ctx context.Context, node, currency string, b ChainBlock, at time.Time, outs []ChainOutput) error {
	if _, err := tx.exec(ctx, `INSERT INTO chain_blocks (node, currency, height, hash, processed_at) VALUES ($1, $2, $3, $4, $5)`,
		node, currency, b.Height, b.Hash, micros(at)); err != nil {
		return err
	}
	for _, o := range outs {
		if _, err := tx.exec(ctx, `INSERT INTO chain_outputs
			(node, currency, txid, vout, address, amount, height, block_hash, replaceable, seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, $9)
			ON CONFLICT (node, currency, txid, vout) DO UPDATE SET height = excluded.height,
				block_hash = excluded.block_hash, replaceable = FALSE`,
			node, currency, o.TxID, o.Vout, o.Address, o.Amount.String(), b.Height, b.Hash, micros(at)); err != nil {
			return err
		}
	}
	return nil
}

// UndoChainBlocks forgets the processed blocks from height from on (they
// were orphaned by a reorganization) and the outputs they held: a
// transaction that returns to the mempool is seen there again.
func (tx *Tx) UndoChainBlocks(ctx context.Context, node, currency string, from int64) error {
	if from < 1 {
		return fmt.Errorf("store: undoing chain blocks from height %d", from)
	}
	if _, err := tx.exec(ctx, `DELETE FROM chain_outputs WHERE node = $1 AND currency = $2 AND height >= $3`,
		node, currency, from); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM chain_blocks WHERE node = $1 AND currency = $2 AND height >= $3`, node, currency, from)
	return err
}

// PruneChainBlocks forgets processed blocks below height below: deeper
// than any reorganization the watcher follows. Their outputs stay.
func (tx *Tx) PruneChainBlocks(ctx context.Context, node, currency string, below int64) error {
	_, err := tx.exec(ctx, `DELETE FROM chain_blocks WHERE node = $1 AND currency = $2 AND height < $3`, node, currency, below)
	return err
}

// AddMempoolOutputs records outputs seen in the node's mempool; an output
// already known (in the mempool or in a block) is left as it is.
func (tx *Tx) AddMempoolOutputs(ctx context.Context, node, currency string, at time.Time, outs []ChainOutput) error {
	for _, o := range outs {
		if _, err := tx.exec(ctx, `INSERT INTO chain_outputs
			(node, currency, txid, vout, address, amount, height, block_hash, replaceable, seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, '', $7, $8) ON CONFLICT (node, currency, txid, vout) DO NOTHING`,
			node, currency, o.TxID, o.Vout, o.Address, o.Amount.String(), o.Replaceable, micros(at)); err != nil {
			return err
		}
	}
	return nil
}

// MempoolTxIDs returns the transactions whose outputs were last seen in the
// node's mempool.
func (tx *Tx) MempoolTxIDs(ctx context.Context, node, currency string) ([]string, error) {
	rows, err := tx.query(ctx, `SELECT DISTINCT txid FROM chain_outputs WHERE node = $1 AND currency = $2 AND height = 0`,
		node, currency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, tx.d.Translate(rows.Err())
}

// DropMempoolTx forgets the mempool outputs of a transaction that left the
// mempool unmined (replaced or evicted).
func (tx *Tx) DropMempoolTx(ctx context.Context, node, currency, txid string) error {
	_, err := tx.exec(ctx, `DELETE FROM chain_outputs WHERE node = $1 AND currency = $2 AND txid = $3 AND height = 0`,
		node, currency, txid)
	return err
}

// ChainOutputs returns the outputs of a node's chain paying any of
// addresses, in the mempool or in a block, in no particular order.
func (tx *Tx) ChainOutputs(ctx context.Context, node, currency string, addresses []string) ([]ChainOutput, error) {
	var out []ChainOutput
	err := tx.byAddresses(ctx, args{node, currency}, addresses, func(in string) string {
		return `SELECT node, currency, txid, vout, address, amount, height, block_hash, replaceable, seen_at
			FROM chain_outputs WHERE node = $1 AND currency = $2 AND address IN (` + in + `)`
	}, func(scan func(...any) error) error {
		var o ChainOutput
		var amount string
		var seen int64
		if err := scan(&o.Node, &o.Currency, &o.TxID, &o.Vout, &o.Address, &amount, &o.Height, &o.BlockHash,
			&o.Replaceable, &seen); err != nil {
			return err
		}
		var err error
		if o.Amount, err = decimal.NewFromString(amount); err != nil {
			return fmt.Errorf("chain output %s:%d: stored amount %q: %w", o.TxID, o.Vout, amount, err)
		}
		o.SeenAt = fromMicros(seen)
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
