package core_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/store"
)

// lateRail lets a test build the SPEI rail over the env's own database and
// clock, which exist only once the env does.
type lateRail struct{ processor.PayoutRail }

// payoutEngines runs fn on each engine with the SPEI simulator as the
// payout rail, on its default schedule.
func payoutEngines(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		// A rail per engine: the engines run side by side.
		rail := &lateRail{}
		e := newEnv(t, engine, func(c *core.Config) { c.PayoutRail = rail })
		rail.PayoutRail = spei.New(core.ProcessorState(e.db, spei.ID), spei.Schedule{}, e.clock.Now)
		fn(t, e)
	})
}

// clabeBanamex is a valid CLABE of BANAMEX (002).
const clabeBanamex = "002010077777777771"

// order is a valid SPEI order of amount minor units.
func order(amount int64) core.PayoutInput {
	return core.PayoutInput{Amount: amount, TransactionType: 1, BeneficiaryName: "Florentino Eter",
		BeneficiaryAccount: clabeBanamex, BankCode: "002", Concept: "Deposito Maria", NumericReference: "43223123",
		AlphanumericReference: "PROVV0011712091"}
}

// MustCredit funds a tenant's MXN balance.
func (e *env) MustCredit(clientID string, amount int64) *core.Credit {
	e.t.Helper()
	c, err := e.svc.CreditBalance(e.ctx, core.CreditInput{ClientID: clientID, Currency: "MXN", Amount: amount})
	if err != nil {
		e.t.Fatalf("credit: %v", err)
	}
	return c
}

// mxn is a client's MXN balance, read as the client.
func (e *env) mxn(ctx context.Context) core.Balance {
	e.t.Helper()
	b, err := e.svc.ClientBalance(ctx, "MXN")
	if err != nil {
		e.t.Fatal(err)
	}
	return *b
}

