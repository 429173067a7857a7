package core

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Gateways is the catalog with, for each gateway, how many configs the
// caller's client has of it.
func (s *Service) Gateways(ctx context.Context) ([]processor.Gateway, map[string]int, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	// An application key sees its own application's configs; a user, the
	// whole client's.
	counts := map[string]int{}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.ClientGatewayConfigs(ctx, p.ClientID, p.ApplicationID, "")
		for _, r := range rows {
			counts[r.Gateway]++
		}
		return err
	})
	return s.processors.Gateways(), counts, err
}

// Gateway returns one catalog entry and the caller's configs of it.
func (s *Service) Gateway(ctx context.Context, id string) (*processor.Gateway, []pasarela.GatewayConfig, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	proc, ok := s.processors.Get(id)
	if !ok {
		return nil, nil, pasarela.NotFound("gateway")
	}
	g := proc.Gateway()
	var out []pasarela.GatewayConfig
	err = s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.ClientGatewayConfigs(ctx, p.ClientID, p.ApplicationID, id)
		for i := range rows {
			out = append(out, s.masked(&rows[i]))
		}
		return err
	})
	return &g, out, err
}

// GatewayConfigInput is the writable part of a gateway config.
type GatewayConfigInput struct {
	Gateway pasarela.Field[string]
	Name    pasarela.Field[string]
	Weight  pasarela.Field[int]
	Enabled pasarela.Field[bool]
	Config  pasarela.Field[map[string]any]
}

// validateOptions checks options against a gateway's schema: no unknown
// option, required ones present, each of its type. Defaults fill the gaps.
func validateOptions(g processor.Gateway, in map[string]any) (map[string]any, error) {
	var v pasarela.Validation
	known := map[string]processor.Option{}
	for _, o := range g.Options {
		known[o.Name] = o
	}
	for name := range in {
		if _, ok := known[name]; !ok {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			sort.Strings(names)
			v.Add("config."+name, "unknown_option", "unknown option of "+g.ID+"; its options are: "+strings.Join(names, ", "))
		}
	}
	out := map[string]any{}
	for _, o := range g.Options {
		val, ok := in[o.Name]
		if !ok || val == nil {
			if o.Required {
				v.Add("config."+o.Name, "required", "is required by "+g.ID)
			} else if o.Default != nil {
				out[o.Name] = o.Default
			}
			continue
		}
		field := "config." + o.Name
		switch o.Type {
		case "boolean":
			if _, ok := val.(bool); !ok {
				v.Add(field, "type", "must be true or false")
				continue
			}
		case "integer":
			n, ok := val.(float64)
			if !ok || n != float64(int64(n)) {
				v.Add(field, "type", "must be an integer")
				continue
			}
			val = int64(n)
		case "enum":
			s, ok := val.(string)
			if !ok || !contains(o.Enum, s) {
				v.Add(field, "enum", "must be one of "+strings.Join(o.Enum, ", "))
				continue
			}
		default:
			s, ok := val.(string)
			if !ok {
				v.Add(field, "type", "must be a string")
				continue
			}
			if o.Required && strings.TrimSpace(s) == "" {
				v.Add(field, "required", "may not be empty")
				continue
			}
			if len(s) > 2000 {
				v.Add(field, "too_long", "may have at most 2000 characters")
				continue
			}
		}
		out[o.Name] = val
	}
	return out, v.Err()
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// seal splits options into the clear ones and the sealed secret ones.
func (s *Service) seal(g processor.Gateway, row *store.GatewayConfigRow, opts map[string]any) error {
	clear, secret := map[string]any{}, map[string]any{}
	for _, o := range g.Options {
		if val, ok := opts[o.Name]; ok {
			if o.Secret {
				secret[o.Name] = val
			} else {
				clear[o.Name] = val
			}
		}
	}
	row.Options, row.Secrets = clear, nil
	if len(secret) > 0 {
		b, err := json.Marshal(secret)
		if err != nil {
			return pasarela.Internal(err)
		}
		row.Secrets = s.sealer.seal(b, []byte(row.Code))
	}
	return nil
}

// options returns a config's options with its secrets opened: only for
// handing to the processor.
func (s *Service) options(row *store.GatewayConfigRow) (processor.Config, error) {
	out := processor.Config{}
	for k, v := range row.Options {
		out[k] = v
	}
	if len(row.Secrets) > 0 {
		b, err := s.sealer.open(row.Secrets, []byte(row.Code))
		if err != nil {
			return nil, pasarela.Internal(fmt.Errorf("gateway config %d: secrets cannot be opened with this secret key: %w", row.ID, err))
		}
		var secret map[string]any
		if err := json.Unmarshal(b, &secret); err != nil {
			return nil, pasarela.Internal(err)
		}
		for k, v := range secret {
			out[k] = v
		}
	}
	return out, nil
}

// secretMask stands for a secret in every answer: secrets are written, never read back.
const secretMask = "********"

// SecretMask is the mask as a face sends it back in an update: a secret
// option given as the mask keeps the stored secret (the dashboard's form
// sends it for a secret field left empty).
const SecretMask = secretMask

// masked returns a config as a face may show it: secret options masked.
func (s *Service) masked(row *store.GatewayConfigRow) pasarela.GatewayConfig {
	g := row.GatewayConfig
	g.Options = map[string]any{}
	for k, v := range row.Options {
		g.Options[k] = v
	}
	if proc, ok := s.processors.Get(row.Gateway); ok {
		// Only the secrets that are set are shown (masked): a gateway
		// with optional secrets (a crypto config's key per currency)
		// tells which are configured. Secrets that cannot be opened are
		// all shown masked.
		var set processor.Config
		if len(row.Secrets) > 0 {
			set, _ = s.options(row)
		}
		for _, o := range proc.Gateway().Options {
			if o.Secret {
				g.SecretOptions = append(g.SecretOptions, o.Name)
				if v, ok := set[o.Name]; len(row.Secrets) > 0 && (set == nil || ok && v != nil && v != "") {
					g.Options[o.Name] = secretMask
				}
			}
		}
	}
	return g
}

// applicationAccess checks that the caller may see application appID (and
// change it, with write), answering not found for anything it cannot see.
func (s *Service) applicationAccess(ctx context.Context, appID int64, write bool, roles ...pasarela.Role) (*pasarela.Principal, error) {
	var p *pasarela.Principal
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		p, err = applicationAccessTx(ctx, tx, appID, write, roles...)
		return err
	})
	return p, err
}

