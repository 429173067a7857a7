package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/worker"
)

var errHelp = errors.New("help requested")

// Main is the program, built so that tests run it exactly as a person does,
// on port 0: ParseFlags, Run, then Close.
type Main struct {
	Config Config
	stdout io.Writer
	stderr io.Writer

	command string
	// operator command arguments
	name, email, password, code, clientID string
	asJSON                                bool
	benchCfg                              benchConfig
	verify                                verifyConfig
	listen                                listenConfig
	credit                                creditArgs
	dunning                               []time.Duration // serve's parsed --subscription-dunning
	coreConfig                            core.Config     // what the core was built with (tests read it)

	log     *slog.Logger
	db      engine
	svc     *core.Service
	metrics *server.Metrics

	ln      net.Listener
	tlsLn   net.Listener // the HTTPS listener, when one is configured
	tlsCfg  *tls.Config
	debug   *http.Server
	sweeper *worker.Sweeper
	payouts *worker.Payouts
	subs    *worker.Subscriptions
	deliver *worker.Deliverer
	cancel  context.CancelFunc
	served  chan error
	tlsDone chan error // the HTTPS listener's end, when it runs
	// listenerDown is closed when any listener stops serving.
	listenerDown chan struct{}
	closeMu      sync.Once
	closed       error

	// reconciler settles charges and refunds a dead process left in flight.
	reconciler *worker.Reconciler
}

// NewMain returns a program that prints to stdout and logs to stderr.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{stdout: stdout, stderr: stderr}
}

const usage = `usage:
  pasarela serve [--addr 127.0.0.1:8080] [--db sqlite:./pasarela.db | --db postgres://…] [--demo]
                 [--tls-addr 127.0.0.1:8443 --tls-cert FILE --tls-key FILE | --tls-self-signed]
                 [--trusted-proxies CIDR,…] [--webhook-allow-private] [--no-migrate] [--log-format text|json]
  pasarela migrate [--db …]
  pasarela client create --name NAME --email EMAIL --password PASSWORD [--code ENTITY_CODE] [--db …] [--json]
  pasarela app create --client CLIENT_ID --name NAME [--db …] [--json]
  pasarela ledger verify [--db …]
  pasarela balance credit --client CLIENT_ID --currency MXN --amount 1000.00 [--reference REF] [--description TEXT] [--db …] [--json]
  pasarela bench --url http://127.0.0.1:8080 (--key API_KEY --app APP_ID | --bootstrap-db sqlite:PATH)
                 [--duration 10s] [--workers 64] [--rate 0] [--scenario create,get,list]
  pasarela webhook verify --secret whsec_… --id ID --timestamp UNIX --signature "v1,…" [--api-key KEY --hash HEX] [--body FILE]
  pasarela webhook listen [--addr 127.0.0.1:9000] [--secret whsec_…] [--api-key KEY]
Every flag of serve, and --db everywhere, also reads from PASARELA_<FLAG> (e.g. PASARELA_DB, PASARELA_ADDR).`

