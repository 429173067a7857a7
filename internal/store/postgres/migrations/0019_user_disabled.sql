-- An admin may disable a user rather than delete it: the user and what
-- names it stay, but it signs in nowhere. disabled_at is when it was
-- disabled, NULL while it is enabled. The count of a client's admins
-- (the last one may not go) counts only enabled ones.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
