// Package pgtest gives tests a PostgreSQL schema of their own on the server
// that PASARELA_TEST_POSTGRES names, so tests never see each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the schema admin connection

	"github.com/pasarela/pasarela/internal/store"
)

// Env names the environment variable holding the test server's DSN.
const Env = "PASARELA_TEST_POSTGRES"

// DSN returns the test server's DSN, or skips the test: a developer without
// PostgreSQL still runs every SQLite test, and CI sets the variable.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skip(Env + " is not set; set it to a DSN such as " +
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable to test on PostgreSQL")
	}
	return dsn
}

// Schema creates a schema for the test and returns a DSN whose search_path
// is that schema. The schema is dropped when the test ends; cleanups run
// last first, so pools the test opens afterwards close before that.
//
// A test holds one of the server's schema slots (see takeSlot) from here
// until its schema is dropped, so that the pools of every test of a run,
// in every package's test process at once, stay within the server's
// connections.
func Schema(t testing.TB) string {
	t.Helper()
	admin, conn, _ := connect(t)
	return fresh(t, admin, conn)
}

// connect opens the test's admin pool and the session that holds its slot
// (-1: none came free in slotWait).
func connect(t testing.TB) (*sql.DB, *sql.Conn, int) {
	t.Helper()
	dsn := DSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := admin.Conn(ctx)
	if err != nil {
		admin.Close()
		t.Fatalf("connect: %v", err)
	}
	slot, err := takeSlot(ctx, conn)
	if err != nil {
		conn.Close()
		admin.Close()
		t.Fatalf("wait for a schema slot: %v", err)
	}
	if slot < 0 {
		t.Logf("no schema slot came free in %v; going on without one", slotWait)
	}
	return admin, conn, slot
}

// fresh creates a new schema, dropped when the test ends.
func fresh(t testing.TB, admin *sql.DB, conn *sql.Conn) string {
	t.Helper()
	ctx := context.Background()
	schema := "t_" + strings.ToLower(rand.Text())
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close()
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The slot's session may have ended (a test that restarts the
		// server ends every session, which gave the slot back): the drop
		// goes through the pool, which connects again.
		conn.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		// Closing the pool ends the slot's session, which gives the slot
		// back.
		admin.Close()
	})
	return WithSearchPath(DSN(t), schema)
}

// Reused returns a DSN whose search_path is a schema that holds no rows:
// either new and empty, or migrated by an earlier test and emptied. The
// caller migrates it, which finds nothing to do the second time.
//
// Migrating a new schema cost PostgreSQL half a second of CPU, and every
// DDL statement makes each other session of the server rebuild its catalog
// caches; a run of every package's tests made hundreds of schemas and spent
// about half of the machine's CPU in PostgreSQL. A schema is kept instead,
// one per slot (whoever holds the slot owns it), and emptied for the next
// test: every table but the migrations' own is deleted from with triggers
// and foreign keys off, and every sequence starts again.
//
// The kept schema is named by a hash of migrations (the engine's, read once
// per test process): a schema migrated by another set is never reused, and
// is dropped when its slot's next test finds it. A test given a kept schema
// must not change its structure; one that drops a trigger or a table takes
// Schema.
func Reused(t testing.TB, migrations func() ([]store.Migration, error)) string {
	t.Helper()
	fingerprint.once.Do(func() {
		var migs []store.Migration
		if migs, fingerprint.err = migrations(); fingerprint.err == nil {
			fingerprint.sum = hashMigrations(migs)
		}
	})
	if fingerprint.err != nil {
		t.Fatal(fingerprint.err)
	}
	admin, conn, slot := connect(t)
	if slot < 0 {
		return fresh(t, admin, conn)
	}
	ctx := context.Background()
	schema := fmt.Sprintf("r_%s_%d", fingerprint.sum, slot)
	if err := keep(ctx, conn, slot, schema); err != nil {
		conn.Close()
		admin.Close()
		t.Fatalf("schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		// Closing the pool ends the slot's session, which gives the
		// slot, and with it the schema, back.
		conn.Close()
		admin.Close()
	})
	return WithSearchPath(DSN(t), schema)
}

var fingerprint struct {
	once sync.Once
	sum  string
	err  error
}

