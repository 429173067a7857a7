package dashboard

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The Developers section (admins): the client's applications, each with
// its API key (recreated, the new key shown on that one answer and never
// again), its webhooks with their delivery log, its gateway configs (a form
// built from the catalog's option schema) and its shop settings (the page
// and access settings Gestpay's protocols read). Every action is the core
// call the PayREST API makes, under the same rules.

type developersData struct {
	Apps []pasarela.Application
}

// developers serves GET /dashboard/developers.
func (d *Dashboard) developers(w http.ResponseWriter, r *http.Request, q *Request) error {
	apps, _, err := d.svc.ListApplications(q.Ctx, "", pasarela.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "developers", developersData{Apps: apps})
	return nil
}

// applicationData is an application's page.
type applicationData struct {
	App      *pasarela.Application
	Webhooks []pasarela.Webhook
	Configs  []pasarela.GatewayConfig
	Gateways []pasarela.Gateway
	// NewKey is the key just made by a recreation, and NewSecret the
	// signing secret of a webhook just created: each is on this one
	// answer only.
	NewKey, NewSecret string
	Done, Error       string
	// Form keeps what was typed when a form is refused.
	Form     webhookForm
	Settings settingsForm
	Key      string // idempotency key of the webhook form
	KeyForm  string // idempotency key of the recreate-key form
	Entities []string
	Formats  []string
	Methods  []string
}

type webhookForm struct {
	Target, Entity, Events, Format, Method string
}

type settingsForm struct {
	SuccessURL, FailureURL, NotifyURL, Language, AllowedIPs string
	RequireKey                                              bool
}

func settingsOf(a *pasarela.Application) settingsForm {
	ips := make([]string, len(a.Access.AllowedIPs))
	for i, p := range a.Access.AllowedIPs {
		if p.IsSingleIP() {
			ips[i] = p.Addr().String()
		} else {
			ips[i] = p.String()
		}
	}
	return settingsForm{SuccessURL: a.Pages.SuccessURL, FailureURL: a.Pages.FailureURL, NotifyURL: a.Pages.NotifyURL,
		Language: a.Pages.Language, AllowedIPs: strings.Join(ips, "\n"), RequireKey: a.Access.RequireKey}
}

// appOf reads the application named in the path; another client's is not
// found.
func (d *Dashboard) appOf(r *http.Request, q *Request) (*pasarela.Application, error) {
	id, err := pathID(r, "app")
	if err != nil {
		return nil, err
	}
	return d.svc.GetApplication(q.Ctx, id)
}

// application serves GET /dashboard/developers/{app}.
func (d *Dashboard) application(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	data := &applicationData{App: a, Done: doneText(q.Lang, r), Form: webhookForm{Entity: pasarela.EntityPayment, Format: pasarela.FormatPayREST}}
	return d.showApplication(w, r, q, http.StatusOK, data)
}

func (d *Dashboard) showApplication(w http.ResponseWriter, r *http.Request, q *Request, status int, data *applicationData) error {
	var err error
	if data.Webhooks, _, err = d.svc.ListWebhooks(q.Ctx, data.App.ID, pasarela.ListOptions{Limit: 100}); err != nil {
		return err
	}
	if data.Configs, _, err = d.svc.ListGatewayConfigs(q.Ctx, data.App.ID, "", pasarela.ListOptions{Limit: 100}); err != nil {
		return err
	}
	if data.Gateways, _, err = d.svc.Gateways(q.Ctx); err != nil {
		return err
	}
	if data.Settings == (settingsForm{}) {
		data.Settings = settingsOf(data.App)
	}
	data.Key, data.KeyForm = sectionFormKey(), sectionFormKey()
	data.Entities, data.Formats, data.Methods = pasarela.WebhookEntities, pasarela.WebhookFormats, []string{"POST", "PUT", "PATCH"}
	d.render(w, r, q, status, "application", data)
	return nil
}

