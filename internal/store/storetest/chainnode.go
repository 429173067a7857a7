package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testChainNode: a node's processed blocks and the outputs they hold; a
// mempool output moved into its block; a block recorded twice is a
// conflict; a reorganization undoes blocks and their outputs; a replaced
// mempool transaction is dropped; nodes and currencies never mix.
func testChainNode(t *testing.T, db store.DB) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const node = "rpc http://127.0.0.1:18443"
	amt := decimal.RequireFromString("0.00123456")
	outputs := func(n, currency string, addresses ...string) []store.ChainOutput {
		t.Helper()
		var out []store.ChainOutput
		MustView(t, db, func(tx *store.Tx) error {
			var err error
			out, err = tx.ChainOutputs(ctx, n, currency, addresses)
			return err
		})
		slices.SortFunc(out, func(a, b store.ChainOutput) int {
			if a.TxID != b.TxID {
				if a.TxID < b.TxID {
					return -1
				}
				return 1
			}
			return a.Vout - b.Vout
		})
		return out
	}
	MustView(t, db, func(tx *store.Tx) error {
		if _, ok, err := tx.ChainTip(ctx, node, "BTC"); ok || err != nil {
			t.Fatalf("tip of an unknown node: %v %v", ok, err)
		}
		return nil
	})
	MustUpdate(t, db, func(tx *store.Tx) error {
		if err := tx.AddMempoolOutputs(ctx, node, "BTC", at, []store.ChainOutput{
			{TxID: "aa", Vout: 1, Address: "bcrt1qa", Amount: amt, Replaceable: true},
			{TxID: "bb", Vout: 0, Address: "bcrt1qb", Amount: amt},
		}); err != nil {
			return err
		}
		// Seen again: left as it is.
		return tx.AddMempoolOutputs(ctx, node, "BTC", at.Add(time.Minute), []store.ChainOutput{
			{TxID: "aa", Vout: 1, Address: "bcrt1qa", Amount: amt, Replaceable: false}})
	})
	got := outputs(node, "BTC", "bcrt1qa", "bcrt1qb", "bcrt1qz")
	if len(got) != 2 || got[0].TxID != "aa" || !got[0].Replaceable || got[0].Height != 0 || !got[0].Amount.Equal(amt) ||
		!got[0].SeenAt.Equal(at) || got[0].Node != node || got[0].Currency != "BTC" || got[1].Replaceable {
		t.Fatalf("mempool outputs: %+v", got)
	}
	if o := outputs(node, "LTC", "bcrt1qa"); len(o) != 0 {
		t.Fatalf("another currency sees %+v", o)
	}
	if o := outputs("rpc http://other", "BTC", "bcrt1qa"); len(o) != 0 {
		t.Fatalf("another node sees %+v", o)
	}
	MustUpdate(t, db, func(tx *store.Tx) error {
		for h := int64(100); h <= 102; h++ {
			var outs []store.ChainOutput
			if h == 101 {
				outs = []store.ChainOutput{{TxID: "aa", Vout: 1, Address: "bcrt1qa", Amount: amt}}
			}
			if err := tx.RecordChainBlock(ctx, node, "BTC", store.ChainBlock{Height: h, Hash: "h" + string(rune('0'+h-100))}, at, outs); err != nil {
				return err
			}
		}
		return nil
	})
	got = outputs(node, "BTC", "bcrt1qa")
	if len(got) != 1 || got[0].Height != 101 || got[0].BlockHash != "h1" || got[0].Replaceable {
		t.Fatalf("mined output: %+v", got)
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.RecordChainBlock(ctx, node, "BTC", store.ChainBlock{Height: 102, Hash: "other"}, at, nil)
	})
	if pasarela.ErrorKind(err) != pasarela.KindConflict {
		t.Fatalf("a block recorded twice: %v", err)
	}
	MustView(t, db, func(tx *store.Tx) error {
		tip, ok, err := tx.ChainTip(ctx, node, "BTC")
		if err != nil || !ok || tip != (store.ChainBlock{Height: 102, Hash: "h2"}) {
			t.Fatalf("tip: %+v %v %v", tip, ok, err)
		}
		blocks, err := tx.ChainBlocks(ctx, node, "BTC", 101)
		if err != nil || len(blocks) != 2 || blocks[0].Height != 102 || blocks[1].Hash != "h1" {
			t.Fatalf("blocks: %+v %v", blocks, err)
		}
		ids, err := tx.MempoolTxIDs(ctx, node, "BTC")
		if err != nil || !slices.Equal(ids, []string{"bb"}) {
			t.Fatalf("mempool txids: %v %v", ids, err)
		}
		return nil
	})
	// A reorganization orphans 101 and 102; bb is replaced.
	MustUpdate(t, db, func(tx *store.Tx) error {
		if err := tx.UndoChainBlocks(ctx, node, "BTC", 101); err != nil {
			return err
		}
		return tx.DropMempoolTx(ctx, node, "BTC", "bb")
	})
	if o := outputs(node, "BTC", "bcrt1qa", "bcrt1qb"); len(o) != 0 {
		t.Fatalf("after the reorganization: %+v", o)
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.PruneChainBlocks(ctx, node, "BTC", 101) })
	MustView(t, db, func(tx *store.Tx) error {
		blocks, err := tx.ChainBlocks(ctx, node, "BTC", 0)
		if err != nil || len(blocks) != 0 {
			t.Fatalf("blocks after pruning: %+v %v", blocks, err)
		}
		return nil
	})
}
