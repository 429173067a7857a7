package worker

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
	"github.com/pasarela/pasarela/internal/webhook"
)

// testRenderers are the gateway's webhook formats, as a server wires them.
var testRenderers = server.Renderers("http://pay.test", nil)

// testKey is the gateway's secret key in these tests: the same for every
// process started on one database, as a key file makes it.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// node is one running pasarela process: a database handle, the core and a
// deliverer. Several nodes may share one database.
type node struct {
	db      store.DB
	svc     *core.Service
	del     *Deliverer
	cancel  context.CancelFunc
	stopped bool
}

// where is a database that outlives the nodes opened on it.
type where struct {
	engine, path string
}

func newWhere(t *testing.T, engine string) where {
	if engine == "postgres" {
		return where{engine, coretest.PostgresDSN(t)}
	}
	return where{engine, sqlitetest.Path(t)}
}

type migrator interface {
	store.DB
	Migrate(context.Context) error
}

// startNode opens the database, migrates it, and starts a deliverer.
func startNode(t *testing.T, w where, clk *coretest.Clock) *node {
	t.Helper()
	ctx := context.Background()
	var db migrator
	var err error
	if w.engine == "postgres" {
		db, err = postgres.Open(ctx, w.path, postgres.Options{MaxConns: 10, Writers: 2})
	} else {
		db, err = sqlite.Open(w.path, sqlite.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, clk.Now, core.Config{SecretKey: testKey, Webhooks: core.WebhookConfig{AllowPrivate: true},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, "sandbox")))})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{db: db, svc: svc}
	n.del = &Deliverer{Svc: svc, Log: log, Renderers: testRenderers, AllowPrivate: true, Poll: 5 * time.Millisecond, PerTarget: 2,
		Timeout: 5 * time.Second}
	dctx, cancel := context.WithCancel(ctx)
	n.cancel = cancel
	n.del.Start(dctx)
	t.Cleanup(n.stop)
	return n
}

// stop shuts the node down gracefully.
func (n *node) stop() {
	if n.stopped {
		return
	}
	n.stopped = true
	n.del.Stop()
	n.db.Close()
}

// crash ends the node as a kill would: attempts in flight are abandoned
// without being recorded.
func (n *node) crash() {
	n.cancel()
	n.stop()
}

// shop is a client with an application, a sandbox config and a webhook.
type shop struct {
	app   *core.NewApplication
	admin context.Context
	hook  *pasarela.Webhook
}

