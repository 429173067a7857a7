-- Subscriptions, the agreements buyers confirm them with, and their billing
-- cycles. A cycle row is the claim of one period's charge: its primary key
-- (subscription_id, cycle) lets only one node create a period's payment.
CREATE TABLE subscriptions (
	id                BIGSERIAL PRIMARY KEY,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    BIGINT NOT NULL REFERENCES applications (id),
	status            TEXT NOT NULL,
	amount            BIGINT NOT NULL,
	currency          TEXT NOT NULL,
	description       TEXT NOT NULL,
	customer_id       TEXT NOT NULL,
	customer_email    TEXT NOT NULL,
	period_unit       TEXT NOT NULL,
	interval_count    BIGINT NOT NULL,
	start_date        BIGINT NOT NULL,
	cycles            BIGINT NOT NULL,
	end_date          BIGINT,
	gateway_configs   TEXT NOT NULL,
	gateway_config_id BIGINT REFERENCES gateway_configs (id),
	card              TEXT NOT NULL,
	cycles_paid       BIGINT NOT NULL,
	next_cycle        BIGINT NOT NULL,
	next_charge_at    BIGINT,
	confirmed_at      BIGINT,
	canceled_at       BIGINT,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	version           BIGINT NOT NULL
);
CREATE INDEX subscriptions_app_idx ON subscriptions (application_id, id);
CREATE INDEX subscriptions_app_status_idx ON subscriptions (application_id, status, id);
-- The scheduler's scan: only subscriptions it may charge, by due time.
CREATE INDEX subscriptions_due_idx ON subscriptions (next_charge_at, id) WHERE status IN ('active', 'past_due');

CREATE TABLE subscription_agreements (
	id                BIGSERIAL PRIMARY KEY,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    BIGINT NOT NULL REFERENCES applications (id),
	subscription_id   BIGINT NOT NULL REFERENCES subscriptions (id),
	token             TEXT NOT NULL,
	gateway_config_id BIGINT NOT NULL REFERENCES gateway_configs (id),
	status            TEXT NOT NULL,
	return_url        TEXT NOT NULL,
	cancel_url        TEXT NOT NULL,
	card              TEXT NOT NULL,
	processor_ref     TEXT NOT NULL,
	failure_code      TEXT NOT NULL,
	failure_message   TEXT NOT NULL,
	confirmed_at      BIGINT,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL,
	version           BIGINT NOT NULL
);
CREATE UNIQUE INDEX subscription_agreements_token_uq ON subscription_agreements (token);
CREATE INDEX subscription_agreements_sub_idx ON subscription_agreements (subscription_id, id);

CREATE TABLE subscription_cycles (
	subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
	cycle           BIGINT NOT NULL,
	client_id       TEXT NOT NULL REFERENCES clients (id),
	payment_id      BIGINT NOT NULL REFERENCES payments (id),
	status          TEXT NOT NULL,
	due_at          BIGINT NOT NULL,
	attempts        BIGINT NOT NULL,
	next_attempt_at BIGINT,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	CONSTRAINT subscription_cycles_pkey PRIMARY KEY (subscription_id, cycle)
);
CREATE UNIQUE INDEX subscription_cycles_payment_uq ON subscription_cycles (payment_id);
