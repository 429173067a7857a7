-- Statistics (PayREST /stats…). A payment counts as confirmed once it has a
-- completion date (completed, partially_refunded, refunded): the same
-- predicate in the index, the rollups and the queries, so they agree.

-- Days and the detail by confirmation date of a client: the detail's page
-- reads this index (it delivers the order: completion date, then id).
-- Partial, so that creating a payment (still pending) writes nothing to it.
CREATE INDEX payments_stats_completed_idx
	ON payments (client_id, completed_at, id, application_id, currency, amount, refunded)
	WHERE completed_at IS NOT NULL;

-- All-time totals of confirmed payments per application, gateway config
-- and currency, kept by the triggers below in the same transaction as the
-- change that moves them, so that a summary reads a few rows instead of
-- every payment. Pending payments are not in it: creating a payment costs
-- it nothing. shard (payment id mod 16) spreads one application's
-- concurrent confirmations over several rows so that they do not queue on
-- one row lock (PostgreSQL); readers add the shards up. No foreign keys:
-- the rows are derived from payments, which hold them.
CREATE TABLE payment_totals (
	client_id         TEXT NOT NULL,
	application_id    INTEGER NOT NULL,
	gateway_config_id INTEGER NOT NULL, -- 0: no gateway config
	currency          TEXT NOT NULL,
	shard             INTEGER NOT NULL,
	count             INTEGER NOT NULL,
	amount            INTEGER NOT NULL,
	refunded          INTEGER NOT NULL,
	PRIMARY KEY (client_id, application_id, gateway_config_id, currency, shard)
) WITHOUT ROWID;

