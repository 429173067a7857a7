package store

import (
	"context"
	"time"
)

// Session is a stored dashboard session: whose it is and when it ends. The
// token itself is never stored, only its hash.
type Session struct {
	TokenHash           string
	ClientID            string
	UserID              int64
	SecondFactorPending bool
	CreatedAt           time.Time
	LastSeenAt          time.Time
	ExpiresAt           time.Time
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(ctx context.Context, s *Session) error {
	_, err := tx.exec(ctx, `INSERT INTO sessions
		(token_hash, client_id, user_id, second_factor_pending, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.TokenHash, s.ClientID, s.UserID, s.SecondFactorPending, micros(s.CreatedAt), micros(s.LastSeenAt),
		micros(s.ExpiresAt))
	return err
}

// GetSession returns the session whose token hashes to hash. It is how a
// request finds its client, so it is not scoped to one; the hash is of a
// random secret only its holder knows.
func (tx *Tx) GetSession(ctx context.Context, hash string) (*Session, error) {
	var s Session
	var created, seen, expires int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT token_hash, client_id, user_id, second_factor_pending,
		created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`, hash),
		"session", func(scan func(...any) error) error {
			return scan(&s.TokenHash, &s.ClientID, &s.UserID, &s.SecondFactorPending, &created, &seen, &expires)
		})
	if err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return &s, nil
}

// TouchSession records that a session of the client was used at seen.
func (tx *Tx) TouchSession(ctx context.Context, clientID, hash string, seen time.Time) error {
	res, err := tx.exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 AND client_id = $3`,
		micros(seen), hash, clientID)
	if err != nil {
		return err
	}
	return expectOne(res, "session")
}

// DeleteSession ends one session of a client. A session already gone is
// not found, which a sign-out ignores and a trade of a pending session for
// a full one (a second factor's code) refuses.
func (tx *Tx) DeleteSession(ctx context.Context, clientID, hash string) error {
	res, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1 AND client_id = $2`, hash, clientID)
	if err != nil {
		return err
	}
	// Not found when no row went: a caller that trades a session for
	// another (a second factor's code) must be the only one to end it.
	return expectOne(res, "session")
}

// DeleteOtherUserSessions ends every session of a user of a client but the
// one whose hash is keep (its second factor changed, from that session)
// and returns how many there were.
func (tx *Tx) DeleteOtherUserSessions(ctx context.Context, clientID string, userID int64, keep string) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM sessions WHERE client_id = $1 AND user_id = $2 AND token_hash <> $3`, clientID, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteUserSessions ends every session of a user of a client (its password
// changed) and returns how many there were.
func (tx *Tx) DeleteUserSessions(ctx context.Context, clientID string, userID int64) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM sessions WHERE client_id = $1 AND user_id = $2`, clientID, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SweepSessions deletes the sessions of every client that expired before
// now, or whose last use is before idleBefore, and returns how many.
func (tx *Tx) SweepSessions(ctx context.Context, now, idleBefore time.Time) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`,
		micros(now), micros(idleBefore))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TOTP is a user's stored TOTP second factor.
type TOTP struct {
	ClientID  string
	UserID    int64
	Sealed    []byte // the shared secret, sealed by the core
	Confirmed bool
	LastStep  int64 // time step of the last code accepted
	CreatedAt time.Time
}

// PutTOTP stores a user's TOTP secret, replacing any it had.
func (tx *Tx) PutTOTP(ctx context.Context, t *TOTP) error {
	if _, err := tx.exec(ctx, `DELETE FROM user_totp WHERE client_id = $1 AND user_id = $2`, t.ClientID, t.UserID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO user_totp (user_id, client_id, sealed, confirmed, last_step, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.UserID, t.ClientID, t.Sealed, t.Confirmed, t.LastStep, micros(t.CreatedAt))
	return err
}

// GetTOTP returns a user's TOTP second factor, or a not-found error when it
// has none.
func (tx *Tx) GetTOTP(ctx context.Context, clientID string, userID int64) (*TOTP, error) {
	t := TOTP{ClientID: clientID, UserID: userID}
	var created int64
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT sealed, confirmed, last_step, created_at FROM user_totp
		WHERE client_id = $1 AND user_id = $2`+tx.d.ForUpdate, clientID, userID),
		"second factor", func(scan func(...any) error) error {
			return scan(&t.Sealed, &t.Confirmed, &t.LastStep, &created)
		})
	if err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

// UseTOTPStep marks a user's TOTP confirmed and step as the last accepted,
// only if step is later than the last one; it reports whether it was (a
// code used once cannot be used again).
func (tx *Tx) UseTOTPStep(ctx context.Context, clientID string, userID, step int64) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE user_totp SET confirmed = TRUE, last_step = $1
		WHERE client_id = $2 AND user_id = $3 AND last_step < $1`, step, clientID, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeleteTOTP removes a user's second factor and its recovery codes.
func (tx *Tx) DeleteTOTP(ctx context.Context, clientID string, userID int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE client_id = $1 AND user_id = $2`, clientID, userID); err != nil {
		return err
	}
	_, err := tx.exec(ctx, `DELETE FROM user_totp WHERE client_id = $1 AND user_id = $2`, clientID, userID)
	return err
}

// ReplaceRecoveryCodes replaces a user's recovery codes by hashes.
func (tx *Tx) ReplaceRecoveryCodes(ctx context.Context, clientID string, userID int64, hashes []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE client_id = $1 AND user_id = $2`, clientID, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.exec(ctx, `INSERT INTO user_recovery_codes (client_id, user_id, code_hash) VALUES ($1, $2, $3)`,
			clientID, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode deletes a user's recovery code by its hash and reports
// whether it was there: each code works once.
func (tx *Tx) UseRecoveryCode(ctx context.Context, clientID string, userID int64, hash string) (bool, error) {
	res, err := tx.exec(ctx, `DELETE FROM user_recovery_codes WHERE client_id = $1 AND user_id = $2 AND code_hash = $3`,
		clientID, userID, hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountRecoveryCodes counts a user's unused recovery codes.
func (tx *Tx) CountRecoveryCodes(ctx context.Context, clientID string, userID int64) (int, error) {
	var n int
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_recovery_codes WHERE client_id = $1 AND user_id = $2`,
		clientID, userID), "recovery codes", func(scan func(...any) error) error { return scan(&n) })
	return n, err
}
