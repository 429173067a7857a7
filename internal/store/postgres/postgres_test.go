package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// testDSN returns the server the tests may use, or skips the test.
func testDSN(t testing.TB) string { return pgtest.DSN(t) }

// mustSchemaDB opens the engine in a schema of its own, so that tests never
// see each other's rows, and drops the schema when the test ends. It does
// not migrate.
func mustSchemaDB(t testing.TB) *DB {
	t.Helper()
	// A small pool: the suite runs subtests in parallel, each with its own
	// pool, and the server's connection limit is shared by all of them.
	db, err := Open(context.Background(), pgtest.Schema(t), Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	return db
}

func mustMigratedDB(t testing.TB) *DB {
	t.Helper()
	db := mustSchemaDB(t)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestWithSearchPath(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u@h/db", "postgres://u@h/db?search_path=s"},
		{"postgresql://u@h/db?sslmode=disable", "postgresql://u@h/db?sslmode=disable&search_path=s"},
		{"host=h user=u dbname=db", "host=h user=u dbname=db search_path=s"},
	} {
		if got := pgtest.WithSearchPath(tc.dsn, "s"); got != tc.want {
			t.Errorf("WithSearchPath(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) store.DB { return mustMigratedDB(t) })
}

// TestCheck covers the schema version guard, as for SQLite: an unmigrated
// schema is refused with a hint to migrate, and one written by a newer
// binary is refused by Check and by Migrate.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	db := mustSchemaDB(t)
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "pasarela migrate") {
		t.Fatalf("Check of an unmigrated schema = %v, want an error telling to run pasarela migrate", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after Migrate: %v", err)
	}
	m, err := db.migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Latest()+1, "9999_future.sql", time.Now().UnixMicro()); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{"Check": db.Check(ctx), "Migrate": db.Migrate(ctx)} {
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Errorf("%s on a newer schema = %v, want a refusal", what, err)
		}
	}
}

// TestEventFormatsMigration: events and webhooks written before the event
// formats migration stay deliverable as they were.
func TestEventFormatsMigration(t *testing.T) {
	db := migratedBefore(t, "_event_formats.sql")
	storetest.LegacyEvents(t, db, db.db, db.Migrate)
}

// TestShopSettingsMigration: an application written before the shop
// settings migration reads back with no settings.
func TestShopSettingsMigration(t *testing.T) {
	db := migratedBefore(t, "_shop_settings.sql")
	storetest.LegacyApplications(t, db, db.db, db.Migrate)
}

// migratedBefore is a new database migrated up to, not including, the
// migration whose name ends with suffix: the schema rows of an older
// version are written at.
func migratedBefore(t *testing.T, suffix string) *DB {
	t.Helper()
	db := mustSchemaDB(t)
	m, err := db.migrator()
	if err != nil {
		t.Fatal(err)
	}
	old := &store.Migrator{DB: m.DB, Migrations: storetest.BeforeMigration(t, m.Migrations, suffix), Lock: m.Lock}
	if err := old.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
