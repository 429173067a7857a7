package core

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// ApplicationInput is the writable part of an application.
type ApplicationInput struct {
	Name pasarela.Field[string]
	URL  pasarela.Field[string]
	Logo pasarela.Field[string]
}

// NewApplication is an application as created or re-keyed: the only moment
// its API key exists in clear.
type NewApplication struct {
	pasarela.Application
	APIKey string
}

// applicationScope returns the client and, for an application key, the one
// application the caller may see. Application keys may read their own
// application; changing applications needs an admin user.
func applicationScope(ctx context.Context, write bool) (*pasarela.Principal, error) {
	if write {
		return requireUser(ctx, pasarela.RoleAdmin)
	}
	return principal(ctx)
}

// applicationWriter returns the caller if it may change application id. An
// application the caller cannot see is not found, whatever the caller's
// rights, so that another client's (or, for a key, another application's)
// ids answer exactly like ids that do not exist; only an application the
// caller can see is refused as forbidden.
func (s *Service) applicationWriter(ctx context.Context, id int64) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 && p.ApplicationID != id {
		return nil, pasarela.NotFound("application")
	}
	if p.IsUser() && !p.HasRole(pasarela.RoleAdmin) {
		// Only a refusal needs this read: an admin's write finds the row itself.
		err := s.db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.GetApplication(ctx, p.ClientID, id)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return applicationScope(ctx, true)
}

func applyApplication(a *pasarela.Application, in ApplicationInput, replace, create bool) error {
	var v pasarela.Validation
	if create || replace || in.Name.Present {
		checkText(&v, "name", in.Name.Value, true, 200)
		if in.Name.Value != nil {
			a.Name = *in.Name.Value
		}
	}
	if create || replace || in.URL.Present {
		checkURL(&v, "url", in.URL.Value)
		a.URL = emptyToNil(in.URL.Value)
	}
	if create || replace || in.Logo.Present {
		checkURL(&v, "logo", in.Logo.Value)
		a.Logo = emptyToNil(in.Logo.Value)
	}
	return v.Err()
}

// CreateApplication adds an application to the caller's client and returns
// it with its API key, which is shown only this once.
func (s *Service) CreateApplication(ctx context.Context, in ApplicationInput) (*NewApplication, error) {
	p, err := applicationScope(ctx, true)
	if err != nil {
		return nil, err
	}
	return s.createApplication(ctx, p.ClientID, in)
}

// OperatorCreateApplication creates an application for any client. It is for
// the operator's command line, which has no principal.
func (s *Service) OperatorCreateApplication(ctx context.Context, clientID, name string) (*NewApplication, error) {
	return s.createApplication(ctx, clientID, ApplicationInput{Name: pasarela.Set(name)})
}

func (s *Service) createApplication(ctx context.Context, clientID string, in ApplicationInput) (*NewApplication, error) {
	now := s.now()
	key, prefix, hash := newAPIKey()
	a := &NewApplication{APIKey: key, Application: pasarela.Application{ClientID: clientID, ShopLogin: newShopLogin(),
		KeyPrefix: prefix, KeyHash: hash, CreatedAt: now, UpdatedAt: now}}
	if err := applyApplication(&a.Application, in, false, true); err != nil {
		return nil, err
	}
	// The shop login and key prefix are random under unique indexes; a
	// collision (one in 10^8 per existing application for the shop login)
	// is retried with new values rather than shown to a caller who never
	// chose them.
	for attempt := 0; ; attempt++ {
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			if _, err := tx.GetClient(ctx, clientID); err != nil {
				return err
			}
			if err := tx.CreateApplication(ctx, &a.Application); err != nil {
				return err
			}
			return s.keepKey(ctx, tx, clientID, a.ID, a.APIKey)
		})
		if err == nil {
			return a, nil
		}
		collided := store.IsConstraint(err, store.UniqueAppShopLogin) || store.IsConstraint(err, store.UniqueAppKeyPrefix)
		if attempt == 3 || !collided {
			return nil, err
		}
		a.ShopLogin = newShopLogin()
		a.APIKey, a.KeyPrefix, a.KeyHash = newAPIKey()
	}
}

