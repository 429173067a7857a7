package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/pasarela/pasarela/internal/store/engine"
)

// Command is one of the program's commands, each with its own flags.
// ParseFlags reads them and the environment (environ as os.Environ gives
// it, so that tests set it without touching the process's); Run does the
// work and releases what it opened. serve's Run serves until ctx ends.
type Command interface {
	ParseFlags(args, environ []string) error
	Run(ctx context.Context) error
}

var errHelp = errors.New("help requested")

// errBenchMoved answers the load generator's old name: it is a command of
// its own, so that vegeta is never linked into the gateway.
var errBenchMoved = errors.New("bench is the command pasarela-bench now (go run ./cmd/pasarela-bench), with the same flags")

const usage = `usage:
  pasarela serve [--addr 127.0.0.1:8080] [--db sqlite:./pasarela.db | --db postgres://…] [--demo]
                 [--tls-addr 127.0.0.1:8443 --tls-cert FILE --tls-key FILE | --tls-self-signed]
                 [--trusted-proxies CIDR,…] [--webhook-allow-private] [--no-migrate] [--log-format text|json]
  pasarela migrate [--db …]
  pasarela backup --to FILE [--db sqlite:…]               an online copy of a SQLite database, while it serves
  pasarela restore --from FILE --db sqlite:PATH            checks the copy (schema, ledger), then puts it at PATH
  pasarela healthcheck [--url http://127.0.0.1:8080/readyz]  exit 0 only when the server is ready (the image's HEALTHCHECK)
  pasarela version [--json]                (also pasarela --version)
  pasarela client create --name NAME --email EMAIL --password PASSWORD [--code ENTITY_CODE] [--db …] [--json]
  pasarela app create --client CLIENT_ID --name NAME [SETTINGS] [--db …] [--json]
  pasarela app update --id ID [--client CLIENT_ID] [SETTINGS] [--db …] [--json]
      SETTINGS (app update changes only those given; an empty value clears one):
      [--success-url URL] [--failure-url URL] [--language it|en|es|fr|de|pt|ca]
      [--notify-url URL [--notify-format gestpay]] [--allowed-ips 127.0.0.1/32,10.0.0.0/8] [--require-key]
      --notify-format defaults to gestpay, the only API whose shops set a notification URL today.
  pasarela app rotate-key --id ID [--db …] [--json]       a new API key; the old one fails (within a minute on running servers)
  pasarela payment list --app ID [--status S,…] [--client-id REF] [--transaction-id T] [--sort id_desc]
                        [--limit 20] [--offset 0] [--db …] [--json]
  pasarela payment get --app ID --id ID [--db …] [--json]
  pasarela user reset-password --user USERNAME|EMAIL --password PASSWORD [--db …]
  pasarela ledger verify [--db …]
  pasarela balance credit --client CLIENT_ID --currency MXN --amount 1000.00 [--reference REF] [--description TEXT] [--db …] [--json]
  pasarela secret-key rotate [--db …] [--secret-key-file FILE]   re-seal every stored secret with a new key
  pasarela secret-key reseal [--db …]      re-seal with the current key what PASARELA_SECRET_KEY_PREVIOUS opens
  pasarela webhook verify --secret whsec_… --id ID --timestamp UNIX --signature "v1,…" [--api-key KEY --hash HEX] [--body FILE]
  pasarela webhook listen [--addr 127.0.0.1:9000] [--secret whsec_…] [--api-key KEY]
Every flag of serve, and --db everywhere, also reads from PASARELA_<FLAG> (e.g. PASARELA_DB, PASARELA_ADDR).
The HTTP load generator is the separate command pasarela-bench.`

// ParseCommand returns the command that the leading words of args name,
// with the rest of args parsed as its flags. It prints the usage (and
// returns errHelp) when asked for help or given nothing.
func ParseCommand(args, environ []string, stdout, stderr io.Writer) (Command, error) {
	cmd, rest, err := lookupCommand(args, output{stdout: stdout, stderr: stderr})
	if err != nil {
		return nil, err
	}
	if err := cmd.ParseFlags(rest, environ); err != nil {
		return nil, err
	}
	return cmd, nil
}

