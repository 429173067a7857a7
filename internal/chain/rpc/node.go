package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/webhook"
)

// Name is the name a crypto config's "chain" option gives this backend.
const Name = crypto.ChainRPC

// Limits of a look at the node.
const (
	// FirstScanDepth is how many blocks below the tip the first look at
	// a node starts from (a day of Bitcoin blocks): deposits created
	// before the node was first reached are found if paid since.
	FirstScanDepth = 144
	// MaxReorgDepth is the deepest reorganization followed; the blocks
	// processed are kept that deep. A deeper one stops the watcher (its
	// deposits keep their state) until an operator looks.
	MaxReorgDepth = 100
	// BlocksPerLook bounds the blocks processed in one look, so that a
	// watcher catching up after hours moves its deposits as it goes.
	BlocksPerLook = 500
)

// params are the address encodings of each network, to turn a deposit
// address into the output script that pays it.
var params = map[string]*chaincfg.Params{
	chain.Mainnet: &chaincfg.MainNetParams,
	chain.Testnet: &chaincfg.TestNet3Params,
	chain.Regtest: &chaincfg.RegressionNetParams,
}

// source is what a kind of node answers: Bitcoin's calls (bitcoind,
// btcd) or Ethereum's (an EVM node). The watcher's bookkeeping (blocks
// processed once, reorganizations undone, the mempool) is the same.
type source interface {
	// matcher prepares the addresses to match outputs against.
	matcher(addresses []string) matcher
	tip(ctx context.Context) (int64, error)
	blockHash(ctx context.Context, height int64) (string, error)
	// block returns the parent's hash and the outputs of the block at
	// height (hash) paying m's addresses.
	block(ctx context.Context, height int64, hash string, m matcher) (prev string, outs []store.ChainOutput, err error)
	// mempool lists the transactions waiting (nil: the source shows no
	// mempool); mempoolTx reads one, IsNotFound when it left.
	mempool(ctx context.Context) ([]string, error)
	mempoolTx(ctx context.Context, id string, m matcher, inPool map[string]bool) ([]store.ChainOutput, error)
}

// matcher maps what pays an address (an output script, an account) to
// the address.
type matcher map[string]string

// Node watches one currency's deposits on one node. It is safe for
// concurrent use; looks at the node are serialized.
type Node struct {
	name     string
	currency string
	src      source
	client   *Client
	db       store.DB
	now      func() time.Time
	log      *slog.Logger

	// mu serializes looks at the node.
	mu sync.Mutex
	// seen are the mempool transactions already read, so that each is
	// fetched once while it waits (a restart reads them again).
	seen map[string]bool
	// healthMu guards health apart from mu, so that /readyz and the
	// metrics never wait for a look in progress.
	healthMu sync.Mutex
	health   chain.Health
}

var _ chain.Watcher = (*Node)(nil)

// NodeName is the name a node's rows and reports go under: "rpc " and its
// URL without credentials, query or fragment.
func NodeName(rawURL string) string { return nodeName(Name, rawURL) }

func nodeName(kind, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return kind + " ?"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return kind + " " + u.String()
}

// Name is the backend's name.
func (n *Node) Name() string { return strings.Fields(n.name)[0] }

// Supports reports whether the node watches a currency: BTC on a Bitcoin
// node, ETH on an EVM node.
func (n *Node) Supports(currency string) bool { return strings.EqualFold(currency, n.currency) }

// Health is how the node fared at its last look.
func (n *Node) Health() chain.Health {
	n.healthMu.Lock()
	defer n.healthMu.Unlock()
	return n.health
}

// report updates the node's health under healthMu.
func (n *Node) report(fn func(h *chain.Health)) {
	n.healthMu.Lock()
	defer n.healthMu.Unlock()
	fn(&n.health)
}

