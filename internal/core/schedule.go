package core

import (
	"time"

	"github.com/pasarela/pasarela"
)

// CycleDue returns the due date of cycle n (counted from 1) of a schedule
// that starts at start and repeats every count intervals. Every date is
// computed from the anchor, never from the previous date, so that a
// shortened month does not shift the rest: a monthly schedule anchored on
// January 31 is due on February 28 (29 in leap years), then March 31. A
// yearly one anchored on February 29 is due on February 28 in common years
// and on February 29 again in leap years. Days and weeks are calendar days
// in UTC, so a charge keeps its time of day.
func CycleDue(start time.Time, interval pasarela.Interval, count, n int) time.Time {
	start = start.UTC()
	if count < 1 {
		count = 1
	}
	k := (n - 1) * count
	switch interval {
	case pasarela.IntervalDay:
		return start.AddDate(0, 0, k)
	case pasarela.IntervalWeek:
		return start.AddDate(0, 0, 7*k)
	case pasarela.IntervalYear:
		return addMonthsClamped(start, 12*k)
	default: // month
		return addMonthsClamped(start, k)
	}
}

// addMonthsClamped adds months to t keeping its day of the month, or the
// month's last day when the month is shorter (time.AddDate would roll
// January 31 + 1 month over to March 3).
func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	total := int(m) - 1 + months
	y += floorDiv(total, 12)
	m = time.Month(total - 12*floorDiv(total, 12) + 1)
	if last := daysIn(y, m); d > last {
		d = last
	}
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysIn is the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// hasCycle reports whether a subscription has a cycle n: within its number
// of cycles and not due after its end date.
func hasCycle(sub *pasarela.Subscription, n int) bool {
	if n < 1 || (sub.Cycles > 0 && n > sub.Cycles) {
		return false
	}
	if sub.EndDate != nil && CycleDue(sub.StartDate, sub.Interval, sub.IntervalCount, n).After(*sub.EndDate) {
		return false
	}
	return true
}

// dunningDue is when attempt (counted from 2: the first retry) of a cycle
// due at due is made, and false when the schedule has no such attempt.
// The schedule's offsets count from the due date: with 1, 3 and 5 days a
// cycle declined on the 10th is tried again on the 11th, 13th and 15th.
func dunningDue(schedule []time.Duration, due time.Time, attempt int) (time.Time, bool) {
	i := attempt - 2
	if i < 0 || i >= len(schedule) {
		return time.Time{}, false
	}
	return due.Add(schedule[i]), true
}
