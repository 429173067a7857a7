-- Clients, their users and applications, and the secrets the gateway signs with.
-- Timestamps are Unix microseconds (see store.micros).
CREATE TABLE clients (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	email      TEXT NOT NULL,
	code       TEXT NOT NULL,
	status     TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX clients_code_uq ON clients (code);

CREATE TABLE users (
	id            BIGSERIAL PRIMARY KEY,
	uuid          TEXT NOT NULL,
	client_id     TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	username      TEXT NOT NULL,
	email         TEXT NOT NULL,
	first_name    TEXT,
	last_name     TEXT,
	roles         TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_uq ON users (username);
CREATE UNIQUE INDEX users_email_uq ON users (email);
CREATE INDEX users_client_idx ON users (client_id, id);

CREATE TABLE applications (
	id         BIGSERIAL PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	url        TEXT,
	logo       TEXT,
	shop_login TEXT NOT NULL,
	key_prefix TEXT NOT NULL,
	key_hash   BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX applications_key_prefix_uq ON applications (key_prefix);
CREATE UNIQUE INDEX applications_shop_login_uq ON applications (shop_login);
CREATE INDEX applications_client_idx ON applications (client_id, id);

CREATE TABLE signing_keys (
	name       TEXT PRIMARY KEY,
	secret     BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);
