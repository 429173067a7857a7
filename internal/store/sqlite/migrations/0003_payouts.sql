-- Payouts (money out: Kashpay SPEI orders), and the ledger's link to them.
CREATE TABLE payouts (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id           TEXT NOT NULL REFERENCES clients (id),
	user_id             INTEGER,
	seq                 INTEGER NOT NULL,
	reference           TEXT NOT NULL,
	amount              INTEGER NOT NULL,
	currency            TEXT NOT NULL,
	transaction_type    INTEGER NOT NULL,
	beneficiary_name    TEXT NOT NULL,
	beneficiary_account TEXT NOT NULL,
	account_type        TEXT NOT NULL,
	bank_code           TEXT NOT NULL,
	beneficiary         TEXT NOT NULL,
	concept             TEXT NOT NULL,
	description         TEXT NOT NULL,
	numeric_reference   TEXT NOT NULL,
	alpha_reference     TEXT NOT NULL,
	date_transaction    TEXT NOT NULL,
	status              TEXT NOT NULL,
	initial_balance     INTEGER NOT NULL,
	final_balance       INTEGER NOT NULL,
	rail                TEXT NOT NULL,
	rail_ref            TEXT NOT NULL,
	failure_code        TEXT NOT NULL,
	failure_message     TEXT NOT NULL,
	next_check_at       INTEGER,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	version             INTEGER NOT NULL
);
CREATE UNIQUE INDEX payouts_seq_uq ON payouts (client_id, seq);
CREATE UNIQUE INDEX payouts_reference_uq ON payouts (client_id, reference);
CREATE INDEX payouts_client_status_idx ON payouts (client_id, status, id);
-- The payout worker finds the payouts the rail should be asked about.
CREATE INDEX payouts_due_idx ON payouts (next_check_at) WHERE next_check_at IS NOT NULL;

ALTER TABLE ledger_transactions ADD COLUMN payout_id INTEGER REFERENCES payouts (id);
-- reference makes an operator's funding idempotent: one credit per reference.
ALTER TABLE ledger_transactions ADD COLUMN reference TEXT;
CREATE INDEX ledger_transactions_payout_idx ON ledger_transactions (payout_id);
CREATE UNIQUE INDEX ledger_transactions_reference_uq ON ledger_transactions (client_id, kind, reference);
