-- Failed sign-ins, counted in the database so that every node of a
-- cluster shares one allowance per login name and per address (a counter
-- per process gave N nodes N times the guesses). One row per key (a SHA-256
-- of "u:<login>" or "ip:<address>", so neither names nor addresses are
-- kept), holding the key's theoretical arrival time in microseconds (the
-- generic cell rate algorithm): each failure moves it one refill period
-- past max(itself, now), and a key is refused while it is more than
-- (burst - 1) periods ahead of now. A row whose time has passed holds
-- nothing and is swept.
CREATE TABLE signin_limits (
	key TEXT PRIMARY KEY,
	tat BIGINT NOT NULL
);
CREATE INDEX signin_limits_tat_idx ON signin_limits (tat);

-- Ordered webhooks. resource_seq numbers the events of one resource
-- (client, entity, entity id) 1, 2, 3… in the order they were recorded; it
-- travels with every delivery (Pasarela-Event-Sequence), so a receiver can
-- tell a late event from a new one. Existing events are numbered here.
ALTER TABLE events ADD COLUMN resource_seq BIGINT NOT NULL DEFAULT 0;
UPDATE events SET resource_seq = (SELECT COUNT(*) FROM events e2 WHERE e2.client_id = events.client_id
	AND e2.entity = events.entity AND e2.entity_id = events.entity_id AND e2.seq <= events.seq);

-- A delivery names its event's resource, so that the claim can hold back a
-- resource's later event while an earlier one to the same webhook target is
-- still pending (retrying): one resource's events reach a target in order.
-- Only pending deliveries need it, and only they are filled in here.
ALTER TABLE webhook_deliveries ADD COLUMN entity TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN entity_id BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_deliveries SET
	entity = (SELECT e.entity FROM events e WHERE e.id = webhook_deliveries.event_id),
	entity_id = (SELECT e.entity_id FROM events e WHERE e.id = webhook_deliveries.event_id)
	WHERE status = 'pending';
CREATE INDEX webhook_deliveries_resource_idx ON webhook_deliveries (webhook_id, target, entity, entity_id, id)
	WHERE status = 'pending';
