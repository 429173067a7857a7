package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/webhook"
)

// Limits of a webhook endpoint.
const (
	maxWebhookTargets = 10
	maxWebhookEvents  = 50
	// defaultWebhookMaxAge is how long a failing delivery is retried: at
	// least three days, so that a receiver down over a weekend still gets
	// its events.
	defaultWebhookMaxAge = 72 * time.Hour
	// Retry delays double from the base up to the cap, each drawn at random
	// between half and all of it (jitter), so that deliveries failing
	// together do not come back together.
	defaultBackoffBase = 10 * time.Second
	defaultBackoffCap  = 4 * time.Hour
	// responseSnippet bounds the answer kept in the delivery log.
	responseSnippet = 1024
)

// WebhookInput is a webhook endpoint as a face asks for it.
type WebhookInput struct {
	Method  string // default POST
	Targets []string
	Entity  string
	Events  []string // event types; empty for all of the entity
	// Format is the wire shape of the bodies, one of
	// pasarela.WebhookFormats. The face that creates the endpoint names its
	// own, so the endpoint gets bodies in that face's API; the core has no
	// default of its own.
	Format string
}

// refundEvents are the event types of refunds.
var refundEvents = []string{"created", "completed", "failed"}

// validateWebhook checks an endpoint. Only an endpoint the core keeps
// itself (managed: an application's notification URL) may be called by
// GET, which carries no body: its protocol puts what it says in the URL.
// One a merchant creates is sent the event in the body, so GET is refused.
func (s *Service) validateWebhook(in *WebhookInput, managed bool) error {
	var v pasarela.Validation
	in.Method = strings.ToUpper(strings.TrimSpace(in.Method))
	switch in.Method {
	case "":
		in.Method = "POST"
	case "POST", "PUT", "PATCH":
	case "GET":
		if !managed {
			v.Add("method", "enum", "must be POST, PUT or PATCH: the event travels in the request body")
		}
	default:
		v.Add("method", "enum", "must be POST, PUT or PATCH: the event travels in the request body")
	}
	if in.Format == "" {
		v.Add("format", "required", "is required: one of "+strings.Join(pasarela.WebhookFormats, ", "))
	} else if !contains(pasarela.WebhookFormats, in.Format) {
		v.Add("format", "enum", "must be one of "+strings.Join(pasarela.WebhookFormats, ", "))
	}
	if len(in.Targets) == 0 {
		v.Add("targets", "required", "is required: at least one URL")
	} else if len(in.Targets) > maxWebhookTargets {
		v.Add("targets", "too_many", "may have at most "+strconv.Itoa(maxWebhookTargets)+" URLs")
	}
	seen := map[string]bool{}
	for i, t := range in.Targets {
		field := "targets[" + strconv.Itoa(i) + "]"
		if err := webhook.CheckTarget(t, s.cfg.Webhooks.AllowPrivate); err != nil {
			v.Add(field, "url", err.Error())
		} else if seen[t] {
			v.Add(field, "duplicate", "is listed twice")
		}
		seen[t] = true
	}
	if in.Entity == "" {
		v.Add("entity", "required", "is required: one of "+strings.Join(pasarela.WebhookEntities, ", "))
	} else if !contains(pasarela.WebhookEntities, in.Entity) {
		v.Add("entity", "enum", "must be one of "+strings.Join(pasarela.WebhookEntities, ", "))
	}
	if len(in.Events) > maxWebhookEvents {
		v.Add("events", "too_many", "may have at most "+strconv.Itoa(maxWebhookEvents)+" event types")
	}
	for i, e := range in.Events {
		if msg := checkEventType(in.Entity, e); msg != "" {
			v.Add("events["+strconv.Itoa(i)+"]", "event_type", msg)
		}
	}
	return v.Err()
}

