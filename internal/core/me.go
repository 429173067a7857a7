package core

import (
	"context"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Me returns the signed-in user and its client, read in one snapshot, for a
// face that shows a user its own profile (xpay's users/). Any role may read
// itself; an application key is not a person and is refused. GetUser and
// GetClient are the admin's and the operator's, so a terminal user needs
// this one.
func (s *Service) Me(ctx context.Context) (*pasarela.User, *pasarela.Client, error) {
	p, err := requireUser(ctx)
	if err != nil {
		return nil, nil, err
	}
	var u *pasarela.User
	var c *pasarela.Client
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, p.ClientID, p.UserID); err != nil {
			return err
		}
		c, err = tx.GetClient(ctx, p.ClientID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return u, c, nil
}
