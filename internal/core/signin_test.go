package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// mustUser adds a user with roles to tenant A, as its admin would.
func (e *env) mustUser(username, email string, roles ...pasarela.Role) *pasarela.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(e.admin(), e.A.Client.ID, core.UserInput{Username: pasarela.Set(username),
		Email: pasarela.Set(email), Password: pasarela.Set(coretest.Password), Roles: pasarela.Set(roles)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// wantIdentity fails unless id is the identity of u, a user of client c.
func wantIdentity(t *testing.T, what string, id *core.Identity, err error, u *pasarela.User, c *pasarela.Client) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	p := id.Principal
	if p.ClientID != c.ID || p.UserID != u.ID || p.Username != u.Username || len(p.Roles) != len(u.Roles) ||
		p.ApplicationID != 0 || id.Email != u.Email || id.ClientCode != c.Code {
		t.Fatalf("%s: identity %+v %+v, want user %d of %s (%s, %s, %v)", what, id, p, u.ID, c.ID, u.Email, c.Code, u.Roles)
	}
}

// TestCheckCredentials: a user signs in by user name or email, in any case;
// a wrong password and an unknown user get the same answer.
func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("Ops", "ops@alpha.example", pasarela.RoleViewer)
		for _, login := range []string{"ops", " OPS ", "ops@alpha.example", "Ops@Alpha.Example"} {
			id, err := e.svc.CheckCredentials(e.ctx, login, coretest.Password, "198.51.100.1")
			wantIdentity(t, login, id, err, u, e.A.Client)
		}
		id, err := e.svc.CheckCredentials(e.ctx, e.B.Admin.Email, coretest.Password, "198.51.100.1")
		wantIdentity(t, "B's admin", id, err, e.B.Admin, e.B.Client)
		if !id.Principal.HasRole(pasarela.RoleAdmin) {
			t.Errorf("B's admin without the admin role: %+v", id.Principal)
		}
		for _, tc := range []struct{ name, login, password string }{
			{"wrong password", "ops", coretest.Password + "x"},
			{"password in another case", "ops", strings.ToUpper(coretest.Password)},
			{"unknown user", "nobody", coretest.Password},
			{"no login", " ", coretest.Password},
			{"no password", "ops", ""},
		} {
			_, err := e.svc.CheckCredentials(e.ctx, tc.login, tc.password, "198.51.100.2")
			wantErr(t, tc.name, err, pasarela.KindUnauthorized, "invalid_grant")
		}
	})
}

// TestCheckCredentialsLimited: past five failures a login is refused even
// with the right password, in any spelling, and an unknown login the same
// way; other users and, once the allowance refills, the user sign in again.
func TestCheckCredentialsLimited(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.mustUser("ops", "ops@alpha.example")
		for i := range 5 {
			_, err := e.svc.CheckCredentials(e.ctx, "ops", "wrong-password", "198.51.100.3")
			wantErr(t, "attempt "+string(rune('1'+i)), err, pasarela.KindUnauthorized, "invalid_grant")
		}
		_, err := e.svc.CheckCredentials(e.ctx, " OPS", coretest.Password, "198.51.100.4")
		wantErr(t, "after five failures", err, pasarela.KindRateLimited, "too_many_attempts")
		for i := range 5 {
			_, err = e.svc.CheckCredentials(e.ctx, "ghost", "wrong-password", "198.51.100.5")
			wantErr(t, "unknown login, attempt "+string(rune('1'+i)), err, pasarela.KindUnauthorized, "invalid_grant")
		}
		_, err = e.svc.CheckCredentials(e.ctx, "ghost", "wrong-password", "198.51.100.5")
		wantErr(t, "unknown login", err, pasarela.KindRateLimited, "too_many_attempts")
		if _, err := e.svc.CheckCredentials(e.ctx, e.A.Admin.Email, coretest.Password, "198.51.100.3"); err != nil {
			t.Fatalf("another user: %v", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.svc.CheckCredentials(e.ctx, "ops", coretest.Password, "198.51.100.3"); err != nil {
			t.Fatalf("after the refill: %v", err)
		}
	})
}

// TestCheckClientCredentials: a user signs in with its client's entity code
// and its email; every wrong part gets the answer of a wrong password.
func TestCheckClientCredentials(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		code, email := e.A.Client.Code, e.A.Admin.Email
		id, err := e.svc.CheckClientCredentials(e.ctx, code, email, coretest.Password, "198.51.100.1")
		wantIdentity(t, "admin", id, err, e.A.Admin, e.A.Client)
		// Case and blanks do not matter in the entity and the email.
		id, err = e.svc.CheckClientCredentials(e.ctx, " "+strings.ToUpper(code), strings.ToUpper(email)+" ", coretest.Password, "198.51.100.1")
		wantIdentity(t, "upper case", id, err, e.A.Admin, e.A.Client)
		e.mustUser("ops", "ops@alpha.example")
		for _, tc := range []struct{ name, entity, user, password string }{
			{"another entity", e.B.Client.Code, email, coretest.Password},
			{"unknown entity", "com.nobody", email, coretest.Password},
			{"no entity", "", email, coretest.Password},
			{"wrong password", code, email, coretest.Password + "x"},
			{"unknown user", code, "nobody@example.com", coretest.Password},
			{"no password", code, email, ""},
			{"a user name, not an email", code, "ops", coretest.Password},
		} {
			_, err := e.svc.CheckClientCredentials(e.ctx, tc.entity, tc.user, tc.password, "198.51.100.2")
			wantErr(t, tc.name, err, pasarela.KindUnauthorized, "invalid_grant")
		}
	})
}