// newShopLogin makes a Gestpay-style shop login ("GESPAY" and 8 digits).
func newShopLogin() string {
	// rand.Int fails only when its reader does, and crypto/rand.Reader
	// never fails since Go 1.24.
	n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
	return fmt.Sprintf("GESPAY%08d", n)
}

// GetApplication returns one of the caller's applications.
func (s *Service) GetApplication(ctx context.Context, id int64) (*pasarela.Application, error) {
	p, err := applicationScope(ctx, false)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 && p.ApplicationID != id {
		return nil, pasarela.NotFound("application")
	}
	var a *pasarela.Application
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.GetApplication(ctx, p.ClientID, id)
		return err
	})
	return a, err
}

// ListApplications returns a page of the caller's applications whose name
// contains name, and their total count.
func (s *Service) ListApplications(ctx context.Context, name string, opts pasarela.ListOptions) ([]pasarela.Application, int, error) {
	p, err := applicationScope(ctx, false)
	if err != nil {
		return nil, 0, err
	}
	if err := checkList(&opts, store.ApplicationSortFields); err != nil {
		return nil, 0, err
	}
	// The filter obeys the rules of the names it searches: a NUL byte would
	// end the pattern early on SQLite (matching every name) and, like
	// invalid UTF-8, is an error on PostgreSQL.
	var v pasarela.Validation
	if checkText(&v, "filter.name", &name, false, 200); v.Err() != nil {
		return nil, 0, v.Err()
	}
	var apps []pasarela.Application
	var total int
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		apps, total, err = tx.ListApplications(ctx, p.ClientID, store.ApplicationFilter{Name: name, ID: p.ApplicationID}, opts)
		return err
	})
	return apps, total, err
}

// UpdateApplication changes an application (PATCH), or replaces its
// writable fields (PUT, replace=true).
func (s *Service) UpdateApplication(ctx context.Context, id int64, in ApplicationInput, replace bool) (*pasarela.Application, error) {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return nil, err
	}
	var a *pasarela.Application
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.GetApplication(ctx, p.ClientID, id); err != nil {
			return err
		}
		if err := applyApplication(a, in, replace, false); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		return tx.UpdateApplication(ctx, a)
	})
	return a, err
}

// DeleteApplication removes an application. Once payments exist, an
// application that has any is refused (it is their owner of record).
func (s *Service) DeleteApplication(ctx context.Context, id int64) error {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return err
	}
	// The deleted application's key must fail from the moment this
	// answers (see readCache); its gateway configs go with it.
	defer s.keys.invalidate()
	defer s.configs.invalidate()
	return s.db.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.CountPayments(ctx, p.ClientID, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return pasarela.Errorf(pasarela.KindInvalid, "has_payments",
				"the application has %d payments and cannot be deleted: it is their owner of record", n)
		}
		return tx.DeleteApplication(ctx, p.ClientID, id)
	})
}

// RecreateKey gives an application a new API key; the old one fails from
// the moment this commits.
func (s *Service) RecreateKey(ctx context.Context, id int64) (*NewApplication, error) {
	p, err := s.applicationWriter(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.recreateKey(ctx, p.ClientID, id)
}

func (s *Service) recreateKey(ctx context.Context, clientID string, id int64) (*NewApplication, error) {
	key, prefix, hash := newAPIKey()
	var a *pasarela.Application
	// The old key must fail from the moment this answers (see readCache);
	// invalidating after the commit, whatever its outcome, guarantees it.
	defer s.keys.invalidate()
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if a, err = tx.GetApplication(ctx, clientID, id); err != nil {
			return err
		}
		a.KeyPrefix, a.KeyHash, a.UpdatedAt = prefix, hash, s.now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return s.keepKey(ctx, tx, clientID, id, key)
	})
	if err != nil {
		return nil, err
	}
	return &NewApplication{Application: *a, APIKey: key}, nil
}

// emptyToNil stores an empty optional text as absent, so that "" and null
// read back the same.
func emptyToNil(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	return p
}
