package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

const payoutColumns = `id, client_id, user_id, seq, reference, amount, currency, transaction_type, beneficiary_name,
	beneficiary_account, account_type, bank_code, beneficiary, concept, description, numeric_reference, alpha_reference,
	date_transaction, status, initial_balance, final_balance, rail, rail_ref, failure_code, failure_message,
	next_check_at, created_at, updated_at, version`

// payoutBeneficiary holds the beneficiary's contact details, which nothing
// filters on, in one JSON column.
type payoutBeneficiary struct {
	Email      string `json:"email,omitempty"`
	RFC        string `json:"rfc,omitempty"`
	Address1   string `json:"address1,omitempty"`
	Address2   string `json:"address2,omitempty"`
	City       string `json:"city,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
}

func scanPayout(scan func(...any) error, p *pasarela.Payout) error {
	var userID, next sql.NullInt64
	var beneficiary, status string
	var created, updated int64
	if err := scan(&p.ID, &p.ClientID, &userID, &p.Seq, &p.Reference, &p.Amount, &p.Currency, &p.TransactionType,
		&p.BeneficiaryName, &p.BeneficiaryAccount, &p.BeneficiaryAccountType, &p.BankCode, &beneficiary, &p.Concept,
		&p.Description, &p.NumericReference, &p.AlphanumericReference, &p.DateTransaction, &status, &p.InitialBalance,
		&p.FinalBalance, &p.Rail, &p.RailRef, &p.FailureCode, &p.FailureMessage, &next, &created, &updated,
		&p.Version); err != nil {
		return err
	}
	var b payoutBeneficiary
	if err := json.Unmarshal([]byte(beneficiary), &b); err != nil {
		return err
	}
	p.BeneficiaryEmail, p.BeneficiaryRFC, p.BeneficiaryAddress1, p.BeneficiaryAddress2 = b.Email, b.RFC, b.Address1, b.Address2
	p.BeneficiaryCity, p.BeneficiaryPostalCode = b.City, b.PostalCode
	p.UserID = userID.Int64
	p.Status = pasarela.PayoutStatus(status)
	p.NextCheckAt = timePtr(next)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

// NextPayoutSeq returns the next sequence number of a client's payouts.
// Callers hold the client's balance lock (the core reads the available
// balance FOR UPDATE first), so two orders of one client never draw the same
// number; the unique index catches any caller that does not.
func (tx *Tx) NextPayoutSeq(ctx context.Context, clientID string) (int64, error) {
	var seq int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM payouts WHERE client_id = $1`, clientID),
		"payout sequence", func(scan func(...any) error) error { return scan(&seq) })
	return seq, err
}

// CreatePayout inserts p and sets its id.
func (tx *Tx) CreatePayout(ctx context.Context, p *pasarela.Payout) error {
	b, err := json.Marshal(payoutBeneficiary{Email: p.BeneficiaryEmail, RFC: p.BeneficiaryRFC, Address1: p.BeneficiaryAddress1,
		Address2: p.BeneficiaryAddress2, City: p.BeneficiaryCity, PostalCode: p.BeneficiaryPostalCode})
	if err != nil {
		return err
	}
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO payouts (client_id, user_id, seq, reference, amount, currency,
		transaction_type, beneficiary_name, beneficiary_account, account_type, bank_code, beneficiary, concept, description,
		numeric_reference, alpha_reference, date_transaction, status, initial_balance, final_balance, rail, rail_ref,
		failure_code, failure_message, next_check_at, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
		$24, $25, $26, $27, $28) RETURNING id`,
		p.ClientID, nullID(p.UserID), p.Seq, p.Reference, p.Amount, p.Currency, p.TransactionType, p.BeneficiaryName,
		p.BeneficiaryAccount, p.BeneficiaryAccountType, p.BankCode, string(b), p.Concept, p.Description, p.NumericReference,
		p.AlphanumericReference, p.DateTransaction, string(p.Status), p.InitialBalance, p.FinalBalance, p.Rail, p.RailRef,
		p.FailureCode, p.FailureMessage, nullMicros(p.NextCheckAt), micros(p.CreatedAt), micros(p.UpdatedAt), p.Version),
		"payout", func(scan func(...any) error) error { return scan(&p.ID) })
}

// GetPayout returns a payout of the client. Inside Update the row is locked
// until the transaction ends (on PostgreSQL).
func (tx *Tx) GetPayout(ctx context.Context, clientID string, id int64) (*pasarela.Payout, error) {
	var p pasarela.Payout
	row := tx.q.QueryRowContext(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE client_id = $1 AND id = $2`+tx.d.ForUpdate,
		clientID, id)
	if err := tx.scanRow(row, "payout", func(scan func(...any) error) error { return scanPayout(scan, &p) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// UpdatePayout writes the mutable fields of p if nobody changed it since it
// was read (its version), and bumps the version: of two racing changes one
// wins and the other gets a conflict.
func (tx *Tx) UpdatePayout(ctx context.Context, p *pasarela.Payout) error {
	res, err := tx.exec(ctx, `UPDATE payouts SET status = $1, rail = $2, rail_ref = $3, failure_code = $4,
		failure_message = $5, next_check_at = $6, updated_at = $7, version = version + 1
		WHERE client_id = $8 AND id = $9 AND version = $10`,
		string(p.Status), p.Rail, p.RailRef, p.FailureCode, p.FailureMessage, nullMicros(p.NextCheckAt),
		micros(p.UpdatedAt), p.ClientID, p.ID, p.Version)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return pasarela.Errorf(pasarela.KindConflict, "concurrent_change", "the payout was changed by another request; read it again")
	}
	p.Version++
	return nil
}

// PayoutFilter narrows a payout list.
type PayoutFilter struct {
	Statuses []pasarela.PayoutStatus // any of them; empty means all
}

// ListPayouts returns one page of a client's payouts, newest first, and the
// total count of those matching f.
func (tx *Tx) ListPayouts(ctx context.Context, clientID string, f PayoutFilter, opts pasarela.ListOptions) ([]pasarela.Payout, int, error) {
	a := args{clientID}
	where := ` WHERE client_id = $1`
	if len(f.Statuses) > 0 {
		in := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = a.add(string(st))
		}
		where += ` AND status IN (` + strings.Join(in, ", ") + `)`
	}
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM payouts`+where, a...), "payouts",
		func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	rows, err := tx.query(ctx, `SELECT `+payoutColumns+` FROM payouts`+where+` ORDER BY id DESC`+a.page(opts), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []pasarela.Payout{}
	for rows.Next() {
		var p pasarela.Payout
		if err := scanPayout(rows.Scan, &p); err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// DuePayouts returns up to limit payouts (of every client) whose rail should
// be asked about them at or before now, for the payout worker.
func (tx *Tx) DuePayouts(ctx context.Context, now time.Time, limit int) ([]pasarela.Payout, error) {
	rows, err := tx.query(ctx, `SELECT `+payoutColumns+` FROM payouts
		WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.Payout
	for rows.Next() {
		var p pasarela.Payout
		if err := scanPayout(rows.Scan, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