// TestCheckClientCredentialsLimited: a sign-in naming the wrong client
// counts as a failed attempt, even with the right password, so guessing
// which client a user belongs to is limited as guessing its password is.
func TestCheckClientCredentialsLimited(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		email := e.A.Admin.Email
		for i := range 5 {
			_, err := e.svc.CheckClientCredentials(e.ctx, e.B.Client.Code, email, coretest.Password, "198.51.100.3")
			wantErr(t, "attempt "+string(rune('1'+i)), err, pasarela.KindUnauthorized, "invalid_grant")
		}
		_, err := e.svc.CheckClientCredentials(e.ctx, e.A.Client.Code, email, coretest.Password, "198.51.100.4")
		wantErr(t, "after five failures", err, pasarela.KindRateLimited, "too_many_attempts")
		// One limiter for every sign-in: the plain check is refused too.
		_, err = e.svc.CheckCredentials(e.ctx, email, coretest.Password, "198.51.100.4")
		wantErr(t, "plain check", err, pasarela.KindRateLimited, "too_many_attempts")
	})
}

// TestUserPrincipal: a user is read again on every request, so a role
// change applies at once and a deleted user, or one whose email or client
// no longer matches, is not found.
func TestUserPrincipal(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("ops", "ops@alpha.example", pasarela.RoleViewer)
		code := e.A.Client.Code
		p, err := e.svc.UserPrincipal(e.ctx, e.A.Client.ID, u.ID)
		if err != nil || p.ClientID != e.A.Client.ID || p.UserID != u.ID || p.Username != "ops" || !p.HasRole(pasarela.RoleViewer) {
			t.Fatalf("by id: %+v %v", p, err)
		}
		p, err = e.svc.UserPrincipalByEmail(e.ctx, code, "ops@alpha.example")
		if err != nil || p.ClientID != e.A.Client.ID || p.UserID != u.ID || !p.HasRole(pasarela.RoleViewer) {
			t.Fatalf("by email: %+v %v", p, err)
		}
		if _, err := e.svc.UpdateUser(e.admin(), e.A.Client.ID, u.ID,
			core.UserInput{Roles: pasarela.Set([]pasarela.Role{pasarela.RoleManager})}, false); err != nil {
			t.Fatal(err)
		}
		for name, read := range map[string]func() (*pasarela.Principal, error){
			"by id": func() (*pasarela.Principal, error) { return e.svc.UserPrincipal(e.ctx, e.A.Client.ID, u.ID) },
			"by email": func() (*pasarela.Principal, error) {
				return e.svc.UserPrincipalByEmail(e.ctx, code, "ops@alpha.example")
			},
		} {
			if p, err := read(); err != nil || p.HasRole(pasarela.RoleViewer) || !p.HasRole(pasarela.RoleManager) {
				t.Errorf("%s after the role change: %+v %v", name, p, err)
			}
		}
		for name, read := range map[string]func() (*pasarela.Principal, error){
			"another client's id": func() (*pasarela.Principal, error) { return e.svc.UserPrincipal(e.ctx, e.B.Client.ID, u.ID) },
			"another client's code": func() (*pasarela.Principal, error) {
				return e.svc.UserPrincipalByEmail(e.ctx, e.B.Client.Code, "ops@alpha.example")
			},
			"the user name": func() (*pasarela.Principal, error) { return e.svc.UserPrincipalByEmail(e.ctx, code, "ops") },
			"the email in upper case": func() (*pasarela.Principal, error) {
				return e.svc.UserPrincipalByEmail(e.ctx, code, "OPS@alpha.example")
			},
			"an unknown email": func() (*pasarela.Principal, error) { return e.svc.UserPrincipalByEmail(e.ctx, code, "x@alpha.example") },
			"the entity in upper case": func() (*pasarela.Principal, error) {
				return e.svc.UserPrincipalByEmail(e.ctx, strings.ToUpper(code), "ops@alpha.example")
			},
		} {
			if p, err := read(); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s: %+v %v, want not found", name, p, err)
			}
		}
		if err := e.svc.DeleteUser(e.admin(), e.A.Client.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if p, err := e.svc.UserPrincipal(e.ctx, e.A.Client.ID, u.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("deleted, by id: %+v %v", p, err)
		}
		if p, err := e.svc.UserPrincipalByEmail(e.ctx, code, "ops@alpha.example"); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("deleted, by email: %+v %v", p, err)
		}
	})
}
