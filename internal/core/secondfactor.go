package core

import (
	"context"
	"crypto/subtle"
	"encoding/base32"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Second factor. A user may add a TOTP authenticator (RFC 6238: six
// digits, 30-second steps, SHA-1, what every authenticator app reads from
// a QR code) through github.com/pquerna/otp. The shared secret is sealed
// like the gateway's other secrets, bound to its client and user. Enrolment
// stores the secret unconfirmed; the first good code confirms it and hands
// out ten one-time recovery codes (80 random bits each), stored as SHA-256
// hashes. From then on a sign-in asks for a code (or a recovery code). Each accepted code's time
// step is recorded, so a code seen over a shoulder cannot be replayed.
//
// Codes have a stricter limit than passwords, since six digits with a step
// of skew either side leave one guess in about 333,000 right: every attempt
// is counted, before the code is checked and in one statement, against the
// user (codeBurst attempts, then one per codeRefill: at most about 300
// guesses a day, where the password limiter's pace allowed 7,200); a right
// code forgets the count. A session waiting for its code ends after
// codesPerPendingSession wrong ones, so the next guesses need the password
// again. Wrong codes also count per address in the sign-in limiter.

const (
	totpIssuer        = "Pasarela"
	totpPeriod        = 30
	totpSkew          = 1 // steps either side of now accepted, for clocks a little off
	recoveryCodeCount = 10

	codeBurst              = 5
	codeRefill             = 5 * time.Minute
	codesPerPendingSession = 5
)

var (
	errBadCode        = pasarela.Invalid("code", "code_incorrect", "is not a valid code")
	errCodesLimit     = pasarela.Errorf(pasarela.KindRateLimited, "too_many_attempts", "too many codes tried; try again later")
	errCodesSession   = pasarela.Errorf(pasarela.KindUnauthorized, "invalid_session", "too many wrong codes: sign in again with your password")
	errNoSecondFactor = pasarela.Errorf(pasarela.KindConflict, "second_factor_off", "no second factor is enabled")
	errSecondFactorOn = pasarela.Errorf(pasarela.KindConflict, "second_factor_on", "a second factor is already enabled; disable it first")
)

// TOTPEnrolment is what a user needs to add the gateway to an authenticator
// app: the secret in base32 (to type in) and the otpauth:// URL (for a QR
// code).
type TOTPEnrolment struct {
	Secret string
	URL    string
}

func totpAAD(clientID string, userID int64) []byte {
	return []byte("totp:" + clientID + ":" + strconv.FormatInt(userID, 10))
}

// SecondFactorOn reports whether the signed-in user has a confirmed second
// factor, and how many unused recovery codes it has left.
func (s *Service) SecondFactorOn(ctx context.Context) (on bool, recoveryLeft int, err error) {
	p, err := requireUser(ctx)
	if err != nil {
		return false, 0, err
	}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		t, err := tx.GetTOTP(ctx, p.ClientID, p.UserID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if on = t.Confirmed; on {
			recoveryLeft, err = tx.CountRecoveryCodes(ctx, p.ClientID, p.UserID)
		}
		return err
	})
	return on, recoveryLeft, err
}

// EnrollTOTP starts adding a TOTP second factor for the signed-in user: a
// new secret, kept unconfirmed until ConfirmTOTP gets a code made from it.
// Enrolling again before confirming replaces the secret.
func (s *Service) EnrollTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	p, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	var enrol *TOTPEnrolment
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		u, err := tx.GetUser(ctx, p.ClientID, p.UserID)
		if err != nil {
			return err
		}
		t, err := tx.GetTOTP(ctx, p.ClientID, p.UserID)
		switch {
		case err == nil && t.Confirmed:
			return errSecondFactorOn
		case err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound:
			return err
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Period: totpPeriod,
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return pasarela.Internal(err)
		}
		enrol = &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}
		return tx.PutTOTP(ctx, &store.TOTP{ClientID: p.ClientID, UserID: p.UserID,
			Sealed: s.sealer.seal([]byte(key.Secret()), totpAAD(p.ClientID, p.UserID)), CreatedAt: s.now()})
	})
	if err != nil {
		return nil, err
	}
	return enrol, nil
}