// checkEventType returns why typ cannot be an event type of entity, or "".
// Payment and refund types are known; the other entities' are checked for
// their shape ("<entity>.<what happened>").
func checkEventType(entity, typ string) string {
	what, ok := strings.CutPrefix(typ, entity+".")
	if !ok || what == "" || len(typ) > 64 || !utf8.ValidString(typ) {
		return "must be an event type of " + quoteField(entity) + " such as " + entity + ".completed"
	}
	for _, r := range what {
		if (r < 'a' || r > 'z') && r != '_' && r != '.' {
			return "must be lowercase letters and underscores after the entity"
		}
	}
	switch entity {
	case pasarela.EntityPayment:
		// payment.created is raised where an order creates a payment; every
		// other payment event is a status it moved to.
		if what != "created" && !pasarela.PaymentStatus(what).Valid() {
			return "unknown payment event; payment events are payment.created and payment.<status>"
		}
	case pasarela.EntityRefund:
		if !contains(refundEvents, what) {
			return "unknown refund event; refund events are refund." + strings.Join(refundEvents, ", refund.")
		}
	}
	return ""
}

// secretAAD binds a sealed webhook secret to its application.
func secretAAD(clientID string, appID int64) []byte {
	return []byte("webhook-secret:" + clientID + ":" + strconv.FormatInt(appID, 10))
}

// keyAAD binds a sealed API key to its application.
func keyAAD(clientID string, appID int64) []byte {
	return []byte("apikey:" + clientID + ":" + strconv.FormatInt(appID, 10))
}

// keepKey keeps an application's new API key sealed (AES-GCM with the
// gateway's secret key), inside the transaction that sets it. The key is
// otherwise stored only as a hash; PayREST's Hash header of a webhook is
// computed from the key itself, so a copy the gateway can open is what
// lets receivers written for PayREST keep verifying it.
func (s *Service) keepKey(ctx context.Context, tx *store.Tx, clientID string, appID int64, key string) error {
	return tx.PutSealedKey(ctx, clientID, appID, s.sealer.seal([]byte(key), keyAAD(clientID, appID)), s.now())
}

// webhookWriter lets through the application's key and the client's admins.
func (s *Service) webhookWriter(ctx context.Context, tx *store.Tx, appID int64) (*pasarela.Principal, error) {
	return applicationAccessTx(ctx, tx, appID, true, pasarela.RoleAdmin)
}

// CreateWebhook adds a webhook endpoint to an application. The answer holds
// the endpoint's signing secret, shown only this once: idem's Render must
// leave it out of the answer it stores, so a replay of the creation shows
// the endpoint without it (the secret is kept only sealed).
func (s *Service) CreateWebhook(ctx context.Context, appID int64, in WebhookInput, idem *Idem) (*pasarela.Webhook, *Replay, error) {
	p, err := s.applicationAccess(ctx, appID, true, pasarela.RoleAdmin)
	if err != nil {
		return nil, nil, err
	}
	v, replay, err := s.idempotent(ctx, p.ClientID, "webhook:"+strconv.FormatInt(appID, 10), idem, func(tx *store.Tx) (any, error) {
		w, err := s.createWebhook(ctx, tx, p, appID, in, false)
		if err != nil {
			return nil, err
		}
		return &w.Webhook, nil
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return v.(*pasarela.Webhook), nil, nil
}

// createWebhook stores an endpoint for p, whose access the caller checked;
// managed is validateWebhook's.
func (s *Service) createWebhook(ctx context.Context, tx *store.Tx, p *pasarela.Principal, appID int64, in WebhookInput, managed bool) (*store.WebhookRow, error) {
	if err := s.validateWebhook(&in, managed); err != nil {
		return nil, err
	}
	w := s.newWebhook(p.ClientID, appID, in, s.now())
	return w, tx.CreateWebhook(ctx, w)
}

// newWebhook is an endpoint's row with a new signing secret, sealed.
func (s *Service) newWebhook(clientID string, appID int64, in WebhookInput, now time.Time) *store.WebhookRow {
	secret := webhook.NewSecret()
	w := &store.WebhookRow{Webhook: pasarela.Webhook{ClientID: clientID, ApplicationID: appID, Method: in.Method,
		Targets: in.Targets, Entity: in.Entity, Format: in.Format, Events: in.Events, Secret: secret, CreatedAt: now, UpdatedAt: now},
		SealedSecret: s.sealer.seal([]byte(secret), secretAAD(clientID, appID))}
	if w.Targets == nil {
		w.Targets = []string{}
	}
	if w.Events == nil {
		w.Events = []string{}
	}
	return w
}

// ListWebhooks returns a page of an application's webhooks (without their
// secrets) and their total count.
func (s *Service) ListWebhooks(ctx context.Context, appID int64, opts pasarela.ListOptions) ([]pasarela.Webhook, int, error) {
	var out []pasarela.Webhook
	var total int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if err := checkList(&opts, store.WebhookSortFields); err != nil {
			return err
		}
		rows, n, err := tx.ListWebhooks(ctx, p.ClientID, appID, opts)
		if err != nil {
			return err
		}
		total, out = n, make([]pasarela.Webhook, len(rows))
		for i := range rows {
			out[i] = rows[i].Webhook
		}
		return nil
	})
	return out, total, err
}

