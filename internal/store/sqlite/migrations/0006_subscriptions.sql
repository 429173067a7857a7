-- Subscriptions, the agreements buyers confirm them with, and their billing
-- cycles. A cycle row is the claim of one period's charge: its primary key
-- (subscription_id, cycle) lets only one node create a period's payment.
CREATE TABLE subscriptions (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    INTEGER NOT NULL REFERENCES applications (id),
	status            TEXT NOT NULL,
	amount            INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	description       TEXT NOT NULL,
	customer_id       TEXT NOT NULL,
	customer_email    TEXT NOT NULL,
	period_unit       TEXT NOT NULL,
	interval_count    INTEGER NOT NULL,
	start_date        INTEGER NOT NULL,
	cycles            INTEGER NOT NULL,
	end_date          INTEGER,
	gateway_configs   TEXT NOT NULL,
	gateway_config_id INTEGER REFERENCES gateway_configs (id),
	card              TEXT NOT NULL,
	cycles_paid       INTEGER NOT NULL,
	next_cycle        INTEGER NOT NULL,
	next_charge_at    INTEGER,
	confirmed_at      INTEGER,
	canceled_at       INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	version           INTEGER NOT NULL
);
CREATE INDEX subscriptions_app_idx ON subscriptions (application_id, id);
CREATE INDEX subscriptions_app_status_idx ON subscriptions (application_id, status, id);
-- The scheduler's scan: only subscriptions it may charge, by due time.
CREATE INDEX subscriptions_due_idx ON subscriptions (next_charge_at, id) WHERE status IN ('active', 'past_due');

CREATE TABLE subscription_agreements (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    INTEGER NOT NULL REFERENCES applications (id),
	subscription_id   INTEGER NOT NULL REFERENCES subscriptions (id),
	token             TEXT NOT NULL,
	gateway_config_id INTEGER NOT NULL REFERENCES gateway_configs (id),
	status            TEXT NOT NULL,
	return_url        TEXT NOT NULL,
	cancel_url        TEXT NOT NULL,
	card              TEXT NOT NULL,
	processor_ref     TEXT NOT NULL,
	failure_code      TEXT NOT NULL,
	failure_message   TEXT NOT NULL,
	confirmed_at      INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	version           INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscription_agreements_token_uq ON subscription_agreements (token);
CREATE INDEX subscription_agreements_sub_idx ON subscription_agreements (subscription_id, id);

CREATE TABLE subscription_cycles (
	subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
	cycle           INTEGER NOT NULL,
	client_id       TEXT NOT NULL REFERENCES clients (id),
	payment_id      INTEGER NOT NULL REFERENCES payments (id),
	status          TEXT NOT NULL,
	due_at          INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	CONSTRAINT subscription_cycles_pkey PRIMARY KEY (subscription_id, cycle)
);
CREATE UNIQUE INDEX subscription_cycles_payment_uq ON subscription_cycles (payment_id);
