//go:build chain

package core_test

// Crypto deposits watched on a real Bitcoin node: btcd in regtest, started
// by each test (package btcdtest builds it the first time, about half a
// minute). They run with the build tag "chain" (make chain-test; .ci/run
// runs them):
//
//	go test -tags chain ./internal/core -run RPC

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	chainrpc "github.com/pasarela/pasarela/internal/chain/rpc"
	"github.com/pasarela/pasarela/internal/chain/rpc/btcdtest"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/store"
)

// rpcEnv is a crypto env whose config watches a regtest btcd (chain
// "rpc"), with a vpub of the test wallet.
type rpcEnv struct {
	*cryptoEnv
	node *btcdtest.Node
	pool *chainrpc.Pool
}

// startNode starts a regtest btcd for the test, stopped at its end.
func startNode(t *testing.T) *btcdtest.Node {
	t.Helper()
	n, err := btcdtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// newRPCEnv builds a core on a fresh database whose crypto config names
// node; options override the config's.
func newRPCEnv(t *testing.T, engine string, node *btcdtest.Node, options map[string]any) *rpcEnv {
	t.Helper()
	vpub, err := btcdtest.AccountKey(0)
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"network": "regtest", "chain": "rpc", "rpcUrl": node.URL, "rpcUser": btcdtest.User,
		"rpcPassword": btcdtest.Password, "btcXpub": vpub, "confirmations": float64(2)}
	for k, v := range options {
		opts[k] = v
	}
	e := newEnv(t, engine)
	re := &rpcEnv{node: node}
	e.svc = re.service(t, e)
	if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
		t.Fatal(err)
	}
	config, err := e.svc.CreateGatewayConfig(e.admin(), e.appID(), core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
		Name: pasarela.Set("Bitcoin node"), Config: pasarela.Set(opts)})
	if err != nil {
		t.Fatal(err)
	}
	re.cryptoEnv = &cryptoEnv{env: e, cfg: config}
	return re
}

// service builds a core over e's database with a fresh pool of nodes: a
// gateway process starting (again).
func (re *rpcEnv) service(t *testing.T, e *env) *core.Service {
	t.Helper()
	re.pool = chainrpc.NewPool(e.db, e.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	return mustService(t, e.db, e.clock, core.Config{
		Processors:  processor.NewRegistry(e.sandbox, crypto.New(true)),
		SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
		PublicURL:   "http://pay.test",
		Crypto:      core.CryptoConfig{Backends: map[string]core.ChainBackend{chainrpc.Name: re.pool}},
		CryptoRates: core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(e.clock.Now)}},
	})
}

// watch looks at the watched deposits once.
func (re *rpcEnv) watch() {
	re.t.Helper()
	if _, err := re.svc.WatchDeposits(re.ctx); err != nil {
		re.t.Fatal(err)
	}
}

func (re *rpcEnv) pay(address, amount string, rbf bool) *btcdtest.Payment {
	re.t.Helper()
	p, err := re.node.Pay(address, decimal.RequireFromString(amount), rbf)
	if err != nil {
		re.t.Fatal(err)
	}
	return p
}

func (re *rpcEnv) generate(blocks int) []string {
	re.t.Helper()
	hashes, err := re.node.Generate(blocks)
	if err != nil {
		re.t.Fatal(err)
	}
	return hashes
}

// available is the merchant's available COP balance.
func (re *rpcEnv) available() int64 {
	return re.balance(core.ClientAccount(re.A.Client.ID, "COP", core.KindAvailable))
}

// health is the pool's report of the one node.
func (re *rpcEnv) health() chain.Health {
	re.t.Helper()
	hs := re.svc.ChainHealth()
	if len(hs) != 1 {
		re.t.Fatalf("chain health: %+v", hs)
	}
	return hs[0]
}