// TestPayoutValidation gives every rule of an order its own broken input
// and wants its own error, naming the field, with nothing written.
func TestPayoutValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field, code string
		change            func(in *core.PayoutInput)
	}{
		{"zero amount", "amount", "amount", func(in *core.PayoutInput) { in.Amount = 0 }},
		{"negative amount", "amount", "amount", func(in *core.PayoutInput) { in.Amount = -100 }},
		{"currency", "currency", "unsupported_currency", func(in *core.PayoutInput) { in.Currency = "USD" }},
		{"transaction type", "transaction_type", "transaction_type", func(in *core.PayoutInput) { in.TransactionType = 2 }},
		{"no name", "beneficiary_name", "required", func(in *core.PayoutInput) { in.BeneficiaryName = " " }},
		{"long name", "beneficiary_name", "too_long", func(in *core.PayoutInput) { in.BeneficiaryName = strings.Repeat("a", 41) }},
		{"name with a line break", "beneficiary_name", "format", func(in *core.PayoutInput) { in.BeneficiaryName = "a\nb" }},
		{"no account", "beneficiary_account", "required", func(in *core.PayoutInput) { in.BeneficiaryAccount = "" }},
		{"short account", "beneficiary_account", "clabe_format", func(in *core.PayoutInput) { in.BeneficiaryAccount = "87459854" }},
		{"letters in account", "beneficiary_account", "clabe_format", func(in *core.PayoutInput) { in.BeneficiaryAccount = "00201007777777777X" }},
		{"unknown bank in CLABE", "beneficiary_account", "clabe_bank", func(in *core.PayoutInput) { in.BeneficiaryAccount = "032180000118359719" }},
		{"check digit", "beneficiary_account", "clabe_check_digit", func(in *core.PayoutInput) { in.BeneficiaryAccount = "002010077777777772" }},
		{"account type", "beneficiary_account_type", "account_type", func(in *core.PayoutInput) { in.BeneficiaryAccountType = "3" }},
		{"no bank", "bank_code", "required", func(in *core.PayoutInput) { in.BankCode = "" }},
		{"unknown bank", "bank_code", "bank_code", func(in *core.PayoutInput) { in.BankCode = "999" }},
		{"bank of another CLABE", "bank_code", "bank_mismatch", func(in *core.PayoutInput) { in.BankCode = "012" }},
		{"no concept", "concept", "required", func(in *core.PayoutInput) { in.Concept = "" }},
		{"long concept", "concept", "too_long", func(in *core.PayoutInput) { in.Concept = strings.Repeat("c", 41) }},
		{"long description", "description", "too_long", func(in *core.PayoutInput) { in.Description = strings.Repeat("d", 201) }},
		{"no numeric reference", "numeric_reference", "required", func(in *core.PayoutInput) { in.NumericReference = "" }},
		{"numeric reference letters", "numeric_reference", "numeric_reference", func(in *core.PayoutInput) { in.NumericReference = "12a" }},
		{"numeric reference long", "numeric_reference", "numeric_reference", func(in *core.PayoutInput) { in.NumericReference = "12345678901" }},
		{"alphanumeric reference", "alphanumeric_reference", "alphanumeric_reference", func(in *core.PayoutInput) { in.AlphanumericReference = "PROV-001" }},
		{"email", "beneficiary_email", "email", func(in *core.PayoutInput) { in.BeneficiaryEmail = "not an email" }},
		{"rfc", "beneficiary_rfc", "rfc", func(in *core.PayoutInput) { in.BeneficiaryRFC = "ROPL95" }},
		{"postal code", "beneficiary_postal_code", "postal_code", func(in *core.PayoutInput) { in.BeneficiaryPostalCode = "5780" }},
		{"date", "date_transaction", "date_transaction", func(in *core.PayoutInput) { in.DateTransaction = "320421" }},
		{"long address", "beneficiary_address1", "too_long", func(in *core.PayoutInput) { in.BeneficiaryAddress1 = strings.Repeat("x", 101) }},
	}
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 1_000_000)
		for _, tc := range tests {
			in := order(1000)
			tc.change(&in)
			_, _, err := e.svc.CreatePayout(e.admin(), in, nil)
			wantErr(t, tc.name, err, pasarela.KindInvalid, tc.code)
			if f := pasarela.AsError(err).Field; f != tc.field {
				t.Errorf("%s: error names field %q, want %q", tc.name, f, tc.field)
			}
		}
		list, total, err := e.svc.ListPayouts(e.admin(), nil, pasarela.ListOptions{})
		if err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("refused orders left %d payouts (%v)", total, err)
		}
		if b := e.mxn(e.admin()); b.Available != 1_000_000 || b.Pending != 0 {
			t.Fatalf("refused orders moved money: %+v", b)
		}
		// The optional fields in their accepted forms, and the 5-digit SPEI
		// key of the bank.
		in := order(1000)
		in.Currency, in.BankCode, in.BeneficiaryAccountType = "484", "40002", "40"
		in.BeneficiaryEmail, in.BeneficiaryRFC, in.BeneficiaryPostalCode, in.DateTransaction = "testrest@gmail.com", "ropl951201091", "57800", "030421"
		po, _, err := e.svc.CreatePayout(e.admin(), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if po.Currency != "MXN" || po.BankCode != "002" || po.BeneficiaryRFC != "ROPL951201091" {
			t.Fatalf("normalized order: %+v", po)
		}
	})
}

// TestPayoutNoOverdraft sends 50 concurrent orders against a balance that
// covers 20: exactly 20 succeed, the others are refused for funds, the
// balance ends at zero and never went below it, and the ledger holds (the
// env checks it at the end).
func TestPayoutNoOverdraft(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		const amount, covered, orders = 1000, 20, 50
		e.MustCredit(e.A.Client.ID, amount*covered)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var made []*pasarela.Payout
		refused := 0
		for range orders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				po, _, err := e.svc.CreatePayout(e.admin(), order(amount), nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					made = append(made, po)
				case pasarela.AsError(err).Code == "insufficient_funds":
					refused++
				default:
					t.Errorf("order: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(made) != covered || refused != orders-covered {
			t.Fatalf("%d orders made, %d refused; want %d and %d", len(made), refused, covered, orders-covered)
		}
		b := e.mxn(e.admin())
		if b.Available != 0 || b.Pending != amount*covered {
			t.Fatalf("balance after the orders: %+v", b)
		}
		// Each order saw the balance the previous one left: their
		// initial balances are 20000, 19000, …, 1000, each once.
		sort.Slice(made, func(i, j int) bool { return made[i].InitialBalance > made[j].InitialBalance })
		seqs := map[int64]bool{}
		for i, po := range made {
			want := int64(amount * (covered - i))
			if po.InitialBalance != want || po.FinalBalance != want-amount {
				t.Errorf("order %d: balances %d → %d, want %d → %d", i, po.InitialBalance, po.FinalBalance, want, want-amount)
			}
			seqs[po.Seq] = true
		}
		if len(seqs) != covered {
			t.Errorf("sequence numbers are not unique: %v", seqs)
		}
		// Under the balance: no account ever went negative.
		var negative int
		if err := e.db.Raw.QueryRow(`SELECT COUNT(*) FROM ledger_accounts WHERE owner LIKE 'client:%' AND balance < 0`).Scan(&negative); err != nil {
			t.Fatal(err)
		}
		if negative != 0 {
			t.Fatalf("%d client accounts are negative", negative)
		}
	})
}

