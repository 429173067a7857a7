package pasarela

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event records that a resource changed: the outbox row written in the same
// transaction as the change, from which webhook deliveries are made.
type Event struct {
	ID       string // public, unguessable ("evt_…"); receivers deduplicate by it
	ClientID string
	// ApplicationID is 0 for a client-wide resource (a Kashpay payout has
	// no application): such an event goes to every application's webhooks.
	ApplicationID int64
	Type          string // "payment.completed", "refund.completed", "payout.sent", "subscription.created", …
	Entity        string // "payment", "refund", "payout", "subscription"
	EntityID      int64
	// Sequence numbers the events of one resource 1, 2, 3… in the order
	// they happened (set when the event is recorded): a receiver keeps the
	// highest it has applied and recognises a late or repeated event.
	Sequence int64
	// Version is the schema of Data: EventVersion (or an older version
	// still understood) for a neutral EventPayload, EventVersionLegacy for
	// an event recorded before payloads were neutral.
	Version int
	// Data is the resource as it was at the moment of the change, so a
	// delivery made days later still says what happened then. It is the
	// JSON of an EventPayload, the same whichever faces the gateway
	// serves; each webhook's format renders it when it is delivered. A
	// legacy event (Version 0) holds instead the PayREST body that was
	// rendered when it was recorded.
	Data      json.RawMessage
	CreatedAt time.Time
}

// Payload decodes the neutral payload of the event. A legacy event has none:
// its Data is already a PayREST body.
func (e *Event) Payload() (*EventPayload, error) {
	if e.Version == EventVersionLegacy {
		return nil, fmt.Errorf("event %s was recorded before payloads were neutral: its data is a PayREST body", e.ID)
	}
	if e.Version > EventVersion {
		return nil, fmt.Errorf("event %s has payload version %d, newer than this gateway knows (%d)", e.ID, e.Version, EventVersion)
	}
	var p EventPayload
	if err := json.Unmarshal(e.Data, &p); err != nil {
		return nil, fmt.Errorf("event %s: payload: %w", e.ID, err)
	}
	if p.Entity != e.Entity {
		return nil, fmt.Errorf("event %s: payload of a %s, event of a %s", e.ID, p.Entity, e.Entity)
	}
	// A renderer reads the resource its entity names without checking.
	held := map[string]bool{EntityPayment: p.Payment != nil, EntityRefund: p.Refund != nil,
		EntityPayout: p.Payout != nil, EntitySubscription: p.Subscription != nil}
	if !held[p.Entity] {
		return nil, fmt.Errorf("event %s: payload of a %s without the %s", e.ID, p.Entity, p.Entity)
	}
	return &p, nil
}

// EventSource is implemented by a resource type that records events but is
// not one of the types the core knows by name (Payment, Refund): it tells
// the event which entity changed, its id, and whose it is. A resource with
// no application (a client-wide one) returns appID 0.
type EventSource interface {
	EventRef() (entity string, id int64, clientID string, appID int64)
}

// Webhook entities: what an endpoint may subscribe to.
const (
	EntityPayment      = "payment"
	EntityRefund       = "refund"
	EntityPayout       = "payout"
	EntitySubscription = "subscription"
)

// WebhookEntities are the entities an endpoint may subscribe to.
var WebhookEntities = []string{EntityPayment, EntityRefund, EntityPayout, EntitySubscription}

// Webhook formats: the wire shape of the bodies an endpoint receives. An
// event is stored once, as a neutral payload, and each endpoint's format
// renders it when a delivery is made, so what a receiver gets depends on
// the endpoint alone, never on which faces the gateway serves.
//
// FormatPayREST is PayREST's resources (payments, refunds, subscriptions as
// its API shows them; payouts as Kashpay's order, which is what PayREST
// receivers have always been sent). FormatGestpay is Gestpay's
// server-to-server notification of a payment's outcome: a bare GET with the
// shop login and a result string in the query; the core keeps an endpoint of
// this format for an application's PageSettings.NotifyURL. FormatXpay is
// xpay's transaction callback: a POST of the transaction as its API shows
// it, sent to the URL each deposit names (Payment.NotifyURL).
const (
	FormatPayREST = "payrest"
	FormatGestpay = "gestpay"
	FormatXpay    = "xpay"
)

// WebhookFormats are the formats an endpoint may be created with.
var WebhookFormats = []string{FormatPayREST, FormatGestpay, FormatXpay}

