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
-- one row lock; readers add the shards up. No foreign keys: the rows are
-- derived from payments, which hold them.
CREATE TABLE payment_totals (
	client_id         TEXT NOT NULL,
	application_id    BIGINT NOT NULL,
	gateway_config_id BIGINT NOT NULL, -- 0: no gateway config
	currency          TEXT NOT NULL,
	shard             SMALLINT NOT NULL,
	count             BIGINT NOT NULL,
	amount            BIGINT NOT NULL,
	refunded          BIGINT NOT NULL,
	PRIMARY KEY (client_id, application_id, gateway_config_id, currency, shard)
);

INSERT INTO payment_totals (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
SELECT client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16, COUNT(*), SUM(amount), SUM(refunded)
FROM payments WHERE completed_at IS NOT NULL
GROUP BY client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16;

CREATE FUNCTION payment_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
		UPDATE payment_totals SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
		WHERE client_id = OLD.client_id AND application_id = OLD.application_id
			AND gateway_config_id = COALESCE(OLD.gateway_config_id, 0) AND currency = OLD.currency AND shard = OLD.id % 16;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.completed_at IS NOT NULL THEN
		INSERT INTO payment_totals AS t (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
		VALUES (NEW.client_id, NEW.application_id, COALESCE(NEW.gateway_config_id, 0), NEW.currency, NEW.id % 16, 1, NEW.amount, NEW.refunded)
		ON CONFLICT (client_id, application_id, gateway_config_id, currency, shard) DO UPDATE SET
			count = t.count + 1, amount = t.amount + EXCLUDED.amount, refunded = t.refunded + EXCLUDED.refunded;
	END IF;
	RETURN NULL;
END
$$;

-- The WHEN conditions keep the function from running at all for what
-- cannot move a total (creating a pending payment, most status changes).
-- Every update writes every mutable column, so they compare values.
CREATE TRIGGER payment_totals_insert AFTER INSERT ON payments
	FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL) EXECUTE FUNCTION payment_totals_apply();
CREATE TRIGGER payment_totals_update AFTER UPDATE ON payments
	FOR EACH ROW WHEN ((OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)
		OR (NEW.completed_at IS NOT NULL AND (OLD.amount <> NEW.amount OR OLD.refunded <> NEW.refunded
			OR OLD.currency <> NEW.currency OR COALESCE(OLD.gateway_config_id, 0) <> COALESCE(NEW.gateway_config_id, 0)
			OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id)))
	EXECUTE FUNCTION payment_totals_apply();
CREATE TRIGGER payment_totals_delete AFTER DELETE ON payments
	FOR EACH ROW WHEN (OLD.completed_at IS NOT NULL) EXECUTE FUNCTION payment_totals_apply();

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
-- so that one slot is one range of days. shard (payment id mod 8) spreads
-- the rows that concurrent creates and confirmations of one application
-- share (the current quarter, hour and day) over several rows, so that they
-- do not queue on one row lock until commit; readers add the shards up.
-- Rows are never deleted: a combination that empties keeps count 0, and
-- readers leave it out.
CREATE TABLE payment_buckets_created (
	client_id      TEXT NOT NULL,
	application_id BIGINT NOT NULL,
	slot           SMALLINT NOT NULL,
	day            INTEGER NOT NULL,
	status         TEXT NOT NULL,
	currency       TEXT NOT NULL,
	shard          SMALLINT NOT NULL,
	count          BIGINT NOT NULL,
	amount         BIGINT NOT NULL,
	refunded       BIGINT NOT NULL,
	PRIMARY KEY (client_id, application_id, slot, day, status, currency, shard)
);

CREATE TABLE payment_buckets_confirmed (
	client_id      TEXT NOT NULL,
	slot           SMALLINT NOT NULL,
	day            INTEGER NOT NULL,
	application_id BIGINT NOT NULL,
	currency       TEXT NOT NULL,
	shard          SMALLINT NOT NULL,
	count          BIGINT NOT NULL,
	amount         BIGINT NOT NULL,
	refunded       BIGINT NOT NULL,
	PRIMARY KEY (client_id, slot, day, application_id, currency, shard)
);

INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, shard, count, amount, refunded)
SELECT p.client_id, p.application_id, s.slot, p.created_at / 86400000000, p.status, p.currency, p.id % 8,
	COUNT(*), SUM(p.amount), SUM(p.refunded)
