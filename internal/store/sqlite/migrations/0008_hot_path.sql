-- Creating a payment writes an entry in every index of payments. Most
-- payments have no merchant reference (only SekurePay orders and Gestpay
-- shop transactions do) and no parent (only subscription charges do), so
-- those two indexes keep only the rows that have one: the same lookups and
-- uniqueness, two fewer index writes per payment.
DROP INDEX payments_merchant_ref_uq;
CREATE UNIQUE INDEX payments_merchant_ref_uq ON payments (application_id, merchant_ref) WHERE merchant_ref IS NOT NULL;
DROP INDEX payments_parent_idx;
CREATE INDEX payments_parent_idx ON payments (parent_id) WHERE parent_id IS NOT NULL;