INSERT INTO payment_totals (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
SELECT client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16, COUNT(*), SUM(amount), SUM(refunded)
FROM payments WHERE completed_at IS NOT NULL
GROUP BY client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16;

CREATE TRIGGER payment_totals_insert AFTER INSERT ON payments
WHEN NEW.completed_at IS NOT NULL
BEGIN
	INSERT INTO payment_totals (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
	VALUES (NEW.client_id, NEW.application_id, COALESCE(NEW.gateway_config_id, 0), NEW.currency, NEW.id % 16, 1, NEW.amount, NEW.refunded)
	ON CONFLICT (client_id, application_id, gateway_config_id, currency, shard) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

-- Every update writes every mutable column, so the condition compares
-- values: only a change that moves a total touches the rollup.
CREATE TRIGGER payment_totals_update AFTER UPDATE ON payments
WHEN (OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)
	OR (NEW.completed_at IS NOT NULL AND (OLD.amount <> NEW.amount OR OLD.refunded <> NEW.refunded
		OR OLD.currency <> NEW.currency OR COALESCE(OLD.gateway_config_id, 0) <> COALESCE(NEW.gateway_config_id, 0)
		OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id))
BEGIN
	UPDATE payment_totals SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE OLD.completed_at IS NOT NULL AND client_id = OLD.client_id AND application_id = OLD.application_id
		AND gateway_config_id = COALESCE(OLD.gateway_config_id, 0) AND currency = OLD.currency AND shard = OLD.id % 16;
	INSERT INTO payment_totals (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
	SELECT NEW.client_id, NEW.application_id, COALESCE(NEW.gateway_config_id, 0), NEW.currency, NEW.id % 16, 1, NEW.amount, NEW.refunded
	WHERE NEW.completed_at IS NOT NULL
	ON CONFLICT (client_id, application_id, gateway_config_id, currency, shard) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

CREATE TRIGGER payment_totals_delete AFTER DELETE ON payments
WHEN OLD.completed_at IS NOT NULL
BEGIN
	UPDATE payment_totals SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE client_id = OLD.client_id AND application_id = OLD.application_id
		AND gateway_config_id = COALESCE(OLD.gateway_config_id, 0) AND currency = OLD.currency AND shard = OLD.id % 16;
END;

-- Figures per day come from two rollups of payments per time bucket, kept
-- exact by the triggers below in the same transaction as the change: one by
-- creation time (an application's days: per status and currency), one by
-- confirmation time (a client's days and the detail's totals: per
-- application and currency). A day in a UTC offset is a whole number of 15
-- minutes away from a UTC midnight (every offset in use is), so each
-- payment is counted four times, in its UTC day (slot 120), its four hours
-- of that day (slots 121-126), its hour (slots 96-119) and its quarter of
-- an hour (slots 0-95): a day of any offset is one UTC day's row plus or
-- minus at most 6 aligned finer rows of a UTC day (11:45 is three four-hour
-- rows less one quarter), so a period reads at most 7 rows per day and
-- combination whatever the number of payments. day counts
-- UTC days since 1970 (created_at / 86400000000); slot leads day in the key
-- so that one slot is one range of days. Rows are never deleted: a
-- combination that empties keeps count 0, and readers leave it out.
CREATE TABLE payment_buckets_created (
	client_id      TEXT NOT NULL,
	application_id INTEGER NOT NULL,
	slot           INTEGER NOT NULL,
	day            INTEGER NOT NULL,
	status         TEXT NOT NULL,
	currency       TEXT NOT NULL,
	count          INTEGER NOT NULL,
	amount         INTEGER NOT NULL,
	refunded       INTEGER NOT NULL,
	PRIMARY KEY (client_id, application_id, slot, day, status, currency)
) WITHOUT ROWID;

CREATE TABLE payment_buckets_confirmed (
	client_id      TEXT NOT NULL,
	slot           INTEGER NOT NULL,
	day            INTEGER NOT NULL,
	application_id INTEGER NOT NULL,
	currency       TEXT NOT NULL,
	count          INTEGER NOT NULL,
	amount         INTEGER NOT NULL,
	refunded       INTEGER NOT NULL,
	PRIMARY KEY (client_id, slot, day, application_id, currency)
) WITHOUT ROWID;

INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, count, amount, refunded)
SELECT client_id, application_id, slot, day, status, currency, COUNT(*), SUM(amount), SUM(refunded) FROM (
	SELECT client_id, application_id, (created_at % 86400000000) / 900000000 AS slot, created_at / 86400000000 AS day,
		status, currency, amount, refunded FROM payments
	UNION ALL
	SELECT client_id, application_id, 96 + (created_at % 86400000000) / 3600000000, created_at / 86400000000,
		status, currency, amount, refunded FROM payments
	UNION ALL
	SELECT client_id, application_id, 120, created_at / 86400000000, status, currency, amount, refunded FROM payments
	UNION ALL
	SELECT client_id, application_id, 121 + (created_at % 86400000000) / 14400000000, created_at / 86400000000,
		status, currency, amount, refunded FROM payments)
GROUP BY client_id, application_id, slot, day, status, currency;

INSERT INTO payment_buckets_confirmed (client_id, slot, day, application_id, currency, count, amount, refunded)
SELECT client_id, slot, day, application_id, currency, COUNT(*), SUM(amount), SUM(refunded) FROM (
	SELECT client_id, (completed_at % 86400000000) / 900000000 AS slot, completed_at / 86400000000 AS day,
		application_id, currency, amount, refunded FROM payments WHERE completed_at IS NOT NULL
	UNION ALL
	SELECT client_id, 96 + (completed_at % 86400000000) / 3600000000, completed_at / 86400000000,
		application_id, currency, amount, refunded FROM payments WHERE completed_at IS NOT NULL
	UNION ALL
	SELECT client_id, 120, completed_at / 86400000000, application_id, currency, amount, refunded
		FROM payments WHERE completed_at IS NOT NULL
	UNION ALL
	SELECT client_id, 121 + (completed_at % 86400000000) / 14400000000, completed_at / 86400000000,
		application_id, currency, amount, refunded FROM payments WHERE completed_at IS NOT NULL)
GROUP BY client_id, slot, day, application_id, currency;

-- Creating a payment adds it to its four created rows: the whole cost of
-- the statistics on the create path (one statement, four rows that the
-- payments created around the same time share, so they stay in cache).
CREATE TRIGGER payment_buckets_created_insert AFTER INSERT ON payments
BEGIN
	INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, count, amount, refunded)
	VALUES (NEW.client_id, NEW.application_id, (NEW.created_at % 86400000000) / 900000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 96 + (NEW.created_at % 86400000000) / 3600000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 120, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 121 + (NEW.created_at % 86400000000) / 14400000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded)
	ON CONFLICT (client_id, application_id, slot, day, status, currency) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

-- Every update writes every mutable column, so the condition compares
-- values: only a change that moves a figure touches the rollup.
CREATE TRIGGER payment_buckets_created_update AFTER UPDATE ON payments
WHEN OLD.status <> NEW.status OR OLD.amount <> NEW.amount OR OLD.refunded <> NEW.refunded
	OR OLD.currency <> NEW.currency OR OLD.created_at <> NEW.created_at
	OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id
BEGIN
	UPDATE payment_buckets_created SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE client_id = OLD.client_id AND application_id = OLD.application_id
		AND slot IN ((OLD.created_at % 86400000000) / 900000000, 96 + (OLD.created_at % 86400000000) / 3600000000, 120,
			121 + (OLD.created_at % 86400000000) / 14400000000)
		AND day = OLD.created_at / 86400000000 AND status = OLD.status AND currency = OLD.currency;
	INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, count, amount, refunded)
	VALUES (NEW.client_id, NEW.application_id, (NEW.created_at % 86400000000) / 900000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 96 + (NEW.created_at % 86400000000) / 3600000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 120, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, NEW.application_id, 121 + (NEW.created_at % 86400000000) / 14400000000, NEW.created_at / 86400000000,
			NEW.status, NEW.currency, 1, NEW.amount, NEW.refunded)
	ON CONFLICT (client_id, application_id, slot, day, status, currency) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

CREATE TRIGGER payment_buckets_created_delete AFTER DELETE ON payments
BEGIN
	UPDATE payment_buckets_created SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE client_id = OLD.client_id AND application_id = OLD.application_id
		AND slot IN ((OLD.created_at % 86400000000) / 900000000, 96 + (OLD.created_at % 86400000000) / 3600000000, 120,
			121 + (OLD.created_at % 86400000000) / 14400000000)
		AND day = OLD.created_at / 86400000000 AND status = OLD.status AND currency = OLD.currency;
END;

-- Confirmed rows: creating a pending payment does not touch them.
CREATE TRIGGER payment_buckets_confirmed_insert AFTER INSERT ON payments
WHEN NEW.completed_at IS NOT NULL
BEGIN
	INSERT INTO payment_buckets_confirmed (client_id, slot, day, application_id, currency, count, amount, refunded)
	VALUES (NEW.client_id, (NEW.completed_at % 86400000000) / 900000000, NEW.completed_at / 86400000000,
			NEW.application_id, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, 96 + (NEW.completed_at % 86400000000) / 3600000000, NEW.completed_at / 86400000000,
			NEW.application_id, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, 120, NEW.completed_at / 86400000000, NEW.application_id, NEW.currency, 1, NEW.amount, NEW.refunded),
		(NEW.client_id, 121 + (NEW.completed_at % 86400000000) / 14400000000, NEW.completed_at / 86400000000, NEW.application_id, NEW.currency, 1, NEW.amount, NEW.refunded)
	ON CONFLICT (client_id, slot, day, application_id, currency) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

CREATE TRIGGER payment_buckets_confirmed_update AFTER UPDATE ON payments
WHEN (OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)
	OR (NEW.completed_at IS NOT NULL AND (OLD.completed_at <> NEW.completed_at OR OLD.amount <> NEW.amount
		OR OLD.refunded <> NEW.refunded OR OLD.currency <> NEW.currency
		OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id))
BEGIN
	UPDATE payment_buckets_confirmed SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE OLD.completed_at IS NOT NULL AND client_id = OLD.client_id
		AND slot IN ((OLD.completed_at % 86400000000) / 900000000, 96 + (OLD.completed_at % 86400000000) / 3600000000, 120,
			121 + (OLD.completed_at % 86400000000) / 14400000000)
		AND day = OLD.completed_at / 86400000000 AND application_id = OLD.application_id AND currency = OLD.currency;
	INSERT INTO payment_buckets_confirmed (client_id, slot, day, application_id, currency, count, amount, refunded)
	SELECT NEW.client_id, s.slot, NEW.completed_at / 86400000000, NEW.application_id, NEW.currency, 1, NEW.amount, NEW.refunded
	FROM (SELECT (NEW.completed_at % 86400000000) / 900000000 AS slot
		UNION ALL SELECT 96 + (NEW.completed_at % 86400000000) / 3600000000 UNION ALL SELECT 120
		UNION ALL SELECT 121 + (NEW.completed_at % 86400000000) / 14400000000) AS s
	WHERE NEW.completed_at IS NOT NULL
	ON CONFLICT (client_id, slot, day, application_id, currency) DO UPDATE SET
		count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
END;

CREATE TRIGGER payment_buckets_confirmed_delete AFTER DELETE ON payments
WHEN OLD.completed_at IS NOT NULL
BEGIN
	UPDATE payment_buckets_confirmed SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
	WHERE client_id = OLD.client_id
		AND slot IN ((OLD.completed_at % 86400000000) / 900000000, 96 + (OLD.completed_at % 86400000000) / 3600000000, 120,
			121 + (OLD.completed_at % 86400000000) / 14400000000)
		AND day = OLD.completed_at / 86400000000 AND application_id = OLD.application_id AND currency = OLD.currency;
END;
