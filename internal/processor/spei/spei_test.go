package spei

import (
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/processortest"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newRail() (*Rail, *clock, *processortest.MemoryState) {
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := &processortest.MemoryState{}
	return New(st, Schedule{Send: time.Minute, Settle: 10 * time.Minute, Return: time.Hour}, c.Now), c, st
}

func testOrder(key string, amount int64) processor.PayoutOrder {
	return processor.PayoutOrder{Key: key, Amount: amount, Currency: "MXN", BeneficiaryName: "Ada",
		Account: "002010077777777771", BankCode: "002", Concept: "Pago", NumericReference: "1"}
}

// TestSchedule walks each outcome, chosen by the cents, through the
// schedule, and checks when the rail says to ask again.
func TestSchedule(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		amount int64
		states []processor.PayoutState // at 0, 1m, 11m, 71m
	}{
		{10_000, []processor.PayoutState{processor.PayoutQueued, processor.PayoutSent, processor.PayoutConfirmed, processor.PayoutConfirmed}},
		{10_028, []processor.PayoutState{processor.PayoutQueued, processor.PayoutSent, processor.PayoutRejected, processor.PayoutRejected}},
		{10_011, []processor.PayoutState{processor.PayoutQueued, processor.PayoutSent, processor.PayoutConfirmed, processor.PayoutReturned}},
	} {
		r, c, _ := newRail()
		start := c.now
		res, err := r.Send(ctx, testOrder("k", tc.amount))
		if err != nil || res.Ref == "" || len(res.Ref) > 30 {
			t.Fatalf("send: %+v %v", res, err)
		}
		for i, at := range []time.Duration{0, time.Minute, 11 * time.Minute, 71 * time.Minute} {
			c.now = start.Add(at)
			got, err := r.Status(ctx, res.Ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.states[i] {
				t.Errorf("amount %d at %v: %s, want %s", tc.amount, at, got.State, tc.states[i])
			}
			final := got.State == processor.PayoutRejected || got.State == processor.PayoutReturned ||
				(got.State == processor.PayoutConfirmed && tc.amount%100 != ReturnCents)
			if final != got.NextCheck.IsZero() || (!final && !got.NextCheck.After(c.now)) {
				t.Errorf("amount %d at %v: next check %v", tc.amount, at, got.NextCheck)
			}
			if got.State == processor.PayoutRejected && (got.Code != CodeNoAccount || got.Message != MsgNoAccount) {
				t.Errorf("rejection reason %q %q", got.Code, got.Message)
			}
		}
	}
}

// TestSendOnce: a key sent twice is one order; the state survives a new
// Rail over the same State (a restart, another node).
func TestSendOnce(t *testing.T) {
	ctx := context.Background()
	r, c, st := newRail()
	first, err := r.Send(ctx, testOrder("client:ref1", 500))
	if err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(2 * time.Minute)
	again, err := r.Send(ctx, testOrder("client:ref1", 500))
	if err != nil || again.Ref != first.Ref || again.State != processor.PayoutSent {
		t.Fatalf("resend: %+v %v", again, err)
	}
	other := New(st, Schedule{}, c.Now)
	got, err := other.Status(ctx, first.Ref)
	if err != nil || got.State != processor.PayoutSent {
		t.Fatalf("another rail over the state: %+v %v", got, err)
	}
	if _, err := r.Status(ctx, "nope"); err == nil {
		t.Fatal("unknown reference answered")
	}
	if _, err := r.Send(ctx, processor.PayoutOrder{Amount: 1}); err == nil {
		t.Fatal("an order without key was taken")
	}
	usd := testOrder("k2", 100)
	usd.Currency = "USD"
	if res, err := r.Send(ctx, usd); err != nil || res.State != processor.PayoutRejected {
		t.Fatalf("USD: %+v %v", res, err)
	}
}