// Payments brings the watcher up to the node's tip (every new block once,
// reorganizations undone, the mempool read) for the scripts of addresses,
// and returns every output paying them that the node shows now. A node
// that cannot be read is an error: the deposits keep their state.
func (n *Node) Payments(ctx context.Context, currency string, addresses []string) ([]chain.Payment, error) {
	if !n.Supports(currency) {
		return nil, pasarela.Invalid("currency", "currency_unsupported", "this node watches "+n.currency+" only")
	}
	currency = n.currency
	n.mu.Lock()
	defer n.mu.Unlock()
	err := n.sync(ctx, currency, addresses)
	n.report(func(h *chain.Health) {
		h.CheckedAt, h.Reachable, h.Err = n.now(), err == nil, ""
		if err != nil {
			h.Err = err.Error()
		}
	})
	if err != nil {
		return nil, err
	}
	var outs []store.ChainOutput
	var tip store.ChainBlock
	err = n.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if tip, _, err = tx.ChainTip(ctx, n.name, currency); err != nil {
			return err
		}
		outs, err = tx.ChainOutputs(ctx, n.name, currency, addresses)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(outs, func(a, b store.ChainOutput) int {
		ha, hb := a.Height, b.Height
		if ha == 0 {
			ha = 1 << 62
		}
		if hb == 0 {
			hb = 1 << 62
		}
		switch {
		case ha != hb:
			return int(min(max(ha-hb, -1), 1))
		case a.TxID != b.TxID:
			return strings.Compare(a.TxID, b.TxID)
		}
		return a.Vout - b.Vout
	})
	payments := make([]chain.Payment, len(outs))
	for i, o := range outs {
		p := chain.Payment{TxID: o.TxID, Vout: o.Vout, Address: o.Address, Amount: o.Amount, Replaceable: o.Replaceable}
		if o.Height > 0 {
			p.Confirmations = int(tip.Height - o.Height + 1)
		}
		payments[i] = p
	}
	return payments, nil
}

// btcSource is a Bitcoin node: bitcoind or btcd.
type btcSource struct {
	c       *Client
	network *chaincfg.Params
}

func (b btcSource) tip(ctx context.Context) (int64, error) { return b.c.BlockCount(ctx) }
func (b btcSource) blockHash(ctx context.Context, h int64) (string, error) {
	return b.c.BlockHash(ctx, h)
}
func (b btcSource) mempool(ctx context.Context) ([]string, error) { return b.c.RawMempool(ctx) }

func (b btcSource) block(ctx context.Context, _ int64, hash string, m matcher) (string, []store.ChainOutput, error) {
	blk, err := b.c.Block(ctx, hash)
	if err != nil {
		return "", nil, err
	}
	var outs []store.ChainOutput
	for _, tx := range blk.Transactions {
		outs = append(outs, match(tx, m)...)
	}
	return blk.Header.PrevBlock.String(), outs, nil
}

func (b btcSource) mempoolTx(ctx context.Context, id string, m matcher, inPool map[string]bool) ([]store.ChainOutput, error) {
	tx, err := b.c.RawTransaction(ctx, id)
	if err != nil {
		return nil, err
	}
	outs := match(tx, m)
	if len(outs) > 0 {
		replaceable := signalsRBF(tx, inPool)
		for i := range outs {
			outs[i].Replaceable = replaceable
		}
	}
	return outs, nil
}

// matcher maps the output script paying each address to the address.
func (b btcSource) matcher(addresses []string) matcher {
	out := make(matcher, len(addresses))
	for _, a := range addresses {
		addr, err := btcutil.DecodeAddress(a, b.network)
		if err != nil || !addr.IsForNet(b.network) {
			continue // not an address of this node's network: nothing here pays it
		}
		script, err := txscript.PayToAddrScript(addr)
		if err != nil {
			continue
		}
		out[string(script)] = a
	}
	return out
}

// match returns the outputs of tx paying any of scripts.
func match(tx *wire.MsgTx, scripts matcher) []store.ChainOutput {
	var out []store.ChainOutput
	for i, o := range tx.TxOut {
		addr, ok := scripts[string(o.PkScript)]
		if !ok {
			continue
		}
		out = append(out, store.ChainOutput{TxID: tx.TxHash().String(), Vout: i, Address: addr,
			Amount: decimal.New(o.Value, -8)})
	}
	return out
}

