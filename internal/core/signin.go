package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Sign-in. The core checks who a user is; what a face hands back for it (an
// OAuth2 token pair, a Kashpay session, a cookie) is the face's own format,
// signed with a secret the core keeps (SigningKey), and checked on every
// request by the face, which then asks the core for the user's principal
// again (UserPrincipal, UserPrincipalByEmail). So a token format lives in one
// package, and every face's sign-in shares one password check, one limiter
// and one answer for every kind of wrong credential.

// Identity is a user who passed a credential check, with the names token
// formats call a user by: the principal (client, user id, roles) for the
// request, and the email and its client's entity code for formats that name
// the user that way (Kashpay's sub and ent).
type Identity struct {
	Principal  *pasarela.Principal
	Email      string
	ClientCode string
}

var (
	errBadLogin    = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_grant", "invalid username or password")
	errLoginsLimit = pasarela.Errorf(pasarela.KindRateLimited, "too_many_attempts", "too many failed sign-ins; try again later")
)

// ErrSecondFactorRequired refuses a password sign-in of a user who has a
// second factor, where the sign-in has no field for a one-time code (the
// API faces' token and session endpoints): the password alone must not be
// worth more there than on the dashboard, which asks for the code.
var ErrSecondFactorRequired = pasarela.Errorf(pasarela.KindUnauthorized, "second_factor_required",
	"this user has a second factor, which this sign-in cannot take: sign in on the dashboard with a one-time code, or use an application key")

// CheckCredentials checks a user's login (user name or email, in any case,
// blanks around it ignored) and password, as the sign-in of a face does from
// the address ip. A wrong password, an unknown user and a disabled one
// take the same time and get the same answer (invalid_grant). Failed
// attempts are limited per login name and per address: past the limit even
// the right password gets too_many_attempts, so a guesser learns nothing
// more. A user with a second factor is refused with
// ErrSecondFactorRequired: no face's password sign-in takes a one-time code
// (the dashboard's sessions ask for it through StartSession and
// CompleteSession).
func (s *Service) CheckCredentials(ctx context.Context, login, password, ip string) (*Identity, error) {
	id, err := s.checkPassword(ctx, login, password, ip)
	if err != nil {
		return nil, err
	}
	if err := s.refuseSecondFactor(ctx, id.Principal); err != nil {
		return nil, err
	}
	return id, nil
}

// refuseSecondFactor answers ErrSecondFactorRequired for a user with a
// confirmed second factor. It runs only once the password passed, so it
// tells nothing to one who does not know it.
func (s *Service) refuseSecondFactor(ctx context.Context, p *pasarela.Principal) error {
	on, err := s.hasSecondFactor(ctx, p)
	if err != nil {
		return err
	}
	if on {
		return ErrSecondFactorRequired
	}
	return nil
}

// hasSecondFactor reports whether a user has a confirmed second factor.
func (s *Service) hasSecondFactor(ctx context.Context, p *pasarela.Principal) (bool, error) {
	var on bool
	err := s.db.View(ctx, func(tx *store.Tx) error {
		t, err := tx.GetTOTP(ctx, p.ClientID, p.UserID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil
		}
		on = err == nil && t.Confirmed
		return err
	})
	return on, err
}

// checkPassword is CheckCredentials without the second factor's rule.
func (s *Service) checkPassword(ctx context.Context, login, password, ip string) (*Identity, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" || password == "" {
		return nil, errBadLogin
	}
	if ok, err := s.logins.allowed(ctx, login, ip); err != nil {
		return nil, err
	} else if !ok {
		return nil, errLoginsLimit
	}
	u, err := s.userByLogin(ctx, login)
	if err != nil {
		return nil, err
	}
	hash := dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	// A disabled user gets the answer of a wrong password, and the attempt
	// counts as a failure: were it not counted, the limiter would let a
	// guesser tell the right password of a disabled user from the others.
	if !VerifyPassword(hash, password) || u == nil || u.DisabledAt != nil {
		s.logins.failed(ctx, login, ip)
		return nil, errBadLogin
	}
	// The client is read only once the password passed, so that a known
	// user with a wrong password costs what an unknown one does.
	var c *pasarela.Client
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.GetClient(ctx, u.ClientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Identity{Principal: userPrincipal(u), Email: u.Email, ClientCode: c.Code}, nil
}

// CheckClientCredentials is CheckCredentials for sign-ins that name the
// client too (Kashpay's entity): the user must sign in by its email and
// belong to the client whose entity code is clientCode (any case, blanks
// ignored). A user of another client, or one named by its user name, gets
// exactly the answer of a wrong password and counts as a failed attempt of
// the same limiter, so the answer never tells which part was wrong.
func (s *Service) CheckClientCredentials(ctx context.Context, clientCode, email, password, ip string) (*Identity, error) {
	clientCode = strings.ToLower(strings.TrimSpace(clientCode))
	email = strings.ToLower(strings.TrimSpace(email))
	if clientCode == "" {
		// Still spend a password check's time: the answer must not tell
		// which part was wrong, nor how fast.
		VerifyPassword(dummyHash(), password)
		return nil, errBadLogin
	}
	id, err := s.checkPassword(ctx, email, password, ip)
	if err != nil {
		return nil, err
	}
	if id.Email != email || id.ClientCode != clientCode {
		s.logins.failed(ctx, email, ip)
		return nil, errBadLogin
	}
	// Only once every part is right, so the answer tells a guesser nothing.
	if err := s.refuseSecondFactor(ctx, id.Principal); err != nil {
		return nil, err
	}
	return id, nil
}

func (s *Service) userByLogin(ctx context.Context, login string) (*pasarela.User, error) {
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.GetUserByLogin(ctx, login)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, nil
	}
	return u, err
}

