package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

// PaymentSortFields are the fields, in the core's names, a payment list may
// be sorted by.
var PaymentSortFields = map[string]string{
	"id": "id", "amount": "amount", "currency": "currency", "status": "status",
	"created_at": "created_at", "completed_at": "completed_at",
}

const paymentColumns = `id, client_id, application_id, transaction_id, checkout_token, status, type, amount, currency,
	captured, refunded, description, customer_id, customer_email, merchant_ref, language, flags, ask_for_details,
	capture, gateway_configs, gateway_config_id, processor_ref, card, failure_code, failure_message, action, action_url, parent_id,
	return_url, cancel_url, metadata, expires_at, completed_at, created_at, updated_at, version,
	line_items, taxes, shipping, order_fingerprint, single_attempt, authorization_code, notify_url, notify_format`

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func scanPayment(scan func(...any) error, p *pasarela.Payment) error {
	var merchantRef, items, taxes, fingerprint sql.NullString
	var flags, configs, card, metadata string
	var configID, parentID, expires, completed sql.NullInt64
	var created, updated int64
	var status, typ string
	if err := scan(&p.ID, &p.ClientID, &p.ApplicationID, &p.TransactionID, &p.CheckoutToken, &status, &typ,
		&p.Amount, &p.Currency, &p.Captured, &p.Refunded, &p.Description, &p.CustomerID, &p.CustomerEmail,
		&merchantRef, &p.Language, &flags, &p.AskForDetails, &p.Capture, &configs, &configID, &p.ProcessorRef,
		&card, &p.FailureCode, &p.FailureMessage, &p.Action, &p.ActionURL, &parentID, &p.ReturnURL, &p.CancelURL, &metadata,
		&expires, &completed, &created, &updated, &p.Version, &items, &taxes, &p.Shipping, &fingerprint, &p.SingleAttempt, &p.AuthorizationCode,
		&p.NotifyURL, &p.NotifyFormat); err != nil {
		return err
	}
	p.Status, p.Type = pasarela.PaymentStatus(status), pasarela.PaymentType(typ)
	p.MerchantRef = merchantRef.String
	p.GatewayConfig, p.ParentID = configID.Int64, parentID.Int64
	p.ExpiresAt, p.CompletedAt = timePtr(expires), timePtr(completed)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	p.Card, p.Items, p.Taxes, p.OrderFingerprint = nil, nil, nil, fingerprint.String
	// Only orders have a breakdown: other payments skip its decoding.
	if items.Valid {
		if err := json.Unmarshal([]byte(items.String), &p.Items); err != nil {
			return err
		}
	}
	if taxes.Valid {
		if err := json.Unmarshal([]byte(taxes.String), &p.Taxes); err != nil {
			return err
		}
	}
	// The JSON columns of most payments hold an empty value ("[]", "null",
	// "{}", as encodePaymentJSON writes them): those are set directly, not
	// decoded, which was a fifth of the allocations of reading a payment.
	for _, j := range []struct {
		src string
		dst any
	}{{flags, &p.Flags}, {configs, &p.GatewayConfigs}, {card, &p.Card}, {metadata, &p.Metadata}} {
		switch j.src {
		case "null", "[]":
			continue // the zero value; empty lists are made below
		case "{}":
			if m, ok := j.dst.(*map[string]string); ok {
				*m = map[string]string{}
				continue
			}
		}
		if err := json.Unmarshal([]byte(j.src), j.dst); err != nil {
			return err
		}
	}
	if p.Flags == nil {
		p.Flags = []string{}
	}
	if p.GatewayConfigs == nil {
		p.GatewayConfigs = []int64{}
	}
	return nil
}

// paymentJSON holds the JSON columns of a payment, encoded once per write.
type paymentJSON struct{ flags, configs, card, metadata string }

func encodePaymentJSON(p *pasarela.Payment) (paymentJSON, error) {
	var out paymentJSON
	flags, configs := p.Flags, p.GatewayConfigs
	if flags == nil {
		flags = []string{}
	}
	if configs == nil {
		configs = []int64{}
	}
	for _, j := range []struct {
		v   any
		dst *string
	}{{flags, &out.flags}, {configs, &out.configs}, {p.Card, &out.card}, {p.Metadata, &out.metadata}} {
		b, err := json.Marshal(j.v)
		if err != nil {
			return out, err
		}
		*j.dst = string(b)
	}
	return out, nil
}

