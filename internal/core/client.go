package core

import (
	"context"
	"regexp"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store"
)

// ClientInput is what an operator gives to register a merchant: the client
// and its first admin user, whose username is its email.
type ClientInput struct {
	Name     string
	Email    string
	Password string
	Code     string // optional; derived from the name when empty
}

var codePattern = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)

// deriveCode turns a name into an entity code in the "com.cascade" style.
func deriveCode(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "client"
	}
	if len(slug) > 40 {
		slug = strings.Trim(slug[:40], "-")
	}
	return "com." + slug
}

// CreateClient registers a client with its admin user. It is for the
// operator's command line, which has no principal. When the code was derived
// from the name and is taken, a random suffix makes it unique; an explicit
// code that is taken is a conflict.
func (s *Service) CreateClient(ctx context.Context, in ClientInput) (*pasarela.Client, *pasarela.User, error) {
	var v pasarela.Validation
	name := strings.TrimSpace(in.Name)
	checkText(&v, "name", &name, true, 200)
	email := normalizeEmail(&v, "email", &in.Email)
	v.AddError(CheckPassword("password", &in.Password))
	code, derived := strings.ToLower(strings.TrimSpace(in.Code)), false
	if code == "" {
		code, derived = deriveCode(name), true
	} else if !codePattern.MatchString(code) || len(code) > 64 {
		v.Add("code", "format", "must be lowercase letters and digits separated by dots or dashes, like com.cascade")
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	hash := HashPassword(in.Password)
	now := s.now()
	c := &pasarela.Client{ID: newUUID(), Name: name, Email: email, Code: code, Status: pasarela.ClientActive,
		CreatedAt: now, UpdatedAt: now}
	u := &pasarela.User{UUID: newUUID(), ClientID: c.ID, Username: email, Email: email,
		Roles: []pasarela.Role{pasarela.RoleAdmin}, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var err error
	for attempt := 0; ; attempt++ {
		err = s.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
			return tx.CreateUser(ctx, u)
		})
		if err == nil || !derived || attempt == 5 || !store.IsConstraint(err, store.UniqueClientCode) {
			break
		}
		c.Code = code + "-" + randomString(4)
	}
	if err != nil {
		return nil, nil, err
	}
	return c, u, nil
}

// GetClient returns a client by id, for the operator's command line.
func (s *Service) GetClient(ctx context.Context, id string) (*pasarela.Client, error) {
	var c *pasarela.Client
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.GetClient(ctx, id)
		return err
	})
	return c, err
}

// The demo client is found again by its code on every start.
const (
	demoCode  = "com.pasarela-demo"
	demoEmail = "demo@pasarela.test"
)

// Demo is what `serve --demo` prints.
type Demo struct {
	Client      *pasarela.Client
	User        *pasarela.User
	Password    string
	Application *NewApplication
	// GatewayConfig is the demo application's sandbox config, made with it.
	GatewayConfig *pasarela.GatewayConfig
	Created       bool // false when the demo client existed already
}

// EnsureDemo creates the demo client, its admin and an application with a
// sandbox gateway config once.
// Secrets exist in clear only when made, so every start gives the demo user
// a new password and the demo application a new key, and prints them: the
// printed commands always work, and nothing is ever stored in clear.
func (s *Service) EnsureDemo(ctx context.Context) (*Demo, error) {
	password := "Demo-" + randomString(10) + "7!A"
	d := &Demo{Password: password}
	var existing *pasarela.Client
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		existing, err = tx.GetClientByCode(ctx, demoCode)
		return err
	})
	switch {
	case pasarela.ErrorKind(err) == pasarela.KindNotFound:
		c, u, err := s.CreateClient(ctx, ClientInput{Name: "Demo Shop", Email: demoEmail, Password: password, Code: demoCode})
		if err != nil {
			return nil, err
		}
		app, err := s.OperatorCreateApplication(ctx, c.ID, "Demo Shop web")
		if err != nil {
			return nil, err
		}
		if _, ok := s.processors.Get("sandbox"); ok {
			if d.GatewayConfig, err = s.createGatewayConfig(ctx, c.ID, app.ID, GatewayConfigInput{
				Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("Sandbox cards")}); err != nil {
				return nil, err
			}
		}
		d.Client, d.User, d.Application, d.Created = c, u, app, true
		return d, s.ensureDemoCrypto(ctx, c.ID, app.ID)
	case err != nil:
		return nil, err
	}
	d.Client = existing
	hash := HashPassword(password)
	var appID int64
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.GetUserByLogin(ctx, demoEmail)
		if err != nil {
			return err
		}
		u.PasswordHash, u.UpdatedAt = hash, s.now()
		d.User = u
		apps, _, err := tx.ListApplications(ctx, existing.ID, store.ApplicationFilter{}, pasarela.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		if len(apps) == 0 {
			return pasarela.NotFound("demo application")
		}
		appID = apps[0].ID
		// The renewed password ends the dashboard sessions of the last run.
		if _, err := tx.DeleteUserSessions(ctx, u.ClientID, u.ID); err != nil {
			return err
		}
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	if d.Application, err = s.recreateKey(ctx, existing.ID, appID); err != nil {
		return nil, err
	}
	return d, s.ensureDemoCrypto(ctx, existing.ID, appID)
}

// DemoXpub is the demo's key for crypto deposits: account 0 of BIP84's
// published test mnemonic ("abandon … about"), whose private key everyone
// knows. It is only ever paid on the sandbox chain.
const DemoXpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

// ensureDemoCrypto gives the demo application a crypto config on the
// sandbox chain, when the gateway serves one and the demo has none yet (a
// demo made before crypto deposits existed gets one on its next start).
func (s *Service) ensureDemoCrypto(ctx context.Context, clientID string, appID int64) error {
	if _, ok := s.processors.Get(crypto.GatewayID); !ok || s.cfg.Crypto.Sandbox == nil {
		return nil
	}
	var rows []store.GatewayConfigRow
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.ClientGatewayConfigs(ctx, clientID, appID, crypto.GatewayID)
		return err
	}); err != nil || len(rows) > 0 {
		return err
	}
	_, err := s.createGatewayConfig(ctx, clientID, appID, GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
		Name: pasarela.Set("Sandbox crypto"), Config: pasarela.Set(map[string]any{"network": "mainnet",
			"chain": s.cfg.Crypto.Sandbox.Name(), crypto.KeyOption("BTC"): DemoXpub})})
	return err
}