// TestPayoutGuardedDebit proves the ledger's guard by itself: a posting that
// would take a guarded account below zero is refused and leaves nothing.
func TestPayoutGuardedDebit(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 500)
		acct := core.ClientAccount(e.A.Client.ID, "MXN", core.KindAvailable)
		err := e.db.Update(e.ctx, func(tx *store.Tx) error {
			_, err := tx.Post(e.ctx, store.Posting{Kind: "test", ClientID: e.A.Client.ID, At: e.clock.Now(),
				Entries: []store.Entry{{Account: acct, Amount: -501, Guard: true},
					{Account: core.ClientAccount(e.A.Client.ID, "MXN", core.KindPending), Amount: 501}}})
			return err
		})
		wantErr(t, "guarded overdraft", err, pasarela.KindConflict, "insufficient_funds")
		if b := e.mxn(e.admin()); b.Available != 500 || b.Pending != 0 {
			t.Fatalf("balance after a refused posting: %+v", b)
		}
	})
}

// step is one look at the payouts after moving the clock.
type payoutCheck struct {
	after     time.Duration // clock moved before the worker's pass
	statuses  []pasarela.PayoutStatus
	available int64
	pending   int64
}

// TestPayoutLifecycle walks three orders through the simulated rail: one
// confirmed, one rejected (.28), one confirmed then returned (.11), with
// the balances, ledger postings and events of every step.
func TestPayoutLifecycle(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 100_000)
		amounts := []int64{10_000, 20_028, 30_011} // confirm, reject, return
		var ids []int64
		for _, a := range amounts {
			po, _, err := e.svc.CreatePayout(e.admin(), order(a), nil)
			if err != nil {
				t.Fatal(err)
			}
			if po.Status != pasarela.PayoutCreated {
				t.Fatalf("new payout is %s", po.Status)
			}
			ids = append(ids, po.ID)
		}
		C, Q, S, OK, R, RET := pasarela.PayoutCreated, pasarela.PayoutQueued, pasarela.PayoutSent, pasarela.PayoutConfirmed,
			pasarela.PayoutRejected, pasarela.PayoutReturned
		checks := []payoutCheck{
			{0, []pasarela.PayoutStatus{C, C, C}, 39_961, 60_039},
			{0, []pasarela.PayoutStatus{Q, Q, Q}, 39_961, 60_039}, // the first pass sends them
			{spei.DefaultSend, []pasarela.PayoutStatus{S, S, S}, 39_961, 60_039},
			{spei.DefaultSettle, []pasarela.PayoutStatus{OK, R, OK}, 59_989, 0},
			{spei.DefaultReturn, []pasarela.PayoutStatus{OK, R, RET}, 90_000, 0},
			{time.Hour, []pasarela.PayoutStatus{OK, R, RET}, 90_000, 0}, // nothing more happens
		}
		for i, c := range checks {
			if i > 0 {
				e.clock.Advance(c.after)
				if _, err := e.svc.AdvancePayouts(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			for j, id := range ids {
				po, err := e.svc.GetPayout(e.admin(), id)
				if err != nil {
					t.Fatal(err)
				}
				if po.Status != c.statuses[j] {
					t.Fatalf("check %d: payout %d is %s, want %s", i, j, po.Status, c.statuses[j])
				}
				if po.Status != C && !strings.HasPrefix(po.RailRef, "PSL") {
					t.Fatalf("check %d: payout %d has no tracking key: %q", i, j, po.RailRef)
				}
			}
			if b := e.mxn(e.admin()); b.Available != c.available || b.Pending != c.pending {
				t.Fatalf("check %d: balance %+v, want available %d pending %d", i, b, c.available, c.pending)
			}
		}
		rejected, _ := e.svc.GetPayout(e.admin(), ids[1])
		if rejected.FailureCode != spei.CodeNoAccount || rejected.NextCheckAt != nil {
			t.Fatalf("rejected payout: code %q next %v", rejected.FailureCode, rejected.NextCheckAt)
		}
		returned, _ := e.svc.GetPayout(e.admin(), ids[2])
		if returned.FailureCode != spei.CodeUnknownPaid || returned.FailureMessage != spei.MsgUnknownPaid {
			t.Fatalf("returned payout: %q %q", returned.FailureCode, returned.FailureMessage)
		}
		// The rail's clearing account holds what left for good.
		var clearing int64
		if err := e.db.Raw.QueryRow(`SELECT balance FROM ledger_accounts WHERE owner = 'processor:spei' AND currency = 'MXN' AND kind = 'clearing'`).Scan(&clearing); err != nil {
			t.Fatal(err)
		}
		if clearing != 10_000 {
			t.Fatalf("clearing holds %d, want 10000", clearing)
		}
		wantPostings := map[int64][]string{
			ids[0]: {"payout", "payout_confirmed"},
			ids[1]: {"payout", "payout_rejected"},
			ids[2]: {"payout", "payout_confirmed", "payout_returned"},
		}
		wantEvents := map[int64][]string{
			ids[0]: {"payout.created", "payout.queued", "payout.sent", "payout.confirmed"},
			ids[1]: {"payout.created", "payout.queued", "payout.sent", "payout.rejected"},
			ids[2]: {"payout.created", "payout.queued", "payout.sent", "payout.confirmed", "payout.returned"},
		}
		for _, id := range ids {
			rows, err := e.db.Raw.Query(`SELECT kind FROM ledger_transactions WHERE payout_id = $1 ORDER BY id`, id)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					t.Fatal(err)
				}
				kinds = append(kinds, k)
			}
			rows.Close()
			if strings.Join(kinds, ",") != strings.Join(wantPostings[id], ",") {
				t.Errorf("payout %d postings %v, want %v", id, kinds, wantPostings[id])
			}
			events, err := e.svc.Events(e.app(), e.appID(), pasarela.EntityPayout, id)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, ev := range events {
				types = append(types, ev.Type)
				if ev.ApplicationID != 0 || ev.ClientID != e.A.Client.ID {
					t.Errorf("event %s: app %d client %s", ev.Type, ev.ApplicationID, ev.ClientID)
				}
			}
			if strings.Join(types, ",") != strings.Join(wantEvents[id], ",") {
				t.Errorf("payout %d events %v, want %v", id, types, wantEvents[id])
			}
		}
	})
}