// insertPayment is the INSERT of every payment; an order adds its
// breakdown (orderColumns). A payment that is not an order leaves those
// columns to their defaults (NULL, 0) and binds nothing for them: this is
// the path of every payment created, so it stays as short as it was.
const insertPayment = `INSERT INTO payments (client_id, application_id, transaction_id,
	checkout_token, status, type, amount, currency, captured, refunded, description, customer_id, customer_email,
	merchant_ref, language, flags, ask_for_details, capture, gateway_configs, gateway_config_id, processor_ref,
	card, failure_code, failure_message, action, action_url, parent_id, return_url, cancel_url, metadata,
	expires_at, completed_at, created_at, updated_at, version, single_attempt, notify_url, notify_format`

const insertPaymentValues = `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
	$20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38`

const (
	insertPlainPayment = insertPayment + insertPaymentValues + `) RETURNING id`
	insertOrderPayment = insertPayment + `, line_items, taxes, shipping, order_fingerprint` +
		insertPaymentValues + `, $39, $40, $41, $42) RETURNING id`
)

// CreatePayment inserts p and sets its id.
func (tx *Tx) CreatePayment(ctx context.Context, p *pasarela.Payment) error {
	j, err := encodePaymentJSON(p)
	if err != nil {
		return err
	}
	tx.changes.Payment(p.ParentID)
	merchantRef := sql.NullString{String: p.MerchantRef, Valid: p.MerchantRef != ""}
	args := []any{p.ClientID, p.ApplicationID, p.TransactionID, p.CheckoutToken, string(p.Status), string(p.Type), p.Amount,
		p.Currency, p.Captured, p.Refunded, p.Description, p.CustomerID, p.CustomerEmail, merchantRef, p.Language,
		j.flags, p.AskForDetails, p.Capture, j.configs, nullID(p.GatewayConfig), p.ProcessorRef, j.card,
		p.FailureCode, p.FailureMessage, p.Action, p.ActionURL, nullID(p.ParentID), p.ReturnURL, p.CancelURL, j.metadata,
		nullMicros(p.ExpiresAt), nullMicros(p.CompletedAt), micros(p.CreatedAt), micros(p.UpdatedAt), p.Version, p.SingleAttempt,
		p.NotifyURL, p.NotifyFormat}
	query := insertPlainPayment
	if p.OrderFingerprint != "" {
		items, taxes := p.Items, p.Taxes
		if items == nil {
			items = []pasarela.LineItem{}
		}
		if taxes == nil {
			taxes = []pasarela.LineItem{}
		}
		bi, err := json.Marshal(items)
		if err != nil {
			return err
		}
		bt, err := json.Marshal(taxes)
		if err != nil {
			return err
		}
		query = insertOrderPayment
		args = append(args, string(bi), string(bt), p.Shipping, p.OrderFingerprint)
	}
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, query, args...),
		"payment", func(scan func(...any) error) error { return scan(&p.ID) }); err != nil {
		return err
	}
	return tx.addCreated(ctx, p)
}

func (tx *Tx) getPayment(ctx context.Context, where string, args ...any) (*pasarela.Payment, error) {
	var p pasarela.Payment
	row := tx.q.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE `+where+tx.d.ForUpdate, args...)
	if err := tx.scanRow(row, "payment", func(scan func(...any) error) error { return scanPayment(scan, &p) }); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPayment returns a payment of the client's application. Inside Update
// the row is locked until the transaction ends (on PostgreSQL).
func (tx *Tx) GetPayment(ctx context.Context, clientID string, appID, id int64) (*pasarela.Payment, error) {
	return tx.getPayment(ctx, `client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
}

// PaymentRelations says what hangs from a payment: whether it has payment
// links, children (a subscription's later charges) and refunds.
type PaymentRelations struct{ Links, Children, Refunds bool }

