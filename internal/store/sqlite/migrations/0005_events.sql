-- Events (the outbox written with every state change), webhook endpoints,
-- their deliveries (a durable queue: rows claimed with a lease) and the log
-- of delivery attempts, and a sealed copy of each application's API key for
-- the PayREST Hash header.
CREATE TABLE events (
	-- seq orders events as they were written; id is the public name.
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT NOT NULL,
	client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id INTEGER NOT NULL,
	type           TEXT NOT NULL,
	entity         TEXT NOT NULL,
	entity_id      INTEGER NOT NULL,
	data           TEXT NOT NULL,
	created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_id_uq ON events (id);
CREATE INDEX events_client_idx ON events (client_id, seq);
CREATE INDEX events_entity_idx ON events (client_id, entity, entity_id);

CREATE TABLE webhooks (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	method         TEXT NOT NULL,
	targets        TEXT NOT NULL,
	entity         TEXT NOT NULL,
	events         TEXT NOT NULL,
	secret         BLOB NOT NULL,
	disabled       BOOLEAN NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX webhooks_app_idx ON webhooks (application_id, id);
CREATE INDEX webhooks_client_entity_idx ON webhooks (client_id, entity);

CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	application_id  INTEGER NOT NULL,
	webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	target          TEXT NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	lease_owner     TEXT NOT NULL,
	last_status     INTEGER NOT NULL,
	last_error      TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	delivered_at    INTEGER
);
-- The workers' claim reads only pending rows, by due time. A claimed row's
-- next_attempt_at is its lease: if the worker dies mid-send, the row is due
-- again when the lease ends.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	client_id   TEXT NOT NULL,
	attempt     INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	error       TEXT NOT NULL,
	latency_us  INTEGER NOT NULL,
	response    TEXT NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE TABLE application_sealed_keys (
	application_id INTEGER PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
	client_id      TEXT NOT NULL,
	sealed         BLOB NOT NULL,
	updated_at     INTEGER NOT NULL
);