// applicationAccessTx is applicationAccess inside a read the caller goes on
// with, so that a request checks access and reads what it needs in one
// transaction rather than two. The answers and their order are the same.
func applicationAccessTx(ctx context.Context, tx *store.Tx, appID int64, write bool, roles ...pasarela.Role) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 {
		if p.ApplicationID != appID {
			return nil, pasarela.NotFound("application")
		}
		// An application key was checked against this very row when it
		// authenticated (by AuthenticateKey in this request, or through
		// its cache, which deleting the application clears), so reading
		// it again would prove nothing; a write racing with a deletion
		// still fails on the foreign key. This read was a third of the
		// read work of creating a payment.
		return p, nil
	}
	if _, err := tx.GetApplication(ctx, p.ClientID, appID); err != nil {
		return nil, err
	}
	if write && p.IsUser() && !p.HasRole(roles...) {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "role_required", "this operation needs the role %s", rolesText(roles))
	}
	return p, nil
}

// Gateway configs are managed by admins (users); an application key may read them.
func (s *Service) gatewayWriter(ctx context.Context, appID int64) (*pasarela.Principal, error) {
	p, err := s.applicationAccess(ctx, appID, true, pasarela.RoleAdmin)
	if err != nil {
		return nil, err
	}
	if !p.IsUser() {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "user_required", "gateway configs are managed with a user's token, not an application key")
	}
	return p, nil
}

