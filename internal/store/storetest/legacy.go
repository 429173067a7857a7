package storetest

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// BeforeMigration returns the migrations that come before the one whose
// name ends with suffix ("_event_formats.sql"), found by name so that a
// test follows it if it is renumbered.
func BeforeMigration(t testing.TB, migs []store.Migration, suffix string) []store.Migration {
	t.Helper()
	for i, m := range migs {
		if strings.HasSuffix(m.Name, suffix) {
			return migs[:i]
		}
	}
	t.Fatalf("no *%s migration", suffix)
	return nil
}

// LegacyEvents checks what the event formats migration makes of the rows
// written before it. db must be at the schema just before that migration;
// raw writes to it directly, and migrate brings it up to date. An event
// written then holds the PayREST body rendered at the time: it must come
// out of the migration as version 0 (EventVersionLegacy) with its body
// byte for byte, and its webhook with a format (one of the formats the
// gateway sends: which one the faces say), so that it is delivered as
// before.
func LegacyEvents(t *testing.T, db store.DB, raw *sql.DB, migrate func(context.Context) error) {
	ctx := context.Background()
	c := MustClient(t, db, "legacy")
	at := Base.UnixMicro()
	// The application is written raw too: the store writes columns that
	// later migrations add.
	app := &pasarela.Application{}
	if err := raw.QueryRowContext(ctx, `INSERT INTO applications
		(client_id, name, shop_login, key_prefix, key_hash, created_at, updated_at)
		VALUES ($1, 'legacy_web', 'SHOP_legacy_web', 'pk_legacy_web', $2, $3, $3) RETURNING id`,
		c.ID, []byte("hash"), at).Scan(&app.ID); err != nil {
		t.Fatalf("writing the old schema's application: %v", err)
	}
	body := `{"id":7, "status":"completed","links":[{"rel":"self","href":"/application/1/payment/7"}]}`
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO webhooks (client_id, application_id, method, targets, entity, events, secret, disabled, created_at, updated_at)
			VALUES ($1, $2, 'POST', '["https://hooks.example.com/a"]', 'payment', '[]', $3, $4, $5, $5)`,
			[]any{c.ID, app.ID, []byte{1, 2, 3}, false, at}},
		{`INSERT INTO events (id, client_id, application_id, type, entity, entity_id, data, created_at)
			VALUES ('evt_legacy', $1, $2, 'payment.completed', 'payment', 7, $3, $4)`, []any{c.ID, app.ID, body, at}},
		{`INSERT INTO webhook_deliveries (client_id, application_id, webhook_id, event_id, target, status, attempts,
			next_attempt_at, lease_owner, last_status, last_error, created_at, updated_at)
			SELECT $1, $2, id, 'evt_legacy', 'https://hooks.example.com/a', 'pending', 0, $3, '', 0, '', $3, $3
			FROM webhooks WHERE client_id = $1`, []any{c.ID, app.ID, at}},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("writing the old schema's rows: %v", err)
		}
	}
	if err := migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var format string
	MustView(t, db, func(tx *store.Tx) error {
		e, err := tx.GetEvent(ctx, c.ID, "evt_legacy")
		if err != nil {
			return err
		}
		if e.Version != pasarela.EventVersionLegacy || string(e.Data) != body {
			t.Errorf("migrated event: version %d, data %s; want 0 and the stored body", e.Version, e.Data)
		}
		hooks, err := tx.SubscribedWebhooks(ctx, c.ID, app.ID, pasarela.EntityPayment)
		if err != nil || len(hooks) != 1 || !slices.Contains(pasarela.WebhookFormats, hooks[0].Format) {
			t.Errorf("migrated webhooks %+v (%v), want one with a known format", hooks, err)
		}
		format = hooks[0].Format
		return nil
	})
	var claimed []store.ClaimedDelivery
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, "w", Base.Add(time.Second), Base.Add(time.Minute), 10, nil)
		return err
	})
	if len(claimed) != 1 || claimed[0].EventVersion != pasarela.EventVersionLegacy || string(claimed[0].EventData) != body ||
		claimed[0].Format != format || claimed[0].Entity != pasarela.EntityPayment {
		t.Fatalf("claimed %+v, want the legacy event's delivery with its body", claimed)
	}
}