// sync processes the blocks the node has that the watcher has not, after
// undoing those the node no longer has, then reads its mempool.
func (n *Node) sync(ctx context.Context, currency string, addresses []string) error {
	scripts := n.src.matcher(addresses)
	// The mempool is listed before the tip is read: a transaction mined
	// in between is then in a block this look processes, or still in
	// this list, and never seen as gone.
	mempool, err := n.src.mempool(ctx)
	if err != nil {
		return err
	}
	tip, err := n.src.tip(ctx)
	if err != nil {
		return err
	}
	n.report(func(h *chain.Health) { h.Tip = tip })
	next, prevHash, err := n.resume(ctx, currency, tip)
	if err != nil {
		return err
	}
	last := min(tip, next+BlocksPerLook-1)
	for h := next; h <= last; h++ {
		hash, err := n.src.blockHash(ctx, h)
		if err != nil {
			return err
		}
		prev, outs, err := n.src.block(ctx, h, hash, scripts)
		if err != nil {
			return err
		}
		if prevHash != "" && prev != prevHash {
			// The chain moved under this look (a reorganization):
			// the next look finds the fork.
			last = h - 1
			break
		}
		err = n.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.RecordChainBlock(ctx, n.name, currency, store.ChainBlock{Height: h, Hash: hash}, n.now(), outs); err != nil {
				return err
			}
			if h%MaxReorgDepth == 0 {
				return tx.PruneChainBlocks(ctx, n.name, currency, h-2*MaxReorgDepth)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(outs) > 0 {
			n.log.InfoContext(ctx, "chain: block pays deposits", "node", n.name, "height", h, "block", hash, "outputs", len(outs))
		}
		prevHash = hash
	}
	n.report(func(h *chain.Health) { h.Processed = max(last, next-1); h.Lag = tip - h.Processed })
	return n.readMempool(ctx, currency, mempool, scripts, last == tip)
}

// resume finds where to go on from: the block after the last one processed
// that the node still has in its best chain. Processed blocks the node no
// longer has (a reorganization orphaned them) are undone with the outputs
// they held. It returns the next height and the hash of the block below it
// ("" when unknown).
func (n *Node) resume(ctx context.Context, currency string, tip int64) (int64, string, error) {
	var stored store.ChainBlock
	var ok bool
	var blocks []store.ChainBlock
	err := n.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if stored, ok, err = tx.ChainTip(ctx, n.name, currency); err != nil || !ok {
			return err
		}
		blocks, err = tx.ChainBlocks(ctx, n.name, currency, stored.Height-MaxReorgDepth)
		return err
	})
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return max(1, tip-FirstScanDepth+1), "", nil
	}
	for _, b := range blocks { // highest first
		if b.Height > tip {
			continue // the node's chain is shorter now
		}
		hash, err := n.src.blockHash(ctx, b.Height)
		if err != nil {
			return 0, "", err
		}
		if hash != b.Hash {
			continue
		}
		if b.Height < stored.Height {
			n.log.WarnContext(ctx, "chain: reorganization; orphaned blocks undone", "node", n.name,
				"fork_height", b.Height, "orphaned", stored.Height-b.Height)
			if err := n.db.Update(ctx, func(tx *store.Tx) error {
				return tx.UndoChainBlocks(ctx, n.name, currency, b.Height+1)
			}); err != nil {
				return 0, "", err
			}
		}
		return b.Height + 1, b.Hash, nil
	}
	return 0, "", fmt.Errorf("the node's best chain shares none of the last %d blocks processed (at heights up to %d): "+
		"a reorganization deeper than %d blocks, or another chain; deposits keep their state", len(blocks), stored.Height, MaxReorgDepth)
}

