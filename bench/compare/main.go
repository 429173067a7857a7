// Command compare is `make benchcompare`: the gateway side by side with a
// bare Go handler (the ceiling) and a peer (stripe-mock), on the same
// machine, in the same run, so that its figures are ratios that mean
// something on a shared two-core machine where absolute numbers do not.
//
// It builds the gateway, the ceiling (bench/ceiling) and stripe-mock,
// serves them, seeds applications with 1,000 and 100,000 payments (and
// 1,000,000 with --huge) straight into the database, then runs the suite
// interleaved — every step once per round, for --rounds rounds — with wrk
// and the scripts of bench/wrk, and prints a markdown table of the medians:
// req/s, p50/p99, the server process's CPU per request (/proc/PID/stat),
// its peak RSS (VmHWM) and the ratios to the ceiling and to stripe-mock.
// After the run it checks that every 201 wrk counted is a payment in the
// database and that `pasarela ledger verify` passes, and prints the
// server's own count of answers by status.
//
//	go run ./bench/compare [--rounds 3] [--duration 8s] [--connections 64] [--list-connections 16] [--huge]
//
// With PASARELA_TEST_POSTGRES set it also creates payments on PostgreSQL,
// in a database of its own that it drops afterwards.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stripeMock is the peer: Stripe's own mock of its API, which validates
// each request against Stripe's OpenAPI spec and answers from fixtures,
// storing nothing. A gateway that stores and fsyncs each payment is
// measured against what a well-known Go API server does with none of that.
const stripeMock = "github.com/stripe/stripe-mock@v0.203.0"

// createBody is a valid PayREST payment (and, for the ceiling, the body it
// decodes).
const createBody = `{"payment":{"amount":"1050","currency":"EUR","description":"bench"}}`

type config struct {
	rounds      int
	duration    time.Duration
	connections int
	listConns   int
	threads     int
	huge        bool
	quietIdle   float64
	quietWait   time.Duration
	postgres    string
	keep        bool
	basePort    int
	profile     string
}

