package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testSessions: a session reads back as written, is touched, ended one at a
// time, all of a user's at once or all but one, swept when expired or idle, and never
// reachable through another client.
func testSessions(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.sessions")
	other := MustClient(t, db, "com.other")
	ana := MustUser(t, db, c.ID, "ana-s")
	bea := MustUser(t, db, c.ID, "bea-s")
	mk := func(hash string, u *pasarela.User, expires time.Time) *store.Session {
		s := &store.Session{TokenHash: hash, ClientID: u.ClientID, UserID: u.ID, SecondFactorPending: hash == "h1",
			CreatedAt: Base, LastSeenAt: Base, ExpiresAt: expires}
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateSession(ctx, s) })
		return s
	}
	s1 := mk("h1", ana, Base.Add(time.Hour))
	mk("h2", ana, Base.Add(time.Hour))
	mk("h3", bea, Base.Add(time.Minute))
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetSession(ctx, "h1")
		if err != nil {
			return err
		}
		MustEqual(t, "GetSession", got, s1)
		_, err = tx.GetSession(ctx, "nope")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})
	// Another client can neither touch nor end it.
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, other.ID, "h1", Base) })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, other.ID, "h1") })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	seen := Base.Add(10 * time.Minute)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.TouchSession(ctx, c.ID, "h1", seen) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetSession(ctx, "h1")
		if err != nil {
			return err
		}
		if !got.LastSeenAt.Equal(seen) {
			t.Errorf("touched session seen at %v, want %v", got.LastSeenAt, seen)
		}
		return nil
	})
	// A second factor turned on from h1 ends ana's other sessions only.
	mk("h6", ana, Base.Add(time.Hour))
	var n int64
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		n, err = tx.DeleteOtherUserSessions(ctx, other.ID, ana.ID, "h1")
		return err
	})
	if n != 0 {
		t.Errorf("another client's DeleteOtherUserSessions ended %d", n)
	}
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		n, err = tx.DeleteOtherUserSessions(ctx, c.ID, ana.ID, "h1")
		return err
	})
	if n != 2 {
		t.Errorf("DeleteOtherUserSessions ended %d, want 2 (h2, h6)", n)
	}
	MustView(t, db, func(tx *store.Tx) error {
		for _, h := range []string{"h2", "h6"} {
			_, err := tx.GetSession(ctx, h)
			MustErrorKind(t, err, pasarela.KindNotFound, "")
		}
		_, err := tx.GetSession(ctx, "h1")
		return err
	})
	mk("h2", ana, Base.Add(time.Hour))
	// A password change ends all of ana's sessions and none of bea's.
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		n, err = tx.DeleteUserSessions(ctx, c.ID, ana.ID)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteUserSessions ended %d, want 2", n)
	}
	// bea's session expires at Base+1m: a sweep at Base+2m removes it, and
	// an idle one (last seen before the idle limit) goes too.
	mk("h4", bea, Base.Add(time.Hour))
	mk("h5", bea, Base.Add(time.Hour))
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.TouchSession(ctx, c.ID, "h5", Base.Add(30*time.Minute)) })
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		n, err = tx.SweepSessions(ctx, Base.Add(2*time.Minute), Base.Add(time.Minute))
		return err
	})
	if n != 2 {
		t.Errorf("SweepSessions removed %d, want 2 (one expired, one idle)", n)
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteSession(ctx, c.ID, "h5") })
	// Ending it again deletes no row: not found, so that of two callers
	// trading one session only one succeeds.
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, c.ID, "h5") })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	MustView(t, db, func(tx *store.Tx) error {
		for _, h := range []string{"h1", "h2", "h3", "h4", "h5"} {
			_, err := tx.GetSession(ctx, h)
			MustErrorKind(t, err, pasarela.KindNotFound, "")
		}
		return nil
	})
}

// testSecondFactor: a TOTP secret is stored per user, a time step is
// accepted once, recovery codes work once, and another client reaches none.
func testSecondFactor(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.totp")
	other := MustClient(t, db, "com.totp2")
	u := MustUser(t, db, c.ID, "ana-t")
	want := &store.TOTP{ClientID: c.ID, UserID: u.ID, Sealed: []byte{1, 2, 3}, CreatedAt: Base}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.PutTOTP(ctx, want) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetTOTP(ctx, c.ID, u.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetTOTP", got, want)
		_, err = tx.GetTOTP(ctx, other.ID, u.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})
	use := func(clientID string, step int64) bool {
		var ok bool
		MustUpdate(t, db, func(tx *store.Tx) error {
			var err error
			ok, err = tx.UseTOTPStep(ctx, clientID, u.ID, step)
			return err
		})
		return ok
	}
	if !use(c.ID, 100) || use(c.ID, 100) || use(c.ID, 99) || use(other.ID, 200) || !use(c.ID, 101) {
		t.Error("a time step must be accepted once, in order, and only for its client")
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetTOTP(ctx, c.ID, u.ID)
		if err != nil {
			return err
		}
		if !got.Confirmed || got.LastStep != 101 {
			t.Errorf("after use: confirmed %v, last step %d", got.Confirmed, got.LastStep)
		}
		return nil
	})
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.ReplaceRecoveryCodes(ctx, c.ID, u.ID, []string{"a", "b", "c"}) })
	recover := func(clientID, h string) bool {
		var ok bool
		MustUpdate(t, db, func(tx *store.Tx) error {
			var err error
			ok, err = tx.UseRecoveryCode(ctx, clientID, u.ID, h)
			return err
		})
		return ok
	}
	if recover(other.ID, "a") || !recover(c.ID, "a") || recover(c.ID, "a") {
		t.Error("a recovery code must work once, and only for its client")
	}
	MustView(t, db, func(tx *store.Tx) error {
		n, err := tx.CountRecoveryCodes(ctx, c.ID, u.ID)
		if n != 2 {
			t.Errorf("%d recovery codes left, want 2", n)
		}
		return err
	})
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteTOTP(ctx, c.ID, u.ID) })
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetTOTP(ctx, c.ID, u.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		n, _ := tx.CountRecoveryCodes(ctx, c.ID, u.ID)
		if n != 0 {
			t.Errorf("%d recovery codes left after disabling, want 0", n)
		}
		return nil
	})
}
