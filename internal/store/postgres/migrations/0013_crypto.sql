-- Users' API tokens: opaque strings a face hands a signed-in user (xpay's
-- "Token <key>"), kept only as a SHA-256 hash. Revoking one deletes its row;
-- a password change deletes every other token of the user.
CREATE TABLE user_tokens (
	token_hash TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id);

-- A payment may name its own notification URL (an xpay transaction's
-- callback) and the format it is sent in; its events then also go there,
-- through the application's per-payment webhook of that format, which has
-- no targets of its own.
ALTER TABLE payments ADD COLUMN notify_url TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN notify_format TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN per_payment BOOLEAN NOT NULL DEFAULT FALSE;

-- The next derivation index of each merchant key (an extended public key,
-- named by a hash of it) per currency: taken and bumped in the transaction
-- that creates the deposit, so an index is never used twice, even by two
-- gateway configs holding the same key.
CREATE TABLE crypto_key_indexes (
	currency   TEXT NOT NULL,
	key_id     TEXT NOT NULL,
	next_index BIGINT NOT NULL,
	unpaid_run BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (currency, key_id)
);

-- A crypto deposit: the crypto side of a payment whose buyer pays to a fresh
-- address of the merchant's key. amount (what is due, in the crypto
-- currency) and rate (fiat per coin) are locked at creation; received,
-- confirmations and txids are what the chain shows.
CREATE TABLE crypto_deposits (
	payment_id        BIGINT PRIMARY KEY REFERENCES payments (id),
	client_id         TEXT NOT NULL REFERENCES clients (id),
	application_id    BIGINT NOT NULL REFERENCES applications (id),
	gateway_config_id BIGINT NOT NULL REFERENCES gateway_configs (id),
	user_id           BIGINT NOT NULL,
	currency          TEXT NOT NULL,
	network           TEXT NOT NULL,
	chain             TEXT NOT NULL,
	key_id            TEXT NOT NULL,
	derivation_index  BIGINT NOT NULL,
	address           TEXT NOT NULL,
	amount            TEXT NOT NULL,
	rate              TEXT NOT NULL,
	exchange          TEXT NOT NULL,
	commission        TEXT NOT NULL,
	fiat_withdraw     BIGINT NOT NULL,
	received          TEXT NOT NULL,
	confirmations     BIGINT NOT NULL,
	txids             TEXT NOT NULL,
	late              BOOLEAN NOT NULL DEFAULT FALSE,
	expires_at        BIGINT NOT NULL,
	monitor_until     BIGINT NOT NULL,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX crypto_deposits_index_uq ON crypto_deposits (currency, key_id, derivation_index);
CREATE UNIQUE INDEX crypto_deposits_address_uq ON crypto_deposits (currency, address);
CREATE INDEX crypto_deposits_watch_idx ON crypto_deposits (monitor_until);
CREATE INDEX crypto_deposits_user_idx ON crypto_deposits (client_id, user_id, payment_id);

-- Crypto prices in fiat as each exchange (rate source) last published them.
CREATE TABLE crypto_rates (
	exchange   TEXT NOT NULL,
	currency   TEXT NOT NULL,
	fiat       TEXT NOT NULL,
	rate       TEXT NOT NULL,
	fetched_at BIGINT NOT NULL,
	PRIMARY KEY (exchange, currency, fiat)
);

-- The sandbox chain: simulated blocks and transaction outputs, per currency,
-- kept in the gateway's database so that every node sees one chain and it
-- survives restarts. height 0 is the mempool.
CREATE TABLE sandbox_chain_blocks (
	currency TEXT NOT NULL,
	height   BIGINT NOT NULL,
	hash     TEXT NOT NULL,
	mined_at BIGINT NOT NULL,
	PRIMARY KEY (currency, height)
);
CREATE TABLE sandbox_chain_outputs (
	id         BIGSERIAL PRIMARY KEY,
	currency   TEXT NOT NULL,
	txid       TEXT NOT NULL,
	vout       BIGINT NOT NULL,
	address    TEXT NOT NULL,
	amount     TEXT NOT NULL,
	height     BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sandbox_chain_outputs_tx_uq ON sandbox_chain_outputs (currency, txid, vout);
CREATE INDEX sandbox_chain_outputs_address_idx ON sandbox_chain_outputs (currency, address);
CREATE INDEX sandbox_chain_outputs_height_idx ON sandbox_chain_outputs (currency, height);
