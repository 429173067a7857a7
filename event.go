package pasarela

import (
	"encoding/json"
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
	// Data is the resource as the face shows it, rendered at the moment of
	// the change, so a delivery made days later still says what happened
	// then.
	Data      json.RawMessage
	CreatedAt time.Time
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

// Webhook is an application's endpoint: where events of one entity are sent.
type Webhook struct {
	ID            int64
	ClientID      string
	ApplicationID int64
	Method        string   // POST (default), PUT or PATCH: the event travels in the body
	Targets       []string // http(s) URLs; every one gets every event
	Entity        string   // one of WebhookEntities
	// Events filters by event type ("payment.completed"); empty means all
	// events of the entity.
	Events []string
	// Secret signs the Standard Webhooks header ("whsec_" + base64). It is
	// shown once, when the endpoint is created, and kept sealed at rest.
	Secret string
	// Disabled is set when a target answered 410 Gone: no further event is
	// queued for the endpoint.
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
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
