package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/pasarela/pasarela"
)

// Account identifies a ledger account: whose it is, in which currency, and
// which kind of balance it holds.
type Account struct {
	Owner    string // "client:<id>", "platform" or "processor:<gateway>"
	Currency string
	Kind     string // "available", "pending", "fees", "funding", "clearing"
}

// Entry is one line of a ledger transaction. Amounts are signed minor units;
// a transaction's entries sum to zero.
type Entry struct {
	Account Account
	Amount  int64
	// Guard refuses the posting (with an insufficient_funds conflict) when
	// this entry would take its account below zero. The check and the
	// debit are one UPDATE, so concurrent debits of one balance can never
	// overdraw it, whatever else the caller did or did not lock.
	Guard bool
}

// Posting is a balanced ledger transaction and what caused it.
type Posting struct {
	Kind      string // "capture", "refund", "payout", "funding", …
	ClientID  string
	PaymentID int64
	RefundID  int64
	PayoutID  int64
	// Reference, when set, makes the posting unique per client and kind
	// (an operator's funding with its bank reference): a second posting
	// with it is refused as a conflict.
	Reference   string
	Description string
	Entries     []Entry
	At          time.Time
}

// accountID returns the id of an account, creating it on first use.
func (tx *Tx) accountID(ctx context.Context, a Account, now time.Time) (int64, error) {
	if _, err := tx.exec(ctx, `INSERT INTO ledger_accounts (owner, currency, kind, balance, created_at)
		VALUES ($1, $2, $3, 0, $4) ON CONFLICT (owner, currency, kind) DO NOTHING`,
		a.Owner, a.Currency, a.Kind, micros(now)); err != nil {
		return 0, err
	}
	var id int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT id FROM ledger_accounts WHERE owner = $1 AND currency = $2 AND kind = $3`,
		a.Owner, a.Currency, a.Kind), "ledger account", func(scan func(...any) error) error { return scan(&id) })
	return id, err
}

// Post records a balanced transaction and moves the balances of its
// accounts, in the caller's database transaction: the state change that
// caused it commits with it or not at all. Unbalanced postings are refused.
func (tx *Tx) Post(ctx context.Context, p Posting) (int64, error) {
	var sum int64
	for _, e := range p.Entries {
		sum += e.Amount
	}
	if sum != 0 || len(p.Entries) < 2 {
		return 0, pasarela.Internal(fmt.Errorf("unbalanced ledger posting %q: entries sum to %d", p.Kind, sum))
	}
	var txID int64
	client := sql.NullString{String: p.ClientID, Valid: p.ClientID != ""}
	ref := sql.NullString{String: p.Reference, Valid: p.Reference != ""}
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO ledger_transactions (kind, client_id, payment_id, refund_id,
		payout_id, reference, description, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.Kind, client, nullID(p.PaymentID), nullID(p.RefundID), nullID(p.PayoutID), ref, p.Description, micros(p.At)),
		"ledger transaction", func(scan func(...any) error) error { return scan(&txID) }); err != nil {
		return 0, err
	}
	// Accounts are locked (by the balance UPDATE, on PostgreSQL) in one
	// global order, whatever order the caller listed them in: a capture
	// (clearing, then client) and a refund (client, then clearing) of two
	// payments of one client would otherwise deadlock.
	entries := slices.Clone(p.Entries)
	slices.SortFunc(entries, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Account.Owner, b.Account.Owner), cmp.Compare(a.Account.Currency, b.Account.Currency),
			cmp.Compare(a.Account.Kind, b.Account.Kind))
	})
	for _, e := range entries {
		if e.Amount == 0 {
			continue
		}
		id, err := tx.accountID(ctx, e.Account, p.At)
		if err != nil {
			return 0, err
		}
		if _, err := tx.exec(ctx, `INSERT INTO ledger_entries (transaction_id, account_id, amount, created_at)
			VALUES ($1, $2, $3, $4)`, txID, id, e.Amount, micros(p.At)); err != nil {
			return 0, err
		}
		if e.Guard && e.Amount < 0 {
			res, err := tx.exec(ctx, `UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2 AND balance + $1 >= 0`, e.Amount, id)
			if err != nil {
				return 0, err
			}
			if n, err := res.RowsAffected(); err != nil {
				return 0, err
			} else if n == 0 {
				return 0, ErrInsufficientFunds
			}
			continue
		}
		if _, err := tx.exec(ctx, `UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2`, e.Amount, id); err != nil {
			return 0, err
		}
	}
	return txID, nil
}

// ErrInsufficientFunds refuses a guarded debit that would take a balance
// below zero.
var ErrInsufficientFunds = pasarela.Errorf(pasarela.KindConflict, "insufficient_funds", "the balance does not cover the amount")

// PostingByReference returns the id of a client's posting of kind with
// reference, the sum of its credits (what it moved) and its currency, or a
// not-found error.
func (tx *Tx) PostingByReference(ctx context.Context, clientID, kind, reference string) (id, moved int64, currency string, err error) {
	err = tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT t.id, COALESCE(SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END), 0),
		MIN(a.currency) FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
		JOIN ledger_accounts a ON a.id = e.account_id
		WHERE t.client_id = $1 AND t.kind = $2 AND t.reference = $3 GROUP BY t.id`, clientID, kind, reference),
		"ledger transaction", func(scan func(...any) error) error { return scan(&id, &moved, &currency) })
	return id, moved, currency, err
}

