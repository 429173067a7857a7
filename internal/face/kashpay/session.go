package kashpay

import (
	"context"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
)

// Kashpay sessions. A user signs in with the entity code of its client, its
// email and its password, and gets a JWT signed with HS512 whose claims are
// what Kashpay's own tokens carry (sub: the email, iat, exp) plus the
// entity, so a request's Entity-i header can be checked against it. The key
// is the core's durable secret named "kashpay-tokens", so every node
// accepts every other node's tokens and sessions opened before this format
// moved into the face keep working; a token of another format (a PayREST
// access token: HS256, another key) never opens a session.
const (
	sessionKeyName = "kashpay-tokens"
	sessionKeySize = 64 // HS512's block size, the key size HMAC is built for
)

type sessionClaims struct {
	jwt.RegisteredClaims
	Entity string `json:"ent"`
}

var errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "invalid or expired token")

// signIn checks the credentials of a user of the entity with the core and
// issues a session token. A wrong entity, an unknown email and a wrong
// password all get the core's one answer.
func (f *Face) signIn(ctx context.Context, entity, email, password, ip string) (string, error) {
	id, err := f.svc.CheckClientCredentials(ctx, entity, email, password, ip)
	if err != nil {
		return "", err
	}
	key, err := f.svc.SigningKey(ctx, sessionKeyName, sessionKeySize)
	if err != nil {
		return "", err
	}
	now := f.svc.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS512, sessionClaims{Entity: id.ClientCode, RegisteredClaims: jwt.RegisteredClaims{
		Subject: id.Email, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(f.cfg.TokenTTL)),
	}})
	// Kashpay's tokens have a header of the algorithm alone.
	delete(t.Header, "typ")
	signed, err := t.SignedString(key)
	if err != nil {
		return "", pasarela.Internal(err)
	}
	return signed, nil
}

// authenticateSession checks a session token strictly (HS512 only,
// signature, expiry by the core's clock, canonical encoding) and returns
// the principal of its user, read again through the core so that a deleted
// user's token stops working at once and role changes apply to the next
// request, with the entity code the token names.
func (f *Face) authenticateSession(ctx context.Context, token string) (*pasarela.Principal, string, error) {
	key, err := f.svc.SigningKey(ctx, sessionKeyName, sessionKeySize)
	if err != nil {
		return nil, "", err
	}
	var c sessionClaims
	_, err = jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS512.Alg()}), jwt.WithTimeFunc(f.svc.Now),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding())
	if err != nil || c.Subject == "" || c.Entity == "" {
		return nil, "", errBadToken
	}
	p, err := f.svc.UserPrincipalByEmail(ctx, c.Entity, c.Subject)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, "", errBadToken
	}
	if err != nil {
		return nil, "", err
	}
	return p, c.Entity, nil
}
