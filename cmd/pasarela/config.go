package main

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/pasarela/pasarela/internal/chain"
	chainrpc "github.com/pasarela/pasarela/internal/chain/rpc"
	chainsandbox "github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/engine"
)

// secretKey returns the key that encrypts gateway secrets: from the
// setting, or from the key file, which is created (mode 0600) on first use.
// The file lives beside a SQLite database by default, and never inside it.
func (c *Config) secretKey() ([]byte, error) {
	if c.SecretKey != "" {
		k, ok := engine.DecodeKey(c.SecretKey)
		if !ok {
			return nil, errors.New("PASARELA_SECRET_KEY must be the base64 of 32 bytes")
		}
		return k, nil
	}
	path := engine.KeyFile(c.DB, c.SecretKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		k, ok := engine.DecodeKey(string(b))
		if !ok {
			return nil, fmt.Errorf("secret key file %s must hold the base64 of 32 bytes", path)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k) // never fails since Go 1.24
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, err
	}
	return k, f.Sync()
}

// Config is every setting of the program. Environment variables give the
// defaults; flags override them.
type Config struct {
	Addr           string        `env:"PASARELA_ADDR" envDefault:"127.0.0.1:8080"`
	DB             string        `env:"PASARELA_DB" envDefault:"sqlite:./pasarela.db"`
	Demo           bool          `env:"PASARELA_DEMO"`
	NoMigrate      bool          `env:"PASARELA_NO_MIGRATE"`
	TrustedProxies string        `env:"PASARELA_TRUSTED_PROXIES"`
	LogFormat      string        `env:"PASARELA_LOG_FORMAT" envDefault:"text"`
	LogLevel       string        `env:"PASARELA_LOG_LEVEL" envDefault:"info"`
	MaxBodyBytes   int64         `env:"PASARELA_MAX_BODY_BYTES" envDefault:"1048576"`
	RequestTimeout time.Duration `env:"PASARELA_REQUEST_TIMEOUT" envDefault:"30s"`
	ShutdownGrace  time.Duration `env:"PASARELA_SHUTDOWN_GRACE" envDefault:"30s"`
	// Faces are the APIs to serve, comma-separated (server.Faces); empty
	// serves them all. The hosted pages and operations routes are always
	// served. AccessTokenTTL and KashpayTokenTTL are the faces' own
	// settings: PayREST's access tokens and Kashpay's session tokens.
	Faces           string        `env:"PASARELA_FACES"`
	AccessTokenTTL  time.Duration `env:"PASARELA_ACCESS_TOKEN_TTL" envDefault:"5m"`
	KashpayTokenTTL time.Duration `env:"PASARELA_KASHPAY_TOKEN_TTL" envDefault:"100m"`
	// PublicURL is where buyers reach the hosted pages; by default the
	// address served on.
	PublicURL string `env:"PASARELA_PUBLIC_URL"`
	// SecretKey (base64 of 32 bytes) encrypts gateway secrets at rest; when
	// empty the key is read from (or created in) SecretKeyFile.
	SecretKey string `env:"PASARELA_SECRET_KEY"`
	// PreviousSecretKeys (base64, comma-separated) open values sealed with
	// keys used before SecretKey, while `pasarela secret-key reseal` moves
	// them to it.
	PreviousSecretKeys string `env:"PASARELA_SECRET_KEY_PREVIOUS"`
	SecretKeyFile      string `env:"PASARELA_SECRET_KEY_FILE"`
	FeeBPS             int64  `env:"PASARELA_FEE_BPS" envDefault:"0"`
	FeeFixed           int64  `env:"PASARELA_FEE_FIXED" envDefault:"0"`
	// DebugAddr, when set, serves net/http/pprof there, apart from the
	// public listener, for profiling a server under load.
	DebugAddr string `env:"PASARELA_DEBUG_ADDR"`
	// Payouts (Kashpay SPEI orders): how often the worker asks the SPEI
	// rail about orders in flight, and the simulated rail's schedule.
	PayoutInterval  time.Duration `env:"PASARELA_PAYOUT_INTERVAL" envDefault:"2s"`
	SPEISendAfter   time.Duration `env:"PASARELA_SPEI_SEND_AFTER" envDefault:"10s"`
	SPEISettleAfter time.Duration `env:"PASARELA_SPEI_SETTLE_AFTER" envDefault:"30s"`
	SPEIReturnAfter time.Duration `env:"PASARELA_SPEI_RETURN_AFTER" envDefault:"2m"`
	// SubscriptionInterval is how often the subscription scheduler looks
	// for due cycles; SubscriptionDunning lists when a declined cycle is
	// tried again, as offsets from its due date ("1d,3d,5d").
	SubscriptionInterval time.Duration `env:"PASARELA_SUBSCRIPTION_INTERVAL" envDefault:"1m"`
	SubscriptionDunning  string        `env:"PASARELA_SUBSCRIPTION_DUNNING" envDefault:"1d,3d,5d"`
	// ReconcileAfter is how long a payment may stay processing (a refund
	// pending) before the reconciler settles it as the work of a process
	// that died, asking the processor what happened.
	ReconcileAfter time.Duration `env:"PASARELA_RECONCILE_AFTER" envDefault:"2m"`
	// TLSAddr is where the HTTPS listener serves the same handler, beside
	// the plain one (SekurePay refuses plain HTTP). It needs TLSCert and
	// TLSKey, or TLSSelfSigned; either of those alone defaults it to
	// 127.0.0.1:8443.
	TLSAddr string `env:"PASARELA_TLS_ADDR"`
	TLSCert string `env:"PASARELA_TLS_CERT"`
	TLSKey  string `env:"PASARELA_TLS_KEY"`
	// TLSSelfSigned serves a self-signed pair made on first start (for
	// development), kept at TLSCert/TLSKey when given, else beside the
	// SQLite file (or in the working directory), and reused afterwards.
	TLSSelfSigned bool `env:"PASARELA_TLS_SELF_SIGNED"`
	// WebhookAllowPrivate lets webhooks reach private, loopback and
	// link-local addresses (development and tests).
	WebhookAllowPrivate bool `env:"PASARELA_WEBHOOK_ALLOW_PRIVATE"`
	// Exchange rates: where the daily reference rates come from (the
	// sandbox table by default, so that a demo needs no network; "ecb" for
	// the European Central Bank's feed at RatesURL), how often they are
	// refreshed, and whether the feed may be on a private or loopback
	// address (development and tests).
	RatesSource       string        `env:"PASARELA_RATES_SOURCE" envDefault:"sandbox"`
	RatesURL          string        `env:"PASARELA_RATES_URL" envDefault:"https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml"`
	RatesInterval     time.Duration `env:"PASARELA_RATES_INTERVAL" envDefault:"24h"`
	RatesAllowPrivate bool          `env:"PASARELA_RATES_ALLOW_PRIVATE"`
	// Crypto prices: the exchanges crypto deposits are priced from, in
	// order (exchange 1, 2, …; the sandbox table by default, so that a
	// demo needs no network; "coinbase" for Coinbase's public exchange
	// rates at CryptoRatesURL), how often they are refreshed, and whether
	// Coinbase's URL may be on a private or loopback address (development
	// and tests).
	CryptoRates             string        `env:"PASARELA_CRYPTO_RATES" envDefault:"sandbox"`
	CryptoRatesURL          string        `env:"PASARELA_CRYPTO_RATES_URL" envDefault:"https://api.coinbase.com"`
	CryptoRatesInterval     time.Duration `env:"PASARELA_CRYPTO_RATES_INTERVAL" envDefault:"30s"`
	CryptoRatesAllowPrivate bool          `env:"PASARELA_CRYPTO_RATES_ALLOW_PRIVATE"`
	// SandboxChain serves the simulated chain crypto deposits of configs
	// with chain "sandbox" are paid on (POST /sandbox/chain/…, any
	// application key); DepositInterval is how often the chains are asked
	// about the deposits they watch.
	SandboxChain bool `env:"PASARELA_SANDBOX_CHAIN" envDefault:"true"`
	// OTLPEndpoint, when set, exports OpenTelemetry traces over OTLP/HTTP
	// to this base URL (http://collector:4318); the standard OTEL_EXPORTER_*
	// variables do too. Tracing is off without them.
	OTLPEndpoint       string        `env:"PASARELA_OTLP_ENDPOINT"`
	OTELEndpoint       string        `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTELTracesEndpoint string        `env:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"`
	DepositInterval    time.Duration `env:"PASARELA_DEPOSIT_INTERVAL" envDefault:"10s"`
	// ChainAllowPrivate lets crypto configs with chain "rpc" name a node
	// on a private, loopback or link-local address (rpcUrl). Off by
	// default, as for webhooks: on a gateway shared by merchants, a
	// config must not make it probe the operator's network. An operator
	// whose merchants run their node beside the gateway (the usual
	// single-merchant setup: bitcoind on localhost) turns it on.
	ChainAllowPrivate bool `env:"PASARELA_CHAIN_ALLOW_PRIVATE"`
}

