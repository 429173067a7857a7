package main

import (
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// runLine parses and runs one command line as main does (servers are
// closed as soon as they listen), returning its error as main prints it.
// A panic fails the test, naming the command line.
func runLine(t *testing.T, args ...string) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%v panicked: %v", args, p)
		}
	}()
	cmd, err := ParseCommand(args, nil, io.Discard, io.Discard)
	if err != nil {
		return err
	}
	if s, ok := cmd.(*ServeCommand); ok {
		return runOrStart(s)
	}
	return run(context.Background(), cmd)
}

// TestOpenFailures: a database that cannot be opened is a clear error
// (main exits 1 with it), never a panic in the cleanup that follows.
func TestOpenFailures(t *testing.T) {
	dbs := []string{"sqlite:/no/such/dir/x.db", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}
	if dsn := os.Getenv(pgtest.Env); dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/pasarela_does_not_exist"
		dbs = append(dbs, u.String())
	}
	for _, db := range dbs {
		for _, args := range [][]string{
			{"serve", "--addr", "127.0.0.1:0"}, {"migrate"}, {"ledger", "verify"},
			{"client", "create", "--name", "x", "--email", "x@example.com", "--password", "Str0ng-pass!"},
		} {
			err := runLine(t, append(args, "--db", db)...)
			if err == nil || !strings.Contains(err.Error(), "--db") {
				t.Errorf("%v --db %s: %v; want an error about --db", args, db, err)
			}
		}
	}
}

// TestOnlyServeAndMigrateCreate: every other command refuses a database
// that does not exist, and leaves no file (nor key) behind.
func TestOnlyServeAndMigrateCreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{
		{"ledger", "verify"},
		{"client", "create", "--name", "x", "--email", "x@example.com", "--password", "Str0ng-pass!"},
		{"app", "create", "--client", "x", "--name", "x"},
		{"balance", "credit", "--client", "x", "--currency", "MXN", "--amount", "1"},
		{"payment", "list", "--app", "1"},
		{"backup", "--to", filepath.Join(dir, "b.db")},
	} {
		err := runLine(t, append(args, "--db", "sqlite:"+path)...)
		if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "pasarela migrate") {
			t.Errorf("%v on a missing database: %v", args, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) > 0 {
			t.Fatalf("%v left %s behind", args, entries[0].Name())
		}
	}
	// An empty file is no database either.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runLine(t, "ledger", "verify", "--db", "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "no pasarela schema") {
		t.Errorf("ledger verify on an empty file: %v", err)
	}
	// migrate creates one and says so; serve too.
	out := MustRun(t, nil, "migrate", "--db", "sqlite:"+filepath.Join(dir, "new.db"))
	if !strings.Contains(out, "created the database's schema at version") {
		t.Errorf("migrate on a new database printed %q", out)
	}
	MustServe(t, nil, "serve", "--db", "sqlite:"+filepath.Join(dir, "served.db"), "--addr", "127.0.0.1:0")
	out = MustRun(t, nil, "ledger", "verify", "--db", "sqlite:"+filepath.Join(dir, "served.db"))
	if !strings.Contains(out, "ledger verified") {
		t.Errorf("ledger verify after serve: %q", out)
	}
}

// TestMigrateSaysWhatItDid: migrate names the versions it went from and to.
func TestMigrateSaysWhatItDid(t *testing.T) {
	db := emptyDB(t)
	if out := MustRun(t, nil, "migrate", "--db", db); !strings.Contains(out, "created the database's schema at version") {
		t.Errorf("first migrate: %q", out)
	}
	if out := MustRun(t, nil, "migrate", "--db", db); !strings.Contains(out, "up to date at schema version") {
		t.Errorf("second migrate: %q", out)
	}
}

// TestConflictsInWords: a duplicate reads as what already exists, never
// as the driver's text.
func TestConflictsInWords(t *testing.T) {
	db := testDB(t)
	MustRun(t, nil, "client", "create", "--name", "Cascade", "--email", "jim@cascade.example", "--password", "Str0ng-pass!",
		"--code", "com.cascade", "--db", db)
	for _, tc := range []struct {
		email, want string
	}{
		{"other@cascade.example", "a client with code com.cascade already exists"},
		{"Jim@cascade.example", "a user with email jim@cascade.example already exists"},
	} {
		code := "com.cascade"
		if strings.HasPrefix(tc.email, "Jim") {
			code = "com.cascade2"
		}
		err := runLine(t, "client", "create", "--name", "Cascade", "--email", tc.email, "--password", "Str0ng-pass!",
			"--code", code, "--db", db)
		if err == nil || err.Error() != tc.want {
			t.Errorf("duplicate: %v; want %q", err, tc.want)
		}
	}
}
