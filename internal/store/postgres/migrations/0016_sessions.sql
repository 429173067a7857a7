-- Sessions of the dashboard: a browser holds a random token in a cookie;
-- only its SHA-256 hash is kept, so a copy of the database signs nobody in.
-- A session ends at its absolute expiry, after being idle too long
-- (last_seen_at), on sign-out, and when its user's password changes (the
-- core deletes the user's rows in the same transaction). A session whose
-- user has a second factor starts with second_factor_pending set: it is
-- good only for entering the code, until the core replaces it by a full one.
CREATE TABLE sessions (
	token_hash            TEXT PRIMARY KEY,
	client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	user_id               BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	second_factor_pending BOOLEAN NOT NULL,
	created_at            BIGINT NOT NULL,
	last_seen_at          BIGINT NOT NULL,
	expires_at            BIGINT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (client_id, user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- A user's TOTP second factor (RFC 6238). The shared secret is sealed with
-- the gateway's secret key like the other secrets, bound to its client and
-- user. confirmed is false between enrolment and the first good code;
-- last_step is the time step of the last code accepted, so that a code
-- cannot be used twice.
CREATE TABLE user_totp (
	user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	sealed     BYTEA NOT NULL,
	confirmed  BOOLEAN NOT NULL,
	last_step  BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);

-- One-time recovery codes of a user's second factor, as SHA-256 hashes (the
-- codes are random, so a fast hash cannot be reversed); a used code is
-- deleted.
CREATE TABLE user_recovery_codes (
	client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	PRIMARY KEY (user_id, code_hash)
);

-- The dashboard's payment list reads a client's payments newest first,
-- filtered, a page at a time cut by id (keyset paging): this index hands
-- them over in that order, whichever applications they belong to.
CREATE INDEX payments_client_idx ON payments (client_id, id);
-- Its search finds a merchant reference, or a buyer's email in any case,
-- among all of a client's payments: without these it read every one.
CREATE INDEX payments_client_ref_idx ON payments (client_id, merchant_ref) WHERE merchant_ref IS NOT NULL;
CREATE INDEX payments_client_email_idx ON payments (client_id, LOWER(customer_email)) WHERE customer_email <> '';
