package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// which Linux fixes at 100 for user space whatever the kernel's own HZ.
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU a process has used (user and system) so far, from
// /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a
// /proc/PID/stat line. The command name (field 2) is in parentheses and
// may hold spaces, so the fields are counted from its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat line %q", stat)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed utime/stime in %q", stat)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// resetPeakRSS makes VmHWM start again from the current RSS (writing 5 to
// clear_refs), so that each step reports its own peak. It reports whether
// the kernel allowed it; if not, VmHWM is the peak since the process began.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// peakRSS is VmHWM of /proc/PID/status in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(string(b), "VmHWM")
}

// parseStatusKB returns the field of a /proc/PID/status text ("VmHWM:
// 1234 kB") in bytes.
func parseStatusKB(status, field string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("malformed %s line %q", field, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n * 1024, err
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// loadAverage is the one-minute load average.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// cpuTimes are the machine's jiffies, idle (idle and iowait) and total,
// from the first line of /proc/stat.
func cpuTimes() (idle, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseProcStat(string(b))
}

func parseProcStat(s string) (idle, total int64, err error) {
	line, _, _ := strings.Cut(s, "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("malformed /proc/stat line %q", line)
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("malformed /proc/stat line %q", line)
		}
		// user nice system idle iowait irq softirq steal guest guest_nice:
		// guest time is already counted in user and nice.
		if i >= 8 {
			break
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return idle, total, nil
}

// idleShare samples the machine's idle share over d.
func idleShare(d time.Duration) (float64, error) {
	i0, t0, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	i1, t1, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	if t1 == t0 {
		return 1, nil
	}
	return float64(i1-i0) / float64(t1-t0), nil
}

// waitQuiet waits until the machine has been at least minIdle idle over a
// 3-second sample, for at most max. It says what it found, and returns
// false (without failing the run) when the machine never became quiet.
func waitQuiet(minIdle float64, max time.Duration, logf func(string, ...any)) bool {
	deadline := time.Now().Add(max)
	for {
		idle, err := idleShare(3 * time.Second)
		if err != nil {
			logf("cannot read /proc/stat (%v): not waiting for a quiet machine", err)
			return false
		}
		if idle >= minIdle {
			logf("machine quiet: %.0f%% idle over 3 s, load average %.2f", 100*idle, loadAverage())
			return true
		}
		if time.Now().After(deadline) {
			logf("machine NOT quiet after waiting %s (%.0f%% idle over 3 s, wanted %.0f%%; load average %.2f): running anyway, read the figures with that in mind",
				max, 100*idle, 100*minIdle, loadAverage())
			return false
		}
		logf("machine busy: %.0f%% idle over 3 s (load average %.2f), waiting", 100*idle, loadAverage())
	}
}
