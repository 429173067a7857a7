package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
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

// mustMigratedDB opens the engine in a migrated schema holding no rows,
// kept from an earlier test when one is free (pgtest.Reused).
func mustMigratedDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.Reused(t, Migrations), Options{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
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

// TestGroupCommit proves that queued callers share one transaction and
// that the failures among them roll back alone: those that return an
// error, and one that swallows the error of a failed statement (which
// aborts a PostgreSQL transaction: it must fail alone, not take the group
// with it, nor commit nothing while reporting success).
func TestGroupCommit(t *testing.T) {
	testDSN(t)
	var mu sync.Mutex
	var batches []int
	db, err := Open(context.Background(), pgtest.Schema(t), Options{MaxConns: 4, Writers: 1,
		OnCommit: func(n int, _ time.Duration) {
			mu.Lock()
			batches = append(batches, n)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.MustClient(t, db, "com.dup")

	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- db.Update(ctx, func(*store.Tx) error { close(entered); <-release; return nil })
	}()
	<-entered
	const n = 40
	const swallower = 7
	errs := make([]error, n)
	var wg sync.WaitGroup
	var queued atomic.Int32
	for i := range n {
		wg.Go(func() {
			queued.Add(1)
			errs[i] = db.Update(ctx, func(tx *store.Tx) error {
				c := storetest.NewClient(fmt.Sprintf("com.q%02d", i))
				if i%2 == 1 {
					c.Code = "com.dup"
				}
				err := tx.CreateClient(ctx, c)
				if i == swallower {
					return nil
				}
				return err
			})
		})
	}
	for queued.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the callers are now blocked handing over their requests
	mu.Lock()
	batches = nil
	mu.Unlock()
	close(release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		switch {
		case i == swallower:
			if err == nil {
				t.Errorf("caller %d swallowed a failed statement and got no error", i)
			}
		case i%2 == 1:
			storetest.MustErrorKind(t, err, pasarela.KindConflict, "code")
		case err != nil:
			t.Errorf("caller %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("commit sizes: %v", batches)
	if len(batches) < 2 || slices.Max(batches[1:]) < 2 {
		t.Errorf("commit sizes %v: the queued callers were not grouped", batches)
	}
	storetest.MustView(t, db, func(tx *store.Tx) error {
		cs, err := tx.ListClients(ctx)
		if len(cs) != 1+n/2 {
			t.Errorf("%d clients, want %d", len(cs), 1+n/2)
		}
		return err
	})
}

// TestPoolMaxConns: the DSN's pool_max_conns sizes the pool (and is not
// sent to the server, which would refuse it), unless the options say.
func TestPoolMaxConns(t *testing.T) {
	dsn := pgtest.Schema(t)
	for _, tc := range []struct {
		param string
		opts  Options
		want  int
	}{
		{"3", Options{}, 3},
		{"3", Options{MaxConns: 5}, 5},
	} {
		db, err := Open(context.Background(), dsn+"&pool_max_conns="+tc.param, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := db.db.Stats().MaxOpenConnections; got != tc.want {
			t.Errorf("pool_max_conns=%s with %+v: pool of %d, want %d", tc.param, tc.opts, got, tc.want)
		}
		db.Close()
	}
	for _, bad := range []string{"x", "1", "-4"} {
		if _, err := Open(context.Background(), dsn+"&pool_max_conns="+bad, Options{}); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
			t.Errorf("pool_max_conns=%s: %v, want an error naming it", bad, err)
		}
	}
}