// GetWebhook returns a webhook of an application, without its secret.
func (s *Service) GetWebhook(ctx context.Context, appID, id int64) (*pasarela.Webhook, error) {
	var w *store.WebhookRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		w, err = tx.GetWebhook(ctx, p.ClientID, appID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &w.Webhook, nil
}

// DeleteWebhook removes a webhook and its pending deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, appID, id int64) error {
	return s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.webhookWriter(ctx, tx, appID)
		if err != nil {
			return err
		}
		return tx.DeleteWebhook(ctx, p.ClientID, appID, id)
	})
}

// DeliveryFilter narrows a delivery list.
type DeliveryFilter = store.DeliveryFilter

var deliveryStatuses = []string{string(pasarela.DeliveryPending), string(pasarela.DeliveryDelivered), string(pasarela.DeliveryDead)}

// ListDeliveries returns a page of a webhook's deliveries with their attempt
// logs, and their total count.
func (s *Service) ListDeliveries(ctx context.Context, appID, webhookID int64, f DeliveryFilter, opts pasarela.ListOptions) ([]pasarela.Delivery, int, error) {
	var out []pasarela.Delivery
	var total int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if err := checkList(&opts, store.DeliverySortFields); err != nil {
			return err
		}
		var v pasarela.Validation
		if f.Status != "" && !contains(deliveryStatuses, f.Status) {
			v.Add("filter.status", "enum", "must be one of "+strings.Join(deliveryStatuses, ", "))
		}
		checkText(&v, "filter.event_id", &f.EventID, false, 64)
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.GetWebhook(ctx, p.ClientID, appID, webhookID); err != nil {
			return err
		}
		out, total, err = tx.ListDeliveries(ctx, p.ClientID, webhookID, f, opts)
		return err
	})
	return out, total, err
}

// RetryDelivery makes a delivery due now, whatever its status: the
// redeliver button. A delivery retried after its retry window failed once
// more ends dead again at its next failure.
func (s *Service) RetryDelivery(ctx context.Context, appID, webhookID, id int64) (*pasarela.Delivery, error) {
	var d *pasarela.Delivery
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		p, err := s.webhookWriter(ctx, tx, appID)
		if err != nil {
			return err
		}
		if _, err := tx.GetWebhook(ctx, p.ClientID, appID, webhookID); err != nil {
			return err
		}
		if err := tx.RetryDelivery(ctx, p.ClientID, webhookID, id, s.now()); err != nil {
			return err
		}
		d, err = tx.GetDelivery(ctx, p.ClientID, webhookID, id)
		return err
	})
	if err == nil {
		// Wake the workers now rather than at their next poll.
		s.events.wake()
	}
	return d, err
}

// DeliveryJob is a delivery a worker holds the lease of, ready to send.
type DeliveryJob struct {
	store.ClaimedDelivery
	// Request is what to send; it is signed for this attempt.
	Request webhook.Request
	// Err is set when the job cannot be sent (its body cannot be
	// rendered in the webhook's format, or its secret cannot be opened):
	// the worker records the failure without calling anyone.
	Err error
}

