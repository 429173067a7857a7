package core

import (
	"context"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

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

// CheckCredentials checks a user's login (user name or email, in any case,
// blanks around it ignored) and password, as the sign-in of a face does from
// the address ip. A wrong password and an unknown user take the same time
// and get the same answer (invalid_grant). Failed attempts are limited per
// login name and per address: past the limit even the right password gets
// too_many_attempts, so a guesser learns nothing more.
func (s *Service) CheckCredentials(ctx context.Context, login, password, ip string) (*Identity, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" || password == "" {
		return nil, errBadLogin
	}
	if !s.logins.allowed(login, ip) {
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
	if !VerifyPassword(hash, password) || u == nil {
		s.logins.failed(login, ip)
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
	id, err := s.CheckCredentials(ctx, email, password, ip)
	if err != nil {
		return nil, err
	}
	if id.Email != email || id.ClientCode != clientCode {
		s.logins.failed(email, ip)
		return nil, errBadLogin
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
// that names the user by client and id: a user deleted since gets a
// not-found error (the face answers as for a bad token), and a change of
// roles applies to the next request.
func (s *Service) UserPrincipal(ctx context.Context, clientID string, userID int64) (*pasarela.Principal, error) {
	var u *pasarela.User
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, clientID, userID)
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
// error.
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
		return nil
	})
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

func userPrincipal(u *pasarela.User) *pasarela.Principal {
	return &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Username: u.Username, Roles: u.Roles}
}

// loginLimiter counts failed sign-ins per login name and per address with
// token buckets; a success costs nothing. The state is per process: each
// node of a cluster limits on its own, which bounds guessing to the node
// count times the allowance.
type loginLimiter struct {
	mu      sync.Mutex
	perUser int
	perIP   int
	every   rate.Limit
	now     func() time.Time
	buckets map[string]*rate.Limiter
}

func newLoginLimiter(cfg SignInConfig, now func() time.Time) *loginLimiter {
	return &loginLimiter{perUser: cfg.FailuresPerUser, perIP: cfg.FailuresPerIP, every: rate.Every(cfg.Refill), now: now,
		buckets: make(map[string]*rate.Limiter)}
}

func (l *loginLimiter) bucket(key string, burst int) *rate.Limiter {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) > 100_000 {
			l.sweep()
		}
		b = rate.NewLimiter(l.every, burst)
		l.buckets[key] = b
	}
	return b
}

// sweep forgets buckets that have refilled: they hold no information.
func (l *loginLimiter) sweep() {
	now := l.now()
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(l.buckets, k)
		}
	}
}

func (l *loginLimiter) allowed(login, ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	return l.bucket("u:"+login, l.perUser).TokensAt(now) >= 1 && l.bucket("ip:"+ip, l.perIP).TokensAt(now) >= 1
}

func (l *loginLimiter) failed(login, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.bucket("u:"+login, l.perUser).AllowN(now, 1)
	l.bucket("ip:"+ip, l.perIP).AllowN(now, 1)
}