// Webhook is an application's endpoint: where events of one entity are sent.
type Webhook struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	Method        string   // POST (default), PUT or PATCH: the event travels in the body
	Targets       []string // http(s) URLs; every one gets every event
	Entity        string   // one of WebhookEntities
	// Format is the wire shape of the bodies sent (one of WebhookFormats):
	// the face that created the endpoint chooses it.
	Format string
	// Events filters by event type ("payment.completed"); empty means all
	// events of the entity.
	Events []string
	// Secret signs the Standard Webhooks header ("whsec_" + base64). It is
	// shown once, when the endpoint is created, and kept sealed at rest.
	Secret string
	// Disabled is set when a target answered 410 Gone: no further event is
	// queued for the endpoint.
	Disabled bool
	// PerPayment marks the endpoint the core keeps for payments that name
	// their own notification URL (Payment.NotifyURL): it has no targets;
	// each payment's events go to that payment's URL, in its Format.
	PerPayment bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Wants reports whether the endpoint takes an event of type typ.
func (w *Webhook) Wants(typ string) bool {
	if w.Disabled {
		return false
	}
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// DeliveryStatus is the state of one event's delivery to one target.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its next attempt
	DeliveryDelivered DeliveryStatus = "delivered" // a target answered 2xx
	DeliveryDead      DeliveryStatus = "dead"      // retries exhausted, or the endpoint was disabled
)

// Delivery is one event on its way to one target of a webhook.
type Delivery struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	WebhookID     int64
	EventID       string
	EventType     string
	Target        string
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int    // HTTP status of the last attempt (0: no answer)
	LastError     string // why the last attempt failed
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DeliveredAt   *time.Time
	// Log is the delivery's attempts, oldest first, when asked for.
	Log []DeliveryAttempt
}

// DeliveryAttempt is one try of a delivery, as the log shows it.
type DeliveryAttempt struct {
	ID         int64
	DeliveryID int64
	Attempt    int
	Status     int // HTTP status; 0 when no answer came
	Error      string
	Latency    time.Duration
	Response   string // the first bytes of the answer, for the merchant to debug
	CreatedAt  time.Time
}

// Versions of the neutral payload.
const (
	// EventVersionLegacy marks an event recorded before payloads were
	// neutral: its Data is the PayREST body rendered then, and it is
	// delivered to PayREST-format endpoints byte for byte as stored, so
	// that receivers' signature checks keep passing.
	EventVersionLegacy = 0
	// EventVersion is the version of the payload this gateway writes. A
	// change that removes or renames a field, or changes what one means,
	// takes a new version; adding a field does not.
	EventVersion = 1
)

// EventPayload is the neutral payload of an event: a snapshot of the
// resource that changed, in the gateway's own vocabulary, with its own
// stable schema. The snapshots are dedicated types, not the domain
// structs marshalled by default, so that a field added to Payment for the
// core's sake never changes what events carry, and every name here is
// chosen once (as Formance Ledger's pkg/events and WTF Dial's event.go
// keep their events). Exactly one of the resource fields is set, the one
// Entity names.
type EventPayload struct {
	Version      int                   `json:"version"`
	Entity       string                `json:"entity"`
	Payment      *PaymentSnapshot      `json:"payment,omitempty"`
	Refund       *RefundSnapshot       `json:"refund,omitempty"`
	Payout       *PayoutSnapshot       `json:"payout,omitempty"`
	Subscription *SubscriptionSnapshot `json:"subscription,omitempty"`
}

// NewEventPayload returns the payload of an event about resource: a
// *Payment, *Refund, *Payout or *Subscription.
func NewEventPayload(resource any) (*EventPayload, error) {
	p := &EventPayload{Version: EventVersion}
	switch r := resource.(type) {
	case *Payment:
		p.Entity, p.Payment = EntityPayment, r.Snapshot()
	case *Refund:
		p.Entity, p.Refund = EntityRefund, r.Snapshot()
	case *Payout:
		p.Entity, p.Payout = EntityPayout, r.Snapshot()
	case *Subscription:
		p.Entity, p.Subscription = EntitySubscription, r.Snapshot()
	default:
		return nil, fmt.Errorf("events: no payload for a %T", resource)
	}
	return p, nil
}