// ParseFlags reads the command line; environ gives the environment (as
// os.Environ) so that tests set it without touching the process's.
func (m *Main) ParseFlags(args, environ []string) error {
	envMap := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	if err := env.ParseWithOptions(&m.Config, env.Options{Environment: envMap}); err != nil {
		return err
	}
	if len(args) == 0 {
		fmt.Fprintln(m.stderr, usage)
		return errHelp
	}
	m.command = args[0]
	rest := args[1:]
	switch m.command {
	case "client", "app":
		if len(rest) == 0 || rest[0] != "create" {
			return fmt.Errorf("%s: the only subcommand is create\n%s", m.command, usage)
		}
		m.command += " create"
		rest = rest[1:]
	case "ledger":
		if len(rest) == 0 || rest[0] != "verify" {
			return fmt.Errorf("ledger: the only subcommand is verify\n%s", usage)
		}
		m.command += " verify"
		rest = rest[1:]
	case "balance":
		if len(rest) == 0 || rest[0] != "credit" {
			return fmt.Errorf("balance: the only subcommand is credit\n%s", usage)
		}
		m.command += " credit"
		rest = rest[1:]
	case "bench":
		return m.parseBench(rest)
	case "webhook":
		return m.parseWebhook(rest)
	case "serve", "migrate":
	case "help", "-h", "--help":
		fmt.Fprintln(m.stdout, usage)
		return errHelp
	default:
		return fmt.Errorf("unknown command %q\n%s", m.command, usage)
	}
	fs := flag.NewFlagSet("pasarela "+m.command, flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	c := &m.Config
	fs.StringVar(&c.DB, "db", c.DB, "database: sqlite:PATH or postgres://…")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file of the key that encrypts gateway secrets (default: beside the SQLite file, or ./pasarela.key)")
	switch m.command {
	case "serve":
		fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
		fs.BoolVar(&c.Demo, "demo", c.Demo, "create a demo client and application and print their credentials")
		fs.BoolVar(&c.NoMigrate, "no-migrate", c.NoMigrate, "do not migrate the database on start (refuse to start if it needs it)")
		fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated addresses or CIDRs allowed to set X-Forwarded-For/-Proto")
		fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
		fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
		fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body accepted")
		fs.DurationVar(&c.RequestTimeout, "request-timeout", c.RequestTimeout, "deadline of one request")
		fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "how long requests in flight may take to finish on shutdown")
		fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", c.AccessTokenTTL, "lifetime of a user's access token")
		fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL buyers reach the hosted pages at (default: the address served on)")
		fs.Int64Var(&c.FeeBPS, "fee-bps", c.FeeBPS, "platform fee on each capture, in basis points")
		fs.Int64Var(&c.FeeFixed, "fee-fixed", c.FeeFixed, "fixed platform fee on each capture, in minor units")
		fs.StringVar(&c.DebugAddr, "debug-addr", c.DebugAddr, "address for net/http/pprof (off when empty; never expose it)")
		c.payoutFlags(fs)
		fs.DurationVar(&c.SubscriptionInterval, "subscription-interval", c.SubscriptionInterval, "how often the subscription scheduler looks for due cycles")
		fs.DurationVar(&c.ReconcileAfter, "reconcile-after", c.ReconcileAfter, "how long a payment may stay processing before the reconciler asks its processor how it ended")
		fs.StringVar(&c.SubscriptionDunning, "subscription-dunning", c.SubscriptionDunning, "retries of a declined subscription cycle, as increasing offsets after its due date: whole days (3d) or durations (36h), comma-separated")
		fs.StringVar(&c.TLSAddr, "tls-addr", c.TLSAddr, "address of the HTTPS listener (default "+defaultTLSAddr+" when a certificate is given)")
		fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate (chain) of the HTTPS listener")
		fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key of the HTTPS listener")
		fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", c.WebhookAllowPrivate, "let webhooks reach private, loopback and link-local addresses (development and tests)")
		fs.BoolVar(&c.TLSSelfSigned, "tls-self-signed", c.TLSSelfSigned, "serve HTTPS with a self-signed pair made on first start (development); kept at --tls-cert/--tls-key or beside the database")
	case "client create":
		fs.StringVar(&m.name, "name", "", "the client's name")
		fs.StringVar(&m.email, "email", "", "the admin user's email (also its username)")
		fs.StringVar(&m.password, "password", "", "the admin user's password")
		fs.StringVar(&m.code, "code", "", "entity code, e.g. com.cascade (derived from the name when absent)")
		fs.BoolVar(&m.asJSON, "json", false, "print one JSON object")
	case "balance credit":
		m.balanceFlags(fs)
	case "app create":
		fs.StringVar(&m.clientID, "client", "", "the client's id")
		fs.StringVar(&m.name, "name", "", "the application's name")
		fs.BoolVar(&m.asJSON, "json", false, "print one JSON object")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", m.command, fs.Arg(0))
	}
	switch m.command {
	case "serve":
		if m.Config.ReconcileAfter <= 0 {
			return fmt.Errorf("--reconcile-after (PASARELA_RECONCILE_AFTER) %s: must be positive", m.Config.ReconcileAfter)
		}
		if m.Config.SubscriptionInterval <= 0 {
			return fmt.Errorf("--subscription-interval (PASARELA_SUBSCRIPTION_INTERVAL) %s: must be positive", m.Config.SubscriptionInterval)
		}
		d, err := parseDunning(m.Config.SubscriptionDunning)
		if err != nil {
			return err
		}
		m.dunning = d
	case "client create":
		if m.name == "" || m.email == "" || m.password == "" {
			return errors.New("client create: --name, --email and --password are required")
		}
	case "balance credit":
		if err := m.checkBalanceFlags(); err != nil {
			return err
		}
	case "app create":
		if m.clientID == "" || m.name == "" {
			return errors.New("app create: --client and --name are required")
		}
	}
	return nil
}

