package core_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// createBenchCallers is how many goroutines create at once: the c64 of the
// load runs of issue 17.
const createBenchCallers = 64

// BenchmarkCreatePayment measures core.CreatePayment as PayREST calls it
// (an application key, an Idempotency-Key whose answer is rendered to JSON
// and stored with the payment) with 64 concurrent callers, on each engine,
// without HTTP around it. Besides ns/op it reports the process's CPU time
// per payment (user + system, from getrusage: far steadier than throughput
// on a shared machine; on PostgreSQL the server's own CPU is not in it) and
// payments per second of wall time.
//
//	PASARELA_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/core -run '^$' -bench CreatePayment -benchmem -benchtime 20000x -count 3
func BenchmarkCreatePayment(b *testing.B) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) { benchCreatePayment(b, engine) })
	}
}

func benchCreatePayment(b *testing.B, engine string) {
	ctx := context.Background()
	var db store.DB
	var serverCPU func() time.Duration
	if engine == "postgres" {
		db, serverCPU = openMeasuredPostgres(b)
	} else {
		db = coretest.MustOpen(b, engine)
	}
	clock := coretest.NewClock(coretest.Start)
	svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		b.Fatal(err)
	}
	a := coretest.MustSandboxTenant(b, svc, "Alpha Shop")
	appCtx := a.AppCtx(ctx)
	render := func(v any) (int, []byte, error) {
		body, err := json.Marshal(v)
		return 201, body, err
	}
	in := core.PaymentInput{Amount: 1050, Currency: "EUR", Description: "bench"}
	var seq atomic.Int64
	create := func() error {
		n := seq.Add(1)
		idem := &core.Idem{Key: "bench-" + strconv.FormatInt(n, 10),
			Fingerprint: core.Fingerprint([]byte("POST"), []byte(strconv.FormatInt(n, 10))), Render: render}
		p, replay, err := svc.CreatePayment(appCtx, a.App.ID, in, idem)
		switch {
		case err != nil:
			return err
		case replay != nil || p == nil || p.Status != pasarela.StatusPending || idem.Answer == nil:
			b.Fatalf("payment %d: got %+v, replay %+v", n, p, replay)
		}
		return nil
	}
	// Warm the caches (configs, statements) before measuring.
	for range 100 {
		if err := create(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(max(1, createBenchCallers/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	var server0 time.Duration
	if serverCPU != nil {
		server0 = serverCPU()
	}
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := create(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "payments/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e3, "CPU-µs/op")
	if serverCPU != nil {
		b.ReportMetric(float64(serverCPU()-server0)/float64(b.N)/1e3, "pg-CPU-µs/op")
	}
}

// openMeasuredPostgres opens a fresh migrated PostgreSQL database whose
// connections carry an application name of their own, and returns with it
// the CPU time that the server processes serving those connections have
// used (from /proc: the server must run on this machine), so that the
// benchmark can say what a create costs the server too.
func openMeasuredPostgres(b *testing.B) (store.DB, func() time.Duration) {
	ctx := context.Background()
	name := "createbench" + strconv.FormatInt(time.Now().UnixNano(), 36)
	db, err := postgres.Open(ctx, pgtest.Schema(b)+"&application_name="+name, postgres.Options{MaxConns: 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	admin, err := sql.Open("pgx", pgtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close() })
	tick := time.Second / 100 // USER_HZ
	return db, func() time.Duration {
		rows, err := admin.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, name)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				continue // gone, or not on this machine
			}
			// Fields 14 and 15 (utime, stime) follow the command's
			// closing parenthesis.
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				total += time.Duration(u+s) * tick
			}
		}
		return total
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