// GetPaymentRelations is GetPayment that also says what hangs from the
// payment, in the same statement (an index probe each), so that reading a
// payment's detail runs the queries of its links, children and refunds only
// when it has some: most payments have none, and each of those queries cost
// about as much as reading the payment.
func (tx *Tx) GetPaymentRelations(ctx context.Context, clientID string, appID, id int64) (*pasarela.Payment, PaymentRelations, error) {
	var p pasarela.Payment
	var rel PaymentRelations
	// The literal IS NOT NULL is the partial index's condition (see
	// ListPayments' parent_id). The subqueries need no client of their
	// own: they only look under the payment the outer WHERE scoped. The
	// short names spare the driver copying each expression's text as its
	// column name on every run.
	row := tx.q.QueryRowContext(ctx, `SELECT `+paymentColumns+`,
		EXISTS (SELECT 1 FROM payment_links l WHERE l.payment_id = payments.id) AS has_links,
		EXISTS (SELECT 1 FROM payments c WHERE c.parent_id IS NOT NULL AND c.parent_id = payments.id) AS has_children,
		EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = payments.id) AS has_refunds
		FROM payments WHERE client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
	err := tx.scanRow(row, "payment", func(scan func(...any) error) error {
		return scanPayment(func(dest ...any) error {
			return scan(append(dest, &rel.Links, &rel.Children, &rel.Refunds)...)
		}, &p)
	})
	if err != nil {
		return nil, rel, err
	}
	return &p, rel, nil
}

// GetPaymentByMerchantRef finds a payment of the client's application by
// the merchant's own reference (a SekurePay order id), which is unique per
// application.
func (tx *Tx) GetPaymentByMerchantRef(ctx context.Context, clientID string, appID int64, ref string) (*pasarela.Payment, error) {
	// The literal IS NOT NULL matches the partial index's condition (see
	// ListPayments' parent_id).
	return tx.getPayment(ctx, `client_id = $1 AND application_id = $2 AND merchant_ref IS NOT NULL AND merchant_ref = $3`, clientID, appID, ref)
}

// GetPaymentByCheckoutToken finds a payment by the token of its own hosted
// page. Not scoped to a client: the token is the buyer's only credential.
func (tx *Tx) GetPaymentByCheckoutToken(ctx context.Context, token string) (*pasarela.Payment, error) {
	return tx.getPayment(ctx, `checkout_token = $1`, token)
}

// GetPaymentByID returns a payment of the client by id alone, for callers
// that reached it through a credential already scoped to it (a link).
func (tx *Tx) GetPaymentByID(ctx context.Context, clientID string, id int64) (*pasarela.Payment, error) {
	return tx.getPayment(ctx, `client_id = $1 AND id = $2`, clientID, id)
}

// PaymentFilter narrows a payment list.
type PaymentFilter struct {
	Status string
	// Statuses, when set, matches a payment in any of them (a face's one
	// status name may stand for several of the core's).
	Statuses      []string
	CustomerID    string
	TransactionID string
	ParentID      int64
}

// counted reports whether the payment_counts counters hold the total of
// f: they count an application's payments per status, so a list filtered
// by nothing else reads its total from a few rows.
func (f PaymentFilter) counted() bool {
	return f.CustomerID == "" && f.TransactionID == "" && f.ParentID == 0
}

// PaymentCountCap is where the count of a payment list that the counters do
// not hold (one filtered by customer, transaction id or parent) stops: such
// a count reads every matching payment, so a total of more than this many
// is reported as this many and more (pasarela.Total.Capped).
const PaymentCountCap = 10000

// ListPayments returns one page of an application's payments and the total
// of those matching f (see PaymentCountCap). With opts.After set the page
// is found by key (see pasarela.ListOptions.After): the order must be by id
// alone and the offset 0.
func (tx *Tx) ListPayments(ctx context.Context, clientID string, appID int64, f PaymentFilter, opts pasarela.ListOptions) ([]pasarela.Payment, pasarela.Total, error) {
	a := args{clientID, appID}
	// Scoped to the client through its application, once, rather than by
	// each row's client_id: the count and the page then read only the
	// indexes on (application_id, [status,] id), never the rows they skip.
	// Every payment has its application's client, so the two are the same.
	where := ` WHERE application_id = $2 AND EXISTS (SELECT 1 FROM applications WHERE id = $2 AND client_id = $1)`
	// The status conditions come first: the counters' query takes the
	// same text and arguments.
	var inStatus string
	if f.Status != "" {
		inStatus += ` AND status = ` + a.add(f.Status)
	}
	if len(f.Statuses) > 0 {
		in := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			in[i] = a.add(st)
		}
		inStatus += ` AND status IN (` + strings.Join(in, ", ") + `)`
	}
	where += inStatus
	if f.CustomerID != "" {
		where += ` AND customer_id = ` + a.add(f.CustomerID)
	}
	if f.TransactionID != "" {
		where += ` AND transaction_id = ` + a.add(f.TransactionID)
	}
	if f.ParentID != 0 {
		// The literal IS NOT NULL is the partial index's own condition:
		// implied only by "parent_id = $n", SQLite would tie the plan to
		// the bound value and prepare the statement again on every run.
		where += ` AND parent_id IS NOT NULL AND parent_id = ` + a.add(f.ParentID)
	}
	var total pasarela.Total
	var count string
	if f.counted() {
		count = `SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM payment_counts WHERE client_id = $1 AND application_id = $2` + inStatus
	} else {
		count = `SELECT COUNT(*) FROM (SELECT 1 FROM payments` + where + ` LIMIT ` + strconv.Itoa(PaymentCountCap+1) + `) m`
	}
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, count, a[:len(a):len(a)]...),
		"payments", func(scan func(...any) error) error { return scan(&total.Count) }); err != nil {
		return nil, total, err
	}
	if total.Count > PaymentCountCap && !f.counted() {
		total = pasarela.Total{Count: PaymentCountCap, Capped: true}
	}
	if opts.After != 0 {
		desc, err := keysetDesc(opts)
		if err != nil {
			return nil, total, err
		}
		if desc {
			where += ` AND id < ` + a.add(opts.After)
		} else {
			where += ` AND id > ` + a.add(opts.After)
		}
	}
	order, err := orderBy(opts, PaymentSortFields, "id")
	if err != nil {
		return nil, total, err
	}
	out, err := tx.scanPayments(ctx, `SELECT `+paymentColumns+` FROM payments`+where+order+a.page(opts), a...)
	return out, total, err
}

// keysetDesc reports the direction of a list paged by key, refusing an
// order or an offset that keys cannot page (the core checks this first).
func keysetDesc(opts pasarela.ListOptions) (bool, error) {
	if opts.Offset != 0 {
		return false, pasarela.Invalid("after", "after_offset", "a cursor and an offset cannot be combined")
	}
	switch {
	case len(opts.Sort) == 0:
		return false, nil
	case len(opts.Sort) == 1 && opts.Sort[0].Field == "id":
		return opts.Sort[0].Desc, nil
	}
	return false, pasarela.Invalid("after", "after_sort", "a cursor pages a list ordered by id only")
}

// ListChildPayments returns the payments whose parent is parentID (a
// subscription's later charges), oldest first, at most limit of them. It
// counts nothing: a payment's detail shows its children, not their number.
func (tx *Tx) ListChildPayments(ctx context.Context, clientID string, appID, parentID int64, limit int) ([]pasarela.Payment, error) {
	// The literal IS NOT NULL is the partial index's condition (see
	// ListPayments); a literal limit keeps the statement prepared (see
	// args.page).
	return tx.scanPayments(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE client_id = $1 AND application_id = $2 AND parent_id IS NOT NULL AND parent_id = $3
		ORDER BY id LIMIT `+strconv.Itoa(limit), clientID, appID, parentID)
}