// PendingTOTP returns the signed-in user's enrolment that waits for its
// first code, to show it again after a wrong one.
func (s *Service) PendingTOTP(ctx context.Context) (*TOTPEnrolment, error) {
	p, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	var t *store.TOTP
	var u *pasarela.User
	err = s.db.View(ctx, func(tx *store.Tx) error {
		if u, err = tx.GetUser(ctx, p.ClientID, p.UserID); err != nil {
			return err
		}
		t, err = tx.GetTOTP(ctx, p.ClientID, p.UserID)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound || err == nil && t.Confirmed {
		return nil, errNoSecondFactor
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.sealer.open(t.Sealed, totpAAD(p.ClientID, p.UserID))
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	return totpEnrolment(u.Email, string(secret))
}

// totpEnrolment builds the otpauth:// URL of a base32 secret.
func totpEnrolment(email, secret string) (*TOTPEnrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: email, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Secret: raw})
	if err != nil {
		return nil, pasarela.Internal(err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmTOTP turns on the signed-in user's enrolled second factor with a
// code from the authenticator, and returns its recovery codes: the only
// time they are shown. The user's other dashboard sessions end (they began
// with the password alone); session is the token of the one that turned
// it on, which stays ("" for none).
func (s *Service) ConfirmTOTP(ctx context.Context, code, ip, session string) ([]string, error) {
	p, err := requireUser(ctx)
	if err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodeCount)
	hashes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = tokenHash(normalizeRecoveryCode(codes[i]))
	}
	err = s.checkSecondFactor(ctx, p.ClientID, p.UserID, code, ip, false, "", func(tx *store.Tx) error {
		if err := tx.ReplaceRecoveryCodes(ctx, p.ClientID, p.UserID, hashes); err != nil {
			return err
		}
		_, err := tx.DeleteOtherUserSessions(ctx, p.ClientID, p.UserID, tokenHash(session))
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP removes the signed-in user's second factor, given a code from
// the authenticator or a recovery code. The user's other dashboard
// sessions end, as when it was turned on; session is the token of the one
// that turned it off, which stays ("" for none).
func (s *Service) DisableTOTP(ctx context.Context, code, ip, session string) error {
	p, err := requireUser(ctx)
	if err != nil {
		return err
	}
	return s.checkSecondFactor(ctx, p.ClientID, p.UserID, code, ip, true, "", func(tx *store.Tx) error {
		if err := tx.DeleteTOTP(ctx, p.ClientID, p.UserID); err != nil {
			return err
		}
		_, err := tx.DeleteOtherUserSessions(ctx, p.ClientID, p.UserID, tokenHash(session))
		return err
	})
}

// CompleteSession admits the session of token, which waits for its second
// factor, with a code from the authenticator or a recovery code: it ends
// that session and starts a full one, whose token is returned.
func (s *Service) CompleteSession(ctx context.Context, token, code, ip string) (*SessionStart, error) {
	sess, err := s.ResumeSession(ctx, token)
	if err != nil {
		return nil, err
	}
	if !sess.SecondFactorPending {
		return nil, errBadSession
	}
	p := sess.Principal
	start, row := s.sessionRow(p.ClientID, p.UserID, false)
	hash := tokenHash(token)
	err = s.checkSecondFactor(ctx, p.ClientID, p.UserID, code, ip, true, hash, func(tx *store.Tx) error {
		// The pending session is traded for the full one in the
		// transaction that uses the code up, so a code admits one session
		// only: of two requests with a right code at once, the one that
		// finds the pending session gone fails as a session that has
		// ended.
		err := tx.DeleteSession(ctx, p.ClientID, hash)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return errBadSession
		}
		if err != nil {
			return err
		}
		return s.keepSession(ctx, tx, row)
	})
	if err != nil {
		return nil, err
	}
	return start, nil
}

// checkSecondFactor checks a code of a user's TOTP (confirmed, or, when
// confirmed is false, still being enrolled) or, for a confirmed one, a
// recovery code; on success it uses the code up and runs then in the same
// transaction. The attempt is counted first (countCode); session is the
// hash of the pending session the code is for, if any, which ends after
// too many wrong codes.
func (s *Service) checkSecondFactor(ctx context.Context, clientID string, userID int64, code, ip string, confirmed bool, session string, then func(*store.Tx) error) error {
	code = strings.TrimSpace(code)
	if code == "" {
		return pasarela.Invalid("code", "required", "is required")
	}
	loginKey := "2fa:" + clientID + ":" + strconv.FormatInt(userID, 10)
	if ok, err := s.logins.allowed(ctx, loginKey, ip); err != nil {
		return err
	} else if !ok {
		return errLoginsLimit
	}
	now := s.now()
	userKey, sessionKey, last, err := s.countCode(ctx, clientID, userID, session, now)
	if err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		t, err := tx.GetTOTP(ctx, clientID, userID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound || err == nil && t.Confirmed != confirmed {
			if confirmed {
				return errNoSecondFactor
			}
			return errSecondFactorOn
		}
		if err != nil {
			return err
		}
		secret, err := s.sealer.open(t.Sealed, totpAAD(clientID, userID))
		if err != nil {
			return pasarela.Internal(err)
		}
		used := false
		if step, ok := matchTOTP(string(secret), code, now); ok {
			if used, err = tx.UseTOTPStep(ctx, clientID, userID, step); err != nil {
				return err
			}
		} else if confirmed {
			if used, err = tx.UseRecoveryCode(ctx, clientID, userID, tokenHash(normalizeRecoveryCode(code))); err != nil {
				return err
			}
		}
		if !used {
			return errBadCode
		}
		if err := tx.ForgetSignInLimit(ctx, userKey); err != nil {
			return err
		}
		if sessionKey != "" {
			if err := tx.ForgetSignInLimit(ctx, sessionKey); err != nil {
				return err
			}
		}
		return then(tx)
	})
	if err == errBadCode {
		s.logins.failed(ctx, loginKey, ip)
		if last {
			// The pending session's last wrong code: it ends now.
			err := s.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, clientID, session) })
			if err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
				return err
			}
			return errCodesSession
		}
	}
	return err
}

