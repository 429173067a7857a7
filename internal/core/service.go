// Package core holds the business rules of the gateway, once: every face
// authenticates its caller, translates its wire format, and calls a Service
// method here. The core never knows which face called it.
package core

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// Config holds the core's settings; the zero value gives the defaults.
//
// The fields at the top are what the core is wired to and what identifies a
// deployment: the processors and the rail money moves through, the key that
// seals secrets, the URL buyers are sent to. Every other setting sits in the
// group of the one concern it tunes (sign-in limits, fees, recovery from lost
// answers and dead processes, webhooks, subscriptions, exchange rates, crypto prices), each
// group with its own defaults, so a setting is found by what it is about
// and a group can be passed around or changed without touching the others.
// What belongs to one API's wire format (token formats and lifetimes, mount
// paths) is not here: each face has its own Config.
type Config struct {
	// Processors is the catalog of processors payments can be routed to.
	Processors *processor.Registry
	// RoutingSeed makes routing among Processors deterministic (tests); 0
	// seeds randomly.
	RoutingSeed uint64
	// PayoutRail carries payouts (Kashpay SPEI orders); without one,
	// payouts are refused as unavailable.
	PayoutRail processor.PayoutRail
	// SecretKey (32 bytes) encrypts gateway secrets at rest. Without one a
	// random key is used, and secrets stored in an earlier run cannot be
	// read: fine for tests, never for production (the command line keeps a
	// key file).
	SecretKey []byte
	// OtherSecretKeys open values sealed with another key than SecretKey
	// (never seal): the key a rotation is moving to or has moved from, so
	// that every value stays readable while some rows are sealed with the
	// old key and some with the new (see Reseal).
	OtherSecretKeys [][]byte
	// ReloadSecretKeys, when set, is asked for the keys anew when a value
	// opens with none of those known, so that a server keeps reading the
	// rows an operator's rotation re-seals while it runs. It returns the
	// sealing key and the others, as SecretKey and OtherSecretKeys.
	ReloadSecretKeys func() (key []byte, others [][]byte, err error)
	// PublicURL is the base URL buyers reach the hosted pages at.
	PublicURL string

	SignIn        SignInConfig
	Fees          FeeConfig
	Recovery      RecoveryConfig
	Webhooks      WebhookConfig
	Subscriptions SubscriptionConfig
	Rates         RateConfig
	CryptoRates   CryptoRateConfig
	Crypto        CryptoConfig
}

// SignInConfig limits failed sign-ins, the same for every face: the failures
// allowed in a burst before further attempts are refused, per login name and
// per address; the allowance refills at one per Refill. It also bounds the
// dashboard's sessions: one ends after SessionIdle without a request, and
// SessionMax after it began whatever its use.
type SignInConfig struct {
	FailuresPerUser int           // default 5
	FailuresPerIP   int           // default 20
	Refill          time.Duration // default 12 s
	SessionIdle     time.Duration // default 30 min
	SessionMax      time.Duration // default 12 h
}

func (c *SignInConfig) defaults() {
	if c.FailuresPerUser <= 0 {
		c.FailuresPerUser = 5
	}
	if c.FailuresPerIP <= 0 {
		c.FailuresPerIP = 20
	}
	if c.Refill <= 0 {
		c.Refill = 12 * time.Second
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 30 * time.Minute
	}
	if c.SessionMax <= 0 {
		c.SessionMax = 12 * time.Hour
	}
}

// FeeConfig is the platform's fee on each capture, posted to the platform
// fee account: BPS basis points of the amount plus Fixed minor units. The
// zero value charges nothing.
type FeeConfig struct {
	BPS   int64
	Fixed int64
}

// RecoveryConfig is how the gateway makes up for answers lost on the way
// and for processes that died in the middle of a money movement.
type RecoveryConfig struct {
	// IdempotencyTTL is how long a creating request's answer is replayed
	// (default and minimum 24 h).
	IdempotencyTTL time.Duration
	// ReconcileAfter is how long a payment may stay processing (and a
	// refund pending) before Reconcile takes it for the work of a process
	// that died (default 2 minutes): a live process settles long before,
	// its processor calls time out in well under a minute.
	ReconcileAfter time.Duration
}

func (c *RecoveryConfig) defaults() {
	if c.IdempotencyTTL < 24*time.Hour {
		c.IdempotencyTTL = 24 * time.Hour
	}
	if c.ReconcileAfter <= 0 {
		c.ReconcileAfter = 2 * time.Minute
	}
}

// WebhookConfig shapes webhook targets and deliveries.
type WebhookConfig struct {
	// AllowPrivate lets webhook targets be private, loopback and
	// link-local addresses (development and tests); by default they are
	// refused when created and again when connected to.
	AllowPrivate bool
	// MaxAge is how long a failing delivery is retried before it ends dead
	// (default and minimum 72 h); BackoffBase and BackoffCap shape the
	// delays between attempts (default 10 s doubling up to 4 h, jittered).
	MaxAge      time.Duration
	BackoffBase time.Duration
	BackoffCap  time.Duration
}

func (c *WebhookConfig) defaults() {
	if c.MaxAge < defaultWebhookMaxAge {
		c.MaxAge = defaultWebhookMaxAge
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = defaultBackoffBase
	}
	if c.BackoffCap < c.BackoffBase {
		c.BackoffCap = max(defaultBackoffCap, c.BackoffBase)
	}
}

