package xpay

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
)

// TestParseFilter: the seed's date format with and without an offset (an
// unescaped "+" arrives as a space), whole days, statuses by xpay's names,
// and each problem's code.
func TestParseFilter(t *testing.T) {
	bogota := time.FixedZone("", -5*3600)
	f, err := parseFilter(map[string][]string{"from": {"2018-09-29-05:00"}, "to": {"2018-09-30 05:30"},
		"status": {"sending, Approved,cancelled"}, "user": {"7"}})
	if err != nil {
		t.Fatal(err)
	}
	if !f.From.Equal(time.Date(2018, 9, 29, 0, 0, 0, 0, bogota)) ||
		!f.To.Equal(time.Date(2018, 10, 1, 0, 0, 0, 0, time.FixedZone("", 5*3600+1800))) || f.User != 7 {
		t.Errorf("filter %+v", f)
	}
	want := []pasarela.PaymentStatus{pasarela.StatusPending, pasarela.StatusCompleted, pasarela.StatusInvalidated}
	if len(f.Statuses) != len(want) || f.Statuses[0] != want[0] || f.Statuses[1] != want[1] || f.Statuses[2] != want[2] || f.None {
		t.Errorf("statuses %v", f.Statuses)
	}
	if f, _ := parseFilter(map[string][]string{"from": {"2018-09-29"}, "to": {"2018-09-29"}}); f.To.Sub(*f.From) != 24*time.Hour {
		t.Errorf("one day: %v – %v", f.From, f.To)
	}
	if f, _ := parseFilter(map[string][]string{"status": {"initial"}}); !f.None {
		t.Errorf("initial matches nothing: %+v", f)
	}
	for _, c := range []struct {
		q    map[string][]string
		code string
	}{
		{map[string][]string{"status": {"paid"}}, "status_invalid"},
		{map[string][]string{"status": {"sending,"}}, "status_invalid"},
		{map[string][]string{"from": {"29-09-2018"}}, "from_format"},
		{map[string][]string{"from": {"2018-02-30"}}, "from_format"},
		{map[string][]string{"from": {"2018-09-29+15:00"}}, "from_format"},
		{map[string][]string{"to": {"2018-09-29T00:00"}}, "to_format"},
		{map[string][]string{"from": {"2018-10-02"}, "to": {"2018-10-01"}}, "from_after_to"},
		{map[string][]string{"user": {"abc"}}, "user_not_found"},
		{map[string][]string{"from": {"2018-10-02", "2018-10-03"}}, "duplicate_field"},
	} {
		_, err := parseFilter(c.q)
		if e := pasarela.AsError(err); err == nil || e.Code != c.code {
			t.Errorf("%v: %v, want %s", c.q, err, c.code)
		}
	}
}
