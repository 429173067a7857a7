package rpc

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// regtestGenesis is regtest's genesis block, raw, and its hash.
const (
	regtestGenesis = "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e" +
		"67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f20020000000101000000010000000000000000000000000000000000" +
		"000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63" +
		"656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000" +
		"434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7" +
		"ba0b8d578a4c702b6bf11d5fac00000000"
	regtestGenesisHash = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
)

// TestClient: the calls as bitcoind and btcd answer them: basic auth, a
// result, an RPC error in a 200 (btcd) or a 500 (bitcoind), refused
// credentials, an answer that is not JSON-RPC, a raw block whose hash is
// checked.
func TestClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("u:p")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body strings.Builder
		buf := make([]byte, 4096)
		n, _ := r.Body.Read(buf)
		body.Write(buf[:n])
		switch {
		case strings.Contains(body.String(), `"getblockcount"`):
			w.Write([]byte(`{"result":123,"error":null,"id":1}`))
		case strings.Contains(body.String(), `"getrawtransaction"`):
			w.WriteHeader(http.StatusInternalServerError) // bitcoind's way
			w.Write([]byte(`{"result":null,"error":{"code":-5,"message":"No such mempool or blockchain transaction"},"id":1}`))
		case strings.Contains(body.String(), `"getblock"`):
			w.Write([]byte(`{"result":"` + regtestGenesis + `","error":null,"id":1}`))
		case strings.Contains(body.String(), `"getrawmempool"`):
			w.Write([]byte(`<html>proxy error</html>`))
		default:
			w.Write([]byte(`{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}`))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	c := NewClient(srv.URL, "u", "p", srv.Client())
	if n, err := c.BlockCount(ctx); n != 123 || err != nil {
		t.Fatalf("getblockcount: %d %v", n, err)
	}
	if _, err := c.RawTransaction(ctx, "ab"); !IsNotFound(err) {
		t.Fatalf("getrawtransaction of an unknown tx: %v", err)
	}
	b, err := c.Block(ctx, regtestGenesisHash)
	if err != nil || len(b.Transactions) != 1 {
		t.Fatalf("getblock: %v", err)
	}
	if _, err := c.Block(ctx, strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "the block's hash is") {
		t.Fatalf("getblock of another hash: %v", err)
	}
	if _, err := c.RawMempool(ctx); err == nil || !strings.Contains(err.Error(), "not a JSON-RPC answer") {
		t.Fatalf("getrawmempool through a broken proxy: %v", err)
	}
	var e *Error
	if err := c.Call(ctx, "nosuchcall", nil); !errors.As(err, &e) || e.Code != -32601 {
		t.Fatalf("unknown method: %v", err)
	}
	bad := NewClient(srv.URL, "u", "wrong", srv.Client())
	if _, err := bad.BlockCount(ctx); err == nil || !strings.Contains(err.Error(), "refused the credentials") ||
		strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
}

// FuzzDecodeAnswer: whatever a node (or something posing as one) answers,
// decoding never panics, and a raw block decodes only with the hash asked.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add(200, []byte(`{"result":"`+regtestGenesis+`","error":null,"id":1}`))
	f.Add(500, []byte(`{"result":null,"error":{"code":-5,"message":"x"}}`))
	f.Add(200, []byte(`{"result":["ab","cd"]}`))
	f.Add(401, []byte(``))
	f.Fuzz(func(t *testing.T, status int, raw []byte) {
		var text string
		if err := decodeAnswer("getblock", status, raw, &text); err != nil {
			return
		}
		if b, err := decodeBlock(regtestGenesisHash, text); err == nil && b.BlockHash().String() != regtestGenesisHash {
			t.Fatalf("decoded a block of another hash")
		}
		var ids []string
		_ = decodeAnswer("getrawmempool", status, raw, &ids)
	})
}

// TestSignalsRBF: BIP125's signal is any input's sequence below
// 0xfffffffe; spending an unconfirmed output counts as replaceable too
// (the parent may be replaced), conservatively.
func TestSignalsRBF(t *testing.T) {
	t.Parallel()
	parent := wire.NewMsgTx(2)
	parent.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	in := func(seq uint32, prev chainhash.Hash) *wire.TxIn {
		ti := wire.NewTxIn(wire.NewOutPoint(&prev, 0), nil, nil)
		ti.Sequence = seq
		return ti
	}
	confirmed := chainhash.Hash{1}
	for _, tc := range []struct {
		name string
		ins  []*wire.TxIn
		want bool
	}{
		{"final", []*wire.TxIn{in(0xffffffff, confirmed)}, false},
		{"locktime, no RBF", []*wire.TxIn{in(0xfffffffe, confirmed)}, false},
		{"signals", []*wire.TxIn{in(0xfffffffd, confirmed)}, true},
		{"one input of two signals", []*wire.TxIn{in(0xffffffff, confirmed), in(0, confirmed)}, true},
		{"unconfirmed parent", []*wire.TxIn{in(0xffffffff, parent.TxHash())}, true},
	} {
		tx := wire.NewMsgTx(2)
		tx.TxIn = tc.ins
		if got := signalsRBF(tx, map[string]bool{parent.TxHash().String(): true}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestParseQuantity: Ethereum's hex quantities, and what is not one.
func TestParseQuantity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"0x0": 0, "0x1b4": 436, "0xffffffff": 1<<32 - 1} {
		if got, err := parseQuantity(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0x", "1b4", "0xzz", "0x1ffffffffffffffff"} {
		if _, err := parseQuantity(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}