func main() {
	var c config
	fs := flag.NewFlagSet("benchcompare", flag.ExitOnError)
	fs.IntVar(&c.rounds, "rounds", envInt("BENCH_ROUNDS", 3), "rounds of the interleaved suite (env BENCH_ROUNDS); the table shows medians")
	fs.DurationVar(&c.duration, "duration", envDuration("BENCH_DURATION", 8*time.Second), "length of each step in each round, whole seconds (env BENCH_DURATION)")
	fs.IntVar(&c.connections, "connections", envInt("BENCH_CONNECTIONS", 64), "concurrent connections of every step but the lists (env BENCH_CONNECTIONS)")
	fs.IntVar(&c.listConns, "list-connections", envInt("BENCH_LIST_CONNECTIONS", 16), "concurrent connections of the list steps (env BENCH_LIST_CONNECTIONS)")
	fs.IntVar(&c.threads, "threads", envInt("BENCH_THREADS", 2), "wrk threads (env BENCH_THREADS)")
	fs.BoolVar(&c.huge, "huge", os.Getenv("BENCH_HUGE") != "", "also list at 1,000,000 payments (env BENCH_HUGE=1; seeding takes about a minute)")
	fs.Float64Var(&c.quietIdle, "quiet-idle", 0.85, "share of the CPUs that must be idle before each round")
	fs.DurationVar(&c.quietWait, "quiet-wait", envDuration("BENCH_QUIET_WAIT", 60*time.Second), "longest wait for a quiet machine before each round, after which the round runs anyway (env BENCH_QUIET_WAIT)")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (databases, logs, wrk's id files) and the PostgreSQL database")
	fs.IntVar(&c.basePort, "port", 18090, "first of the loopback ports used (this, the next four and the ninth after it)")
	fs.StringVar(&c.profile, "profile", "", "write a CPU profile of the gateway during each of its steps to this directory (pprof on the ports 3 and 4 after --port)")
	_ = fs.Parse(os.Args[1:])
	c.postgres = os.Getenv("PASARELA_TEST_POSTGRES")
	if c.rounds < 1 || c.duration < time.Second || c.connections < 1 || c.listConns < 1 || c.threads < 1 {
		fmt.Fprintln(os.Stderr, "benchcompare: --rounds, --connections, --list-connections and --threads must be positive and --duration at least 1s")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h := &harness{cfg: c, out: os.Stdout}
	err := h.run(ctx)
	h.cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// harness holds the run's processes and files.
type harness struct {
	cfg      config
	out      io.Writer
	dir      string
	repo     string
	procs    []*proc
	cleanups []func()
	loads    []float64
	notes    []string
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchcompare: "+format+"\n", args...)
}

func (h *harness) cleanup() {
	for i := len(h.procs) - 1; i >= 0; i-- {
		h.procs[i].stop()
	}
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		h.cleanups[i]()
	}
	if h.dir != "" {
		if h.cfg.keep {
			h.logf("kept %s", h.dir)
		} else {
			os.RemoveAll(h.dir)
		}
	}
}

// gateway is one pasarela server and the tenants made in it.
type gateway struct {
	proc   *proc
	db     string // --db
	driver string // database/sql driver and DSN for the checks
	dsn    string
	url    string
	argv   []string
	debug  string // the pprof listener's URL, with --profile
	create tenant
}

type tenant struct {
	app int64
	key string
}

func (h *harness) run(ctx context.Context) error {
	var err error
	if h.repo, err = os.Getwd(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(h.repo, "bench", "wrk", "post.lua")); err != nil {
		return errors.New("run it from the repository's root (make benchcompare)")
	}
	if err := h.ensureWrk(ctx); err != nil {
		return err
	}
	if h.dir, err = os.MkdirTemp("", "benchcompare-"); err != nil {
		return err
	}
	if err := h.build(ctx); err != nil {
		return err
	}
	port := func(i int) string { return "127.0.0.1:" + strconv.Itoa(h.cfg.basePort+i) }

	// The ceiling and the peer.
	ceiling, err := h.start(ctx, "ceiling", filepath.Join(h.dir, "ceiling"), "--addr", port(9))
	if err != nil {
		return err
	}
	peer, err := h.start(ctx, "stripe-mock", filepath.Join(h.dir, "stripe-mock"), "-http-addr", port(2))
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+port(9)+"/", "POST", createBody); err != nil {
		return err
	}
	if err := waitHTTP(ctx, "http://"+port(2)+"/v1/payment_intents", "POST", ""); err != nil {
		return err
	}

	// The gateway on SQLite, with the tenants the reads use seeded.
	sq := &gateway{db: "sqlite:" + filepath.Join(h.dir, "pasarela.db"), driver: "sqlite",
		dsn: sqliteDSN(filepath.Join(h.dir, "pasarela.db")), url: "http://" + port(0)}
	sq.argv = []string{"serve", "--addr", port(0), "--db", sq.db, "--secret-key-file", filepath.Join(h.dir, "pasarela.key")}
	h.debugAddr(sq, port(3))
	if err := h.serve(ctx, "pasarela-sqlite", sq); err != nil {
		return err
	}
	if sq.create, err = h.bootstrap(ctx, sq); err != nil {
		return err
	}
	sizes := []int{1000, 100000}
	if h.cfg.huge {
		sizes = append(sizes, 1000000)
	}
	lists := make([]tenant, len(sizes))
	for i := range sizes {
		if lists[i], err = h.bootstrap(ctx, sq); err != nil {
			return err
		}
		if _, err := h.createPayment(ctx, sq.url, lists[i]); err != nil {
			return err
		}
	}
	sq.proc.stop() // the seeding writes behind its back otherwise
	for i, n := range sizes {
		start := time.Now()
		if err := seedPayments(ctx, filepath.Join(h.dir, "pasarela.db"), lists[i].app, n); err != nil {
			return fmt.Errorf("seeding %d payments: %w", n, err)
		}
		h.logf("seeded application %d with %d payments in %s", lists[i].app, n, time.Since(start).Round(time.Millisecond))
	}
	getPaths, err := h.writePaths(ctx, sq, lists[0])
	if err != nil {
		return err
	}
	if err := h.serve(ctx, "pasarela-sqlite", sq); err != nil {
		return err
	}

	// The gateway on PostgreSQL, when there is one.
	var pg *gateway
	var pgName string
	if h.cfg.postgres != "" {
		pgName = "benchcompare_" + randomHex(4)
		dsn, drop, err := postgresDB(ctx, h.cfg.postgres, pgName)
		if err != nil {
			return err
		}
		if !h.cfg.keep {
			h.cleanups = append(h.cleanups, drop)
		}
		pg = &gateway{db: dsn, driver: "pgx", dsn: dsn, url: "http://" + port(1)}
		pg.argv = []string{"serve", "--addr", port(1), "--db", dsn, "--secret-key-file", filepath.Join(h.dir, "pasarela-pg.key")}
		h.debugAddr(pg, port(4))
		if err := h.serve(ctx, "pasarela-postgres", pg); err != nil {
			return err
		}
		if pg.create, err = h.bootstrap(ctx, pg); err != nil {
			return err
		}
	} else {
		h.notes = append(h.notes, "PASARELA_TEST_POSTGRES is not set: no PostgreSQL step.")
	}

	// The suite, in the order each round runs it.
	post, get := filepath.Join(h.repo, "bench/wrk/post.lua"), filepath.Join(h.repo, "bench/wrk/get.lua")
	c, lc := h.cfg.connections, h.cfg.listConns
	var idsSQLite, idsPG []string
	steps := []*step{
		{name: "ceiling (bare JSON POST)", role: roleCeiling, connections: c, want: 201, proc: ceiling,
			wrk: wrkRun{url: "http://" + port(9) + "/", script: post, headers: []string{"Content-Type: application/json"}, args: []string{createBody}}},
		{name: "`GET /healthz`", connections: c, want: 200, proc: sq.proc,
			wrk: wrkRun{url: sq.url + "/healthz", script: get}},
		{name: "stripe-mock `POST /v1/payment_intents`", role: rolePeer, connections: c, want: 200, proc: peer,
			wrk: wrkRun{url: "http://" + port(2) + "/v1/payment_intents", script: post,
				headers: []string{"Authorization: Bearer sk_test_123", "Content-Type: application/x-www-form-urlencoded"},
				args:    []string{"amount=1050&currency=eur&description=bench"}}},
		{name: "create payment, SQLite", role: roleCreate, connections: c, want: 201, proc: sq.proc, ids: &idsSQLite,
			wrk: wrkRun{url: sq.url + paymentsPath(sq.create), script: post,
				headers: []string{"X-Auth-Token: " + sq.create.key, "Content-Type: application/json"}, args: []string{createBody}}},
		{name: "get one payment, SQLite", connections: c, want: 200, proc: sq.proc,
			wrk: wrkRun{url: sq.url + "/", script: get, headers: []string{"X-Auth-Token: " + lists[0].key}, args: []string{getPaths}}},
	}
	for i, n := range sizes {
		steps = append(steps, &step{name: fmt.Sprintf("list 20 payments at %s payments, SQLite", thousands(float64(n))),
			connections: lc, want: 200, proc: sq.proc,
			wrk: wrkRun{url: sq.url + paymentsPath(lists[i]) + "?limit=20", script: get, headers: []string{"X-Auth-Token: " + lists[i].key}}})
	}
	if pg != nil {
		steps = append(steps, &step{name: "create payment, PostgreSQL", role: roleCreate, connections: c, want: 201, proc: pg.proc, ids: &idsPG,
			dbPIDs: func() []int { pids, _ := backendPIDs(ctx, pg.dsn, pgName); return pids },
			wrk: wrkRun{url: pg.url + paymentsPath(pg.create), script: post,
				headers: []string{"X-Auth-Token: " + pg.create.key, "Content-Type: application/json"}, args: []string{createBody}}})
	}
	results := make([]*result, len(steps))
	for _, s := range steps {
		for _, g := range []*gateway{sq, pg} {
			if g != nil && s.proc == g.proc {
				s.debug = g.debug
			}
		}
	}
	for i, s := range steps {
		s.wrk.threads, s.wrk.connections = min(h.cfg.threads, s.connections), s.connections
		results[i] = &result{step: s}
	}

	// A short warm-up of each step (pools filled, pages cached), not counted.
	h.logf("warming up")
	for _, s := range steps {
		w := s.wrk
		w.duration, w.args = time.Second, slices.Clone(w.args)
		if _, err := w.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	for round := 1; round <= h.cfg.rounds; round++ {
		if !waitQuiet(h.cfg.quietIdle, h.cfg.quietWait, h.logf) {
			h.notes = append(h.notes, fmt.Sprintf("Round %d started on a busy machine (wait for quiet timed out after %s).", round, h.cfg.quietWait))
		}
		for i, s := range steps {
			if err := ctx.Err(); err != nil {
				return err
			}
			smp, err := h.measure(ctx, s, round)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round, s.name, err)
			}
			results[i].samples = append(results[i].samples, smp)
			h.loads = append(h.loads, smp.load)
			h.logf("round %d  %-45s %9.0f req/s  p50 %s  p99 %s  %7.1f CPU-µs/req  %s", round, s.name, smp.rps,
				msText(float64(smp.p50)), msText(float64(smp.p99)), smp.cpuPerReq, smp.others)
		}
	}
	h.loads = append(h.loads, loadAverage())

	// The server's own counts, then the checks with every server stopped
	// (SIGTERM: graceful, everything acknowledged flushed).
	counters := map[string]string{}
	for _, g := range []*gateway{sq, pg} {
		if g != nil {
			counters[g.proc.name] = serverCounts(ctx, g.url)
		}
	}
	for _, g := range []*gateway{sq, pg} {
		if g != nil {
			g.proc.stop()
		}
	}
	var checks []string
	for _, v := range []struct {
		g     *gateway
		files []string
		step  string
	}{{sq, idsSQLite, "create payment, SQLite"}, {pg, idsPG, "create payment, PostgreSQL"}} {
		if v.g == nil {
			continue
		}
		var want int64
		for _, r := range results {
			if r.step.name == v.step {
				want = r.step.acked
			}
		}
		ids, err := paymentIDs(ctx, v.g.driver, v.g.dsn, v.g.create.app)
		if err != nil {
			return err
		}
		acked, extra, err := checkAcknowledged(ids, v.files, want)
		if err != nil {
			return fmt.Errorf("%s: %w", v.step, err)
		}
		out, err := exec.CommandContext(ctx, filepath.Join(h.dir, "pasarela"), "ledger", "verify", "--db", v.g.db,
			"--secret-key-file", v.g.argv[len(v.g.argv)-1]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: pasarela ledger verify: %w\n%s", v.step, err, out)
		}
		checks = append(checks, fmt.Sprintf("%s: every one of the %d answers 201 is a payment in the database (%d more payments: "+
			"warm-up and answers lost when runs ended); ledger verify: %s", v.step, acked, extra, strings.TrimSpace(string(out))))
	}
	h.report(results, counters, checks)
	return nil
}

