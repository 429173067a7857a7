-- The number of an application's payments in each status, kept by the
-- triggers below in the same transaction as the change that moves it, so
-- that a payment list's total (X-Total-Count) reads a few rows instead of
-- counting every payment: its cost no longer grows with the table. The
-- statistics rollups of 0007 cannot serve: payment_totals holds only
-- confirmed payments, and payment_buckets_created one row per day, so a
-- total from it would read more rows the older the application.
-- shard (payment id mod 8) spreads one application's concurrent creates
-- over several rows so that they do not queue on one row lock; readers add
-- the shards up. No foreign keys: the rows are derived from payments, which
-- hold them.
CREATE TABLE payment_counts (
	client_id      TEXT NOT NULL,
	application_id BIGINT NOT NULL,
	status         TEXT NOT NULL,
	shard          SMALLINT NOT NULL,
	count          BIGINT NOT NULL,
	PRIMARY KEY (client_id, application_id, status, shard)
);

INSERT INTO payment_counts (client_id, application_id, status, shard, count)
SELECT client_id, application_id, status, id % 8, COUNT(*) FROM payments GROUP BY client_id, application_id, status, id % 8;

CREATE FUNCTION payment_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE payment_counts SET count = count - 1
		WHERE client_id = OLD.client_id AND application_id = OLD.application_id AND status = OLD.status
			AND shard = OLD.id % 8;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO payment_counts AS c (client_id, application_id, status, shard, count)
		VALUES (NEW.client_id, NEW.application_id, NEW.status, NEW.id % 8, 1)
		ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = c.count + 1;
	END IF;
	RETURN NULL;
END
$$;

-- Every update writes every mutable column, so the condition compares
-- values: only a change of status (or of owner) moves a count.
CREATE TRIGGER payment_counts_insert AFTER INSERT ON payments
	FOR EACH ROW EXECUTE FUNCTION payment_counts_apply();
CREATE TRIGGER payment_counts_update AFTER UPDATE ON payments
	FOR EACH ROW WHEN (OLD.status <> NEW.status OR OLD.client_id <> NEW.client_id OR OLD.application_id <> NEW.application_id)
	EXECUTE FUNCTION payment_counts_apply();
CREATE TRIGGER payment_counts_delete AFTER DELETE ON payments
	FOR EACH ROW EXECUTE FUNCTION payment_counts_apply();
