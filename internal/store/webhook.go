package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

// WebhookSortFields are the fields, in the core's names, a webhook list may
// be sorted by, with their columns.
var WebhookSortFields = map[string]string{
	"id": "id", "method": "method", "entity": "entity", "created_at": "created_at",
}

// DeliverySortFields are the fields, in the core's names, a delivery list
// may be sorted by.
var DeliverySortFields = map[string]string{
	"id": "id", "status": "status", "created_at": "created_at", "next_attempt_at": "next_attempt_at",
}

// WebhookRow is a webhook endpoint as stored: the signing secret is sealed
// by the core and Secret is empty.
type WebhookRow struct {
	pasarela.Webhook
	SealedSecret []byte
}

const webhookColumns = `id, client_id, application_id, method, targets, entity, format, events, secret, disabled, created_at, updated_at, per_payment`

func scanWebhook(scan func(...any) error, w *WebhookRow) error {
	var targets, events string
	var created, updated int64
	if err := scan(&w.ID, &w.ClientID, &w.ApplicationID, &w.Method, &targets, &w.Entity, &w.Format, &events, &w.SealedSecret,
		&w.Disabled, &created, &updated, &w.PerPayment); err != nil {
		return err
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(targets), &w.Targets); err != nil {
		return err
	}
	return json.Unmarshal([]byte(events), &w.Events)
}

func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l) // a []string always encodes
	return string(b)
}

// CreateWebhook inserts w and sets its id.
func (tx *Tx) CreateWebhook(ctx context.Context, w *WebhookRow) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO webhooks
		(client_id, application_id, method, targets, entity, format, events, secret, disabled, created_at, updated_at, per_payment)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		w.ClientID, w.ApplicationID, w.Method, jsonList(w.Targets), w.Entity, w.Format, jsonList(w.Events), w.SealedSecret,
		w.Disabled, micros(w.CreatedAt), micros(w.UpdatedAt), w.PerPayment),
		"webhook", func(scan func(...any) error) error { return scan(&w.ID) })
}

// GetWebhook returns a webhook of the client's application.
func (tx *Tx) GetWebhook(ctx context.Context, clientID string, appID, id int64) (*WebhookRow, error) {
	var w WebhookRow
	row := tx.q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
	if err := tx.scanRow(row, "webhook", func(scan func(...any) error) error { return scanWebhook(scan, &w) }); err != nil {
		return nil, err
	}
	return &w, nil
}

// ListWebhooks returns one page of an application's webhooks and their
// total count.
func (tx *Tx) ListWebhooks(ctx context.Context, clientID string, appID int64, opts pasarela.ListOptions) ([]WebhookRow, int, error) {
	a := args{clientID, appID}
	where := ` WHERE client_id = $1 AND application_id = $2`
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks`+where, a...),
		"webhooks", func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	order, err := orderBy(opts, WebhookSortFields, "id")
	if err != nil {
		return nil, 0, err
	}
	q := `SELECT ` + webhookColumns + ` FROM webhooks` + where + order
	if opts.Limit > 0 {
		q += a.page(opts)
	}
	out, err := tx.webhooks(ctx, q, a...)
	return out, total, err
}

func (tx *Tx) webhooks(ctx context.Context, q string, a ...any) ([]WebhookRow, error) {
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WebhookRow{}
	for rows.Next() {
		var w WebhookRow
		if err := scanWebhook(rows.Scan, &w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// SubscribedWebhooks returns the enabled webhooks of a client subscribed to
// entity: those of application appID, or of every application of the client
// when appID is 0 (a client-wide resource).
func (tx *Tx) SubscribedWebhooks(ctx context.Context, clientID string, appID int64, entity string) ([]WebhookRow, error) {
	a := args{clientID, entity}
	q := `SELECT ` + webhookColumns + ` FROM webhooks WHERE client_id = $1 AND entity = $2 AND NOT disabled`
	if appID != 0 {
		q += ` AND application_id = ` + a.add(appID)
	}
	return tx.webhooks(ctx, q+` ORDER BY id`, a...)
}

// PerPaymentWebhook returns the application's webhook that sends payments'
// changes to the URL each payment names, in format.
func (tx *Tx) PerPaymentWebhook(ctx context.Context, clientID string, appID int64, format string) (*WebhookRow, error) {
	var w WebhookRow
	row := tx.q.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE client_id = $1 AND application_id = $2 AND per_payment AND format = $3 ORDER BY id LIMIT 1`, clientID, appID, format)
	if err := tx.scanRow(row, "webhook", func(scan func(...any) error) error { return scanWebhook(scan, &w) }); err != nil {
		return nil, err
	}
	return &w, nil
}