FROM payments p CROSS JOIN LATERAL (VALUES ((p.created_at % 86400000000) / 900000000),
	(96 + (p.created_at % 86400000000) / 3600000000), (120),
	(121 + (p.created_at % 86400000000) / 14400000000)) AS s (slot)
GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO payment_buckets_confirmed (client_id, slot, day, application_id, currency, shard, count, amount, refunded)
SELECT p.client_id, s.slot, p.completed_at / 86400000000, p.application_id, p.currency, p.id % 8,
	COUNT(*), SUM(p.amount), SUM(p.refunded)
FROM payments p CROSS JOIN LATERAL (VALUES ((p.completed_at % 86400000000) / 900000000),
	(96 + (p.completed_at % 86400000000) / 3600000000), (120),
	(121 + (p.completed_at % 86400000000) / 14400000000)) AS s (slot)
WHERE p.completed_at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;

-- Creating a payment adds it to its four created rows: the whole cost of
-- the statistics on the create path. Rows are always taken in slot order,
-- so that two transactions never wait on each other's rows in a cycle.
CREATE FUNCTION payment_buckets_created_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	step int;
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.client_id = NEW.client_id AND OLD.application_id = NEW.application_id
		AND OLD.created_at = NEW.created_at AND OLD.status = NEW.status AND OLD.currency = NEW.currency THEN
		-- Same rows: only the amounts move.
		UPDATE payment_buckets_created SET amount = amount + NEW.amount - OLD.amount,
			refunded = refunded + NEW.refunded - OLD.refunded
		WHERE client_id = OLD.client_id AND application_id = OLD.application_id
			AND slot IN ((OLD.created_at % 86400000000) / 900000000, 96 + (OLD.created_at % 86400000000) / 3600000000, 120,
			121 + (OLD.created_at % 86400000000) / 14400000000)
			AND day = OLD.created_at / 86400000000 AND status = OLD.status AND currency = OLD.currency AND shard = OLD.id % 8;
		RETURN NULL;
	END IF;
	-- A status change takes the rows of its two statuses in status order,
	-- whichever way it goes: two payments of one application moving in
	-- opposite directions (pending to processing and back) then lock the
	-- shared rows in the same order and never wait on each other in a cycle.
	FOR step IN 1..2 LOOP
		IF (step = 1) = (TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.status <= NEW.status)) THEN
			IF TG_OP IN ('UPDATE', 'DELETE') THEN
				UPDATE payment_buckets_created SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
				WHERE client_id = OLD.client_id AND application_id = OLD.application_id
					AND slot IN ((OLD.created_at % 86400000000) / 900000000, 96 + (OLD.created_at % 86400000000) / 3600000000, 120,
					121 + (OLD.created_at % 86400000000) / 14400000000)
					AND day = OLD.created_at / 86400000000 AND status = OLD.status AND currency = OLD.currency AND shard = OLD.id % 8;
			END IF;
		ELSE
			IF TG_OP IN ('INSERT', 'UPDATE') THEN
				INSERT INTO payment_buckets_created AS t (client_id, application_id, slot, day, status, currency, shard, count, amount, refunded)
				VALUES (NEW.client_id, NEW.application_id, (NEW.created_at % 86400000000) / 900000000, NEW.created_at / 86400000000,
						NEW.status, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded),
					(NEW.client_id, NEW.application_id, 96 + (NEW.created_at % 86400000000) / 3600000000, NEW.created_at / 86400000000,
						NEW.status, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded),
					(NEW.client_id, NEW.application_id, 120, NEW.created_at / 86400000000,
						NEW.status, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded),
					(NEW.client_id, NEW.application_id, 121 + (NEW.created_at % 86400000000) / 14400000000, NEW.created_at / 86400000000,
						NEW.status, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded)
				ON CONFLICT (client_id, application_id, slot, day, status, currency, shard) DO UPDATE SET
					count = t.count + 1, amount = t.amount + EXCLUDED.amount, refunded = t.refunded + EXCLUDED.refunded;
			END IF;
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;