// step is one line of the table.
type step struct {
	name        string
	role        int
	connections int
	want        int // the status a request succeeds with
	proc        *proc
	dbPIDs      func() []int // PostgreSQL's backends for the database, whose CPU is counted apart
	ids         *[]string    // files of the ids answered 201, one per round (creates on the gateway)
	wrk         wrkRun
	acked       int64  // answers with the wanted status over the rounds
	debug       string // the gateway's pprof URL (--profile)
}

const (
	roleOther = iota
	roleCeiling
	rolePeer
	roleCreate
)

// measure runs one step once: the server's CPU and peak RSS around wrk.
func (h *harness) measure(ctx context.Context, s *step, round int) (sample, error) {
	w := s.wrk
	w.duration = h.cfg.duration
	w.args = slices.Clone(w.args)
	if s.ids != nil {
		f := filepath.Join(h.dir, fmt.Sprintf("ids-%s-%d.txt", s.proc.name, round))
		*s.ids = append(*s.ids, f)
		w.args = append(w.args, f)
	}
	pid := s.proc.cmd.Process.Pid
	resetPeakRSS(pid)
	load := loadAverage()
	before, err := cpuTime(pid)
	if err != nil {
		return sample{}, err
	}
	dbBefore := map[int]time.Duration{}
	if s.dbPIDs != nil {
		for _, p := range s.dbPIDs() {
			dbBefore[p], _ = cpuTime(p)
		}
	}
	profiled := h.profile(ctx, s, round)
	rep, err := w.run(ctx)
	if err != nil {
		return sample{}, err
	}
	if err := <-profiled; err != nil {
		h.logf("profile of %s: %v", s.name, err)
	}
	after, err := cpuTime(pid)
	if err != nil {
		return sample{}, err
	}
	var db time.Duration
	if s.dbPIDs != nil {
		for _, p := range s.dbPIDs() {
			if t, err := cpuTime(p); err == nil {
				db += t - dbBefore[p] // a backend started during the step began at 0
			}
		}
	}
	rss, _ := peakRSS(pid)
	ok := rep.status(s.want)
	s.acked += ok
	smp := sample{rps: float64(ok) / (float64(rep.DurationUS) / 1e6), p50: time.Duration(rep.P50US) * time.Microsecond,
		p99: time.Duration(rep.P99US) * time.Microsecond, peakRSS: rss, others: rep.others(s.want), load: load}
	if rep.Requests > 0 {
		smp.cpuPerReq = float64((after - before).Microseconds()) / float64(rep.Requests)
		smp.dbPerReq = float64(db.Microseconds()) / float64(rep.Requests)
	}
	return smp, nil
}

