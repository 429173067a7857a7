package store

import (
	"context"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
)

// PaymentSearch narrows a client's payments for a person looking for some:
// every field is optional. Pages are cut by the payment id (keyset paging),
// never by an offset, and nothing is counted, so that a page costs the same
// at the millionth payment as at the first.
type PaymentSearch struct {
	ID            int64
	ApplicationID int64
	Status        string
	From, To      time.Time // created at or after From, before To
	GatewayConfig int64
	// Text is one of: a transaction id or merchant reference (exact), a
	// buyer's email (exact, any case), or the last four digits of a card.
	TransactionOrRef string
	Email            string
	Last4            string
	// Before lists payments with a smaller id (older), newest first; After
	// lists those with a larger id (newer), oldest first. Zero: from the
	// newest.
	Before, After int64
	// DepositsOf, when set, keeps deposit payments only when that user
	// created them (a terminal user's view of deposits, as ListDeposits
	// has it); other payments are not narrowed by it.
	DepositsOf int64
	Limit      int
}

// SearchPayments returns up to f.Limit payments of the client matching f:
// newest first, or, with f.After, the ones just after it oldest first.
// The (client_id, id) index (migration 0016) delivers them in id order, so
// a page reads its rows and those its filters skip, never the whole table.
func (tx *Tx) SearchPayments(ctx context.Context, clientID string, f PaymentSearch) ([]pasarela.Payment, error) {
	a := args{clientID}
	where := ` WHERE client_id = $1`
	if f.ID != 0 {
		where += ` AND id = ` + a.add(f.ID)
	}
	if f.ApplicationID != 0 {
		where += ` AND application_id = ` + a.add(f.ApplicationID)
	}
	if f.Status != "" {
		where += ` AND status = ` + a.add(f.Status)
	}
	if !f.From.IsZero() {
		where += ` AND created_at >= ` + a.add(micros(f.From))
	}
	if !f.To.IsZero() {
		where += ` AND created_at < ` + a.add(micros(f.To))
	}
	if f.GatewayConfig != 0 {
		where += ` AND gateway_config_id = ` + a.add(f.GatewayConfig)
	}
	if f.DepositsOf != 0 {
		where += ` AND (type <> 'deposit' OR EXISTS (SELECT 1 FROM crypto_deposits d WHERE d.client_id = $1
			AND d.payment_id = payments.id AND d.user_id = ` + a.add(f.DepositsOf) + `))`
	}
	if f.TransactionOrRef != "" {
		// Two index lookups (the unique transaction id, the client's
		// merchant references) rather than an OR, which no index serves:
		// with it every payment of the client was read.
		n := a.add(f.TransactionOrRef)
		where += ` AND id IN (SELECT id FROM payments WHERE transaction_id = ` + n + `
			UNION ALL SELECT id FROM payments WHERE client_id = $1 AND merchant_ref IS NOT NULL AND merchant_ref = ` + n + `)`
	}
	if f.Email != "" {
		// The literal condition is the partial index's own (migration 0016).
		where += ` AND customer_email <> '' AND LOWER(customer_email) = ` + a.add(f.Email)
	}
	if f.Last4 != "" {
		// The card is kept as JSON (encodePaymentJSON); its last four
		// digits are a fixed member of it. No index serves this: it reads
		// the client's payments newest first until a page is found
		// (BENCHMARKS.md, "Dashboard"), which a date range bounds.
		where += ` AND card LIKE ` + a.add(`%"Last4":"`+escapeLike(f.Last4)+`"%`) + ` ESCAPE '\'`
	}
	// A search by email or reference matches few payments: they are found
	// through their index and sorted. Ordered by the bare id, PostgreSQL's
	// planner (which cannot know how few) walks the client's payments
	// newest first instead, and reads them all for a rare email; "id + 0"
	// is the same order that no index delivers.
	key := "id"
	if f.Email != "" || f.TransactionOrRef != "" {
		key = "id + 0"
	}
	order := ` ORDER BY ` + key + ` DESC`
	switch {
	case f.After != 0:
		where += ` AND id > ` + a.add(f.After)
		order = ` ORDER BY ` + key
	case f.Before != 0:
		where += ` AND id < ` + a.add(f.Before)
	}
	// The limit is written into the query, not bound: a bound LIMIT makes
	// SQLite prepare the statement again on every run (see args.page).
	return tx.scanPayments(ctx, `SELECT `+paymentColumns+` FROM payments`+where+order+` LIMIT `+strconv.Itoa(f.Limit), a...)
}

// EntityDeliveries returns the webhook deliveries of the events of one
// resource of the client (a payment's, say), newest first, up to limit,
// without their attempt logs.
func (tx *Tx) EntityDeliveries(ctx context.Context, clientID, entity string, entityID int64, limit int) ([]pasarela.Delivery, error) {
	rows, err := tx.query(ctx, deliverySelect+` WHERE e.client_id = $1 AND e.entity = $2 AND e.entity_id = $3
		AND d.client_id = $1 ORDER BY d.id DESC LIMIT $4`, clientID, entity, entityID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.Delivery{}
	for rows.Next() {
		var d pasarela.Delivery
		if err := scanDelivery(rows.Scan, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
