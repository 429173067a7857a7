package core_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
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
	db := coretest.MustOpen(b, engine)
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
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