// keep makes schema the slot's one kept schema, holding no rows: the
// slot's schemas of other fingerprints are dropped, schema is created if
// the slot has none yet, and emptied.
func keep(ctx context.Context, conn *sql.Conn, slot int, schema string) error {
	rows, err := conn.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'r\_%\_' || $1`, strconv.Itoa(slot))
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	statement := "CREATE SCHEMA " + schema
	for _, name := range names {
		if name == schema {
			statement = fmt.Sprintf(emptySchema, schema)
		} else if _, err := conn.ExecContext(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, statement)
	return err
}

// emptySchema deletes every row of a kept schema (%[1]s) and restarts its
// sequences, in one transaction. session_replication_role = replica turns
// off triggers, foreign keys among them, so that tables go in any order
// and the statistics' triggers do not count the deletions.
const emptySchema = `DO $$
DECLARE r record;
BEGIN
	SET LOCAL session_replication_role = replica;
	FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = '%[1]s' AND tablename <> 'schema_migrations' LOOP
		EXECUTE format('DELETE FROM %%I.%%I', '%[1]s', r.tablename);
	END LOOP;
	FOR r IN SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = '%[1]s' LOOP
		PERFORM setval(format('%%I.%%I', '%[1]s', r.sequencename), r.start_value, false);
	END LOOP;
END
$$`

// hashMigrations names a set of migrations: a hash of each one's version,
// name and text.
func hashMigrations(migrations []store.Migration) string {
	h := sha256.New()
	for _, m := range migrations {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00", m.Version, m.Name, m.SQL)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ServerDSN is dsn for a gateway process the test starts, whose pool then
// keeps to the test's slot (see SlotConns). Only the gateway reads
// pool_max_conns: pgx itself would send it to the server, which refuses it.
func ServerDSN(dsn string) string { return withParam(dsn, "pool_max_conns", "10") }

// SlotConns is how many connections one test's slot stands for. A test's
// pools may open more at their peak (the core's test store: up to 10, two
// of them its writers; a gateway process started on ServerDSN: 10; the
// slot's own session), but most of a test's life is spent with a few
// open: a run of every package on this bound peaked at 80 connections for
// 23 slots of 12, and slots of 12 queued the tests enough to make the run
// a third longer. Six keeps a default server (100) from being exhausted
// and lets a CI server of 300 run 47 tests at once.
const SlotConns = 6

// slotKey is the first key of the advisory locks that stand for slots.
const slotKey = 0x7061_7361_0000

// takeSlot waits until it holds one of the server's schema slots: a
// session-level advisory lock on conn, released when the session ends
// (also when a test process dies). There are as many slots as sets of
// SlotConns connections fit in the server's max_connections, less its
// reserved ones and a margin for the tests' admin sessions and tools.
// Without this bound, two packages' tests running side by side had opened
// more connections than a default server allows (100), and a test failed
// with "too many clients already". It answers the slot's number, or -1
// after slotWait: a test that holds a slot while it waits for a second one
// must not wait for ever.
func takeSlot(ctx context.Context, conn *sql.Conn) (int, error) {
	var maxConns, reserved int
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int`).Scan(&maxConns, &reserved); err != nil {
		return -1, err
	}
	slots := max(1, (maxConns-reserved-10)/SlotConns)
	for deadline := time.Now().Add(slotWait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for k := range slots {
			var ok bool
			if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", int64(slotKey+k)).Scan(&ok); err != nil {
				return -1, err
			}
			if ok {
				return k, nil
			}
		}
	}
	return -1, nil
}

// slotWait is how long a test waits for a slot.
const slotWait = 3 * time.Minute

// WithSearchPath adds a search_path runtime parameter to dsn in whichever
// of the two forms pgx accepts it is written in.
func WithSearchPath(dsn, schema string) string { return withParam(dsn, "search_path", schema) }

// withParam adds a parameter to dsn in whichever of the two forms pgx
// accepts it is written in.
func withParam(dsn, name, value string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if strings.Contains(dsn, "?") {
			return dsn + "&" + name + "=" + value
		}
		return dsn + "?" + name + "=" + value
	}
	return dsn + " " + name + "=" + value
}