// TestPayoutLateWorker: a worker that looks only once, long after, still
// walks every step, each with its postings.
func TestPayoutLateWorker(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 50_000)
		po, _, err := e.svc.CreatePayout(e.admin(), order(30_011), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Sent now: the rail holds the order from this moment.
		if _, err := e.svc.AdvancePayouts(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(24 * time.Hour)
		if n, err := e.svc.AdvancePayouts(e.ctx); err != nil || n != 1 {
			t.Fatalf("late pass changed %d (%v)", n, err)
		}
		got, _ := e.svc.GetPayout(e.admin(), po.ID)
		if got.Status != pasarela.PayoutReturned {
			t.Fatalf("status %s, want returned", got.Status)
		}
		if b := e.mxn(e.admin()); b.Available != 50_000 || b.Pending != 0 {
			t.Fatalf("balance %+v", b)
		}
	})
}

// TestPayoutIdempotency: the same Idempotency-Key and request take the
// money once; the key with another request is a conflict.
func TestPayoutIdempotency(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 10_000)
		render := func(v any) (int, []byte, error) { return 200, []byte(v.(*pasarela.Payout).Reference), nil }
		idem := &core.Idem{Key: "order-1", Fingerprint: core.Fingerprint([]byte("a")), Render: render}
		po, replay, err := e.svc.CreatePayout(e.admin(), order(1000), idem)
		if err != nil || replay != nil {
			t.Fatal(err, replay)
		}
		_, replay, err = e.svc.CreatePayout(e.admin(), order(1000), idem)
		if err != nil || replay == nil || string(replay.Body) != po.Reference {
			t.Fatalf("retry: %v %+v", err, replay)
		}
		other := &core.Idem{Key: "order-1", Fingerprint: core.Fingerprint([]byte("b")), Render: render}
		_, _, err = e.svc.CreatePayout(e.admin(), order(2000), other)
		wantErr(t, "key reused", err, pasarela.KindConflict, "idempotency_key_reused")
		if b := e.mxn(e.admin()); b.Available != 9000 {
			t.Fatalf("available %d, want 9000", b.Available)
		}
		if !strings.HasPrefix(po.Reference, "al") || len(po.Reference) != 14 {
			t.Fatalf("reference %q", po.Reference)
		}
	})
}

