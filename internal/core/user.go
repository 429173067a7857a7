package core

import (
	"context"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// UserInput is the writable part of a user. For an update, absent fields are
// left alone (PATCH) or cleared (PUT, replace=true); the password is never
// cleared, only changed when present.
type UserInput struct {
	Username  pasarela.Field[string]
	Email     pasarela.Field[string]
	Password  pasarela.Field[string]
	Roles     pasarela.Field[[]pasarela.Role]
	FirstName pasarela.Field[string]
	LastName  pasarela.Field[string]
}

// requireClientAdmin lets through only an admin of clientID. A caller of
// another client is told the client does not exist, so that client ids
// cannot be probed.
func requireClientAdmin(ctx context.Context, clientID string) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if p.ClientID != clientID {
		return pasarela.NotFound("client")
	}
	_, err = requireUser(ctx, pasarela.RoleAdmin)
	return err
}

func checkRoles(v *pasarela.Validation, roles []pasarela.Role) []pasarela.Role {
	out := make([]pasarela.Role, 0, len(roles))
	seen := map[pasarela.Role]bool{}
	for _, r := range roles {
		if !r.Valid() {
			v.Add("roles", "role", "unknown role '"+string(r)+"'; roles are admin, manager, terminal, viewer")
			return nil
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// applyUser validates in and writes it onto u.
func applyUser(u *pasarela.User, in UserInput, replace, create bool) error {
	var v pasarela.Validation
	if create || replace || in.Username.Present {
		u.Username = normalizeUsername(&v, "username", in.Username.Value)
	}
	if create || replace || in.Email.Present {
		u.Email = normalizeEmail(&v, "email", in.Email.Value)
	}
	if create || replace || in.Roles.Present {
		u.Roles = checkRoles(&v, in.Roles.Or(nil))
	}
	for _, f := range []struct {
		name string
		in   pasarela.Field[string]
		dst  **string
	}{{"first_name", in.FirstName, &u.FirstName}, {"last_name", in.LastName, &u.LastName}} {
		if replace || create || f.in.Present {
			checkText(&v, f.name, f.in.Value, false, 100)
			*f.dst = f.in.Value
		}
	}
	if create || in.Password.Present {
		if err := CheckPassword("password", in.Password.Value); !v.AddError(err) && err != nil {
			return err
		}
		if in.Password.Value != nil && v.Err() == nil {
			u.PasswordHash = HashPassword(*in.Password.Value)
		}
	}
	return v.Err()
}

// CreateUser adds a user to a client; only the client's admins manage users.
func (s *Service) CreateUser(ctx context.Context, clientID string, in UserInput) (*pasarela.User, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return nil, err
	}
	now := s.now()
	u := &pasarela.User{ClientID: clientID, UUID: newUUID(), CreatedAt: now, UpdatedAt: now}
	if err := applyUser(u, in, false, true); err != nil {
		return nil, err
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		if err := loginNamesFree(ctx, tx, u); err != nil {
			return err
		}
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns a user of the client.
func (s *Service) GetUser(ctx context.Context, clientID string, id int64) (*pasarela.User, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return nil, err
	}
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, clientID, id)
		return err
	})
	return u, err
}

// ListUsers returns a page of the client's users and their total count.
func (s *Service) ListUsers(ctx context.Context, clientID string, opts pasarela.ListOptions) ([]pasarela.User, int, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return nil, 0, err
	}
	if err := checkList(&opts, store.UserSortFields); err != nil {
		return nil, 0, err
	}
	var users []pasarela.User
	var total int
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		users, total, err = tx.ListUsers(ctx, clientID, opts)
		return err
	})
	return users, total, err
}

// UpdateUser changes a user (PATCH), or replaces its writable fields (PUT,
// replace=true). A client never loses its last admin.
func (s *Service) UpdateUser(ctx context.Context, clientID string, id int64, in UserInput, replace bool) (*pasarela.User, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return nil, err
	}
	// Validate (and hash) outside the write: argon2 must not hold the writer.
	var probe pasarela.User
	if err := applyUser(&probe, in, replace, false); err != nil {
		return nil, err
	}
	var u *pasarela.User
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, clientID, id); err != nil {
			return err
		}
		wasAdmin := hasRole(u.Roles, pasarela.RoleAdmin) && u.DisabledAt == nil
		mergeUser(u, &probe, in, replace)
		u.UpdatedAt = s.now()
		if wasAdmin && !hasRole(u.Roles, pasarela.RoleAdmin) {
			if err := lastAdminCheck(ctx, tx, clientID, "roles"); err != nil {
				return err
			}
		}
		if err := loginNamesFree(ctx, tx, u); err != nil {
			return err
		}
		if in.Password.Present {
			// A password an admin sets replaces what the user signed in
			// with: its tokens and dashboard sessions go too.
			if _, err := tx.DeleteUserTokens(ctx, clientID, id, ""); err != nil {
				return err
			}
			if _, err := tx.DeleteUserSessions(ctx, clientID, id); err != nil {
				return err
			}
		}
		return tx.UpdateUser(ctx, u)
	})
	return u, err
}

