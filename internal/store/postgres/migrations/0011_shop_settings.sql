-- An application's settings for its hosted pages and its API access (where
-- buyers go after paying, the server-to-server notification URL, the IP
-- allow-list, whether the API key is always required, the pages' default
-- language), kept as one JSON document the core reads and writes whole.
ALTER TABLE applications ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
-- A payment whose hosted page allows a single attempt: its first decline is
-- its outcome (the payment fails) instead of inviting another card.
ALTER TABLE payments ADD COLUMN single_attempt BOOLEAN NOT NULL DEFAULT FALSE;
-- The issuer's approval code of a payment's charge, as its processor
-- reported it (Gestpay's AuthorizationCode).
ALTER TABLE payments ADD COLUMN authorization_code TEXT NOT NULL DEFAULT '';
