package core_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestSessions: a session resolves to its user's principal, with roles read
// anew; it ends when idle too long, at its absolute expiry, on sign-out,
// and when the password changes (admin reset, own change, operator reset).
func TestSessions(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		const ip = "198.51.100.20"
		u := e.mustUser("ses", "ses@alpha.example", pasarela.RoleViewer)
		start := func() string {
			t.Helper()
			st, err := e.svc.StartSession(e.ctx, "ses@alpha.example", coretest.Password, ip)
			if err != nil {
				t.Fatal(err)
			}
			if st.SecondFactor || len(st.Token) < 40 {
				t.Fatalf("start: %+v", st)
			}
			return st.Token
		}
		ended := func(what, token string) {
			t.Helper()
			_, err := e.svc.ResumeSession(e.ctx, token)
			wantErr(t, what, err, pasarela.KindUnauthorized, "invalid_session")
		}
		_, err := e.svc.StartSession(e.ctx, "ses", "wrong-password", ip)
		wantErr(t, "wrong password", err, pasarela.KindUnauthorized, "invalid_grant")

		tok := start()
		s, err := e.svc.ResumeSession(e.ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if p := s.Principal; p.ClientID != e.A.Client.ID || p.UserID != u.ID || !p.HasRole(pasarela.RoleViewer) || s.SecondFactorPending {
			t.Fatalf("session %+v principal %+v", s, s.Principal)
		}
		ended("unknown token", tok+"x")
		ended("empty token", "")

		// Used within the idle limit it lives on; idle past it, it ends.
		e.clock.Advance(20 * time.Minute)
		if _, err := e.svc.ResumeSession(e.ctx, tok); err != nil {
			t.Fatalf("after 20 minutes of use: %v", err)
		}
		e.clock.Advance(20 * time.Minute)
		if _, err := e.svc.ResumeSession(e.ctx, tok); err != nil {
			t.Fatalf("20 minutes after the last use: %v", err)
		}
		e.clock.Advance(31 * time.Minute)
		ended("idle", tok)

		// However busy, a session ends after 12 hours.
		tok = start()
		for i := range 24 { // 11 h 36 min of use
			e.clock.Advance(29 * time.Minute)
			if _, err := e.svc.ResumeSession(e.ctx, tok); err != nil {
				t.Fatalf("in use, step %d: %v", i, err)
			}
		}
		e.clock.Advance(29 * time.Minute)
		ended("past the absolute limit", tok)

		tok = start()
		if err := e.svc.EndSession(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
		ended("signed out", tok)
		if err := e.svc.EndSession(e.ctx, tok); err != nil {
			t.Fatalf("signing out twice: %v", err)
		}

		// Each kind of password change ends every session of the user.
		next := coretest.Password + "-2"
		for _, change := range []struct {
			name string
			fn   func(tok string) error
		}{
			{"admin reset", func(string) error {
				_, err := e.svc.UpdateUser(e.admin(), e.A.Client.ID, u.ID, core.UserInput{Password: pasarela.Set(next)}, false)
				return err
			}},
			{"own change", func(tok string) error {
				s, err := e.svc.ResumeSession(e.ctx, tok)
				if err != nil {
					return err
				}
				ctx := pasarela.WithPrincipal(e.ctx, s.Principal)
				pw, again := next, coretest.Password
				return e.svc.ChangeOwnPassword(ctx, core.PasswordChange{Old: &pw, New: &again, Confirmation: &again, IP: ip})
			}},
			{"operator reset", func(string) error {
				_, err := e.svc.OperatorResetPassword(e.ctx, "ses", next)
				return err
			}},
		} {
			// The password alternates between the two values.
			pw := coretest.Password
			if change.name == "own change" {
				pw = next
			}
			st, err := e.svc.StartSession(e.ctx, "ses", pw, ip)
			if err != nil {
				t.Fatalf("%s: %v", change.name, err)
			}
			if err := change.fn(st.Token); err != nil {
				t.Fatalf("%s: %v", change.name, err)
			}
			ended(change.name, st.Token)
		}
		// A session of another user lives on.
		other, err := e.svc.StartSession(e.ctx, e.A.Admin.Email, coretest.Password, ip)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.OperatorResetPassword(e.ctx, "ses", coretest.Password); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ResumeSession(e.ctx, other.Token); err != nil {
			t.Fatalf("another user's session: %v", err)
		}
	})
}

// recoveryRE is a recovery code as shown: 16 base32 characters (80 bits).
var recoveryRE = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

