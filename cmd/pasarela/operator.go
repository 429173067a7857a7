package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The --json shapes of the bootstrap contract.
type (
	clientOut struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Code string `json:"code"`
	}
	userOut struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	}
	appOut struct {
		ID        int64           `json:"id"`
		Name      string          `json:"name"`
		APIKey    string          `json:"apiKey,omitempty"`
		ShopLogin string          `json:"shopLogin"`
		Settings  *appSettingsOut `json:"settings,omitempty"`
	}
	bootstrapOut struct {
		Client      *clientOut `json:"client,omitempty"`
		User        *userOut   `json:"user,omitempty"`
		Application *appOut    `json:"application,omitempty"`
	}
)

// operator is what the commands that act on the database share: every
// setting read from the environment as serve reads it, so that the core
// they build is the one serve builds, and the flags --db and
// --secret-key-file.
type operator struct {
	output
	Config Config
	// sealWith, when set, is the key the core seals with instead of the
	// configured one, which then only opens (a key rotation).
	sealWith []byte
}

// flagSet reads the environment and returns the flag set of the command
// called name, the database's flags on it.
func (o *operator) flagSet(name string, environ []string) (*flag.FlagSet, error) {
	if err := o.Config.parseEnv(environ); err != nil {
		return nil, err
	}
	fs := newFlagSet(name, o.stderr)
	o.Config.databaseFlags(fs)
	return fs, nil
}

// withCore opens the database, which must exist and be at the schema
// this binary knows (only serve and migrate create or migrate one), builds
// the core over it and calls fn, then closes the database, which commits
// every write fn made.
func (o *operator) withCore(ctx context.Context, fn func(*core.Service) error) (err error) {
	log, err := newLogger(o.stderr, o.Config.LogFormat, o.Config.LogLevel)
	if err != nil {
		return err
	}
	db, err := openExistingDB(ctx, o.Config.DB)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := db.Check(ctx); err != nil {
		return err
	}
	key, err := o.Config.secretKey()
	if err != nil {
		return err
	}
	// No public URL: an operator command serves no pages. No dunning
	// schedule: the core's default, as no cycle is charged here.
	cc := o.Config.coreConfig(db, log, key, "", nil)
	if err := o.Config.withSecretKeys(&cc); err != nil {
		return err
	}
	if o.sealWith != nil {
		cc.SecretKey, cc.OtherSecretKeys, cc.ReloadSecretKeys = o.sealWith, append(cc.OtherSecretKeys, key), nil
	}
	svc, err := core.New(ctx, db, log, nil, cc)
	if err != nil {
		return err
	}
	return fn(svc)
}

// MigrateCommand is `pasarela migrate`: it brings the database's schema up
// to date, for operators who start serve with --no-migrate.
type MigrateCommand struct {
	operator
}

// ParseFlags reads which database to migrate.
func (c *MigrateCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("migrate", environ)
	if err != nil {
		return err
	}
	return parseArgs(fs, args)
}

// Run migrates the database (creating it when it does not exist) and says
// what it did; it needs no core, so it reads no key.
func (c *MigrateCommand) Run(ctx context.Context) (err error) {
	db, err := openDB(ctx, c.Config.DB, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	from, _, err := db.Versions(ctx)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	to, _, err := db.Versions(ctx)
	if err != nil {
		return err
	}
	switch {
	case from == 0:
		fmt.Fprintf(c.stdout, "created the database's schema at version %d\n", to)
	case from < to:
		fmt.Fprintf(c.stdout, "migrated the database from schema version %d to %d\n", from, to)
	default:
		fmt.Fprintf(c.stdout, "the database is up to date at schema version %d; nothing to do\n", to)
	}
	return nil
}

// ClientCreateCommand is `pasarela client create`: a client and its first
// user, an admin whose username is its email.
type ClientCreateCommand struct {
	operator
	name, email, password, code string
	asJSON                      bool
}

// ParseFlags reads the client and its admin; --name, --email and
// --password are required.
func (c *ClientCreateCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("client create", environ)
	if err != nil {
		return err
	}
	fs.StringVar(&c.name, "name", "", "the client's name")
	fs.StringVar(&c.email, "email", "", "the admin user's email (also its username)")
	fs.StringVar(&c.password, "password", "", "the admin user's password")
	fs.StringVar(&c.code, "code", "", "entity code, e.g. com.cascade (derived from the name when absent)")
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.name == "" || c.email == "" || c.password == "" {
		return errors.New("client create: --name, --email and --password are required")
	}
	return nil
}

// inputValues names the client's code and its admin's email in a conflict.
func (c *ClientCreateCommand) inputValues() map[string]string {
	email := strings.ToLower(strings.TrimSpace(c.email))
	return map[string]string{"code": strings.ToLower(strings.TrimSpace(c.code)), "email": email, "username": email}
}

// Run creates the client and its admin user and prints them.
func (c *ClientCreateCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		cl, u, err := svc.CreateClient(ctx, core.ClientInput{Name: c.name, Email: c.email, Password: c.password, Code: c.code})
		if err != nil {
			return err
		}
		if c.asJSON {
			return c.printJSON(bootstrapOut{Client: &clientOut{cl.ID, cl.Name, cl.Code}, User: &userOut{u.ID, u.Username, u.Email}})
		}
		fmt.Fprintf(c.stdout, "client %s (%s) created, code %s\nadmin user %s (id %d)\n", cl.ID, cl.Name, cl.Code, u.Username, u.ID)
		return nil
	})
}