// UserPrincipal reads a signed-in user again, for a face checking a token
// that names the user by client and id: a user deleted or disabled since
// gets a not-found error (the face answers as for a bad token), and a
// change of roles applies to the next request.
func (s *Service) UserPrincipal(ctx context.Context, clientID string, userID int64) (*pasarela.Principal, error) {
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUser(ctx, clientID, userID); err != nil {
			return err
		}
		u, err = enabled(u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

// UserPrincipalByEmail is UserPrincipal for tokens that name the user by its
// email and its client's entity code, exactly as an Identity gave them. A
// user no longer there, or whose email or client changed, gets a not-found
// error, as does a disabled one.
func (s *Service) UserPrincipalByEmail(ctx context.Context, clientCode, email string) (*pasarela.Principal, error) {
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUserByLogin(ctx, email); err != nil {
			return err
		}
		c, err := tx.GetClient(ctx, u.ClientID)
		if err != nil {
			return err
		}
		// A login matches a user name too; only the email names a user
		// here, and only within the client the token was issued for.
		if u.Email != email || c.Code != clientCode {
			return pasarela.NotFound("user")
		}
		u, err = enabled(u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

func userPrincipal(u *pasarela.User) *pasarela.Principal {
	return &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Username: u.Username, Roles: u.Roles}
}

// loginLimiter counts failed sign-ins per login name and per address; a
// success costs nothing. The counts are kept in the database (migration
// 0015_signin_limits), so that every node of a cluster shares one
// allowance: with per-process counters, N nodes gave a guesser N times the
// guesses. Each key holds a theoretical arrival time (GCRA, the token bucket
// written as one number): a failure moves it one Refill past the later of
// itself and now, and a key is refused while it runs more than burst-1
// refills ahead of now, which is the token bucket of burst failures
// refilling one per Refill. Keys are hashed: neither login names nor
// addresses are kept, and any text may be one.
type loginLimiter struct {
	db      store.DB
	log     *slog.Logger
	perUser int
	perIP   int
	every   time.Duration
	now     func() time.Time
	n       atomic.Uint64 // failures recorded, to sweep now and then
}

func newLoginLimiter(db store.DB, log *slog.Logger, cfg SignInConfig, now func() time.Time) *loginLimiter {
	return &loginLimiter{db: db, log: log, perUser: cfg.FailuresPerUser, perIP: cfg.FailuresPerIP, every: cfg.Refill, now: now}
}

// limitKey is the stored key of a login name or an address.
func limitKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + ":" + value))
	return hex.EncodeToString(sum[:])
}

// allowed reports whether login from ip may try a password: neither has
// used its burst of failures. An error (the database is unreachable) is
// returned as is: the sign-in fails as unavailable rather than unlimited.
func (l *loginLimiter) allowed(ctx context.Context, login, ip string) (bool, error) {
	now := l.now().UnixMicro()
	ok := true
	err := l.db.View(ctx, func(tx *store.Tx) error {
		for _, k := range []struct {
			key   string
			burst int
		}{{limitKey("u", login), l.perUser}, {limitKey("ip", ip), l.perIP}} {
			tat, err := tx.SignInTAT(ctx, k.key)
			if err != nil {
				return err
			}
			if tat-now > int64(k.burst-1)*l.every.Microseconds() {
				ok = false
			}
		}
		return nil
	})
	return ok, err
}

// failed records a failed attempt of login from ip. A failure to record it
// is logged: the caller's answer is a refusal either way.
func (l *loginLimiter) failed(ctx context.Context, login, ip string) {
	now, step := l.now().UnixMicro(), l.every.Microseconds()
	sweep := l.n.Add(1)%256 == 0
	// Counted even when the caller has gone: a guesser must not escape
	// the count by hanging up.
	ctx = context.WithoutCancel(ctx)
	err := l.db.Update(ctx, func(tx *store.Tx) error {
		if err := tx.RecordSignInFailure(ctx, limitKey("u", login), now, step); err != nil {
			return err
		}
		if err := tx.RecordSignInFailure(ctx, limitKey("ip", ip), now, step); err != nil {
			return err
		}
		if sweep {
			_, err := tx.SweepSignInLimits(ctx, now)
			return err
		}
		return nil
	})
	if err != nil && l.log != nil {
		l.log.WarnContext(ctx, "a failed sign-in could not be counted", "err", err)
	}
}
