package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/webhook"
)

// Deliverer sends webhook deliveries. Deliveries are rows of the database,
// written with the events that cause them; the deliverer claims due rows
// with a lease, sends them, and records each attempt. Several deliverers
// (in one process or on several nodes sharing a PostgreSQL database) never
// send the same attempt at once, and one that dies mid-send loses nothing:
// its rows are due again when their lease ends. Delivery is therefore at
// least once; receivers deduplicate by the webhook-id header.
//
// A slow receiver holds at most PerTarget of the Concurrency slots, and
// every attempt is bounded by Timeout, so it never delays the others.
type Deliverer struct {
	Svc *core.Service
	Log *slog.Logger
	// Renderers turn an event's neutral payload into the body of each
	// webhook's format when it is delivered (server.Renderers builds
	// them). A delivery whose format or entity has none fails, and the
	// failure is in its log.
	Renderers core.Renderers
	// AllowPrivate lets deliveries reach private and loopback addresses.
	AllowPrivate bool
	// Concurrency bounds the attempts in flight (default 32); PerTarget
	// bounds those to one target URL (default 8).
	Concurrency int
	PerTarget   int
	// Timeout bounds one attempt (default 10 s).
	Timeout time.Duration
	// Lease is how long a claimed delivery is held before another worker
	// may take it (default and minimum 6 × Timeout: a claimed attempt
	// may wait for a per-target slot before it is sent).
	Lease time.Duration
	// Poll is how often due deliveries are looked for when no event wakes
	// the deliverer (default 1 s): retries come due with time, and events
	// may be written by other nodes.
	Poll time.Duration
	// Observer, when set, is told of each attempt: "delivered" or
	// "failed" (metrics).
	Observer Observer
	// Client sends the requests; by default one with Timeout that refuses
	// private addresses unless AllowPrivate.
	Client *webhook.Client

	id      string
	claims  atomic.Int64
	mu      sync.Mutex
	busy    map[string]int           // attempts in flight per target
	slots   map[string]chan struct{} // per-target semaphores
	running int
	freed   chan struct{}
	cancel  context.CancelFunc
	stop    chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

func (w *Deliverer) defaults() {
	if w.Concurrency <= 0 {
		w.Concurrency = 32
	}
	if w.PerTarget <= 0 {
		w.PerTarget = 8
	}
	if w.Timeout <= 0 {
		w.Timeout = 10 * time.Second
	}
	if w.Lease < 6*w.Timeout {
		w.Lease = 6 * w.Timeout
	}
	if w.Poll <= 0 {
		w.Poll = time.Second
	}
	if w.Client == nil {
		w.Client = webhook.NewClient(webhook.ClientOptions{AllowPrivate: w.AllowPrivate, Timeout: w.Timeout,
			MaxConnsPerHost: w.PerTarget})
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	w.id = hex.EncodeToString(b)
	w.busy, w.slots = map[string]int{}, map[string]chan struct{}{}
	w.freed = make(chan struct{}, 1)
}

// Start runs the deliverer until Stop. Cancelling ctx aborts the attempts
// in flight without recording them, as a crash would: their deliveries are
// retried when their lease ends.
func (w *Deliverer) Start(ctx context.Context) {
	w.defaults()
	if len(w.Renderers) == 0 {
		// Every delivery would fail (and be retried for days) with the
		// reason in its log; say it once where the operator looks first.
		w.Log.ErrorContext(ctx, "webhook deliverer started without renderers: no event recorded by this version can be delivered")
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	wake := w.Svc.EventsCommitted()
	go w.run(ctx, wake)
}

func (w *Deliverer) run(ctx context.Context, wake <-chan struct{}) {
	defer close(w.done)
	t := time.NewTicker(w.Poll)
	defer t.Stop()
	for {
		w.fill(ctx)
		select {
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		case <-wake:
		case <-w.freed:
		case <-t.C:
		}
	}
}

// fill claims due deliveries while there are free slots. Each claim takes
// at most PerTarget rows and skips the targets already at their bound, so
// one target never holds more than twice its share of claimed rows.
func (w *Deliverer) fill(ctx context.Context) {
	for ctx.Err() == nil {
		w.mu.Lock()
		free := w.Concurrency - w.running
		var busy []string
		for t, n := range w.busy {
			if n >= w.PerTarget {
				busy = append(busy, t)
			}
		}
		w.mu.Unlock()
		if free <= 0 {
			return
		}
		n := min(free, w.PerTarget)
		owner := w.id + "-" + strconv.FormatInt(w.claims.Add(1), 10)
		jobs, err := w.Svc.ClaimDeliveries(ctx, owner, n, w.Lease, busy, w.Renderers)
		if err != nil {
			if ctx.Err() == nil {
				w.Log.ErrorContext(ctx, "claiming webhook deliveries failed", "err", err)
			}
			return
		}
		for _, j := range jobs {
			w.mu.Lock()
			w.running++
			w.busy[j.Target]++
			slot := w.slots[j.Target]
			if slot == nil {
				slot = make(chan struct{}, w.PerTarget)
				w.slots[j.Target] = slot
			}
			w.mu.Unlock()
			w.wg.Add(1)
			go w.send(ctx, j, slot)
		}
		if len(jobs) < n {
			return
		}
	}
}

func (w *Deliverer) send(ctx context.Context, j *core.DeliveryJob, slot chan struct{}) {
	defer w.wg.Done()
	defer func() {
		w.mu.Lock()
		w.running--
		if w.busy[j.Target]--; w.busy[j.Target] <= 0 {
			delete(w.busy, j.Target)
			delete(w.slots, j.Target)
		}
		w.mu.Unlock()
		select {
		case w.freed <- struct{}{}:
		default:
		}
	}()
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-slot }()
	var res webhook.Result
	if j.Err == nil {
		res = w.Client.Send(ctx, j.Request)
	}
	if ctx.Err() != nil {
		return // aborted: the lease will bring it back
	}
	if err := w.Svc.FinishDelivery(ctx, j, res); err != nil {
		w.Log.ErrorContext(ctx, "recording a webhook attempt failed; it will be retried when its lease ends",
			"delivery", j.ID, "err", err)
		return
	}
	if w.Observer != nil {
		outcome := "delivered"
		if !res.OK() {
			outcome = "failed"
		}
		w.Observer.Did("webhooks", outcome, 1)
	}
	if !res.OK() {
		w.Log.InfoContext(ctx, "webhook attempt failed", "delivery", j.ID, "webhook", j.WebhookID, "attempt", j.Attempts,
			"status", res.Status, "err", res.Err)
	}
}

// Stop ends the deliverer: no new claims; the attempts in flight finish
// (each is bounded by Timeout) and are recorded. It is safe to call twice,
// and before Start.
func (w *Deliverer) Stop() {
	if w.stop == nil {
		return
	}
	w.once.Do(func() { close(w.stop) })
	<-w.done
	w.wg.Wait()
	w.cancel()
	w.Client.CloseIdle()
}
