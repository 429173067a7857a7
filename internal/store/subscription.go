package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/pasarela/pasarela"
)

// SubscriptionSortFields are the fields, in the core's names, a
// subscription list may be sorted by.
var SubscriptionSortFields = map[string]string{
	"id": "id", "amount": "amount", "currency": "currency", "status": "status", "interval": "period_unit",
	"start_date": "start_date", "next_charge_at": "next_charge_at", "created_at": "created_at",
}

const subscriptionColumns = `id, client_id, application_id, status, amount, currency, description, customer_id,
	customer_email, period_unit, interval_count, start_date, cycles, end_date, gateway_configs, gateway_config_id, card,
	cycles_paid, next_cycle, next_charge_at, confirmed_at, canceled_at, created_at, updated_at, version`

func scanSubscription(scan func(...any) error, s *pasarela.Subscription) error {
	var status, interval, configs, card string
	var start, created, updated int64
	var end, next, confirmed, canceled, configID sql.NullInt64
	if err := scan(&s.ID, &s.ClientID, &s.ApplicationID, &status, &s.Amount, &s.Currency, &s.Description,
		&s.CustomerID, &s.CustomerEmail, &interval, &s.IntervalCount, &start, &s.Cycles, &end, &configs, &configID,
		&card, &s.CyclesPaid, &s.NextCycle, &next, &confirmed, &canceled, &created, &updated, &s.Version); err != nil {
		return err
	}
	s.Status, s.Interval = pasarela.SubscriptionStatus(status), pasarela.Interval(interval)
	s.StartDate, s.CreatedAt, s.UpdatedAt = fromMicros(start), fromMicros(created), fromMicros(updated)
	s.EndDate, s.NextChargeAt, s.ConfirmedAt, s.CanceledAt = timePtr(end), timePtr(next), timePtr(confirmed), timePtr(canceled)
	s.GatewayConfig = configID.Int64
	s.Card = nil
	if err := json.Unmarshal([]byte(configs), &s.GatewayConfigs); err != nil {
		return err
	}
	if s.GatewayConfigs == nil {
		s.GatewayConfigs = []int64{}
	}
	return json.Unmarshal([]byte(card), &s.Card)
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateSubscription inserts s and sets its id.
func (tx *Tx) CreateSubscription(ctx context.Context, s *pasarela.Subscription) error {
	configs := s.GatewayConfigs
	if configs == nil {
		configs = []int64{}
	}
	cj, err := jsonText(configs)
	if err != nil {
		return err
	}
	card, err := jsonText(s.Card)
	if err != nil {
		return err
	}
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO subscriptions (client_id, application_id, status, amount,
		currency, description, customer_id, customer_email, period_unit, interval_count, start_date, cycles, end_date,
		gateway_configs, gateway_config_id, card, cycles_paid, next_cycle, next_charge_at, confirmed_at, canceled_at,
		created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		RETURNING id`,
		s.ClientID, s.ApplicationID, string(s.Status), s.Amount, s.Currency, s.Description, s.CustomerID,
		s.CustomerEmail, string(s.Interval), s.IntervalCount, micros(s.StartDate), s.Cycles, nullMicros(s.EndDate), cj,
		nullID(s.GatewayConfig), card, s.CyclesPaid, s.NextCycle, nullMicros(s.NextChargeAt), nullMicros(s.ConfirmedAt),
		nullMicros(s.CanceledAt), micros(s.CreatedAt), micros(s.UpdatedAt), s.Version),
		"subscription", func(scan func(...any) error) error { return scan(&s.ID) })
}

func (tx *Tx) getSubscription(ctx context.Context, where string, args ...any) (*pasarela.Subscription, error) {
	var s pasarela.Subscription
	row := tx.q.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE `+where+tx.d.ForUpdate, args...)
	if err := tx.scanRow(row, "subscription", func(scan func(...any) error) error { return scanSubscription(scan, &s) }); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetSubscription returns a subscription of the client's application.
// Inside Update the row is locked until the transaction ends (on
// PostgreSQL), which serializes a cancel and the scheduler's claim.
func (tx *Tx) GetSubscription(ctx context.Context, clientID string, appID, id int64) (*pasarela.Subscription, error) {
	return tx.getSubscription(ctx, `client_id = $1 AND application_id = $2 AND id = $3`, clientID, appID, id)
}

// GetSubscriptionByID returns a subscription of the client by id alone, for
// callers that reached it through a credential already scoped to it.
func (tx *Tx) GetSubscriptionByID(ctx context.Context, clientID string, id int64) (*pasarela.Subscription, error) {
	return tx.getSubscription(ctx, `client_id = $1 AND id = $2`, clientID, id)
}

// SubscriptionFilter narrows a subscription list.
type SubscriptionFilter struct {
	Status     string
	CustomerID string
}

// ListSubscriptions returns one page of an application's subscriptions and
// the total count of those matching f.
func (tx *Tx) ListSubscriptions(ctx context.Context, clientID string, appID int64, f SubscriptionFilter, opts pasarela.ListOptions) ([]pasarela.Subscription, int, error) {
	a := args{clientID, appID}
	where := ` WHERE client_id = $1 AND application_id = $2`
	if f.Status != "" {
		where += ` AND status = ` + a.add(f.Status)
	}
	if f.CustomerID != "" {
		where += ` AND customer_id = ` + a.add(f.CustomerID)
	}
	var total int
	if err := tx.scanRow(tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscriptions`+where, a...),
		"subscriptions", func(scan func(...any) error) error { return scan(&total) }); err != nil {
		return nil, 0, err
	}
	order, err := orderBy(opts, SubscriptionSortFields, "id")
	if err != nil {
		return nil, 0, err
	}
	rows, err := tx.query(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions`+where+order+a.page(opts), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []pasarela.Subscription{}
	for rows.Next() {
		var s pasarela.Subscription
		if err := scanSubscription(rows.Scan, &s); err != nil {
			return nil, 0, err
		}
		out = append(out, s)
	}
	return out, total, rows.Err()
}

// UpdateSubscription writes every mutable field of s if nobody changed the
// row since s was read (s.Version), and bumps the version.
func (tx *Tx) UpdateSubscription(ctx context.Context, s *pasarela.Subscription) error {
	card, err := jsonText(s.Card)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE subscriptions SET status = $1, gateway_config_id = $2, card = $3, cycles_paid = $4,
		next_cycle = $5, next_charge_at = $6, confirmed_at = $7, canceled_at = $8, updated_at = $9, version = version + 1
		WHERE client_id = $10 AND id = $11 AND version = $12`,
		string(s.Status), nullID(s.GatewayConfig), card, s.CyclesPaid, s.NextCycle, nullMicros(s.NextChargeAt),
		nullMicros(s.ConfirmedAt), nullMicros(s.CanceledAt), micros(s.UpdatedAt), s.ClientID, s.ID, s.Version)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return pasarela.Errorf(pasarela.KindConflict, "concurrent_change", "the subscription was changed by another request; read it again")
	}
	s.Version++
	return nil
}

// DueSubscription names a subscription the scheduler has work for.
type DueSubscription struct {
	ClientID string
	ID       int64
}

// DueSubscriptions returns up to limit subscriptions (of every client) that
// the scheduler may charge and whose next work is due at or before now,
// oldest first. It only reads: each is claimed in its own transaction.
func (tx *Tx) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]DueSubscription, error) {
	rows, err := tx.query(ctx, `SELECT client_id, id FROM subscriptions
		WHERE status IN ('active', 'past_due') AND next_charge_at IS NOT NULL AND next_charge_at <= $1
		ORDER BY next_charge_at, id LIMIT $2`, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueSubscription
	for rows.Next() {
		var d DueSubscription
		if err := rows.Scan(&d.ClientID, &d.ID); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const agreementColumns = `id, client_id, application_id, subscription_id, token, gateway_config_id, status, return_url,
	cancel_url, card, processor_ref, failure_code, failure_message, confirmed_at, created_at, updated_at, version`

func scanAgreement(scan func(...any) error, a *pasarela.SubscriptionAgreement) error {
	var status, card string
	var confirmed sql.NullInt64
	var created, updated int64
	if err := scan(&a.ID, &a.ClientID, &a.ApplicationID, &a.SubscriptionID, &a.Token, &a.GatewayConfig, &status,
		&a.ReturnURL, &a.CancelURL, &card, &a.ProcessorRef, &a.FailureCode, &a.FailureMessage, &confirmed, &created,
		&updated, &a.Version); err != nil {
		return err
	}
	a.Status = pasarela.AgreementStatus(status)
	a.ConfirmedAt, a.CreatedAt, a.UpdatedAt = timePtr(confirmed), fromMicros(created), fromMicros(updated)
	a.Card = nil
	return json.Unmarshal([]byte(card), &a.Card)
}

// CreateAgreement inserts a and sets its id.
func (tx *Tx) CreateAgreement(ctx context.Context, a *pasarela.SubscriptionAgreement) error {
	card, err := jsonText(a.Card)
	if err != nil {
		return err
	}
	return tx.scanRow(tx.q.QueryRowContext(ctx, `INSERT INTO subscription_agreements (client_id, application_id,
		subscription_id, token, gateway_config_id, status, return_url, cancel_url, card, processor_ref, failure_code,
		failure_message, confirmed_at, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		a.ClientID, a.ApplicationID, a.SubscriptionID, a.Token, a.GatewayConfig, string(a.Status), a.ReturnURL,
		a.CancelURL, card, a.ProcessorRef, a.FailureCode, a.FailureMessage, nullMicros(a.ConfirmedAt),
		micros(a.CreatedAt), micros(a.UpdatedAt), a.Version),
		"subscription agreement", func(scan func(...any) error) error { return scan(&a.ID) })
}

// GetAgreementByToken finds an agreement by its page token. Not scoped to a
// client: the token is the buyer's only credential. Inside Update the row
// is locked (on PostgreSQL).
func (tx *Tx) GetAgreementByToken(ctx context.Context, token string) (*pasarela.SubscriptionAgreement, error) {
	var a pasarela.SubscriptionAgreement
	row := tx.q.QueryRowContext(ctx, `SELECT `+agreementColumns+` FROM subscription_agreements WHERE token = $1`+tx.d.ForUpdate, token)
	if err := tx.scanRow(row, "subscription agreement", func(scan func(...any) error) error { return scanAgreement(scan, &a) }); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListAgreements returns a subscription's agreements, oldest first.
func (tx *Tx) ListAgreements(ctx context.Context, clientID string, subscriptionID int64) ([]pasarela.SubscriptionAgreement, error) {
	rows, err := tx.query(ctx, `SELECT `+agreementColumns+` FROM subscription_agreements
		WHERE client_id = $1 AND subscription_id = $2 ORDER BY id`, clientID, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.SubscriptionAgreement{}
	for rows.Next() {
		var a pasarela.SubscriptionAgreement
		if err := scanAgreement(rows.Scan, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAgreement writes the mutable fields of a if nobody changed the row
// since a was read, and bumps the version.
func (tx *Tx) UpdateAgreement(ctx context.Context, a *pasarela.SubscriptionAgreement) error {
	card, err := jsonText(a.Card)
	if err != nil {
		return err
	}
	res, err := tx.exec(ctx, `UPDATE subscription_agreements SET status = $1, card = $2, processor_ref = $3,
		failure_code = $4, failure_message = $5, confirmed_at = $6, updated_at = $7, version = version + 1
		WHERE client_id = $8 AND id = $9 AND version = $10`,
		string(a.Status), card, a.ProcessorRef, a.FailureCode, a.FailureMessage, nullMicros(a.ConfirmedAt),
		micros(a.UpdatedAt), a.ClientID, a.ID, a.Version)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return pasarela.Errorf(pasarela.KindConflict, "concurrent_change", "the agreement was changed by another request; try again")
	}
	a.Version++
	return nil
}

// InvalidateOpenAgreements ends every unfinished agreement of a subscription.
func (tx *Tx) InvalidateOpenAgreements(ctx context.Context, clientID string, subscriptionID int64, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE subscription_agreements SET status = $1, updated_at = $2, version = version + 1
		WHERE client_id = $3 AND subscription_id = $4 AND status IN ('pending', 'requires_action')`,
		string(pasarela.AgreementInvalidated), micros(now), clientID, subscriptionID)
	return err
}

const cycleColumns = `subscription_id, cycle, client_id, payment_id, status, due_at, attempts, next_attempt_at,
	created_at, updated_at`

func scanCycle(scan func(...any) error, c *pasarela.SubscriptionCycle) error {
	var status string
	var due, created, updated int64
	var next sql.NullInt64
	if err := scan(&c.SubscriptionID, &c.Cycle, &c.ClientID, &c.PaymentID, &status, &due, &c.Attempts, &next,
		&created, &updated); err != nil {
		return err
	}
	c.Status = pasarela.CycleStatus(status)
	c.DueAt, c.NextAttemptAt = fromMicros(due), timePtr(next)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return nil
}

// CreateCycle inserts a cycle. A second insert of the same (subscription,
// cycle) is a conflict: the cycle was claimed elsewhere.
func (tx *Tx) CreateCycle(ctx context.Context, c *pasarela.SubscriptionCycle) error {
	_, err := tx.exec(ctx, `INSERT INTO subscription_cycles (subscription_id, cycle, client_id, payment_id, status, due_at,
		attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.SubscriptionID, c.Cycle, c.ClientID, c.PaymentID, string(c.Status), micros(c.DueAt), c.Attempts,
		nullMicros(c.NextAttemptAt), micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// UpdateCycle writes a cycle's status, attempts and next attempt.
func (tx *Tx) UpdateCycle(ctx context.Context, c *pasarela.SubscriptionCycle) error {
	res, err := tx.exec(ctx, `UPDATE subscription_cycles SET status = $1, attempts = $2, next_attempt_at = $3, updated_at = $4
		WHERE client_id = $5 AND subscription_id = $6 AND cycle = $7`,
		string(c.Status), c.Attempts, nullMicros(c.NextAttemptAt), micros(c.UpdatedAt), c.ClientID, c.SubscriptionID, c.Cycle)
	if err != nil {
		return err
	}
	return expectOne(res, "subscription cycle")
}

// GetCycle returns one cycle of a subscription of the client.
func (tx *Tx) GetCycle(ctx context.Context, clientID string, subscriptionID int64, cycle int) (*pasarela.SubscriptionCycle, error) {
	var c pasarela.SubscriptionCycle
	row := tx.q.QueryRowContext(ctx, `SELECT `+cycleColumns+` FROM subscription_cycles
		WHERE client_id = $1 AND subscription_id = $2 AND cycle = $3`, clientID, subscriptionID, cycle)
	if err := tx.scanRow(row, "subscription cycle", func(scan func(...any) error) error { return scanCycle(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetCycleByPayment returns the cycle a payment of the client charges.
func (tx *Tx) GetCycleByPayment(ctx context.Context, clientID string, paymentID int64) (*pasarela.SubscriptionCycle, error) {
	var c pasarela.SubscriptionCycle
	row := tx.q.QueryRowContext(ctx, `SELECT `+cycleColumns+` FROM subscription_cycles
		WHERE client_id = $1 AND payment_id = $2`, clientID, paymentID)
	if err := tx.scanRow(row, "subscription cycle", func(scan func(...any) error) error { return scanCycle(scan, &c) }); err != nil {
		return nil, err
	}
	return &c, nil
}

// ListCyclePayments returns the payments of a subscription's cycles, first
// cycle first (cycles are created in order, so are their payments), in one
// query.
func (tx *Tx) ListCyclePayments(ctx context.Context, clientID string, subscriptionID int64) ([]pasarela.Payment, error) {
	rows, err := tx.query(ctx, `SELECT `+paymentColumns+` FROM payments WHERE client_id = $1 AND id IN
		(SELECT payment_id FROM subscription_cycles WHERE client_id = $1 AND subscription_id = $2) ORDER BY id`,
		clientID, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pasarela.Payment
	for rows.Next() {
		var p pasarela.Payment
		if err := scanPayment(rows.Scan, &p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ListCycles returns a subscription's cycles, first first.
func (tx *Tx) ListCycles(ctx context.Context, clientID string, subscriptionID int64) ([]pasarela.SubscriptionCycle, error) {
	rows, err := tx.query(ctx, `SELECT `+cycleColumns+` FROM subscription_cycles
		WHERE client_id = $1 AND subscription_id = $2 ORDER BY cycle`, clientID, subscriptionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pasarela.SubscriptionCycle{}
	for rows.Next() {
		var c pasarela.SubscriptionCycle
		if err := scanCycle(rows.Scan, &c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
