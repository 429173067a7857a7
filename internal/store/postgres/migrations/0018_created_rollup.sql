-- A new payment's rows of payment_buckets_created are added up by the store
-- for a whole commit group and written once before COMMIT (store.Rollup),
-- rather than by this trigger, four upserts for every payment created, each
-- holding its rows' locks until the commit. Changes and deletions of
-- payments still move their rows by trigger (payment_buckets_created_apply
-- stays for them).
DROP TRIGGER payment_buckets_created_insert ON payments;
