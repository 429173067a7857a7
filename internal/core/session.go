package core

import (
	"context"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Sessions. A person signed in to the dashboard holds a session: a random
// token the face keeps in a cookie, which the core stores only as a SHA-256
// hash (as it does user tokens: the token is a long random secret, so a
// fast hash cannot be reversed, and a copy of the database signs nobody
// in). A session ends SessionIdle after its last request, SessionMax after
// it began, on sign-out, and when its user's password changes or the user
// is deleted. Each request reads the user again, so a change of roles
// applies at once.
//
// A user with a second factor (secondfactor.go) first gets a session that
// only admits the code; the right code replaces it by a new, full one, so
// a token seen before the code was given is worth nothing after.

// pendingSessionMax is how long a session waits for its second factor.
const pendingSessionMax = 5 * time.Minute

// sessionTouchEvery is how stale a session's last-seen time may get before
// a request writes it again: a write per page view would put every click
// through the write path for a precision the idle limit does not need.
const sessionTouchEvery = time.Minute

var errBadSession = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_session", "not signed in, or the session has ended")

// SessionStart is the answer to a sign-in: the token to hand the browser,
// and whether the session still waits for the user's second factor.
type SessionStart struct {
	Token        string
	SecondFactor bool
	ExpiresAt    time.Time
}

// Session is a live session: who it is (the principal every core call of
// the request runs as) and whether it waits for a second factor.
type Session struct {
	Principal           *pasarela.Principal
	Email               string
	SecondFactorPending bool
	ExpiresAt           time.Time
}

// StartSession signs a user in from the address ip with a login (user name
// or email) and password, exactly as CheckCredentials checks them (same
// answers, same limits), and starts a session; for a user with a second
// factor, one that waits for the code.
func (s *Service) StartSession(ctx context.Context, login, password, ip string) (*SessionStart, error) {
	id, err := s.checkPassword(ctx, login, password, ip)
	if err != nil {
		return nil, err
	}
	p := id.Principal
	pending, err := s.hasSecondFactor(ctx, p)
	if err != nil {
		return nil, err
	}
	return s.newSession(ctx, p.ClientID, p.UserID, pending)
}

// newSession stores a new session for a user.
func (s *Service) newSession(ctx context.Context, clientID string, userID int64, pending bool) (*SessionStart, error) {
	start, row := s.sessionRow(clientID, userID, pending)
	if err := s.db.Update(ctx, func(tx *store.Tx) error { return s.keepSession(ctx, tx, row) }); err != nil {
		return nil, err
	}
	return start, nil
}

// sessionRow makes a new session's token, which only the answer carries,
// and the row that keeps its hash.
func (s *Service) sessionRow(clientID string, userID int64, pending bool) (*SessionStart, *store.Session) {
	now := s.now()
	token := "ses_" + randomString(43) // 215 random bits
	expires := now.Add(s.cfg.SignIn.SessionMax)
	if pending {
		expires = now.Add(min(pendingSessionMax, s.cfg.SignIn.SessionMax))
	}
	return &SessionStart{Token: token, SecondFactor: pending, ExpiresAt: expires},
		&store.Session{TokenHash: tokenHash(token), ClientID: clientID, UserID: userID,
			SecondFactorPending: pending, CreatedAt: now, LastSeenAt: now, ExpiresAt: expires}
}

// keepSession writes a session's row in tx, and now and then sweeps the
// sessions that have ended.
func (s *Service) keepSession(ctx context.Context, tx *store.Tx, row *store.Session) error {
	if s.sessionsMade.Add(1)%128 == 0 {
		if _, err := tx.SweepSessions(ctx, row.CreatedAt, row.CreatedAt.Add(-s.cfg.SignIn.SessionIdle)); err != nil {
			return err
		}
	}
	return tx.CreateSession(ctx, row)
}

// ResumeSession returns the session of a token. An unknown token, one
// that ended (expired, idle too long, signed out, password changed) and
// one whose user is gone or disabled are the same unauthorized error. A
// session that waits for its second factor is returned with
// SecondFactorPending set: the face must admit nothing but the code.
func (s *Service) ResumeSession(ctx context.Context, token string) (*Session, error) {
	if token == "" || len(token) > 200 {
		return nil, errBadSession
	}
	hash := tokenHash(token)
	now := s.now()
	var row *store.Session
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if row, err = tx.GetSession(ctx, hash); err != nil {
			return err
		}
		if u, err = tx.GetUser(ctx, row.ClientID, row.UserID); err != nil {
			return err
		}
		u, err = enabled(u)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadSession
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(row.ExpiresAt) || now.Sub(row.LastSeenAt) >= s.cfg.SignIn.SessionIdle {
		return nil, errBadSession
	}
	if now.Sub(row.LastSeenAt) >= sessionTouchEvery {
		err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, row.ClientID, hash, now) })
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil, errBadSession // ended meanwhile
		}
		if err != nil {
			return nil, err
		}
	}
	return &Session{Principal: userPrincipal(u), Email: u.Email, SecondFactorPending: row.SecondFactorPending,
		ExpiresAt: row.ExpiresAt}, nil
}

// EndSession signs a session out. Ending a session that has already ended
// is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" || len(token) > 200 {
		return nil
	}
	hash := tokenHash(token)
	return s.db.Update(ctx, func(tx *store.Tx) error {
		row, err := tx.GetSession(ctx, hash)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, row.ClientID, hash); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return err
		}
		return nil // ended meanwhile
	})
}
