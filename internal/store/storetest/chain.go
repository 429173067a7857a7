package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// mustSandboxOutputs lists the outputs of currency paying addresses.
func mustSandboxOutputs(t *testing.T, db store.DB, currency string, addresses ...string) []store.SandboxOutput {
	t.Helper()
	var out []store.SandboxOutput
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		out, err = tx.SandboxOutputs(context.Background(), currency, addresses)
		return err
	})
	return out
}

// sameOutputs fails the test unless got holds, in order, outputs with the
// txids and heights of want; amounts compare by value.
func sameOutputs(t *testing.T, what string, got, want []store.SandboxOutput) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Currency != w.Currency || g.TxID != w.TxID || g.Vout != w.Vout || g.Address != w.Address ||
			!g.Amount.Equal(w.Amount) || g.Height != w.Height || !g.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("%s: output %d is %+v, want %+v", what, i, g, w)
		}
	}
}

// testSandboxChain: outputs wait in the mempool (height 0) until a block
// is mined, then stay in that block; blocks chain their hashes; each
// currency has its own chain; amounts keep every digit; a large address
// set is read in chunks, in the order the outputs were sent.
func testSandboxChain(t *testing.T, db store.DB) {
	ctx := context.Background()
	tip := func(currency string) int64 {
		t.Helper()
		var h int64
		MustView(t, db, func(tx *store.Tx) error {
			var err error
			h, err = tx.SandboxTip(ctx, currency)
			return err
		})
		return h
	}
	mine := func(currency string, n int) int64 {
		t.Helper()
		var h int64
		MustUpdate(t, db, func(tx *store.Tx) error {
			var err error
			h, err = tx.MineSandboxBlocks(ctx, currency, n, Base.Add(time.Minute))
			return err
		})
		return h
	}
	MustEqual(t, "the tip of an empty chain", tip("BTC"), int64(0))
	sameOutputs(t, "an empty chain", mustSandboxOutputs(t, db, "BTC", "bc1qa"), nil)
	sameOutputs(t, "no addresses", mustSandboxOutputs(t, db, "BTC"), nil)

	out := func(currency, txid, address, amount string, height int64) store.SandboxOutput {
		return store.SandboxOutput{Currency: currency, TxID: txid, Address: address,
			Amount: decimal.RequireFromString(amount), Height: height, CreatedAt: Base}
	}
	a1 := out("BTC", "aa01", "bc1qa", "0.00400000", 0)
	a2 := out("BTC", "aa02", "bc1qa", "0.00000001", 0)
	b1 := out("BTC", "bb01", "bc1qb", "1.5", 0)
	e1 := out("ETH", "ee01", "0xA", "0.000000000000000001", 0)
	l1 := out("LTC", "cc01", "bc1qa", "2", 0) // another currency, the same address text
	MustUpdate(t, db, func(tx *store.Tx) error {
		for _, o := range []store.SandboxOutput{a1, a2, b1, e1, l1} {
			if err := tx.InsertSandboxOutput(ctx, &o); err != nil {
				return err
			}
		}
		return nil
	})
	sameOutputs(t, "bc1qa's mempool", mustSandboxOutputs(t, db, "BTC", "bc1qa"), []store.SandboxOutput{a1, a2})
	sameOutputs(t, "ETH keeps 18 decimals", mustSandboxOutputs(t, db, "ETH", "0xA"), []store.SandboxOutput{e1})

	// The same txid and vout again is a conflict, and changes nothing.
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.InsertSandboxOutput(ctx, &a1) })
	MustErrorKind(t, err, pasarela.KindConflict, "")

	MustEqual(t, "the tip after mining one block", mine("BTC", 1), int64(1))
	a1.Height, a2.Height, b1.Height = 1, 1, 1
	sameOutputs(t, "mined outputs", mustSandboxOutputs(t, db, "BTC", "bc1qb", "bc1qa", "bc1qz"),
		[]store.SandboxOutput{a1, a2, b1})
	sameOutputs(t, "another currency's mempool", mustSandboxOutputs(t, db, "LTC", "bc1qa"), []store.SandboxOutput{l1})
	MustEqual(t, "LTC's tip", tip("LTC"), int64(0))

	b2 := out("BTC", "bb02", "bc1qb", "0.1", 0)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.InsertSandboxOutput(ctx, &b2) })
	MustEqual(t, "the tip after mining two more", mine("BTC", 2), int64(3))
	b2.Height = 2
	sameOutputs(t, "outputs stay in their block", mustSandboxOutputs(t, db, "BTC", "bc1qa", "bc1qb"),
		[]store.SandboxOutput{a1, a2, b1, b2})
	MustEqual(t, "the tip read back", tip("BTC"), int64(3))

	// Each hash is sha256(previous hash || height || sorted txids).
	prev := make([]byte, 32)
	for height, txids := range [][]string{1: {"aa01", "aa02", "bb01"}, 2: {"bb02"}, 3: nil} {
		if height == 0 {
			continue
		}
		h := sha256.New()
		h.Write(prev)
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(height)))
		for _, id := range txids {
			h.Write([]byte(id))
		}
		prev = h.Sum(nil)
		MustView(t, db, func(tx *store.Tx) error {
			got, err := tx.SandboxBlockHash(ctx, "BTC", int64(height))
			MustEqual(t, fmt.Sprintf("the hash of block %d", height), got, hex.EncodeToString(prev))
			return err
		})
	}
	err = db.View(ctx, func(tx *store.Tx) error { _, err := tx.SandboxBlockHash(ctx, "BTC", 4); return err })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	err = db.Update(ctx, func(tx *store.Tx) error { _, err := tx.MineSandboxBlocks(ctx, "BTC", 0, Base); return err })
	if err == nil {
		t.Error("mining 0 blocks succeeded")
	}

	// Many blocks at once, more than one INSERT's worth.
	MustEqual(t, "the tip after mining 600", mine("LTC", 600), int64(600))
	l1.Height = 1
	sameOutputs(t, "LTC's first block", mustSandboxOutputs(t, db, "LTC", "bc1qa"), []store.SandboxOutput{l1})

	// 1200 addresses, in chunks: the outputs paying the ones in the
	// second and third chunks come back too, in the order they were sent.
	addresses := make([]string, 1200)
	for i := range addresses {
		addresses[i] = fmt.Sprintf("bc1qmany%04d", i)
	}
	var many []store.SandboxOutput
	for _, i := range []int{1100, 3, 700, 1100} {
		many = append(many, out("BTC", fmt.Sprintf("ff%02d", len(many)), addresses[i], "0.01", 0))
	}
	MustUpdate(t, db, func(tx *store.Tx) error {
		for i := range many {
			if err := tx.InsertSandboxOutput(ctx, &many[i]); err != nil {
				return err
			}
		}
		return nil
	})
	sameOutputs(t, "1200 addresses", mustSandboxOutputs(t, db, "BTC", addresses...), many)
}