// parseEnv reads the settings from the environment (environ as os.Environ
// gives it); what is not set there keeps its default. Flags override them.
func (c *Config) parseEnv(environ []string) error {
	envMap := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	return env.ParseWithOptions(c, env.Options{Environment: envMap})
}

// databaseFlags are the flags of every command that opens the database:
// which one, and where the key that seals its gateway secrets is.
func (c *Config) databaseFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DB, "db", c.DB, "database: sqlite:PATH or postgres://…")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", c.SecretKeyFile, "file of the key that encrypts gateway secrets (default: beside the SQLite file, or ./pasarela.key)")
}

// coreConfig is the core's configuration over db: serve passes the public
// URL it serves on and the dunning schedule it was given; the operator
// commands, which serve no pages and charge no cycles, pass neither.
func (c *Config) coreConfig(db store.DB, log *slog.Logger, key []byte, publicURL string, dunning []time.Duration) core.Config {
	// Nodes that configs name (chain "rpc", "evm") are always watched; the
	// sandbox chain only when served.
	chains := core.CryptoConfig{Backends: map[string]core.ChainBackend{
		chainrpc.Name:    chainrpc.NewPool(db, time.Now, log, c.ChainAllowPrivate),
		chainrpc.EVMName: chainrpc.NewEVMPool(db, time.Now, log, c.ChainAllowPrivate)}}
	if c.SandboxChain {
		sb := chainsandbox.New(db, time.Now)
		chains.Chains, chains.Sandbox = []chain.Watcher{sb}, sb
	}
	return core.Config{
		Processors:    processor.NewRegistry(c.processors(db)...),
		Crypto:        chains,
		PayoutRail:    c.payoutRail(db),
		SecretKey:     key,
		PublicURL:     publicURL,
		Fees:          core.FeeConfig{BPS: c.FeeBPS, Fixed: c.FeeFixed},
		Recovery:      core.RecoveryConfig{ReconcileAfter: c.ReconcileAfter},
		Webhooks:      core.WebhookConfig{AllowPrivate: c.WebhookAllowPrivate},
		Subscriptions: core.SubscriptionConfig{Dunning: dunning}, // nil: the core's default
	}
}

