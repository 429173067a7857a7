-- Gateway configs, payments, payment links, refunds, idempotency records,
-- the double-entry ledger, and processors' own state.
CREATE TABLE gateway_configs (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	gateway        TEXT NOT NULL,
	name           TEXT NOT NULL,
	code           TEXT NOT NULL,
	weight         INTEGER NOT NULL,
	enabled        BOOLEAN NOT NULL,
	options        TEXT NOT NULL,
	secrets        BLOB,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX gateway_configs_code_uq ON gateway_configs (code);
CREATE INDEX gateway_configs_app_idx ON gateway_configs (application_id, id);

CREATE TABLE payments (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    INTEGER NOT NULL REFERENCES applications (id),
	transaction_id    TEXT NOT NULL,
	checkout_token    TEXT NOT NULL,
	status            TEXT NOT NULL,
	type              TEXT NOT NULL,
	amount            INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	captured          INTEGER NOT NULL,
	refunded          INTEGER NOT NULL,
	description       TEXT NOT NULL,
	customer_id       TEXT NOT NULL,
	customer_email    TEXT NOT NULL,
	merchant_ref      TEXT,
	language          TEXT NOT NULL,
	flags             TEXT NOT NULL,
	ask_for_details   BOOLEAN NOT NULL,
	capture           TEXT NOT NULL,
	gateway_configs   TEXT NOT NULL,
	gateway_config_id INTEGER REFERENCES gateway_configs (id),
	processor_ref     TEXT NOT NULL,
	card              TEXT NOT NULL,
	failure_code      TEXT NOT NULL,
	failure_message   TEXT NOT NULL,
	action            TEXT NOT NULL,
	action_url        TEXT NOT NULL,
	parent_id         INTEGER REFERENCES payments (id),
	return_url        TEXT NOT NULL,
	cancel_url        TEXT NOT NULL,
	metadata          TEXT NOT NULL,
	expires_at        INTEGER,
	completed_at      INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	version           INTEGER NOT NULL
);
CREATE UNIQUE INDEX payments_transaction_id_uq ON payments (transaction_id);
CREATE UNIQUE INDEX payments_checkout_token_uq ON payments (checkout_token);
CREATE UNIQUE INDEX payments_merchant_ref_uq ON payments (application_id, merchant_ref);
CREATE INDEX payments_app_idx ON payments (application_id, id);
CREATE INDEX payments_app_status_idx ON payments (application_id, status, id);
CREATE INDEX payments_parent_idx ON payments (parent_id);

CREATE TABLE payment_links (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    INTEGER NOT NULL REFERENCES applications (id),
	payment_id        INTEGER NOT NULL REFERENCES payments (id),
	token             TEXT NOT NULL,
	gateway_config_id INTEGER NOT NULL REFERENCES gateway_configs (id),
	status            TEXT NOT NULL,
	return_url        TEXT NOT NULL,
	cancel_url        TEXT NOT NULL,
	expires_at        INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX payment_links_token_uq ON payment_links (token);
CREATE INDEX payment_links_payment_idx ON payment_links (payment_id, id);

CREATE TABLE refunds (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id       TEXT NOT NULL REFERENCES clients (id),
	application_id  INTEGER NOT NULL REFERENCES applications (id),
	payment_id      INTEGER NOT NULL REFERENCES payments (id),
	amount          INTEGER NOT NULL,
	currency        TEXT NOT NULL,
	reason          TEXT NOT NULL,
	status          TEXT NOT NULL,
	processor_ref   TEXT NOT NULL,
	failure_message TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id, id);

CREATE TABLE idempotency_keys (
	client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	scope       TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint BLOB NOT NULL,
	status      INTEGER NOT NULL,
	body        BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	PRIMARY KEY (client_id, scope, key)
);
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (expires_at);

CREATE TABLE ledger_accounts (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	owner      TEXT NOT NULL,
	currency   TEXT NOT NULL,
	kind       TEXT NOT NULL,
	balance    INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ledger_accounts_uq ON ledger_accounts (owner, currency, kind);

CREATE TABLE ledger_transactions (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	client_id   TEXT,
	payment_id  INTEGER REFERENCES payments (id),
	refund_id   INTEGER REFERENCES refunds (id),
	description TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX ledger_transactions_payment_idx ON ledger_transactions (payment_id);

CREATE TABLE ledger_entries (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	transaction_id INTEGER NOT NULL REFERENCES ledger_transactions (id),
	account_id     INTEGER NOT NULL REFERENCES ledger_accounts (id),
	amount         INTEGER NOT NULL,
	created_at     INTEGER NOT NULL
);
CREATE INDEX ledger_entries_tx_idx ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id);

CREATE TABLE processor_state (
	processor  TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      BLOB NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (processor, key)
);

-- The sweeper finds payable payments whose deadline passed.
CREATE INDEX payments_expiry_idx ON payments (expires_at) WHERE expires_at IS NOT NULL AND status IN ('pending', 'requires_action');
