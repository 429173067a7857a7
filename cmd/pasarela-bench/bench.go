package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// benchConfig holds the settings of pasarela-bench, which drives a running
// server over HTTP exactly as a merchant's integration would: it never
// touches the server's database, except to bootstrap a tenant when asked to.
type benchConfig struct {
	url         string
	key         string
	app         int64
	duration    time.Duration
	workers     uint64
	rate        int
	scenarios   []string
	bootstrapDB string
	// bootstrapOnly stops after the bootstrap, printing the tenant.
	bootstrapOnly bool
	warmup        int
	wait          time.Duration
	timeout       time.Duration
}

// benchScenarios are the scenarios bench knows, in the order it runs them
// by default: create first, so that get and list read a table of realistic
// size rather than an empty one. health (GET /healthz: no database, no
// authentication) is the ceiling of HTTP and the load generator on the
// machine, against which the others can be read.
var benchScenarios = []string{"create", "get", "list", "health"}

// benchBody is a valid PayREST payment: the smallest body that takes the
// whole create path (validation, routing to a gateway config, the insert,
// the idempotency record).
const benchBody = `{"payment":{"amount":"1050","currency":"EUR","description":"bench"}}`

// waitReady polls /readyz until the server answers, so that a script may
// start the server and the bench together.
func (b *benchConfig) waitReady(ctx context.Context, client *http.Client) error {
	deadline := time.Now().Add(b.wait)
	for {
		res, err := b.do(ctx, client, "GET", b.url+"/readyz", nil, nil)
		if err == nil && res.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("status %d", res.status)
			}
			return fmt.Errorf("%s/readyz did not answer 200 within %s: %w", b.url, b.wait, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// checkKey tries the credentials once, so that a wrong key or application
// is one clear error rather than a run of 401s.
func (b *benchConfig) checkKey(ctx context.Context, client *http.Client) error {
	res, err := b.do(ctx, client, "GET", b.url+"/application/"+strconv.FormatInt(b.app, 10), nil, nil)
	if err != nil {
		return err
	}
	if res.status != http.StatusOK {
		return fmt.Errorf("GET /application/%d with the key answered %d: %s", b.app, res.status, res.body)
	}
	return nil
}

type benchResponse struct {
	status int
	body   []byte
}

func (b *benchConfig) do(ctx context.Context, client *http.Client, method, url string, body []byte, header http.Header) (*benchResponse, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("X-Auth-Token", b.key)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return &benchResponse{status: res.StatusCode, body: out}, err
}

func (b *benchConfig) paymentsURL() string {
	return b.url + "/application/" + strconv.FormatInt(b.app, 10) + "/payment"
}

// targeter returns the requests of a scenario. Targeters are called by many
// workers at once, so they share nothing but atomic counters and read-only
// data.
func (b *benchConfig) targeter(ctx context.Context, client *http.Client, scenario string) (vegeta.Targeter, error) {
	switch scenario {
	case "create":
		// Every request has a key of its own: the run measures first
		// creations, each recording its answer for replay, which is the path
		// a merchant's retries rely on.
		run, n := randomHex(6), atomic.Uint64{}
		url, body := b.paymentsURL(), []byte(benchBody)
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Body = "POST", url, body
			t.Header = http.Header{
				"X-Auth-Token":    {b.key},
				"Content-Type":    {"application/json"},
				"Idempotency-Key": {"bench-" + run + "-" + strconv.FormatUint(n.Add(1), 10)},
			}
			return nil
		}, nil
	case "get":
		urls, err := b.warmUp(ctx, client)
		if err != nil {
			return nil, err
		}
		var n atomic.Uint64
		header := http.Header{"X-Auth-Token": {b.key}}
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Header = "GET", urls[(n.Add(1)-1)%uint64(len(urls))], header
			return nil
		}, nil
	case "list":
		url := b.paymentsURL() + "?limit=10"
		header := http.Header{"X-Auth-Token": {b.key}}
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Header = "GET", url, header
			return nil
		}, nil
	case "health":
		url := strings.TrimRight(b.url, "/") + "/healthz"
		return func(t *vegeta.Target) error {
			t.Method, t.URL, t.Header = "GET", url, http.Header{}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", scenario)
}

// warmUp creates the payments the get scenario reads, with 16 requests in
// flight, and returns their URLs.
func (b *benchConfig) warmUp(ctx context.Context, client *http.Client) ([]string, error) {
	urls := make([]string, b.warmup)
	run := randomHex(6)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(urls)) {
					return
				}
				res, err := b.do(ctx, client, "POST", b.paymentsURL(), []byte(benchBody), http.Header{
					"Content-Type": {"application/json"}, "Idempotency-Key": {"warmup-" + run + "-" + strconv.FormatInt(i, 10)}})
				if err == nil && res.status != http.StatusCreated {
					err = fmt.Errorf("warm-up create answered %d: %s", res.status, res.body)
				}
				var p struct {
					ID int64 `json:"id"`
				}
				if err == nil {
					err = json.Unmarshal(res.body, &p)
				}
				if err != nil {
					errs <- err
					return
				}
				urls[i] = b.paymentsURL() + "/" + strconv.FormatInt(p.ID, 10)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return urls, nil
}

