package dashboard

import (
	"net/http"
	"net/url"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// The session's token travels in a cookie only the dashboard's paths see,
// that no script can read (HttpOnly), that another site's form cannot send
// (SameSite=Lax: a top-level link from elsewhere still opens the page
// signed in, a cross-site POST does not carry it) and, over HTTPS, that
// never travels in clear. The core keeps only its hash and decides when it
// ends; the cookie itself lives only as long as the browser does.
const sessionCookie = "pasarela_session"

func (d *Dashboard) setSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: transport.Secure(r.Context())})
}

func (d *Dashboard) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: transport.Secure(r.Context())})
}

// session returns the request's live session and its token, or nil.
func (d *Dashboard) session(r *http.Request) (*core.Session, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, ""
	}
	s, err := d.svc.ResumeSession(r.Context(), c.Value)
	if err != nil {
		if k := pasarela.ErrorKind(err); k != pasarela.KindUnauthorized && k != pasarela.KindCanceled {
			d.log.ErrorContext(r.Context(), "session lookup failed", "request_id", transport.RequestID(r.Context()), "err", err)
		}
		return nil, ""
	}
	return s, c.Value
}

// toSignIn sends the browser to the sign-in page (or, for a session that
// waits for its code, to the code page), to come back where it was.
func (d *Dashboard) toSignIn(w http.ResponseWriter, r *http.Request, pending bool) {
	target := Prefix + "signin"
	if pending {
		target = Prefix + "signin/code"
	}
	if r.Method == http.MethodGet && r.URL.Path != Prefix {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type signInData struct {
	Login, Next, Error string
	Form               string // the pre-session CSRF token
}

// showSignIn serves GET /dashboard/signin. A browser already signed in
// goes home.
func (d *Dashboard) showSignIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if s, _ := d.session(r); s != nil && !s.SecondFactorPending {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d.render(w, r, nil, http.StatusOK, "signin", signInData{Next: r.URL.Query().Get("next"), Form: signInForm.Token(w, r)})
}

// signIn serves POST /dashboard/signin: the core checks the password (and
// limits failures per login and per address); the answer is one message
// for every wrong credential.
func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := pageLang(r)
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !signInForm.Check(r) {
		d.message(w, r, nil, http.StatusForbidden, "csrf.title", "csrf.body")
		return
	}
	login, next := r.PostForm.Get("login"), r.PostForm.Get("next")
	again := func(status int, key string) {
		d.render(w, r, nil, status, "signin", signInData{Login: login, Next: next, Error: translate(lang, key),
			Form: signInForm.Token(w, r)})
	}
	start, err := d.svc.StartSession(r.Context(), login, r.PostForm.Get("password"), transport.ClientIP(r.Context()))
	if err != nil {
		switch pasarela.ErrorKind(err) {
		case pasarela.KindUnauthorized:
			again(http.StatusUnauthorized, "signin.bad")
		case pasarela.KindRateLimited:
			again(http.StatusTooManyRequests, "signin.limited")
		default:
			d.fail(w, r, &Request{Lang: lang}, err)
		}
		return
	}
	// A session this browser held before (another user's, or the same
	// user's) ends: one browser holds one session, and the cookie it
	// replaces must not stay a live credential somewhere.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := d.svc.EndSession(r.Context(), c.Value); err != nil {
			d.log.ErrorContext(r.Context(), "ending the replaced session failed", "request_id", transport.RequestID(r.Context()), "err", err)
		}
	}
	d.setSession(w, r, start.Token)
	if start.SecondFactor {
		http.Redirect(w, r, Prefix+"signin/code?next="+url.QueryEscape(localPath(next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

type codeData struct {
	Next, Error string
	CSRF        string
}

// pendingSession returns the session that waits for its second factor, or
// sends the browser to sign in.
func (d *Dashboard) pendingSession(w http.ResponseWriter, r *http.Request) (*core.Session, string, bool) {
	s, token := d.session(r)
	if s == nil {
		http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
		return nil, "", false
	}
	if !s.SecondFactorPending {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return nil, "", false
	}
	return s, token, true
}

// showCode serves GET /dashboard/signin/code, the second step of a
// sign-in with a second factor.
func (d *Dashboard) showCode(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	_, token, ok := d.pendingSession(w, r)
	if !ok {
		return
	}
	d.render(w, r, nil, http.StatusOK, "code", codeData{Next: r.URL.Query().Get("next"), CSRF: csrfFor(token)})
}

// enterCode serves POST /dashboard/signin/code: a good code (or recovery
// code) replaces the waiting session by a full one.
func (d *Dashboard) enterCode(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	lang := pageLang(r)
	_, token, ok := d.pendingSession(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !validCSRF(csrfFor(token), r.PostForm.Get(csrfField)) {
		d.message(w, r, nil, http.StatusForbidden, "csrf.title", "csrf.body")
		return
	}
	next := r.PostForm.Get("next")
	start, err := d.svc.CompleteSession(r.Context(), token, r.PostForm.Get("code"), transport.ClientIP(r.Context()))
	if err != nil {
		status, key := http.StatusBadRequest, "code.bad"
		switch pasarela.ErrorKind(err) {
		case pasarela.KindInvalid:
		case pasarela.KindRateLimited:
			status, key = http.StatusTooManyRequests, "signin.limited"
		case pasarela.KindUnauthorized:
			d.toSignIn(w, r, false)
			return
		default:
			d.fail(w, r, &Request{Lang: lang}, err)
			return
		}
		d.render(w, r, nil, status, "code", codeData{Next: next, Error: translate(lang, key), CSRF: csrfFor(token)})
		return
	}
	d.setSession(w, r, start.Token)
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

// cancelCode serves POST /dashboard/signin/code/cancel: a session that
// waits for its code is signed out (on a shared computer, or to sign in
// as someone else), as a full one is by signOut.
func (d *Dashboard) cancelCode(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	_, token, ok := d.pendingSession(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil || !sameOrigin(r) || !validCSRF(csrfFor(token), r.PostForm.Get(csrfField)) {
		d.message(w, r, nil, http.StatusForbidden, "csrf.title", "csrf.body")
		return
	}
	if err := d.svc.EndSession(r.Context(), token); err != nil {
		d.fail(w, r, &Request{Lang: pageLang(r)}, err)
		return
	}
	d.clearSession(w, r)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
}

// signOut serves POST /dashboard/signout.
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request, q *Request) error {
	if err := d.svc.EndSession(r.Context(), q.token); err != nil {
		return err
	}
	d.clearSession(w, r)
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
	return nil
}
