package sandbox_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// bip84Zpub is BIP84's published account key; its first receive addresses
// stand for deposit addresses.
const bip84Zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

// Other currencies' and networks' addresses, all valid where they belong.
const (
	ethAddress     = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"
	bchAddress     = "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"
	testnetAddress = "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"
	legacyAddress  = "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"
)

func mustDepositAddress(t *testing.T, index uint32) string {
	t.Helper()
	k, err := chain.ParseKey("BTC", chain.Mainnet, bip84Zpub)
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.Address(index)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newChain(t *testing.T, engine string) (*sandbox.Chain, *coretest.DB) {
	db := coretest.MustOpen(t, engine)
	return sandbox.New(db, coretest.NewClock(storetest.Base).Now), db
}

func mustSend(t *testing.T, c *sandbox.Chain, currency, network, address, amount string) string {
	t.Helper()
	txid, err := c.Send(context.Background(), currency, network, address, decimal.RequireFromString(amount))
	if err != nil {
		t.Fatalf("Send(%s, %s, %s, %s): %v", currency, network, address, amount, err)
	}
	return txid
}

func mustMine(t *testing.T, c *sandbox.Chain, currency string, blocks int) int64 {
	t.Helper()
	tip, err := c.Mine(context.Background(), currency, blocks)
	if err != nil {
		t.Fatalf("Mine(%s, %d): %v", currency, blocks, err)
	}
	return tip
}

func mustPayments(t *testing.T, c *sandbox.Chain, currency string, addresses ...string) []chain.Payment {
	t.Helper()
	p, err := c.Payments(context.Background(), currency, addresses)
	if err != nil {
		t.Fatalf("Payments: %v", err)
	}
	return p
}

// wantPayments fails the test unless got are payments with these txids,
// amounts and confirmations, in order, to address, none replaceable.
func wantPayments(t *testing.T, what string, got []chain.Payment, address string, want ...chain.Payment) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d payments %+v, want %d", what, len(got), got, len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.TxID != w.TxID || g.Vout != 0 || g.Address != address || !g.Amount.Equal(w.Amount) ||
			g.Confirmations != w.Confirmations || g.Replaceable {
			t.Fatalf("%s: payment %d is %+v, want %+v to %s", what, i, g, w, address)
		}
	}
}

func payment(txid, amount string, confirmations int) chain.Payment {
	return chain.Payment{TxID: txid, Amount: decimal.RequireFromString(amount), Confirmations: confirmations}
}

func TestWatcher(t *testing.T) {
	c := sandbox.New(nil, time.Now)
	if c.Name() != "sandbox" {
		t.Errorf("Name() = %q", c.Name())
	}
	for currency, want := range map[string]bool{"BTC": true, "btc": true, "BCH": true, "LTC": true, "ETH": true,
		"DOGE": false, "EUR": false, "": false} {
		if got := c.Supports(currency); got != want {
			t.Errorf("Supports(%q) = %v, want %v", currency, got, want)
		}
	}
}

// TestSendAndMine: a payment waits in the mempool with no confirmation,
// then gains one per block mined.
func TestSendAndMine(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		c, db := newChain(t, engine)
		addr := mustDepositAddress(t, 0)
		txid := mustSend(t, c, "BTC", chain.Mainnet, addr, "0.00400000")
		if len(txid) != 64 {
			t.Fatalf("txid %q is not 32 bytes in hex", txid)
		}
		wantPayments(t, "in the mempool", mustPayments(t, c, "BTC", addr), addr, payment(txid, "0.004", 0))

		if tip := mustMine(t, c, "BTC", 1); tip != 1 {
			t.Fatalf("tip after one block = %d", tip)
		}
		wantPayments(t, "one block", mustPayments(t, c, "BTC", addr), addr, payment(txid, "0.004", 1))
		if tip := mustMine(t, c, "BTC", 2); tip != 3 {
			t.Fatalf("tip after three blocks = %d", tip)
		}
		wantPayments(t, "three blocks", mustPayments(t, c, "BTC", addr), addr, payment(txid, "0.004", 3))

		// The row as kept: in block 1, the amount exact.
		var height int64
		var amount string
		if err := db.Raw.QueryRow(`SELECT height, amount FROM sandbox_chain_outputs WHERE txid = $1`, txid).
			Scan(&height, &amount); err != nil {
			t.Fatal(err)
		}
		if height != 1 || amount != "0.004" {
			t.Errorf("stored output: height %d amount %s, want 1 and 0.004", height, amount)
		}
		// Another currency's chain is untouched.
		if tip := mustMine(t, c, "LTC", 1); tip != 1 {
			t.Errorf("LTC's first block is at %d", tip)
		}
		if p := mustPayments(t, c, "LTC", addr); len(p) != 0 {
			t.Errorf("LTC shows BTC's payments: %+v", p)
		}
		if p := mustPayments(t, c, "BTC"); p != nil {
			t.Errorf("no addresses gives %+v", p)
		}
	})
}

