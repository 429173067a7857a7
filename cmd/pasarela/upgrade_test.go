package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// The previous release's data, written as it wrote it: raw rows in the
// columns the schema before the newest migration has.
const (
	oldKey      = "psk_upgradetest0abcdefghijklmnopqrstuvwxyz012345"
	oldUser     = "ops@upgrade.example"
	oldPassword = "Str0ng-pass!"
)

// makeOldDatabase brings the database raw opens to the schema just before
// the newest migration and writes a client, its admin, an application and
// a payment the way that release did.
func makeOldDatabase(t *testing.T, raw *sql.DB, migs []store.Migration, lock string) int {
	t.Helper()
	ctx := context.Background()
	old := migs[:len(migs)-1]
	if err := (&store.Migrator{DB: raw, Migrations: old, Lock: lock}).Up(ctx); err != nil {
		t.Fatalf("migrating to the previous schema: %v", err)
	}
	if len(oldKey) != 4+12+32 {
		t.Fatalf("the test key has %d characters", len(oldKey))
	}
	at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).UnixMicro()
	sum := sha256.Sum256([]byte(oldKey))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO clients (id, name, email, code, status, created_at, updated_at)
			VALUES ('c0ffee00-0000-4000-8000-000000000001', 'Upgrade', $1, 'com.upgrade', 'active', $2, $2)`, []any{oldUser, at}},
		{`INSERT INTO users (uuid, client_id, username, email, roles, password_hash, created_at, updated_at)
			VALUES ('c0ffee00-0000-4000-8000-000000000002', 'c0ffee00-0000-4000-8000-000000000001', $1, $1, 'admin', $2, $3, $3)`,
			[]any{oldUser, core.HashPassword(oldPassword), at}},
		{`INSERT INTO applications (client_id, name, shop_login, key_prefix, key_hash, created_at, updated_at)
			VALUES ('c0ffee00-0000-4000-8000-000000000001', 'Old shop', 'GESPAYUPGRADE', $1, $2, $3, $3)`,
			[]any{oldKey[:16], sum[:], at}},
		{`INSERT INTO payments (client_id, application_id, transaction_id, checkout_token, status, type, amount, currency,
			captured, refunded, description, customer_id, customer_email, language, flags, ask_for_details, capture,
			gateway_configs, processor_ref, card, failure_code, failure_message, action, action_url, return_url, cancel_url,
			metadata, created_at, updated_at, version)
			SELECT 'c0ffee00-0000-4000-8000-000000000001', id, 'UpgradeTxn0001', 'pc_upgradetoken0001', 'pending', 'simple',
			1050, 'EUR', 0, 0, 'Made by the previous release', 'cust-1', '', 'en', '[]', FALSE, '', '[]', '', 'null',
			'', '', '', '', '', '', '{}', $1, $1, 1 FROM applications WHERE key_prefix = $2`, []any{at, oldKey[:16]}},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("writing the previous release's rows: %v\n%s", err, q.sql)
		}
	}
	return len(old)
}

// TestUpgradeFromPreviousSchema: a database of the previous release's
// schema, with its data, migrates (migrate says from which version to
// which) and serves that data and new payments, on both engines.
func TestUpgradeFromPreviousSchema(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "old.db")
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		migs, err := sqlite.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		from := makeOldDatabase(t, raw, migs, "")
		raw.Close()
		checkUpgrade(t, "sqlite:"+path, from, len(migs))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.Schema(t)
		raw, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		migs, err := postgres.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		from := makeOldDatabase(t, raw, migs, "")
		checkUpgrade(t, dsn, from, len(migs))
	})
}

func checkUpgrade(t *testing.T, db string, from, to int) {
	t.Helper()
	// Operator commands refuse the old schema until it is migrated.
	if err := runLine(t, "ledger", "verify", "--db", db); err == nil || !strings.Contains(err.Error(), "pasarela migrate") {
		t.Errorf("ledger verify on the previous schema: %v", err)
	}
	out := MustRun(t, nil, "migrate", "--db", db)
	if want := fmt.Sprintf("from schema version %d to %d", from, to); !strings.Contains(out, want) {
		t.Errorf("migrate printed %q, want %q", out, want)
	}
	keyFile := filepath.Join(t.TempDir(), "pasarela.key")
	m, _ := MustServe(t, nil, "serve", "--db", db, "--addr", "127.0.0.1:0", "--secret-key-file", keyFile)
	status, body := request(t, "GET", m.URL()+"/application/1/payment/1", oldKey, "")
	if status != 200 || body["description"] != "Made by the previous release" || body["status"] != "pending" {
		t.Errorf("the old payment after the upgrade: %d %v", status, body)
	}
	// Its admin signs in, configures a gateway, and the old key pays.
	token := login(t, m.URL(), oldUser, oldPassword)
	if status, body := bearer(t, "POST", m.URL()+"/application/1/gateway", token,
		`{"gatewayConfig":{"gateway":"sandbox","name":"Cards"}}`); status != 201 {
		t.Fatalf("a gateway config after the upgrade: %d %v", status, body)
	}
	if status, body := request(t, "POST", m.URL()+"/application/1/payment", oldKey,
		`{"payment":{"amount":"999","currency":"EUR","description":"After the upgrade"}}`); status != 201 {
		t.Errorf("a new payment after the upgrade: %d %v", status, body)
	}
	m.Close()
	if out := MustRun(t, nil, "ledger", "verify", "--db", db, "--secret-key-file", keyFile); !strings.Contains(out, "ledger verified") {
		t.Errorf("ledger verify: %q", out)
	}
}
