package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseDunning reads dunning schedules as an operator writes them, and
// refuses the ones the scheduler could not follow with an error naming the
// flag.
func TestParseDunning(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in   string
		want []time.Duration
	}{
		{"1d,3d,5d", []time.Duration{day, 3 * day, 5 * day}},
		{" 36h , 2d ", []time.Duration{36 * time.Hour, 2 * day}},
		{"90m", []time.Duration{90 * time.Minute}},
		{"12h,1d,24h1s,7d", []time.Duration{12 * time.Hour, day, day + time.Second, 7 * day}},
	} {
		got, err := parseDunning(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseDunning(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, why string }{
		{"", "is empty"},
		{"  ", "is empty"},
		{"1d,,3d", `offset 2 "": is empty`},
		{"1d,", `offset 2 "": is empty`},
		{"0d", "must be after the due date"},
		{"-1h", "must be after the due date"},
		{"1d,-2d", "must be after the due date"},
		{"3d,1d", `offset 2 "1d" must be later than the one before it (72h0m0s)`},
		{"1d,24h", "must be later than the one before it"},
		{"x", "is not whole days (3d) nor a duration (36h)"},
		{"1.5d", "is not whole days"},
		{"d", "is not whole days"},
		{"3 days", "is not whole days"},
		{"1d1s", "is not whole days"},
		{"999999999999d", "is too large"},
	} {
		got, err := parseDunning(c.in)
		if err == nil {
			t.Errorf("parseDunning(%q) = %v, want an error", c.in, got)
			continue
		}
		if !strings.Contains(err.Error(), "--subscription-dunning") || !strings.Contains(err.Error(), c.why) {
			t.Errorf("parseDunning(%q): %v; want it to name the flag and say %q", c.in, err, c.why)
		}
	}
}

// TestServeSubscriptionFlags: serve takes the scheduler's settings from
// the environment, flags override them, bad ones stop it before it opens
// anything, and the running scheduler and the core get what was asked.
func TestServeSubscriptionFlags(t *testing.T) {
	parse := func(environ []string, args ...string) (*ServeCommand, error) {
		c := &ServeCommand{output: output{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}}
		return c, c.ParseFlags(args, environ)
	}
	day := 24 * time.Hour
	m, err := parse(nil)
	if err != nil || m.Config.SubscriptionInterval != time.Minute || !reflect.DeepEqual(m.dunning, []time.Duration{day, 3 * day, 5 * day}) {
		t.Fatalf("defaults: %v %v %v", m.Config.SubscriptionInterval, m.dunning, err)
	}
	environ := []string{"PASARELA_SUBSCRIPTION_INTERVAL=5s", "PASARELA_SUBSCRIPTION_DUNNING=2h,1d"}
	m, err = parse(environ)
	if err != nil || m.Config.SubscriptionInterval != 5*time.Second || !reflect.DeepEqual(m.dunning, []time.Duration{2 * time.Hour, day}) {
		t.Fatalf("environment: %v %v %v", m.Config.SubscriptionInterval, m.dunning, err)
	}
	m, err = parse(environ, "--subscription-interval", "7s", "--subscription-dunning", "12h,2d")
	if err != nil || m.Config.SubscriptionInterval != 7*time.Second || !reflect.DeepEqual(m.dunning, []time.Duration{12 * time.Hour, 2 * day}) {
		t.Fatalf("flags over the environment: %v %v %v", m.Config.SubscriptionInterval, m.dunning, err)
	}
	for _, c := range []struct {
		environ []string
		args    []string
		want    string
	}{
		{nil, []string{"--subscription-interval", "0s"}, "--subscription-interval (PASARELA_SUBSCRIPTION_INTERVAL) 0s: must be positive"},
		{nil, []string{"--subscription-interval", "-1m"}, "must be positive"},
		{[]string{"PASARELA_SUBSCRIPTION_INTERVAL=0"}, nil, "--subscription-interval"},
		{nil, []string{"--subscription-dunning", "3d,1d"}, "--subscription-dunning (PASARELA_SUBSCRIPTION_DUNNING): offset 2"},
		{nil, []string{"--subscription-dunning", ""}, "--subscription-dunning (PASARELA_SUBSCRIPTION_DUNNING) is empty"},
		{[]string{"PASARELA_SUBSCRIPTION_DUNNING=1d,0d"}, nil, "must be after the due date"},
	} {
		if _, err := parse(c.environ, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want an error saying %q", c.environ, c.args, err, c.want)
		}
	}

	// The running server's scheduler ticks at the interval asked for, and
	// the core was built with the schedule asked for.
	s, _ := MustServe(t, []string{"PASARELA_SUBSCRIPTION_DUNNING=1h"}, "serve", "--db", testDB(t), "--addr", "127.0.0.1:0",
		"--subscription-interval", "250ms", "--subscription-dunning", "6h,1d,3d")
	if s.subs == nil || s.subs.Interval != 250*time.Millisecond {
		t.Fatalf("the scheduler's interval: %+v", s.subs)
	}
	if got := s.coreConfig.Subscriptions.Dunning; !reflect.DeepEqual(got, []time.Duration{6 * time.Hour, day, 3 * day}) {
		t.Fatalf("the core's dunning schedule: %v", got)
	}
}
