package core_test

import (
	"errors"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestUserTokens: a kept token authenticates its user until it is revoked;
// a password change keeps the token it was made with and revokes the
// others; an admin setting the password revokes them all.
func TestUserTokens(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("till", "till@alpha.example", pasarela.RoleTerminal)
		id, err := e.svc.CheckCredentials(e.ctx, "till", coretest.Password, "198.51.100.1")
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{"tok-1", "tok-2", "tok-3"} {
			if err := e.svc.KeepUserToken(e.ctx, id, tok); err != nil {
				t.Fatal(err)
			}
		}
		p, err := e.svc.AuthenticateUserToken(e.ctx, "tok-1")
		if err != nil || p.UserID != u.ID || p.ClientID != e.A.Client.ID || !p.HasRole(pasarela.RoleTerminal) {
			t.Fatalf("tok-1: %+v %v", p, err)
		}
		for _, bad := range []string{"", "tok-9", "TOK-1"} {
			_, err := e.svc.AuthenticateUserToken(e.ctx, bad)
			wantErr(t, "token "+bad, err, pasarela.KindUnauthorized, "invalid_token")
		}
		// Only the stored hash: the token itself is nowhere in the table.
		if e.count(`SELECT COUNT(*) FROM user_tokens WHERE token_hash = 'tok-1'`) != 0 || e.count(`SELECT COUNT(*) FROM user_tokens`) != 3 {
			t.Fatalf("tokens stored: %s", e.tableText("user_tokens"))
		}
		ctx := pasarela.WithPrincipal(e.ctx, p)
		if err := e.svc.RevokeUserToken(ctx, "tok-3"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.AuthenticateUserToken(e.ctx, "tok-3")
		wantErr(t, "revoked", err, pasarela.KindUnauthorized, "invalid_token")
		wantErr(t, "revoked twice", e.svc.RevokeUserToken(ctx, "tok-3"), pasarela.KindUnauthorized, "invalid_token")
		wantErr(t, "an application revokes", e.svc.RevokeUserToken(e.app(), "tok-1"), pasarela.KindForbidden, "user_required")

		// Every broken rule at once, under the form's field names.
		str := func(s string) *string { return &s }
		err = e.svc.ChangeOwnPassword(ctx, core.PasswordChange{Old: str("wrong"), New: str("short"), Confirmation: str("other"), IP: "198.51.100.3"})
		var pe *pasarela.Error
		if !errors.As(err, &pe) {
			t.Fatalf("bad change: %v", err)
		}
		got := map[string]bool{}
		for _, f := range pe.Fields {
			got[f.Field+"/"+f.Code] = true
		}
		for _, want := range []string{"old_password/password_incorrect", "new_password/" + core.PasswordTooShort,
			"new_password/" + core.PasswordNoUpper, "new_password_confirmation/password_mismatch"} {
			if !got[want] {
				t.Errorf("bad change: %v lacks %s", got, want)
			}
		}
		err = e.svc.ChangeOwnPassword(ctx, core.PasswordChange{Old: str(""), IP: "198.51.100.3"})
		if !errors.As(err, &pe) || len(pe.Fields) != 3 || pe.Fields[0].Code != core.PasswordEmpty || pe.Fields[1].Code != core.PasswordRequired {
			t.Fatalf("missing fields: %+v", err)
		}
		const next = "N3w-Passw0rd!"
		if err := e.svc.ChangeOwnPassword(ctx, core.PasswordChange{Old: str(coretest.Password), New: str(next),
			Confirmation: str(next), KeepToken: "tok-1", IP: "198.51.100.3"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateUserToken(e.ctx, "tok-1"); err != nil {
			t.Errorf("the token the change was made with: %v", err)
		}
		_, err = e.svc.AuthenticateUserToken(e.ctx, "tok-2")
		wantErr(t, "another token after the change", err, pasarela.KindUnauthorized, "invalid_token")
		if _, err := e.svc.CheckCredentials(e.ctx, "till", next, "198.51.100.1"); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
		if _, err := e.svc.UpdateUser(e.admin(), e.A.Client.ID, u.ID, core.UserInput{Password: pasarela.Set(coretest.Password)}, false); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.AuthenticateUserToken(e.ctx, "tok-1")
		wantErr(t, "after an admin set the password", err, pasarela.KindUnauthorized, "invalid_token")
	})
}
