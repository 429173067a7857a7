package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/face/gestpay"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store/engine"
	"github.com/pasarela/pasarela/internal/telemetry"
	"github.com/pasarela/pasarela/internal/transport"
	"github.com/pasarela/pasarela/internal/worker"
)

// ServeCommand is `pasarela serve`: it reads the server's settings, then
// runs a Main with them until it is told to stop.
type ServeCommand struct {
	output
	Config Config
	// dunning is --subscription-dunning read when the flags are, so that a
	// schedule the scheduler could not follow stops serve before it opens
	// anything.
	dunning []time.Duration
	// rates is the exchange rate source built from the flags, for the
	// same reason.
	rates rates.Source
	// tickers are the crypto price exchanges built from the flags.
	tickers []rates.Ticker
}

// ParseFlags reads the settings from the environment, then the flags,
// which override them.
func (c *ServeCommand) ParseFlags(args, environ []string) error {
	if err := c.Config.parseEnv(environ); err != nil {
		return err
	}
	fs := newFlagSet("serve", c.stderr)
	cfg := &c.Config
	cfg.databaseFlags(fs)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "create a demo client and application and print their credentials")
	fs.BoolVar(&cfg.NoMigrate, "no-migrate", cfg.NoMigrate, "do not migrate the database on start (refuse to start if it needs it)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", cfg.TrustedProxies, "comma-separated addresses or CIDRs allowed to set X-Forwarded-For/-Proto")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest request body accepted")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "deadline of one request")
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", cfg.ShutdownGrace, "how long requests in flight may take to finish on shutdown")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "base URL buyers reach the hosted pages at (default: the address served on)")
	fs.Int64Var(&cfg.FeeBPS, "fee-bps", cfg.FeeBPS, "platform fee on each capture, in basis points")
	fs.Int64Var(&cfg.FeeFixed, "fee-fixed", cfg.FeeFixed, "fixed platform fee on each capture, in minor units")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", cfg.DebugAddr, "address for net/http/pprof (off when empty; never expose it)")
	cfg.faceFlags(fs)
	cfg.payoutFlags(fs)
	cfg.ratesFlags(fs)
	cfg.cryptoRatesFlags(fs)
	fs.DurationVar(&cfg.SubscriptionInterval, "subscription-interval", cfg.SubscriptionInterval, "how often the subscription scheduler looks for due cycles")
	fs.DurationVar(&cfg.ReconcileAfter, "reconcile-after", cfg.ReconcileAfter, "how long a payment may stay processing before the reconciler asks its processor how it ended")
	fs.StringVar(&cfg.SubscriptionDunning, "subscription-dunning", cfg.SubscriptionDunning, "retries of a declined subscription cycle, as increasing offsets after its due date: whole days (3d) or durations (36h), comma-separated")
	fs.StringVar(&cfg.TLSAddr, "tls-addr", cfg.TLSAddr, "address of the HTTPS listener (default "+defaultTLSAddr+" when a certificate is given)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate (chain) of the HTTPS listener")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key of the HTTPS listener")
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", cfg.WebhookAllowPrivate, "let webhooks reach private, loopback and link-local addresses (development and tests)")
	fs.StringVar(&cfg.OTLPEndpoint, "otlp-endpoint", cfg.OTLPEndpoint, "export OpenTelemetry traces over OTLP/HTTP to this URL (http://collector:4318); off by default (OTEL_EXPORTER_OTLP_ENDPOINT also turns it on)")
	fs.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", cfg.TLSSelfSigned, "serve HTTPS with a self-signed pair made on first start (development); kept at --tls-cert/--tls-key or beside the database")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if cfg.ReconcileAfter <= 0 {
		return fmt.Errorf("--reconcile-after (PASARELA_RECONCILE_AFTER) %s: must be positive", cfg.ReconcileAfter)
	}
	if cfg.SubscriptionInterval <= 0 {
		return fmt.Errorf("--subscription-interval (PASARELA_SUBSCRIPTION_INTERVAL) %s: must be positive", cfg.SubscriptionInterval)
	}
	d, err := parseDunning(cfg.SubscriptionDunning)
	if err != nil {
		return err
	}
	c.dunning = d
	if c.rates, err = cfg.rateSource(); err != nil {
		return err
	}
	if c.tickers, err = cfg.tickers(); err != nil {
		return err
	}
	_, err = cfg.faces()
	return err
}

