package xpay

import (
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

// Dates of the transaction filters: YYYY-MM-DD with an optional UTC offset
// [+-]hh:mm (default +00:00), as the seed writes them. A date names a whole
// day in that offset: from is its first instant, to includes all of it (the
// filter ends where the next day begins). A "+" sent unescaped in a query
// string arrives as a space; it is read as the "+" it was.

// day is a parsed filter date: the first instant of the day and of the next.
type day struct {
	start, next time.Time
}

// maxOffset is the largest UTC offset in use (Kiribati, +14:00).
const maxOffset = 14 * time.Hour

// parseDay reads one filter date; ok is false for anything but the seed's
// format with a real calendar date and an offset within ±14:00.
func parseDay(s string) (day, bool) {
	if len(s) != 10 && len(s) != 16 {
		return day{}, false
	}
	for i, c := range []byte(s[:10]) {
		if i == 4 || i == 7 {
			if c != '-' {
				return day{}, false
			}
		} else if c < '0' || c > '9' {
			return day{}, false
		}
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	loc := time.UTC
	if len(s) == 16 {
		sign := s[10]
		rest := s[11:]
		if sign != '+' && sign != '-' && sign != ' ' || rest[2] != ':' || !digits(rest[0:2]) || !digits(rest[3:5]) {
			return day{}, false
		}
		hh, _ := strconv.Atoi(rest[0:2])
		mm, _ := strconv.Atoi(rest[3:5])
		off := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
		if mm > 59 || off > maxOffset {
			return day{}, false
		}
		if sign == '-' {
			off = -off
		}
		loc = time.FixedZone("", int(off/time.Second))
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
	// time.Date normalises 2018-02-30 to March: such a date is not one.
	if y == 0 || t.Year() != y || t.Month() != time.Month(m) || t.Day() != d {
		return day{}, false
	}
	return day{start: t, next: t.AddDate(0, 0, 1)}, true
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// status is one of xpay's transaction statuses: its name, its code and the
// core statuses it shows.
type status struct {
	name string
	code int
	core []pasarela.PaymentStatus
}

// statuses are xpay's, with the seed's codes. refunded is not in the seed's
// table, but the plugins act on it; it gets the next code, 7. "cancelled"
// (the plugins' spelling) is read as "canceled" in filters.
var statuses = []status{
	{"initial", 0, nil},
	{"verifying", 1, []pasarela.PaymentStatus{pasarela.StatusProcessing}},
	{"adjustment", 2, []pasarela.PaymentStatus{pasarela.StatusAdjustment}},
	{"sending", 3, []pasarela.PaymentStatus{pasarela.StatusPending}},
	{"approved", 4, []pasarela.PaymentStatus{pasarela.StatusCompleted}},
	{"rejected", 5, []pasarela.PaymentStatus{pasarela.StatusFailed, pasarela.StatusExpired}},
	{"canceled", 6, []pasarela.PaymentStatus{pasarela.StatusInvalidated}},
	{"refunded", 7, []pasarela.PaymentStatus{pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded}},
}

// statusOf is the xpay status a core status shows as.
func statusOf(s pasarela.PaymentStatus) status {
	for _, x := range statuses {
		for _, c := range x.core {
			if c == s {
				return x
			}
		}
	}
	// A status no deposit takes (authorized, requires_action) shows as
	// the state before any payment.
	return statuses[0]
}

// filter is a parsed transactions/ query.
type filter struct {
	Statuses []pasarela.PaymentStatus // empty: every status
	None     bool                     // the statuses asked for match nothing (only "initial")
	From, To *time.Time               // [From, To)
	User     int64                    // 0: no user filter
}

// parseFilter reads the query of GET transactions/ (status, from, to,
// user) with the seed's codes for each problem. Unknown parameters are
// ignored, as xpay's own server did.
func parseFilter(q map[string][]string) (filter, error) {
	var f filter
	one := func(name string) (string, bool, error) {
		vs, ok := q[name]
		if !ok {
			return "", false, nil
		}
		if len(vs) != 1 {
			return "", true, pasarela.Invalid(name, "duplicate_field", "The parameter appears more than once.")
		}
		return vs[0], true, nil
	}
	if s, ok, err := one("status"); err != nil {
		return f, err
	} else if ok {
		matched := false
		for name := range strings.SplitSeq(s, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "cancelled" {
				name = "canceled"
			}
			i := -1
			for j, x := range statuses {
				if x.name == name {
					i = j
				}
			}
			if i < 0 {
				return f, pasarela.Invalid("status", "status_invalid", "There is an incorrect status value: "+quoteShort(name)+
					"; the statuses are initial, verifying, adjustment, sending, approved, rejected, canceled and refunded.")
			}
			matched = true
			f.Statuses = append(f.Statuses, statuses[i].core...)
		}
		f.None = matched && len(f.Statuses) == 0
	}
	var from, to day
	var hasFrom, hasTo bool
	if s, ok, err := one("from"); err != nil {
		return f, err
	} else if ok {
		if from, hasFrom = parseDay(s); !hasFrom {
			return f, pasarela.Invalid("from", "from_format", "date_from format is not correct: use YYYY-MM-DD[+/-hh:mm].")
		}
		f.From = &from.start
	}
	if s, ok, err := one("to"); err != nil {
		return f, err
	} else if ok {
		if to, hasTo = parseDay(s); !hasTo {
			return f, pasarela.Invalid("to", "to_format", "date_to format is not correct: use YYYY-MM-DD[+/-hh:mm].")
		}
		f.To = &to.next
	}
	if hasFrom && hasTo && from.start.After(to.start) {
		return f, pasarela.Invalid("from, to", "from_after_to", "date_from is greater than date_to.")
	}
	if s, ok, err := one("user"); err != nil {
		return f, err
	} else if ok {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n <= 0 {
			return f, pasarela.Invalid("user", "user_not_found", "The selected user to filter does not exist.")
		}
		f.User = n
	}
	return f, nil
}

// quoteShort quotes a client's value for a message, cut to a sane length.
func quoteShort(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strconv.Quote(s)
}
