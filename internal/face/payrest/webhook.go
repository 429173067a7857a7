package payrest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// webhookForm is PayREST's StatusEventType, with our optional event filter.
type webhookForm struct {
	Method       string   `json:"method"`
	Targets      []string `json:"targets"`
	TargetEntity string   `json:"targetEntity"`
	Events       []string `json:"events"`
}

// webhookJSON is PayREST's Webhook. Secret is present only in the answer
// that created it.
type webhookJSON struct {
	ID           int64     `json:"id"`
	Method       string    `json:"method"`
	Targets      []string  `json:"targets"`
	TargetEntity string    `json:"targetEntity"`
	Events       []string  `json:"events"`
	Disabled     bool      `json:"disabled"`
	Secret       string    `json:"secret,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Links        []link    `json:"links"`
}

func webhookView(wh *pasarela.Webhook) webhookJSON {
	self := "/application/" + strconv.FormatInt(wh.ApplicationID, 10) + "/webhook/" + strconv.FormatInt(wh.ID, 10)
	out := webhookJSON{ID: wh.ID, Method: wh.Method, Targets: wh.Targets, TargetEntity: wh.Entity, Events: wh.Events,
		Disabled: wh.Disabled, Secret: wh.Secret, CreatedAt: wh.CreatedAt, UpdatedAt: wh.UpdatedAt,
		Links: []link{{Rel: "self", Href: self}, {Rel: "deliveries", Href: self + "/deliveries"}}}
	if out.Targets == nil {
		out.Targets = []string{}
	}
	if out.Events == nil {
		out.Events = []string{}
	}
	return out
}

func (f *Face) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	opts, err := listOptions(r.URL.Query())
	if err != nil {
		return err
	}
	hooks, total, err := f.svc.ListWebhooks(r.Context(), appID, opts)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(hooks))
	for i := range hooks {
		out[i] = webhookView(&hooks[i])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) createWebhook(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	var form webhookForm
	body, err := readBody(r, "webhook", &form)
	if err != nil {
		return err
	}
	// The signing secret is shown once: the stored answer a retry replays
	// leaves it out.
	key, err := idem(r, body, func(v any) any {
		view := webhookView(v.(*pasarela.Webhook))
		view.Secret = ""
		return view
	}, http.StatusCreated)
	if err != nil {
		return err
	}
	wh, replay, err := f.svc.CreateWebhook(r.Context(), appID, core.WebhookInput{Method: form.Method, Targets: form.Targets,
		Entity: form.TargetEntity, Events: form.Events, Format: pasarela.FormatPayREST}, key)
	if err != nil {
		return err
	}
	if replay != nil {
		writeCreatedReplay(w, replay)
		return nil
	}
	view := webhookView(wh)
	w.Header().Set("Location", view.Links[0].Href)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (f *Face) getWebhook(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "webhook")
	if err != nil {
		return err
	}
	wh, err := f.svc.GetWebhook(r.Context(), appID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView(wh))
	return nil
}

func (f *Face) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "webhook")
	if err != nil {
		return err
	}
	if err := f.svc.DeleteWebhook(r.Context(), appID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// attemptJSON is one attempt in a delivery's log.
type attemptJSON struct {
	Attempt   int       `json:"attempt"`
	Status    int       `json:"status"`
	Error     string    `json:"error"`
	LatencyMs float64   `json:"latencyMs"`
	Response  string    `json:"response"`
	CreatedAt time.Time `json:"createdAt"`
}

// deliveryJSON is one event's delivery to one target, with its log.
type deliveryJSON struct {
	ID            int64         `json:"id"`
	WebhookID     int64         `json:"webhookId"`
	EventID       string        `json:"eventId"`
	EventType     string        `json:"eventType"`
	Target        string        `json:"target"`
	Status        string        `json:"status"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt *time.Time    `json:"nextAttemptAt"`
	LastStatus    int           `json:"lastStatus"`
	LastError     string        `json:"lastError"`
	CreatedAt     time.Time     `json:"createdAt"`
	UpdatedAt     time.Time     `json:"updatedAt"`
	DeliveredAt   *time.Time    `json:"deliveredAt"`
	Log           []attemptJSON `json:"log"`
}

func deliveryView(d *pasarela.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Target: d.Target,
		Status: string(d.Status), Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, DeliveredAt: d.DeliveredAt, Log: []attemptJSON{}}
	if d.Status == pasarela.DeliveryPending {
		t := d.NextAttemptAt
		out.NextAttemptAt = &t
	}
	for _, a := range d.Log {
		out.Log = append(out.Log, attemptJSON{Attempt: a.Attempt, Status: a.Status, Error: a.Error,
			LatencyMs: float64(a.Latency.Microseconds()) / 1000, Response: a.Response, CreatedAt: a.CreatedAt})
	}
	return out
}

func (f *Face) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "webhook")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts, err := listOptions(q)
	if err != nil {
		return err
	}
	ds, total, err := f.svc.ListDeliveries(r.Context(), appID, id, core.DeliveryFilter{Status: q.Get("status"),
		EventID: q.Get("eventId")}, opts)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(ds))
	for i := range ds {
		out[i] = deliveryView(&ds[i])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "webhook")
	if err != nil {
		return err
	}
	deliveryID, err := pathID(r, "deliveryId", "delivery")
	if err != nil {
		return err
	}
	d, err := f.svc.RetryDelivery(r.Context(), appID, id, deliveryID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, deliveryView(d))
	return nil
}