// AppCreateCommand is `pasarela app create`: an application of a client,
// with its API key (shown once) and, optionally, its settings.
type AppCreateCommand struct {
	operator
	clientID, name string
	settings       appSettingsFlags
	asJSON         bool
}

// ParseFlags reads the application; --client and --name are required.
func (c *AppCreateCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("app create", environ)
	if err != nil {
		return err
	}
	clientFlag(fs, &c.clientID)
	fs.StringVar(&c.name, "name", "", "the application's name")
	c.settings.register(fs)
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.clientID == "" || c.name == "" {
		return errors.New("app create: --client and --name are required")
	}
	return nil
}

// Run creates the application and prints it with its API key.
func (c *AppCreateCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		if _, err := svc.GetClient(ctx, c.clientID); err != nil {
			return fmt.Errorf("client %s: %w", c.clientID, err)
		}
		in := c.settings.input()
		in.Name = pasarela.Set(c.name)
		a, err := svc.OperatorCreateApplicationWith(ctx, c.clientID, in)
		if err != nil {
			return settingsError(err)
		}
		if c.asJSON {
			return c.printJSON(bootstrapOut{Application: &appOut{a.ID, a.Name, a.APIKey, a.ShopLogin, settingsOut(&a.Application)}})
		}
		fmt.Fprintf(c.stdout, "application %d (%s) created\nAPI key (shown once): %s\nshopLogin: %s\n", a.ID, a.Name, a.APIKey, a.ShopLogin)
		c.printSettings(&a.Application)
		return nil
	})
}

// AppUpdateCommand is `pasarela app update`: it changes the settings flags
// given, and only those, of an application.
type AppUpdateCommand struct {
	operator
	id       int64
	clientID string
	settings appSettingsFlags
	asJSON   bool
}

// ParseFlags reads the application and the settings to change; --id is
// required, --client optional (it only makes sure the application is that
// client's).
func (c *AppUpdateCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("app update", environ)
	if err != nil {
		return err
	}
	fs.Int64Var(&c.id, "id", 0, "the application's id")
	clientFlag(fs, &c.clientID)
	c.settings.register(fs)
	jsonFlag(fs, &c.asJSON)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.id <= 0 {
		return errors.New("app update: --id is required")
	}
	return nil
}

// Run changes the settings and prints the application as it now is.
func (c *AppUpdateCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		a, err := svc.OperatorUpdateApplication(ctx, c.clientID, c.id, c.settings.input())
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			if c.clientID != "" {
				return fmt.Errorf("client %s has no application %d", c.clientID, c.id)
			}
			return fmt.Errorf("no application %d", c.id)
		}
		if err != nil {
			return settingsError(err)
		}
		if c.asJSON {
			return c.printJSON(bootstrapOut{Application: &appOut{ID: a.ID, Name: a.Name, ShopLogin: a.ShopLogin, Settings: settingsOut(a)}})
		}
		fmt.Fprintf(c.stdout, "application %d (%s) updated\nshopLogin: %s\n", a.ID, a.Name, a.ShopLogin)
		c.printSettings(a)
		return nil
	})
}

// LedgerVerifyCommand is `pasarela ledger verify`: it checks the ledger's
// invariants, and exits 0 only when all hold.
type LedgerVerifyCommand struct {
	operator
}

// ParseFlags reads which database to verify.
func (c *LedgerVerifyCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("ledger verify", environ)
	if err != nil {
		return err
	}
	return parseArgs(fs, args)
}

// Run checks the ledger and prints each problem; any is an error.
func (c *LedgerVerifyCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		problems, err := svc.VerifyLedger(ctx)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(c.stdout, p)
			}
			return fmt.Errorf("ledger verify: %d problems", len(problems))
		}
		fmt.Fprintln(c.stdout, "ledger verified: every transaction balances and every balance equals the sum of its entries")
		return nil
	})
}
