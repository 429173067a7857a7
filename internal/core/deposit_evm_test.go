package core_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/pasarela/pasarela"
	chainrpc "github.com/pasarela/pasarela/internal/chain/rpc"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/rates"
)

// fakeEVM answers eth_blockNumber and eth_getBlockByNumber as geth does,
// over a chain the test mines and reorganizes.
type fakeEVM struct {
	mu     sync.Mutex
	blocks []map[string]any
	salt   int
}

type evmTx struct{ to, weiHex string }

func (f *fakeEVM) mine(txs ...evmTx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	parent := "0x" + strings.Repeat("0", 64)
	if len(f.blocks) > 0 {
		parent = f.blocks[len(f.blocks)-1]["hash"].(string)
	}
	n := len(f.blocks)
	h := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d", parent, n, f.salt)))
	var list []map[string]any
	for i, tx := range txs {
		th := sha256.Sum256([]byte(fmt.Sprintf("%x/%d", h, i)))
		list = append(list, map[string]any{"hash": "0x" + hex.EncodeToString(th[:]), "to": tx.to, "value": tx.weiHex,
			"from": "0x" + strings.Repeat("1", 40)})
	}
	f.blocks = append(f.blocks, map[string]any{"number": "0x" + strconv.FormatInt(int64(n), 16),
		"hash": "0x" + hex.EncodeToString(h[:]), "parentHash": parent, "transactions": list})
}

// reorg drops the last depth blocks; the next ones mined differ.
func (f *fakeEVM) reorg(depth int) {
	f.mu.Lock()
	f.blocks = f.blocks[:len(f.blocks)-depth]
	f.salt++
	f.mu.Unlock()
}

func (f *fakeEVM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     any    `json:"id"`
		Method string `json:"method"`
		Params []any  `json:"params"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var result any
	switch req.Method {
	case "eth_blockNumber":
		result = "0x" + strconv.FormatInt(int64(len(f.blocks)-1), 16)
	case "eth_getBlockByNumber":
		n, _ := strconv.ParseInt(strings.TrimPrefix(req.Params[0].(string), "0x"), 16, 64)
		if int(n) < len(f.blocks) {
			b := map[string]any{}
			for k, v := range f.blocks[n] {
				b[k] = v
			}
			if full, _ := req.Params[1].(bool); !full {
				var ids []string
				for _, tx := range b["transactions"].([]map[string]any) {
					ids = append(ids, tx["hash"].(string))
				}
				b["transactions"] = ids
			}
			result = b
		}
	default:
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID,
			"error": map[string]any{"code": -32601, "message": "the method " + req.Method + " does not exist"}})
		return
	}
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
	w.Write(buf.Bytes())
}

// ethAccountKey is the xpub of m/44'/60'/0' of a fixed test seed.
func ethAccountKey(t *testing.T) string {
	t.Helper()
	k, err := hdkeychain.NewMaster(bytes.Repeat([]byte{0x09}, 32), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []uint32{44, 60, 0} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + i); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := k.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	return pub.String()
}

// TestEVMDeposit: an ETH deposit watched on an Ethereum node (chain
// "evm", a local node answering as geth does): a native transfer to the
// deposit's address in a block → processing, confirmed → completed; a
// reorganization that drops the block takes it back (pending, the
// capture reversed); mined again, it completes again.
func TestEVMDeposit(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		node := &fakeEVM{}
		for range 10 {
			node.mine()
		}
		ts := httptest.NewServer(node)
		defer ts.Close()
		e := newEnv(t, engine)
		pool := chainrpc.NewEVMPool(e.db, e.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
		e.svc = mustService(t, e.db, e.clock, core.Config{
			Processors:  processor.NewRegistry(e.sandbox, crypto.New(true)),
			SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
			PublicURL:   "http://pay.test",
			Crypto:      core.CryptoConfig{Backends: map[string]core.ChainBackend{chainrpc.EVMName: pool}},
			CryptoRates: core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(e.clock.Now)}},
		})
		if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateGatewayConfig(e.admin(), e.appID(), core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
			Name: pasarela.Set("Ethereum node"), Config: pasarela.Set(map[string]any{"network": "mainnet", "chain": "evm",
				"rpcUrl": ts.URL, "ethXpub": ethAccountKey(t), "confirmations": float64(2)})}); err != nil {
			t.Fatal(err)
		}
		ce := &cryptoEnv{env: e}
		d, _, err := e.svc.CreateDeposit(e.admin(), core.DepositInput{Currency: "ETH", Fiat: "COP", Amount: "100000", ExchangeID: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		dep := d.Payment.Deposit
		wei := "0x" + dep.Amount.Shift(18).BigInt().Text(16)
		watch := func() {
			t.Helper()
			if _, err := e.svc.WatchDeposits(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
		watch()
		ce.want(d.Payment.ID, pasarela.StatusPending)
		if hs := e.svc.ChainHealth(); len(hs) != 1 || !hs[0].Reachable || hs[0].Currency != "ETH" || hs[0].Processed != 9 {
			t.Fatalf("health: %+v", hs)
		}
		// Nodes answer addresses in lower case.
		node.mine(evmTx{to: strings.ToLower(dep.Address), weiHex: wei}, evmTx{to: "0x" + strings.Repeat("2", 40), weiHex: wei})
		watch()
		if got := ce.want(d.Payment.ID, pasarela.StatusProcessing); got.Confirmations != 1 || !got.Received.Equal(dep.Amount) {
			t.Fatalf("one confirmation: %+v", got)
		}
		node.mine()
		watch()
		ce.want(d.Payment.ID, pasarela.StatusCompleted)
		booked := e.balance(core.ClientAccount(e.A.Client.ID, "COP", core.KindAvailable))
		node.reorg(2)
		node.mine()
		node.mine()
		node.mine()
		watch()
		if got := ce.want(d.Payment.ID, pasarela.StatusPending); !got.Received.IsZero() {
			t.Fatalf("after the reorganization: %+v", got)
		}
		if b := e.balance(core.ClientAccount(e.A.Client.ID, "COP", core.KindAvailable)); b != 0 {
			t.Fatalf("available after the reversal: %d (was %d)", b, booked)
		}
		node.mine(evmTx{to: strings.ToLower(dep.Address), weiHex: wei})
		node.mine()
		watch()
		ce.want(d.Payment.ID, pasarela.StatusCompleted)
		if b := e.balance(core.ClientAccount(e.A.Client.ID, "COP", core.KindAvailable)); b != booked {
			t.Fatalf("available after confirming again: %d, want %d", b, booked)
		}
	})
}
