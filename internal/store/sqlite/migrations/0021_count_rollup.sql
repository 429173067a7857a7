-- A new payment's row of payment_counts is added to by the store, once per
-- commit group for all the group's creates (store.Rollup), rather than by
-- this trigger, one upsert for every payment created. Changes and
-- deletions of payments still move their counts by trigger. A payment
-- inserted by hand, outside the store, is no longer counted, as it is not
-- in payment_buckets_created since 0018.
DROP TRIGGER payment_counts_insert;
