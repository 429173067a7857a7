package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkReport is the line the bench/wrk scripts print in done(): wrk's own
// request count, duration and latency percentiles, and the answers by
// status counted across its threads.
type wrkReport struct {
	Requests   int64            `json:"requests"`
	DurationUS int64            `json:"duration_us"`
	P50US      int64            `json:"p50_us"`
	P99US      int64            `json:"p99_us"`
	Statuses   map[string]int64 `json:"statuses"`
	Errors     map[string]int64 `json:"errors"`
}

const reportPrefix = "benchcompare "

// parseWrkOutput finds the scripts' report line in wrk's output.
func parseWrkOutput(out string) (*wrkReport, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, reportPrefix); ok {
			var r wrkReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return nil, fmt.Errorf("wrk report %q: %w", rest, err)
			}
			if r.DurationUS <= 0 {
				return nil, fmt.Errorf("wrk report %q: no duration", rest)
			}
			return &r, nil
		}
	}
	return nil, fmt.Errorf("no %q line in wrk's output:\n%s", strings.TrimSpace(reportPrefix), out)
}

// status returns how many answers had the status.
func (r *wrkReport) status(code int) int64 { return r.Statuses[strconv.Itoa(code)] }

// others describes the answers other than the expected status and wrk's
// socket errors ("503×2 timeout×1"), or "" when there were none.
func (r *wrkReport) others(want int) string {
	var parts []string
	for code, n := range r.Statuses {
		if code != strconv.Itoa(want) && n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", code, n))
		}
	}
	for kind, n := range r.Errors {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", kind, n))
		}
	}
	sortStrings(parts)
	return strings.Join(parts, " ")
}

// wrkRun is one invocation of wrk.
type wrkRun struct {
	url         string
	script      string
	headers     []string
	args        []string
	connections int
	threads     int
	duration    time.Duration
}

func (w wrkRun) command(ctx context.Context) *exec.Cmd {
	argv := []string{"-t", strconv.Itoa(w.threads), "-c", strconv.Itoa(w.connections),
		"-d", strconv.Itoa(int(w.duration.Seconds())) + "s", "--timeout", "10s", "-s", w.script}
	for _, h := range w.headers {
		argv = append(argv, "-H", h)
	}
	argv = append(argv, w.url)
	if len(w.args) > 0 {
		argv = append(append(argv, "--"), w.args...)
	}
	return exec.CommandContext(ctx, "wrk", argv...)
}

func (w wrkRun) run(ctx context.Context) (*wrkReport, error) {
	out, err := w.command(ctx).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk %s: %w\n%s", w.url, err, out)
	}
	return parseWrkOutput(string(out))
}