// Run serves until ctx ends or a listener stops serving on its own, then
// shuts the server down gracefully.
func (c *ServeCommand) Run(ctx context.Context) error {
	m := c.newMain()
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	select {
	case <-ctx.Done():
	case <-m.ListenerDown():
		fmt.Fprintln(c.stderr, "pasarela: a listener stopped serving; shutting down")
	}
	return m.Close()
}

// newMain returns the server these settings describe, not yet started.
func (c *ServeCommand) newMain() *Main {
	return &Main{output: c.output, config: c.Config, dunning: c.dunning, rates: c.rates, tickers: c.tickers}
}

// Main is the running server: its listeners, database, core and
// background workers. Tests run it exactly as serve does, on port 0: Run,
// then Close.
type Main struct {
	output
	config  Config
	dunning []time.Duration
	rates   rates.Source
	tickers []rates.Ticker

	log        *slog.Logger
	db         engine.DB
	svc        *core.Service
	metrics    *server.Metrics
	coreConfig core.Config // what the core was built with (tests read it)
	// tracer makes the spans of requests, store and processor calls (a
	// no-op unless an OTLP endpoint is configured); stopTracing flushes it.
	tracer      trace.TracerProvider
	stopTracing func(context.Context) error

	ln       net.Listener
	tlsLn    net.Listener // the HTTPS listener, when one is configured
	tlsCfg   *tls.Config
	debug    *http.Server
	sweeper  *worker.Sweeper
	deposits *worker.DepositWatcher
	payouts  *worker.Payouts
	subs     *worker.Subscriptions
	deliver  *worker.Deliverer
	// renderers are the webhook formats, for the deliverer and the
	// dashboard's delivery log.
	renderers core.Renderers
	// reconciler settles charges and refunds a dead process left in flight.
	reconciler *worker.Reconciler
	// rateWorker refreshes the daily exchange rates.
	rateWorker *worker.Rates
	// cryptoRateWorker refreshes the exchanges' crypto prices.
	cryptoRateWorker *worker.CryptoRates
	cancel           context.CancelFunc
	served           chan error
	tlsDone          chan error // the HTTPS listener's end, when it runs
	// listenerDown is closed when any listener stops serving.
	listenerDown chan struct{}
	closeMu      sync.Once
	closed       error
	// started is set once Run logged the start, so that Close logs the
	// stop of a server that ran, and only of one.
	started   bool
	startedAt time.Time
}

// logStart logs the one line that says a server is up: which build, on
// which engine and schema, listening where.
func (m *Main) logStart(ctx context.Context) {
	b := readBuildInfo()
	listeners := []string{"http://" + m.ln.Addr().String()}
	if m.tlsLn != nil {
		listeners = append(listeners, "https://"+m.tlsLn.Addr().String())
	}
	if m.debug != nil {
		listeners = append(listeners, "debug http://"+m.config.DebugAddr)
	}
	schema, _, _ := m.db.Versions(ctx)
	m.started, m.startedAt = true, time.Now()
	commit := b.Commit
	if commit == "" {
		commit = "unknown" // a build without VCS stamping (go run, -buildvcs=false)
	}
	m.log.Info("pasarela started", "version", b.Version, "commit", commit, "engine", m.db.Engine(), "schema", schema,
		"listeners", listeners, "public_url", m.coreConfig.PublicURL)
}

