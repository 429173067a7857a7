package core

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// eventHub wakes the delivery workers of this process when events commit.
// Its zero value is ready.
type eventHub struct {
	mu      sync.RWMutex
	waiters []chan struct{}

	// recorded holds the transactions (*store.Tx) that recorded events and
	// have not ended: the store wrapper wakes the workers after the commit
	// of exactly those. (A shared counter would let another transaction's
	// commit take the wake-up before this one's rows are visible.)
	recorded sync.Map
}

// EventsCommitted returns a channel that receives a value (coalesced, never
// blocking the sender) after a transaction that recorded events commits in
// this process. Delivery workers wait on it between polls.
func (s *Service) EventsCommitted() <-chan struct{} {
	h := &s.events
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan struct{}, 1)
	h.waiters = append(h.waiters, c)
	return c
}

func (h *eventHub) wake() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range h.waiters {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// notifyDB wraps the store so that a commit that recorded events wakes the
// delivery workers at once instead of at their next poll. A rolled-back
// transaction may wake them for nothing, which costs one empty claim.
type notifyDB struct {
	store.DB
	hub *eventHub
}

func (d notifyDB) Update(ctx context.Context, fn func(*store.Tx) error) error {
	var recorded atomic.Bool
	err := d.DB.Update(ctx, func(tx *store.Tx) error {
		err := fn(tx)
		if _, ok := d.hub.recorded.LoadAndDelete(tx); ok && err == nil {
			recorded.Store(true)
		}
		return err
	})
	if err == nil && recorded.Load() {
		d.hub.wake()
	}
	return err
}

// eventRef names the entity, id and owner of a resource an event is about.
func eventRef(resource any) (entity string, id int64, clientID string, appID int64, err error) {
	switch r := resource.(type) {
	case pasarela.EventSource:
		entity, id, clientID, appID = r.EventRef()
	case *pasarela.Payment:
		entity, id, clientID, appID = pasarela.EntityPayment, r.ID, r.ClientID, r.ApplicationID
	case *pasarela.Refund:
		entity, id, clientID, appID = pasarela.EntityRefund, r.ID, r.ClientID, r.ApplicationID
	default:
		return "", 0, "", 0, fmt.Errorf("events: %T is not a resource events know (implement pasarela.EventSource)", resource)
	}
	if clientID == "" || id == 0 {
		return "", 0, "", 0, fmt.Errorf("events: %s without client or id", entity)
	}
	return entity, id, clientID, appID, nil
}

// newEventID returns a public, unguessable event id.
func newEventID() string { return "evt_" + randomString(26) }

// recordEvent records, inside tx (the transaction of the change: an outbox),
// that resource changed. resource is *pasarela.Payment, *pasarela.Refund,
// *pasarela.Payout or *pasarela.Subscription; the event holds its neutral
// payload (pasarela.EventPayload), which no face renders here: each
// webhook's format renders it when a delivery is made, outside any
// transaction (see Renderers). Every target of the enabled webhooks
// subscribed to the entity and the event type gets a pending delivery, due
// at once, in the same transaction: the change and its deliveries commit
// together or not at all. An event with no application (ApplicationID 0)
// goes to every application of the client.
func (s *Service) recordEvent(ctx context.Context, tx *store.Tx, typ string, resource any) error {
	entity, id, clientID, appID, err := eventRef(resource)
	if err != nil {
		return pasarela.Internal(err)
	}
	pay, _ := resource.(*pasarela.Payment)
	if pay != nil && pay.Type == pasarela.PaymentDeposit && pay.Deposit == nil {
		// A deposit's events show its crypto side, whoever changed the
		// payment (the sweeper that expires it reads the payment alone).
		if pay.Deposit, err = tx.GetDeposit(ctx, pay.ClientID, pay.ID); err != nil {
			return err
		}
		withURI(pay.Deposit)
	}
	payload, err := pasarela.NewEventPayload(resource)
	if err != nil {
		return pasarela.Internal(err)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return pasarela.Internal(fmt.Errorf("events: %s payload: %w", entity, err))
	}
	now := s.now()
	e := &pasarela.Event{ID: newEventID(), ClientID: clientID, ApplicationID: appID, Type: typ, Entity: entity,
		EntityID: id, Version: payload.Version, Data: data, CreatedAt: now}
	if err := tx.CreateEvent(ctx, e); err != nil {
		return err
	}
	hooks, err := tx.SubscribedWebhooks(ctx, clientID, appID, entity)
	if err != nil {
		return err
	}
	for i := range hooks {
		w := &hooks[i]
		if !w.Wants(typ) {
			continue
		}
		for _, target := range w.Targets {
			d := &pasarela.Delivery{ClientID: clientID, ApplicationID: w.ApplicationID, WebhookID: w.ID, EventID: e.ID,
				EventType: typ, Target: target, Status: pasarela.DeliveryPending, NextAttemptAt: now,
				CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateDelivery(ctx, d); err != nil {
				return err
			}
		}
	}
	if pay != nil && pay.NotifyURL != "" {
		if err := s.notifyPayment(ctx, tx, pay, e); err != nil {
			return err
		}
	}
	s.events.recorded.Store(tx, struct{}{})
	return nil
}

// notifyPayment queues the delivery of a payment's event to the URL the
// payment names, through the application's per-payment webhook of the
// payment's format, created the first time one is needed. It is a webhook
// like any other: signed, retried, logged and redeliverable.
func (s *Service) notifyPayment(ctx context.Context, tx *store.Tx, pay *pasarela.Payment, e *pasarela.Event) error {
	w, err := tx.PerPaymentWebhook(ctx, pay.ClientID, pay.ApplicationID, pay.NotifyFormat)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		w = s.newWebhook(pay.ClientID, pay.ApplicationID, WebhookInput{Method: "POST", Entity: pasarela.EntityPayment,
			Format: pay.NotifyFormat}, e.CreatedAt)
		w.PerPayment = true
		err = tx.CreateWebhook(ctx, w)
	}
	if err != nil || w.Disabled {
		return err
	}
	return tx.CreateDelivery(ctx, &pasarela.Delivery{ClientID: pay.ClientID, ApplicationID: pay.ApplicationID,
		WebhookID: w.ID, EventID: e.ID, EventType: e.Type, Target: pay.NotifyURL, Status: pasarela.DeliveryPending,
		NextAttemptAt: e.CreatedAt, CreatedAt: e.CreatedAt, UpdatedAt: e.CreatedAt})
}

// Events returns the caller's events about one resource of an application,
// oldest first, each with its neutral payload: Renderers.Render shows what
// a webhook of a given format was (or would have been) sent.
func (s *Service) Events(ctx context.Context, appID int64, entity string, id int64) ([]pasarela.Event, error) {
	var out []pasarela.Event
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		all, err := tx.ListEvents(ctx, p.ClientID, store.EventFilter{Entity: entity, EntityID: id}, 1000)
		if err != nil {
			return err
		}
		out = all[:0]
		for _, e := range all {
			if e.ApplicationID == appID || e.ApplicationID == 0 {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// RenderFunc writes what one webhook format sends for an event's neutral
// payload to application to. The faces export them (payrest.RenderPayment,
// kashpay.RenderPayout, …); they read nothing but the payload and the
// recipient, so they may run anywhere, and they run outside every
// transaction.
type RenderFunc func(p *pasarela.EventPayload, to Recipient) (Rendered, error)

// Recipient is the application an event is delivered for, as a format may
// name it: Gestpay's notification names the shop by its login.
type Recipient struct {
	ApplicationID int64
	ShopLogin     string
}

// Rendered is what a delivery sends: for most formats a body, signed with
// the gateway's headers, to the webhook's target by its method; for a
// format that travels in the URL, a bare request with its query.
type Rendered struct {
	Body []byte
	// Method is the format's own method, when it has one ("" for the
	// webhook's).
	Method string
	// RawQuery is added to the target's query, escaped as it is.
	RawQuery string
	// Bare sends no header of the gateway's (see webhook.Request.Bare):
	// the format carries its own proof.
	Bare bool
}

// Renderers are the webhook formats a gateway can send: for each format
// (one of pasarela.WebhookFormats), the function that renders the events of each
// entity. They are built in one place (server.Renderers) and handed to the
// delivery worker, so what a webhook sends depends on its endpoint's format
// alone, not on which faces the gateway serves.
type Renderers map[string]map[string]RenderFunc

// Render returns event e in format for application to. A legacy event,
// recorded before payloads were neutral, holds the body rendered then, and
// is sent as it is: the very body its first attempts were signed over. Its
// deliveries were all made when it was recorded, for the endpoints of that
// time, which the migration gave the format of that body. A format or
// entity without a renderer is an error, which a delivery records as a
// failed attempt the merchant sees in its log.
func (r Renderers) Render(format string, e *pasarela.Event, to Recipient) (Rendered, error) {
	if e.Version == pasarela.EventVersionLegacy {
		return Rendered{Body: e.Data}, nil
	}
	fn := r[format][e.Entity]
	if fn == nil {
		return Rendered{}, fmt.Errorf("this gateway has no renderer of %s events in the %q webhook format", e.Entity, format)
	}
	p, err := e.Payload()
	if err != nil {
		return Rendered{}, err
	}
	out, err := fn(p, to)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering event %s as %s: %w", e.ID, format, err)
	}
	return out, nil
}

// WithQuery adds a raw query to a URL that may have one already (a shop's
// "/?wc-api=…" notification URL), before its fragment if it has one.
func WithQuery(target, rawQuery string) string {
	if i := strings.IndexByte(target, '#'); i >= 0 {
		return WithQuery(target[:i], rawQuery) + target[i:]
	}
	switch {
	case rawQuery == "":
		return target
	case !strings.Contains(target, "?"):
		return target + "?" + rawQuery
	case strings.HasSuffix(target, "?") || strings.HasSuffix(target, "&"):
		return target + rawQuery
	}
	return target + "&" + rawQuery
}