// TestPayoutTenancy: one client's users never see, nor spend, another's
// balance and payouts.
func TestPayoutTenancy(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 10_000)
		a, _, err := e.svc.CreatePayout(e.admin(), order(1000), nil)
		if err != nil {
			t.Fatal(err)
		}
		b := e.B.AdminCtx(e.ctx)
		if _, err := e.svc.GetPayout(b, a.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("B reads A's payout: %v", err)
		}
		if list, total, err := e.svc.ListPayouts(b, nil, pasarela.ListOptions{}); err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("B lists %d payouts (%v)", total, err)
		}
		if bal := e.mxn(b); bal.Available != 0 || bal.Pending != 0 {
			t.Fatalf("B sees a balance %+v", bal)
		}
		_, _, err = e.svc.CreatePayout(b, order(1000), nil)
		wantErr(t, "B spends", err, pasarela.KindConflict, "insufficient_funds")
		if bal := e.mxn(e.admin()); bal.Available != 9000 {
			t.Fatalf("A's balance %+v", bal)
		}
	})
}

// TestPayoutRoles: only admins and managers send money; viewers,
// terminals, application keys and nobody are refused.
func TestPayoutRoles(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 10_000)
		ctxOf := func(roles ...pasarela.Role) context.Context {
			return pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: e.A.Client.ID, UserID: e.A.Admin.ID, Roles: roles})
		}
		for _, tc := range []struct {
			name string
			ctx  context.Context
			kind pasarela.Kind
			code string
		}{
			{"viewer", ctxOf(pasarela.RoleViewer), pasarela.KindForbidden, "role_required"},
			{"terminal", ctxOf(pasarela.RoleTerminal), pasarela.KindForbidden, "role_required"},
			{"application key", e.app(), pasarela.KindForbidden, "user_required"},
			{"nobody", e.ctx, pasarela.KindUnauthorized, "unauthenticated"},
		} {
			_, _, err := e.svc.CreatePayout(tc.ctx, order(1000), nil)
			wantErr(t, tc.name, err, tc.kind, tc.code)
		}
		if _, _, err := e.svc.CreatePayout(ctxOf(pasarela.RoleManager), order(1000), nil); err != nil {
			t.Fatalf("manager: %v", err)
		}
		// A viewer reads.
		if _, total, err := e.svc.ListPayouts(ctxOf(pasarela.RoleViewer), nil, pasarela.ListOptions{}); err != nil || total != 1 {
			t.Fatalf("viewer lists %d (%v)", total, err)
		}
	})
}