// DeleteWebhook removes a webhook of the client's application, and with it
// its deliveries and their log.
func (tx *Tx) DeleteWebhook(ctx context.Context, clientID string, appID, id int64) error {
	res, err := tx.exec(ctx, `DELETE FROM webhooks WHERE client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
	if err != nil {
		return err
	}
	return expectOne(res, "webhook")
}

// UpdateWebhook writes what an endpoint's owner may change: its method,
// targets, entity, format, events and whether it is disabled. Pending
// deliveries keep the target they were queued for.
func (tx *Tx) UpdateWebhook(ctx context.Context, w *WebhookRow) error {
	res, err := tx.exec(ctx, `UPDATE webhooks SET method = $1, targets = $2, entity = $3, format = $4, events = $5,
		disabled = $6, updated_at = $7 WHERE client_id = $8 AND application_id = $9 AND id = $10`,
		w.Method, jsonList(w.Targets), w.Entity, w.Format, jsonList(w.Events), w.Disabled, micros(w.UpdatedAt),
		w.ClientID, w.ApplicationID, w.ID)
	if err != nil {
		return err
	}
	return expectOne(res, "webhook")
}

// DisableWebhook marks a webhook disabled (a target answered 410 Gone) and
// ends its pending deliveries with reason.
func (tx *Tx) DisableWebhook(ctx context.Context, clientID string, id int64, reason string, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE webhooks SET disabled = $1, updated_at = $2 WHERE client_id = $3 AND id = $4`,
		true, micros(now), clientID, id)
	if err != nil {
		return err
	}
	if err := expectOne(res, "webhook"); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE webhook_deliveries SET status = $1, last_error = $2, lease_owner = '', updated_at = $3
		WHERE client_id = $4 AND webhook_id = $5 AND status = $6`,
		string(pasarela.DeliveryDead), reason, micros(now), clientID, id, string(pasarela.DeliveryPending))
	return err
}

// The event type is read from the event, so a delivery row does not repeat it.
const deliveryFrom = ` FROM webhook_deliveries d JOIN events e ON e.id = d.event_id`

const deliverySelect = `SELECT d.id, d.client_id, d.application_id, d.webhook_id, d.event_id, e.type, d.target, d.status,
	d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at, d.delivered_at` + deliveryFrom

// claimedSelect adds what a worker needs to send a claimed delivery.
const claimedSelect = `SELECT d.id, d.client_id, d.application_id, d.webhook_id, d.event_id, e.type, d.target, d.status,
	d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at, d.delivered_at,
	d.lease_owner, w.method, w.format, e.entity, e.version, e.data, e.created_at, e.resource_seq, w.secret, k.sealed,
	COALESCE(ap.shop_login, ''), w.per_payment` + deliveryFrom

func scanDelivery(scan func(...any) error, d *pasarela.Delivery, extra ...any) error {
	var status string
	var next, created, updated int64
	var delivered sql.NullInt64
	dest := []any{&d.ID, &d.ClientID, &d.ApplicationID, &d.WebhookID, &d.EventID, &d.EventType, &d.Target, &status,
		&d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &updated, &delivered}
	if err := scan(append(dest, extra...)...); err != nil {
		return err
	}
	d.Status = pasarela.DeliveryStatus(status)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMicros(next), fromMicros(created), fromMicros(updated)
	d.DeliveredAt = timePtr(delivered)
	return nil
}

// CreateDelivery queues a pending delivery, due at d.NextAttemptAt, and
// sets its id.
func (tx *Tx) CreateDelivery(ctx context.Context, d *pasarela.Delivery) error {
	// The event's resource is copied from the event (recorded first, in
	// the same transaction), for the claim's order (see ClaimDeliveries).
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO webhook_deliveries
		(client_id, application_id, webhook_id, event_id, target, status, attempts, next_attempt_at, lease_owner,
		last_status, last_error, created_at, updated_at, entity, entity_id)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $11, $12, e.entity, e.entity_id
		FROM events e WHERE e.id = $4 AND e.client_id = $1 RETURNING id`,
		d.ClientID, d.ApplicationID, d.WebhookID, d.EventID, d.Target, string(d.Status), d.Attempts,
		micros(d.NextAttemptAt), d.LastStatus, d.LastError, micros(d.CreatedAt), micros(d.UpdatedAt)),
		"delivery", func(scan func(...any) error) error { return scan(&d.ID) })
}

