package payrest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// link is one HAL-like link of a resource.
type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// apiKey shows an application's key: the prefix always, the whole key only
// in the answer that created it (create and recreate-key).
type apiKey struct {
	Key    *string `json:"key"`
	Prefix string  `json:"prefix"`
}

type applicationJSON struct {
	ID             int64                  `json:"id"`
	Name           string                 `json:"name"`
	URL            *string                `json:"url"`
	Logo           *string                `json:"logo"`
	APIKey         apiKey                 `json:"apiKey"`
	ShopLogin      string                 `json:"shopLogin"`
	GatewayConfigs []gatewayConfigSummary `json:"gatewayConfigs"`
	Gestpay        gestpayJSON            `json:"gestpay"`
	CreatedAt      time.Time              `json:"createdAt"`
	UpdatedAt      time.Time              `json:"updatedAt"`
	Links          []link                 `json:"links"`
}

// gatewayConfigSummary is how an application lists its gateway configs.
type gatewayConfigSummary struct {
	ID      int64  `json:"id"`
	Gateway string `json:"gateway"`
	Name    string `json:"name"`
	Weight  int    `json:"weight"`
}

// gestpayJSON shows an application's settings as a Gestpay shop's back
// office names them: unset values are empty, never absent, so a client
// reads every setting the same way.
type gestpayJSON struct {
	PositiveURL       string   `json:"positiveUrl"`
	NegativeURL       string   `json:"negativeUrl"`
	ServerToServerURL string   `json:"serverToServerUrl"`
	AllowedIPs        []string `json:"allowedIps"`
	RequireAPIKey     bool     `json:"requireApiKey"`
	LanguageID        string   `json:"languageId"`
}

// gestpayLanguages are Gestpay's language ids and the core's language each
// is. Only these five have an id: a page language set otherwise (by the
// operator's command line) shows as "".
var gestpayLanguages = []struct{ id, lang string }{{"1", "it"}, {"2", "en"}, {"3", "es"}, {"4", "fr"}, {"5", "de"}}

func gestpayView(a *pasarela.Application) gestpayJSON {
	g := gestpayJSON{PositiveURL: a.Pages.SuccessURL, NegativeURL: a.Pages.FailureURL, ServerToServerURL: a.Pages.NotifyURL,
		AllowedIPs: make([]string, len(a.Access.AllowedIPs)), RequireAPIKey: a.Access.RequireKey}
	for i, p := range a.Access.AllowedIPs {
		g.AllowedIPs[i] = p.String()
	}
	for _, l := range gestpayLanguages {
		if l.lang == a.Pages.Language {
			g.LanguageID = l.id
		}
	}
	return g
}

// gestpayForm is the gestpay object of Application_Form: each field absent
// is left as it is by PATCH and cleared by PUT, like the form's own.
type gestpayForm struct {
	PositiveURL       pasarela.Field[string]   `json:"positiveUrl"`
	NegativeURL       pasarela.Field[string]   `json:"negativeUrl"`
	ServerToServerURL pasarela.Field[string]   `json:"serverToServerUrl"`
	AllowedIPs        pasarela.Field[[]string] `json:"allowedIps"`
	RequireAPIKey     pasarela.Field[bool]     `json:"requireApiKey"`
	LanguageID        pasarela.Field[string]   `json:"languageId"`
}

// applicationForm is Application_Form; absent fields matter (PATCH vs PUT).
// Gestpay is a plain pointer rather than a Field so that the strict decoder
// refuses unknown fields inside it too; null or absent leaves its settings
// to the rules of each of its fields being absent.
type applicationForm struct {
	Name    pasarela.Field[string] `json:"name"`
	URL     pasarela.Field[string] `json:"url"`
	Logo    pasarela.Field[string] `json:"logo"`
	Gestpay *gestpayForm           `json:"gestpay"`
}

