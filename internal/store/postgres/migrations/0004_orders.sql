-- Orders (SekurePay): a payment may carry the breakdown it was made from.
-- NULL line items, taxes and fingerprint mean a payment made without one.
ALTER TABLE payments ADD COLUMN line_items TEXT;
ALTER TABLE payments ADD COLUMN taxes TEXT;
ALTER TABLE payments ADD COLUMN shipping BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN order_fingerprint TEXT;
