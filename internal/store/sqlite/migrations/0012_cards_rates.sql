-- Cards a client keeps to charge again (tokens): the processor's token of
-- the card and what may be shown of it, never its number. reference is the
-- name a face gives it (a Gestpay token), unique in an application.
CREATE TABLE stored_cards (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    INTEGER NOT NULL REFERENCES applications (id),
	reference         TEXT NOT NULL,
	gateway_config_id INTEGER NOT NULL REFERENCES gateway_configs (id),
	card              TEXT NOT NULL,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX stored_cards_ref_uq ON stored_cards (application_id, reference);

-- Daily reference exchange rates of fiat currencies against the euro, as a
-- rate source published them (the ECB's, or the sandbox table): one row
-- per currency and day, the rate a decimal string (units per euro).
CREATE TABLE exchange_rates (
	currency   TEXT NOT NULL,
	day        TEXT NOT NULL,
	rate       TEXT NOT NULL,
	source     TEXT NOT NULL,
	fetched_at INTEGER NOT NULL,
	PRIMARY KEY (currency, day)
);