// ClaimedDelivery is a delivery a worker holds the lease of, with what it
// needs to send it: the event as stored, which the webhook's format renders.
type ClaimedDelivery struct {
	pasarela.Delivery
	Owner  string // the lease's holder; finishing needs it
	Method string
	Format string // the webhook's format
	// PerPayment says the target is one payment's own URL (see
	// pasarela.Webhook.PerPayment).
	PerPayment   bool
	Entity       string // the event's entity
	EventVersion int    // the event's payload version (0: a legacy, pre-rendered body)
	EventData    []byte // the event's payload, or its legacy body
	EventCreated time.Time
	EventSeq     int64  // the event's number among its resource's events (1, 2, …)
	SealedSecret []byte // the webhook's signing secret, sealed
	SealedKey    []byte // the application's API key, sealed; nil when not kept
	ShopLogin    string // the application's shop login, which formats may name it by
}

// ClaimDeliveries takes up to limit pending deliveries due at now, skipping
// those whose target is in busy, and leases them to owner until leaseUntil:
// their attempt count goes up by one and they are due again at leaseUntil,
// so that if the holder dies mid-send another worker retries them then.
// On PostgreSQL the rows are locked with SKIP LOCKED, so nodes claiming at
// once never take the same row; SQLite has a single writer.
func (tx *Tx) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, busy []string) ([]ClaimedDelivery, error) {
	a := args{string(pasarela.DeliveryPending), micros(now)}
	// A delivery waits while an earlier one of the same resource to the
	// same webhook target is pending (due later, retrying, or leased to a
	// worker that is sending it): one resource's events reach a target in
	// the order they happened, and a later state never overtakes an
	// earlier one that is still retrying.
	sub := `SELECT id FROM webhook_deliveries d WHERE status = $1 AND next_attempt_at <= $2
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.status = $1 AND p.webhook_id = d.webhook_id
			AND p.target = d.target AND p.entity = d.entity AND p.entity_id = d.entity_id AND p.id < d.id)`
	if len(busy) > 0 {
		in := make([]string, len(busy))
		for i, t := range busy {
			in[i] = a.add(t)
		}
		sub += ` AND target NOT IN (` + strings.Join(in, ", ") + `)`
	}
	sub += ` ORDER BY next_attempt_at, id LIMIT ` + a.add(limit)
	if tx.d.ForUpdate != "" {
		// Only the engine that locks rows can skip the locked ones.
		sub += tx.d.ForUpdate + ` SKIP LOCKED`
	}
	q := `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ` + a.add(micros(leaseUntil)) +
		`, lease_owner = ` + a.add(owner) + `, updated_at = ` + a.add(micros(now)) + ` WHERE id IN (` + sub + `) RETURNING id`
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, err
	}
	var ids []string
	b := args{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, b.add(id))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err = tx.query(ctx, claimedSelect+` JOIN webhooks w ON w.id = d.webhook_id
		LEFT JOIN application_sealed_keys k ON k.application_id = d.application_id
		LEFT JOIN applications ap ON ap.id = d.application_id
		WHERE d.id IN (`+strings.Join(ids, ", ")+`) ORDER BY d.id`, b...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClaimedDelivery
	for rows.Next() {
		var c ClaimedDelivery
		var data string
		var evCreated int64
		if err := scanDelivery(rows.Scan, &c.Delivery, &c.Owner, &c.Method, &c.Format, &c.Entity, &c.EventVersion, &data,
			&evCreated, &c.EventSeq, &c.SealedSecret, &c.SealedKey, &c.ShopLogin, &c.PerPayment); err != nil {
			return nil, err
		}
		c.EventData, c.EventCreated = []byte(data), fromMicros(evCreated)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeliveryOutcome is what one attempt of a claimed delivery came to.
type DeliveryOutcome struct {
	Status        pasarela.DeliveryStatus // pending (retry at NextAttemptAt), delivered or dead
	NextAttemptAt time.Time
	HTTPStatus    int
	Error         string
	DeliveredAt   *time.Time
}

// FinishDelivery records the outcome of the attempt a worker made under its
// lease. It returns false, writing nothing, when the lease was lost (it
// expired and another worker claimed the row, the row was retried by hand,
// or the webhook was deleted or disabled meanwhile).
func (tx *Tx) FinishDelivery(ctx context.Context, c *ClaimedDelivery, o DeliveryOutcome, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status = $3,
		last_error = $4, delivered_at = $5, lease_owner = '', updated_at = $6
		WHERE client_id = $7 AND id = $8 AND lease_owner = $9 AND attempts = $10 AND status = $11`,
		string(o.Status), micros(o.NextAttemptAt), o.HTTPStatus, o.Error, nullMicros(o.DeliveredAt), micros(now),
		c.ClientID, c.ID, c.Owner, c.Attempts, string(pasarela.DeliveryPending))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AddDeliveryAttempt appends an attempt to a delivery's log and sets its id.
func (tx *Tx) AddDeliveryAttempt(ctx context.Context, clientID string, a *pasarela.DeliveryAttempt) error {
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO webhook_attempts
		(delivery_id, client_id, attempt, status, error, latency_us, response, created_at)
		SELECT id, client_id, $1, $2, $3, $4, $5, $6 FROM webhook_deliveries WHERE client_id = $7 AND id = $8
		RETURNING id`,
		a.Attempt, a.Status, a.Error, a.Latency.Microseconds(), a.Response, micros(a.CreatedAt), clientID, a.DeliveryID),
		"delivery", func(scan func(...any) error) error { return scan(&a.ID) })
}