// processors are the card and wallet processors payments are routed to,
// keeping their state in db.
func (c *Config) processors(db store.DB) []processor.Processor {
	return []processor.Processor{
		sandbox.New(core.ProcessorState(db, "sandbox")),
		paypal.New(core.ProcessorState(db, "paypal_express_checkout")),
		crypto.New(c.ChainAllowPrivate),
	}
}

// tracing reports whether traces are to be exported, and to which OTLP
// endpoint: --otlp-endpoint (PASARELA_OTLP_ENDPOINT), else the standard
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT,
// which the exporter reads itself (fromEnv).
func (c *Config) tracing() (endpoint string, fromEnv bool) {
	return c.OTLPEndpoint, c.OTLPEndpoint == "" && (c.OTELTracesEndpoint != "" || c.OTELEndpoint != "")
}

// faceFlags are serve's settings of the faces: which to serve, and each
// face's own. A face added to the server brings its flags here.
func (c *Config) faceFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Faces, "faces", c.Faces, "comma-separated APIs to serve (default all: "+strings.Join(server.Faces, ",")+")")
	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", c.AccessTokenTTL, "lifetime of a PayREST user's access token")
	fs.DurationVar(&c.KashpayTokenTTL, "kashpay-token-ttl", c.KashpayTokenTTL, "lifetime of a Kashpay session token")
}

// faces returns the faces to serve, checked: a name the server does not
// know is refused here rather than served without.
func (c *Config) faces() ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(c.Faces, ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
			names = append(names, name)
		}
	}
	if err := server.CheckFaces(names); err != nil {
		return nil, fmt.Errorf("--faces (PASARELA_FACES): %w", err)
	}
	return names, nil
}

// payoutFlags are serve's payout settings.
func (c *Config) payoutFlags(fs *flag.FlagSet) {
	fs.DurationVar(&c.PayoutInterval, "payout-interval", c.PayoutInterval, "how often the payout worker asks the SPEI rail about orders in flight")
	fs.DurationVar(&c.SPEISendAfter, "spei-send-after", c.SPEISendAfter, "simulated SPEI: an order is sent (27) this long after it is queued (26)")
	fs.DurationVar(&c.SPEISettleAfter, "spei-settle-after", c.SPEISettleAfter, "simulated SPEI: a sent order is confirmed (29) or rejected (28) this long after")
	fs.DurationVar(&c.SPEIReturnAfter, "spei-return-after", c.SPEIReturnAfter, "simulated SPEI: an order to be returned (amount ending in .11) is returned (11) this long after confirmation")
}