// Run opens the database, listens and starts the workers; it returns once
// the server listens. Close stops it, also after Run failed.
func (m *Main) Run(ctx context.Context) (err error) {
	m.log, err = newLogger(m.stderr, m.config.LogFormat, m.config.LogLevel)
	if err != nil {
		return err
	}
	m.metrics = server.NewMetrics()
	m.db, err = openDB(ctx, m.config.DB, m.metrics.ObserveCommit)
	if err != nil {
		return err
	}
	if m.config.NoMigrate {
		err = m.db.Check(ctx)
	} else {
		err = m.db.Migrate(ctx)
	}
	if err != nil {
		return err
	}
	// Listen first: the public URL defaults to the address served on.
	if m.ln, err = net.Listen("tcp", m.config.Addr); err != nil {
		return err
	}
	if err := m.listenTLS(); err != nil {
		return err
	}
	key, err := m.config.secretKey()
	if err != nil {
		return err
	}
	m.coreConfig = m.config.coreConfig(m.db, m.log, key, m.publicURL(), m.dunning)
	if err := m.config.withSecretKeys(&m.coreConfig); err != nil {
		return err
	}
	endpoint, fromEnv := m.config.tracing()
	if m.tracer, m.stopTracing, err = telemetry.Setup(ctx, endpoint, fromEnv, readBuildInfo().Version); err != nil {
		return fmt.Errorf("--otlp-endpoint: %w", err)
	}
	m.coreConfig.Processors = processor.NewRegistry(telemetry.Processors(m.config.processors(m.db), m.tracer, m.metrics.ObserveProcessor)...)
	m.coreConfig.Rates.Source = m.rates
	m.coreConfig.CryptoRates.Tickers = m.tickers
	m.svc, err = core.New(ctx, telemetry.DB(m.db, m.tracer), m.log, nil, m.coreConfig)
	if err != nil {
		return err
	}
	// Gestpay's notifications carry result strings signed with the key
	// its face signs them with; it is read (or made) once, here, for the
	// deliverer and the dashboard's delivery log alike.
	gestpayKey, err := gestpay.CryptKey(ctx, m.svc)
	if err != nil {
		return fmt.Errorf("reading the Gestpay signing key: %w", err)
	}
	m.renderers = server.Renderers(m.coreConfig.PublicURL, gestpayKey)
	h, err := m.handler()
	if err != nil {
		return err
	}
	if m.config.Demo {
		if err := m.printDemo(ctx); err != nil {
			return err
		}
	}
	m.serve(ctx, h)
	if m.config.DebugAddr != "" {
		if err := m.serveDebug(); err != nil {
			return err
		}
	}
	if err := m.startWorkers(ctx); err != nil {
		return err
	}
	m.logStart(ctx)
	return nil
}

// publicURL is where buyers reach the hosted pages: the setting, or else
// the address served on.
func (m *Main) publicURL() string {
	switch {
	case m.config.PublicURL != "":
		return m.config.PublicURL
	case m.tlsLn != nil:
		// Buyers type card numbers on the hosted pages: when HTTPS is
		// served, that is where links send them.
		return "https://" + displayAddr(m.tlsLn.Addr().String())
	}
	return "http://" + displayAddr(m.ln.Addr().String())
}

// handler is the gateway's HTTP handler: every face on one mux, behind the
// server's middleware.
func (m *Main) handler() (http.Handler, error) {
	proxies, err := transport.ParseProxies(m.config.TrustedProxies)
	if err != nil {
		return nil, err
	}
	faces, err := m.config.faces()
	if err != nil {
		return nil, err
	}
	return server.New(server.Config{MaxBodyBytes: m.config.MaxBodyBytes, RequestTimeout: m.config.RequestTimeout,
		TrustedProxies: proxies,
		Faces:          faces,
		PayREST:        payrest.Config{AccessTokenTTL: m.config.AccessTokenTTL},
		Kashpay:        kashpay.Config{TokenTTL: m.config.KashpayTokenTTL},
		Tracer:         m.tracer,
		Renderers:      m.renderers,
	}, m.svc, m.log, m.metrics), nil
}

// serve answers requests on the listeners until Close.
func (m *Main) serve(ctx context.Context, h http.Handler) {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.served = make(chan error, 1)
	m.listenerDown = make(chan struct{})
	var down sync.Once
	listenerEnded := func() { down.Do(func() { close(m.listenerDown) }) }
	go func() {
		err := server.Serve(sctx, m.ln, h, m.log, m.config.ShutdownGrace)
		listenerEnded()
		m.served <- err
	}()
	if m.tlsLn != nil {
		m.tlsDone = make(chan error, 1)
		go func() {
			err := server.ServeTLS(sctx, m.tlsLn, h, m.log, m.config.ShutdownGrace, m.tlsCfg)
			listenerEnded()
			m.tlsDone <- err
		}()
	}
}

