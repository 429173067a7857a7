package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// User tokens. A face whose API hands a signed-in user an opaque token to
// send on every request (xpay's "Authorization: Token <key>") makes the
// token in its own format and asks the core to keep it. The core keeps only
// a SHA-256 hash: a token is a random secret of the face's making, long
// enough that a fast hash cannot be reversed, and a stolen database holds
// nothing that signs in. A token lives until it is revoked (sign-out), the
// user's password changes (every other token goes), or the user is deleted.

var errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "invalid or revoked token")

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// KeepUserToken keeps a token a face made for a user who just signed in.
func (s *Service) KeepUserToken(ctx context.Context, id *Identity, token string) error {
	if id == nil || id.Principal == nil || !id.Principal.IsUser() || token == "" {
		return pasarela.Internal(errBadToken)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.CreateUserToken(ctx, tokenHash(token), id.Principal.ClientID, id.Principal.UserID, s.now())
	})
}

// AuthenticateUserToken returns the principal of the user a kept token was
// made for, read again so that a change of roles applies at once. An
// unknown or revoked token, and one whose user is gone, are the same
// unauthorized error, as is one whose user is disabled (its tokens were
// deleted then; this also covers a token kept in flight meanwhile).
func (s *Service) AuthenticateUserToken(ctx context.Context, token string) (*pasarela.Principal, error) {
	if token == "" {
		return nil, errBadToken
	}
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		clientID, userID, err := tx.UserToken(ctx, tokenHash(token))
		if err != nil {
			return err
		}
		if u, err = tx.GetUser(ctx, clientID, userID); err != nil {
			return err
		}
		u, err = enabled(u)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

// RevokeUserToken revokes the caller's own token (sign-out).
func (s *Service) RevokeUserToken(ctx context.Context, token string) error {
	p, err := requireUser(ctx)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		return tx.DeleteUserToken(ctx, p.ClientID, p.UserID, tokenHash(token))
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return errBadToken
	}
	return err
}

// PasswordChange is a signed-in user's change of its own password.
type PasswordChange struct {
	Old, New, Confirmation *string
	// KeepToken is the token the change was made with: it stays valid,
	// every other token of the user is revoked.
	KeepToken string
	// IP is the caller's address, for the sign-in limiter: a wrong old
	// password counts as a failed sign-in from there.
	IP string
}

// ChangeOwnPassword changes the caller's password after checking the old
// one, the policy (CheckPassword) and the confirmation, reporting every
// broken rule at once under the fields old_password, new_password and
// new_password_confirmation. The user's other tokens are revoked in the
// same transaction: whoever held one no longer signs in with it.
func (s *Service) ChangeOwnPassword(ctx context.Context, in PasswordChange) error {
	p, err := requireUser(ctx)
	if err != nil {
		return err
	}
	var v pasarela.Validation
	present := func(field string, value *string) bool {
		switch {
		case value == nil:
			v.Add(field, PasswordRequired, "is required")
		case *value == "":
			v.Add(field, PasswordEmpty, "may not be empty")
		default:
			return true
		}
		return false
	}
	hasOld := present("old_password", in.Old)
	v.AddError(CheckPassword("new_password", in.New))
	if present("new_password_confirmation", in.Confirmation) && in.New != nil && *in.Confirmation != *in.New {
		v.Add("new_password_confirmation", "password_mismatch", "does not match the new password")
	}
	var u *pasarela.User
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, p.ClientID, p.UserID)
		return err
	}); err != nil {
		return err
	}
	// The old password is checked even when other fields are wrong, so the
	// user learns everything at once; a wrong one counts as a failed
	// sign-in, so the form cannot be used to guess it faster.
	if hasOld {
		if ok, err := s.logins.allowed(ctx, u.Email, in.IP); err != nil {
			return err
		} else if !ok {
			return errLoginsLimit
		}
		if !VerifyPassword(u.PasswordHash, *in.Old) {
			s.logins.failed(ctx, u.Email, in.IP)
			v.Add("old_password", "password_incorrect", "is not the current password")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash := HashPassword(*in.New)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.GetUser(ctx, p.ClientID, p.UserID)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		u.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		keep := ""
		if in.KeepToken != "" {
			keep = tokenHash(in.KeepToken)
		}
		if _, err = tx.DeleteUserTokens(ctx, p.ClientID, p.UserID, keep); err != nil {
			return err
		}
		// Dashboard sessions all go, the one that changed it included: the
		// dashboard signs the user in anew with the new password.
		_, err = tx.DeleteUserSessions(ctx, p.ClientID, p.UserID)
		return err
	})
}