// TestRPCDeposits: paid exactly → processing from the mempool → completed
// at the second confirmation, booked once; under-paid → adjustment; two
// payments to one address add up; an address of another deposit paid
// nothing stays pending.
func TestRPCDeposits(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		re := newRPCEnv(t, engine, startNode(t), nil)
		paid := re.deposit(re.admin(), "100000", "https://shop.example/cb")
		under := re.deposit(re.admin(), "100000", "")
		twice := re.deposit(re.admin(), "100000", "")
		idle := re.deposit(re.admin(), "100000", "")
		if a := paid.Payment.Deposit.Address; a[:6] != "bcrt1q" || paid.Payment.Deposit.Amount.String() != "0.004" {
			t.Fatalf("deposit: %+v", paid.Payment.Deposit)
		}
		re.watch()
		if h := re.health(); !h.Reachable || h.Lag != 0 || h.Processed != h.Tip || h.Tip < 110 {
			t.Fatalf("health: %+v", h)
		}

		tx := re.pay(paid.Payment.Deposit.Address, "0.004", false)
		re.pay(under.Payment.Deposit.Address, "0.003", false)
		re.pay(twice.Payment.Deposit.Address, "0.002", false)
		re.watch()
		got := re.want(paid.Payment.ID, pasarela.StatusProcessing)
		if got.Received.String() != "0.004" || got.Confirmations != 0 || len(got.TxIDs) != 1 || got.TxIDs[0] != tx.TxID {
			t.Fatalf("in the mempool: %+v", got)
		}
		re.want(under.Payment.ID, pasarela.StatusProcessing)
		re.generate(1)
		re.pay(twice.Payment.Deposit.Address, "0.002", false)
		re.watch()
		if got := re.want(paid.Payment.ID, pasarela.StatusProcessing); got.Confirmations != 1 {
			t.Fatalf("one confirmation: %+v", got)
		}
		if re.available() != 0 {
			t.Fatalf("booked before confirmed: %d", re.available())
		}
		re.generate(1)
		re.watch()
		if got := re.want(paid.Payment.ID, pasarela.StatusCompleted); got.Confirmations != 2 {
			t.Fatalf("two confirmations: %+v", got)
		}
		re.want(under.Payment.ID, pasarela.StatusAdjustment)
		// The second payment to twice has one confirmation.
		if got := re.want(twice.Payment.ID, pasarela.StatusProcessing); got.Received.String() != "0.004" || len(got.TxIDs) != 2 ||
			got.Confirmations != 1 {
			t.Fatalf("two payments, one confirmed enough: %+v", got)
		}
		re.generate(1)
		re.watch()
		re.watch() // a look with nothing new changes nothing
		re.want(twice.Payment.ID, pasarela.StatusCompleted)
		re.want(idle.Payment.ID, pasarela.StatusPending)
		if b := re.available(); b != 2*paid.Payment.Amount {
			t.Fatalf("available after two deposits: %d, want %d", b, 2*paid.Payment.Amount)
		}
		if n := re.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE target = 'https://shop.example/cb'`); n != 3 {
			t.Errorf("callbacks: %d, want 3 (created, processing, completed)", n)
		}
		if n := re.count(`SELECT COUNT(*) FROM chain_outputs`); n != 4 {
			t.Errorf("outputs recorded: %d, want 4", n)
		}

		// Paid after expiry, within the monitoring window: failed, the
		// money recorded.
		late := re.deposit(re.admin(), "100000", "")
		re.clock.Advance(1201 * time.Second)
		re.pay(late.Payment.Deposit.Address, "0.004", false)
		re.watch()
		if got := re.want(late.Payment.ID, pasarela.StatusFailed); !got.Late || got.Received.String() != "0.004" {
			t.Fatalf("paid late: %+v", got)
		}
	})
}

// TestRPCDepositReorg: a reorganization orphans the block that paid a
// completed deposit: the transaction returns to the mempool, the deposit
// to processing with a callback, its capture reversed in the ledger; mined
// again, it completes again and is booked once.
func TestRPCDepositReorg(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		re := newRPCEnv(t, engine, startNode(t), nil)
		d := re.deposit(re.admin(), "100000", "https://shop.example/cb")
		re.watch()
		re.pay(d.Payment.Deposit.Address, "0.004", false)
		paying := re.generate(2)[0]
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusCompleted)
		booked := re.available()
		if booked <= 0 {
			t.Fatalf("available: %d", booked)
		}
		if err := re.node.InvalidateBlock(paying); err != nil {
			t.Fatal(err)
		}
		re.watch()
		if got := re.want(d.Payment.ID, pasarela.StatusProcessing); got.Confirmations != 0 || got.Received.String() != "0.004" {
			t.Fatalf("after the reorganization: %+v", got)
		}
		if b := re.available(); b != 0 {
			t.Fatalf("available after the reversal: %d", b)
		}
		if n := re.count(`SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'capture_reversal'`); n != 1 {
			t.Fatalf("reversals: %d", n)
		}
		// The competing chain grows past the old one, with the payment.
		re.generate(3)
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusCompleted)
		if b := re.available(); b != booked {
			t.Fatalf("available after confirming again: %d, want %d", b, booked)
		}
		if n := re.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE target = 'https://shop.example/cb'`); n != 5 {
			t.Errorf("callbacks: %d, want 5 (created, processing, completed, processing, completed)", n)
		}
	})
}

// TestRPCDepositReplaced: with no confirmation required, a payment that
// signals replace-by-fee is seen (processing) but not approved; replaced
// by a double spend paying elsewhere, it is gone (pending); a payment that
// cannot be replaced is approved from the mempool.
func TestRPCDepositReplaced(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		re := newRPCEnv(t, engine, startNode(t), map[string]any{"confirmations": float64(0)})
		d := re.deposit(re.admin(), "100000", "")
		re.watch()
		p := re.pay(d.Payment.Deposit.Address, "0.004", true)
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusProcessing)
		if _, err := re.node.Replace(p); err != nil {
			t.Fatal(err)
		}
		re.watch()
		if got := re.want(d.Payment.ID, pasarela.StatusPending); !got.Received.IsZero() || len(got.TxIDs) != 0 {
			t.Fatalf("replaced: %+v", got)
		}
		re.pay(d.Payment.Deposit.Address, "0.004", false)
		re.watch()
		if got := re.want(d.Payment.ID, pasarela.StatusCompleted); got.Confirmations != 0 {
			t.Fatalf("0-conf: %+v", got)
		}
	})
}

