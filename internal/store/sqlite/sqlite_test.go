package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// mustOpen opens (creating) the database file at path, migrates it, and
// closes it when the test ends.
func mustOpen(t testing.TB, path string, opts Options) *DB {
	t.Helper()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func tempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "pasarela.db") }

// TestPanicBecomesError checks the SQLite side of storetest's panic test:
// the writer goroutine serves every caller, so a panic must come back as an
// internal error to its own caller instead of crashing the process.
func TestPanicBecomesError(t *testing.T) {
	db := mustOpen(t, tempPath(t), Options{})
	err := db.Update(context.Background(), func(*store.Tx) error { panic("boom") })
	e := storetest.MustErrorKind(t, err, pasarela.KindInternal, "")
	if !strings.Contains(e.Error(), "boom") {
		t.Errorf("error %q does not carry the panic value for the log", e.Error())
	}
}

// TestGroupCommit proves that queued callers really share one transaction
// and that the failures among them roll back alone.
func TestGroupCommit(t *testing.T) {
	var mu sync.Mutex
	var batches []int
	db := mustOpen(t, tempPath(t), Options{OnCommit: func(n int, _ time.Duration) {
		mu.Lock()
		batches = append(batches, n)
		mu.Unlock()
	}})
	ctx := context.Background()
	storetest.MustClient(t, db, "com.dup")

	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- db.Update(ctx, func(*store.Tx) error { close(entered); <-release; return nil })
	}()
	<-entered
	const n = 40
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
				return tx.CreateClient(ctx, c)
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
		if i%2 == 1 {
			storetest.MustErrorKind(t, err, pasarela.KindConflict, "code")
		} else if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// batches[0] is the holder's own commit; the queued callers follow,
	// normally all in the next one. A loaded machine may not have every
	// caller waiting yet, so the test asks only that grouping happened.
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

// TestCloseFlushes closes the database while writes are queued behind one
// the writer is running. Every Update that started before Close must
// commit and be there after reopening the file; one that starts while
// Close is waiting must be refused at once with ErrClosed.
func TestCloseFlushes(t *testing.T) {
	path := tempPath(t)
	db := mustOpen(t, path, Options{})
	ctx := context.Background()

	entered, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- db.Update(ctx, func(tx *store.Tx) error {
			close(entered)
			<-release
			return tx.CreateClient(ctx, storetest.NewClient("com.holder"))
		})
	}()
	<-entered
	const n = 100
	errs := make([]error, n)
	var wg, started sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			errs[i] = db.Update(ctx, func(tx *store.Tx) error {
				return tx.CreateClient(ctx, storetest.NewClient(fmt.Sprintf("com.f%03d", i)))
			})
		})
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let them queue behind the holder
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	// Until Close has begun, a new Update waits behind the holder (and
	// gives up at its short deadline); from then on it is refused at once.
	for deadline := time.Now().Add(10 * time.Second); ; {
		short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		err := db.Update(short, func(*store.Tx) error { return nil })
		cancel()
		if errors.Is(err, ErrClosed) {
			break
		}
		if !errors.Is(err, context.DeadlineExceeded) || time.Now().After(deadline) {
			t.Fatalf("Update while closing = %v, want ErrClosed", err)
		}
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatalf("the write running at Close: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d queued before Close: %v", i, err)
		}
	}
	if err := db.Update(ctx, func(*store.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	db = mustOpen(t, path, Options{})
	storetest.MustView(t, db, func(tx *store.Tx) error {
		cs, err := tx.ListClients(ctx)
		if len(cs) != n+1 {
			t.Errorf("%d clients after reopening, want %d", len(cs), n+1)
		}
		return err
	})
}

// TestCheck covers the schema version guard: an unmigrated file is refused
// with a hint to migrate, a file from a newer binary is refused by Check and
// by Migrate, before and after reopening.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), "pasarela migrate") {
		t.Fatalf("Check of an unmigrated database = %v, want an error telling to run pasarela migrate", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after Migrate: %v", err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	m, err := db.migrator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Latest()+1, "9999_future.sql", time.Now().UnixMicro()); err != nil {
		t.Fatal(err)
	}
	newer := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
			t.Errorf("%s on a newer schema = %v, want a refusal", what, err)
		}
	}
	newer("Check", db.Check(ctx))
	newer("Migrate", db.Migrate(ctx))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	newer("Check after reopening", db.Check(ctx))
	newer("Migrate after reopening", db.Migrate(ctx))
}