// debugAddr has the gateway serve pprof on addr when profiles are wanted.
func (h *harness) debugAddr(g *gateway, addr string) {
	if h.cfg.profile == "" {
		return
	}
	// After "serve": bootstrap reads the key file from the end of argv.
	g.argv = append([]string{g.argv[0], "--debug-addr", addr}, g.argv[1:]...)
	g.debug = "http://" + addr
}

// profile takes a CPU profile of a gateway step's server while wrk runs
// (a second shorter than the step, so that it ends within it) into the
// --profile directory; the channel answers when it is written.
func (h *harness) profile(ctx context.Context, s *step, round int) <-chan error {
	done := make(chan error, 1)
	if s.debug == "" {
		done <- nil
		return done
	}
	secs := max(1, int(h.cfg.duration/time.Second)-1)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s.name))
	file := filepath.Join(h.cfg.profile, fmt.Sprintf("%s-r%d.pprof", strings.Trim(name, "-"), round))
	go func() {
		done <- func() error {
			req, err := http.NewRequestWithContext(ctx, "GET", s.debug+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("pprof answered %s", res.Status)
			}
			if err := os.MkdirAll(h.cfg.profile, 0o755); err != nil {
				return err
			}
			f, err := os.Create(file)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, res.Body); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}()
	}()
	return done
}