// Balance returns an account's balance (0 for an account never used). Inside
// Update on PostgreSQL the row is locked, so a check-then-debit is safe.
func (tx *Tx) Balance(ctx context.Context, a Account) (int64, error) {
	var b int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT balance FROM ledger_accounts WHERE owner = $1 AND currency = $2
		AND kind = $3`+tx.d.ForUpdate, a.Owner, a.Currency, a.Kind), "ledger account",
		func(scan func(...any) error) error { return scan(&b) })
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return 0, nil
	}
	return b, err
}

// AccountBalance is one account with its stored balance.
type AccountBalance struct {
	Account
	Balance int64
}

// Balances returns the accounts of an owner.
func (tx *Tx) Balances(ctx context.Context, owner string) ([]AccountBalance, error) {
	rows, err := tx.query(ctx, `SELECT owner, currency, kind, balance FROM ledger_accounts WHERE owner = $1
		ORDER BY currency, kind`, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountBalance
	for rows.Next() {
		var a AccountBalance
		if err := rows.Scan(&a.Owner, &a.Currency, &a.Kind, &a.Balance); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// LedgerProblem is one broken invariant found by VerifyLedger.
type LedgerProblem struct {
	What string
}

// VerifyLedger checks the two invariants of the ledger: every transaction's
// entries sum to zero (and it has at least two), and every account's stored
// balance equals the sum of its entries. It returns what does not hold.
func (tx *Tx) VerifyLedger(ctx context.Context) ([]LedgerProblem, error) {
	var out []LedgerProblem
	rows, err := tx.query(ctx, `SELECT t.id, t.kind, COALESCE(SUM(e.amount), 0), COUNT(e.id)
		FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
		GROUP BY t.id, t.kind HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, sum, n int64
		var kind string
		if err := rows.Scan(&id, &kind, &sum, &n); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, LedgerProblem{fmt.Sprintf("transaction %d (%s) has %d entries summing to %d", id, kind, n, sum)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.query(ctx, `SELECT a.id, a.owner, a.currency, a.kind, a.balance, COALESCE(SUM(e.amount), 0)
		FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
		GROUP BY a.id, a.owner, a.currency, a.kind, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, balance, sum int64
		var owner, cur, kind string
		if err := rows.Scan(&id, &owner, &cur, &kind, &balance, &sum); err != nil {
			return nil, err
		}
		out = append(out, LedgerProblem{fmt.Sprintf("account %d (%s %s %s) holds %d but its entries sum to %d", id, owner, cur, kind, balance, sum)})
	}
	return out, rows.Err()
}
