// Command pasarela-bench drives a running pasarela server over HTTP with the
// vegeta load generator and reports, per scenario, the requests, the share
// answered 2xx, the successful requests per second and exact latency
// percentiles:
//
//	pasarela-bench --url http://127.0.0.1:8080 (--key API_KEY --app APP_ID | --bootstrap-db sqlite:PATH)
//	               [--duration 10s] [--workers 64] [--rate 0] [--scenario create,get,list,health]
//
// It is a command of its own rather than a subcommand of pasarela so that the
// load generator and its dependencies are never part of the gateway's binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caarlos0/env/v11"
)

func main() {
	m := NewMain(os.Stdout, os.Stderr)
	if err := m.ParseFlags(os.Args[1:], os.Environ()); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "pasarela-bench:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pasarela-bench:", err)
		stop()
		os.Exit(1)
	}
}

// Main is the program, built so that tests run it as a person does:
// ParseFlags, then Run.
type Main struct {
	stdout, stderr io.Writer
	cfg            benchConfig
	// keys locate the server's secret key, which --bootstrap-db needs to
	// seal the gateway config it makes.
	keys serverKeys
}

// serverKeys are the server's settings that say where its secret key is.
// They read the same environment variables as the server, so that a shell
// set up for `pasarela serve` bootstraps with the same key.
type serverKeys struct {
	SecretKey     string `env:"PASARELA_SECRET_KEY"`
	SecretKeyFile string `env:"PASARELA_SECRET_KEY_FILE"`
}

// NewMain returns a program that prints its report to stdout and its
// progress to stderr.
func NewMain(stdout, stderr io.Writer) *Main {
	return &Main{stdout: stdout, stderr: stderr}
}

// ParseFlags reads the command line; environ gives the environment (as
// os.Environ) so that tests set it without touching the process's.
func (m *Main) ParseFlags(args, environ []string) error {
	envMap := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	if err := env.ParseWithOptions(&m.keys, env.Options{Environment: envMap}); err != nil {
		return err
	}
	b := &m.cfg
	fs := flag.NewFlagSet("pasarela-bench", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	var scenarios string
	fs.StringVar(&b.url, "url", "http://127.0.0.1:8080", "base URL of a running pasarela server")
	fs.StringVar(&b.key, "key", "", "API key of the application (X-Auth-Token)")
	fs.Int64Var(&b.app, "app", 0, "the application's id")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.Uint64Var(&b.workers, "workers", 64, "concurrent requests (vegeta workers, and their maximum)")
	fs.IntVar(&b.rate, "rate", 0, "requests per second; 0 sends as fast as the workers go (closed loop)")
	fs.StringVar(&scenarios, "scenario", strings.Join(benchScenarios, ","), "comma-separated scenarios: create, get, list, health")
	fs.StringVar(&b.bootstrapDB, "bootstrap-db", "", "sqlite:PATH or postgres://…: create a client, an application and a sandbox gateway config there first (then --key and --app are not needed)")
	fs.StringVar(&m.keys.SecretKeyFile, "secret-key-file", m.keys.SecretKeyFile, "with --bootstrap-db: the server's secret key file (default: beside the SQLite file, or ./pasarela.key)")
	fs.BoolVar(&b.bootstrapOnly, "bootstrap-only", false, "with --bootstrap-db: make the tenant, print `app=ID key=KEY` on stdout and exit without load (for a harness that drives the server with another load generator)")
	fs.IntVar(&b.warmup, "warmup", 500, "payments created before the get scenario, for it to read")
	fs.DurationVar(&b.wait, "wait", 15*time.Second, "how long to wait for the server to answer /readyz")
	fs.DurationVar(&b.timeout, "timeout", 30*time.Second, "timeout of one request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	b.url = strings.TrimRight(b.url, "/")
	if !strings.HasPrefix(b.url, "http://") && !strings.HasPrefix(b.url, "https://") {
		return fmt.Errorf("--url %q must be http://… or https://…", b.url)
	}
	for _, s := range strings.Split(scenarios, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(benchScenarios, s) {
			return fmt.Errorf("unknown scenario %q; known: %s", s, strings.Join(benchScenarios, ", "))
		}
		if !slices.Contains(b.scenarios, s) {
			b.scenarios = append(b.scenarios, s)
		}
	}
	if b.workers == 0 || b.duration <= 0 || b.rate < 0 || b.warmup < 1 {
		return errors.New("--workers, --duration and --warmup must be positive and --rate at least 0")
	}
	if b.bootstrapOnly && b.bootstrapDB == "" {
		return errors.New("--bootstrap-only needs --bootstrap-db")
	}
	if b.bootstrapDB == "" && (b.key == "" || b.app <= 0) {
		return errors.New("--key and --app are required (or --bootstrap-db to create them)")
	}
	return nil
}

// Run bootstraps a tenant if asked, waits for the server, and runs each
// scenario in turn, printing its figures as soon as it ends.
func (m *Main) Run(ctx context.Context) error {
	b := &m.cfg
	client := &http.Client{Timeout: b.timeout}
	// Bootstrap only once the server is ready: it has migrated the database
	// and made its secret key file by then, so the two processes never race
	// to do either.
	if err := b.waitReady(ctx, client); err != nil {
		return err
	}
	if b.bootstrapDB != "" {
		if err := m.bootstrap(ctx); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	if err := b.checkKey(ctx, client); err != nil {
		return err
	}
	if b.bootstrapOnly {
		fmt.Fprintf(m.stdout, "app=%d key=%s\n", b.app, b.key)
		return nil
	}
	rate := "as fast as the workers go"
	if b.rate > 0 {
		rate = strconv.Itoa(b.rate) + " req/s"
	}
	fmt.Fprintf(m.stdout, "pasarela-bench: %s, application %d, %d workers, %s, %s per scenario\n\n",
		b.url, b.app, b.workers, rate, b.duration)
	var failed []string
	for _, s := range b.scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		tr, err := b.targeter(ctx, client, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
		r := b.attack(ctx, s, tr)
		r.print(m.stdout)
		if r.ok == 0 {
			failed = append(failed, s)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("no request succeeded in %s", strings.Join(failed, ", "))
	}
	return nil
}