// engine is what the program needs of a store engine beyond store.DB.
type engine interface {
	store.DB
	Migrate(ctx context.Context) error
	Check(ctx context.Context) error
}

// openDB opens the database the --db setting names: "sqlite:PATH",
// "postgres://…" / "postgresql://…", or a bare path for SQLite.
func openDB(ctx context.Context, dsn string, onCommit func(int, time.Duration)) (engine, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres.Open(ctx, dsn, postgres.Options{OnCommit: onCommit})
	}
	path, ok := sqlitePath(dsn)
	if !ok {
		return nil, fmt.Errorf("--db %q: unknown engine; use sqlite:PATH or postgres://…", dsn)
	}
	if path == "" {
		return nil, errors.New("--db sqlite: needs a file path, as in sqlite:./pasarela.db")
	}
	return sqlite.Open(path, sqlite.Options{OnCommit: onCommit})
}

// sqlitePath returns the file path a --db setting names for SQLite:
// "sqlite:PATH", "sqlite:///abs/path", or a bare path.
func sqlitePath(dsn string) (string, bool) {
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", false
		}
		return u.Host + u.Path, true
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(dsn, "sqlite:"), true
	case strings.Contains(dsn, "://"):
		return "", false
	}
	return dsn, true
}

// Run executes the command. For serve it returns once the server listens;
// Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	if m.command == "bench" {
		return m.runBench(ctx)
	}
	if m.command == "webhook verify" {
		return m.runWebhookVerify()
	}
	if m.command == "webhook listen" {
		return m.runWebhookListen(ctx)
	}
	m.log, err = newLogger(m.stderr, m.Config.LogFormat, m.Config.LogLevel)
	if err != nil {
		return err
	}
	m.metrics = server.NewMetrics()
	m.db, err = openDB(ctx, m.Config.DB, m.metrics.ObserveCommit)
	if err != nil {
		return err
	}
	if m.command == "migrate" {
		if err := m.db.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintln(m.stdout, "database is up to date")
		return nil
	}
	if m.command == "serve" && m.Config.NoMigrate {
		err = m.db.Check(ctx)
	} else {
		err = m.db.Migrate(ctx)
	}
	if err != nil {
		return err
	}
	if m.command == "serve" {
		// Listen first: the public URL defaults to the address served on.
		if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
			return err
		}
		if err := m.listenTLS(); err != nil {
			return err
		}
	}
	key, err := m.Config.secretKey()
	if err != nil {
		return err
	}
	publicURL := m.Config.PublicURL
	if publicURL == "" && m.tlsLn != nil {
		// Buyers type card numbers on the hosted pages: when HTTPS is
		// served, that is where links send them.
		publicURL = "https://" + displayAddr(m.tlsLn.Addr().String())
	} else if publicURL == "" && m.ln != nil {
		publicURL = "http://" + displayAddr(m.ln.Addr().String())
	}
	m.coreConfig = core.Config{
		AccessTokenTTL: m.Config.AccessTokenTTL,
		Processors: processor.NewRegistry(
			sandbox.New(core.ProcessorState(m.db, "sandbox")),
			paypal.New(core.ProcessorState(m.db, "paypal_express_checkout"))),
		SecretKey: key, PublicURL: publicURL, FeeBPS: m.Config.FeeBPS, FeeFixed: m.Config.FeeFixed,
		WebhookAllowPrivate: m.Config.WebhookAllowPrivate,
		PayoutRail:          m.Config.payoutRail(m.db),
		EntityTokenTTL:      m.Config.KashpayTokenTTL,
		SubscriptionDunning: m.dunning, // nil outside serve: the core's default
		ReconcileAfter:      m.Config.ReconcileAfter,
	}
	m.svc, err = core.New(ctx, m.db, m.log, nil, m.coreConfig)
	if err != nil {
		return err
	}
	switch m.command {
	case "client create":
		return m.createClient(ctx)
	case "app create":
		return m.createApp(ctx)
	case "ledger verify":
		return m.verifyLedger(ctx)
	case "balance credit":
		return m.creditBalance(ctx)
	}
	return m.serve(ctx)
}