CREATE FUNCTION payment_buckets_confirmed_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND OLD.completed_at IS NOT NULL AND NEW.completed_at IS NOT NULL
		AND OLD.client_id = NEW.client_id AND OLD.application_id = NEW.application_id
		AND OLD.completed_at = NEW.completed_at AND OLD.currency = NEW.currency THEN
		UPDATE payment_buckets_confirmed SET amount = amount + NEW.amount - OLD.amount,
			refunded = refunded + NEW.refunded - OLD.refunded
		WHERE client_id = OLD.client_id
			AND slot IN ((OLD.completed_at % 86400000000) / 900000000, 96 + (OLD.completed_at % 86400000000) / 3600000000, 120,
			121 + (OLD.completed_at % 86400000000) / 14400000000)
			AND day = OLD.completed_at / 86400000000 AND application_id = OLD.application_id AND currency = OLD.currency
			AND shard = OLD.id % 8;
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.completed_at IS NOT NULL THEN
		UPDATE payment_buckets_confirmed SET count = count - 1, amount = amount - OLD.amount, refunded = refunded - OLD.refunded
		WHERE client_id = OLD.client_id
			AND slot IN ((OLD.completed_at % 86400000000) / 900000000, 96 + (OLD.completed_at % 86400000000) / 3600000000, 120,
			121 + (OLD.completed_at % 86400000000) / 14400000000)
			AND day = OLD.completed_at / 86400000000 AND application_id = OLD.application_id AND currency = OLD.currency
			AND shard = OLD.id % 8;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.completed_at IS NOT NULL THEN
		INSERT INTO payment_buckets_confirmed AS t (client_id, slot, day, application_id, currency, shard, count, amount, refunded)
		VALUES (NEW.client_id, (NEW.completed_at % 86400000000) / 900000000, NEW.completed_at / 86400000000,
				NEW.application_id, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded),
			(NEW.client_id, 96 + (NEW.completed_at % 86400000000) / 3600000000, NEW.completed_at / 86400000000,
				NEW.application_id, NEW.currency, NEW.id % 8, 1, NEW.amount, NEW.refunded),
			(NEW.client_id, 120, NEW.completed_at / 86400000000, NEW.application_id, NEW.currency, NEW.id % 8,
				1, NEW.amount, NEW.refunded),
			(NEW.client_id, 121 + (NEW.completed_at % 86400000000) / 14400000000, NEW.completed_at / 86400000000, NEW.application_id, NEW.currency, NEW.id % 8,
				1, NEW.amount, NEW.refunded)
		ON CONFLICT (client_id, slot, day, application_id, currency, shard) DO UPDATE SET
			count = t.count + 1, amount = t.amount + EXCLUDED.amount, refunded = t.refunded + EXCLUDED.refunded;
	END IF;
	RETURN NULL;
END
$$;

-- Every update writes every mutable column, so the conditions compare
-- values: only a change that moves a figure runs a function.
CREATE TRIGGER payment_buckets_created_insert AFTER INSERT ON payments
	FOR EACH ROW EXECUTE FUNCTION payment_buckets_created_apply();
CREATE TRIGGER payment_buckets_created_update AFTER UPDATE ON payments
	FOR EACH ROW WHEN (OLD.status <> NEW.status OR OLD.amount <> NEW.amount OR OLD.refunded <> NEW.refunded
		OR OLD.currency <> NEW.currency OR OLD.created_at <> NEW.created_at
		OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id)
	EXECUTE FUNCTION payment_buckets_created_apply();
CREATE TRIGGER payment_buckets_created_delete AFTER DELETE ON payments
	FOR EACH ROW EXECUTE FUNCTION payment_buckets_created_apply();
CREATE TRIGGER payment_buckets_confirmed_insert AFTER INSERT ON payments
	FOR EACH ROW WHEN (NEW.completed_at IS NOT NULL) EXECUTE FUNCTION payment_buckets_confirmed_apply();
CREATE TRIGGER payment_buckets_confirmed_update AFTER UPDATE ON payments
	FOR EACH ROW WHEN ((OLD.completed_at IS NULL) <> (NEW.completed_at IS NULL)
		OR (NEW.completed_at IS NOT NULL AND (OLD.completed_at <> NEW.completed_at OR OLD.amount <> NEW.amount
			OR OLD.refunded <> NEW.refunded OR OLD.currency <> NEW.currency
			OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id)))
	EXECUTE FUNCTION payment_buckets_confirmed_apply();
CREATE TRIGGER payment_buckets_confirmed_delete AFTER DELETE ON payments
	FOR EACH ROW WHEN (OLD.completed_at IS NOT NULL) EXECUTE FUNCTION payment_buckets_confirmed_apply();