// payoutRail is the SPEI rail payouts travel on: the simulator, keeping its
// orders in the database.
func (c *Config) payoutRail(db store.DB) processor.PayoutRail {
	return spei.New(core.ProcessorState(db, spei.ID), spei.Schedule{Send: c.SPEISendAfter, Settle: c.SPEISettleAfter,
		Return: c.SPEIReturnAfter}, nil)
}

// ratesFlags are serve's exchange rate settings.
func (c *Config) ratesFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.RatesSource, "rates-source", c.RatesSource, "where daily exchange rates come from: sandbox (a fixed table, no network) or ecb (the European Central Bank's feed at --rates-url)")
	fs.StringVar(&c.RatesURL, "rates-url", c.RatesURL, "URL of the ECB's reference rates feed (with --rates-source ecb)")
	fs.DurationVar(&c.RatesInterval, "rates-interval", c.RatesInterval, "how often exchange rates are refreshed (a failed refresh is tried again within the hour)")
	fs.BoolVar(&c.RatesAllowPrivate, "rates-allow-private", c.RatesAllowPrivate, "let --rates-url point to private, loopback and link-local addresses (development and tests)")
}

// rateSource builds the exchange rate source the settings name. The ECB's
// URL is checked here, so that a mistyped or private one stops serve
// before it opens anything.
func (c *Config) rateSource() (rates.Source, error) {
	if c.RatesInterval <= 0 {
		return nil, fmt.Errorf("--rates-interval (PASARELA_RATES_INTERVAL) %s: must be positive", c.RatesInterval)
	}
	switch strings.ToLower(strings.TrimSpace(c.RatesSource)) {
	case rates.SandboxName:
		return rates.NewSandbox(nil), nil
	case rates.ECBName:
		src, err := rates.NewECB(rates.ECBOptions{URL: c.RatesURL, AllowPrivate: c.RatesAllowPrivate})
		if err != nil {
			return nil, fmt.Errorf("--rates-url (PASARELA_RATES_URL): %w", err)
		}
		return src, nil
	}
	return nil, fmt.Errorf("--rates-source (PASARELA_RATES_SOURCE) %q: must be sandbox or ecb", c.RatesSource)
}

// cryptoRatesFlags are serve's crypto price settings.
func (c *Config) cryptoRatesFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.CryptoRates, "crypto-rates", c.CryptoRates, "comma-separated exchanges crypto deposits are priced from, numbered 1, 2, … in this order: sandbox (a fixed, made-up price table for trying the gateway, no network; never for real payments) and coinbase (Coinbase's public exchange rates at --crypto-rates-url)")
	fs.StringVar(&c.CryptoRatesURL, "crypto-rates-url", c.CryptoRatesURL, "base URL of Coinbase's API (with --crypto-rates coinbase)")
	fs.DurationVar(&c.CryptoRatesInterval, "crypto-rates-interval", c.CryptoRatesInterval, "how often crypto prices are refreshed (a failed refresh is tried again at the next one)")
	fs.BoolVar(&c.CryptoRatesAllowPrivate, "crypto-rates-allow-private", c.CryptoRatesAllowPrivate, "let --crypto-rates-url point to private, loopback and link-local addresses (development and tests)")
	fs.BoolVar(&c.SandboxChain, "sandbox-chain", c.SandboxChain, "serve the simulated chain crypto deposits with chain \"sandbox\" are paid on (POST /sandbox/chain/{currency}/send and …/mine, any application API key); turn it off where only real chains are used")
	fs.DurationVar(&c.DepositInterval, "deposit-interval", c.DepositInterval, "how often the chains are asked about the crypto deposits they watch")
	fs.BoolVar(&c.ChainAllowPrivate, "chain-allow-private", c.ChainAllowPrivate, "let crypto configs with chain \"rpc\" name a node on a private or loopback address (a bitcoind beside the gateway); off by default, so that a merchant's config cannot probe the operator's network")
}

