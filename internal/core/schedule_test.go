package core

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCycleDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		start    string
		interval pasarela.Interval
		count    int
		want     []string // cycles 1, 2, 3, …
	}{
		{"month end keeps the anchor day", "2026-01-31T09:30", pasarela.IntervalMonth, 1,
			[]string{"2026-01-31T09:30", "2026-02-28T09:30", "2026-03-31T09:30", "2026-04-30T09:30", "2026-05-31T09:30"}},
		{"month end in a leap year", "2028-01-31T00:00", pasarela.IntervalMonth, 1,
			[]string{"2028-01-31T00:00", "2028-02-29T00:00", "2028-03-31T00:00"}},
		{"the 30th skips nothing in February", "2026-01-30T12:00", pasarela.IntervalMonth, 1,
			[]string{"2026-01-30T12:00", "2026-02-28T12:00", "2026-03-30T12:00"}},
		{"every two months across a year end", "2026-11-30T08:00", pasarela.IntervalMonth, 2,
			[]string{"2026-11-30T08:00", "2027-01-30T08:00", "2027-03-30T08:00", "2027-05-30T08:00"}},
		{"quarterly from the 31st", "2026-08-31T00:00", pasarela.IntervalMonth, 3,
			[]string{"2026-08-31T00:00", "2026-11-30T00:00", "2027-02-28T00:00", "2027-05-31T00:00"}},
		{"yearly from a leap day", "2024-02-29T10:00", pasarela.IntervalYear, 1,
			[]string{"2024-02-29T10:00", "2025-02-28T10:00", "2026-02-28T10:00", "2027-02-28T10:00", "2028-02-29T10:00"}},
		{"every four years from a leap day", "2024-02-29T10:00", pasarela.IntervalYear, 4,
			[]string{"2024-02-29T10:00", "2028-02-29T10:00", "2032-02-29T10:00"}},
		{"daily across a leap day", "2028-02-27T23:00", pasarela.IntervalDay, 1,
			[]string{"2028-02-27T23:00", "2028-02-28T23:00", "2028-02-29T23:00", "2028-03-01T23:00"}},
		{"daily in a common year", "2026-02-27T23:00", pasarela.IntervalDay, 1,
			[]string{"2026-02-27T23:00", "2026-02-28T23:00", "2026-03-01T23:00"}},
		{"every ten days", "2026-12-25T06:00", pasarela.IntervalDay, 10,
			[]string{"2026-12-25T06:00", "2027-01-04T06:00", "2027-01-14T06:00"}},
		{"weekly across a year end", "2026-12-24T18:00", pasarela.IntervalWeek, 1,
			[]string{"2026-12-24T18:00", "2026-12-31T18:00", "2027-01-07T18:00"}},
		{"fortnightly", "2028-02-15T00:00", pasarela.IntervalWeek, 2,
			[]string{"2028-02-15T00:00", "2028-02-29T00:00", "2028-03-14T00:00"}},
		{"zero count means one", "2026-05-31T00:00", pasarela.IntervalMonth, 0,
			[]string{"2026-05-31T00:00", "2026-06-30T00:00", "2026-07-31T00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, w := range tt.want {
				got := CycleDue(day(tt.start), tt.interval, tt.count, i+1)
				if !got.Equal(day(w)) {
					t.Errorf("cycle %d = %s, want %s", i+1, got.Format(time.RFC3339), w)
				}
			}
		})
	}
}

// TestCycleDueAnchorNeverDrifts walks many cycles: a date computed from
// the previous one would drift to the 28th after the first February.
func TestCycleDueAnchorNeverDrifts(t *testing.T) {
	t.Parallel()
	start := day("2026-01-31T00:00")
	for n := 1; n <= 120; n++ {
		got := CycleDue(start, pasarela.IntervalMonth, 1, n)
		if want := daysIn(got.Year(), got.Month()); got.Day() != want {
			t.Fatalf("cycle %d is %s, not the last day of its month", n, got.Format("2006-01-02"))
		}
		if n > 1 && !got.After(CycleDue(start, pasarela.IntervalMonth, 1, n-1)) {
			t.Fatalf("cycle %d is not after cycle %d", n, n-1)
		}
	}
}

func TestHasCycle(t *testing.T) {
	t.Parallel()
	end := day("2026-04-30T00:00")
	tests := []struct {
		name string
		sub  pasarela.Subscription
		n    int
		want bool
	}{
		{"within cycles", pasarela.Subscription{Cycles: 3}, 3, true},
		{"past cycles", pasarela.Subscription{Cycles: 3}, 4, false},
		{"no limit", pasarela.Subscription{}, 1000, true},
		{"cycle zero", pasarela.Subscription{}, 0, false},
		{"due on the end date", pasarela.Subscription{StartDate: day("2026-01-30T00:00"), EndDate: &end}, 4, true},
		{"due after the end date", pasarela.Subscription{StartDate: day("2026-01-30T00:01"), EndDate: &end}, 4, false},
		{"clamped onto the end date", pasarela.Subscription{StartDate: day("2026-01-31T00:00"), EndDate: &end}, 4, true},
		{"leap month before the end", pasarela.Subscription{StartDate: day("2026-01-31T00:00"), EndDate: &end}, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := tt.sub
			if sub.Interval == "" {
				sub.Interval = pasarela.IntervalMonth
			}
			if got := hasCycle(&sub, tt.n); got != tt.want {
				t.Errorf("hasCycle(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

func TestDunningDue(t *testing.T) {
	t.Parallel()
	sched := []time.Duration{24 * time.Hour, 72 * time.Hour, 120 * time.Hour}
	due := day("2026-02-28T09:00")
	tests := []struct {
		attempt int
		want    string
		ok      bool
	}{
		{1, "", false}, // the first attempt is the due date itself
		{2, "2026-03-01T09:00", true},
		{3, "2026-03-03T09:00", true},
		{4, "2026-03-05T09:00", true},
		{5, "", false},
	}
	for _, tt := range tests {
		got, ok := dunningDue(sched, due, tt.attempt)
		if ok != tt.ok || (ok && !got.Equal(day(tt.want))) {
			t.Errorf("attempt %d = %s %v, want %s %v", tt.attempt, got.Format(time.RFC3339), ok, tt.want, tt.ok)
		}
	}
}
