package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// The command name holds a space and a parenthesis, as a process may name itself.
	line := "4242 (pasarela (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
	got, err := parseStatCPU(line)
	if err != nil || got != 325*clockTick {
		t.Errorf("parseStatCPU = %v, %v; want %v", got, err, 325*clockTick)
	}
	if _, err := parseStatCPU("4242 (short) S 1"); err == nil {
		t.Error("a short line parsed")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tpasarela\nVmPeak:\t  900 kB\nVmHWM:\t   43008 kB\nVmRSS:\t 40000 kB\n"
	if got, err := parseStatusKB(status, "VmHWM"); err != nil || got != 43008*1024 {
		t.Errorf("VmHWM = %d, %v", got, err)
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("a missing field was found")
	}
}

func TestParseProcStat(t *testing.T) {
	idle, total, err := parseProcStat("cpu  100 5 50 800 20 1 4 0 30 0\ncpu0 1 2 3 4 5 6 7 8\n")
	// guest (30) is already in user: not counted twice.
	if err != nil || idle != 820 || total != 980 {
		t.Errorf("parseProcStat = %d, %d, %v; want 820, 980", idle, total, err)
	}
}

func TestParseWrkOutput(t *testing.T) {
	out := "Running 8s test @ http://127.0.0.1:18090/\n  2 threads and 64 connections\nRequests/sec:   5000.00\n" +
		`benchcompare {"requests":40010,"duration_us":8000000,"p50_us":10500,"p99_us":25800,"statuses":{"201":40000,"503":10},` +
		`"errors":{"connect":0,"read":0,"write":0,"timeout":3}}` + "\n"
	r, err := parseWrkOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 40010 || r.status(201) != 40000 || r.P99US != 25800 {
		t.Errorf("report %+v", r)
	}
	if got := r.others(201); got != "503×10 timeout×3" {
		t.Errorf("others = %q", got)
	}
	if _, err := parseWrkOutput("Requests/sec: 12\n"); err == nil {
		t.Error("output without the report line parsed")
	}
}

func TestMedianAndTable(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4 = %v", m)
	}
	ceiling := &result{step: &step{name: "ceiling", role: roleCeiling, connections: 64}, samples: []sample{{rps: 30000}, {rps: 34000}, {rps: 20000}}}
	peer := &result{step: &step{name: "peer", role: rolePeer, connections: 64}, samples: []sample{{rps: 5000}}}
	create := &result{step: &step{name: "create", role: roleCreate, connections: 64},
		samples: []sample{{rps: 6000, p99: 20 * time.Millisecond, cpuPerReq: 200, peakRSS: 40 << 20}, {rps: 9000, others: "503×1", peakRSS: 50 << 20}}}
	var b strings.Builder
	printTable(&b, []*result{ceiling, peer, create})
	for _, want := range []string{"| ceiling | 64 | 30,000 | 1.000 |", "| create | 64 | 7,500 | 0.250 (1.50× stripe-mock) | 0.00 ms | 10.00 ms | 100.0 | 50 MB | r2: 503×1 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestSumByStatus(t *testing.T) {
	metrics := `# TYPE pasarela_http_requests_total counter
pasarela_http_requests_total{method="GET",route="/healthz",status="200"} 10
pasarela_http_requests_total{method="POST",route="/application/{applicationId}/payment",status="201"} 7
pasarela_http_requests_total{method="GET",route="/application/{applicationId}/payment",status="200"} 5
pasarela_http_requests_total{method="POST",route="/application/{applicationId}/payment",status="499"} 2
pasarela_http_request_duration_seconds_count{route="/healthz"} 10
`
	if got := sumByStatus(metrics); got != "200×15 201×7 499×2" {
		t.Errorf("sumByStatus = %q", got)
	}
}

func TestCheckAcknowledged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r1, r2 := write("r1", "1\n2\n"), write("r2", "5\n")
	db := map[int64]bool{1: true, 2: true, 3: true, 5: true}
	if acked, extra, err := checkAcknowledged(db, []string{r1, r2}, 3); err != nil || acked != 3 || extra != 1 {
		t.Errorf("checkAcknowledged = %d, %d, %v; want 3, 1, nil", acked, extra, err)
	}
	for name, c := range map[string]struct {
		files []string
		want  int64
	}{
		"missing": {[]string{r1, write("r3", "7\n")}, 3},
		"twice":   {[]string{r1, write("r4", "2\n")}, 3},
		"count":   {[]string{r1}, 3},
	} {
		if _, _, err := checkAcknowledged(db, c.files, c.want); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
