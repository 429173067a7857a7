package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// newPayout returns a payout of the client, not yet stored.
func newPayout(clientID string, seq int64) *pasarela.Payout {
	next := Base.Add(time.Duration(seq) * time.Second)
	return &pasarela.Payout{ClientID: clientID, Seq: seq, Reference: "xx" + string(rune('0'+seq)), Amount: 1000 * seq,
		Currency: "MXN", TransactionType: 1, BeneficiaryName: "Florentino Eter", BeneficiaryAccount: "002010077777777771",
		BeneficiaryAccountType: "40", BankCode: "002", BeneficiaryEmail: "b@example.com", BeneficiaryRFC: "ROPL951201091",
		BeneficiaryAddress1: "Vicente G 132", BeneficiaryCity: "CDMX", BeneficiaryPostalCode: "57800", Concept: "Deposito",
		NumericReference: "43223123", AlphanumericReference: "PROVV0011712091", DateTransaction: "030421",
		Status: pasarela.PayoutCreated, InitialBalance: 100_000, FinalBalance: 100_000 - 1000*seq, Rail: "spei",
		NextCheckAt: &next, CreatedAt: Base, UpdatedAt: Base}
}

// testPayouts pins what the core's payouts rely on: a payout reads back as
// written, only its client sees it, a stale version loses, lists filter and
// page newest first, the worker finds what is due, the sequence is per
// client and unique, and the ledger's guarded debit never overdraws.
func testPayouts(t *testing.T, db store.DB) {
	ctx := context.Background()
	a, b := MustClient(t, db, "com.alpha"), MustClient(t, db, "com.beta")
	var p1, p2, p3 *pasarela.Payout
	MustUpdate(t, db, func(tx *store.Tx) error {
		for i, p := range []**pasarela.Payout{&p1, &p2, &p3} {
			seq, err := tx.NextPayoutSeq(ctx, a.ID)
			if err != nil {
				return err
			}
			MustEqual(t, "next sequence", seq, int64(i+1))
			*p = newPayout(a.ID, seq)
			if err := tx.CreatePayout(ctx, *p); err != nil {
				return err
			}
		}
		seq, err := tx.NextPayoutSeq(ctx, b.ID)
		MustEqual(t, "another client's first sequence", seq, int64(1))
		return err
	})
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetPayout(ctx, a.ID, p2.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "payout read back", *got, *p2)
		_, err = tx.GetPayout(ctx, b.ID, p2.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		list, total, err := tx.ListPayouts(ctx, b.ID, store.PayoutFilter{}, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "another client's payouts", len(list)+total, 0)
		return err
	})

	// A duplicate sequence is refused.
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreatePayout(ctx, newPayout(a.ID, 2)) })
	MustErrorKind(t, err, pasarela.KindConflict, "")

	// A stale version loses; the fresh one wins and bumps it.
	MustUpdate(t, db, func(tx *store.Tx) error {
		cur, err := tx.GetPayout(ctx, a.ID, p1.ID)
		if err != nil {
			return err
		}
		cur.Status, cur.RailRef, cur.NextCheckAt, cur.UpdatedAt = pasarela.PayoutQueued, "PSL1", nil, Base.Add(time.Minute)
		return tx.UpdatePayout(ctx, cur)
	})
	stale := *p1
	stale.Status = pasarela.PayoutRejected
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.UpdatePayout(ctx, &stale) })
	if e := MustErrorKind(t, err, pasarela.KindConflict, ""); e.Code != "concurrent_change" {
		t.Fatalf("stale update: %v", err)
	}
	other := *p2
	other.ClientID = b.ID
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.UpdatePayout(ctx, &other) })
	MustErrorKind(t, err, pasarela.KindConflict, "")

	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetPayout(ctx, a.ID, p1.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "updated status", got.Status, pasarela.PayoutQueued)
		MustEqual(t, "updated version", got.Version, int64(1))
		if got.NextCheckAt != nil {
			t.Fatalf("next check kept: %v", got.NextCheckAt)
		}
		list, total, err := tx.ListPayouts(ctx, a.ID, store.PayoutFilter{}, pasarela.ListOptions{Limit: 2, Offset: 0})
		if err != nil {
			return err
		}
		MustEqual(t, "total", total, 3)
		MustEqual(t, "newest first", []int64{list[0].ID, list[1].ID}, []int64{p3.ID, p2.ID})
		list, total, err = tx.ListPayouts(ctx, a.ID, store.PayoutFilter{Statuses: []pasarela.PayoutStatus{pasarela.PayoutQueued}},
			pasarela.ListOptions{Limit: 10})
		if err != nil {
			return err
		}
		MustEqual(t, "filtered", total, 1)
		MustEqual(t, "filtered id", list[0].ID, p1.ID)
		// Due: p2 at Base+2s, p3 at Base+3s; p1 is no longer checked.
		due, err := tx.DuePayouts(ctx, Base.Add(2*time.Second), 10)
		if err != nil {
			return err
		}
		MustEqual(t, "due", len(due), 1)
		MustEqual(t, "due id", due[0].ID, p2.ID)
		return nil
	})

	// The guarded debit: a posting that would overdraw is refused whole;
	// one that empties the balance passes.
	acct := store.Account{Owner: "client:" + a.ID, Currency: "MXN", Kind: "available"}
	pending := store.Account{Owner: "client:" + a.ID, Currency: "MXN", Kind: "pending"}
	funding := store.Account{Owner: "platform", Currency: "MXN", Kind: "funding"}
	MustUpdate(t, db, func(tx *store.Tx) error {
		_, err := tx.Post(ctx, store.Posting{Kind: "funding", ClientID: a.ID, Reference: "wire-1", At: Base,
			Description: "funding", Entries: []store.Entry{{Account: funding, Amount: -700}, {Account: acct, Amount: 700}}})
		return err
	})
	debit := func(amount int64) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.Post(ctx, store.Posting{Kind: "payout", ClientID: a.ID, PayoutID: p3.ID, At: Base, Description: "payout",
				Entries: []store.Entry{{Account: acct, Amount: -amount, Guard: true}, {Account: pending, Amount: amount}}})
			return err
		})
	}
	if e := MustErrorKind(t, debit(701), pasarela.KindConflict, ""); e.Code != "insufficient_funds" {
		t.Fatalf("overdraft: %v", e)
	}
	if err := debit(700); err != nil {
		t.Fatalf("debit of the whole balance: %v", err)
	}
	MustErrorKind(t, debit(1), pasarela.KindConflict, "")
	MustView(t, db, func(tx *store.Tx) error {
		bal, err := tx.Balance(ctx, acct)
		MustEqual(t, "balance after the debits", bal, int64(0))
		if err != nil {
			return err
		}
		id, moved, cur, err := tx.PostingByReference(ctx, a.ID, "funding", "wire-1")
		if err != nil {
			return err
		}
		MustEqual(t, "funding found by reference", []any{moved, cur, id > 0}, []any{int64(700), "MXN", true})
		_, _, _, err = tx.PostingByReference(ctx, b.ID, "funding", "wire-1")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		problems, err := tx.VerifyLedger(ctx)
		MustEqual(t, "ledger problems", len(problems), 0)
		return err
	})
	// A reference is posted once per client and kind.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Post(ctx, store.Posting{Kind: "funding", ClientID: a.ID, Reference: "wire-1", At: Base,
			Description: "funding", Entries: []store.Entry{{Account: funding, Amount: -1}, {Account: acct, Amount: 1}}})
		return err
	})
	MustErrorKind(t, err, pasarela.KindConflict, "")
}