// report prints the table, the machine and what the checks found.
func (h *harness) report(results []*result, counters map[string]string, checks []string) {
	w := h.out
	fmt.Fprintf(w, "\n### %d rounds × %s, medians (wrk %s, %d threads; c = connections)\n\n", h.cfg.rounds, h.cfg.duration,
		wrkVersion(), h.cfg.threads)
	printTable(w, results)
	fmt.Fprintln(w)
	lo, hi := slices.Min(h.loads), slices.Max(h.loads)
	fmt.Fprintf(w, "- Machine: %d CPUs (%s), Linux %s, %s; load average (1 min) %.2f–%.2f during the run.\n",
		runtime.NumCPU(), cpuModel(), kernel(), goVersion(), lo, hi)
	for _, name := range []string{"pasarela-sqlite", "pasarela-postgres"} {
		if c, ok := counters[name]; ok {
			fmt.Fprintf(w, "- %s counted (its `pasarela_http_requests_total`, warm-up included): %s.\n", name, c)
		}
	}
	for _, c := range checks {
		fmt.Fprintf(w, "- %s\n", c)
	}
	for _, n := range h.notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

// serverCounts sums the server's own request counter by status.
func serverCounts(ctx context.Context, base string) string {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return sumByStatus(string(b))
}

var requestsLine = regexp.MustCompile(`^pasarela_http_requests_total\{.*status="([^"]+)".*\} ([0-9.e+]+)$`)

// sumByStatus reads the Prometheus text of pasarela_http_requests_total
// and returns its totals by status ("200×3 201×5 499×2").
func sumByStatus(metrics string) string {
	sums := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(metrics))
	for sc.Scan() {
		if m := requestsLine.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			sums[m[1]] += v
		}
	}
	var parts []string
	for s, v := range sums {
		parts = append(parts, fmt.Sprintf("%s×%.0f", s, v))
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " ")
}

// proc is a server the harness started.
type proc struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	stopped bool
}

