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
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	URL            *string   `json:"url"`
	Logo           *string   `json:"logo"`
	APIKey         apiKey    `json:"apiKey"`
	ShopLogin      string    `json:"shopLogin"`
	GatewayConfigs []any     `json:"gatewayConfigs"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Links          []link    `json:"links"`
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

func applicationView(a *pasarela.Application, key *string) applicationJSON {
	self := "/application/" + strconv.FormatInt(a.ID, 10)
	return applicationJSON{ID: a.ID, Name: a.Name, URL: a.URL, Logo: a.Logo,
		APIKey: apiKey{Key: key, Prefix: a.KeyPrefix}, ShopLogin: a.ShopLogin, GatewayConfigs: []any{},
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
	out := make([]applicationJSON, len(apps))
	for i := range apps {
		out[i] = applicationView(&apps[i], nil)
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
	writeJSON(w, http.StatusCreated, applicationView(&a.Application, &a.APIKey))
	return nil
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
	writeJSON(w, http.StatusOK, applicationView(a, nil))
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
	writeJSON(w, http.StatusOK, applicationView(a, nil))
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
	writeJSON(w, http.StatusCreated, applicationView(&a.Application, &a.APIKey))
	return nil
}
