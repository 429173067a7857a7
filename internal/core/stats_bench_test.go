package core_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// statsBenchPayments is how many payments the statistics benchmark seeds,
// all of them the measured client's: its worst case, where every row in
// the database is one it may have to count.
const statsBenchPayments = 1_000_000

// BenchmarkStats measures each statistics call over a database holding
// statsBenchPayments payments of one client, spread evenly over the year
// before the clock's now (about 2,740 a day), on two applications with
// three gateway configs, in three currencies, 80 % of them confirmed.
// Seeding takes a minute or two per engine; run it with
//
//	PASARELA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/core -run XXX -bench Stats -benchtime 20x
func BenchmarkStats(b *testing.B) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) { benchStats(b, engine) })
	}
}

func benchStats(b *testing.B, engine string) {
	ctx := context.Background()
	db := coretest.MustOpen(b, engine)
	clock := coretest.NewClock(coretest.Start)
	svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		b.Fatal(err)
	}
	a := coretest.MustTenant(b, svc, "Alpha Shop")
	// Another client, so that every query has a client to leave out.
	coretest.MustTenant(b, svc, "Beta Shop")
	app2 := coretest.MustApplication(b, svc, a.Client.ID, "Alpha kiosk")
	admin := a.AdminCtx(ctx)
	config := func(appID int64, name string) int64 {
		g, err := svc.CreateGatewayConfig(admin, appID, core.GatewayConfigInput{Gateway: pasarela.Set(sandbox.GatewayID),
			Name: pasarela.Set(name), Weight: pasarela.Set(1)})
		if err != nil {
			b.Fatal(err)
		}
		return g.ID
	}
	cfg1a, cfg1b, cfg2 := config(a.App.ID, "one"), config(a.App.ID, "two"), config(app2.ID, "kiosk")

	start := time.Now()
	mustSeedPayments(b, db, engine, seedSpec{ClientID: a.Client.ID, App1: a.App.ID, App2: app2.ID,
		Cfg1a: cfg1a, Cfg1b: cfg1b, Cfg2: cfg2, N: statsBenchPayments,
		From: coretest.Start.AddDate(-1, 0, 0), To: coretest.Start})
	b.Logf("%s: seeded %d payments in %v", engine, statsBenchPayments, time.Since(start).Round(time.Second))
	if engine == "postgres" {
		// What autovacuum does after a bulk load: planner statistics and
		// the visibility map that lets index-only scans skip the table.
		for _, table := range []string{"payments", "payment_buckets_created", "payment_buckets_confirmed"} {
			if _, err := db.Raw.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
				b.Fatal(err)
			}
		}
	}

	week := core.StatsPeriodInput{}
	year := core.StatsPeriodInput{From: coretest.Start.AddDate(0, 0, -365), To: coretest.Start, Offset: 5*time.Hour + 30*time.Minute}
	// +10:30 is one of the offsets whose days take the most rollup rows
	// to add up (six finer rows per UTC day besides the day's own).
	worst := core.StatsPeriodInput{From: year.From, To: year.To, Offset: 10*time.Hour + 30*time.Minute}
	month := core.StatsPeriodInput{From: coretest.Start.AddDate(0, 0, -30), To: coretest.Start, Offset: -6 * time.Hour}
	calls := []struct {
		name string
		call func() (int64, error)
	}{
		{"operations-summary", func() (int64, error) { s, err := svc.OperationsSummary(admin); return counted(s, err) }},
		{"application-summary", func() (int64, error) { s, err := svc.ApplicationSummary(admin, a.App.ID); return counted(s, err) }},
		{"operations-daily-7d", func() (int64, error) { s, err := svc.OperationsDaily(admin, week); return counted(s, err) }},
		{"application-daily-7d", func() (int64, error) {
			s, err := svc.ApplicationDaily(admin, a.App.ID, week)
			return counted(s, err)
		}},
		{"operations-detail-7d", func() (int64, error) {
			s, err := svc.OperationsDetail(admin, week, pasarela.ListOptions{})
			return counted(s, err)
		}},
		{"operations-daily-31d-tz", func() (int64, error) { s, err := svc.OperationsDaily(admin, month); return counted(s, err) }},
		{"application-daily-31d-tz", func() (int64, error) {
			s, err := svc.ApplicationDaily(admin, a.App.ID, month)
			return counted(s, err)
		}},
		{"operations-detail-31d-tz", func() (int64, error) {
			s, err := svc.OperationsDetail(admin, month, pasarela.ListOptions{Limit: 100})
			return counted(s, err)
		}},
		{"operations-daily-366d-tz", func() (int64, error) { s, err := svc.OperationsDaily(admin, year); return counted(s, err) }},
		{"application-daily-366d-tz", func() (int64, error) {
			s, err := svc.ApplicationDaily(admin, a.App.ID, year)
			return counted(s, err)
		}},
		{"operations-daily-366d-worst-tz", func() (int64, error) { s, err := svc.OperationsDaily(admin, worst); return counted(s, err) }},
		{"application-daily-366d-worst-tz", func() (int64, error) {
			s, err := svc.ApplicationDaily(admin, a.App.ID, worst)
			return counted(s, err)
		}},
		{"operations-detail-366d-tz", func() (int64, error) {
			s, err := svc.OperationsDetail(admin, year, pasarela.ListOptions{Limit: 100})
			return counted(s, err)
		}},
	}
	for _, c := range calls {
		b.Run(c.name, func(b *testing.B) {
			var n int64
			start := time.Now()
			for b.Loop() {
				var err error
				if n, err = c.call(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/call")
			b.ReportMetric(float64(n), "payments")
		})
	}
}

// counted returns the number of payments an answer covers, so that the
// benchmark shows what each call added up.
func counted[T any](v *T, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	switch a := any(v).(type) {
	case *core.OperationsSummary:
		return a.Count, nil
	case *core.ApplicationSummary:
		return a.Count, nil
	case *core.StatsDaily:
		return a.Count, nil
	case *core.StatsDetail:
		return a.Count, nil
	}
	return 0, fmt.Errorf("no count in %T", v)
}

// seedSpec says which payments mustSeedPayments makes.
type seedSpec struct {
	ClientID                       string
	App1, App2, Cfg1a, Cfg1b, Cfg2 int64
	N                              int
	From, To                       time.Time
}

// mustSeedPayments inserts spec.N payments in one statement: rows made by
// the database itself (a recursive CTE on SQLite, generate_series on
// PostgreSQL) rather than sent one by one, so that a million take a minute
// rather than an hour. They go through the table's triggers, as payments
// made by the core do. Of every 20 payments, 14 are completed, one is
// partially refunded (half), one refunded, two pending, one failed and one
// expired; every fourth belongs to App2; currencies rotate EUR, USD, MXN.
// Test-only: it writes under the core, with no ledger entries.
func mustSeedPayments(b testing.TB, db *coretest.DB, engine string, s seedSpec) {
	b.Helper()
	step := s.To.Sub(s.From).Microseconds() / int64(s.N)
	rows := `SELECT i, CASE i % 20 WHEN 14 THEN 'partially_refunded' WHEN 15 THEN 'refunded' WHEN 16 THEN 'pending'
			WHEN 17 THEN 'pending' WHEN 18 THEN 'failed' WHEN 19 THEN 'expired' ELSE 'completed' END AS st,
			100 + (i * 7919) % 100000 AS amount, CAST($2 AS BIGINT) + i * CAST($3 AS BIGINT) AS created FROM `
	insert := `INSERT INTO payments (client_id, application_id, transaction_id, checkout_token, status, type, amount,
		currency, captured, refunded, description, customer_id, customer_email, merchant_ref, language, flags,
		ask_for_details, capture, gateway_configs, gateway_config_id, processor_ref, card, failure_code,
		failure_message, action, action_url, parent_id, return_url, cancel_url, metadata, expires_at, completed_at,
		created_at, updated_at, version)
		SELECT $1, CASE WHEN i % 4 = 3 THEN CAST($5 AS BIGINT) ELSE CAST($4 AS BIGINT) END, 'bt' || i, 'bc' || i, st, 'simple', amount,
			CASE i % 3 WHEN 0 THEN 'EUR' WHEN 1 THEN 'USD' ELSE 'MXN' END,
			CASE WHEN st IN ('completed', 'partially_refunded', 'refunded') THEN amount ELSE 0 END,
			CASE st WHEN 'partially_refunded' THEN amount / 2 WHEN 'refunded' THEN amount ELSE 0 END,
			'seeded', 'cust' || (i % 5000), '', NULL, 'en', '[]', false, 'automatic', '[]',
			CASE WHEN st = 'pending' THEN NULL WHEN i % 4 = 3 THEN CAST($8 AS BIGINT) WHEN i % 2 = 0 THEN CAST($6 AS BIGINT) ELSE CAST($7 AS BIGINT) END,
			'', 'null', '', '', '', '', NULL, '', '', '{}', NULL,
			CASE WHEN st IN ('completed', 'partially_refunded', 'refunded') THEN created + 60000000 END,
			created, created, 1
		FROM (`
	var q string
	switch engine {
	case "sqlite":
		q = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $9) ` +
			insert + rows + `n) AS s`
	case "postgres":
		q = insert + rows + `generate_series(0, $9::bigint - 1) AS g(i)) AS s`
	default:
		b.Fatalf("unknown engine %q", engine)
	}
	ctx := context.Background()
	tx, err := db.Raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if engine == "postgres" {
		// One transaction adding to the same few totals rows hundreds of
		// thousands of times leaves PostgreSQL a chain of row versions to
		// walk on every addition (none can be pruned before the commit),
		// which grows quadratically; payments made one per transaction, as
		// the core makes them, never build such a chain. The load skips
		// the rollups' insert triggers and adds the rollups up once, as the
		// migration does for payments that predate it; the triggers are on
		// again at commit.
		for _, trig := range seedTriggers {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE payments DISABLE TRIGGER `+trig); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, q, s.ClientID, s.From.UnixMicro(), step,
		s.App1, s.App2, s.Cfg1a, s.Cfg1b, s.Cfg2, s.N); err != nil {
		b.Fatalf("seed payments: %v", err)
	}
	if engine == "postgres" {
		for _, stmt := range []string{`DELETE FROM payment_totals WHERE client_id = $1`,
			`INSERT INTO payment_totals (client_id, application_id, gateway_config_id, currency, shard, count, amount, refunded)
			SELECT client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16, COUNT(*), SUM(amount), SUM(refunded)
			FROM payments WHERE client_id = $1 AND completed_at IS NOT NULL
			GROUP BY client_id, application_id, COALESCE(gateway_config_id, 0), currency, id % 16`,
			`DELETE FROM payment_buckets_created WHERE client_id = $1`,
			`INSERT INTO payment_buckets_created (client_id, application_id, slot, day, status, currency, shard, count, amount, refunded)
			SELECT p.client_id, p.application_id, s.slot, p.created_at / 86400000000, p.status, p.currency, p.id % 8,
				COUNT(*), SUM(p.amount), SUM(p.refunded)
			FROM payments p CROSS JOIN LATERAL (VALUES ((p.created_at % 86400000000) / 900000000),
				(96 + (p.created_at % 86400000000) / 3600000000), (120),
				(121 + (p.created_at % 86400000000) / 14400000000)) AS s (slot)
			WHERE p.client_id = $1
			GROUP BY 1, 2, 3, 4, 5, 6, 7`,
			`DELETE FROM payment_buckets_confirmed WHERE client_id = $1`,
			`INSERT INTO payment_buckets_confirmed (client_id, slot, day, application_id, currency, shard, count, amount, refunded)
			SELECT p.client_id, s.slot, p.completed_at / 86400000000, p.application_id, p.currency, p.id % 8,
				COUNT(*), SUM(p.amount), SUM(p.refunded)
			FROM payments p CROSS JOIN LATERAL (VALUES ((p.completed_at % 86400000000) / 900000000),
				(96 + (p.completed_at % 86400000000) / 3600000000), (120),
				(121 + (p.completed_at % 86400000000) / 14400000000)) AS s (slot)
			WHERE p.client_id = $1 AND p.completed_at IS NOT NULL
			GROUP BY 1, 2, 3, 4, 5, 6`} {
			var args []any
			if strings.Contains(stmt, "$1") {
				args = append(args, s.ClientID)
			}
			if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
				b.Fatalf("seed totals: %v", err)
			}
		}
	}
	if engine == "postgres" {
		for _, trig := range seedTriggers {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE payments ENABLE TRIGGER `+trig); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// seedTriggers are the insert triggers of the rollups, which the load skips
// on PostgreSQL and replays as one aggregate (the migration's own query).
var seedTriggers = []string{"payment_totals_insert", "payment_buckets_created_insert", "payment_buckets_confirmed_insert"}

// BenchmarkStatsCreateShards measures, on PostgreSQL, what the created
// rollup costs concurrent creates of one application (64 callers, each
// payment and its idempotency record in one Update, the pool of coretest):
// "none" without the rollup's triggers, "shards-1" with every create of a
// quarter of an hour adding to the same rows (each waits for the previous
// one's commit), "shards-8" as migrated. It rewrites the trigger function
// in its own schema, so it says why the migration shards the rows.
//
//	PASARELA_TEST_POSTGRES=… go test ./internal/core -run XXX -bench StatsCreateShards -benchtime 6000x
func BenchmarkStatsCreateShards(b *testing.B) {
	if !slices.Contains(coretest.Engines(), "postgres") {
		b.Skip("PostgreSQL only: SQLite has one writer, so rows are never contended")
	}
	ctx := context.Background()
	for _, variant := range []string{"none", "shards-1", "shards-8"} {
		b.Run(variant, func(b *testing.B) {
			db := coretest.MustOpen(b, "postgres")
			switch variant {
			case "none":
				for _, tr := range []string{"payment_buckets_created_insert", "payment_buckets_confirmed_insert"} {
					if _, err := db.Raw.ExecContext(ctx, `DROP TRIGGER `+tr+` ON payments`); err != nil {
						b.Fatal(err)
					}
				}
			case "shards-1":
				var def string
				if err := db.Raw.QueryRowContext(ctx, `SELECT pg_get_functiondef('payment_buckets_created_apply'::regproc)`).Scan(&def); err != nil {
					b.Fatal(err)
				}
				if _, err := db.Raw.ExecContext(ctx, strings.ReplaceAll(def, "id % 8", "id % 1")); err != nil {
					b.Fatal(err)
				}
			}
			c := storetest.MustClient(b, db, "com.shards")
			app := storetest.MustApplication(b, db, c.ID, "bench")
			body := make([]byte, 1100)
			var seq atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					now := time.Now().UTC().Truncate(time.Microsecond)
					p := &pasarela.Payment{ClientID: c.ID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("tx%015d", n),
						CheckoutToken: fmt.Sprintf("ct_%d", n), Status: pasarela.StatusPending, Type: pasarela.PaymentSimple,
						Amount: 1050, Currency: "EUR", Description: "bench", Language: "en", CreatedAt: now, UpdatedAt: now}
					err := db.Update(ctx, func(tx *store.Tx) error {
						if err := tx.CreatePayment(ctx, p); err != nil {
							return err
						}
						return tx.PutIdempotency(ctx, &store.IdempotencyRecord{ClientID: c.ID, Scope: "app:1",
							Key: fmt.Sprintf("bench-%d", n), Fingerprint: body[:32], Status: 201, Body: body,
							CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "payments/s")
		})
	}
}
