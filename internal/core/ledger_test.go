package core_test

import (
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/store"
)

// TestLedgerBalances: a 10.50 EUR capture with the platform's fee of
// 250 bps + 0.30 leaves the merchant 9.94 (10.50 × 2.5% = 0.2625, rounded
// to 0.26), the platform 0.56, and the processor owing 10.50; refunding
// 5.00 comes out of the merchant's balance, and the platform keeps its fee.
func TestLedgerBalances(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		client := clientAvailable(e.A.Client.ID)
		want := func(step string, wantClient, wantFees, wantClearing int64) {
			t.Helper()
			if got := e.balance(client); got != wantClient {
				t.Errorf("%s: client available %d, want %d", step, got, wantClient)
			}
			if got := e.balance(platformFees); got != wantFees {
				t.Errorf("%s: platform fees %d, want %d", step, got, wantFees)
			}
			if got := e.balance(clearing("sandbox")); got != wantClearing {
				t.Errorf("%s: processor clearing %d, want %d", step, got, wantClearing)
			}
			coretest.MustSoundLedger(t, e.svc)
		}
		want("before", 0, 0, 0)
		p := e.MustCompleted(core.PaymentInput{Amount: 1050})
		want("after the capture", 994, 56, -1050)
		if _, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 500}, nil); err != nil {
			t.Fatal(err)
		}
		want("after refunding 500", 494, 56, -550)
		if _, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{}, nil); err != nil {
			t.Fatal(err)
		}
		want("after refunding the rest", -56, 56, 0)

		// The merchant reads its own balances; another client sees none of them.
		bal, err := e.svc.Balances(e.admin())
		if err != nil || len(bal) != 1 || bal[0].Kind != core.KindAvailable || bal[0].Currency != "EUR" || bal[0].Balance != -56 {
			t.Errorf("A's balances: %+v %v", bal, err)
		}
		if bal, err := e.svc.Balances(e.B.AdminCtx(e.ctx)); err != nil || len(bal) != 0 {
			t.Errorf("B's balances: %+v %v", bal, err)
		}
	})
}

// TestLedgerFees: the fee is basis points rounded half up, plus the fixed
// part, and never more than the amount.
func TestLedgerFees(t *testing.T) {
	t.Parallel()
	tests := []struct {
		amount, fee int64
	}{
		{1050, 56}, // 26.25 → 26, + 30
		{1020, 56}, // 25.50 → 26 (half up), + 30
		{1019, 55}, // 25.475 → 25, + 30
		{1000, 55}, // 25, + 30
		{100000, 2530},
		{31, 31}, // 0.775 → 1, + 30 = 31: all of it
		{10, 10}, // 30.25 would be more than the amount
		{1, 1},
	}
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		client := clientAvailable(e.A.Client.ID)
		for _, tc := range tests {
			c0, f0 := e.balance(client), e.balance(platformFees)
			e.MustCompleted(core.PaymentInput{Amount: tc.amount})
			if got := e.balance(platformFees) - f0; got != tc.fee {
				t.Errorf("fee on %d: %d, want %d", tc.amount, got, tc.fee)
			}
			if got := e.balance(client) - c0; got != tc.amount-tc.fee {
				t.Errorf("merchant's share of %d: %d, want %d", tc.amount, got, tc.amount-tc.fee)
			}
		}
	})
}

// TestLedgerFeesConfigured: with no fee configured the merchant gets it all.
func TestLedgerFeesConfigured(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		e.MustCompleted(core.PaymentInput{Amount: 1050})
		if c, f := e.balance(clientAvailable(e.A.Client.ID)), e.balance(platformFees); c != 1050 || f != 0 {
			t.Errorf("client %d, fees %d; want 1050 and 0", c, f)
		}
	}, func(c *core.Config) { c.Fees = core.FeeConfig{} })
}

// TestVerifyLedgerFindsCorruption edits the ledger behind the store's back,
// as only a bug or a person with a SQL prompt could, and expects
// VerifyLedger to say what does not add up; undone, the ledger is sound.
func TestVerifyLedgerFindsCorruption(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		e.MustCompleted(core.PaymentInput{Amount: 1050})
		owner := "client:" + e.A.Client.ID
		var entryID int64
		if err := e.db.Raw.QueryRowContext(e.ctx, `SELECT e.id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
			WHERE a.owner = $1`, owner).Scan(&entryID); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name         string
			break_, mend string
			args         []any
			want         []string // each a part of some problem reported
		}{
			{"a balance edited", `UPDATE ledger_accounts SET balance = balance + 1 WHERE owner = $1`,
				`UPDATE ledger_accounts SET balance = balance - 1 WHERE owner = $1`, []any{owner},
				[]string{owner + " EUR available) holds 995 but its entries sum to 994"}},
			{"an entry edited", `UPDATE ledger_entries SET amount = amount + 7 WHERE id = $1`,
				`UPDATE ledger_entries SET amount = amount - 7 WHERE id = $1`, []any{entryID},
				[]string{"(capture) has 3 entries summing to 7", "holds 994 but its entries sum to 1001"}},
		}
		for _, tc := range tests {
			if problems, err := e.svc.VerifyLedger(e.ctx); err != nil || len(problems) != 0 {
				t.Fatalf("%s: before: %v %v", tc.name, problems, err)
			}
			if _, err := e.db.Raw.ExecContext(e.ctx, tc.break_, tc.args...); err != nil {
				t.Fatal(err)
			}
			problems, err := e.svc.VerifyLedger(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != len(tc.want) {
				t.Errorf("%s: problems %q, want %d", tc.name, problems, len(tc.want))
			}
			for _, w := range tc.want {
				found := false
				for _, p := range problems {
					found = found || strings.Contains(p, w)
				}
				if !found {
					t.Errorf("%s: no problem says %q: %q", tc.name, w, problems)
				}
			}
			if _, err := e.db.Raw.ExecContext(e.ctx, tc.mend, tc.args...); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestLedgerRefusesUnbalancedPostings: the store will not book money that
// comes from nowhere, and nothing of the refused posting is kept.
func TestLedgerRefusesUnbalancedPostings(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		err := e.db.Update(e.ctx, func(tx *store.Tx) error {
			_, err := tx.Post(e.ctx, store.Posting{Kind: "test", At: e.clock.Now(), Entries: []store.Entry{
				{Account: clientAvailable(e.A.Client.ID), Amount: 100},
				{Account: platformFees, Amount: -99},
			}})
			return err
		})
		if pasarela.ErrorKind(err) != pasarela.KindInternal || !strings.Contains(err.Error(), "unbalanced") {
			t.Errorf("unbalanced posting: %v", err)
		}
		if n := e.count(`SELECT COUNT(*) FROM ledger_transactions`); n != 0 {
			t.Errorf("%d ledger transactions after a refused posting", n)
		}
	})
}
