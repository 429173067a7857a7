-- A new payment's rows of payment_buckets_created are added up by the store
-- for a whole commit group and written once before COMMIT (store.Rollup),
-- rather than by this trigger, four upserts for every payment created.
-- Changes and deletions of payments still move their rows by trigger.
DROP TRIGGER payment_buckets_created_insert;