// recreateKey serves POST /dashboard/developers/{app}/key: the old key
// fails from now on, and the new one is on this answer only (rendered,
// not redirected to, so it is in no URL and no later page).
func (d *Dashboard) recreateKey(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	id := a.ID
	// The form's own key: a second send (a reload of this answer, a
	// double click) recreates nothing and shows no key.
	formKey := r.PostForm.Get("key")
	if err := core.CheckIdempotencyKey(formKey); err != nil {
		return err
	}
	idem := &core.Idem{Key: "dashboard:" + formKey,
		Fingerprint: core.Fingerprint([]byte("dashboard key"), []byte(strconv.FormatInt(id, 10))),
		// The stored answer names the application and leaves the key out.
		Render: func(v any) (int, []byte, error) {
			return http.StatusOK, []byte(strconv.FormatInt(v.(*core.NewApplication).ID, 10)), nil
		}}
	na, replay, err := d.svc.RecreateKeyOnce(q.Ctx, id, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		return redirect(w, r, appPath(id)+"?done=key.again")
	}
	data := &applicationData{App: &na.Application, NewKey: na.APIKey,
		Form: webhookForm{Entity: pasarela.EntityPayment, Format: pasarela.FormatPayREST}}
	return d.showApplication(w, r, q, http.StatusOK, data)
}

// shopSettings serves POST /dashboard/developers/{app}/settings: the pages
// the buyer returns to, the server-to-server notification URL (a GET in
// Gestpay's format, as Gestpay's back office sets it), the pages' language
// and the addresses allowed to call the SOAP services.
func (d *Dashboard) shopSettings(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := settingsForm{SuccessURL: strings.TrimSpace(f.Get("success_url")), FailureURL: strings.TrimSpace(f.Get("failure_url")),
		NotifyURL: strings.TrimSpace(f.Get("notify_url")), Language: strings.TrimSpace(f.Get("language")),
		AllowedIPs: f.Get("allowed_ips"), RequireKey: f.Get("require_key") == "on"}
	ips := strings.FieldsFunc(form.AllowedIPs, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' })
	in := core.ApplicationInput{SuccessURL: pasarela.Set(form.SuccessURL), FailureURL: pasarela.Set(form.FailureURL),
		Language: pasarela.Set(form.Language), AllowedIPs: pasarela.Set(ips), RequireKey: pasarela.Set(form.RequireKey)}
	// The notification URL goes to the core only when it changed: writing
	// it rewrites its endpoint, which would lose a format set through
	// PayREST's settings. A new URL keeps the endpoint's format (Gestpay's
	// for a new one, as Gestpay's back office makes it); the core enables
	// the endpoint again, since only a target that answered 410 Gone
	// disables one and this is another target.
	if form.NotifyURL != a.Pages.NotifyURL {
		in.NotifyURL, in.NotifyFormat = pasarela.Set(form.NotifyURL), pasarela.FormatGestpay
		if a.Pages.NotifyWebhook != 0 {
			hook, err := d.svc.GetWebhook(q.Ctx, a.ID, a.Pages.NotifyWebhook)
			if err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
				return err
			}
			if err == nil {
				in.NotifyFormat = hook.Format
			}
		}
	}
	if _, err := d.svc.UpdateApplication(q.Ctx, a.ID, in, false); err != nil {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showApplication(w, r, q, http.StatusBadRequest, &applicationData{App: a, Settings: form,
				Error: errorText(q.Lang, err), Form: webhookForm{Entity: pasarela.EntityPayment, Format: pasarela.FormatPayREST}})
		}
		return err
	}
	return redirect(w, r, appPath(a.ID)+"?done=settings")
}

func appPath(id int64) string { return Prefix + "developers/" + strconv.FormatInt(id, 10) }

// splitList reads a list typed with commas, spaces or lines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' })
}