func (a applicationForm) input() (core.ApplicationInput, error) {
	in := core.ApplicationInput{Name: a.Name, URL: a.URL, Logo: a.Logo}
	g := a.Gestpay
	if g == nil {
		return in, nil
	}
	in.SuccessURL, in.FailureURL, in.NotifyURL = g.PositiveURL, g.NegativeURL, g.ServerToServerURL
	in.AllowedIPs, in.RequireKey = g.AllowedIPs, g.RequireAPIKey
	// Every notification endpoint PayREST sets up is Gestpay's
	// server-to-server call: the URL is the shop's, in Gestpay's settings.
	in.NotifyFormat = pasarela.FormatGestpay
	if g.LanguageID.Present {
		in.Language = pasarela.Field[string]{Present: true}
		if id := g.LanguageID.Or(""); id != "" {
			lang := ""
			for _, l := range gestpayLanguages {
				if l.id == id {
					lang = l.lang
				}
			}
			if lang == "" {
				return in, pasarela.Invalid("gestpay.languageId", "language",
					"must be a Gestpay language id: 1 (Italian), 2 (English), 3 (Spanish), 4 (French) or 5 (German), or empty")
			}
			in.Language.Value = &lang
		}
	}
	return in, nil
}

func applicationView(a *pasarela.Application, key *string, configs []pasarela.GatewayConfig) applicationJSON {
	self := "/application/" + strconv.FormatInt(a.ID, 10)
	summaries := make([]gatewayConfigSummary, len(configs))
	for i, g := range configs {
		summaries[i] = gatewayConfigSummary{ID: g.ID, Gateway: g.Gateway, Name: g.Name, Weight: g.Weight}
	}
	return applicationJSON{ID: a.ID, Name: a.Name, URL: a.URL, Logo: a.Logo,
		APIKey: apiKey{Key: key, Prefix: a.KeyPrefix}, ShopLogin: a.ShopLogin, GatewayConfigs: summaries,
		Gestpay: gestpayView(a), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		Links: []link{{Rel: "self", Href: self}, {Rel: "recreate-key", Href: self + "/recreate-key"}}}
}

func (f *Face) listApplications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	opts, err := listOptions(q)
	if err != nil {
		return err
	}
	apps, total, err := f.svc.ListApplications(r.Context(), q.Get("name"), opts)
	if err != nil {
		return err
	}
	ids := make([]int64, len(apps))
	for i := range apps {
		ids[i] = apps[i].ID
	}
	configs, err := f.svc.ApplicationGatewayConfigs(r.Context(), ids)
	if err != nil {
		return err
	}
	out := make([]applicationJSON, len(apps))
	for i := range apps {
		out[i] = applicationView(&apps[i], nil, configs[apps[i].ID])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) createApplication(w http.ResponseWriter, r *http.Request) error {
	var form applicationForm
	if err := decodeBody(r, "application", &form); err != nil {
		return err
	}
	in, err := form.input()
	if err != nil {
		return err
	}
	a, err := f.svc.CreateApplication(r.Context(), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/application/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, applicationView(&a.Application, &a.APIKey, nil))
	return nil
}

// withConfigs renders one application with its gateway configs.
func (f *Face) withConfigs(r *http.Request, a *pasarela.Application, key *string) (applicationJSON, error) {
	configs, err := f.svc.ApplicationGatewayConfigs(r.Context(), []int64{a.ID})
	return applicationView(a, key, configs[a.ID]), err
}

func (f *Face) getApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	a, err := f.svc.GetApplication(r.Context(), id)
	if err != nil {
		return err
	}
	view, err := f.withConfigs(r, a, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (f *Face) putApplication(w http.ResponseWriter, r *http.Request) error {
	return f.updateApplication(w, r, true)
}

func (f *Face) patchApplication(w http.ResponseWriter, r *http.Request) error {
	return f.updateApplication(w, r, false)
}

func (f *Face) updateApplication(w http.ResponseWriter, r *http.Request, replace bool) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	var form applicationForm
	if err := decodeBody(r, "application", &form); err != nil {
		return err
	}
	in, err := form.input()
	if err != nil {
		return err
	}
	a, err := f.svc.UpdateApplication(r.Context(), id, in, replace)
	if err != nil {
		return err
	}
	view, err := f.withConfigs(r, a, nil)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (f *Face) deleteApplication(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	if err := f.svc.DeleteApplication(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (f *Face) recreateKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	a, err := f.svc.RecreateKey(r.Context(), id)
	if err != nil {
		return err
	}
	view, err := f.withConfigs(r, &a.Application, &a.APIKey)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, view)
	return nil
}