// TestTranslate provokes each constraint failure with a real statement, so
// that a change in the driver's error codes or message format shows here.
func TestTranslate(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, tempPath(t), Options{})
	exec := func(query string, args ...any) error {
		_, err := db.write.ExecContext(ctx, query, args...)
		return err
	}
	const (
		insClient = `INSERT INTO clients (id, name, email, code, status, created_at, updated_at) VALUES ($1, 'n', 'e', $2, 'active', 0, 0)`
		insUser   = `INSERT INTO users (uuid, client_id, username, email, roles, password_hash, created_at, updated_at) VALUES ('u', $1, $2, $3, '', '', 0, 0)`
		insApp    = `INSERT INTO applications (client_id, name, shop_login, key_prefix, key_hash, created_at, updated_at) VALUES ($1, 'n', $2, $3, x'00', 0, 0)`
	)
	for _, q := range []struct {
		query string
		args  []any
	}{
		{insClient, []any{"c1", "com.one"}},
		{insUser, []any{"c1", "ana", "ana@example.com"}},
		{insApp, []any{"c1", "SHOP1", "pk_one"}},
	} {
		if err := exec(q.query, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		query   string
		args    []any
		message string // in the driver's error
		code    string
		field   string
		// constraint is the store's name of the violated constraint, "" for
		// one the engines name each their own way.
		constraint string
	}{
		{"client code", insClient, []any{"c2", "com.one"}, "UNIQUE constraint failed: clients.code (2067)", "already_exists", "code", store.UniqueClientCode},
		{"client id", insClient, []any{"c1", "com.two"}, "UNIQUE constraint failed: clients.id (1555)", "already_exists", "", ""},
		{"username", insUser, []any{"c1", "ana", "other@example.com"}, "UNIQUE constraint failed: users.username (2067)", "already_exists", "username", store.UniqueUserUsername},
		{"email", insUser, []any{"c1", "bea", "ana@example.com"}, "UNIQUE constraint failed: users.email (2067)", "already_exists", "email", store.UniqueUserEmail},
		{"key prefix", insApp, []any{"c1", "SHOP2", "pk_one"}, "UNIQUE constraint failed: applications.key_prefix (2067)", "already_exists", "key_prefix", store.UniqueAppKeyPrefix},
		{"shop login", insApp, []any{"c1", "SHOP1", "pk_two"}, "UNIQUE constraint failed: applications.shop_login (2067)", "already_exists", "shop_login", store.UniqueAppShopLogin},
		{"foreign key", insUser, []any{"missing", "cid", "cid@example.com"}, "FOREIGN KEY constraint failed (787)", "constraint", "", store.ForeignKeyViolation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := exec(tc.query, tc.args...)
			if raw == nil || !strings.Contains(raw.Error(), tc.message) {
				t.Fatalf("driver error = %v, want one containing %q", raw, tc.message)
			}
			e := storetest.MustErrorKind(t, translate(raw), pasarela.KindConflict, tc.field)
			if e.Field != tc.field || e.Code != tc.code {
				t.Errorf("translated to field %q code %q, want field %q code %q", e.Field, e.Code, tc.field, tc.code)
			}
			if tc.constraint != "" && !store.IsConstraint(e, tc.constraint) {
				t.Errorf("translated to constraint %q, want %q", e.Constraint, tc.constraint)
			}
			if !errors.Is(e, raw) {
				t.Error("the translated error does not wrap the driver's error for the log")
			}
		})
	}
	t.Run("other errors pass through", func(t *testing.T) {
		raw := exec(`INSERT INTO nowhere VALUES (1)`)
		if raw == nil || translate(raw) != raw {
			t.Errorf("translate(%v) = %v, want it unchanged", raw, translate(raw))
		}
		plain := errors.New("plain")
		if translate(plain) != plain {
			t.Error("a non-SQLite error was changed")
		}
	})
}

// TestPragmas checks that the settings durability and integrity depend on
// reach both pools: WAL, a full fsync on every commit, enforced foreign
// keys, and readers that cannot write.
func TestPragmas(t *testing.T) {
	db := mustOpen(t, tempPath(t), Options{})
	ctx := context.Background()
	for _, pool := range []struct {
		name string
		db   interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}
		queryOnly int
	}{{"write", db.write, 0}, {"read", db.read, 1}} {
		for _, p := range []struct {
			pragma string
			want   any
		}{
			{"journal_mode", "wal"},
			{"synchronous", 2}, // FULL
			{"foreign_keys", 1},
			{"query_only", pool.queryOnly},
		} {
			var got any
			if err := pool.db.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(p.want) {
				t.Errorf("%s pool: PRAGMA %s = %v, want %v", pool.name, p.pragma, got, p.want)
			}
		}
	}
}

// TestEventFormatsMigration: events and webhooks written before the event
// formats migration stay deliverable as they were.
func TestEventFormatsMigration(t *testing.T) {
	db := migratedBefore(t, "_event_formats.sql")
	storetest.LegacyEvents(t, db, db.write, db.Migrate)
}

// TestShopSettingsMigration: an application written before the shop
// settings migration reads back with no settings.
func TestShopSettingsMigration(t *testing.T) {
	db := migratedBefore(t, "_shop_settings.sql")
	storetest.LegacyApplications(t, db, db.write, db.Migrate)
}

// migratedBefore opens a new database migrated up to, not including, the
// migration whose name ends with suffix: the schema rows of an older
// version are written at.
func migratedBefore(t *testing.T, suffix string) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "legacy.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.migrator()
	if err != nil {
		t.Fatal(err)
	}
	old := &store.Migrator{DB: m.DB, Migrations: storetest.BeforeMigration(t, m.Migrations, suffix)}
	if err := old.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
