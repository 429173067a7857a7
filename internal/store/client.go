package store

import (
	"context"

	"github.com/pasarela/pasarela"
)

const clientColumns = `id, name, email, code, status, created_at, updated_at`

func scanClient(scan func(...any) error, c *pasarela.Client) error {
	var created, updated int64
	var status string
	if err := scan(&c.ID, &c.Name, &c.Email, &c.Code, &status, &created, &updated); err != nil {
		return err
	}
	c.Status = pasarela.ClientStatus(status)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

// CreateClient inserts a client whose id the core has chosen.
func (tx *Tx) CreateClient(ctx context.Context, c *pasarela.Client) error {
	_, err := tx.exec(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		c.ID, c.Name, c.Email, c.Code, string(c.Status), micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// GetClient returns a client by id.
func (tx *Tx) GetClient(ctx context.Context, id string) (*pasarela.Client, error) {
	var c pasarela.Client
	row := tx.q.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id)
	if err := tx.scanRow(row, "client", func(scan func(...any) error) error { return scanClient(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetClientByCode returns a client by its entity code.
func (tx *Tx) GetClientByCode(ctx context.Context, code string) (*pasarela.Client, error) {
	var c pasarela.Client
	row := tx.q.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE code = $1`, code)
	if err := tx.scanRow(row, "client", func(scan func(...any) error) error { return scanClient(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// ListClients returns every client, oldest first. It is for operators (the
// command line), never reachable by a client's credential.
func (tx *Tx) ListClients(ctx context.Context) ([]pasarela.Client, error) {
	rows, err := tx.query(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.Client
	for rows.Next() {
		var c pasarela.Client
		if err := scanClient(rows.Scan, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
