package core

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

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

// tokenSigner issues and checks the gateway's signed user tokens (JWT,
// HS256) with a secret kept in the database, so every node of a cluster
// accepts every other node's tokens.
type tokenSigner struct{ secret []byte }

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

func (s *Service) issue(u *pasarela.User) (*Tokens, error) {
	now := s.now()
	sign := func(typ string, ttl time.Duration) (string, error) {
		c := tokenClaims{Type: typ, ClientID: u.ClientID, RegisteredClaims: jwt.RegisteredClaims{
			Subject: strconv.FormatInt(u.ID, 10), IssuedAt: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), ID: randomString(16), Issuer: "pasarela",
		}}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.tokens.secret)
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

// parse checks a token's signature, algorithm, expiry and type, and loads
// its user, so that a deleted user's tokens stop working at once and role
// changes apply to the next request.
func (s *Service) parse(ctx context.Context, token, typ string) (*pasarela.User, error) {
	var c tokenClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.tokens.secret, nil },
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
	var u *pasarela.User
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		u, err = tx.GetUser(ctx, c.ClientID, id)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return nil, errBadToken
	}
	return u, err
}

// AuthenticateToken returns the principal of a user's access token.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*pasarela.Principal, error) {
	u, err := s.parse(ctx, token, tokenAccess)
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

func userPrincipal(u *pasarela.User) *pasarela.Principal {
	return &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Username: u.Username, Roles: u.Roles}
}

var (
	errBadLogin    = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_grant", "invalid username or password")
	errLoginsLimit = pasarela.Errorf(pasarela.KindRateLimited, "too_many_attempts", "too many failed sign-ins; try again later")
)

// Login checks a user's credentials and issues tokens.
func (s *Service) Login(ctx context.Context, login, password, ip string) (*Tokens, error) {
	u, err := s.checkCredentials(ctx, login, password, ip)
	if err != nil {
		return nil, err
	}
	return s.issue(u)
}

// checkCredentials is the one sign-in check of every face. A wrong password
// and an unknown user take the same time and give the same answer. Failed
// attempts are limited per login name and per address.
func (s *Service) checkCredentials(ctx context.Context, login, password, ip string) (*pasarela.User, error) {
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
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	if !VerifyPassword(hash, password) || u == nil {
		s.logins.failed(login, ip)
		return nil, errBadLogin
	}
	return u, nil
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

// Refresh exchanges a refresh token for a new pair of tokens.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	u, err := s.parse(ctx, refreshToken, tokenRefresh)
	if err != nil {
		return nil, err
	}
	return s.issue(u)
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

func newLoginLimiter(perUser, perIP int, refill time.Duration, now func() time.Time) *loginLimiter {
	return &loginLimiter{perUser: perUser, perIP: perIP, every: rate.Every(refill), now: now,
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
