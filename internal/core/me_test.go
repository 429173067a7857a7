package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
)

// TestMe: a user of any role reads itself and its own client, never another
// client's; an application key is refused.
func TestMe(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("till", "till@alpha.example", pasarela.RoleTerminal)
		ctx := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: e.A.Client.ID, UserID: u.ID, Roles: u.Roles})
		got, c, err := e.svc.Me(ctx)
		if err != nil || got.ID != u.ID || got.Email != "till@alpha.example" || c.ID != e.A.Client.ID {
			t.Fatalf("Me: %+v %+v %v", got, c, err)
		}
		// The principal's client scopes the read: the same user id under
		// client B is nobody.
		other := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: e.B.Client.ID, UserID: u.ID, Roles: u.Roles})
		_, _, err = e.svc.Me(other)
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("Me under another client: %v", err)
		}
		_, _, err = e.svc.Me(e.app())
		wantErr(t, "application", err, pasarela.KindForbidden, "user_required")
	})
}