// CardSnapshot is a card as events show it: never its processor token.
type CardSnapshot struct {
	Last4    string `json:"last4"`
	Brand    string `json:"brand"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
}

// Snapshot returns the card as events show it; nil for no card.
func (c *Card) Snapshot() *CardSnapshot {
	if c == nil {
		return nil
	}
	return &CardSnapshot{Last4: c.Last4, Brand: c.Brand, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
}

// LineItemSnapshot is one line of an order's breakdown.
type LineItemSnapshot struct {
	Description string `json:"description"`
	Amount      int64  `json:"amount"` // minor units
}

// OrderSnapshot is the breakdown of a payment made as an order (SekurePay).
type OrderSnapshot struct {
	Reference string             `json:"reference"` // the merchant's order id
	Items     []LineItemSnapshot `json:"items"`
	Taxes     []LineItemSnapshot `json:"taxes"`
	Shipping  int64              `json:"shipping"` // minor units
}

func snapshotLines(in []LineItem) []LineItemSnapshot {
	out := make([]LineItemSnapshot, len(in))
	for i, l := range in {
		out[i] = LineItemSnapshot{Description: l.Description, Amount: l.Amount}
	}
	return out
}

// PaymentSnapshot is a payment in an event. Amounts are minor units of
// Currency. CheckoutToken names the payment's hosted page, whose link a
// format may show (the link's host is the gateway's public URL, which is a
// matter of the deployment, not of the event).
type PaymentSnapshot struct {
	ID             int64             `json:"id"`
	ApplicationID  int64             `json:"application_id"`
	TransactionID  string            `json:"transaction_id"`
	Status         PaymentStatus     `json:"status"`
	Type           PaymentType       `json:"type"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Captured       int64             `json:"captured"`
	Refunded       int64             `json:"refunded"`
	Description    string            `json:"description"`
	CustomerID     string            `json:"customer_id"`
	CustomerEmail  string            `json:"customer_email"`
	MerchantRef    string            `json:"merchant_ref"`
	Language       string            `json:"language"`
	Flags          []string          `json:"flags"`
	AskForDetails  bool              `json:"ask_for_details"`
	GatewayConfigs []int64           `json:"gateway_configs"`
	GatewayConfig  int64             `json:"gateway_config"`
	Capture        string            `json:"capture"`
	CheckoutToken  string            `json:"checkout_token"`
	Card           *CardSnapshot     `json:"card"`
	FailureCode    string            `json:"failure_code"`
	FailureMessage string            `json:"failure_message"`
	ParentID       int64             `json:"parent_id"`
	ReturnURL      string            `json:"return_url"`
	CancelURL      string            `json:"cancel_url"`
	Metadata       map[string]string `json:"metadata"`
	ExpiresAt      *time.Time        `json:"expires_at"`
	CompletedAt    *time.Time        `json:"completed_at"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
	// Order is set only for a payment made as an order.
	Order *OrderSnapshot `json:"order,omitempty"`
	// Deposit is set only for a crypto deposit: its crypto side as it was.
	Deposit *Deposit `json:"deposit,omitempty"`
	// NotifyURL is the payment's own notification URL, if it names one.
	NotifyURL string `json:"notify_url,omitempty"`
}

// Snapshot returns the payment as events show it.
func (p *Payment) Snapshot() *PaymentSnapshot {
	s := &PaymentSnapshot{ID: p.ID, ApplicationID: p.ApplicationID, TransactionID: p.TransactionID, Status: p.Status,
		Type: p.Type, Amount: p.Amount, Currency: p.Currency, Captured: p.Captured, Refunded: p.Refunded,
		Description: p.Description, CustomerID: p.CustomerID, CustomerEmail: p.CustomerEmail, MerchantRef: p.MerchantRef,
		Language: p.Language, Flags: p.Flags, AskForDetails: p.AskForDetails, GatewayConfigs: p.GatewayConfigs,
		GatewayConfig: p.GatewayConfig, Capture: p.Capture, CheckoutToken: p.CheckoutToken, Card: p.Card.Snapshot(),
		FailureCode: p.FailureCode, FailureMessage: p.FailureMessage, ParentID: p.ParentID, ReturnURL: p.ReturnURL,
		CancelURL: p.CancelURL, Metadata: p.Metadata, ExpiresAt: p.ExpiresAt, CompletedAt: p.CompletedAt,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Deposit: p.Deposit, NotifyURL: p.NotifyURL}
	// An order is told by its fingerprint, not by its lines: an order may
	// have no taxes and no shipping.
	if p.OrderFingerprint != "" {
		s.Order = &OrderSnapshot{Reference: p.MerchantRef, Items: snapshotLines(p.Items), Taxes: snapshotLines(p.Taxes),
			Shipping: p.Shipping}
	}
	return s
}

// RefundSnapshot is a refund in an event.
type RefundSnapshot struct {
	ID             int64        `json:"id"`
	ApplicationID  int64        `json:"application_id"`
	PaymentID      int64        `json:"payment_id"`
	Amount         int64        `json:"amount"`
	Currency       string       `json:"currency"`
	Reason         string       `json:"reason"`
	Status         RefundStatus `json:"status"`
	FailureMessage string       `json:"failure_message"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
}

