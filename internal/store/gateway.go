package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/pasarela/pasarela"
)

// GatewayConfigSortFields are the fields, in the core's names, a gateway
// config list may be sorted by, with their columns.
var GatewayConfigSortFields = map[string]string{
	"id": "id", "name": "name", "gateway": "gateway", "weight": "weight", "created_at": "created_at",
}

// GatewayConfigRow is a gateway config as stored: Options holds only the
// non-secret options; Secrets holds the secret ones sealed by the core.
type GatewayConfigRow struct {
	pasarela.GatewayConfig
	Secrets []byte
}

const gatewayConfigColumns = `id, client_id, application_id, gateway, name, code, weight, enabled, options, secrets, created_at, updated_at`

func scanGatewayConfig(scan func(...any) error, g *GatewayConfigRow) error {
	var opts []byte
	var created, updated int64
	if err := scan(&g.ID, &g.ClientID, &g.ApplicationID, &g.Gateway, &g.Name, &g.Code, &g.Weight, &g.Enabled,
		&opts, &g.Secrets, &created, &updated); err != nil {
		return err
	}
	g.CreatedAt, g.UpdatedAt = fromMicros(created), fromMicros(updated)
	return json.Unmarshal(opts, &g.Options)
}

func optionsJSON(opts map[string]any) ([]byte, error) {
	if opts == nil {
		opts = map[string]any{}
	}
	return json.Marshal(opts)
}

// CreateGatewayConfig inserts g and sets its id.
func (tx *Tx) CreateGatewayConfig(ctx context.Context, g *GatewayConfigRow) error {
	tx.memo.forgetConfigs()
	opts, err := optionsJSON(g.Options)
	if err != nil {
		return err
	}
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO gateway_configs
		(client_id, application_id, gateway, name, code, weight, enabled, options, secrets, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		g.ClientID, g.ApplicationID, g.Gateway, g.Name, g.Code, g.Weight, g.Enabled, string(opts), g.Secrets,
		micros(g.CreatedAt), micros(g.UpdatedAt)),
		"gateway config", func(scan func(...any) error) error { return scan(&g.ID) })
}

