// Package pgtest gives tests a PostgreSQL schema of their own on the server
// that PASARELA_TEST_POSTGRES names, so tests never see each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the schema admin connection
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
	if took, err := takeSlot(ctx, conn); err != nil {
		conn.Close()
		admin.Close()
		t.Fatalf("wait for a schema slot: %v", err)
	} else if !took {
		t.Logf("no schema slot came free in %v; going on without one", slotWait)
	}
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
	return WithSearchPath(dsn, schema)
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
// with "too many clients already". After slotWait it gives up waiting and
// answers false: a test that holds a slot while it waits for a second one
// must not wait for ever.
func takeSlot(ctx context.Context, conn *sql.Conn) (bool, error) {
	var maxConns, reserved int
	if err := conn.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int`).Scan(&maxConns, &reserved); err != nil {
		return false, err
	}
	slots := max(1, (maxConns-reserved-10)/SlotConns)
	for deadline := time.Now().Add(slotWait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for k := range slots {
			var ok bool
			if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", int64(slotKey+k)).Scan(&ok); err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
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