// Snapshot returns the refund as events show it.
func (r *Refund) Snapshot() *RefundSnapshot {
	return &RefundSnapshot{ID: r.ID, ApplicationID: r.ApplicationID, PaymentID: r.PaymentID, Amount: r.Amount,
		Currency: r.Currency, Reason: r.Reason, Status: r.Status, FailureMessage: r.FailureMessage,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// PayoutSnapshot is a payout (money out by SPEI) in an event. The
// beneficiary's contact details (e-mail, RFC, address) stay out: no
// format shows them, and an event is copied to the merchant's receivers.
type PayoutSnapshot struct {
	ID                    int64        `json:"id"`
	Reference             string       `json:"reference"`
	Amount                int64        `json:"amount"`
	Currency              string       `json:"currency"`
	TransactionType       int          `json:"transaction_type"`
	BeneficiaryName       string       `json:"beneficiary_name"`
	BeneficiaryAccount    string       `json:"beneficiary_account"`
	BankCode              string       `json:"bank_code"`
	Concept               string       `json:"concept"`
	Description           string       `json:"description"`
	NumericReference      string       `json:"numeric_reference"`
	AlphanumericReference string       `json:"alphanumeric_reference"`
	Status                PayoutStatus `json:"status"`
	InitialBalance        int64        `json:"initial_balance"`
	FinalBalance          int64        `json:"final_balance"`
	Rail                  string       `json:"rail"`
	RailRef               string       `json:"rail_ref"`
	FailureCode           string       `json:"failure_code"`
	FailureMessage        string       `json:"failure_message"`
	CreatedAt             time.Time    `json:"created_at"`
	UpdatedAt             time.Time    `json:"updated_at"`
}

// Snapshot returns the payout as events show it.
func (p *Payout) Snapshot() *PayoutSnapshot {
	return &PayoutSnapshot{ID: p.ID, Reference: p.Reference, Amount: p.Amount, Currency: p.Currency,
		TransactionType: p.TransactionType, BeneficiaryName: p.BeneficiaryName, BeneficiaryAccount: p.BeneficiaryAccount,
		BankCode: p.BankCode, Concept: p.Concept, Description: p.Description, NumericReference: p.NumericReference,
		AlphanumericReference: p.AlphanumericReference, Status: p.Status, InitialBalance: p.InitialBalance,
		FinalBalance: p.FinalBalance, Rail: p.Rail, RailRef: p.RailRef, FailureCode: p.FailureCode,
		FailureMessage: p.FailureMessage, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// SubscriptionSnapshot is a subscription in an event. Cycles is 0 when it
// runs until EndDate or until cancelled.
type SubscriptionSnapshot struct {
	ID             int64              `json:"id"`
	ApplicationID  int64              `json:"application_id"`
	Status         SubscriptionStatus `json:"status"`
	Amount         int64              `json:"amount"`
	Currency       string             `json:"currency"`
	Description    string             `json:"description"`
	CustomerID     string             `json:"customer_id"`
	CustomerEmail  string             `json:"customer_email"`
	Interval       Interval           `json:"interval"`
	IntervalCount  int                `json:"interval_count"`
	StartDate      time.Time          `json:"start_date"`
	Cycles         int                `json:"cycles"`
	EndDate        *time.Time         `json:"end_date"`
	GatewayConfigs []int64            `json:"gateway_configs"`
	GatewayConfig  int64              `json:"gateway_config"`
	Card           *CardSnapshot      `json:"card"`
	CyclesPaid     int                `json:"cycles_paid"`
	NextCycle      int                `json:"next_cycle"`
	NextChargeAt   *time.Time         `json:"next_charge_at"`
	ConfirmedAt    *time.Time         `json:"confirmed_at"`
	CanceledAt     *time.Time         `json:"canceled_at"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// Snapshot returns the subscription as events show it.
func (s *Subscription) Snapshot() *SubscriptionSnapshot {
	return &SubscriptionSnapshot{ID: s.ID, ApplicationID: s.ApplicationID, Status: s.Status, Amount: s.Amount,
		Currency: s.Currency, Description: s.Description, CustomerID: s.CustomerID, CustomerEmail: s.CustomerEmail,
		Interval: s.Interval, IntervalCount: s.IntervalCount, StartDate: s.StartDate, Cycles: s.Cycles,
		EndDate: s.EndDate, GatewayConfigs: s.GatewayConfigs, GatewayConfig: s.GatewayConfig, Card: s.Card.Snapshot(),
		CyclesPaid: s.CyclesPaid, NextCycle: s.NextCycle, NextChargeAt: s.NextChargeAt, ConfirmedAt: s.ConfirmedAt,
		CanceledAt: s.CanceledAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}
