package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/pasarela/pasarela"
)

// ApplicationSortFields are the fields, in the core's names, an application
// list may be sorted by, with their columns.
var ApplicationSortFields = map[string]string{
	"id": "id", "name": "name", "url": "url", "created_at": "created_at", "updated_at": "updated_at",
}

const applicationColumns = `id, client_id, name, url, logo, shop_login, key_prefix, key_hash, settings, created_at, updated_at`

// applicationSettings is the applications.settings document: the
// application's page and access settings, read and written whole. Unset
// values are left out, so the '{}' of a row written before the column
// existed reads as no settings at all.
type applicationSettings struct {
	Pages struct {
		SuccessURL    string `json:"success_url,omitempty"`
		FailureURL    string `json:"failure_url,omitempty"`
		NotifyURL     string `json:"notify_url,omitempty"`
		NotifyWebhook int64  `json:"notify_webhook,omitempty"`
		Language      string `json:"language,omitempty"`
	} `json:"pages"`
	Access struct {
		AllowedIPs []string `json:"allowed_ips,omitempty"`
		RequireKey bool     `json:"require_key,omitempty"`
	} `json:"access"`
}

func encodeSettings(a *pasarela.Application) string {
	var s applicationSettings
	p := a.Pages
	s.Pages.SuccessURL, s.Pages.FailureURL, s.Pages.NotifyURL = p.SuccessURL, p.FailureURL, p.NotifyURL
	s.Pages.NotifyWebhook, s.Pages.Language = p.NotifyWebhook, p.Language
	for _, ip := range a.Access.AllowedIPs {
		s.Access.AllowedIPs = append(s.Access.AllowedIPs, ip.String())
	}
	s.Access.RequireKey = a.Access.RequireKey
	b, _ := json.Marshal(s) // strings, an integer and a bool always encode
	return string(b)
}

// decodeSettings reads the document into a. An address that does not parse
// means the row was written by something other than this package, and is
// an error rather than a setting silently dropped from an allow-list.
func decodeSettings(doc string, a *pasarela.Application) error {
	var s applicationSettings
	if err := json.Unmarshal([]byte(doc), &s); err != nil {
		return fmt.Errorf("application %d settings: %w", a.ID, err)
	}
	a.Pages = pasarela.PageSettings{SuccessURL: s.Pages.SuccessURL, FailureURL: s.Pages.FailureURL,
		NotifyURL: s.Pages.NotifyURL, NotifyWebhook: s.Pages.NotifyWebhook, Language: s.Pages.Language}
	a.Access = pasarela.AccessSettings{RequireKey: s.Access.RequireKey}
	for _, raw := range s.Access.AllowedIPs {
		ip, err := netip.ParsePrefix(raw)
		if err != nil {
			return fmt.Errorf("application %d settings: %w", a.ID, err)
		}
		a.Access.AllowedIPs = append(a.Access.AllowedIPs, ip)
	}
	return nil
}

func scanApplication(scan func(...any) error, a *pasarela.Application) error {
	var url, logo sql.NullString
	var settings string
	var created, updated int64
	if err := scan(&a.ID, &a.ClientID, &a.Name, &url, &logo, &a.ShopLogin, &a.KeyPrefix, &a.KeyHash,
		&settings, &created, &updated); err != nil {
		return err
	}
	a.URL, a.Logo = stringPtr(url), stringPtr(logo)
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return decodeSettings(settings, a)
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
		(client_id, name, url, logo, shop_login, key_prefix, key_hash, settings, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		a.ClientID, a.Name, nullString(a.URL), nullString(a.Logo), a.ShopLogin, a.KeyPrefix, a.KeyHash,
		encodeSettings(a), micros(a.CreatedAt), micros(a.UpdatedAt)),
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

// ApplicationClient returns the client an application belongs to. Not
// scoped to a client: it is for the operator's command line, which acts on
// every client and names an application by its id alone; everything it
// then reads or writes is scoped by the client found here.
func (tx *Tx) ApplicationClient(ctx context.Context, id int64) (string, error) {
	var clientID string
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT client_id FROM applications WHERE id = $1`, id),
		"application", func(scan func(...any) error) error { return scan(&clientID) })
	return clientID, err
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

// UpdateApplication writes every mutable field of a, its key and settings
// included.
func (tx *Tx) UpdateApplication(ctx context.Context, a *pasarela.Application) error {
	res, err := tx.exec(ctx, `UPDATE applications SET name = $1, url = $2, logo = $3, key_prefix = $4,
		key_hash = $5, settings = $6, updated_at = $7 WHERE client_id = $8 AND id = $9`,
		a.Name, nullString(a.URL), nullString(a.Logo), a.KeyPrefix, a.KeyHash, encodeSettings(a), micros(a.UpdatedAt),
		a.ClientID, a.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "application")
}

// DeleteApplication removes an application of the client.
func (tx *Tx) DeleteApplication(ctx context.Context, clientID string, id int64) error {
	tx.memo.forgetConfigs() // its configs go with it
	res, err := tx.exec(ctx, `DELETE FROM applications WHERE client_id = $1 AND id = $2`, clientID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "application")
}