// GetGatewayConfig returns a gateway config of the client's application.
func (tx *Tx) GetGatewayConfig(ctx context.Context, clientID string, appID, id int64) (*GatewayConfigRow, error) {
	var g GatewayConfigRow
	row := tx.q.QueryRowContext(ctx, `SELECT `+gatewayConfigColumns+` FROM gateway_configs
		WHERE client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
	if err := tx.scanRow(row, "gateway config", func(scan func(...any) error) error { return scanGatewayConfig(scan, &g) }); err != nil {
		return nil, err
	}
	return &g, nil
}

// GatewayConfigFilter narrows a gateway config list.
type GatewayConfigFilter struct {
	// Text matches the id exactly, or the name, gateway or code as a
	// case-insensitive substring (PayREST's single `filter` parameter).
	Text        string
	EnabledOnly bool
}

// ListGatewayConfigs returns one page of an application's gateway configs
// and the total count of those matching f. A zero Limit returns them all.
func (tx *Tx) ListGatewayConfigs(ctx context.Context, clientID string, appID int64, f GatewayConfigFilter, opts pasarela.ListOptions) ([]GatewayConfigRow, int, error) {
	a := args{clientID, appID}
	where := ` WHERE client_id = $1 AND application_id = $2`
	if f.Text != "" {
		like := a.add("%" + escapeLike(f.Text) + "%")
		where += ` AND (CAST(id AS TEXT) = ` + a.add(f.Text) + ` OR LOWER(name) LIKE ` + like + ` ESCAPE '\'` +
			` OR LOWER(gateway) LIKE ` + like + ` ESCAPE '\' OR LOWER(code) LIKE ` + like + ` ESCAPE '\')`
	}
	if f.EnabledOnly {
		where += ` AND enabled = ` + a.add(true)
	}
	// Without a page, every matching row is read and the total is their
	// number: the COUNT would be a second query for the same answer (and
	// this is on the path of every payment created).
	var total int
	if opts.Limit > 0 {
		if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM gateway_configs`+where, a...),
			"gateway configs", func(scan func(...any) error) error { return scan(&total) }); err != nil {
			return nil, 0, err
		}
	}
	order, err := orderBy(opts, GatewayConfigSortFields, "id")
	if err != nil {
		return nil, 0, err
	}
	q := `SELECT ` + gatewayConfigColumns + ` FROM gateway_configs` + where + order
	if opts.Limit > 0 {
		q += a.page(opts)
	}
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []GatewayConfigRow{}
	for rows.Next() {
		var g GatewayConfigRow
		if err := scanGatewayConfig(rows.Scan, &g); err != nil {
			return nil, 0, err
		}
		out = append(out, g)
	}
	if opts.Limit <= 0 {
		total = len(out)
	}
	return out, total, rows.Err()
}

// UpdateGatewayConfig writes every mutable field of g.
func (tx *Tx) UpdateGatewayConfig(ctx context.Context, g *GatewayConfigRow) error {
	tx.memo.forgetConfigs()
	opts, err := optionsJSON(g.Options)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE gateway_configs SET name = $1, weight = $2, enabled = $3, options = $4,
		secrets = $5, updated_at = $6 WHERE client_id = $7 AND application_id = $8 AND id = $9`,
		g.Name, g.Weight, g.Enabled, string(opts), g.Secrets, micros(g.UpdatedAt), g.ClientID, g.ApplicationID, g.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "gateway config")
}

// DeleteGatewayConfig removes a gateway config of the client's application.
func (tx *Tx) DeleteGatewayConfig(ctx context.Context, clientID string, appID, id int64) error {
	tx.memo.forgetConfigs()
	res, err := tx.exec(ctx, `DELETE FROM gateway_configs WHERE client_id = $1 AND application_id = $2 AND id = $3`,
		clientID, appID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "gateway config")
}

// GatewayConfigInUse reports whether any payment or link refers to the
// config, or a payment of its application is being charged.
func (tx *Tx) GatewayConfigInUse(ctx context.Context, clientID string, id int64) (bool, error) {
	var n int
	// A payment in flight at the application names its config only once it
	// settles (and after a crash only the reconciler knows which config it
	// was), so any of them keeps every config of the application in use.
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM payments WHERE client_id = $1 AND gateway_config_id = $2) +
		(SELECT COUNT(*) FROM payment_links WHERE client_id = $1 AND gateway_config_id = $2) +
		(SELECT COUNT(*) FROM payments WHERE status = 'processing' AND client_id = $1
			AND application_id = (SELECT application_id FROM gateway_configs WHERE id = $2))`, clientID, id),
		"gateway config", func(scan func(...any) error) error { return scan(&n) })
	return n > 0, err
}

// ClientGatewayConfigs returns the client's gateway configs, of one
// application when appID is not 0 and of one gateway when gateway is not
// empty, in id order: the catalog's view across applications.
func (tx *Tx) ClientGatewayConfigs(ctx context.Context, clientID string, appID int64, gateway string) ([]GatewayConfigRow, error) {
	a := args{clientID}
	where := ` WHERE client_id = $1`
	if appID != 0 {
		where += ` AND application_id = ` + a.add(appID)
	}
	if gateway != "" {
		where += ` AND gateway = ` + a.add(gateway)
	}
	rows, err := tx.query(ctx, `SELECT `+gatewayConfigColumns+` FROM gateway_configs`+where+` ORDER BY id`, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GatewayConfigRow
	for rows.Next() {
		var g GatewayConfigRow
		if err := scanGatewayConfig(rows.Scan, &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GatewayConfigsOf returns the gateway configs of several applications of
// the client, by application id, in one query (for application lists).
func (tx *Tx) GatewayConfigsOf(ctx context.Context, clientID string, appIDs []int64) (map[int64][]GatewayConfigRow, error) {
	out := map[int64][]GatewayConfigRow{}
	if len(appIDs) == 0 {
		return out, nil
	}
	a := args{clientID}
	in := make([]string, len(appIDs))
	for i, id := range appIDs {
		in[i] = a.add(id)
	}
	rows, err := tx.query(ctx, `SELECT `+gatewayConfigColumns+` FROM gateway_configs WHERE client_id = $1
		AND application_id IN (`+strings.Join(in, ", ")+`) ORDER BY application_id, id`, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g GatewayConfigRow
		if err := scanGatewayConfig(rows.Scan, &g); err != nil {
			return nil, err
		}
		out[g.ApplicationID] = append(out[g.ApplicationID], g)
	}
	return out, rows.Err()
}
