-- The reconciler looks, every minute, for money in flight whose process may
-- have died: payments processing and refunds pending for longer than a
-- lease. These partial indexes hold only those few rows, so the look is
-- cheap however many payments there are, and a payment costs an index write
-- only while it is in flight.
CREATE INDEX payments_processing_idx ON payments (updated_at) WHERE status = 'processing';
CREATE INDEX refunds_pending_idx ON refunds (updated_at) WHERE status = 'pending';
