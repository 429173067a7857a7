package core

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
)

// Kashpay sessions. A user signs in with the entity code of its client, its
// email and its password, and gets a JWT signed with HS512 whose claims are
// what Kashpay's own tokens carry (sub: the email, iat, exp) plus the entity,
// so a request's Entity-i header can be checked against it. The key is kept
// in the database under its own name, so every node accepts every other
// node's tokens, and a token of another kind (a PayREST access token, HS256
// with another key) never opens a Kashpay session.

const entityKeyName = "kashpay-tokens"

var errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "invalid or expired token")

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
	id, err := s.CheckClientCredentials(ctx, entity, email, password, ip)
	if err != nil {
		return nil, err
	}
	key, err := s.SigningKey(ctx, entityKeyName, 64) // 64 bytes: HS512's block-sized key
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := s.cfg.EntityTokenTTL
	t := jwt.NewWithClaims(jwt.SigningMethodHS512, entityClaims{Entity: id.ClientCode, RegisteredClaims: jwt.RegisteredClaims{
		Subject: id.Email, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
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
	key, err := s.SigningKey(ctx, entityKeyName, 64)
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
	p, err := s.UserPrincipalByEmail(ctx, c.Entity, c.Subject)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, "", errBadToken
	}
	if err != nil {
		return nil, "", err
	}
	return p, c.Entity, nil
}
