package store

import (
	"context"
	"encoding/json"

	"github.com/pasarela/pasarela"
)

const storedCardColumns = `id, client_id, application_id, reference, gateway_config_id, card, created_at, updated_at`

func scanStoredCard(scan func(...any) error, c *pasarela.StoredCard) error {
	var card string
	var created, updated int64
	if err := scan(&c.ID, &c.ClientID, &c.ApplicationID, &c.Reference, &c.GatewayConfig, &card, &created, &updated); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return json.Unmarshal([]byte(card), &c.Card)
}

// CreateStoredCard inserts c and sets its id. A reference the application
// already uses is a conflict on UniqueStoredCardRef.
func (tx *Tx) CreateStoredCard(ctx context.Context, c *pasarela.StoredCard) error {
	card, err := json.Marshal(c.Card)
	if err != nil {
		return err
	}
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO stored_cards
		(client_id, application_id, reference, gateway_config_id, card, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.ClientID, c.ApplicationID, c.Reference, c.GatewayConfig, string(card), micros(c.CreatedAt), micros(c.UpdatedAt)),
		"stored card", func(scan func(...any) error) error { return scan(&c.ID) })
}

// GetStoredCardByReference returns the stored card of the client's
// application named ref.
func (tx *Tx) GetStoredCardByReference(ctx context.Context, clientID string, appID int64, ref string) (*pasarela.StoredCard, error) {
	var c pasarela.StoredCard
	row := tx.q.QueryRowContext(ctx, `SELECT `+storedCardColumns+` FROM stored_cards
		WHERE client_id = $1 AND application_id = $2 AND reference = $3`+tx.d.ForUpdate, clientID, appID, ref)
	if err := tx.scanRow(row, "stored card", func(scan func(...any) error) error { return scanStoredCard(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetStoredCard returns a stored card of the client's application by id.
func (tx *Tx) GetStoredCard(ctx context.Context, clientID string, appID, id int64) (*pasarela.StoredCard, error) {
	var c pasarela.StoredCard
	row := tx.q.QueryRowContext(ctx, `SELECT `+storedCardColumns+` FROM stored_cards
		WHERE client_id = $1 AND application_id = $2 AND id = $3`+tx.d.ForUpdate, clientID, appID, id)
	if err := tx.scanRow(row, "stored card", func(scan func(...any) error) error { return scanStoredCard(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// UpdateStoredCard writes what may change of a stored card: the card as
// kept (a new expiry) and its update time. Its reference and gateway
// config never change, because the processor's token is bound to them.
func (tx *Tx) UpdateStoredCard(ctx context.Context, c *pasarela.StoredCard) error {
	card, err := json.Marshal(c.Card)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE stored_cards SET card = $1, updated_at = $2
		WHERE client_id = $3 AND application_id = $4 AND id = $5`,
		string(card), micros(c.UpdatedAt), c.ClientID, c.ApplicationID, c.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "stored card")
}

// DeleteStoredCard removes a stored card of the client's application.
func (tx *Tx) DeleteStoredCard(ctx context.Context, clientID string, appID, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM stored_cards WHERE client_id = $1 AND application_id = $2 AND id = $3`,
		clientID, appID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "stored card")
}

// CountStoredCardsOfConfig counts the stored cards of the client's
// application whose token belongs to gateway config configID.
func (tx *Tx) CountStoredCardsOfConfig(ctx context.Context, clientID string, appID, configID int64) (int, error) {
	var n int
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM stored_cards
		WHERE client_id = $1 AND application_id = $2 AND gateway_config_id = $3`, clientID, appID, configID),
		"stored cards", func(scan func(...any) error) error { return scan(&n) })
	return n, err
}

// DeleteStoredCardsOfApplication removes every stored card of the client's
// application, which goes before the application itself: no other
// application may charge them.
func (tx *Tx) DeleteStoredCardsOfApplication(ctx context.Context, clientID string, appID int64) error {
	_, err := tx.exec(ctx, `DELETE FROM stored_cards WHERE client_id = $1 AND application_id = $2`, clientID, appID)
	return err
}
