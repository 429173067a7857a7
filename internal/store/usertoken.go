package store

import (
	"context"
	"time"
)

// CreateUserToken keeps the hash of a token handed to a signed-in user.
func (tx *Tx) CreateUserToken(ctx context.Context, hash, clientID string, userID int64, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO user_tokens (token_hash, client_id, user_id, created_at) VALUES ($1, $2, $3, $4)`,
		hash, clientID, userID, micros(now))
	return err
}

// UserToken returns whose token a hash is: its client and user.
func (tx *Tx) UserToken(ctx context.Context, hash string) (clientID string, userID int64, err error) {
	err = tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT client_id, user_id FROM user_tokens WHERE token_hash = $1`, hash),
		"token", func(scan func(...any) error) error { return scan(&clientID, &userID) })
	return clientID, userID, err
}

// DeleteUserToken revokes one token of a user of a client.
func (tx *Tx) DeleteUserToken(ctx context.Context, clientID string, userID int64, hash string) error {
	res, err := tx.exec(ctx, `DELETE FROM user_tokens WHERE token_hash = $1 AND client_id = $2 AND user_id = $3`,
		hash, clientID, userID)
	if err != nil {
		return err
	}
	return expectOne(res, "token")
}

// DeleteUserTokens revokes every token of a user of a client except the one
// whose hash is keep ("" keeps none), and returns how many it revoked.
func (tx *Tx) DeleteUserTokens(ctx context.Context, clientID string, userID int64, keep string) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM user_tokens WHERE client_id = $1 AND user_id = $2 AND token_hash <> $3`,
		clientID, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
