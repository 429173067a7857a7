package kashpay_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestSessionWithSecondFactor: Kashpay's authenticate takes entity, user
// and password, no one-time code, so a user with a second factor is
// refused with the right password in Kashpay's envelope (1008), told to
// use a code on the dashboard or an application key; a wrong password is
// still 1001.
func TestSessionWithSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	u := e.MustUser(e.Cascade, "otp@cascadefintech.com", pasarela.RoleManager)
	coretest.MustTOTP(t, e.Svc, u, e.Clock.Now())
	r := e.Do("POST", "/AuthenticationService/authenticate", nil,
		`{"entity":"`+seedEntity+`","user":"otp@cascadefintech.com","password":"`+seedPassword+`"}`)
	wantError(t, "password alone", r, http.StatusUnauthorized, 1008, "")
	if msg, _ := r.JSON["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "código") || !strings.Contains(msg, "clave de aplicación") {
		t.Errorf("message %q does not say to use a code or an application key", msg)
	}
	r = e.Do("POST", "/AuthenticationService/authenticate", nil,
		`{"entity":"`+seedEntity+`","user":"otp@cascadefintech.com","password":"Wrong-passw0rd!"}`)
	wantError(t, "wrong password", r, http.StatusUnauthorized, 1001, "")
}
