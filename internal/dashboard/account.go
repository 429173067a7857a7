package dashboard

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/qrsvg"
	"github.com/pasarela/pasarela/internal/transport"
)

// The account page: the signed-in user's own second factor. Enrolling
// shows a QR code of the otpauth:// URL (drawn on the server) and the
// secret as text for apps without a camera; the first good code turns it
// on and shows the ten recovery codes, once; a code (or a recovery code)
// turns it off.

type accountData struct {
	On           bool
	RecoveryLeft int
	// Enrolling: the QR code and the secret to add to an app.
	QR     template.HTML
	Secret string
	// Recovery codes, shown once after confirming.
	Recovery []string
	Error    string
}

// account serves GET /dashboard/account.
func (d *Dashboard) account(w http.ResponseWriter, r *http.Request, q *Request) error {
	on, left, err := d.svc.SecondFactorOn(q.Ctx)
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "account", accountData{On: on, RecoveryLeft: left})
	return nil
}

// enrollTOTP serves POST /dashboard/account/totp: a new secret to add to an
// authenticator app, unconfirmed until a code from it comes back.
func (d *Dashboard) enrollTOTP(w http.ResponseWriter, r *http.Request, q *Request) error {
	e, err := d.svc.EnrollTOTP(q.Ctx)
	if err != nil {
		return err
	}
	return d.showEnrolment(w, r, q, http.StatusOK, e.URL, e.Secret, "")
}

func (d *Dashboard) showEnrolment(w http.ResponseWriter, r *http.Request, q *Request, status int, url, secret, msg string) error {
	qr, _, err := qrsvg.SVG(url, translate(q.Lang, "totp.qr"))
	if err != nil {
		return pasarela.Internal(err)
	}
	d.render(w, r, q, status, "account", accountData{QR: qr, Secret: groupSecret(secret), Error: msg})
	return nil
}

// groupSecret writes a base32 secret in groups of four, as apps that take
// it typed show it.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// confirmTOTP serves POST /dashboard/account/totp/confirm with a code from
// the app; a wrong one shows the same enrolment again.
func (d *Dashboard) confirmTOTP(w http.ResponseWriter, r *http.Request, q *Request) error {
	codes, err := d.svc.ConfirmTOTP(q.Ctx, r.PostForm.Get("code"), transport.ClientIP(r.Context()), q.token)
	if k := pasarela.ErrorKind(err); err != nil && (k == pasarela.KindInvalid || k == pasarela.KindRateLimited) {
		e, err := d.svc.PendingTOTP(q.Ctx)
		if err != nil {
			return err
		}
		msg := translate(q.Lang, "code.bad")
		if k == pasarela.KindRateLimited {
			msg = translate(q.Lang, "signin.limited")
		}
		return d.showEnrolment(w, r, q, http.StatusBadRequest, e.URL, e.Secret, msg)
	}
	if err != nil {
		return err
	}
	d.render(w, r, q, http.StatusOK, "account", accountData{On: true, RecoveryLeft: len(codes), Recovery: codes})
	return nil
}

// disableTOTP serves POST /dashboard/account/totp/disable with a code.
func (d *Dashboard) disableTOTP(w http.ResponseWriter, r *http.Request, q *Request) error {
	err := d.svc.DisableTOTP(q.Ctx, r.PostForm.Get("code"), transport.ClientIP(r.Context()), q.token)
	if k := pasarela.ErrorKind(err); err != nil && (k == pasarela.KindInvalid || k == pasarela.KindRateLimited) {
		on, left, err2 := d.svc.SecondFactorOn(q.Ctx)
		if err2 != nil {
			return err2
		}
		msg := translate(q.Lang, "code.bad")
		if k == pasarela.KindRateLimited {
			msg = translate(q.Lang, "signin.limited")
		}
		d.render(w, r, q, http.StatusBadRequest, "account", accountData{On: on, RecoveryLeft: left, Error: msg})
		return nil
	}
	if err != nil {
		return err
	}
	return redirect(w, r, Prefix+"account")
}