// createWebhook serves POST /dashboard/developers/{app}/webhooks: one
// target, the entity, the event types it wants (none: all of the
// entity), its body format and method. The form's key makes a second
// send of the same form create nothing more. The signing secret is on
// this answer only.
func (d *Dashboard) createWebhook(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := webhookForm{Target: strings.TrimSpace(f.Get("target")), Entity: f.Get("entity"), Events: f.Get("events"),
		Format: f.Get("format"), Method: f.Get("method")}
	in := core.WebhookInput{Method: form.Method, Entity: form.Entity, Format: form.Format, Events: splitList(form.Events)}
	if form.Target != "" {
		in.Targets = []string{form.Target}
	}
	failed := func(err error) error {
		if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
			return d.showApplication(w, r, q, http.StatusBadRequest, &applicationData{App: a, Form: form,
				Error: errorText(q.Lang, err)})
		}
		return err
	}
	key := f.Get("key")
	if err := core.CheckIdempotencyKey(key); err != nil {
		return failed(err)
	}
	idem := &core.Idem{Key: "dashboard:" + key,
		Fingerprint: core.Fingerprint([]byte("dashboard webhook"), []byte(strconv.FormatInt(a.ID, 10)), []byte(form.Target),
			[]byte(form.Entity), []byte(form.Events), []byte(form.Format), []byte(form.Method)),
		// The stored answer names the endpoint and leaves its secret out.
		Render: func(v any) (int, []byte, error) {
			return http.StatusCreated, []byte(strconv.FormatInt(v.(*pasarela.Webhook).ID, 10)), nil
		}}
	wh, replay, err := d.svc.CreateWebhook(q.Ctx, a.ID, in, idem)
	if err != nil {
		return failed(err)
	}
	if replay != nil {
		return redirect(w, r, appPath(a.ID)+"?done=webhook.again")
	}
	return d.showApplication(w, r, q, http.StatusCreated, &applicationData{App: a, NewSecret: wh.Secret,
		Done: translate(q.Lang, "done.webhook"), Form: webhookForm{Entity: pasarela.EntityPayment, Format: pasarela.FormatPayREST}})
}

// webhookData is a webhook's page: the endpoint and its deliveries, each
// with its attempts.
type webhookData struct {
	App        *pasarela.Application
	Hook       *pasarela.Webhook
	Deliveries []deliveryView
	Pager      pager
	Done       string
}

// deliveryView is a delivery with its attempts as the log shows them.
type deliveryView struct {
	pasarela.Delivery
	Tries []tryView
	// Request is what the delivery sends, nil when the dashboard was
	// built without the webhook formats.
	Request *core.DeliveryRequest
}

type tryView struct {
	pasarela.DeliveryAttempt
	LatencyText string
}

// latencyText writes a latency in milliseconds, with a tenth below ten (a
// receiver on the same network answers in under one).
func latencyText(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return strconv.FormatFloat(ms, 'f', 1, 64) + "\u00a0ms"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "\u00a0ms"
}