// countCode counts an attempt at a code before the code is checked, in one
// transaction whose first statement moves the count (RecordSignInFailure:
// one upsert, so concurrent attempts all count and none reads a stale
// count): the user's attempts since its last right code, and the pending
// session's. Past the user's allowance the attempt is refused; a pending
// session past its allowance (two attempts at once at its last) is ended,
// in the same transaction. It returns the keys, for a right code to
// forget, and whether this is the pending session's last attempt.
func (s *Service) countCode(ctx context.Context, clientID string, userID int64, session string, now time.Time) (userKey, sessionKey string, last bool, err error) {
	userKey = totpLimitKey(clientID, userID)
	if session != "" {
		sessionKey = limitKey("totp-session", session)
	}
	at := now.UnixMicro()
	refused := error(nil)
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		step := codeRefill.Microseconds()
		if err := tx.RecordSignInFailure(ctx, userKey, at, step); err != nil {
			return err
		}
		tat, err := tx.SignInTAT(ctx, userKey)
		if err != nil {
			return err
		}
		if tat-at > codeBurst*step {
			refused = errCodesLimit
		}
		if sessionKey == "" {
			return nil
		}
		// One step of the pending session's whole life per attempt: the
		// count never refills while the session lasts.
		step = pendingSessionMax.Microseconds()
		if err := tx.RecordSignInFailure(ctx, sessionKey, at, step); err != nil {
			return err
		}
		if tat, err = tx.SignInTAT(ctx, sessionKey); err != nil {
			return err
		}
		last = tat-at == codesPerPendingSession*step
		if tat-at > codesPerPendingSession*step {
			// This attempt is one more than the session allows: it
			// ends, and the next code needs the password again.
			refused = errCodesSession
			if err := tx.DeleteSession(ctx, clientID, session); err != nil && pasarela.ErrorKind(err) != pasarela.KindNotFound {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = refused
	}
	return userKey, sessionKey, last, err
}

// matchTOTP finds the time step, within the skew around now, whose code is
// code; the comparison takes the same time whichever digit differs.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	base := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := base + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCode is sixteen random lowercase base32 characters (80 bits)
// in four groups, still easy to copy down by hand. Codes are stored as
// unsalted SHA-256 hashes, like session tokens: that is safe only for a
// secret too long to guess, and 80 bits put a copy of the database as far
// from a code as from a token (ten codes of 50 bits each were within reach
// of a brute force of the hashes).
func newRecoveryCode() string {
	c := randomString(16)
	return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
}

// normalizeRecoveryCode forgives case, blanks and dashes in a typed code.
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, code)
}

// UserSecondFactor reports whether a user of the client has a second
// factor on, for its admins (the team's pages).
func (s *Service) UserSecondFactor(ctx context.Context, clientID string, userID int64) (bool, error) {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return false, err
	}
	if _, err := s.GetUser(ctx, clientID, userID); err != nil {
		return false, err
	}
	return s.hasSecondFactor(ctx, &pasarela.Principal{ClientID: clientID, UserID: userID})
}

// ResetSecondFactor removes the second factor of a user of the client who
// lost it (the authenticator and the recovery codes), as an admin of the
// client does: the user signs in with the password alone and may set one
// up again. Every session of the user ends, since one might have been
// opened by whoever holds the lost device.
func (s *Service) ResetSecondFactor(ctx context.Context, clientID string, userID int64) error {
	if err := requireClientAdmin(ctx, clientID); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetUser(ctx, clientID, userID); err != nil {
			return err
		}
		t, err := tx.GetTOTP(ctx, clientID, userID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound || err == nil && !t.Confirmed {
			return errNoSecondFactor
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteTOTP(ctx, clientID, userID); err != nil {
			return err
		}
		if err := tx.ForgetSignInLimit(ctx, totpLimitKey(clientID, userID)); err != nil {
			return err
		}
		_, err = tx.DeleteUserSessions(ctx, clientID, userID)
		return err
	})
}

// totpLimitKey names the limit of a user's one-time codes, which a check
// counts and an admin's reset of the second factor forgets.
func totpLimitKey(clientID string, userID int64) string {
	return limitKey("totp", clientID+":"+strconv.FormatInt(userID, 10))
}