// startWorkers starts the background services; Close stops them.
func (m *Main) startWorkers(ctx context.Context) error {
	m.sweeper = &worker.Sweeper{Svc: m.svc, Log: m.log}
	m.sweeper.Observer = m.metrics
	m.sweeper.Start(ctx)
	m.payouts = &worker.Payouts{Svc: m.svc, Log: m.log, Interval: m.config.PayoutInterval}
	m.payouts.Observer = m.metrics
	m.payouts.Start(ctx)
	// The subscription scheduler may run on every node: a cycle is claimed
	// in a transaction only one of them commits.
	m.subs = &worker.Subscriptions{Svc: m.svc, Log: m.log, Interval: m.config.SubscriptionInterval}
	m.subs.Observer = m.metrics
	m.subs.Start(ctx)
	// Webhook bodies are rendered at delivery, in each endpoint's format.
	m.deliver = &worker.Deliverer{Svc: m.svc, Log: m.log, AllowPrivate: m.config.WebhookAllowPrivate,
		Renderers: m.renderers, Observer: m.metrics}
	m.deliver.Start(context.WithoutCancel(ctx))
	// Money left in flight by a process that died is settled by any node:
	// the core lets one of them settle each payment.
	// It looks at least as often as a payment may stay in flight, so a
	// short --reconcile-after is honoured rather than rounded up to the
	// default minute.
	m.reconciler = &worker.Reconciler{Svc: m.svc, Log: m.log, Interval: min(time.Minute, m.coreConfig.Recovery.ReconcileAfter)}
	m.reconciler.Observer = m.metrics
	m.reconciler.Start(ctx)
	// Exchange rates are public reference data every node may refresh:
	// a refresh is an upsert of the values the source published.
	m.rateWorker = &worker.Rates{Svc: m.svc, Log: m.log, Interval: m.config.RatesInterval}
	m.rateWorker.Observer = m.metrics
	m.rateWorker.Start(ctx)
	// Any node may watch the chains: each deposit moves in a transaction
	// only one of them commits.
	m.deposits = &worker.DepositWatcher{Svc: m.svc, Log: m.log, Interval: m.config.DepositInterval}
	m.deposits.Observer = m.metrics
	m.deposits.Start(ctx)
	// Crypto prices likewise: every node may refresh them.
	m.cryptoRateWorker = &worker.CryptoRates{Svc: m.svc, Log: m.log, Interval: m.config.CryptoRatesInterval}
	m.cryptoRateWorker.Observer = m.metrics
	m.cryptoRateWorker.Start(ctx)
	return nil
}

// ListenerDown is closed when a listener stops serving, on shutdown or on
// its own (a failure): either way the process should close and exit rather
// than run its workers with nothing to answer requests. It is nil until
// Run has started serving.
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
	addr, cfg, generated, err := m.config.tlsSettings(time.Now())
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
		if m.deposits != nil {
			m.deposits.Stop()
		}
		if m.reconciler != nil {
			m.reconciler.Stop()
		}
		if m.rateWorker != nil {
			m.rateWorker.Stop() // a fetch in progress is abandoned
		}
		if m.cryptoRateWorker != nil {
			m.cryptoRateWorker.Stop() // likewise
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
		if m.stopTracing != nil {
			// The spans of the last requests are sent before the process
			// ends; a collector that is gone costs at most five seconds.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, m.stopTracing(ctx))
			cancel()
		}
		m.closed = errors.Join(errs...)
		if m.started {
			if m.closed != nil {
				m.log.Error("pasarela stopped", "err", m.closed)
			} else {
				m.log.Info("pasarela stopped", "uptime", time.Since(m.startedAt).Round(time.Millisecond).String())
			}
		}
	})
	return m.closed
}
