// Package rpc watches crypto deposits on a Bitcoin node the merchant
// trusts, bitcoind or btcd, through the few JSON-RPC calls both answer
// alike: getblockcount, getblockhash, getblock (raw), getrawmempool and
// getrawtransaction (raw). It needs no wallet in the node and no address
// index: it reads every block once, in order, and matches each output's
// script against the scripts of the addresses the gateway issued. What it
// processed and saw is kept in the gateway's database (store.ChainOutput),
// so that a restart resumes from the last block with no gap and no double
// count, and a reorganization is found by comparing the hashes kept with
// the node's.
package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/wire"
)

// maxAnswer bounds one answer: a raw block of 4 MB weight is at most 4 MB,
// twice that in hex.
const maxAnswer = 16 << 20

// Client calls a node's JSON-RPC interface over HTTP with basic auth. It is
// safe for concurrent use.
type Client struct {
	url, user, password string
	hc                  *http.Client
	id                  atomic.Int64
}

// NewClient returns a client of the node at url; hc carries the calls (its
// transport decides which addresses may be reached; nil: a plain client).
func NewClient(url, user, password string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{url: url, user: user, password: password, hc: hc}
}

// Error is an error the node answered.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("node: %s (code %d)", e.Message, e.Code) }

// errNotFound is the code bitcoind and btcd answer for a transaction or
// block they do not have (RPC_INVALID_ADDRESS_OR_KEY).
const errNotFound = -5

// IsNotFound reports whether err is the node saying it has no such
// transaction or block.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == errNotFound
}

// Call calls method with params and decodes the result into out.
func (c *Client) Call(ctx context.Context, method string, out any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "1.0", "id": c.id.Add(1), "method": method, "params": params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("node %s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("node %s: %w", method, err)
	}
	return decodeAnswer(method, resp.StatusCode, raw, out)
}

// decodeAnswer reads a node's answer to method: its result into out, or
// the error it carries.
func decodeAnswer(method string, status int, raw []byte, out any) error {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return fmt.Errorf("node %s: the node refused the credentials (HTTP %d)", method, status)
	}
	// bitcoind answers an RPC error with HTTP 500 (or 404) and a JSON
	// body; btcd with 200. Both carry the error in the body.
	var answer struct {
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("node %s: HTTP %d, not a JSON-RPC answer", method, status)
	}
	if answer.Error != nil {
		return answer.Error
	}
	if status != http.StatusOK {
		return fmt.Errorf("node %s: HTTP %d", method, status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer.Result, out); err != nil {
		return fmt.Errorf("node %s: %w", method, err)
	}
	return nil
}

// BlockCount returns the height of the node's best chain.
func (c *Client) BlockCount(ctx context.Context) (int64, error) {
	var n int64
	err := c.Call(ctx, "getblockcount", &n)
	return n, err
}

// BlockHash returns the hash of the best chain's block at height.
func (c *Client) BlockHash(ctx context.Context, height int64) (string, error) {
	var h string
	err := c.Call(ctx, "getblockhash", &h, height)
	return h, err
}

// Block returns a block, decoded from its raw serialization (verbosity 0).
func (c *Client) Block(ctx context.Context, hash string) (*wire.MsgBlock, error) {
	var text string
	if err := c.Call(ctx, "getblock", &text, hash, 0); err != nil {
		return nil, err
	}
	return decodeBlock(hash, text)
}

// decodeBlock decodes a raw block in hex and checks that its hash is the
// one asked for.
func decodeBlock(hash, text string) (*wire.MsgBlock, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("node getblock %s: %w", hash, err)
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("node getblock %s: %w", hash, err)
	}
	if got := b.BlockHash().String(); got != hash {
		return nil, fmt.Errorf("node getblock %s: the block's hash is %s", hash, got)
	}
	return &b, nil
}

// RawMempool returns the ids of the transactions in the node's mempool.
func (c *Client) RawMempool(ctx context.Context) ([]string, error) {
	var ids []string
	err := c.Call(ctx, "getrawmempool", &ids)
	return ids, err
}

// RawTransaction returns a mempool transaction, decoded from its raw
// serialization; a transaction the node does not have is IsNotFound.
func (c *Client) RawTransaction(ctx context.Context, txid string) (*wire.MsgTx, error) {
	var text string
	if err := c.Call(ctx, "getrawtransaction", &text, txid, 0); err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("node getrawtransaction %s: %w", txid, err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("node getrawtransaction %s: %w", txid, err)
	}
	return &tx, nil
}

// defaultTimeout bounds one call: a raw block of a few MB over a local
// link takes well under a second.
const defaultTimeout = 30 * time.Second