// webhookOf reads the application and webhook named in the path.
func (d *Dashboard) webhookOf(r *http.Request, q *Request) (*pasarela.Application, *pasarela.Webhook, error) {
	a, err := d.appOf(r, q)
	if err != nil {
		return nil, nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	wh, err := d.svc.GetWebhook(q.Ctx, a.ID, id)
	return a, wh, err
}

// webhook serves GET /dashboard/developers/{app}/webhooks/{id}.
func (d *Dashboard) webhook(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, wh, err := d.webhookOf(r, q)
	if err != nil {
		return err
	}
	page := pageOf(r)
	dels, total, err := d.svc.ListDeliveries(q.Ctx, a.ID, wh.ID, core.DeliveryFilter{},
		pasarela.ListOptions{Limit: sectionPageSize, Offset: (page - 1) * sectionPageSize})
	if err != nil {
		return err
	}
	var reqs map[int64]core.DeliveryRequest
	if d.renderers != nil {
		if reqs, err = d.svc.DeliveryRequests(q.Ctx, a.ID, wh.ID, dels, d.renderers); err != nil {
			return err
		}
	}
	views := make([]deliveryView, len(dels))
	for i, del := range dels {
		views[i] = deliveryView{Delivery: del, Tries: make([]tryView, len(del.Log))}
		if req, ok := reqs[del.ID]; ok {
			views[i].Request = &req
		}
		for j, at := range del.Log {
			views[i].Tries[j] = tryView{DeliveryAttempt: at, LatencyText: latencyText(at.Latency)}
		}
	}
	d.render(w, r, q, http.StatusOK, "webhook", webhookData{App: a, Hook: wh, Deliveries: views, Done: doneText(q.Lang, r),
		Pager: newPager(r.URL.Path, r.URL.Query(), page, len(dels), total)})
	return nil
}

func webhookPath(app, id int64) string {
	return appPath(app) + "/webhooks/" + strconv.FormatInt(id, 10)
}

// deleteWebhook serves POST /dashboard/developers/{app}/webhooks/{id}/delete.
func (d *Dashboard) deleteWebhook(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, wh, err := d.webhookOf(r, q)
	if err != nil {
		return err
	}
	if err := d.svc.DeleteWebhook(q.Ctx, a.ID, wh.ID); err != nil {
		return err
	}
	return redirect(w, r, appPath(a.ID)+"?done=webhook.deleted")
}

// redeliver serves POST …/webhooks/{id}/deliveries/{delivery}/redeliver:
// the delivery is due now, whatever its status, and the deliverer is woken.
func (d *Dashboard) redeliver(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, wh, err := d.webhookOf(r, q)
	if err != nil {
		return err
	}
	id, err := pathID(r, "delivery")
	if err != nil {
		return err
	}
	if _, err := d.svc.RetryDelivery(q.Ctx, a.ID, wh.ID, id); err != nil {
		return err
	}
	return redirect(w, r, webhookPath(a.ID, wh.ID)+"?done=redelivered")
}

// configData is the form of a gateway config, built from its gateway's
// option schema.
type configData struct {
	App     *pasarela.Application
	Gateway *pasarela.Gateway
	Config  *pasarela.GatewayConfig // nil when creating
	Name    string
	Weight  string
	Enabled bool
	Fields  []optionField
	Error   string
	Done    string
}

// optionField is one option of the schema as a form field.
type optionField struct {
	pasarela.GatewayOption
	Value   string // the value shown; never a secret
	Checked bool
	// IsSet tells, for a secret, that one is stored (an empty field keeps it).
	IsSet bool
}

// fieldsOf builds the form's fields from the schema, with the values of
// cfg (or the defaults). A secret is never written into the page.
func fieldsOf(g *pasarela.Gateway, cfg *pasarela.GatewayConfig) []optionField {
	out := make([]optionField, len(g.Options))
	for i, o := range g.Options {
		f := optionField{GatewayOption: o}
		var v any = o.Default
		if cfg != nil {
			v = cfg.Options[o.Name]
		}
		switch {
		case o.Secret:
			f.IsSet = cfg != nil && v != nil && v != ""
		case o.Type == "boolean":
			f.Checked = v == true
		case v != nil:
			f.Value = fmt.Sprint(v)
		}
		out[i] = f
	}
	return out
}

// configOptions reads the option fields of a posted form into the
// options the core validates, as the API's JSON would carry them: a
// boolean from its checkbox, an integer as a number, an empty field left
// out (its default applies), and an empty secret on an edit sent as the
// mask, which keeps the stored secret.
func configOptions(g *pasarela.Gateway, form map[string][]string, editing bool) (map[string]any, []optionField, error) {
	var v pasarela.Validation
	opts := map[string]any{}
	fields := make([]optionField, len(g.Options))
	get := func(name string) string {
		if vs := form["opt."+name]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	for i, o := range g.Options {
		text := get(o.Name)
		f := optionField{GatewayOption: o}
		switch {
		case o.Type == "boolean":
			f.Checked = text == "on"
			opts[o.Name] = f.Checked
		case o.Secret:
			f.IsSet = editing
			if text != "" {
				opts[o.Name] = text
			} else if editing {
				opts[o.Name] = core.SecretMask
			}
		case text == "":
		case o.Type == "integer":
			f.Value = text
			n, err := strconv.ParseInt(text, 10, 53)
			if err != nil {
				v.Add("config."+o.Name, "type", "must be an integer")
				break
			}
			opts[o.Name] = float64(n)
		default:
			f.Value = text
			opts[o.Name] = text
		}
		fields[i] = f
	}
	return opts, fields, v.Err()
}

// newGatewayConfig serves GET /dashboard/developers/{app}/configs/new?gateway=ID.
func (d *Dashboard) newGatewayConfig(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	g, _, err := d.svc.Gateway(q.Ctx, r.URL.Query().Get("gateway"))
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "gatewayconfig", configData{App: a, Gateway: g, Name: g.Name, Weight: "1",
		Enabled: true, Fields: fieldsOf(g, nil)})
	return nil
}

// configInput reads the posted form of a config.
func configInput(r *http.Request, g *pasarela.Gateway, editing bool, data *configData) (core.GatewayConfigInput, error) {
	f := r.PostForm
	data.Name, data.Weight, data.Enabled = strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("weight")), f.Get("enabled") == "on"
	in := core.GatewayConfigInput{Name: pasarela.Set(data.Name), Enabled: pasarela.Set(data.Enabled)}
	if !editing {
		in.Gateway = pasarela.Set(g.ID)
	}
	opts, fields, err := configOptions(g, f, editing)
	data.Fields = fields
	if err != nil {
		return in, err
	}
	in.Config = pasarela.Set(opts)
	if data.Weight != "" {
		n, err := strconv.Atoi(data.Weight)
		if err != nil {
			return in, pasarela.Invalid("weight", "type", "must be a whole number between 0 and 1000")
		}
		in.Weight = pasarela.Set(n)
	}
	return in, nil
}