func (s *Service) applyGatewayConfig(row *store.GatewayConfigRow, in GatewayConfigInput, replace, create bool) (processor.Gateway, map[string]any, error) {
	var v pasarela.Validation
	var gw processor.Gateway
	if create {
		id := in.Gateway.Or("")
		proc, ok := s.processors.Get(id)
		if !ok {
			v.Add("gateway", "unknown_gateway", "unknown gateway '"+id+"'; see GET /gateway")
			return gw, nil, v.Err()
		}
		row.Gateway = id
		gw = proc.Gateway()
	} else {
		if in.Gateway.Present && in.Gateway.Or("") != row.Gateway {
			v.Add("gateway", "immutable", "cannot change; create a new config for another gateway")
		}
		proc, ok := s.processors.Get(row.Gateway)
		if !ok {
			return gw, nil, pasarela.Internal(fmt.Errorf("gateway %q of config %d is not in this build", row.Gateway, row.ID))
		}
		gw = proc.Gateway()
	}
	if create || replace || in.Name.Present {
		checkText(&v, "name", in.Name.Value, true, 200)
		row.Name = in.Name.Or("")
	}
	if create || replace || in.Weight.Present {
		row.Weight = in.Weight.Or(1)
		if row.Weight < 0 || row.Weight > 1000 {
			v.Add("weight", "range", "must be between 0 and 1000")
		}
	}
	if create || replace || in.Enabled.Present {
		row.Enabled = in.Enabled.Or(true)
	}
	var opts map[string]any
	if create || replace || in.Config.Present {
		given := in.Config.Or(map[string]any{})
		if create {
			// The mask means "keep the stored secret", and on create there
			// is none: stored as is it would become the secret itself.
			for k, val := range given {
				if val == secretMask {
					v.Add("config."+k, "masked_secret", "\""+secretMask+"\" keeps the stored secret, which only an update has; send the secret itself")
				}
			}
		} else {
			// A masked secret sent back unchanged keeps the stored secret.
			current, err := s.options(row)
			if err != nil {
				return gw, nil, err
			}
			for k, val := range given {
				if val == secretMask {
					given[k] = current[k]
				}
			}
		}
		var err error
		if opts, err = validateOptions(gw, given); err != nil {
			v.AddError(err)
		} else if c, ok := s.processorChecker(gw.ID); ok {
			v.AddError(c.CheckConfig(opts))
		}
	}
	return gw, opts, v.Err()
}

// CreateGatewayConfig configures a processor for an application.
func (s *Service) CreateGatewayConfig(ctx context.Context, appID int64, in GatewayConfigInput) (*pasarela.GatewayConfig, error) {
	p, err := s.gatewayWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	return s.createGatewayConfig(ctx, p.ClientID, appID, in)
}

// OperatorCreateGatewayConfig configures a processor for an application of
// any client. Like OperatorCreateApplication it is for the operator's command
// line (the load generator's bootstrap), which has no principal; it still
// checks that the application belongs to the client, because nothing else on
// this path would.
func (s *Service) OperatorCreateGatewayConfig(ctx context.Context, clientID string, appID int64, in GatewayConfigInput) (*pasarela.GatewayConfig, error) {
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.GetApplication(ctx, clientID, appID)
		return err
	}); err != nil {
		return nil, err
	}
	return s.createGatewayConfig(ctx, clientID, appID, in)
}

func (s *Service) createGatewayConfig(ctx context.Context, clientID string, appID int64, in GatewayConfigInput) (*pasarela.GatewayConfig, error) {
	now := s.now()
	row := &store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ClientID: clientID, ApplicationID: appID,
		Code: newUUID(), CreatedAt: now, UpdatedAt: now}}
	gw, opts, err := s.applyGatewayConfig(row, in, false, true)
	if err != nil {
		return nil, err
	}
	if err := s.seal(gw, row, opts); err != nil {
		return nil, err
	}
	// A new config must be usable from the moment this answers (see
	// readCache); so must any change or removal below.
	defer s.configs.invalidate()
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.CreateGatewayConfig(ctx, row) }); err != nil {
		return nil, err
	}
	g := s.masked(row)
	return &g, nil
}

// GetGatewayConfig returns one of an application's gateway configs.
func (s *Service) GetGatewayConfig(ctx context.Context, appID, id int64) (*pasarela.GatewayConfig, error) {
	p, err := s.applicationAccess(ctx, appID, false)
	if err != nil {
		return nil, err
	}
	var g pasarela.GatewayConfig
	err = s.db.View(ctx, func(tx *store.Tx) error {
		row, err := tx.GetGatewayConfig(ctx, p.ClientID, appID, id)
		if err == nil {
			g = s.masked(row)
		}
		return err
	})
	return &g, err
}

// ListGatewayConfigs returns a page of an application's gateway configs
// matching filter (id, or part of the name, gateway or code).
func (s *Service) ListGatewayConfigs(ctx context.Context, appID int64, filter string, opts pasarela.ListOptions) ([]pasarela.GatewayConfig, int, error) {
	p, err := s.applicationAccess(ctx, appID, false)
	if err != nil {
		return nil, 0, err
	}
	if err := checkList(&opts, store.GatewayConfigSortFields); err != nil {
		return nil, 0, err
	}
	var v pasarela.Validation
	if checkText(&v, "filter.text", &filter, false, 200); v.Err() != nil {
		return nil, 0, v.Err()
	}
	var out []pasarela.GatewayConfig
	var total int
	err = s.db.View(ctx, func(tx *store.Tx) error {
		rows, n, err := tx.ListGatewayConfigs(ctx, p.ClientID, appID, store.GatewayConfigFilter{Text: filter}, opts)
		for i := range rows {
			out = append(out, s.masked(&rows[i]))
		}
		total = n
		return err
	})
	return out, total, err
}

