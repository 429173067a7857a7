package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestPasswordSignInWithSecondFactor: the API faces' password sign-ins
// (CheckCredentials, CheckClientCredentials) refuse a user with a second
// factor with second_factor_required once the password (and the entity)
// are right; a wrong password or entity still gets the one answer for any
// wrong credential; the dashboard's sign-in still starts a session that
// waits for the code.
func TestPasswordSignInWithSecondFactor(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		const ip = "198.51.100.41"
		u := e.mustUser("tfa-api", "tfa-api@alpha.example", pasarela.RoleManager)
		if _, err := e.svc.CheckCredentials(e.ctx, "tfa-api", coretest.Password, ip); err != nil {
			t.Fatalf("before the second factor: %v", err)
		}
		coretest.MustTOTP(t, e.svc, u, e.clock.Now())
		_, err := e.svc.CheckCredentials(e.ctx, "tfa-api", coretest.Password, ip)
		wantErr(t, "password alone", err, pasarela.KindUnauthorized, "second_factor_required")
		_, err = e.svc.CheckCredentials(e.ctx, "tfa-api", coretest.Password+"x", ip)
		wantErr(t, "wrong password", err, pasarela.KindUnauthorized, "invalid_grant")
		_, err = e.svc.CheckClientCredentials(e.ctx, e.A.Client.Code, u.Email, coretest.Password, ip)
		wantErr(t, "password alone, with the entity", err, pasarela.KindUnauthorized, "second_factor_required")
		_, err = e.svc.CheckClientCredentials(e.ctx, e.B.Client.Code, u.Email, coretest.Password, ip)
		wantErr(t, "another entity", err, pasarela.KindUnauthorized, "invalid_grant")
		st, err := e.svc.StartSession(e.ctx, "tfa-api", coretest.Password, ip)
		if err != nil || !st.SecondFactor {
			t.Fatalf("dashboard sign-in: %+v %v", st, err)
		}
	})
}
