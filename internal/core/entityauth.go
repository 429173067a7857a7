package core

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Kashpay sessions. A user signs in with the entity code of its client, its
// email and its password, and gets a JWT signed with HS512 whose claims are
// what Kashpay's own tokens carry (sub: the email, iat, exp) plus the entity,
// so a request's Entity-i header can be checked against it. The key is kept
// in the database under its own name, so every node accepts every other
// node's tokens, and a token of another kind (a PayREST access token, HS256
// with another key) never opens a Kashpay session.

const entityKeyName = "kashpay-tokens"

// entitySigner holds the session key, read from the database on first use.
// Its zero value is ready; a failed read is tried again on the next use.
type entitySigner struct {
	mu  sync.Mutex
	key []byte
}

func (s *Service) entitySecret(ctx context.Context) ([]byte, error) {
	e := &s.entityKey
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.key != nil {
		return e.key, nil
	}
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		// 64 bytes: HS512's block-sized key.
		e.key, err = tx.SigningKey(ctx, entityKeyName, randomBytes(64), s.now())
		return err
	})
	if err != nil {
		e.key = nil
		return nil, err
	}
	return e.key, nil
}

type entityClaims struct {
	jwt.RegisteredClaims
	Entity string `json:"ent"`
}

// EntitySession is a signed-in Kashpay session.
type EntitySession struct {
	Token   string
	Expires time.Duration // the token's lifetime
}

// EntityLogin checks the credentials of a user of the client whose entity
// code is entity and issues a session token. A wrong entity, an unknown
// email and a wrong password all get the same answer and count as failed
// attempts of the same limiter as every other sign-in.
func (s *Service) EntityLogin(ctx context.Context, entity, email, password, ip string) (*EntitySession, error) {
	entity = strings.ToLower(strings.TrimSpace(entity))
	email = strings.ToLower(strings.TrimSpace(email))
	if entity == "" {
		// Still spend a password check's time: the answer must not tell
		// which part was wrong, nor how fast.
		VerifyPassword(dummyHash, password)
		return nil, errBadLogin
	}
	u, err := s.checkCredentials(ctx, email, password, ip)
	if err != nil {
		return nil, err
	}
	var c *pasarela.Client
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.GetClient(ctx, u.ClientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	// The user name must be the email (Kashpay's "user" is an email), and
	// the user must belong to the entity it names.
	if u.Email != email || c.Code != entity {
		s.logins.failed(email, ip)
		return nil, errBadLogin
	}
	key, err := s.entitySecret(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := s.cfg.EntityTokenTTL
	t := jwt.NewWithClaims(jwt.SigningMethodHS512, entityClaims{Entity: c.Code, RegisteredClaims: jwt.RegisteredClaims{
		Subject: u.Email, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}})
	// Kashpay's tokens have a header of the algorithm alone.
	delete(t.Header, "typ")
	signed, err := t.SignedString(key)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	return &EntitySession{Token: signed, Expires: ttl}, nil
}

// AuthenticateEntityToken checks a Kashpay session token strictly (HS512
// only, signature, expiry by the core's clock, canonical encoding) and
// returns the principal of its user with the entity code of its client. The
// user is read again, so a deleted user's token stops working at once and
// role changes apply to the next request.
func (s *Service) AuthenticateEntityToken(ctx context.Context, token string) (*pasarela.Principal, string, error) {
	key, err := s.entitySecret(ctx)
	if err != nil {
		return nil, "", err
	}
	var c entityClaims
	_, err = jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS512.Alg()}), jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
	if err != nil || c.Subject == "" || c.Entity == "" {
		return nil, "", errBadToken
	}
	var u *pasarela.User
	var client *pasarela.Client
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if u, err = tx.GetUserByLogin(ctx, c.Subject); err != nil {
			return err
		}
		client, err = tx.GetClient(ctx, u.ClientID)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, "", errBadToken
	}
	if err != nil {
		return nil, "", err
	}
	if u.Email != c.Subject || client.Code != c.Entity {
		return nil, "", errBadToken
	}
	return userPrincipal(u), client.Code, nil
}
