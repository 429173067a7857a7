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
func Schema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "t_" + strings.ToLower(rand.Text())
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return WithSearchPath(dsn, schema)
}

// WithSearchPath adds a search_path runtime parameter to dsn in whichever
// of the two forms pgx accepts it is written in.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if strings.Contains(dsn, "?") {
			return dsn + "&search_path=" + schema
		}
		return dsn + "?search_path=" + schema
	}
	return dsn + " search_path=" + schema
}