func (m *Main) serve(ctx context.Context) error {
	proxies, err := transport.ParseProxies(m.Config.TrustedProxies)
	if err != nil {
		return err
	}
	h := server.New(server.Config{MaxBodyBytes: m.Config.MaxBodyBytes, RequestTimeout: m.Config.RequestTimeout,
		TrustedProxies: proxies}, m.svc, m.log, m.metrics)
	if m.Config.Demo {
		if err := m.printDemo(ctx); err != nil {
			return err
		}
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.served = make(chan error, 1)
	m.listenerDown = make(chan struct{})
	var down sync.Once
	listenerEnded := func() { down.Do(func() { close(m.listenerDown) }) }
	go func() {
		err := server.Serve(sctx, m.ln, h, m.log, m.Config.ShutdownGrace)
		listenerEnded()
		m.served <- err
	}()
	if m.tlsLn != nil {
		m.tlsDone = make(chan error, 1)
		go func() {
			err := server.ServeTLS(sctx, m.tlsLn, h, m.log, m.Config.ShutdownGrace, m.tlsCfg)
			listenerEnded()
			m.tlsDone <- err
		}()
		m.log.Info("listening (HTTPS)", "addr", m.tlsLn.Addr().String())
	}
	if m.Config.DebugAddr != "" {
		if err := m.serveDebug(); err != nil {
			return err
		}
	}
	m.sweeper = &worker.Sweeper{Svc: m.svc, Log: m.log}
	m.sweeper.Start(ctx)
	m.payouts = &worker.Payouts{Svc: m.svc, Log: m.log, Interval: m.Config.PayoutInterval}
	m.payouts.Start(ctx)
	// The subscription scheduler may run on every node: a cycle is claimed
	// in a transaction only one of them commits.
	m.subs = &worker.Subscriptions{Svc: m.svc, Log: m.log, Interval: m.Config.SubscriptionInterval}
	m.subs.Start(ctx)
	m.deliver = &worker.Deliverer{Svc: m.svc, Log: m.log, AllowPrivate: m.Config.WebhookAllowPrivate,
		Renderers: server.Renderers(m.coreConfig.PublicURL)}
	m.deliver.Start(context.WithoutCancel(ctx))
	// Money left in flight by a process that died is settled by any node:
	// the core lets one of them settle each payment.
	m.reconciler = &worker.Reconciler{Svc: m.svc, Log: m.log}
	m.reconciler.Start(ctx)
	m.log.Info("listening", "addr", m.ln.Addr().String(), "db", m.db.Engine())
	return nil
}

// Serving reports whether Run started a server that Close must stop.
func (m *Main) Serving() bool { return m.served != nil }

// ListenerDown is closed when a listener stops serving, on shutdown or on
// its own (a failure): either way the process should close and exit rather
// than run its workers with nothing to answer requests.
func (m *Main) ListenerDown() <-chan struct{} { return m.listenerDown }

// URL is the base URL of the running server.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// TLSURL is the base URL of the HTTPS listener, or "" when there is none.
func (m *Main) TLSURL() string {
	if m.tlsLn == nil {
		return ""
	}
	return "https://" + m.tlsLn.Addr().String()
}

// listenTLS opens the HTTPS listener when one is configured, making the
// self-signed pair first if it is asked for and missing.
func (m *Main) listenTLS() error {
	addr, cfg, generated, err := m.Config.tlsSettings(time.Now())
	if err != nil || addr == "" {
		return err
	}
	if generated {
		m.log.Info("made a self-signed TLS certificate for development; clients must trust it (curl -k)")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	m.tlsLn, m.tlsCfg = ln, cfg
	return nil
}

// Close stops the server gracefully (requests in flight finish), then closes
// the database, which commits every write it has acknowledged. It is safe to
// call twice.
func (m *Main) Close() error {
	m.closeMu.Do(func() {
		var errs []error
		if m.cancel != nil {
			m.cancel()
			errs = append(errs, <-m.served)
			if m.tlsDone != nil {
				errs = append(errs, <-m.tlsDone)
			}
		}
		if m.debug != nil {
			m.debug.Close()
		}
		if m.sweeper != nil {
			m.sweeper.Stop()
		}
		if m.reconciler != nil {
			m.reconciler.Stop()
		}
		if m.payouts != nil {
			m.payouts.Stop()
		}
		if m.subs != nil {
			m.subs.Stop() // a charge sent to a processor is settled first
		}
		if m.deliver != nil {
			// Attempts in flight finish and are recorded before the
			// database closes; each is bounded by the attempt timeout.
			m.deliver.Stop()
		}
		if m.cancel == nil && m.ln != nil {
			m.ln.Close() // a serve that failed before serving
		}
		if m.cancel == nil && m.tlsLn != nil {
			m.tlsLn.Close()
		}
		if m.db != nil {
			errs = append(errs, m.db.Close())
		}
		m.closed = errors.Join(errs...)
	})
	return m.closed
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: must be text or json", format)
}

func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
