package payrest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestTokenWithSecondFactor: PayREST's password grant has no field for a
// one-time code, so a user with a second factor gets no token for the
// password alone: Keycloak's 401 invalid_grant, described as needing a
// code on the dashboard or an application key. A wrong password is still
// the plain invalid_grant.
func TestTokenWithSecondFactor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.MustCreateUser(e.A, "olga", "manager")
	admin := pasarela.WithPrincipal(context.Background(), &pasarela.Principal{ClientID: e.A.ClientID, UserID: e.A.AdminID,
		Roles: []pasarela.Role{pasarela.RoleAdmin}})
	u, err := e.Svc.GetUser(admin, e.A.ClientID, id)
	if err != nil {
		t.Fatal(err)
	}
	coretest.MustTOTP(t, e.Svc, u, e.Clock.Now())
	r := e.Form("/oauth/token", passwordForm("olga", testPassword)).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
	if d, _ := r.JSON["error_description"].(string); !strings.Contains(d, "one-time code") || !strings.Contains(d, "application key") {
		t.Errorf("description %q does not say to use a code or an application key", d)
	}
	r = e.Form("/oauth/token", passwordForm("olga", "Wrong-passw0rd!")).ExpectOAuthError(t, http.StatusUnauthorized, "invalid_grant")
	if d, _ := r.JSON["error_description"].(string); strings.Contains(d, "second factor") {
		t.Errorf("a wrong password tells of the second factor: %q", d)
	}
}
