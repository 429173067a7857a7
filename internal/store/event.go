package store

import (
	"context"

	"github.com/pasarela/pasarela"
)

const eventColumns = `id, client_id, application_id, type, entity, entity_id, version, data, created_at, resource_seq`

func scanEvent(scan func(...any) error, e *pasarela.Event) error {
	var data string
	var created int64
	if err := scan(&e.ID, &e.ClientID, &e.ApplicationID, &e.Type, &e.Entity, &e.EntityID, &e.Version, &data, &created, &e.Sequence); err != nil {
		return err
	}
	e.Data, e.CreatedAt = []byte(data), fromMicros(created)
	return nil
}

// CreateEvent inserts an event; its id is chosen by the caller. Its
// Sequence is set here: one more than the last of its resource's events.
// The change that raises an event holds its resource's row (FOR UPDATE on
// PostgreSQL; SQLite has one writer), so two events of one resource are
// never numbered at once.
func (tx *Tx) CreateEvent(ctx context.Context, e *pasarela.Event) error {
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO events
		(id, client_id, application_id, type, entity, entity_id, version, data, created_at, resource_seq)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE(MAX(resource_seq), 0) + 1
		FROM events WHERE client_id = $2 AND entity = $5 AND entity_id = $6 RETURNING resource_seq`,
		e.ID, e.ClientID, e.ApplicationID, e.Type, e.Entity, e.EntityID, e.Version, string(e.Data), micros(e.CreatedAt)),
		"event", func(scan func(...any) error) error { return scan(&e.Sequence) })
	return err
}

// GetEvent returns an event of the client.
func (tx *Tx) GetEvent(ctx context.Context, clientID, id string) (*pasarela.Event, error) {
	var e pasarela.Event
	row := tx.q.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE client_id = $1 AND id = $2`, clientID, id)
	if err := tx.scanRow(row, "event", func(scan func(...any) error) error { return scanEvent(scan, &e) }); err != nil {
		return nil, err
	}
	return &e, nil
}

// EventFilter narrows an event list.
type EventFilter struct {
	Entity   string // "" for every entity
	EntityID int64  // 0 for every resource
}

// ListEvents returns a client's events matching f, oldest first, at most
// limit of them (0: no bound).
func (tx *Tx) ListEvents(ctx context.Context, clientID string, f EventFilter, limit int) ([]pasarela.Event, error) {
	a := args{clientID}
	q := `SELECT ` + eventColumns + ` FROM events WHERE client_id = $1`
	if f.Entity != "" {
		q += ` AND entity = ` + a.add(f.Entity)
	}
	if f.EntityID != 0 {
		q += ` AND entity_id = ` + a.add(f.EntityID)
	}
	q += ` ORDER BY seq`
	if limit > 0 {
		q += ` LIMIT ` + a.add(limit)
	}
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.Event{}
	for rows.Next() {
		var e pasarela.Event
		if err := scanEvent(rows.Scan, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
