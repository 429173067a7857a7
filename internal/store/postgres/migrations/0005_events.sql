-- Events (the outbox written with every state change), webhook endpoints,
-- their deliveries (a durable queue: rows claimed with a lease) and the log
-- of delivery attempts, and a sealed copy of each application's API key for
-- the PayREST Hash header.
CREATE TABLE events (
	-- seq orders events as they were written; id is the public name.
	seq            BIGSERIAL PRIMARY KEY,
	id             TEXT NOT NULL,
	client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id BIGINT NOT NULL,
	type           TEXT NOT NULL,
	entity         TEXT NOT NULL,
	entity_id      BIGINT NOT NULL,
	data           TEXT NOT NULL,
	created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_id_uq ON events (id);
CREATE INDEX events_client_idx ON events (client_id, seq);
CREATE INDEX events_entity_idx ON events (client_id, entity, entity_id);

CREATE TABLE webhooks (
	id             BIGSERIAL PRIMARY KEY,
	client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	method         TEXT NOT NULL,
	targets        TEXT NOT NULL,
	entity         TEXT NOT NULL,
	events         TEXT NOT NULL,
	secret         BYTEA NOT NULL,
	disabled       BOOLEAN NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX webhooks_app_idx ON webhooks (application_id, id);
CREATE INDEX webhooks_client_entity_idx ON webhooks (client_id, entity);

CREATE TABLE webhook_deliveries (
	id              BIGSERIAL PRIMARY KEY,
	client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id  BIGINT NOT NULL,
	webhook_id      BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	target          TEXT NOT NULL,
	status          TEXT NOT NULL,
	attempts        BIGINT NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	lease_owner     TEXT NOT NULL,
	last_status     BIGINT NOT NULL,
	last_error      TEXT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	delivered_at    BIGINT
);
-- The workers' claim reads only pending rows, by due time. A claimed row's
-- next_attempt_at is its lease: if the worker dies mid-send, the row is due
-- again when the lease ends.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
	id          BIGSERIAL PRIMARY KEY,
	delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	client_id   TEXT NOT NULL,
	attempt     BIGINT NOT NULL,
	status      BIGINT NOT NULL,
	error       TEXT NOT NULL,
	latency_us  BIGINT NOT NULL,
	response    TEXT NOT NULL,
	created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE TABLE application_sealed_keys (
	application_id BIGINT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
	client_id      TEXT NOT NULL,
	sealed         BYTEA NOT NULL,
	updated_at     BIGINT NOT NULL
);