// TestRPCNodeDown: a node the gateway cannot reach leaves deposits as they
// are, reported unreachable; a deposit can still be created (its address
// is derived locally); reached again, the watcher processes the blocks
// mined meanwhile, each once. A node restarted on a chain that is not the
// one processed (btcd starts every regtest chain afresh) is refused:
// nothing is taken back, the node is reported.
func TestRPCNodeDown(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		re := newRPCEnv(t, engine, startNode(t), nil)
		d := re.deposit(re.admin(), "100000", "")
		re.watch()
		re.pay(d.Payment.Deposit.Address, "0.004", false)
		re.generate(1)
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusProcessing)
		re.node.Disconnect()
		re.watch()
		if h := re.health(); h.Reachable || h.Err == "" {
			t.Fatalf("health of a node out of reach: %+v", h)
		}
		if got := re.want(d.Payment.ID, pasarela.StatusProcessing); got.Confirmations != 1 {
			t.Fatalf("kept: %+v", got)
		}
		late := re.deposit(re.admin(), "100000", "")
		re.pay(late.Payment.Deposit.Address, "0.004", false)
		re.generate(2)
		if err := re.node.Reconnect(); err != nil {
			t.Fatal(err)
		}
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusCompleted)
		re.want(late.Payment.ID, pasarela.StatusCompleted)
		if h := re.health(); !h.Reachable || h.Lag != 0 {
			t.Fatalf("health after reconnecting: %+v", h)
		}
		tip, err := re.node.Client.BlockCount(re.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := re.count(`SELECT COUNT(*) FROM chain_blocks`); int64(n) != tip {
			t.Errorf("blocks processed: %d, tip %d", n, tip)
		}
		booked := re.available()

		re.node.Stop()
		if err := re.node.Restart(); err != nil {
			t.Fatal(err)
		}
		if _, err := re.node.Generate(int(tip) + 5); err != nil {
			t.Fatal(err)
		}
		re.watch()
		if h := re.health(); h.Reachable || !strings.Contains(h.Err, "shares none") {
			t.Fatalf("health of a node on another chain: %+v", h)
		}
		re.want(d.Payment.ID, pasarela.StatusCompleted)
		if b := re.available(); b != booked {
			t.Fatalf("available: %d, want %d", b, booked)
		}
	})
}

// TestRPCGatewayRestart: the gateway stops mid-flow and a new process on
// the same database resumes from the last block processed: hours of blocks
// (more than one look processes) are each processed once, the deposit
// completes and is booked once.
func TestRPCGatewayRestart(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		re := newRPCEnv(t, engine, startNode(t), map[string]any{"monitoringTime": float64(30 * 86400)})
		d := re.deposit(re.admin(), "100000", "")
		re.watch()
		re.pay(d.Payment.Deposit.Address, "0.004", false)
		re.watch()
		re.want(d.Payment.ID, pasarela.StatusProcessing)
		var before store.ChainBlock
		mustViewTx(t, re.env, func(tx *store.Tx) (err error) {
			before, _, err = tx.ChainTip(re.ctx, chainrpc.NodeName(re.node.URL), "BTC")
			return err
		})
		// The gateway is down while 600 blocks are mined (more than
		// one look's BlocksPerLook).
		re.generate(600)
		re.svc = re.service(t, re.env)
		re.watch()
		if h := re.health(); h.Lag != 100 || !h.Reachable {
			t.Fatalf("health after one look of catching up: %+v", h)
		}
		re.want(d.Payment.ID, pasarela.StatusCompleted)
		re.watch()
		if h := re.health(); h.Lag != 0 {
			t.Fatalf("health after catching up: %+v", h)
		}
		var blocks []store.ChainBlock
		mustViewTx(t, re.env, func(tx *store.Tx) (err error) {
			blocks, err = tx.ChainBlocks(re.ctx, chainrpc.NodeName(re.node.URL), "BTC", before.Height+1)
			return err
		})
		// Each block once, in a row (older rows are pruned).
		for i, b := range blocks {
			if b.Height != blocks[0].Height-int64(i) {
				t.Fatalf("block rows: gap or duplicate at %d: %+v", i, b)
			}
		}
		if blocks[0].Height != before.Height+600 {
			t.Fatalf("processed up to %d, want %d", blocks[0].Height, before.Height+600)
		}
		if n := re.count(`SELECT COUNT(*) FROM chain_outputs`); n != 1 {
			t.Errorf("outputs: %d", n)
		}
		if n := re.count(`SELECT COUNT(*) FROM ledger_transactions WHERE kind = 'capture'`); n != 1 {
			t.Errorf("captures: %d", n)
		}
	})
}

func mustViewTx(t *testing.T, e *env, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := e.db.View(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}
