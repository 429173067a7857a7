package core_test

import (
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestCodeLimitPerUser: codes have their own allowance per user, counted
// before each code is checked, whatever the session: five attempts, then
// even a right code is refused until one more has refilled (five minutes);
// a right code forgets the count.
func TestCodeLimitPerUser(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("tfa-limit", "tfa-limit@alpha.example", pasarela.RoleManager)
		secret := coretest.MustTOTP(t, e.svc, u, e.clock.Now())
		ctx := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Roles: u.Roles})
		code := func() string {
			c, err := totp.GenerateCode(secret, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// From five addresses, so that only the user's own count binds.
		for i, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"} {
			err := e.svc.DisableTOTP(ctx, "000000", ip, "")
			wantErr(t, "wrong code "+string(rune('1'+i)), err, pasarela.KindInvalid, "code_incorrect")
		}
		e.clock.Advance(time.Minute)
		err := e.svc.DisableTOTP(ctx, code(), "192.0.2.6", "")
		wantErr(t, "a right code past the allowance", err, pasarela.KindRateLimited, "too_many_attempts")
		// Two attempts have moved the count 2×5 minutes ahead of the
		// allowance: after that a right code passes, and forgets the count.
		e.clock.Advance(10 * time.Minute)
		st, err := e.svc.StartSession(e.ctx, "tfa-limit", coretest.Password, "192.0.2.7")
		if err != nil || !st.SecondFactor {
			t.Fatalf("sign-in: %+v %v", st, err)
		}
		if _, err := e.svc.CompleteSession(e.ctx, st.Token, code(), "192.0.2.7"); err != nil {
			t.Fatalf("a right code after the cooldown: %v", err)
		}
		for range 4 {
			err := e.svc.DisableTOTP(ctx, "000000", "192.0.2.8", "")
			wantErr(t, "wrong code after a right one", err, pasarela.KindInvalid, "code_incorrect")
		}
	})
}

// TestCompleteSessionOnce: two right codes sent at once for one pending
// session (the authenticator's and a recovery code, which no replay check
// shares) start one full session, never two.
func TestCompleteSessionOnce(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		u := e.mustUser("tfa-once", "tfa-once@alpha.example", pasarela.RoleManager)
		ctx := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Roles: u.Roles})
		enrol, err := e.svc.EnrollTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code := func() string {
			c, err := totp.GenerateCode(enrol.Secret, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		recovery, err := e.svc.ConfirmTOTP(ctx, code(), "192.0.2.20", "")
		if err != nil {
			t.Fatal(err)
		}
		for round := range 4 {
			e.clock.Advance(30 * time.Second)
			st, err := e.svc.StartSession(e.ctx, "tfa-once", coretest.Password, "192.0.2.21")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for _, c := range []string{code(), recovery[round]} {
				wg.Go(func() {
					if _, err := e.svc.CompleteSession(e.ctx, st.Token, c, "192.0.2.21"); err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if ok != 1 {
				t.Fatalf("round %d: %d full sessions from one pending session, want 1", round, ok)
			}
		}
	})
}

// TestSecondFactorEndsOtherSessions: turning a second factor on, or off,
// ends the user's other dashboard sessions (begun under the old rule) and
// keeps the one it was done from.
func TestSecondFactorEndsOtherSessions(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		const ip = "192.0.2.30"
		u := e.mustUser("tfa-others", "tfa-others@alpha.example", pasarela.RoleManager)
		ctx := pasarela.WithPrincipal(e.ctx, &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Roles: u.Roles})
		start := func() string {
			st, err := e.svc.StartSession(e.ctx, "tfa-others", coretest.Password, ip)
			if err != nil {
				t.Fatal(err)
			}
			return st.Token
		}
		live := func(token string) bool {
			_, err := e.svc.ResumeSession(e.ctx, token)
			return err == nil
		}
		here, there := start(), start()
		enrol, err := e.svc.EnrollTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code := func() string {
			c, err := totp.GenerateCode(enrol.Secret, e.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := e.svc.ConfirmTOTP(ctx, code(), ip, here); err != nil {
			t.Fatal(err)
		}
		if !live(here) || live(there) {
			t.Fatalf("after turning it on: this session live %v, the other %v", live(here), live(there))
		}
		pending := start() // waits for its code
		e.clock.Advance(30 * time.Second)
		if err := e.svc.DisableTOTP(ctx, code(), ip, here); err != nil {
			t.Fatal(err)
		}
		if !live(here) || live(pending) {
			t.Fatalf("after turning it off: this session live %v, the pending one %v", live(here), live(pending))
		}
	})
}
