-- The number of an application's payments in each status, kept by the
-- triggers below in the same transaction as the change that moves it, so
-- that a payment list's total (X-Total-Count) reads a few rows instead of
-- counting every payment: its cost no longer grows with the table. The
-- statistics rollups of 0007 cannot serve: payment_totals holds only
-- confirmed payments, and payment_buckets_created one row per day, so a
-- total from it would read more rows the older the application.
-- shard spreads one application's concurrent changes over several rows on
-- PostgreSQL; SQLite has a single writer, so its rows all use shard 0 and
-- a create touches one row. No foreign keys: the rows are derived from
-- payments, which hold them.
CREATE TABLE payment_counts (
	client_id      TEXT NOT NULL,
	application_id INTEGER NOT NULL,
	status         TEXT NOT NULL,
	shard          INTEGER NOT NULL,
	count          INTEGER NOT NULL,
	PRIMARY KEY (client_id, application_id, status, shard)
) WITHOUT ROWID;

INSERT INTO payment_counts (client_id, application_id, status, shard, count)
SELECT client_id, application_id, status, 0, COUNT(*) FROM payments GROUP BY client_id, application_id, status;

CREATE TRIGGER payment_counts_insert AFTER INSERT ON payments
BEGIN
	INSERT INTO payment_counts (client_id, application_id, status, shard, count)
	VALUES (NEW.client_id, NEW.application_id, NEW.status, 0, 1)
	ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = count + 1;
END;

-- Every update writes every mutable column, so the condition compares
-- values: only a change of status (or of owner) moves a count.
CREATE TRIGGER payment_counts_update AFTER UPDATE ON payments
WHEN OLD.status <> NEW.status OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id
BEGIN
	UPDATE payment_counts SET count = count - 1
	WHERE client_id = OLD.client_id AND application_id = OLD.application_id AND status = OLD.status AND shard = 0;
	INSERT INTO payment_counts (client_id, application_id, status, shard, count)
	VALUES (NEW.client_id, NEW.application_id, NEW.status, 0, 1)
	ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER payment_counts_delete AFTER DELETE ON payments
BEGIN
	UPDATE payment_counts SET count = count - 1
	WHERE client_id = OLD.client_id AND application_id = OLD.application_id AND status = OLD.status AND shard = 0;
END;
