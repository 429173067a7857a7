package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
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
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// benchNode is a node on the wall clock (the benchmarks measure real time).
func benchNode(b *testing.B, engine string) (store.DB, *core.Service) {
	b.Helper()
	ctx := context.Background()
	var db migrator
	var err error
	if engine == "postgres" {
		db, err = postgres.Open(ctx, pgtest.Schema(b), postgres.Options{})
	} else {
		db, err = sqlite.Open(b.TempDir()+"/bench.db", sqlite.Options{})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	svc, err := core.New(ctx, db, slog.New(slog.DiscardHandler), nil, core.Config{SecretKey: testKey, Webhooks: core.WebhookConfig{AllowPrivate: true},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, "sandbox")))})
	if err != nil {
		b.Fatal(err)
	}
	return db, svc
}

func benchEngines(b *testing.B, fn func(b *testing.B, engine string)) {
	for _, engine := range coretest.Engines() {
		b.Run(engine, func(b *testing.B) { fn(b, engine) })
	}
}

// BenchmarkDeliveryThroughput measures deliveries per second to one
// loopback receiver that answers 204 at once: b.N deliveries are queued,
// then a deliverer (default settings: 32 in flight, 8 per target) sends
// them all. Each costs a claim share, an HMAC and a SHA-512 pair, one HTTP
// request and one write recording the attempt.
func BenchmarkDeliveryThroughput(b *testing.B) {
	benchEngines(b, func(b *testing.B, engine string) {
		for _, per := range []int{8, 32} {
			b.Run(fmt.Sprintf("perTarget=%d", per), func(b *testing.B) {
				db, svc := benchNode(b, engine)
				var got atomic.Int64
				done := make(chan struct{})
				target := int64(b.N)
				rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					w.WriteHeader(http.StatusNoContent)
					if got.Add(1) == target {
						close(done)
					}
				}))
				defer rc.Close()
				s := mustShop(b, svc, "Bench Shop", rc.URL)
				queue(b, db, s, b.N)
				d := &Deliverer{Svc: svc, Renderers: testRenderers, AllowPrivate: true, PerTarget: per}
				b.ResetTimer()
				d.Start(context.Background())
				<-done
				b.StopTimer()
				d.Stop()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
			})
		}
	})
}

// queue writes n events with one delivery each, as recordEvent does, in
// transactions of 500.
func queue(b *testing.B, db store.DB, s *shop, n int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i := 0; i < n; i += 500 {
		err := db.Update(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+500, n); j++ {
				e := &pasarela.Event{ID: fmt.Sprintf("evt_bench%09d", j), ClientID: s.app.ClientID, ApplicationID: s.app.ID,
					Type: "payment.completed", Entity: "payment", EntityID: int64(j + 1), Data: []byte(`{"id":1,"status":"completed"}`), CreatedAt: now}
				if err := tx.CreateEvent(ctx, e); err != nil {
					return err
				}
				if err := tx.CreateDelivery(ctx, &pasarela.Delivery{ClientID: s.app.ClientID, ApplicationID: s.app.ID,
					WebhookID: s.hook.ID, EventID: e.ID, Target: s.hook.Targets[0], Status: pasarela.DeliveryPending,
					NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEventToDelivery measures the time from a state change (a
// payment cancelled through the core, which records payment.invalidated in
// its transaction) to the receiver getting the webhook, one event at a
// time, with a running deliverer: the commit wakes it, so no poll interval
// is waited. It reports the median and the 99th percentile.
func BenchmarkEventToDelivery(b *testing.B) {
	benchEngines(b, func(b *testing.B, engine string) {
		_, svc := benchNode(b, engine)
		arrived := make(chan time.Time, 1)
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			arrived <- time.Now()
		}))
		defer rc.Close()
		ctx := context.Background()
		ten := coretest.MustTenant(b, svc, "Latency Shop")
		admin := ten.AdminCtx(ctx)
		if _, err := svc.CreateGatewayConfig(admin, ten.App.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
			Name: pasarela.Set("cards"), Weight: pasarela.Set(1)}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.CreateWebhook(admin, ten.App.ID, core.WebhookInput{Format: pasarela.FormatPayREST, Targets: []string{rc.URL}, Entity: "payment",
			Events: []string{"payment.invalidated"}}, nil); err != nil {
			b.Fatal(err)
		}
		pays := make([]int64, b.N)
		for i := range pays {
			p, _, err := svc.CreatePayment(admin, ten.App.ID, core.PaymentInput{Amount: 100, Currency: "EUR"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			pays[i] = p.ID
		}
		d := &Deliverer{Svc: svc, Renderers: testRenderers, AllowPrivate: true}
		d.Start(ctx)
		defer d.Stop()
		var mu sync.Mutex
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for _, id := range pays {
			start := time.Now()
			if err := svc.CancelPayment(admin, ten.App.ID, id); err != nil {
				b.Fatal(err)
			}
			at := <-arrived
			mu.Lock()
			lat = append(lat, at.Sub(start))
			mu.Unlock()
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
	})
}