// benchResult is what one scenario measured.
type benchResult struct {
	name      string
	requests  int
	ok        int // 2xx answers
	elapsed   time.Duration
	latencies []time.Duration // sorted
	codes     map[int]int
	errors    map[string]int
}

// attack runs one scenario for the configured duration. With --rate 0 the
// workers form a closed loop: each sends its next request as soon as its
// last one is answered, so the figure is the server's capacity at that
// concurrency. Latency percentiles are exact (every latency is kept and
// sorted) rather than vegeta's streaming estimate.
func (b *benchConfig) attack(ctx context.Context, scenario string, tr vegeta.Targeter) *benchResult {
	// MaxBody(0): the answers' bodies are read and dropped rather than kept
	// in every result; the load generator shares the machine with the
	// server, so its own cost per request is kept small. (An error's body
	// is in the server's log line.)
	atk := vegeta.NewAttacker(vegeta.Workers(b.workers), vegeta.MaxWorkers(b.workers),
		vegeta.Connections(int(b.workers)), vegeta.Timeout(b.timeout), vegeta.KeepAlive(true), vegeta.MaxBody(0))
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	r := &benchResult{name: scenario, codes: map[int]int{}, errors: map[string]int{}}
	var first, last time.Time
	for res := range atk.Attack(tr, vegeta.Rate{Freq: b.rate, Per: time.Second}, b.duration, scenario) {
		r.requests++
		r.latencies = append(r.latencies, res.Latency)
		r.codes[int(res.Code)]++
		if res.Code >= 200 && res.Code < 300 {
			r.ok++
		} else if _, seen := r.errors[res.Error]; res.Error != "" && (seen || len(r.errors) < 10) {
			r.errors[res.Error]++ // the first ten distinct errors, counted
		}
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if end := res.End(); end.After(last) {
			last = end
		}
	}
	r.elapsed = last.Sub(first)
	slices.Sort(r.latencies)
	return r
}

// quantile returns the latency below which a fraction q of requests fall
// (nearest rank).
func (r *benchResult) quantile(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(r.latencies))+0.999999) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

func (r *benchResult) print(w io.Writer) {
	ratio, rps := 0.0, 0.0
	if r.requests > 0 {
		ratio = float64(r.ok) / float64(r.requests)
	}
	if r.elapsed > 0 {
		rps = float64(r.ok) / r.elapsed.Seconds()
	}
	codes := make([]int, 0, len(r.codes))
	for c := range r.codes {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var cs []string
	for _, c := range codes {
		name := strconv.Itoa(c)
		if c == 0 {
			name = "no answer"
		}
		cs = append(cs, fmt.Sprintf("%s×%d", name, r.codes[c]))
	}
	fmt.Fprintf(w, "%s\n  requests %d  success %.2f%%  %.0f req/s (successes)\n", r.name, r.requests, 100*ratio, rps)
	fmt.Fprintf(w, "  latency p50 %s  p99 %s  p99.9 %s  max %s\n", ms(r.quantile(0.5)), ms(r.quantile(0.99)),
		ms(r.quantile(0.999)), ms(r.quantile(1)))
	fmt.Fprintf(w, "  status %s\n", strings.Join(cs, "  "))
	for e, n := range r.errors {
		fmt.Fprintf(w, "  error ×%d: %s\n", n, e)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

// randomHex returns 2n random hex digits, for names and keys that must not
// collide with an earlier run's. crypto/rand.Read never returns an error.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
