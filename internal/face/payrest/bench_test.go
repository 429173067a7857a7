package payrest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
)

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReads measures PayREST's reads on the server, in process (no
// network), on SQLite, beside a ceiling of the same run: "ceiling" is a bare
// handler that writes a JSON answer of about the size of a payment; "get"
// is GET one payment (with its links, children and refunds); "list" a page
// of 20 payments with its X-Total-Count. cpu-µs/op is the process's CPU time
// (every goroutine, GC included) per request, which moves far less with
// other work on the machine than ns/op.
//
//	go test -run '^$' -bench Reads -benchmem -benchtime 20000x ./internal/face/payrest/
func BenchmarkReads(b *testing.B) {
	db := coretest.MustOpen(b, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := coretest.NewClock(coretest.Start)
	svc, err := core.New(context.Background(), db, log, clk.Now, core.Config{
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID))),
		SecretKey:  testSecretKey, PublicURL: "http://pay.test"})
	if err != nil {
		b.Fatal(err)
	}
	h := server.New(server.Config{MaxBodyBytes: 64 << 10}, svc, log, server.NewMetrics())
	ten := coretest.MustSandboxTenant(b, svc, "Alpha Shop")
	ctx := ten.AppCtx(context.Background())
	var last int64
	for range 500 {
		p, _, err := svc.CreatePayment(ctx, ten.App.ID, core.PaymentInput{Amount: 1050, Currency: "EUR", Description: "bench"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		last = p.ID
	}
	app := "/application/" + strconv.FormatInt(ten.App.ID, 10)
	payment := strings.Repeat("x", 900)
	ceiling := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, payment)
	})
	serve := func(b *testing.B, h http.Handler, path string) {
		b.ReportAllocs()
		start := cpuTime()
		for range b.N {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", path, nil)
			r.Header.Set("X-Auth-Token", ten.App.APIKey)
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
		b.ReportMetric(float64(cpuTime()-start)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
	b.Run("ceiling", func(b *testing.B) { serve(b, ceiling, app+"/payment/"+strconv.FormatInt(last, 10)) })
	b.Run("get", func(b *testing.B) { serve(b, h, app+"/payment/"+strconv.FormatInt(last, 10)) })
	b.Run("list", func(b *testing.B) { serve(b, h, app+"/payment?limit=20") })
}