// mergeUser copies the fields an update names from the validated probe.
func mergeUser(u, probe *pasarela.User, in UserInput, replace bool) {
	if replace || in.Username.Present {
		u.Username = probe.Username
	}
	if replace || in.Email.Present {
		u.Email = probe.Email
	}
	if replace || in.Roles.Present {
		u.Roles = probe.Roles
	}
	if replace || in.FirstName.Present {
		u.FirstName = probe.FirstName
	}
	if replace || in.LastName.Present {
		u.LastName = probe.LastName
	}
	if in.Password.Present {
		u.PasswordHash = probe.PasswordHash
	}
}

// loginNamesFree refuses a username or email that is already another user's
// sign-in name in either column. Sign-in accepts both (GetUserByLogin) across
// every client, and the unique indexes guard each column only against
// itself, so without this check one client could create a user whose
// username is another client's user's email: sign-in prefers a username
// match, so that user could no longer sign in with its email.
func loginNamesFree(ctx context.Context, tx *store.Tx, u *pasarela.User) error {
	for _, f := range []struct{ field, value string }{{"username", u.Username}, {"email", u.Email}} {
		other, err := tx.GetUserByLogin(ctx, f.value)
		switch {
		case pasarela.ErrorKind(err) == pasarela.KindNotFound:
		case err != nil:
			return err
		case other.ID != u.ID:
			return &pasarela.Error{Kind: pasarela.KindConflict, Code: "already_exists", Field: f.field,
				Message: "already exists",
				Fields:  []pasarela.FieldError{{Field: f.field, Code: "already_exists", Message: "already exists"}}}
		}
	}
	return nil
}

func lastAdminCheck(ctx context.Context, tx *store.Tx, clientID, field string) error {
	n, err := tx.CountAdmins(ctx, clientID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return pasarela.Invalid(field, "last_admin", "a client must keep at least one enabled admin")
	}
	return nil
}

func hasRole(roles []pasarela.Role, want pasarela.Role) bool {
	for _, r := range roles {
		if r == want {
			return true
		}
	}
	return false
}

// DeleteUser removes a user of the client, never its last admin.
func (s *Service) DeleteUser(ctx context.Context, clientID string, id int64) error {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.GetUser(ctx, clientID, id)
		if err != nil {
			return err
		}
		if hasRole(u.Roles, pasarela.RoleAdmin) && u.DisabledAt == nil {
			if err := lastAdminCheck(ctx, tx, clientID, "roles"); err != nil {
				return err
			}
		}
		return tx.DeleteUser(ctx, clientID, id)
	})
}

// SetUserDisabled disables a user of the client (disabled=true) or enables
// it again. A disabled user stays, with everything that names it, but
// signs in nowhere: CheckCredentials refuses it, and its dashboard
// sessions and kept tokens end in the same transaction, so it is signed
// out at once; tokens that carry the user in themselves are refused too,
// since every face reads the user again on each request. A client's last
// enabled admin cannot be disabled, which also keeps an admin from
// locking the client out by disabling itself. Disabling a disabled user,
// or enabling an enabled one, changes nothing.
func (s *Service) SetUserDisabled(ctx context.Context, clientID string, id int64, disabled bool) (*pasarela.User, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return nil, err
	}
	var u *pasarela.User
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, clientID, id); err != nil {
			return err
		}
		if (u.DisabledAt != nil) == disabled {
			return nil
		}
		now := s.now()
		if !disabled {
			u.DisabledAt, u.UpdatedAt = nil, now
			return tx.UpdateUser(ctx, u)
		}
		if hasRole(u.Roles, pasarela.RoleAdmin) {
			if err := lastAdminCheck(ctx, tx, clientID, "disabled"); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteUserTokens(ctx, clientID, id, ""); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, clientID, id); err != nil {
			return err
		}
		u.DisabledAt, u.UpdatedAt = &now, now
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// errUserDisabled stands for a disabled user where a principal is read
// again for a token or a session: the caller answers exactly as for a
// user that is gone.
var errUserDisabled = pasarela.NotFound("user")

// enabled returns u, or errUserDisabled when it is disabled.
func enabled(u *pasarela.User) (*pasarela.User, error) {
	if u.DisabledAt != nil {
		return nil, errUserDisabled
	}
	return u, nil
}
