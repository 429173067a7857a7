package payrest_test

import (
	"net/http"
	"testing"
)

// TestSandboxChainRoutes: the operator's sandbox chain routes take an
// application key, read their bodies strictly and answer 404 on a gateway
// that serves no sandbox chain. (Paying and mining a deposit is driven end
// to end by the xpay face's tests, on a core that has one.)
func TestSandboxChainRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		what, path string
		a          auth
		body       any
		status     int
	}{
		{"no key", "/sandbox/chain/BTC/send", NoAuth, `{"address":"x","amount":"1"}`, http.StatusUnauthorized},
		{"a user's token", "/sandbox/chain/BTC/mine", Bearer(e.A.Token), `{"blocks":1}`, http.StatusForbidden},
		{"unknown member", "/sandbox/chain/BTC/send", Key(e.A.AppKey), `{"address":"x","amount":"1","fee":1}`, http.StatusBadRequest},
		{"no address", "/sandbox/chain/BTC/send", Key(e.A.AppKey), `{"amount":"1"}`, http.StatusBadRequest},
		{"no amount", "/sandbox/chain/BTC/send", Key(e.A.AppKey), `{"address":"x"}`, http.StatusBadRequest},
		{"blocks out of range", "/sandbox/chain/BTC/mine", Key(e.A.AppKey), `{"blocks":0}`, http.StatusBadRequest},
		{"no sandbox chain", "/sandbox/chain/BTC/mine", Key(e.A.AppKey), `{"blocks":1}`, http.StatusNotFound},
		{"no sandbox chain (send)", "/sandbox/chain/BTC/send", Key(e.A.AppKey),
			`{"address":"bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu","amount":0.004}`, http.StatusNotFound},
	} {
		if r := e.Do("POST", c.path, c.a, c.body); r.Status != c.status {
			t.Errorf("%s: %d %s, want %d", c.what, r.Status, r.Body, c.status)
		}
	}
	if r := e.Do("GET", "/sandbox/chain/BTC/mine", Key(e.A.AppKey), nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.Status)
	}
}
