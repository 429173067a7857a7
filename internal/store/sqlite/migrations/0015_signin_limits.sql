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
