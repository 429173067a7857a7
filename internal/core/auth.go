package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// API keys look like "psk_" + 12 characters of lookup prefix + 32 characters
// of secret (160 bits). The prefix finds the row; the SHA-256 of the whole key
// proves it. A fast hash is right here, unlike for passwords: the key is
// random and long, so there is nothing to guess from a stolen hash.
const (
	apiKeyTag       = "psk_"
	apiKeyPrefixLen = len(apiKeyTag) + 12
	apiKeyLen       = apiKeyPrefixLen + 32
)

func newAPIKey() (key, prefix string, hash []byte) {
	key = apiKeyTag + randomString(12) + randomString(32)
	sum := sha256.Sum256([]byte(key))
	return key, key[:apiKeyPrefixLen], sum[:]
}

var errBadKey = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_api_key", "invalid API key")

// AuthenticateKey returns the principal of an application API key.
func (s *Service) AuthenticateKey(ctx context.Context, key string) (*pasarela.Principal, error) {
	if len(key) != apiKeyLen || !strings.HasPrefix(key, apiKeyTag) {
		return nil, errBadKey
	}
	sum := sha256.Sum256([]byte(key))
	if e, ok := s.keys.get(sum); ok {
		return &pasarela.Principal{ClientID: e.clientID, ApplicationID: e.appID}, nil
	}
	gen := s.keys.generation()
	var app *pasarela.Application
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		app, err = tx.GetApplicationByKeyPrefix(ctx, key[:apiKeyPrefixLen])
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(sum[:], app.KeyHash) != 1 {
		return nil, errBadKey
	}
	s.keys.put(sum, gen, keyEntry{clientID: app.ClientID, appID: app.ID})
	return &pasarela.Principal{ClientID: app.ClientID, ApplicationID: app.ID}, nil
}

// keyEntry is what a valid API key opens, cached by the SHA-256 of the
// whole key (see readCache), so a hit proves the caller holds the key as
// much as the stored hash's comparison does. Only what AuthenticateKey
// checks is cached; a new check there (a suspended client, say) must
// invalidate the cache too.
type keyEntry struct {
	clientID string
	appID    int64
}

const tokenKeyName = "user-tokens"

// tokenClaims are the claims of the gateway's signed user tokens (JWT,
// HS256), signed with the durable secret tokenKeyName, so every node of a
// cluster accepts every other node's tokens.
type tokenClaims struct {
	jwt.RegisteredClaims
	Type     string `json:"typ"`
	ClientID string `json:"cid"`
}

const (
	tokenAccess  = "Bearer"
	tokenRefresh = "Refresh"
)

// Tokens is the answer of a sign-in, in OAuth2's terms.
type Tokens struct {
	AccessToken      string
	TokenType        string
	ExpiresIn        int // seconds
	RefreshToken     string
	RefreshExpiresIn int // seconds
}

func (s *Service) issue(ctx context.Context, p *pasarela.Principal) (*Tokens, error) {
	key, err := s.SigningKey(ctx, tokenKeyName, 32)
	if err != nil {
		return nil, err
	}
	now := s.now()
	sign := func(typ string, ttl time.Duration) (string, error) {
		c := tokenClaims{Type: typ, ClientID: p.ClientID, RegisteredClaims: jwt.RegisteredClaims{
			Subject: strconv.FormatInt(p.UserID, 10), IssuedAt: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), ID: randomString(16), Issuer: "pasarela",
		}}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
	}
	access, err := sign(tokenAccess, s.cfg.AccessTokenTTL)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	refresh, err := sign(tokenRefresh, s.cfg.RefreshTokenTTL)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	return &Tokens{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.cfg.AccessTokenTTL / time.Second),
		RefreshToken: refresh, RefreshExpiresIn: int(s.cfg.RefreshTokenTTL / time.Second)}, nil
}

var errBadToken = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_token", "invalid or expired token")

// parse checks a token's signature, algorithm, expiry and type, and reads
// its user again, so that a deleted user's tokens stop working at once and
// role changes apply to the next request.
func (s *Service) parse(ctx context.Context, token, typ string) (*pasarela.Principal, error) {
	key, err := s.SigningKey(ctx, tokenKeyName, 32)
	if err != nil {
		return nil, err
	}
	var c tokenClaims
	_, err = jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(), jwt.WithIssuer("pasarela"),
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
	p, err := s.UserPrincipal(ctx, c.ClientID, id)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadToken
	}
	return p, err
}

// AuthenticateToken returns the principal of a user's access token.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*pasarela.Principal, error) {
	return s.parse(ctx, token, tokenAccess)
}

// Login checks a user's credentials and issues tokens.
func (s *Service) Login(ctx context.Context, login, password, ip string) (*Tokens, error) {
	id, err := s.CheckCredentials(ctx, login, password, ip)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, id.Principal)
}

// Refresh exchanges a refresh token for a new pair of tokens.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	p, err := s.parse(ctx, refreshToken, tokenRefresh)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, p)
}
