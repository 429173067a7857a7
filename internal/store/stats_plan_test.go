package store

import (
	"testing"
	"time"
)

// TestDayPlanSlots checks, for every offset in quarters of an hour, that the
// rows a plan reads add up exactly the part of a UTC day it stands for,
// counting each quarter of the day once, and that no plan reads many rows.
func TestDayPlanSlots(t *testing.T) {
	// cover returns how many times each quarter of a day s counts.
	cover := func(s slotSum) [quartersPerDay]int64 {
		var c [quartersPerDay]int64
		for slot, sign := range s {
			var from, n int64
			switch {
			case slot < slotHour0:
				from, n = slot, 1
			case slot < slotDay:
				from, n = (slot-slotHour0)*4, 4
			case slot == slotDay:
				from, n = 0, quartersPerDay
			default:
				from, n = (slot-slotBlock0)*16, 16
			}
			for q := from; q < from+n; q++ {
				c[q] += sign
			}
		}
		return c
	}
	want := func(from, to int64) [quartersPerDay]int64 {
		var c [quartersPerDay]int64
		for q := from; q < to; q++ {
			c[q] = 1
		}
		return c
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for m := -14 * 60; m <= 14*60; m += 15 {
		off := time.Duration(m) * time.Minute
		plan, err := planDays(StatsPeriod{Start: day.Add(-off), End: day.AddDate(0, 0, 3).Add(-off), Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		b := ((int64(-m)/15)%quartersPerDay + quartersPerDay) % quartersPerDay
		if got := cover(plan.prefix); got != want(0, b) {
			t.Fatalf("offset %v: prefix %v covers %v", off, plan.prefix, got)
		}
		switch plan.move {
		case 0:
			if b != 0 || len(plan.fine) != 0 {
				t.Fatalf("offset %v: nothing moves but b = %d", off, b)
			}
		case -1:
			if got := cover(plan.fine); got != want(0, b) {
				t.Fatalf("offset %v: fine %v covers %v", off, plan.fine, got)
			}
		case 1:
			if got := cover(plan.fine); got != want(b, quartersPerDay) {
				t.Fatalf("offset %v: fine %v covers %v", off, plan.fine, got)
			}
		}
		if len(plan.fine) > 7 || len(plan.prefix) > 9 {
			t.Fatalf("offset %v: fine %v, prefix %v: too many rows", off, plan.fine, plan.prefix)
		}
		// The UTC day holding the period's first local noon is counted in
		// the period's first day.
		noon := day.Add(12 * time.Hour).Add(-off)
		u := noon.Unix() / 86400
		if plan.first != day.Unix()/86400 || plan.last != plan.first+2 {
			t.Fatalf("offset %v: days %d-%d", off, plan.first, plan.last)
		}
		// The day row of UTC day u goes to u+shift; its fine part to
		// u+shift+move: one of them is the local day of noon.
		if u+plan.shift != plan.first && u+plan.shift+plan.move != plan.first {
			t.Fatalf("offset %v: UTC day %d goes to %d and %d, not %d", off, u, u+plan.shift, u+plan.shift+plan.move, plan.first)
		}
	}
	if _, err := planDays(StatsPeriod{Start: day, End: day.Add(24 * time.Hour), Offset: 10 * time.Minute}); err == nil {
		t.Fatal("an offset of 10 minutes was planned")
	}
}