// tickers builds the exchanges the settings name, in order. Coinbase's URL
// is checked here, so that a mistyped or private one stops serve before it
// opens anything. The interval must be shorter than the time a price may
// be quoted, or prices would go stale between two refreshes.
func (c *Config) tickers() ([]rates.Ticker, error) {
	validity := core.DefaultCryptoRateValidity
	if c.CryptoRatesInterval <= 0 || c.CryptoRatesInterval >= validity {
		return nil, fmt.Errorf("--crypto-rates-interval (PASARELA_CRYPTO_RATES_INTERVAL) %s: must be positive and shorter than %s, how long a price may be quoted",
			c.CryptoRatesInterval, validity)
	}
	const flagName = "--crypto-rates (PASARELA_CRYPTO_RATES)"
	var out []rates.Ticker
	seen := map[string]bool{}
	for name := range strings.SplitSeq(c.CryptoRates, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("%s names %s twice", flagName, name)
		}
		seen[name] = true
		switch name {
		case rates.SandboxName:
			out = append(out, rates.NewCryptoSandbox(nil))
		case rates.CoinbaseName:
			t, err := rates.NewCoinbase(rates.CoinbaseOptions{URL: c.CryptoRatesURL, AllowPrivate: c.CryptoRatesAllowPrivate})
			if err != nil {
				return nil, fmt.Errorf("--crypto-rates-url (PASARELA_CRYPTO_RATES_URL): %w", err)
			}
			out = append(out, t)
		default:
			return nil, fmt.Errorf("%s %q: each exchange must be sandbox or coinbase", flagName, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty: name one or more exchanges, such as sandbox or coinbase", flagName)
	}
	return out, nil
}

// defaultTLSAddr is where HTTPS listens when a certificate is configured
// without an address.
const defaultTLSAddr = "127.0.0.1:8443"

// tlsSettings returns the TLS listener's address and settings, or an empty
// address when no HTTPS listener is configured. A self-signed pair is made
// (and reported by generated) when it does not exist yet.
func (c *Config) tlsSettings(now time.Time) (addr string, cfg *tls.Config, generated bool, err error) {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return "", nil, false, errors.New("--tls-cert and --tls-key go together: give both files, or neither")
	}
	if c.TLSCert == "" && !c.TLSSelfSigned {
		if c.TLSAddr != "" {
			return "", nil, false, errors.New("--tls-addr needs a certificate: --tls-cert FILE --tls-key FILE, or --tls-self-signed")
		}
		return "", nil, false, nil
	}
	addr = c.TLSAddr
	if addr == "" {
		addr = defaultTLSAddr
	}
	if !c.TLSSelfSigned {
		cfg, err = server.LoadTLS(c.TLSCert, c.TLSKey)
		return addr, cfg, false, err
	}
	certFile, keyFile := c.TLSCert, c.TLSKey
	if certFile == "" {
		base := "pasarela"
		if dbPath, ok := engine.SQLitePath(c.DB); ok {
			base = filepath.Join(filepath.Dir(dbPath), filepath.Base(dbPath))
		}
		certFile, keyFile = base+".tls.crt", base+".tls.key"
	}
	cfg, generated, err = server.SelfSignedTLS(certFile, keyFile, now)
	return addr, cfg, generated, err
}

// parseDunning reads a dunning schedule: comma-separated offsets from a
// cycle's due date, each whole days ("3d") or a Go duration ("36h",
// "90m"). The list must be non-empty, every offset positive, and each later
// than the one before: the core tries them in order, and a retry before an
// earlier one (or on the due date itself) would be a second charge of the
// same attempt.
func parseDunning(s string) ([]time.Duration, error) {
	const flagName = "--subscription-dunning (PASARELA_SUBSCRIPTION_DUNNING)"
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%s is empty: give one or more retry offsets after the due date, such as 1d,3d,5d", flagName)
	}
	var out []time.Duration
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		d, err := parseOffset(item)
		if err != nil {
			return nil, fmt.Errorf("%s: offset %d %q: %w", flagName, i+1, item, err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("%s: offset %d %q must be after the due date (positive)", flagName, i+1, item)
		}
		if i > 0 && d <= out[i-1] {
			return nil, fmt.Errorf("%s: offset %d %q must be later than the one before it (%s): list the retries in increasing order",
				flagName, i+1, item, out[i-1])
		}
		out = append(out, d)
	}
	return out, nil
}

// maxDays is the most whole days a time.Duration holds.
const maxDays = int64(math.MaxInt64 / int64(24*time.Hour))

// parseOffset reads one offset: "Nd" (whole days) or a Go duration.
func parseOffset(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("is empty: write whole days (3d) or a duration (36h)")
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil {
			return 0, errors.New("is not whole days (3d) nor a duration (36h)")
		}
		if n > maxDays || n < -maxDays {
			return 0, errors.New("is too large")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("is not whole days (3d) nor a duration (36h)")
	}
	return d, nil
}
