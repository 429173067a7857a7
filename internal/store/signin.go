package store

import (
	"context"
	"database/sql"
	"errors"
)

// Failed sign-ins per key (migration 0015_signin_limits): the keys'
// theoretical arrival times, shared by every node on the database.

// SignInTAT returns the stored theoretical arrival time of key in
// microseconds, 0 when the key has none.
func (tx *Tx) SignInTAT(ctx context.Context, key string) (int64, error) {
	var tat int64
	err := tx.q.QueryRowContext(ctx, `SELECT tat FROM signin_limits WHERE key = $1`, key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, tx.d.Translate(err)
	}
	return tat, nil
}

// RecordSignInFailure moves key's arrival time one period (step) past the
// later of its stored time and now, in one statement, so that two nodes
// recording at once both count.
func (tx *Tx) RecordSignInFailure(ctx context.Context, key string, now, step int64) error {
	_, err := tx.exec(ctx, `INSERT INTO signin_limits (key, tat) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
		ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN signin_limits.tat > $2 THEN signin_limits.tat ELSE CAST($2 AS BIGINT) END + CAST($3 AS BIGINT)`,
		key, now, step)
	return err
}

// ForgetSignInLimit removes key: its failures no longer count (a right
// one-time code ends the run of wrong ones).
func (tx *Tx) ForgetSignInLimit(ctx context.Context, key string) error {
	_, err := tx.exec(ctx, `DELETE FROM signin_limits WHERE key = $1`, key)
	return err
}

// SweepSignInLimits forgets keys whose arrival time has passed: they hold
// no failure any more.
func (tx *Tx) SweepSignInLimits(ctx context.Context, now int64) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM signin_limits WHERE tat <= CAST($1 AS BIGINT)`, now)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
