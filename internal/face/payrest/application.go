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

// applicationForm is Application_Form; absent fields matter (PATCH vs PUT).
type applicationForm struct {
	Name pasarela.Field[string] `json:"name"`
	URL  pasarela.Field[string] `json:"url"`
	Logo pasarela.Field[string] `json:"logo"`
}

func (a applicationForm) input() core.ApplicationInput {
	return core.ApplicationInput{Name: a.Name, URL: a.URL, Logo: a.Logo}
}

func applicationView(a *pasarela.Application, key *string, configs []pasarela.GatewayConfig) applicationJSON {
	self := "/application/" + strconv.FormatInt(a.ID, 10)
	summaries := make([]gatewayConfigSummary, len(configs))
	for i, g := range configs {
		summaries[i] = gatewayConfigSummary{ID: g.ID, Gateway: g.Gateway, Name: g.Name, Weight: g.Weight}
	}
	return applicationJSON{ID: a.ID, Name: a.Name, URL: a.URL, Logo: a.Logo,
		APIKey: apiKey{Key: key, Prefix: a.KeyPrefix}, ShopLogin: a.ShopLogin, GatewayConfigs: summaries,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
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
	a, err := f.svc.CreateApplication(r.Context(), form.input())
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
	a, err := f.svc.UpdateApplication(r.Context(), id, form.input(), replace)
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