// TestCreditBalance: the operator's funding, its idempotent reference, and
// its refusals.
func TestCreditBalance(t *testing.T) {
	t.Parallel()
	payoutEngines(t, func(t *testing.T, e *env) {
		in := core.CreditInput{ClientID: e.A.Client.ID, Currency: "mxn", Amount: 100_000, Reference: "wire-001", Description: "SPEI from Cascade"}
		c, err := e.svc.CreditBalance(e.ctx, in)
		if err != nil || c.Replayed || c.Available != 100_000 || c.Currency != "MXN" {
			t.Fatalf("credit: %+v %v", c, err)
		}
		again, err := e.svc.CreditBalance(e.ctx, in)
		if err != nil || !again.Replayed || again.TransactionID != c.TransactionID || again.Available != 100_000 {
			t.Fatalf("the same reference again: %+v %v", again, err)
		}
		in.Amount = 5
		_, err = e.svc.CreditBalance(e.ctx, in)
		wantErr(t, "reference with another amount", err, pasarela.KindInvalid, "reference_reused")
		for _, tc := range []struct {
			name, code string
			in         core.CreditInput
		}{
			{"no client", "required", core.CreditInput{Currency: "MXN", Amount: 1}},
			{"zero", "amount", core.CreditInput{ClientID: e.A.Client.ID, Currency: "MXN"}},
			{"negative", "amount", core.CreditInput{ClientID: e.A.Client.ID, Currency: "MXN", Amount: -1}},
			{"currency", "currency", core.CreditInput{ClientID: e.A.Client.ID, Currency: "XYZ", Amount: 1}},
			{"crypto", "currency", core.CreditInput{ClientID: e.A.Client.ID, Currency: "BTC", Amount: 1}},
			{"reference", "reference", core.CreditInput{ClientID: e.A.Client.ID, Currency: "MXN", Amount: 1, Reference: "a b"}},
		} {
			_, err := e.svc.CreditBalance(e.ctx, tc.in)
			wantErr(t, tc.name, err, pasarela.KindInvalid, tc.code)
		}
		_, err = e.svc.CreditBalance(e.ctx, core.CreditInput{ClientID: "nobody", Currency: "MXN", Amount: 1})
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("unknown client: %v", err)
		}
		// Funding posts from the platform's funding account, never an edit.
		var funding int64
		if err := e.db.Raw.QueryRow(`SELECT balance FROM ledger_accounts WHERE owner = 'platform' AND currency = 'MXN' AND kind = 'funding'`).Scan(&funding); err != nil {
			t.Fatal(err)
		}
		if funding != -100_000 {
			t.Fatalf("funding account %d", funding)
		}
	})
}

// TestPayoutsDisabled: without a rail, orders are refused and nothing is
// taken.
func TestPayoutsDisabled(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.A.Client.ID, 10_000)
		_, _, err := e.svc.CreatePayout(e.admin(), order(1000), nil)
		wantErr(t, "no rail", err, pasarela.KindUnavailable, "payouts_unavailable")
		if n, err := e.svc.AdvancePayouts(e.ctx); n != 0 || err != nil {
			t.Fatalf("advance without a rail: %d %v", n, err)
		}
	})
}

// holdRail holds the first Send until released, counting the Sends.
type holdRail struct {
	processor.PayoutRail
	sends   atomic.Int32
	arrived chan struct{}
	release chan struct{}
}

func (h *holdRail) Send(ctx context.Context, o processor.PayoutOrder) (processor.PayoutResult, error) {
	if h.sends.Add(1) == 1 {
		close(h.arrived)
		<-h.release
	}
	return h.PayoutRail.Send(ctx, o)
}

// TestPayoutClaimedOnce: a node asking the rail about a payout holds a lease
// on it; another node's pass meanwhile finds it not due and sends nothing,
// so a payout reaches a real rail once however many nodes run the worker.
func TestPayoutClaimedOnce(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		// A rail per engine: the engines run side by side.
		rail := &holdRail{}
		e := newEnv(t, engine, func(c *core.Config) { c.PayoutRail = rail })
		rail.PayoutRail = spei.New(core.ProcessorState(e.db, spei.ID), spei.Schedule{}, e.clock.Now)
		rail.arrived, rail.release = make(chan struct{}), make(chan struct{})
		rail.sends.Store(0)
		e.MustCredit(e.A.Client.ID, 50_000)
		if _, _, err := e.svc.CreatePayout(e.admin(), order(10_000), nil); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := e.svc.AdvancePayouts(e.ctx); done <- err }()
		<-rail.arrived
		if n, err := e.svc.AdvancePayouts(e.ctx); err != nil || n != 0 {
			t.Fatalf("second node's pass: %d %v, want nothing", n, err)
		}
		close(rail.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := rail.sends.Load(); n != 1 {
			t.Fatalf("%d sends to the rail, want 1", n)
		}
	})
}
