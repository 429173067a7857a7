package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/store"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the gateway's Prometheus series, on a registry of their own so
// that tests can build as many servers as they like.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	commitBatch prometheus.Histogram
	commitTime  prometheus.Histogram
	passes      *prometheus.CounterVec
	passTime    *prometheus.HistogramVec
	work        *prometheus.CounterVec
	countsOnce  sync.Once
	procTime    *prometheus.HistogramVec
	procErrors  *prometheus.CounterVec
}

// NewMetrics registers the series.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pasarela_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pasarela_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pasarela_store_commit_batch_size", Help: "Update calls committed together in one transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pasarela_store_commit_duration_seconds", Help: "Duration of one store commit, callbacks included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
	m.passes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pasarela_worker_passes_total", Help: "Passes of each background worker (reconciler, subscriptions, payouts, sweeper, …).",
	}, []string{"worker"})
	m.passTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pasarela_worker_pass_duration_seconds", Help: "Duration of one pass of a background worker.",
		Buckets: []float64{.001, .005, .025, .1, .5, 2.5, 10, 60},
	}, []string{"worker"})
	m.work = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pasarela_worker_events_total",
		Help: "What the background workers did: reconciler payments_settled/refunds_settled/left/errors, subscriptions cycles_paid/cycles_declined/errors, webhooks delivered/failed (attempts).",
	}, []string{"worker", "event"})
	m.procTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pasarela_processor_call_duration_seconds", Help: "Calls to payment processors by gateway and call (authorize, capture, refund, …).",
		Buckets: []float64{.001, .005, .025, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"gateway", "call"})
	m.procErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pasarela_processor_errors_total", Help: "Processor calls that failed (not declines: errors reaching or reading the processor).",
	}, []string{"gateway", "call"})
	m.reg.MustRegister(m.requests, m.latency, m.commitBatch, m.commitTime, m.passes, m.passTime, m.work, m.procTime, m.procErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit is the store engines' OnCommit hook.
func (m *Metrics) ObserveCommit(batch int, took time.Duration) {
	m.commitBatch.Observe(float64(batch))
	m.commitTime.Observe(took.Seconds())
}

// ObserveProcessor is told of each processor call (telemetry.Processors).
func (m *Metrics) ObserveProcessor(gateway, call string, took time.Duration, err error) {
	m.procTime.WithLabelValues(gateway, call).Observe(took.Seconds())
	if err != nil {
		m.procErrors.WithLabelValues(gateway, call).Inc()
	}
}

// Pass implements worker.Observer: one pass of a background worker.
func (m *Metrics) Pass(worker string, took time.Duration) {
	m.passes.WithLabelValues(worker).Inc()
	m.passTime.WithLabelValues(worker).Observe(took.Seconds())
}

// Did implements worker.Observer: n things a worker did.
func (m *Metrics) Did(worker, what string, n int) {
	m.work.WithLabelValues(worker, what).Add(float64(n))
}

// routeLabel is the route a request matched, as the metrics label it: the
// mux pattern without its method (the method has a label of its own), and
// "unmatched" for a path no face serves, so that probes of made-up paths
// neither add series nor hide among real routes.
func routeLabel(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

func (m *Metrics) observe(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, method, statusClass(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// statusClass keeps the label's cardinality small and fixed: a status code
// is one of at most 500 values.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// WatchCore adds the series the core keeps itself: deposits created past
// the wallets' gap limit (a merchant restoring its key may not see
// payments beyond it). Registering twice is a no-op, so servers built over
// one core share the series.
func (m *Metrics) WatchCore(gapWarnings func() int64, chains func() []chain.Health) {
	_ = m.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "pasarela_crypto_gap_limit_warnings_total",
		Help: "Crypto deposits created while more than the gap limit of their key's addresses in a row were unpaid.",
	}, func() float64 { return float64(gapWarnings()) }))
	_ = m.reg.Register(chainCollector(chains))
}

var (
	chainLagDesc = prometheus.NewDesc("pasarela_chain_lag_blocks",
		"Blocks the deposit watcher is behind a node's best chain, as of its last look at the node.", []string{"node", "currency"}, nil)
	chainUpDesc = prometheus.NewDesc("pasarela_chain_up",
		"Whether a node answered the deposit watcher's last look (1) or not (0).", []string{"node", "currency"}, nil)
	chainHeightDesc = prometheus.NewDesc("pasarela_chain_processed_height",
		"The last block of a node's chain the deposit watcher processed.", []string{"node", "currency"}, nil)
)

// chainCollector reports each watched node's health, read at scrape time.
type chainCollector func() []chain.Health

func (c chainCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- chainLagDesc
	ch <- chainUpDesc
	ch <- chainHeightDesc
}

func (c chainCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c() {
		up := 0.0
		if h.Reachable {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(chainLagDesc, prometheus.GaugeValue, float64(h.Lag), h.Name, h.Currency)
		ch <- prometheus.MustNewConstMetric(chainUpDesc, prometheus.GaugeValue, up, h.Name, h.Currency)
		ch <- prometheus.MustNewConstMetric(chainHeightDesc, prometheus.GaugeValue, float64(h.Processed), h.Name, h.Currency)
	}
}

// countsTTL is how long the business counts are kept between scrapes: each
// count reads every payment's index entry, so several Prometheus servers
// scraping every few seconds share one read.
const countsTTL = 15 * time.Second

// WatchCounts adds the business series read from the database at scrape
// time (at most once per countsTTL): payments by status and processor
// (pasarela_payments), webhook deliveries by status
// (pasarela_webhook_deliveries: pending is the backlog, dead the ones that
// ran out of retries). A failed read is counted in
// pasarela_metrics_read_errors_total and the series are left out of that
// scrape. Only the first call registers them.
func (m *Metrics) WatchCounts(read func(context.Context) (*store.OperationalCounts, error)) {
	m.countsOnce.Do(func() {
		m.reg.MustRegister(&countsCollector{read: read,
			payments: prometheus.NewDesc("pasarela_payments", "Payments by status and processor (gateway \"\" until one is chosen).",
				[]string{"status", "gateway"}, nil),
			deliveries: prometheus.NewDesc("pasarela_webhook_deliveries", "Webhook deliveries by status: pending (the backlog), delivered, dead.",
				[]string{"status"}, nil),
			errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "pasarela_metrics_read_errors_total",
				Help: "Scrapes whose business counts could not be read from the database."}),
		})
	})
}

type countsCollector struct {
	read                 func(context.Context) (*store.OperationalCounts, error)
	payments, deliveries *prometheus.Desc
	errors               prometheus.Counter

	mu     sync.Mutex
	at     time.Time
	counts *store.OperationalCounts
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.payments
	ch <- c.deliveries
	c.errors.Describe(ch)
}

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if c.counts == nil || time.Since(c.at) > countsTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		counts, err := c.read(ctx)
		cancel()
		if err != nil {
			c.errors.Inc()
			c.counts = nil
		} else {
			c.counts, c.at = counts, time.Now()
		}
	}
	counts := c.counts
	c.mu.Unlock()
	c.errors.Collect(ch)
	if counts == nil {
		return
	}
	for _, p := range counts.Payments {
		ch <- prometheus.MustNewConstMetric(c.payments, prometheus.GaugeValue, float64(p.N), p.Status, p.Gateway)
	}
	for _, st := range []string{"pending", "delivered", "dead"} {
		ch <- prometheus.MustNewConstMetric(c.deliveries, prometheus.GaugeValue, float64(counts.Deliveries[st]), st)
	}
}
