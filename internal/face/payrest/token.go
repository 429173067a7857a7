package payrest

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
)

// PayREST's user tokens are those of the Keycloak realm its token URL
// names: an OAuth2 pair of an access token and a refresh token, JWTs signed
// with HS256. The key is the core's durable secret named "user-tokens", so
// every node accepts every other node's tokens, and tokens issued before
// this format moved into the face keep working: the name, the claims and
// the checks are unchanged.
const (
	tokenKeyName = "user-tokens"
	tokenKeySize = 32 // HS256's output size, as RFC 7518 §3.2 asks at least
	tokenIssuer  = "pasarela"
)

// Token types, in the typ claim: a refresh token never opens a request and
// an access token is never exchanged for a new pair.
const (
	tokenAccess  = "Bearer"
	tokenRefresh = "Refresh"
)

type tokenClaims struct {
	jwt.RegisteredClaims
	Type     string `json:"typ"`
	ClientID string `json:"cid"`
}

var errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "invalid or expired token")

// login checks a user's credentials with the core and issues a pair.
func (f *Face) login(ctx context.Context, username, password, ip string) (*tokenJSON, error) {
	id, err := f.svc.CheckCredentials(ctx, username, password, ip)
	if err != nil {
		return nil, err
	}
	return f.issue(ctx, id.Principal)
}

// refresh exchanges a refresh token for a new pair.
func (f *Face) refresh(ctx context.Context, refreshToken string) (*tokenJSON, error) {
	p, err := f.parse(ctx, refreshToken, tokenRefresh)
	if err != nil {
		return nil, err
	}
	return f.issue(ctx, p)
}

// authenticateToken returns the principal of a user's access token.
func (f *Face) authenticateToken(ctx context.Context, token string) (*pasarela.Principal, error) {
	return f.parse(ctx, token, tokenAccess)
}

// tokenID is a token's jti: 16 characters of lowercase base32 (80 bits), as
// before, so that two tokens of one user issued in the same second differ.
func tokenID() string { return strings.ToLower(rand.Text()[:16]) }

func (f *Face) issue(ctx context.Context, p *pasarela.Principal) (*tokenJSON, error) {
	key, err := f.svc.SigningKey(ctx, tokenKeyName, tokenKeySize)
	if err != nil {
		return nil, err
	}
	now := f.svc.Now()
	sign := func(typ string, ttl time.Duration) (string, error) {
		c := tokenClaims{Type: typ, ClientID: p.ClientID, RegisteredClaims: jwt.RegisteredClaims{
			Subject: strconv.FormatInt(p.UserID, 10), IssuedAt: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), ID: tokenID(), Issuer: tokenIssuer,
		}}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
	}
	access, err := sign(tokenAccess, f.cfg.AccessTokenTTL)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	refresh, err := sign(tokenRefresh, f.cfg.RefreshTokenTTL)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	return &tokenJSON{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(f.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refresh, RefreshExpiresIn: int(f.cfg.RefreshTokenTTL / time.Second)}, nil
}

// parse checks a token's signature, algorithm, expiry by the core's clock,
// issuer and type, and reads its user again through the core, so that a
// deleted user's tokens stop working at once and role changes apply to the
// next request.
func (f *Face) parse(ctx context.Context, token, typ string) (*pasarela.Principal, error) {
	key, err := f.svc.SigningKey(ctx, tokenKeyName, tokenKeySize)
	if err != nil {
		return nil, err
	}
	var c tokenClaims
	_, err = jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithTimeFunc(f.svc.Now),
		jwt.WithExpirationRequired(), jwt.WithIssuer(tokenIssuer),
		// Strict base64: otherwise the unused low bits of the signature's
		// last character are ignored and one token has several spellings
		// that all pass, so a tampered token would be accepted.
		jwt.WithStrictDecoding())
	if err != nil || c.Type != typ {
		return nil, errBadToken
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return nil, errBadToken
	}
	p, err := f.svc.UserPrincipal(ctx, c.ClientID, id)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadToken
	}
	return p, err
}