func (h *harness) start(ctx context.Context, name, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(filepath.Join(h.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(p.done) }()
	h.procs = append(h.procs, p)
	return p, nil
}

// stop ends the process gracefully (SIGTERM: the gateway flushes what it
// acknowledged), killing it if it has not ended within 30 s.
func (p *proc) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// serve starts (or restarts) a gateway and waits for /readyz.
func (h *harness) serve(ctx context.Context, name string, g *gateway) error {
	p, err := h.start(ctx, name, filepath.Join(h.dir, "pasarela"), g.argv...)
	if err != nil {
		return err
	}
	g.proc = p
	if err := waitHTTP(ctx, g.url+"/readyz", "GET", ""); err != nil {
		return fmt.Errorf("%s: %w (see its log in %s)", name, err, h.dir)
	}
	return nil
}

// bootstrap makes a client, an application and a sandbox gateway config
// through pasarela-bench, which makes them through the core.
func (h *harness) bootstrap(ctx context.Context, g *gateway) (tenant, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(h.dir, "pasarela-bench"), "--url", g.url, "--bootstrap-db", g.db,
		"--secret-key-file", g.argv[len(g.argv)-1], "--bootstrap-only")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return tenant{}, fmt.Errorf("pasarela-bench --bootstrap-only: %w\n%s", err, stderr.String())
	}
	var t tenant
	if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "app=%d key=%s", &t.app, &t.key); err != nil {
		return tenant{}, fmt.Errorf("pasarela-bench --bootstrap-only printed %q: %w", out, err)
	}
	return t, nil
}

func paymentsPath(t tenant) string {
	return "/application/" + strconv.FormatInt(t.app, 10) + "/payment"
}

// createPayment makes one payment over HTTP and returns its id.
func (h *harness) createPayment(ctx context.Context, base string, t tenant) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", base+paymentsPath(t), strings.NewReader(createBody))
	req.Header.Set("X-Auth-Token", t.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "benchcompare-"+randomHex(8))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var p struct {
		ID int64 `json:"id"`
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &p) != nil {
		return 0, fmt.Errorf("creating a payment answered %d: %s", res.StatusCode, b)
	}
	return p.ID, nil
}

// writePaths writes the URL paths of a tenant's payments, which the get
// step reads in turn.
func (h *harness) writePaths(ctx context.Context, g *gateway, t tenant) (string, error) {
	ids, err := paymentIDs(ctx, g.driver, g.dsn, t.app)
	if err != nil {
		return "", err
	}
	sorted := make([]int64, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	slices.Sort(sorted)
	var b strings.Builder
	for _, id := range sorted {
		fmt.Fprintf(&b, "%s/%d\n", paymentsPath(t), id)
	}
	path := filepath.Join(h.dir, "get-paths.txt")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// waitHTTP waits for a server to answer at all (any status).
func waitHTTP(ctx context.Context, url, method, body string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if !strings.HasSuffix(url, "/readyz") || res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within 60 s: %v", url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ensureWrk installs Debian's wrk when it is missing.
func (h *harness) ensureWrk(ctx context.Context) error {
	if _, err := exec.LookPath("wrk"); err == nil {
		return nil
	}
	h.logf("wrk is missing: apt-get install -y wrk")
	install := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "--no-install-recommends", "wrk")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd.Run()
	}
	if install() != nil {
		update := exec.CommandContext(ctx, "apt-get", "update")
		update.Stdout, update.Stderr = os.Stderr, os.Stderr
		if err := update.Run(); err != nil {
			return fmt.Errorf("apt-get update (install wrk yourself): %w", err)
		}
		if err := install(); err != nil {
			return fmt.Errorf("apt-get install wrk (install it yourself): %w", err)
		}
	}
	return nil
}

// build compiles the gateway, the bench's bootstrap command, the ceiling
// and stripe-mock into the run's directory.
func (h *harness) build(ctx context.Context) error {
	for _, b := range [][2]string{{"pasarela", "./cmd/pasarela"}, {"pasarela-bench", "./cmd/pasarela-bench"}, {"ceiling", "./bench/ceiling"}} {
		h.logf("go build %s", b[1])
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(h.dir, b[0]), b[1]).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b[1], err, out)
		}
	}
	h.logf("go install %s", stripeMock)
	cmd := exec.CommandContext(ctx, "go", "install", stripeMock)
	cmd.Dir = h.dir // outside the module: its own go.mod decides its dependencies
	cmd.Env = append(os.Environ(), "GOBIN="+h.dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go install %s: %w\n%s", stripeMock, err, out)
	}
	return nil
}

func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	f := strings.Fields(string(out))
	if len(f) > 1 {
		return f[1]
	}
	return "?"
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}

func kernel() string {
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return strings.TrimSpace(string(b))
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
