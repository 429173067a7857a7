package core

import (
	"context"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// The operator's command line has no principal: it acts on whatever
// client it names. The methods here are its only ways in, each scoped to
// the client its arguments name, with the rules the faces' methods keep.

// OperatorAsApplication returns ctx acting as application appID (as its
// API key would), for the operator's reads of that application's
// payments: GetPayment and ListPayments then see exactly what the key
// sees.
func (s *Service) OperatorAsApplication(ctx context.Context, appID int64) (context.Context, error) {
	clientID, err := s.applicationClient(ctx, appID)
	if err != nil {
		return nil, err
	}
	return pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: clientID, ApplicationID: appID}), nil
}

// OperatorRecreateKey gives an application a new API key, as the PayREST
// recreate-key does; the old one fails from the moment this commits.
func (s *Service) OperatorRecreateKey(ctx context.Context, appID int64) (*NewApplication, error) {
	clientID, err := s.applicationClient(ctx, appID)
	if err != nil {
		return nil, err
	}
	return s.recreateKey(ctx, clientID, appID)
}

// OperatorResetPassword sets the password of the user whose username or
// email is login, under the one password policy, and signs the user out
// everywhere (its refresh tokens go), as an admin's change does.
func (s *Service) OperatorResetPassword(ctx context.Context, login, password string) (*pasarela.User, error) {
	in := UserInput{Password: pasarela.Set(password)}
	// Validate and hash outside the write: argon2 must not hold the writer.
	var probe pasarela.User
	if err := applyUser(&probe, in, false, false); err != nil {
		return nil, err
	}
	var u *pasarela.User
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUserByLogin(ctx, login); err != nil {
			return err
		}
		mergeUser(u, &probe, in, false)
		u.UpdatedAt = s.now()
		if _, err := tx.DeleteUserTokens(ctx, u.ClientID, u.ID, ""); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ClientID, u.ID); err != nil {
			return err
		}
		return tx.UpdateUser(ctx, u)
	})
	return u, err
}

// OperationalCounts returns the counts the gateway's metrics show (see
// store.OperationalCounts); it reads every client, for the operator.
func (s *Service) OperationalCounts(ctx context.Context) (*store.OperationalCounts, error) {
	var out *store.OperationalCounts
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.OperationalCounts(ctx)
		return err
	})
	return out, err
}

// applicationClient returns the client an application belongs to.
func (s *Service) applicationClient(ctx context.Context, appID int64) (string, error) {
	var clientID string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		clientID, err = tx.ApplicationClient(ctx, appID)
		return err
	})
	return clientID, err
}