// readMempool records the outputs paying deposits in mempool transactions
// not read yet, and, when the look reached the tip (complete), forgets
// those whose transaction left the mempool unmined: replaced (BIP125) or
// evicted.
func (n *Node) readMempool(ctx context.Context, currency string, mempool []string, scripts matcher, complete bool) error {
	inPool := make(map[string]bool, len(mempool))
	for _, id := range mempool {
		inPool[id] = true
	}
	var fresh []store.ChainOutput
	for _, id := range mempool {
		if n.seen[id] {
			continue
		}
		outs, err := n.src.mempoolTx(ctx, id, scripts, inPool)
		if IsNotFound(err) {
			continue // mined or replaced since the list: the next look sees it
		}
		if err != nil {
			return err
		}
		fresh = append(fresh, outs...)
		n.seen[id] = true
	}
	for id := range n.seen {
		if !inPool[id] {
			delete(n.seen, id)
		}
	}
	return n.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.AddMempoolOutputs(ctx, n.name, currency, n.now(), fresh); err != nil {
			return err
		}
		if !complete {
			return nil
		}
		known, err := tx.MempoolTxIDs(ctx, n.name, currency)
		if err != nil {
			return err
		}
		for _, id := range known {
			if !inPool[id] {
				n.log.InfoContext(ctx, "chain: a transaction paying a deposit left the mempool unmined", "node", n.name, "txid", id)
				if err := tx.DropMempoolTx(ctx, n.name, currency, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// signalsRBF reports whether a mempool transaction may still be replaced:
// it signals BIP125 (an input's sequence below 0xfffffffe), or it spends an
// output of another unconfirmed transaction, which may itself be replaced
// (BIP125's inherited signaling, taken conservatively).
func signalsRBF(tx *wire.MsgTx, inPool map[string]bool) bool {
	for _, in := range tx.TxIn {
		if in.Sequence < wire.MaxTxInSequenceNum-1 || inPool[in.PreviousOutPoint.Hash.String()] {
			return true
		}
	}
	return false
}

// Pool builds and keeps the nodes crypto configs name, one per URL and
// network, so that configs sharing a node share its watcher. It is the
// core's chain backend "rpc" (Bitcoin nodes; NewPool) or "evm" (Ethereum
// nodes; NewEVMPool).
type Pool struct {
	kind         string
	db           store.DB
	now          func() time.Time
	log          *slog.Logger
	allowPrivate bool
	// Client, when set, carries the calls instead of a client whose
	// transport refuses private addresses unless allowPrivate (tests
	// give one that trusts a node's TLS certificate).
	Client *http.Client

	mu    sync.Mutex
	nodes map[string]*Node
}

// NewPool returns the pool of nodes kept in db. allowPrivate lets nodes be
// on private, loopback and link-local addresses (serve
// --chain-allow-private).
func NewPool(db store.DB, now func() time.Time, log *slog.Logger, allowPrivate bool) *Pool {
	return &Pool{kind: Name, db: db, now: now, log: log, allowPrivate: allowPrivate, nodes: map[string]*Node{}}
}

// NewEVMPool returns the pool of Ethereum nodes (chain "evm") kept in db.
func NewEVMPool(db store.DB, now func() time.Time, log *slog.Logger, allowPrivate bool) *Pool {
	return &Pool{kind: EVMName, db: db, now: now, log: log, allowPrivate: allowPrivate, nodes: map[string]*Node{}}
}

// Watcher returns the watcher of the node a config names. Configs naming
// one URL share one node; new credentials replace the old ones.
func (p *Pool) Watcher(cfg crypto.Node) (chain.Watcher, error) {
	net, ok := params[cfg.Network]
	if !ok {
		return nil, fmt.Errorf("rpc: unknown network %q", cfg.Network)
	}
	if err := webhook.CheckTarget(cfg.URL, p.allowPrivate); err != nil {
		return nil, fmt.Errorf("rpc: node URL: %w", err)
	}
	name := nodeName(p.kind, cfg.URL)
	key := name + " " + cfg.Network
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.nodes[key]
	if n == nil || n.client.user != cfg.User || n.client.password != cfg.Password {
		hc := p.Client
		if hc == nil {
			hc = &http.Client{Transport: webhook.OutboundTransport(defaultTimeout, p.allowPrivate), Timeout: defaultTimeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		old := n
		c := NewClient(cfg.URL, cfg.User, cfg.Password, hc)
		var src source = btcSource{c: c, network: net}
		currency := "BTC"
		if p.kind == EVMName {
			src, currency = evmSource{c: c}, "ETH"
		}
		n = &Node{name: name, currency: currency, src: src, client: c, db: p.db, now: p.now,
			log: p.log, seen: map[string]bool{}, health: chain.Health{Name: name, Currency: currency}}
		if old != nil {
			n.health = old.Health()
		}
		p.nodes[key] = n
	}
	return n, nil
}

// Health reports each node's last look, by name.
func (p *Pool) Health() []chain.Health {
	p.mu.Lock()
	nodes := make([]*Node, 0, len(p.nodes))
	for _, n := range p.nodes {
		nodes = append(nodes, n)
	}
	p.mu.Unlock()
	out := make([]chain.Health, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, n.Health())
	}
	slices.SortFunc(out, func(a, b chain.Health) int { return strings.Compare(a.Name, b.Name) })
	return out
}
