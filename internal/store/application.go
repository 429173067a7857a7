package store

import (
	"context"
	"database/sql"

	"github.com/pasarela/pasarela"
)

// ApplicationSortFields are the fields, in the core's names, an application
// list may be sorted by, with their columns.
var ApplicationSortFields = map[string]string{
	"id": "id", "name": "name", "url": "url", "created_at": "created_at", "updated_at": "updated_at",
}

const applicationColumns = `id, client_id, name, url, logo, shop_login, key_prefix, key_hash, created_at, updated_at`

func scanApplication(scan func(...any) error, a *pasarela.Application) error {
	var url, logo sql.NullString
	var created, updated int64
	if err := scan(&a.ID, &a.ClientID, &a.Name, &url, &logo, &a.ShopLogin, &a.KeyPrefix, &a.KeyHash,
		&created, &updated); err != nil {
		return err
	}
	a.URL, a.Logo = stringPtr(url), stringPtr(logo)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

func (tx *Tx) getApplication(ctx context.Context, where string, args ...any) (*pasarela.Application, error) {
	var a pasarela.Application
	row := tx.q.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE `+where, args...)
	if err := tx.scanRow(row, "application", func(scan func(...any) error) error { return scanApplication(scan, &a) }); err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateApplication inserts a and sets its id.
func (tx *Tx) CreateApplication(ctx context.Context, a *pasarela.Application) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO applications
		(client_id, name, url, logo, shop_login, key_prefix, key_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		a.ClientID, a.Name, nullString(a.URL), nullString(a.Logo), a.ShopLogin, a.KeyPrefix, a.KeyHash,
		micros(a.CreatedAt), micros(a.UpdatedAt)),
		"application", func(scan func(...any) error) error { return scan(&a.ID) })
}

// GetApplication returns an application of the client.
func (tx *Tx) GetApplication(ctx context.Context, clientID string, id int64) (*pasarela.Application, error) {
	return tx.getApplication(ctx, `client_id = $1 AND id = $2`, clientID, id)
}

// GetApplicationByKeyPrefix finds the application an API key claims to be.
// Not scoped to a client: the key is how the client is found; the caller
// must compare the key's hash before trusting the row.
func (tx *Tx) GetApplicationByKeyPrefix(ctx context.Context, prefix string) (*pasarela.Application, error) {
	return tx.getApplication(ctx, `key_prefix = $1`, prefix)
}

// GetApplicationByShopLogin finds an application by its Gestpay shopLogin;
// like the key lookup, the caller must then check the credential.
func (tx *Tx) GetApplicationByShopLogin(ctx context.Context, shopLogin string) (*pasarela.Application, error) {
	return tx.getApplication(ctx, `shop_login = $1`, shopLogin)
}

// ApplicationFilter narrows an application list.
type ApplicationFilter struct {
	Name string // substring, case-insensitive
	ID   int64  // only this application (an application key sees only itself)
}

// ListApplications returns one page of the client's applications and the
// total count of those matching the filter.
func (tx *Tx) ListApplications(ctx context.Context, clientID string, f ApplicationFilter, opts pasarela.ListOptions) ([]pasarela.Application, int, error) {
	a := args{clientID}
	where := ` WHERE client_id = $1`
	if f.Name != "" {
		where += ` AND LOWER(name) LIKE ` + a.add("%"+escapeLike(f.Name)+"%") + ` ESCAPE '\'`
	}
	if f.ID != 0 {
		where += ` AND id = ` + a.add(f.ID)
	}
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications`+where, a...),
		"applications", func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	order, err := orderBy(opts, ApplicationSortFields, "id")
	if err != nil {
		return nil, 0, err
	}
	rows, err := tx.query(ctx, `SELECT `+applicationColumns+` FROM applications`+where+order+a.page(opts), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []pasarela.Application{}
	for rows.Next() {
		var app pasarela.Application
		if err := scanApplication(rows.Scan, &app); err != nil {
			return nil, 0, err
		}
		out = append(out, app)
	}
	return out, total, rows.Err()
}

// UpdateApplication writes every mutable field of a, its key included.
func (tx *Tx) UpdateApplication(ctx context.Context, a *pasarela.Application) error {
	res, err := tx.exec(ctx, `UPDATE applications SET name = $1, url = $2, logo = $3, key_prefix = $4,
		key_hash = $5, updated_at = $6 WHERE client_id = $7 AND id = $8`,
		a.Name, nullString(a.URL), nullString(a.Logo), a.KeyPrefix, a.KeyHash, micros(a.UpdatedAt), a.ClientID, a.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "application")
}

// DeleteApplication removes an application of the client.
func (tx *Tx) DeleteApplication(ctx context.Context, clientID string, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM applications WHERE client_id = $1 AND id = $2`, clientID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "application")
}