// SubscriptionConfig shapes the charging of subscription cycles.
type SubscriptionConfig struct {
	// Dunning are the retries of a declined subscription charge, as offsets
	// from the cycle's due date (default 1, 3 and 5 days); when they are
	// spent the subscription becomes unpaid.
	Dunning []time.Duration
	// Lease is how long a claimed subscription charge may be in flight
	// before another scheduler looks at it again (default 10 min).
	Lease time.Duration
}

func (c *SubscriptionConfig) defaults() {
	if c.Dunning == nil {
		c.Dunning = []time.Duration{24 * time.Hour, 72 * time.Hour, 120 * time.Hour}
	}
	if c.Lease <= 0 {
		c.Lease = 10 * time.Minute
	}
}

func (c *Config) defaults() {
	if c.Processors == nil {
		c.Processors = processor.NewRegistry()
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.SignIn.defaults()
	c.Recovery.defaults()
	c.Webhooks.defaults()
	c.Subscriptions.defaults()
	c.CryptoRates.defaults()
	c.Crypto.defaults()
}

// Service is the core. It is safe for concurrent use.
type Service struct {
	db     store.DB
	log    *slog.Logger
	now    func() time.Time
	cfg    Config
	logins *loginLimiter
	// sessionsMade counts dashboard sessions started, to sweep ended ones
	// now and then (session.go).
	sessionsMade atomic.Uint64

	processors *processor.Registry
	sealer     *sealer
	router     *router
	// keys caches authenticated API keys and configs each application's
	// gateway configs; nil (no cache) unless this process is the only one
	// that changes them (see readCache).
	keys    *readCache[[32]byte, keyEntry]
	configs *readCache[appRef, []store.GatewayConfigRow]
	// payments caches payment details by id for application keys (see
	// GetPayment); nil unless the engine tells which payments each commit
	// changed (store.DB's WatchPayments).
	payments *readCache[int64, *PaymentDetail]
	// secrets caches the named signing secrets faces sign their tokens
	// with (signingkey.go).
	secrets signingKeys
	// events wakes this process's delivery workers when events commit (event.go).
	events eventHub
	// gapWarnings counts deposits created past the wallets' gap limit
	// (deposit.go), for the metrics.
	gapWarnings atomic.Int64
	// chainErrors is the last error each chain watcher answered, so that
	// a node down is logged when it goes down and when it comes back,
	// not at every look.
	chainErrors chainErrors
}

// New builds the core on an open, migrated database. now is the clock (tests
// move it); nil means time.Now.
func New(ctx context.Context, db store.DB, log *slog.Logger, now func() time.Time, cfg Config) (*Service, error) {
	if now == nil {
		now = time.Now
	}
	cfg.defaults()
	if err := cfg.CryptoRates.check(); err != nil {
		return nil, err
	}
	// Times are kept to the microsecond, as both engines store them, so that
	// an answer shows exactly what a later read will.
	s := &Service{db: db, log: log, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }, cfg: cfg}
	s.db = notifyDB{DB: db, hub: &s.events}
	s.processors = cfg.Processors
	key := cfg.SecretKey
	if key == nil {
		key = randomBytes(32)
	}
	var err error
	if s.sealer, err = newSealer(key, cfg.OtherSecretKeys...); err != nil {
		return nil, err
	}
	s.sealer.reload = cfg.ReloadSecretKeys
	s.router = newRouter(cfg.RoutingSeed)
	if db.Engine() == "sqlite" {
		s.keys = newReadCache[[32]byte, keyEntry](time.Minute, s.now)
		s.configs = newReadCache[appRef, []store.GatewayConfigRow](time.Minute, s.now)
	}
	// Payments change often, so the TTL, which only bounds what a change
	// made behind the server's back could leave, is short.
	payments := newReadCache[int64, *PaymentDetail](30*time.Second, s.now)
	if db.WatchPayments(func(ids []int64, all bool) {
		if all {
			payments.invalidate()
		} else {
			payments.forget(ids...)
		}
	}) {
		s.payments = payments
	}
	s.logins = newLoginLimiter(db, log, cfg.SignIn, s.now)
	return s, nil
}

// Now is the core's clock, for faces that show time-dependent states and
// check the expiry of their own tokens: tests move it, and every node reads
// the same one.
func (s *Service) Now() time.Time { return s.now() }

// Ready reports whether the database answers.
func (s *Service) Ready(ctx context.Context) error { return s.db.Ping(ctx) }

// principal returns the caller or an unauthorized error: a face that forgot
// to authenticate fails closed.
func principal(ctx context.Context) (*pasarela.Principal, error) {
	p := pasarela.PrincipalFrom(ctx)
	if p == nil || p.ClientID == "" {
		return nil, pasarela.Errorf(pasarela.KindUnauthorized, "unauthenticated", "authentication required")
	}
	return p, nil
}

// requireUser returns the caller if it is a user holding one of roles.
// Application keys act for an integration, not a person, so they are refused
// by routes that manage people or the client itself.
func requireUser(ctx context.Context, roles ...pasarela.Role) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsUser() {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "user_required", "this operation needs a user's token, not an application key")
	}
	if len(roles) > 0 && !p.HasRole(roles...) {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "role_required", "this operation needs the role %s", rolesText(roles))
	}
	return p, nil
}

func rolesText(roles []pasarela.Role) string {
	s := ""
	for i, r := range roles {
		if i > 0 {
			s += " or "
		}
		s += string(r)
	}
	return s
}

// requireApplication returns the caller if it is an application key:
// operator tools of a test environment act for an integration.
func requireApplication(ctx context.Context) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID == 0 {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "application_required", "this operation needs an application's API key")
	}
	return p, nil
}
