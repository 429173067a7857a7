package core_test

import (
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/store"
)

// TestClientCodeTaken: a code derived from a name that another client has
// already is made unique, decided by the violated constraint; a code given
// explicitly that is taken is a conflict on "code".
func TestClientCodeTaken(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		in := core.ClientInput{Name: "Alpha Shop", Email: "second@example.com", Password: coretest.Password}
		c, _, err := e.svc.CreateClient(e.ctx, in)
		if err != nil {
			t.Fatalf("second client of a taken derived code: %v", err)
		}
		if !strings.HasPrefix(c.Code, e.A.Client.Code+"-") {
			t.Fatalf("code %q, want %q with a suffix", c.Code, e.A.Client.Code)
		}
		in.Email, in.Code = "third@example.com", e.A.Client.Code
		_, _, err = e.svc.CreateClient(e.ctx, in)
		if pe := pasarela.AsError(err); pe.Kind != pasarela.KindConflict || pe.Field != "code" ||
			!store.IsConstraint(err, store.UniqueClientCode) {
			t.Fatalf("explicit taken code: %#v", pe)
		}
	})
}