// TestTwoSends: two payments to one address are two outputs, each with its
// own confirmations, oldest first; an address is matched in its canonical
// spelling.
func TestTwoSends(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		c, _ := newChain(t, engine)
		addr, other := mustDepositAddress(t, 0), mustDepositAddress(t, 1)
		first := mustSend(t, c, "BTC", chain.Mainnet, addr, "0.001")
		mustSend(t, c, "BTC", chain.Mainnet, other, "5")
		mustMine(t, c, "BTC", 1)
		// Sent in upper case, as a QR code may carry it.
		second := mustSend(t, c, "btc", chain.Mainnet, strings.ToUpper(addr), "0.002")
		if first == second {
			t.Fatal("two sends share a txid")
		}
		wantPayments(t, "two sends", mustPayments(t, c, "BTC", addr), addr,
			payment(first, "0.001", 1), payment(second, "0.002", 0))
		mustMine(t, c, "BTC", 1)
		wantPayments(t, "both mined", mustPayments(t, c, "BTC", addr), addr,
			payment(first, "0.001", 2), payment(second, "0.002", 1))

		// ETH keeps its 18 decimals and its EIP-55 spelling.
		eth := mustSend(t, c, "ETH", chain.Testnet, strings.ToLower(ethAddress), "0.000000000000000001")
		wantPayments(t, "ETH", mustPayments(t, c, "ETH", ethAddress), ethAddress, payment(eth, "1e-18", 0))
		bch := mustSend(t, c, "BCH", chain.Mainnet, bchAddress[len("bitcoincash:"):], "0.5")
		wantPayments(t, "BCH", mustPayments(t, c, "BCH", bchAddress), bchAddress, payment(bch, "0.5", 0))
	})
}

// TestConcurrentMine: blocks mined at once all land, one after the other.
func TestConcurrentMine(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		c, _ := newChain(t, engine)
		addr := mustDepositAddress(t, 0)
		txid := mustSend(t, c, "BTC", chain.Mainnet, addr, "1")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := c.Mine(context.Background(), "BTC", 2); err != nil {
					t.Errorf("Mine: %v", err)
				}
			})
		}
		wg.Wait()
		if tip := mustMine(t, c, "BTC", 1); tip != 9 {
			t.Errorf("tip = %d, want 9", tip)
		}
		wantPayments(t, "after 9 blocks", mustPayments(t, c, "BTC", addr), addr, payment(txid, "1", 9))
	})
}

// TestRefused: each bad input is an invalid error naming its field, and
// nothing reaches the chain.
func TestRefused(t *testing.T) {
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		c, _ := newChain(t, engine)
		ctx := context.Background()
		addr := mustDepositAddress(t, 0)
		for _, tt := range []struct {
			name, currency, network, address, amount, field, code string
		}{
			{"an ETH address for BTC", "BTC", chain.Mainnet, ethAddress, "1", "address", "address"},
			{"a BCH address for BTC", "BTC", chain.Mainnet, bchAddress, "1", "address", "address"},
			{"a legacy address for BCH", "BCH", chain.Mainnet, legacyAddress, "1", "address", "address"},
			{"a BTC address for LTC", "LTC", chain.Mainnet, addr, "1", "address", "address"},
			{"a testnet address on mainnet", "BTC", chain.Mainnet, testnetAddress, "1", "address", "address"},
			{"a mainnet address on testnet", "BTC", chain.Testnet, addr, "1", "address", "address"},
			{"a BTC address for ETH", "ETH", chain.Mainnet, addr, "1", "address", "address"},
			{"an empty address", "BTC", chain.Mainnet, "", "1", "address", "address"},
			{"nine BTC decimals", "BTC", chain.Mainnet, addr, "0.000000001", "amount", "amount_precision"},
			{"nineteen ETH decimals", "ETH", chain.Mainnet, ethAddress, "0.0000000000000000001", "amount", "amount_precision"},
			{"zero", "BTC", chain.Mainnet, addr, "0", "amount", "amount"},
			{"negative", "BTC", chain.Mainnet, addr, "-0.1", "amount", "amount"},
			{"an unsupported currency", "DOGE", chain.Mainnet, addr, "1", "currency", "currency_unsupported"},
			{"a fiat currency", "EUR", chain.Mainnet, addr, "1", "currency", "currency_unsupported"},
			{"an unknown network", "BTC", "signet", addr, "1", "network", "network"},
		} {
			_, err := c.Send(ctx, tt.currency, tt.network, tt.address, decimal.RequireFromString(tt.amount))
			if e := storetest.MustErrorKind(t, err, pasarela.KindInvalid, tt.field); e.Code != tt.code {
				t.Errorf("%s: code %s, want %s", tt.name, e.Code, tt.code)
			}
		}
		// Trailing zeros beyond the scale are not decimals.
		mustSend(t, c, "BTC", chain.Mainnet, addr, "0.1000000000")
		if p := mustPayments(t, c, "BTC", addr); len(p) != 1 {
			t.Errorf("%d payments, want only the valid one", len(p))
		}

		for _, blocks := range []int{0, -1, sandbox.MaxBlocks + 1} {
			_, err := c.Mine(ctx, "BTC", blocks)
			storetest.MustErrorKind(t, err, pasarela.KindInvalid, "blocks")
		}
		_, err := c.Mine(ctx, "DOGE", 1)
		storetest.MustErrorKind(t, err, pasarela.KindInvalid, "currency")
		_, err = c.Payments(ctx, "DOGE", []string{addr})
		storetest.MustErrorKind(t, err, pasarela.KindInvalid, "currency")
		if tip := mustMine(t, c, "BTC", sandbox.MaxBlocks); tip != sandbox.MaxBlocks {
			t.Errorf("tip after MaxBlocks = %d", tip)
		}
	})
}