func mustShop(t testing.TB, svc *core.Service, name string, targets ...string) *shop {
	t.Helper()
	ctx := context.Background()
	ten := coretest.MustTenant(t, svc, name)
	s := &shop{app: ten.App, admin: ten.AdminCtx(ctx)}
	if _, err := svc.CreateGatewayConfig(s.admin, s.app.ID, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
		Name: pasarela.Set("cards"), Weight: pasarela.Set(1)}); err != nil {
		t.Fatal(err)
	}
	var err error
	s.hook, _, err = svc.CreateWebhook(s.admin, s.app.ID, core.WebhookInput{Format: pasarela.FormatPayREST, Targets: targets, Entity: pasarela.EntityPayment,
		Events: []string{"payment.completed"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pay creates a payment and pays it with the Visa test card.
func (s *shop) pay(t *testing.T, svc *core.Service) *pasarela.Payment {
	t.Helper()
	p, _, err := svc.CreatePayment(s.admin, s.app.ID, core.PaymentInput{Amount: 1050, Currency: "EUR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PayWithCard(context.Background(), p.CheckoutToken, pasarela.CardInput{Name: "Ada", Number: "4242424242424242",
		ExpMonth: 12, ExpYear: 2045, CVC: "123"}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *shop) deliveries(t *testing.T, svc *core.Service) []pasarela.Delivery {
	t.Helper()
	ds, _, err := svc.ListDeliveries(s.admin, s.app.ID, s.hook.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// receiver is a merchant's endpoint that verifies both signatures and
// processes each webhook-id once, as Standard Webhooks asks receivers to.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	apiKey string
	clk    *coretest.Clock
	// answer decides the status of the n-th request (1-based); nil: 200.
	answer func(n int, r *http.Request) int

	mu        sync.Mutex
	requests  int
	hits      map[string]int  // webhook-id → requests that carried it
	processed map[string]bool // webhook-ids whose event was acted on
	bodies    map[string][]byte
	seqs      map[string]string // webhook-id → its Pasarela-Event-Sequence
	got       chan string       // webhook-ids as they are processed
}

func newReceiver(t *testing.T, clk *coretest.Clock) *receiver {
	rc := &receiver{t: t, clk: clk, hits: map[string]int{}, processed: map[string]bool{}, bodies: map[string][]byte{}, seqs: map[string]string{}, got: make(chan string, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	secret, key := rc.secret, rc.apiKey
	rc.mu.Unlock()
	id := r.Header.Get(webhook.HeaderID)
	if err := webhook.Verify(secret, id, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, rc.clk.Now(), 0); err != nil {
		rc.t.Errorf("request %d: signature: %v", n, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := webhook.VerifyHash(key, r.Header.Get(webhook.HeaderHash), body); err != nil {
		rc.t.Errorf("request %d: Hash: %v", n, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	status := http.StatusOK
	if rc.answer != nil {
		status = rc.answer(n, r)
	}
	if status/100 == 2 {
		// Deduplicate by webhook-id: a retry of what was already acted on
		// is acknowledged and ignored.
		rc.mu.Lock()
		rc.hits[id]++
		first := !rc.processed[id]
		if first {
			rc.processed[id] = true
			rc.bodies[id] = body
			rc.seqs[id] = r.Header.Get(webhook.HeaderEventSequence)
		}
		rc.mu.Unlock()
		if first {
			rc.got <- id
		}
	}
	w.WriteHeader(status)
}

func (rc *receiver) hitsOf(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits[id]
}

// next waits for the next webhook-id processed; the deadline only ends a
// test that would otherwise hang.
func (rc *receiver) next(t *testing.T) string {
	t.Helper()
	select {
	case id := <-rc.got:
		return id
	case <-time.After(30 * time.Second):
		t.Fatal("no delivery arrived")
		return ""
	}
}

// eventually waits until cond holds; the deadline only ends a test that
// would otherwise hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestDelivererRetriesReceiverErrors(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		clk := coretest.NewClock(coretest.Start)
		n := startNode(t, newWhere(t, engine), clk)
		rc := newReceiver(t, clk)
		rc.answer = func(i int, _ *http.Request) int {
			if i <= 2 {
				return http.StatusInternalServerError
			}
			return http.StatusNoContent
		}
		s := mustShop(t, n.svc, "Retry Shop", rc.srv.URL+"/hook")
		rc.secret, rc.apiKey = s.hook.Secret, s.app.APIKey
		p := s.pay(t, n.svc)

		for attempt := 1; attempt <= 2; attempt++ {
			var d pasarela.Delivery
			eventually(t, "a failed attempt is recorded", func() bool {
				d = s.deliveries(t, n.svc)[0]
				return len(d.Log) == attempt
			})
			if d.Status != pasarela.DeliveryPending || d.LastStatus != 500 || !d.NextAttemptAt.After(clk.Now()) {
				t.Fatalf("after attempt %d: %+v", attempt, d)
			}
			clk.Advance(d.NextAttemptAt.Sub(clk.Now()))
		}
		id := rc.next(t)
		var body struct {
			ID     int64
			Status string
		}
		if err := json.Unmarshal(rc.bodies[id], &body); err != nil || body.ID != p.ID || body.Status != "completed" {
			t.Fatalf("body %s", rc.bodies[id])
		}
		eventually(t, "the delivery is recorded as delivered", func() bool {
			return s.deliveries(t, n.svc)[0].Status == pasarela.DeliveryDelivered
		})
		d := s.deliveries(t, n.svc)[0]
		if d.Attempts != 3 || len(d.Log) != 3 || d.Log[2].Status != 204 {
			t.Fatalf("delivered %+v", d)
		}
	})
}

// TestDelivererSurvivesRestart: the node dies while the receiver holds the
// request (it has processed it but not yet answered); a new node on the
// same database sends it again when the lease ends, and the receiver,
// deduplicating by webhook-id, processes it once.
func TestDelivererSurvivesRestart(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		clk := coretest.NewClock(coretest.Start)
		db := newWhere(t, engine)
		n1 := startNode(t, db, clk)
		rc := newReceiver(t, clk)
		inFlight := make(chan struct{})
		rc.answer = func(i int, r *http.Request) int {
			if i == 1 {
				close(inFlight)
				<-r.Context().Done() // never answers: the sender dies first
			}
			return http.StatusOK
		}
		s := mustShop(t, n1.svc, "Restart Shop", rc.srv.URL+"/hook")
		rc.secret, rc.apiKey = s.hook.Secret, s.app.APIKey
		s.pay(t, n1.svc)
		select {
		case <-inFlight:
		case <-time.After(30 * time.Second):
			t.Fatal("the first attempt never arrived")
		}
		n1.crash()

		n2 := startNode(t, db, clk)
		if d := s.deliveries(t, n2.svc)[0]; d.Status != pasarela.DeliveryPending || d.Attempts != 1 || len(d.Log) != 0 {
			t.Fatalf("after the crash: %+v", d)
		}
		// The receiver acted on the first request before the sender died.
		id := rc.next(t)
		clk.Advance(n2.del.Lease) // the dead node's lease ends
		eventually(t, "the delivery is recorded as delivered", func() bool {
			return s.deliveries(t, n2.svc)[0].Status == pasarela.DeliveryDelivered
		})
		d := s.deliveries(t, n2.svc)[0]
		if d.EventID != id || d.Attempts != 2 || len(d.Log) != 1 || d.Log[0].Attempt != 2 {
			t.Fatalf("delivered %+v", d)
		}
		if got := rc.hitsOf(id); got != 2 {
			t.Fatalf("the receiver got webhook-id %s %d times, want 2 (sent again after the crash)", id, got)
		}
		select {
		case other := <-rc.got:
			t.Fatalf("the receiver acted twice (%s)", other)
		default:
		}
		// A third node finds nothing left to send.
		n2.stop()
		n3 := startNode(t, db, clk)
		clk.Advance(24 * time.Hour)
		jobs, err := n3.svc.ClaimDeliveries(context.Background(), "probe", 10, time.Minute, nil, testRenderers)
		if err != nil || len(jobs) != 0 {
			t.Fatalf("after delivery, claimed %d (%v)", len(jobs), err)
		}
	})
}

// TestDelivererSlowReceiver: a receiver that never answers holds its own
// slots only; every event for another receiver arrives meanwhile.
func TestDelivererSlowReceiver(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		clk := coretest.NewClock(coretest.Start)
		n := startNode(t, newWhere(t, engine), clk)
		release := make(chan struct{})
		slow := newReceiver(t, clk)
		slow.answer = func(_ int, r *http.Request) int {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return http.StatusOK
		}
		fast := newReceiver(t, clk)
		s1 := mustShop(t, n.svc, "Slow Shop", slow.srv.URL)
		s2 := mustShop(t, n.svc, "Fast Shop", fast.srv.URL)
		slow.secret, slow.apiKey = s1.hook.Secret, s1.app.APIKey
		fast.secret, fast.apiKey = s2.hook.Secret, s2.app.APIKey
		const count = 6
		for range count {
			s1.pay(t, n.svc)
			s2.pay(t, n.svc)
		}
		for range count {
			fast.next(t)
		}
		close(release)
		for range count {
			slow.next(t)
		}
	})
}

func TestDelivererStopTwice(t *testing.T) {
	t.Parallel()
	var d Deliverer
	d.Stop() // before Start
	clk := coretest.NewClock(coretest.Start)
	n := startNode(t, newWhere(t, "sqlite"), clk)
	n.del.Stop()
	n.del.Stop()
}

// TestDelivererKeepsResourceOrder: a payment's events reach a target in the
// order they happened, each numbered (Pasarela-Event-Sequence) and dated
// (Pasarela-Event-Time). The receiver fails the first event; the later
// ones, pending beside it, wait for its retry instead of overtaking it (a
// "completed" arriving before the "processing" it follows).
func TestDelivererKeepsResourceOrder(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		clk := coretest.NewClock(coretest.Start)
		n := startNode(t, newWhere(t, engine), clk)
		rc := newReceiver(t, clk)
		var timesMu sync.Mutex
		var times []string
		rc.answer = func(i int, r *http.Request) int {
			if i == 1 {
				return http.StatusServiceUnavailable
			}
			timesMu.Lock()
			times = append(times, r.Header.Get(webhook.HeaderEventTime))
			timesMu.Unlock()
			return http.StatusOK
		}
		other := newReceiver(t, clk) // the shop's own webhook of completed payments
		s := mustShop(t, n.svc, "Order Shop", other.srv.URL)
		other.secret, other.apiKey = s.hook.Secret, s.app.APIKey
		hook, _, err := n.svc.CreateWebhook(s.admin, s.app.ID, core.WebhookInput{Format: pasarela.FormatPayREST,
			Targets: []string{rc.srv.URL + "/all"}, Entity: pasarela.EntityPayment}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rc.secret, rc.apiKey = hook.Secret, s.app.APIKey
		p := s.pay(t, n.svc)
		events, err := n.svc.Events(s.admin, s.app.ID, pasarela.EntityPayment, p.ID)
		if err != nil || len(events) < 2 { // processing, completed
			t.Fatalf("%d events, %v", len(events), err)
		}
		for i, e := range events {
			if e.Sequence != int64(i+1) {
				t.Fatalf("event %d (%s) has sequence %d", i, e.Type, e.Sequence)
			}
		}
		// The first attempt fails; nothing else is sent until its retry.
		var first pasarela.Delivery
		eventually(t, "the first attempt fails", func() bool {
			ds, _, err := n.svc.ListDeliveries(s.admin, s.app.ID, hook.ID, core.DeliveryFilter{}, pasarela.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.EventID == events[0].ID && len(d.Log) == 1 {
					first = d
					return true
				}
			}
			return false
		})
		time.Sleep(50 * time.Millisecond) // ten polls: time for a later event to overtake, were it allowed to
		rc.mu.Lock()
		early := len(rc.processed)
		rc.mu.Unlock()
		if early != 0 {
			t.Fatalf("%d later events overtook the first while it was retrying", early)
		}
		clk.Advance(first.NextAttemptAt.Sub(clk.Now()))
		for i := range events {
			id := rc.next(t)
			rc.mu.Lock()
			seq := rc.seqs[id]
			rc.mu.Unlock()
			if id != events[i].ID || seq != strconv.Itoa(i+1) {
				t.Fatalf("delivery %d: event %s with sequence %s, want %s (%s) with %d", i+1, id, seq,
					events[i].ID, events[i].Type, i+1)
			}
		}
		timesMu.Lock()
		defer timesMu.Unlock()
		for i, tm := range times {
			if want := events[i].CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z07:00"); tm != want {
				t.Errorf("event %d: %s %q, want %q", i+1, webhook.HeaderEventTime, tm, want)
			}
		}
	})
}