// GetDelivery returns a delivery of the client's webhook.
func (tx *Tx) GetDelivery(ctx context.Context, clientID string, webhookID, id int64) (*pasarela.Delivery, error) {
	var d pasarela.Delivery
	row := tx.q.QueryRowContext(ctx, deliverySelect+` WHERE d.client_id = $1 AND d.webhook_id = $2 AND d.id = $3`,
		clientID, webhookID, id)
	if err := tx.scanRow(row, "delivery", func(scan func(...any) error) error { return scanDelivery(scan, &d) }); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeliveryFilter narrows a delivery list.
type DeliveryFilter struct {
	Status  string // "" for every status
	EventID string
}

// ListDeliveries returns one page of a webhook's deliveries, each with its
// attempt log, and their total count.
func (tx *Tx) ListDeliveries(ctx context.Context, clientID string, webhookID int64, f DeliveryFilter, opts pasarela.ListOptions) ([]pasarela.Delivery, int, error) {
	a := args{clientID, webhookID}
	where := ` WHERE d.client_id = $1 AND d.webhook_id = $2`
	if f.Status != "" {
		where += ` AND d.status = ` + a.add(f.Status)
	}
	if f.EventID != "" {
		where += ` AND d.event_id = ` + a.add(f.EventID)
	}
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries d`+where, a...),
		"deliveries", func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	cols := map[string]string{}
	for k, v := range DeliverySortFields {
		cols[k] = "d." + v
	}
	order, err := orderBy(opts, cols, "d.id")
	if err != nil {
		return nil, 0, err
	}
	q := deliverySelect + where + order
	if opts.Limit > 0 {
		q += a.page(opts)
	}
	rows, err := tx.query(ctx, q, a...)
	if err != nil {
		return nil, 0, err
	}
	out := []pasarela.Delivery{}
	byID := map[int64]int{}
	ids := args{clientID}
	var in []string
	for rows.Next() {
		var d pasarela.Delivery
		if err := scanDelivery(rows.Scan, &d); err != nil {
			rows.Close()
			return nil, 0, err
		}
		d.Log = []pasarela.DeliveryAttempt{}
		byID[d.ID] = len(out)
		in = append(in, ids.add(d.ID))
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, total, err
	}
	rows, err = tx.query(ctx, `SELECT id, delivery_id, attempt, status, error, latency_us, response, created_at
		FROM webhook_attempts WHERE client_id = $1 AND delivery_id IN (`+strings.Join(in, ", ")+`) ORDER BY id`, ids...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var at pasarela.DeliveryAttempt
		var latency, created int64
		if err := rows.Scan(&at.ID, &at.DeliveryID, &at.Attempt, &at.Status, &at.Error, &latency, &at.Response, &created); err != nil {
			return nil, 0, err
		}
		at.Latency, at.CreatedAt = time.Duration(latency)*time.Microsecond, fromMicros(created)
		i := byID[at.DeliveryID]
		out[i].Log = append(out[i].Log, at)
	}
	return out, total, rows.Err()
}

// RetryDelivery makes a delivery of the client's webhook due at now again,
// whatever its status, unless an attempt of it is in flight (leased and not
// yet due), which is a conflict: sending it twice at once is what leases
// prevent.
func (tx *Tx) RetryDelivery(ctx context.Context, clientID string, webhookID, id int64, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, lease_owner = '', updated_at = $2
		WHERE client_id = $3 AND webhook_id = $4 AND id = $5 AND NOT (status = $1 AND lease_owner <> '' AND next_attempt_at > $2)`,
		string(pasarela.DeliveryPending), micros(now), clientID, webhookID, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := tx.GetDelivery(ctx, clientID, webhookID, id); err != nil {
		return err
	}
	return pasarela.Errorf(pasarela.KindConflict, "delivery_in_flight", "an attempt of this delivery is in flight; retry when it has ended")
}

// PutSealedKey keeps an application's API key, sealed by the core, for the
// PayREST Hash header of its webhooks; a new key replaces the old one.
func (tx *Tx) PutSealedKey(ctx context.Context, clientID string, appID int64, sealed []byte, now time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO application_sealed_keys (application_id, client_id, sealed, updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (application_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
		appID, clientID, sealed, micros(now))
	return err
}

// HasSealedKey reports whether the application's API key is kept, sealed,
// for the Hash header: the delivery log says which headers a delivery
// carries without opening the key.
func (tx *Tx) HasSealedKey(ctx context.Context, clientID string, appID int64) (bool, error) {
	var n int
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM application_sealed_keys
		WHERE client_id = $1 AND application_id = $2`, clientID, appID),
		"sealed key", func(scan func(...any) error) error { return scan(&n) })
	return n > 0, err
}
