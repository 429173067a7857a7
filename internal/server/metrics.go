package server

import (
	"github.com/pasarela/pasarela/internal/chain"

	"net/http"
	"strconv"
	"time"

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
	m.reg.MustRegister(m.requests, m.latency, m.commitBatch, m.commitTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveCommit is the store engines' OnCommit hook.
func (m *Metrics) ObserveCommit(batch int, took time.Duration) {
	m.commitBatch.Observe(float64(batch))
	m.commitTime.Observe(took.Seconds())
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