// UpdateGatewayConfig changes (PATCH) or replaces (PUT) a gateway config.
func (s *Service) UpdateGatewayConfig(ctx context.Context, appID, id int64, in GatewayConfigInput, replace bool) (*pasarela.GatewayConfig, error) {
	p, err := s.gatewayWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	var g pasarela.GatewayConfig
	defer s.configs.invalidate()
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.GetGatewayConfig(ctx, p.ClientID, appID, id)
		if err != nil {
			return err
		}
		gw, opts, err := s.applyGatewayConfig(row, in, replace, false)
		if err != nil {
			return err
		}
		if opts != nil {
			if err := s.seal(gw, row, opts); err != nil {
				return err
			}
		}
		row.UpdatedAt = s.now()
		if err := tx.UpdateGatewayConfig(ctx, row); err != nil {
			return err
		}
		g = s.masked(row)
		return nil
	})
	return &g, err
}

// DeleteGatewayConfig removes a gateway config no payment or link uses and
// no stored card was saved with. A stored card's token belongs to its
// config's processor, so deleting the config would make the card useless
// without its owner knowing: the cards are deleted first, on purpose, or
// the config is disabled instead.
func (s *Service) DeleteGatewayConfig(ctx context.Context, appID, id int64) error {
	p, err := s.gatewayWriter(ctx, appID)
	if err != nil {
		return err
	}
	defer s.configs.invalidate()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetGatewayConfig(ctx, p.ClientID, appID, id); err != nil {
			return err
		}
		used, err := tx.GatewayConfigInUse(ctx, p.ClientID, id)
		if err != nil {
			return err
		}
		if used {
			return pasarela.Errorf(pasarela.KindInvalid, "gateway_in_use",
				"No es posible borrar esta pasarela de pago: payments use it; disable it instead (enabled: false)")
		}
		cards, err := tx.CountStoredCardsOfConfig(ctx, p.ClientID, appID, id)
		if err != nil {
			return err
		}
		if cards > 0 {
			return &pasarela.Error{Kind: pasarela.KindConflict, Code: "gateway_has_stored_cards",
				Message: fmt.Sprintf("%d stored cards were saved with this gateway config and can be charged only through it: delete them first, or disable the config instead", cards),
				Params:  map[string]string{"stored_cards": strconv.Itoa(cards)}}
		}
		return tx.DeleteGatewayConfig(ctx, p.ClientID, appID, id)
	})
}

// ApplicationGatewayConfigs returns the gateway configs of the caller's
// applications appIDs (secrets masked), by application id. Ids the caller
// cannot see get none.
func (s *Service) ApplicationGatewayConfigs(ctx context.Context, appIDs []int64) (map[int64][]pasarela.GatewayConfig, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 {
		appIDs = []int64{p.ApplicationID}
	}
	out := map[int64][]pasarela.GatewayConfig{}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.GatewayConfigsOf(ctx, p.ClientID, appIDs)
		for appID, list := range rows {
			for i := range list {
				out[appID] = append(out[appID], s.masked(&list[i]))
			}
		}
		return err
	})
	return out, err
}

// errNoGateway refuses a payment that no enabled gateway config of the
// application can take. How to configure one is the face's to say (its
// admin route), so the application's id travels as a param.
func errNoGateway(field, message string, appID int64) *pasarela.Error {
	params := map[string]string{"application_id": strconv.FormatInt(appID, 10)}
	e := &pasarela.Error{Kind: pasarela.KindInvalid, Code: "no_gateway", Field: field, Message: message, Params: params}
	if field != "" {
		e.Fields = []pasarela.FieldError{{Field: field, Code: e.Code, Message: message, Params: params}}
	}
	return e
}

// processorChecker returns a gateway's own config check, when it has one.
func (s *Service) processorChecker(id string) (processor.ConfigChecker, bool) {
	proc, _ := s.processors.Get(id)
	c, ok := proc.(processor.ConfigChecker)
	return c, ok
}
