package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/pasarela/pasarela"
)

// UserSortFields are the fields, in the core's names, a user list may be
// sorted by, with their columns. The core validates requests against the
// keys.
var UserSortFields = map[string]string{
	"id": "id", "username": "username", "email": "email", "created_at": "created_at",
}

const userColumns = `id, uuid, client_id, username, email, first_name, last_name, roles, password_hash, disabled_at, created_at, updated_at`

func scanUser(scan func(...any) error, u *pasarela.User) error {
	var first, last sql.NullString
	var roles string
	var created, updated int64
	var disabled sql.NullInt64
	if err := scan(&u.ID, &u.UUID, &u.ClientID, &u.Username, &u.Email, &first, &last, &roles,
		&u.PasswordHash, &disabled, &created, &updated); err != nil {
		return err
	}
	u.DisabledAt = timePtr(disabled)
	u.FirstName, u.LastName = stringPtr(first), stringPtr(last)
	u.Roles = splitRoles(roles)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

// Roles are few and fixed, so they live in one comma-separated column rather
// than a join table.
func joinRoles(roles []pasarela.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

func splitRoles(s string) []pasarela.Role {
	if s == "" {
		return []pasarela.Role{}
	}
	parts := strings.Split(s, ",")
	roles := make([]pasarela.Role, len(parts))
	for i, p := range parts {
		roles[i] = pasarela.Role(p)
	}
	return roles
}

// CreateUser inserts u and sets its id.
func (tx *Tx) CreateUser(ctx context.Context, u *pasarela.User) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO users
		(uuid, client_id, username, email, first_name, last_name, roles, password_hash, disabled_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		u.UUID, u.ClientID, u.Username, u.Email, nullString(u.FirstName), nullString(u.LastName),
		joinRoles(u.Roles), u.PasswordHash, nullMicros(u.DisabledAt), micros(u.CreatedAt), micros(u.UpdatedAt)),
		"user", func(scan func(...any) error) error { return scan(&u.ID) })
}

// GetUser returns a user of the client.
func (tx *Tx) GetUser(ctx context.Context, clientID string, id int64) (*pasarela.User, error) {
	var u pasarela.User
	row := tx.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE client_id = $1 AND id = $2`, clientID, id)
	if err := tx.scanRow(row, "user", func(scan func(...any) error) error { return scanUser(scan, &u) }); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUserByLogin returns the user whose username or email is login. Logins
// are unique across clients, which is why this is the one user query that is
// not scoped to a client: it is how a client is found at sign-in.
func (tx *Tx) GetUserByLogin(ctx context.Context, login string) (*pasarela.User, error) {
	var u pasarela.User
	row := tx.q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1 OR email = $1
		ORDER BY CASE WHEN username = $1 THEN 0 ELSE 1 END LIMIT 1`, login)
	if err := tx.scanRow(row, "user", func(scan func(...any) error) error { return scanUser(scan, &u) }); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsers returns one page of the client's users and the total count.
func (tx *Tx) ListUsers(ctx context.Context, clientID string, opts pasarela.ListOptions) ([]pasarela.User, int, error) {
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE client_id = $1`, clientID),
		"users", func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	order, err := orderBy(opts, UserSortFields, "id")
	if err != nil {
		return nil, 0, err
	}
	a := args{clientID}
	rows, err := tx.query(ctx, `SELECT `+userColumns+` FROM users WHERE client_id = $1`+order+a.page(opts), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []pasarela.User{}
	for rows.Next() {
		var u pasarela.User
		if err := scanUser(rows.Scan, &u); err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// UpdateUser writes every mutable field of u (the password hash and
// whether it is disabled included).
func (tx *Tx) UpdateUser(ctx context.Context, u *pasarela.User) error {
	res, err := tx.exec(ctx, `UPDATE users SET username = $1, email = $2, first_name = $3, last_name = $4,
		roles = $5, password_hash = $6, disabled_at = $7, updated_at = $8 WHERE client_id = $9 AND id = $10`,
		u.Username, u.Email, nullString(u.FirstName), nullString(u.LastName), joinRoles(u.Roles),
		u.PasswordHash, nullMicros(u.DisabledAt), micros(u.UpdatedAt), u.ClientID, u.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "user")
}

// DeleteUser removes a user of the client.
func (tx *Tx) DeleteUser(ctx context.Context, clientID string, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM users WHERE client_id = $1 AND id = $2`, clientID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "user")
}

// CountAdmins counts the client's enabled users holding the admin role, so
// that the core can refuse to remove, demote or disable the last one: a
// disabled admin cannot sign in, so it manages nothing.
func (tx *Tx) CountAdmins(ctx context.Context, clientID string) (int, error) {
	var n int
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE client_id = $1
		AND disabled_at IS NULL AND (',' || roles || ',') LIKE '%,admin,%'`, clientID),
		"users", func(scan func(...any) error) error { return scan(&n) })
	return n, err
}