func (tx *Tx) scanPayments(ctx context.Context, query string, args ...any) ([]pasarela.Payment, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.Payment{}
	for rows.Next() {
		var p pasarela.Payment
		if err := scanPayment(rows.Scan, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdatePayment writes every mutable field of p if nobody changed the row
// since p was read (p.Version), and bumps the version. A lost race is a
// conflict naming the payment: of two racing transitions exactly one wins.
func (tx *Tx) UpdatePayment(ctx context.Context, p *pasarela.Payment) error {
	j, err := encodePaymentJSON(p)
	if err != nil {
		return err
	}
	tx.changes.Payment(p.ParentID)
	if err := tx.flushDeferred(ctx); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE payments SET status = $1, captured = $2, refunded = $3, gateway_config_id = $4,
		processor_ref = $5, card = $6, failure_code = $7, failure_message = $8, completed_at = $9, updated_at = $10,
		metadata = $11, action = $12, action_url = $13, authorization_code = $14, version = version + 1
		WHERE client_id = $15 AND id = $16 AND version = $17`,
		string(p.Status), p.Captured, p.Refunded, nullID(p.GatewayConfig), p.ProcessorRef, j.card, p.FailureCode,
		p.FailureMessage, nullMicros(p.CompletedAt), micros(p.UpdatedAt), j.metadata, p.Action, p.ActionURL,
		p.AuthorizationCode, p.ClientID, p.ID, p.Version)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return pasarela.Errorf(pasarela.KindConflict, "concurrent_change", "the payment was changed by another request; read it again")
	}
	p.Version++
	return nil
}

// CountPayments counts an application's payments.
func (tx *Tx) CountPayments(ctx context.Context, clientID string, appID int64) (int, error) {
	var n int
	err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE client_id = $1 AND application_id = $2`,
		clientID, appID), "payments", func(scan func(...any) error) error { return scan(&n) })
	return n, err
}

// StuckRow names a row of some client that has been in flight too long.
type StuckRow struct {
	ClientID string
	ID       int64
}

// StuckPayments lists payments processing since before cutoff, oldest
// first, across every client: the reconciler's work after a crash. Each row
// is then read and settled scoped to its own client. The partial index
// payments_processing_idx (0009) keeps this a read of the few rows in
// flight, never of every payment.
func (tx *Tx) StuckPayments(ctx context.Context, cutoff time.Time, limit int) ([]StuckRow, error) {
	return tx.stuck(ctx, `SELECT client_id, id FROM payments WHERE status = 'processing' AND updated_at < $1
		ORDER BY updated_at LIMIT $2`, cutoff, limit)
}

func (tx *Tx) stuck(ctx context.Context, query string, cutoff time.Time, limit int) ([]StuckRow, error) {
	rows, err := tx.query(ctx, query, micros(cutoff), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StuckRow
	for rows.Next() {
		var r StuckRow
		if err := rows.Scan(&r.ClientID, &r.ID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
