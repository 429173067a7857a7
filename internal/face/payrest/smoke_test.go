package payrest_test

import (
	"net/http"
	"strconv"
	"testing"
)

// TestHarness checks the harness itself: each tenant reaches its own
// application with both kinds of credentials, and not the other's.
func TestHarness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, a := range []auth{Bearer(e.A.Token), Key(e.A.AppKey)} {
		r := e.Do("GET", "/application/"+strconv.FormatInt(e.A.AppID, 10), a, nil).Expect(t, http.StatusOK)
		if r.JSON["id"].(float64) != float64(e.A.AppID) {
			t.Fatalf("got %v", r.JSON)
		}
		e.Do("GET", "/application/"+strconv.FormatInt(e.B.AppID, 10), a, nil).Expect(t, http.StatusNotFound)
	}
}