// ClaimDeliveries leases up to limit due deliveries to owner for lease,
// skipping those whose target is in busy, and returns them rendered by
// render in their webhook's format and signed for this attempt. owner must
// be unique to the caller and the claim (a worker makes one per claim). A
// worker that dies mid-send loses nothing: the delivery is due again when
// the lease ends. Rendering happens here, after the claim committed, so no
// format's code runs inside a transaction.
func (s *Service) ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration, busy []string, render Renderers) ([]*DeliveryJob, error) {
	now := s.now()
	var claimed []store.ClaimedDelivery
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, owner, now, now.Add(lease), limit, busy)
		return err
	})
	if err != nil {
		return nil, err
	}
	jobs := make([]*DeliveryJob, len(claimed))
	for i, c := range claimed {
		j := &DeliveryJob{ClaimedDelivery: c}
		jobs[i] = j
		out, err := render.Render(c.Format, &pasarela.Event{ID: c.EventID, ClientID: c.ClientID, ApplicationID: c.ApplicationID,
			Type: c.EventType, Entity: c.Entity, Sequence: c.EventSeq, Version: c.EventVersion, Data: c.EventData, CreatedAt: c.EventCreated},
			Recipient{ApplicationID: c.ApplicationID, ShopLogin: c.ShopLogin})
		if err != nil {
			s.log.ErrorContext(ctx, "a webhook body cannot be rendered; the attempt is recorded as failed",
				"delivery", c.ID, "webhook", c.WebhookID, "format", c.Format, "err", err)
			j.Err = err
			continue
		}
		method, body := c.Method, out.Body
		if out.Method != "" {
			method = out.Method
		}
		if out.Bare {
			j.Request = webhook.Request{Method: method, URL: WithQuery(c.Target, out.RawQuery), Bare: true}
			continue
		}
		secret, err := s.sealer.open(c.SealedSecret, secretAAD(c.ClientID, c.ApplicationID))
		if err != nil {
			j.Err = errors.New("the webhook's signing secret cannot be read: the gateway's secret key changed since it was created")
			continue
		}
		var apiKey string
		if c.SealedKey != nil {
			if k, err := s.sealer.open(c.SealedKey, keyAAD(c.ClientID, c.ApplicationID)); err == nil {
				apiKey = string(k)
			} else {
				s.log.WarnContext(ctx, "an application's API key cannot be read: its webhooks go without the Hash header until the key is recreated",
					"application", c.ApplicationID)
			}
		}
		h, err := webhook.Headers(string(secret), apiKey, c.EventID, now, body)
		if err != nil {
			j.Err = err
			continue
		}
		for k, v := range eventHeaders(c.EventType, c.EventSeq, c.EventCreated) {
			h[k] = v
		}
		j.Request = webhook.Request{Method: method, URL: WithQuery(c.Target, out.RawQuery), Headers: h, Body: body}
	}
	return jobs, nil
}

// eventHeaders are the headers a delivery carries about its event beside
// the signature headers.
func eventHeaders(eventType string, seq int64, created time.Time) map[string]string {
	return map[string]string{
		// The type is not in the body (PayREST sends the resource alone),
		// so it travels beside the signature headers.
		webhook.HeaderEventType: eventType,
		// Where the event stands among its resource's and when it
		// happened: the same on every retry, unlike the attempt's time.
		webhook.HeaderEventSequence: strconv.FormatInt(seq, 10),
		webhook.HeaderEventTime:     created.UTC().Format("2006-01-02T15:04:05.000000Z07:00"),
	}
}

// DeliveryRequest is what a delivery sends its receiver, as the delivery
// log shows it beside the answers: the request line, the names of the
// gateway's headers (never their values, which are signed with the
// webhook's secret) and the body, truncated like the response snippet.
type DeliveryRequest struct {
	Method    string
	URL       string
	Headers   []string
	Body      string
	Truncated bool
	// Error says why the request cannot be shown: the event cannot be
	// rendered in the webhook's format, so each attempt failed too.
	Error string
}