// lookupCommand returns the command args name and the arguments left for
// its flags.
func lookupCommand(args []string, out output) (Command, []string, error) {
	if len(args) == 0 {
		fmt.Fprintln(out.stderr, usage)
		return nil, nil, errHelp
	}
	name, rest := args[0], args[1:]
	if len(rest) > 0 {
		op := operator{output: out}
		switch name + " " + rest[0] {
		case "client create":
			return &ClientCreateCommand{operator: op}, rest[1:], nil
		case "app create":
			return &AppCreateCommand{operator: op}, rest[1:], nil
		case "app update":
			return &AppUpdateCommand{operator: op}, rest[1:], nil
		case "app rotate-key":
			return &AppRotateKeyCommand{operator: op}, rest[1:], nil
		case "payment list":
			return &PaymentListCommand{operator: op}, rest[1:], nil
		case "payment get":
			return &PaymentGetCommand{operator: op}, rest[1:], nil
		case "user reset-password":
			return &UserResetPasswordCommand{operator: op}, rest[1:], nil
		case "ledger verify":
			return &LedgerVerifyCommand{operator: op}, rest[1:], nil
		case "secret-key rotate":
			return &SecretKeyRotateCommand{operator: op}, rest[1:], nil
		case "secret-key reseal":
			return &SecretKeyResealCommand{operator: op}, rest[1:], nil
		case "balance credit":
			return &BalanceCreditCommand{operator: op}, rest[1:], nil
		case "webhook verify":
			return &WebhookVerifyCommand{output: out}, rest[1:], nil
		case "webhook listen":
			return &WebhookListenCommand{output: out}, rest[1:], nil
		}
	}
	switch name {
	case "serve":
		return &ServeCommand{output: out}, rest, nil
	case "version", "--version", "-version":
		return &VersionCommand{output: out}, rest, nil
	case "healthcheck":
		return &HealthcheckCommand{output: out}, rest, nil
	case "backup":
		return &BackupCommand{operator: operator{output: out}}, rest, nil
	case "restore":
		return &RestoreCommand{operator: operator{output: out}}, rest, nil
	case "migrate":
		return &MigrateCommand{operator: operator{output: out}}, rest, nil
	case "client":
		return nil, nil, fmt.Errorf("client: the only subcommand is create\n%s", usage)
	case "app":
		return nil, nil, fmt.Errorf("app: the subcommands are create, update and rotate-key\n%s", usage)
	case "payment":
		return nil, nil, fmt.Errorf("payment: the subcommands are list and get\n%s", usage)
	case "user":
		return nil, nil, fmt.Errorf("user: the only subcommand is reset-password\n%s", usage)
	case "ledger":
		return nil, nil, fmt.Errorf("ledger: the only subcommand is verify\n%s", usage)
	case "balance":
		return nil, nil, fmt.Errorf("balance: the only subcommand is credit\n%s", usage)
	case "secret-key":
		return nil, nil, fmt.Errorf("secret-key: the subcommands are rotate and reseal\n%s", usage)
	case "webhook":
		return nil, nil, fmt.Errorf("webhook: the subcommands are verify and listen\n%s", webhookUsage)
	case "bench":
		return nil, nil, errBenchMoved
	case "help", "-h", "--help":
		fmt.Fprintln(out.stdout, usage)
		return nil, nil, errHelp
	}
	return nil, nil, fmt.Errorf("unknown command %q\n%s", name, usage)
}

// output is where a command prints: what it was asked for to stdout, its
// log and flag errors to stderr.
type output struct {
	stdout, stderr io.Writer
}

func (o output) printJSON(v any) error {
	enc := json.NewEncoder(o.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newFlagSet returns the flag set of the command called name ("app
// create"); its errors and -h go to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pasarela "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses a command's flags. No command takes other arguments, so
// one left over is a mistake (a flag's value without its name, say).
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", strings.TrimPrefix(fs.Name(), "pasarela "), fs.Arg(0))
	}
	return nil
}

// The flags several commands share, declared once so that they read alike.

func jsonFlag(fs *flag.FlagSet, p *bool) {
	fs.BoolVar(p, "json", false, "print one JSON object")
}

func clientFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "client", "", "the client's id")
}

// openDB opens the database the --db setting names (see package engine),
// creating it if need be: only serve and migrate do.
func openDB(ctx context.Context, dsn string, onCommit func(int, time.Duration)) (engine.DB, error) {
	db, err := engine.Open(ctx, dsn, onCommit)
	if err != nil {
		return nil, fmt.Errorf("--db %w", err)
	}
	return db, nil
}

// openExistingDB opens the database the --db setting names and refuses
// one that does not exist: every command but serve and migrate opens its
// database so, so that a mistyped path is an error and not a new, empty
// database.
func openExistingDB(ctx context.Context, dsn string) (engine.DB, error) {
	db, err := engine.OpenExisting(ctx, dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("--db %w", err)
	}
	return db, nil
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
