package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
)

// BenchmarkCreatePaymentHTTP measures PayREST's POST
// /application/{app}/payment through the whole handler (request id,
// timeouts, metrics, the JSON request log, authentication, decoding, the
// core and the stored answer of its Idempotency-Key) with 64 concurrent
// callers, in process on SQLite: what a load run's create costs the server
// without the network and the load generator. It reports the process's CPU
// time per request (getrusage) beside ns/op, which a shared machine moves
// far more.
//
//	go test ./internal/server -run '^$' -bench CreatePaymentHTTP -benchmem -benchtime 20000x -count 3
func BenchmarkCreatePaymentHTTP(b *testing.B) {
	ctx := context.Background()
	db := coretest.MustOpen(b, "sqlite")
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, nil, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		b.Fatal(err)
	}
	a := coretest.MustSandboxTenant(b, svc, "Alpha Shop")
	h := server.New(server.Config{MaxBodyBytes: 64 << 10}, svc, log, server.NewMetrics())
	path := "/application/" + strconv.FormatInt(a.App.ID, 10) + "/payment"
	const body = `{"payment":{"amount":"1050","currency":"EUR","description":"bench"}}`
	var seq atomic.Int64
	create := func() error {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Auth-Token", a.App.APIKey)
		r.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(seq.Add(1), 10))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			return fmt.Errorf("%d %s", w.Code, w.Body)
		}
		return nil
	}
	for range 100 {
		if err := create(); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
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
