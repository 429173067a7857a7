-- payment_counts (0017) chose its row by the payment's id. The writers
-- commit groups of calls in one transaction each (writer.go), and a group's
-- creates, with ids spread over every shard, took the shards' row locks in
-- no common order while another group took them in another: two groups then
-- waited on each other until the deadlock detector ended one. Now each
-- writer names its shard on its connection (pasarela.count_shard) and every
-- change it makes, up or down, moves that shard's row, so two writers never
-- share a counter row. A shard's count may go below zero (a payment counted
-- up by one writer and moved by another); readers add the shards up, and
-- the sum is what counts. A connection that names no shard (a migration, a
-- command) falls back to the payment's id, as before.
CREATE OR REPLACE FUNCTION payment_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s smallint := COALESCE(NULLIF(current_setting('pasarela.count_shard', true), '')::smallint,
		(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END) % 8);
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO payment_counts AS c (client_id, application_id, status, shard, count)
		VALUES (OLD.client_id, OLD.application_id, OLD.status, s, -1)
		ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = c.count - 1;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO payment_counts AS c (client_id, application_id, status, shard, count)
		VALUES (NEW.client_id, NEW.application_id, NEW.status, s, 1)
		ON CONFLICT (client_id, application_id, status, shard) DO UPDATE SET count = c.count + 1;
	END IF;
	RETURN NULL;
END
$$;
