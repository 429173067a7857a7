package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// sample is what one step measured in one round.
type sample struct {
	rps       float64       // answers with the step's expected status, per second
	p50, p99  time.Duration // wrk's, over every answer
	cpuPerReq float64       // the server process's CPU, µs per answer
	dbPerReq  float64       // PostgreSQL's backends' CPU, µs per answer (PostgreSQL steps only)
	peakRSS   int64         // bytes
	others    string        // answers other than the expected status, and socket errors
	load      float64       // one-minute load average when the step began
}

// result gathers a step's samples over the rounds.
type result struct {
	step    *step
	samples []sample
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *result) median(f func(sample) float64) float64 {
	xs := make([]float64, len(r.samples))
	for i, s := range r.samples {
		xs[i] = f(s)
	}
	return median(xs)
}

func (r *result) rps() float64 { return r.median(func(s sample) float64 { return s.rps }) }

func (r *result) peakRSS() int64 {
	var m int64
	for _, s := range r.samples {
		m = max(m, s.peakRSS)
	}
	return m
}

// others joins what each round answered unexpectedly ("round 2: 503×1").
func (r *result) others() string {
	var parts []string
	for i, s := range r.samples {
		if s.others != "" {
			parts = append(parts, fmt.Sprintf("r%d: %s", i+1, s.others))
		}
	}
	return strings.Join(parts, "; ")
}

// printTable writes the medians as a markdown table. Ratios are of median
// req/s: to the ceiling for every step, and to stripe-mock for the
// creates (steps marked peer).
func printTable(w io.Writer, results []*result) {
	var ceiling, peer float64
	for _, r := range results {
		switch r.step.role {
		case roleCeiling:
			ceiling = r.rps()
		case rolePeer:
			peer = r.rps()
		}
	}
	fmt.Fprintln(w, "| step | c | req/s | ÷ ceiling | p50 | p99 | server CPU-µs/req | peak RSS | other answers |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		rps := r.rps()
		ratio := "–"
		if ceiling > 0 {
			ratio = fmt.Sprintf("%.3f", rps/ceiling)
		}
		if r.step.role == roleCreate && peer > 0 {
			ratio += fmt.Sprintf(" (%.2f× stripe-mock)", rps/peer)
		}
		cpu := fmt.Sprintf("%.1f", r.median(func(s sample) float64 { return s.cpuPerReq }))
		if db := r.median(func(s sample) float64 { return s.dbPerReq }); db > 0 {
			cpu += fmt.Sprintf(" (+ %.1f PostgreSQL)", db)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.step.name, r.step.connections,
			thousands(rps), ratio,
			msText(r.median(func(s sample) float64 { return float64(s.p50) })),
			msText(r.median(func(s sample) float64 { return float64(s.p99) })),
			cpu, mbText(r.peakRSS()), r.others())
	}
}

func msText(ns float64) string { return fmt.Sprintf("%.2f ms", ns/1e6) }

func mbText(b int64) string {
	if b <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// thousands formats a rate as 12,345.
func thousands(x float64) string {
	s := fmt.Sprintf("%.0f", x)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func sortStrings(s []string) { sort.Strings(s) }