// createGatewayConfig serves POST /dashboard/developers/{app}/configs.
func (d *Dashboard) createGatewayConfig(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, err := d.appOf(r, q)
	if err != nil {
		return err
	}
	g, _, err := d.svc.Gateway(q.Ctx, r.PostForm.Get("gateway"))
	if err != nil {
		return err
	}
	data := configData{App: a, Gateway: g}
	in, err := configInput(r, g, false, &data)
	if err == nil {
		var cfg *pasarela.GatewayConfig
		if cfg, err = d.svc.CreateGatewayConfig(q.Ctx, a.ID, in); err == nil {
			return redirect(w, r, configPath(a.ID, cfg.ID)+"?done=config.created")
		}
	}
	return d.configFailed(w, r, q, data, err)
}

func (d *Dashboard) configFailed(w http.ResponseWriter, r *http.Request, q *Request, data configData, err error) error {
	if k := pasarela.ErrorKind(err); k == pasarela.KindInvalid || k == pasarela.KindConflict {
		data.Error = errorText(q.Lang, err)
		d.render(w, r, q, http.StatusBadRequest, "gatewayconfig", data)
		return nil
	}
	return err
}

func configPath(app, id int64) string {
	return appPath(app) + "/configs/" + strconv.FormatInt(id, 10)
}

// configOf reads the application and config named in the path, and the
// config's catalog entry.
func (d *Dashboard) configOf(r *http.Request, q *Request) (*pasarela.Application, *pasarela.GatewayConfig, *pasarela.Gateway, error) {
	a, err := d.appOf(r, q)
	if err != nil {
		return nil, nil, nil, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := d.svc.GetGatewayConfig(q.Ctx, a.ID, id)
	if err != nil {
		return nil, nil, nil, err
	}
	g, _, err := d.svc.Gateway(q.Ctx, cfg.Gateway)
	return a, cfg, g, err
}

// gatewayConfig serves GET /dashboard/developers/{app}/configs/{id}: the
// config's form with its values; secrets only say whether one is set.
func (d *Dashboard) gatewayConfig(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, cfg, g, err := d.configOf(r, q)
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "gatewayconfig", configData{App: a, Gateway: g, Config: cfg, Name: cfg.Name,
		Weight: strconv.Itoa(cfg.Weight), Enabled: cfg.Enabled, Fields: fieldsOf(g, cfg), Done: doneText(q.Lang, r)})
	return nil
}

// updateGatewayConfig serves POST /dashboard/developers/{app}/configs/{id}.
func (d *Dashboard) updateGatewayConfig(w http.ResponseWriter, r *http.Request, q *Request) error {
	a, cfg, g, err := d.configOf(r, q)
	if err != nil {
		return err
	}
	data := configData{App: a, Gateway: g, Config: cfg}
	in, err := configInput(r, g, true, &data)
	if err == nil {
		if _, err = d.svc.UpdateGatewayConfig(q.Ctx, a.ID, cfg.ID, in, false); err == nil {
			return redirect(w, r, configPath(a.ID, cfg.ID)+"?done=config.saved")
		}
	}
	return d.configFailed(w, r, q, data, err)
}
