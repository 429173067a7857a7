package payrest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// optionJSON is one configurable option of a gateway service.
type optionJSON struct {
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Secret      bool     `json:"secret"`
	Default     any      `json:"default,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Description string   `json:"description"`
}

// gatewayServiceJSON is PayREST's GatewayService.
type gatewayServiceJSON struct {
	ID                  string                `json:"id"`
	Name                string                `json:"name"`
	Enabled             bool                  `json:"enabled"`
	Flow                string                `json:"flow"`
	Options             map[string]optionJSON `json:"options"`
	Instances           int                   `json:"instances"`
	ConfiguredInstances []gatewayConfigJSON   `json:"configuredInstances,omitzero"`
}

func gatewayServiceView(g pasarela.Gateway, instances int) gatewayServiceJSON {
	opts := map[string]optionJSON{}
	for _, o := range g.Options {
		opts[o.Name] = optionJSON{Type: o.Type, Required: o.Required, Secret: o.Secret, Default: o.Default, Enum: o.Enum,
			Description: o.Description}
	}
	return gatewayServiceJSON{ID: g.ID, Name: g.Name, Enabled: true, Flow: string(g.Flow), Options: opts, Instances: instances}
}

func (f *Face) listGateways(w http.ResponseWriter, r *http.Request) error {
	gws, counts, err := f.svc.Gateways(r.Context())
	if err != nil {
		return err
	}
	out := make([]gatewayServiceJSON, len(gws))
	for i, g := range gws {
		out[i] = gatewayServiceView(g, counts[g.ID])
	}
	writeList(w, out, len(out))
	return nil
}

func (f *Face) getGateway(w http.ResponseWriter, r *http.Request) error {
	g, configs, err := f.svc.Gateway(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	view := gatewayServiceView(*g, len(configs))
	view.ConfiguredInstances = []gatewayConfigJSON{}
	for i := range configs {
		view.ConfiguredInstances = append(view.ConfiguredInstances, gatewayConfigView(&configs[i]))
	}
	writeJSON(w, http.StatusOK, view)
	return nil
}

// gatewayConfigJSON is PayREST's GatewayConfig; secret options show masked.
type gatewayConfigJSON struct {
	ID            int64          `json:"id"`
	ApplicationID int64          `json:"applicationId"`
	Gateway       string         `json:"gateway"`
	Name          string         `json:"name"`
	Weight        int            `json:"weight"`
	Enabled       bool           `json:"enabled"`
	Code          string         `json:"code"`
	Config        map[string]any `json:"config"`
	CreatedAt     time.Time      `json:"createdAt"`
	UpdatedAt     time.Time      `json:"updatedAt"`
	Links         []link         `json:"links"`
}

// gatewayConfigForm is Instance_Form.
type gatewayConfigForm struct {
	Gateway pasarela.Field[string]         `json:"gateway"`
	Name    pasarela.Field[string]         `json:"name"`
	Weight  pasarela.Field[int]            `json:"weight"`
	Enabled pasarela.Field[bool]           `json:"enabled"`
	Config  pasarela.Field[map[string]any] `json:"config"`
}

func (g gatewayConfigForm) input() core.GatewayConfigInput {
	return core.GatewayConfigInput{Gateway: g.Gateway, Name: g.Name, Weight: g.Weight, Enabled: g.Enabled, Config: g.Config}
}

func gatewayConfigView(g *pasarela.GatewayConfig) gatewayConfigJSON {
	self := "/application/" + strconv.FormatInt(g.ApplicationID, 10) + "/gateway/" + strconv.FormatInt(g.ID, 10)
	cfg := g.Options
	if cfg == nil {
		cfg = map[string]any{}
	}
	return gatewayConfigJSON{ID: g.ID, ApplicationID: g.ApplicationID, Gateway: g.Gateway, Name: g.Name, Weight: g.Weight,
		Enabled: g.Enabled, Code: g.Code, Config: cfg, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		Links: []link{{Rel: "self", Href: self}, {Rel: "gateway", Href: "/gateway/" + g.Gateway}}}
}

func (f *Face) listGatewayConfigs(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts, err := listOptions(q)
	if err != nil {
		return err
	}
	configs, total, err := f.svc.ListGatewayConfigs(r.Context(), appID, q.Get("filter"), opts)
	if err != nil {
		return err
	}
	out := make([]gatewayConfigJSON, len(configs))
	for i := range configs {
		out[i] = gatewayConfigView(&configs[i])
	}
	writeList(w, out, total)
	return nil
}

func (f *Face) createGatewayConfig(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return err
	}
	var form gatewayConfigForm
	if err := decodeBody(r, "gatewayConfig", &form); err != nil {
		return err
	}
	g, err := f.svc.CreateGatewayConfig(r.Context(), appID, form.input())
	if err != nil {
		return err
	}
	view := gatewayConfigView(g)
	w.Header().Set("Location", view.Links[0].Href)
	writeJSON(w, http.StatusCreated, view)
	return nil
}

func (f *Face) getGatewayConfig(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "gateway config")
	if err != nil {
		return err
	}
	g, err := f.svc.GetGatewayConfig(r.Context(), appID, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gatewayConfigView(g))
	return nil
}

func (f *Face) putGatewayConfig(w http.ResponseWriter, r *http.Request) error {
	return f.updateGatewayConfig(w, r, true)
}

func (f *Face) patchGatewayConfig(w http.ResponseWriter, r *http.Request) error {
	return f.updateGatewayConfig(w, r, false)
}

func (f *Face) updateGatewayConfig(w http.ResponseWriter, r *http.Request, replace bool) error {
	appID, id, err := twoIDs(r, "gateway config")
	if err != nil {
		return err
	}
	var form gatewayConfigForm
	if err := decodeBody(r, "gatewayConfig", &form); err != nil {
		return err
	}
	g, err := f.svc.UpdateGatewayConfig(r.Context(), appID, id, form.input(), replace)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gatewayConfigView(g))
	return nil
}

func (f *Face) deleteGatewayConfig(w http.ResponseWriter, r *http.Request) error {
	appID, id, err := twoIDs(r, "gateway config")
	if err != nil {
		return err
	}
	if err := f.svc.DeleteGatewayConfig(r.Context(), appID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// twoIDs reads /application/{applicationId}/…/{id}.
func twoIDs(r *http.Request, what string) (int64, int64, error) {
	appID, err := pathID(r, "applicationId", "application")
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(r, "id", what)
	return appID, id, err
}