// TestSecondFactor: enrolment, confirmation with a code, sign-in that waits
// for the code (a code works once; a recovery code once), wrong codes
// limited, and disabling with a code.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		const ip = "198.51.100.21"
		u := e.mustUser("tfa", "tfa@alpha.example", pasarela.RoleManager)
		ctx := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: e.A.Client.ID, UserID: u.ID, Roles: u.Roles})
		code := func(secret string) string {
			c, err := totp.GenerateCode(secret, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if on, _, err := e.svc.SecondFactorOn(ctx); err != nil || on {
			t.Fatalf("before enrolment: %v %v", on, err)
		}
		enrol, err := e.svc.EnrollTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Until confirmed, sign-in needs no code.
		st, err := e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		if err != nil || st.SecondFactor {
			t.Fatalf("unconfirmed: %+v %v", st, err)
		}
		_, err = e.svc.ConfirmTOTP(ctx, "000000", ip, "")
		wantErr(t, "wrong code", err, pasarela.KindInvalid, "code_incorrect")
		recovery, err := e.svc.ConfirmTOTP(ctx, code(enrol.Secret), ip, "")
		if err != nil || len(recovery) != 10 {
			t.Fatalf("confirm: %v %v", recovery, err)
		}
		// 16 base32 characters each (80 bits), all different.
		seen := map[string]bool{}
		for _, c := range recovery {
			if !recoveryRE.MatchString(c) || seen[c] {
				t.Fatalf("recovery code %q: want four groups of four base32 characters, each code once", c)
			}
			seen[c] = true
		}
		if on, left, err := e.svc.SecondFactorOn(ctx); err != nil || !on || left != 10 {
			t.Fatalf("after confirming: %v %d %v", on, left, err)
		}
		_, err = e.svc.EnrollTOTP(ctx)
		wantErr(t, "enrolling twice", err, pasarela.KindConflict, "second_factor_on")

		// Sign-in now waits for a code; the code's step was used by the
		// confirmation, so the same code is refused until the next step.
		st, err = e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		if err != nil || !st.SecondFactor {
			t.Fatalf("sign-in with a second factor: %+v %v", st, err)
		}
		s, err := e.svc.ResumeSession(e.ctx, st.Token)
		if err != nil || !s.SecondFactorPending {
			t.Fatalf("pending session: %+v %v", s, err)
		}
		_, err = e.svc.CompleteSession(e.ctx, st.Token, code(enrol.Secret), ip)
		wantErr(t, "a code used twice", err, pasarela.KindInvalid, "code_incorrect")
		e.clock.Advance(30 * time.Second)
		full, err := e.svc.CompleteSession(e.ctx, st.Token, code(enrol.Secret), ip)
		if err != nil || full.SecondFactor || full.Token == st.Token {
			t.Fatalf("complete: %+v %v", full, err)
		}
		if _, err := e.svc.ResumeSession(e.ctx, st.Token); err == nil {
			t.Fatal("the pending session outlived its completion")
		}
		if s, err := e.svc.ResumeSession(e.ctx, full.Token); err != nil || s.SecondFactorPending {
			t.Fatalf("full session: %+v %v", s, err)
		}
		_, err = e.svc.CompleteSession(e.ctx, full.Token, code(enrol.Secret), ip)
		wantErr(t, "completing a full session", err, pasarela.KindUnauthorized, "invalid_session")

		// A recovery code, in any case and spacing, works once.
		st, _ = e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		if _, err := e.svc.CompleteSession(e.ctx, st.Token, " "+recovery[0]+" ", ip); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		st, _ = e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		_, err = e.svc.CompleteSession(e.ctx, st.Token, recovery[0], ip)
		wantErr(t, "recovery code used twice", err, pasarela.KindInvalid, "code_incorrect")

		// Wrong codes: the pending session ends with its fifth (1 above,
		// 3 more, then the fifth), and the user has used its five
		// attempts: a new session's right code is refused until one
		// attempt has refilled.
		for range 3 {
			_, err = e.svc.CompleteSession(e.ctx, st.Token, "123456", ip)
			wantErr(t, "wrong code", err, pasarela.KindInvalid, "code_incorrect")
		}
		_, err = e.svc.CompleteSession(e.ctx, st.Token, "123456", ip)
		wantErr(t, "the session's fifth wrong code", err, pasarela.KindUnauthorized, "invalid_session")
		if _, err := e.svc.ResumeSession(e.ctx, st.Token); err == nil {
			t.Fatal("the pending session outlived its fifth wrong code")
		}
		st, _ = e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		_, err = e.svc.CompleteSession(e.ctx, st.Token, recovery[1], ip)
		wantErr(t, "past the user's limit", err, pasarela.KindRateLimited, "too_many_attempts")

		e.clock.Advance(2 * time.Hour)
		err = e.svc.DisableTOTP(ctx, "nope", ip, "")
		wantErr(t, "disable with a wrong code", err, pasarela.KindInvalid, "code_incorrect")
		if err := e.svc.DisableTOTP(ctx, code(enrol.Secret), ip, ""); err != nil {
			t.Fatalf("disable: %v", err)
		}
		if on, _, _ := e.svc.SecondFactorOn(ctx); on {
			t.Fatal("still on after disabling")
		}
		st, err = e.svc.StartSession(e.ctx, "tfa", coretest.Password, ip)
		if err != nil || st.SecondFactor {
			t.Fatalf("after disabling: %+v %v", st, err)
		}
	})
}
