-- Number 20 moves PostgreSQL's payment_counts row by the writer that makes
-- the change rather than by the payment's id (see its migration). SQLite has
-- a single writer and keeps every count in shard 0: nothing changes here.
SELECT 1;
