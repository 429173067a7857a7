// Package coretest builds the real stack for tests of the core and of the
// faces above it: a migrated database on each engine (SQLite in a
// temporary file always; PostgreSQL in a schema of its own when
// PASARELA_TEST_POSTGRES holds a DSN), a clock that moves only when told,
// and tenants made through the operator's methods, as the command line
// makes them. It holds no business rules and no fakes of them.
package coretest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the raw connection and the schema admin
	_ "modernc.org/sqlite"             // the "sqlite" driver, for the raw connection

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// PostgresEnv names the environment variable holding the DSN of the
// PostgreSQL server tests may use. Without it only SQLite is tested.
const PostgresEnv = pgtest.Env

// Password satisfies the password policy; every test user has it.
const Password = "Sup3r-secret!"

// Start is where test clocks start: a fixed instant, so that tests read
// the same on every day they run.
var Start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock is a test clock that moves only when told. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock showing start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time; pass the method value to core.New.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Engines returns the engines to test: "sqlite" always, "postgres" when
// PostgresEnv is set.
func Engines() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// ForEachEngine runs fn as one parallel subtest per engine, named after
// it; the caller's test returns before they run, so fn holds all the work.
func ForEachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range Engines() {
		t.Run(engine, func(t *testing.T) {
			// Each engine's run owns its database, so the engines run side by
			// side: PostgreSQL's round trips overlap SQLite's work.
			t.Parallel()
			fn(t, engine)
		})
	}
}

// DB is a migrated database of one engine, with a plain connection to the
// same database beside the store, for what a test must see or do under the
// store: read the rows as they are kept, or corrupt them on purpose.
type DB struct {
	store.DB
	Raw *sql.DB
}

// MustOpen opens and migrates a fresh database of engine and closes it
// (dropping the PostgreSQL schema) when the test ends.
func MustOpen(t testing.TB, engine string) *DB {
	t.Helper()
	ctx := context.Background()
	switch engine {
	case "sqlite":
		path := sqlitetest.Path(t)
		db, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
		if err != nil {
			t.Fatal(err)
		}
		raw.SetMaxOpenConns(1)
		t.Cleanup(func() { raw.Close() })
		return &DB{DB: db, Raw: raw}
	case "postgres":
		dsn := PostgresDSN(t)
		// Cleanups run last first: the pools below close before the
		// schema is dropped. Two writers rather than the default four:
		// each pins a connection while its store is open, and a test run
		// keeps dozens of stores open side by side on one cluster
		// (max_connections 100 by default); two still commit groups side
		// by side.
		db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 10, Writers: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetMaxOpenConns(2)
		t.Cleanup(func() { raw.Close() })
		return &DB{DB: db, Raw: raw}
	}
	t.Fatalf("unknown engine %q", engine)
	return nil
}

// PostgresDSN returns a DSN whose search_path is a schema of the test's
// own that holds no rows, kept from an earlier test of the run when one is
// free (pgtest.Reused); migrate it before use. A benchmark gets a new
// schema (pgtest.Schema): some disable or drop triggers.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	if _, ok := t.(*testing.B); ok {
		return pgtest.Schema(t)
	}
	return pgtest.Reused(t, postgres.Migrations)
}

// Tenant is a client made as the operator makes one: the client, its first
// admin user and one application with its API key.
type Tenant struct {
	Client *pasarela.Client
	Admin  *pasarela.User
	App    *core.NewApplication
}

// MustTenant creates a client named name with its admin (one argon2 hash:
// create few) and an application.
func MustTenant(t testing.TB, svc *core.Service, name string) *Tenant {
	t.Helper()
	ctx := context.Background()
	email := strings.ToLower(strings.ReplaceAll(name, " ", "")) + "@example.com"
	c, u, err := svc.CreateClient(ctx, core.ClientInput{Name: name, Email: email, Password: Password})
	if err != nil {
		t.Fatalf("create client %s: %v", name, err)
	}
	ten := &Tenant{Client: c, Admin: u}
	ten.App = MustApplication(t, svc, c.ID, name+" web")
	return ten
}

// MustSandboxTenant is MustTenant whose application takes the sandbox's
// test cards (a gateway config of the sandbox processor, which svc must
// have in its catalog), as the faces' tests need.
func MustSandboxTenant(t testing.TB, svc *core.Service, name string) *Tenant {
	t.Helper()
	ten := MustTenant(t, svc, name)
	if _, err := svc.CreateGatewayConfig(ten.AdminCtx(context.Background()), ten.App.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("Sandbox cards")}); err != nil {
		t.Fatalf("sandbox config of %s: %v", name, err)
	}
	return ten
}

// MustApplication creates another application of a client.
func MustApplication(t testing.TB, svc *core.Service, clientID, name string) *core.NewApplication {
	t.Helper()
	app, err := svc.OperatorCreateApplication(context.Background(), clientID, name)
	if err != nil {
		t.Fatalf("create application %s: %v", name, err)
	}
	return app
}

// AdminCtx is ctx acting as the tenant's admin user, as a face puts it
// there after checking a bearer token.
func (ten *Tenant) AdminCtx(ctx context.Context) context.Context {
	u := ten.Admin
	return pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID,
		Username: u.Username, Roles: u.Roles})
}

// AppCtx is ctx acting as the tenant's application key.
func (ten *Tenant) AppCtx(ctx context.Context) context.Context {
	return AppCtx(ctx, &ten.App.Application)
}

// AppCtx is ctx acting as an application's API key.
func AppCtx(ctx context.Context, app *pasarela.Application) context.Context {
	return pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: app.ClientID, ApplicationID: app.ID})
}

// MustSoundLedger fails the test when the ledger has a transaction that
// does not balance or a balance that is not the sum of its entries.
func MustSoundLedger(t testing.TB, svc *core.Service) {
	t.Helper()
	problems, err := svc.VerifyLedger(context.Background())
	if err != nil {
		t.Fatalf("verify ledger: %v", err)
	}
	for _, p := range problems {
		t.Errorf("ledger: %s", p)
	}
}
