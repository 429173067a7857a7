package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
)

// listBenchPayments is how many payments the list benchmark seeds, all of
// the measured client.
const listBenchPayments = 100_000

// BenchmarkPaymentList measures the payment list page on the server (the
// whole handler: session, catalogue, search, template) over a client with
// listBenchPayments payments spread over the 100 days before now, 5 % of
// them failed, a card on four in five. Seeding takes seconds; run it with
//
//	PASARELA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/dashboard -run XXX -bench PaymentList -benchtime 50x
func BenchmarkPaymentList(b *testing.B) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) { benchList(b, engine) })
	}
}

func benchList(b *testing.B, engine string) {
	ctx := context.Background()
	db := coretest.MustOpen(b, engine)
	now := time.Now().UTC()
	clock := coretest.NewClock(now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, clock.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		b.Fatal(err)
	}
	a := coretest.MustSandboxTenant(b, svc, "Alpha Shop")
	coretest.MustTenant(b, svc, "Beta Shop") // a client every query must leave out
	start := time.Now()
	seedList(b, db, engine, a.Client.ID, a.App.ID, now.Add(-100*24*time.Hour), now)
	b.Logf("%s: seeded %d payments in %v", engine, listBenchPayments, time.Since(start).Round(time.Millisecond))
	if engine == "postgres" {
		if _, err := db.Raw.ExecContext(ctx, `VACUUM ANALYZE payments`); err != nil {
			b.Fatal(err)
		}
	}
	h := server.New(server.Config{}, svc, log, server.NewMetrics())
	sess, err := svc.StartSession(ctx, a.Admin.Email, coretest.Password, "192.0.2.1")
	if err != nil {
		b.Fatal(err)
	}
	mid := strconv.Itoa(listBenchPayments / 2)
	week := now.AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + now.AddDate(0, 0, -23).Format(time.DateOnly)
	for _, tc := range []struct{ name, query string }{
		{"first", ""},
		{"deep", "?before=" + mid},
		{"failed", "?status=failed"},
		{"failed-deep", "?status=failed&before=" + mid},
		{"week-a-month-ago", "?from=" + week},
		{"transaction", "?q=bt77777"},
		{"email", "?q=buyer4242@example.com"},
		{"last4", "?q=1881"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/dashboard/payments"+tc.query, nil)
			req.AddCookie(&http.Cookie{Name: "pasarela_session", Value: sess.Token})
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", tc.query, w.Code)
				}
			}
		})
	}
}

// seedList inserts listBenchPayments payments of one application in a few
// statements: the core's write path would take minutes for what the list
// only reads. On PostgreSQL the statistics' insert triggers are off for the
// load (the list reads no rollup), as BenchmarkStats explains.
func seedList(b *testing.B, db *coretest.DB, engine, clientID string, appID int64, from, to time.Time) {
	b.Helper()
	ctx := context.Background()
	step := to.Sub(from).Microseconds() / listBenchPayments
	sel := `SELECT $1, CAST($2 AS BIGINT), 'bt' || i, 'bc' || i,
		CASE WHEN i % 20 = 7 THEN 'failed' ELSE 'completed' END, 'simple', 100 + (i * 7919) % 100000,
		CASE i % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'MXN' END,
		CASE WHEN i % 20 = 7 THEN 0 ELSE 100 + (i * 7919) % 100000 END, 0, 'seeded', '',
		'buyer' || (i % 5000) || '@example.com', 'ref-' || i, 'en', '[]', false, 'automatic', '[]', NULL, '',
		CASE WHEN i % 5 = 4 THEN 'null' ELSE '{"Token":"t","BIN":"424242","Last4":"' || (1000 + i % 9000) || '","Brand":"visa","ExpMonth":1,"ExpYear":2040}' END,
		'', '', '', '', NULL, '', '', '{}', NULL,
		CASE WHEN i % 20 = 7 THEN NULL ELSE CAST($3 AS BIGINT) + i * CAST($4 AS BIGINT) + 1000000 END,
		CAST($3 AS BIGINT) + i * CAST($4 AS BIGINT), CAST($3 AS BIGINT) + i * CAST($4 AS BIGINT), 1`
	insert := `INSERT INTO payments (client_id, application_id, transaction_id, checkout_token, status, type, amount,
		currency, captured, refunded, description, customer_id, customer_email, merchant_ref, language, flags,
		ask_for_details, capture, gateway_configs, gateway_config_id, processor_ref, card, failure_code,
		failure_message, action, action_url, parent_id, return_url, cancel_url, metadata, expires_at, completed_at,
		created_at, updated_at, version) `
	var q string
	switch engine {
	case "sqlite":
		q = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $5) ` + insert + sel + ` FROM n`
	case "postgres":
		q = insert + sel + ` FROM generate_series(0, $5::bigint - 1) AS g(i)`
	}
	tx, err := db.Raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	triggers := []string{"payment_totals_insert", "payment_buckets_created_insert", "payment_buckets_confirmed_insert"}
	if engine == "postgres" {
		for _, trig := range triggers {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE payments DISABLE TRIGGER `+trig); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, q, clientID, appID, from.UnixMicro(), step, listBenchPayments); err != nil {
		b.Fatalf("seed: %v", err)
	}
	if engine == "postgres" {
		for _, trig := range triggers {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE payments ENABLE TRIGGER `+trig); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
