package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store"
)

// EVMName is the name a crypto config's "chain" option gives an Ethereum
// node (geth, or any node with Ethereum's JSON-RPC).
const EVMName = crypto.ChainEVM

// evmSource is an Ethereum node. It reads blocks with eth_blockNumber and
// eth_getBlockByNumber (transactions included) and matches native
// transfers by their recipient; it shows no mempool (a transfer counts
// once in a block). Token transfers (ERC-20 logs) are not read.
type evmSource struct {
	c *Client
}

// evmBlock is the part of eth_getBlockByNumber's answer read.
type evmBlock struct {
	Hash       string `json:"hash"`
	ParentHash string `json:"parentHash"`
	Number     string `json:"number"`
	// Transactions are ids, or objects when asked for in full.
	Transactions json.RawMessage `json:"transactions"`
}

// evmTx is the part of a transaction object read.
type evmTx struct {
	Hash  string  `json:"hash"`
	To    *string `json:"to"`
	Value string  `json:"value"`
}

func (e evmSource) matcher(addresses []string) matcher {
	m := make(matcher, len(addresses))
	for _, a := range addresses {
		m[strings.ToLower(a)] = a
	}
	return m
}

func (e evmSource) tip(ctx context.Context) (int64, error) {
	var hex string
	if err := e.c.Call(ctx, "eth_blockNumber", &hex); err != nil {
		return 0, err
	}
	return parseQuantity(hex)
}

func (e evmSource) getBlock(ctx context.Context, height int64, full bool) (*evmBlock, error) {
	var b *evmBlock
	if err := e.c.Call(ctx, "eth_getBlockByNumber", &b, "0x"+strconv.FormatInt(height, 16), full); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, &Error{Code: errNotFound, Message: fmt.Sprintf("no block at height %d", height)}
	}
	if n, err := parseQuantity(b.Number); err != nil || n != height {
		return nil, fmt.Errorf("node eth_getBlockByNumber %d: the block's number is %q", height, b.Number)
	}
	return b, nil
}

func (e evmSource) blockHash(ctx context.Context, height int64) (string, error) {
	b, err := e.getBlock(ctx, height, false)
	if err != nil {
		return "", err
	}
	return strings.ToLower(b.Hash), nil
}

func (e evmSource) block(ctx context.Context, height int64, hash string, m matcher) (string, []store.ChainOutput, error) {
	b, err := e.getBlock(ctx, height, true)
	if err != nil {
		return "", nil, err
	}
	if strings.ToLower(b.Hash) != hash {
		// Replaced since its hash was read: the look stops at the
		// parent check of the next block, or the next look finds it.
		return "", nil, fmt.Errorf("node eth_getBlockByNumber %d: the block changed under the look", height)
	}
	var txs []evmTx
	if err := json.Unmarshal(b.Transactions, &txs); err != nil {
		return "", nil, fmt.Errorf("node eth_getBlockByNumber %d: transactions: %w", height, err)
	}
	var outs []store.ChainOutput
	for _, tx := range txs {
		if tx.To == nil {
			continue // a contract creation
		}
		addr, ok := m[strings.ToLower(*tx.To)]
		if !ok {
			continue
		}
		wei, ok := new(big.Int).SetString(strings.TrimPrefix(tx.Value, "0x"), 16)
		if !ok || wei.Sign() <= 0 {
			continue
		}
		outs = append(outs, store.ChainOutput{TxID: strings.ToLower(tx.Hash), Vout: 0, Address: addr,
			Amount: decimal.NewFromBigInt(wei, -18)})
	}
	return strings.ToLower(b.ParentHash), outs, nil
}

func (e evmSource) mempool(context.Context) ([]string, error) { return nil, nil }

func (e evmSource) mempoolTx(context.Context, string, matcher, map[string]bool) ([]store.ChainOutput, error) {
	return nil, nil
}

// parseQuantity reads an Ethereum JSON-RPC quantity ("0x1b4").
func parseQuantity(s string) (int64, error) {
	if !strings.HasPrefix(s, "0x") || len(s) < 3 || len(s) > 18 {
		return 0, fmt.Errorf("not a quantity: %q", s)
	}
	return strconv.ParseInt(s[2:], 16, 64)
}