// DeliveryRequests returns what each of dels, deliveries of one webhook of
// the application, sends, by delivery id. The body is rendered from the
// delivery's event by render, exactly as ClaimDeliveries renders it for the
// deliverer: an event's payload is fixed when it is recorded and the
// formats read nothing else, so it is the body every attempt carried. The
// signature headers' values differ per attempt and are never shown.
func (s *Service) DeliveryRequests(ctx context.Context, appID, webhookID int64, dels []pasarela.Delivery, render Renderers) (map[int64]DeliveryRequest, error) {
	var (
		wh     *store.WebhookRow
		app    *pasarela.Application
		hasKey bool
		events = map[string]*pasarela.Event{}
	)
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if wh, err = tx.GetWebhook(ctx, p.ClientID, appID, webhookID); err != nil {
			return err
		}
		if app, err = tx.GetApplication(ctx, p.ClientID, appID); err != nil {
			return err
		}
		if hasKey, err = tx.HasSealedKey(ctx, p.ClientID, appID); err != nil {
			return err
		}
		for _, d := range dels {
			if d.WebhookID != webhookID || events[d.EventID] != nil {
				continue
			}
			e, err := tx.GetEvent(ctx, p.ClientID, d.EventID)
			if err != nil {
				return err
			}
			events[d.EventID] = e
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]DeliveryRequest, len(dels))
	for _, d := range dels {
		e := events[d.EventID]
		if e == nil {
			continue
		}
		req := DeliveryRequest{Method: wh.Method, URL: d.Target}
		r, err := render.Render(wh.Format, e, Recipient{ApplicationID: appID, ShopLogin: app.ShopLogin})
		if err != nil {
			req.Error = err.Error()
			out[d.ID] = req
			continue
		}
		if r.Method != "" {
			req.Method = r.Method
		}
		req.URL = WithQuery(d.Target, r.RawQuery)
		if !r.Bare {
			req.Headers = webhook.SignatureHeaders(hasKey)
			for k := range eventHeaders(e.Type, e.Sequence, e.CreatedAt) {
				req.Headers = append(req.Headers, k)
			}
			slices.Sort(req.Headers[len(req.Headers)-3:])
		}
		req.Body = truncateUTF8(string(r.Body), responseSnippet)
		req.Truncated = len(req.Body) < len(r.Body)
		out[d.ID] = req
	}
	return out, nil
}

// backoff is the delay before the retry that follows the attempt-th
// failure: doubling from the base up to the cap, jittered to half or more.
func (s *Service) backoff(attempt int) time.Duration {
	base, limit := s.cfg.Webhooks.BackoffBase, s.cfg.Webhooks.BackoffCap
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// FinishDelivery records what an attempt came to, in the delivery and its
// log: a 2xx delivers it; a 410 Gone disables the webhook and ends its
// pending deliveries; any other answer, a redirect, a timeout or no answer
// schedules a retry with backoff, until the delivery is older than the
// retry window (three days by default), when it ends dead. An attempt
// whose lease was lost meanwhile is logged but changes nothing.
func (s *Service) FinishDelivery(ctx context.Context, j *DeliveryJob, res webhook.Result) error {
	now := s.now()
	if j.Err != nil {
		res = webhook.Result{Err: j.Err}
	}
	at := &pasarela.DeliveryAttempt{DeliveryID: j.ID, Attempt: j.Attempts, Status: res.Status, Latency: res.Latency,
		Response: truncateUTF8(res.Response, responseSnippet), CreatedAt: now}
	if res.Err != nil {
		at.Error = truncateUTF8(res.Err.Error(), 500)
	} else if !res.OK() {
		at.Error = "the receiver answered " + strconv.Itoa(res.Status)
	}
	o := store.DeliveryOutcome{HTTPStatus: res.Status, Error: at.Error}
	gone := false
	switch {
	case res.OK():
		o.Status, o.NextAttemptAt, o.DeliveredAt = pasarela.DeliveryDelivered, now, &now
	case res.Err == nil && res.Status == 410 && j.PerPayment:
		// One payment's URL is gone: the payments of others still have
		// theirs, so the endpoint they share stays.
		o.Status, o.NextAttemptAt = pasarela.DeliveryDead, now
		o.Error = "the receiver answered 410 Gone"
	case res.Err == nil && res.Status == 410:
		o.Status, o.NextAttemptAt, gone = pasarela.DeliveryDead, now, true
		o.Error = "the receiver answered 410 Gone: the webhook was disabled"
	case now.Sub(j.CreatedAt) >= s.cfg.Webhooks.MaxAge:
		o.Status, o.NextAttemptAt = pasarela.DeliveryDead, now
	default:
		o.Status, o.NextAttemptAt = pasarela.DeliveryPending, now.Add(s.backoff(j.Attempts))
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		held, err := tx.FinishDelivery(ctx, &j.ClaimedDelivery, o, now)
		if err != nil {
			return err
		}
		if err := tx.AddDeliveryAttempt(ctx, j.ClientID, at); err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err // not found: the webhook was deleted meanwhile
		}
		if gone && held {
			s.log.InfoContext(ctx, "a webhook target answered 410 Gone; the webhook is disabled", "webhook", j.WebhookID)
			err := tx.DisableWebhook(ctx, j.ClientID, j.WebhookID, o.Error, now)
			if pasarela.ErrorKind(err) == pasarela.KindNotFound {
				return nil
			}
			return err
		}
		return nil
	})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
