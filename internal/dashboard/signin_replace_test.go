package dashboard_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestSignInEndsPreviousSession: signing in from a browser that holds a
// session (a sign-in form left open in another tab) ends that session: its
// token no longer opens a page.
func TestSignInEndsPreviousSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	b := s.browser()
	// The sign-in page open in two tabs: the manager signs in from one,
	// then the viewer from the other.
	form := b.get("/dashboard/signin").csrf(t)
	if p := b.post("/dashboard/signin", url.Values{"csrf": {form}, "login": {s.Manager.Email}, "password": {coretest.Password}}); p.Status != http.StatusSeeOther {
		t.Fatalf("first sign-in: %d", p.Status)
	}
	base, _ := url.Parse(s.URL + "/dashboard/")
	old := ""
	for _, c := range b.http.Jar.Cookies(base) {
		if c.Name == "pasarela_session" {
			old = c.Value
		}
	}
	if old == "" {
		t.Fatal("no session cookie after signing in")
	}
	if p := b.post("/dashboard/signin", url.Values{"csrf": {form}, "login": {s.Viewer.Email}, "password": {coretest.Password}}); p.Status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d\n%s", p.Status, p.Body)
	}
	wantStatus(t, "the new session", b.get("/dashboard/"), http.StatusOK)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/dashboard/", nil)
	req.AddCookie(&http.Cookie{Name: "pasarela_session", Value: old})
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard/signin" {
		t.Fatalf("the replaced session still opens the dashboard: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestPendingSessionSignsOut: a session that waits for its code can be
// signed out from the code page; its token then opens nothing, the code
// page included.
func TestPendingSessionSignsOut(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	coretest.MustTOTP(t, s.Svc, s.Manager, s.Clock.Now())
	b := s.browser()
	if p := b.signIn(s.Manager.Email, coretest.Password); !strings.HasPrefix(p.Location, "/dashboard/signin/code") {
		t.Fatalf("after the password: %d %q", p.Status, p.Location)
	}
	page := b.get("/dashboard/signin/code")
	if !strings.Contains(page.Body, `action="/dashboard/signin/code/cancel"`) {
		t.Fatalf("the code page offers no way out:\n%s", page.Body)
	}
	p := b.post("/dashboard/signin/code/cancel", url.Values{"csrf": {page.csrf(t)}})
	if p.Status != http.StatusSeeOther || p.Location != "/dashboard/signin" {
		t.Fatalf("cancel: %d %q", p.Status, p.Location)
	}
	if p := b.get("/dashboard/signin/code"); p.Status != http.StatusSeeOther || p.Location != "/dashboard/signin" {
		t.Fatalf("the code page after signing out: %d %q", p.Status, p.Location)
	}
	// A forged cancel (no form token) ends nothing.
	b2 := s.browser()
	b2.signIn(s.Manager.Email, coretest.Password)
	wantStatus(t, "a forged cancel", b2.post("/dashboard/signin/code/cancel", url.Values{}), http.StatusForbidden)
	wantStatus(t, "the code page after a forged cancel", b2.get("/dashboard/signin/code"), http.StatusOK)
}

// TestTeamResetSecondFactor: an admin removes the second factor of a user
// who lost it; the user's sessions end and the password alone signs in.
func TestTeamResetSecondFactor(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	secret := coretest.MustTOTP(t, s.Svc, s.Manager, s.Clock.Now())
	s.Clock.Advance(30 * time.Second)
	m := s.browser()
	m.signIn(s.Manager.Email, coretest.Password)
	code := m.get("/dashboard/signin/code")
	if p := m.post("/dashboard/signin/code", url.Values{"csrf": {code.csrf(t)}, "code": {s.totpCode(secret)}}); p.Status != http.StatusSeeOther {
		t.Fatalf("the manager's code: %d", p.Status)
	}
	wantStatus(t, "the manager's home", m.get("/dashboard/"), http.StatusOK)

	a := s.browser().mustSignIn(s.A.Admin.Email)
	path := "/dashboard/team/" + strconv.FormatInt(s.Manager.ID, 10)
	page := a.get(path)
	if !strings.Contains(page.Body, `action="`+path+`/totp/reset"`) {
		t.Fatalf("no reset of the second factor offered:\n%s", page.Body)
	}
	p := a.post(path+"/totp/reset", url.Values{"csrf": {page.csrf(t)}})
	if p.Status != http.StatusSeeOther || p.Location != path+"?done=totp.reset" {
		t.Fatalf("reset: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	if page := a.get(p.Location); strings.Contains(page.Body, "/totp/reset") || !strings.Contains(page.Body, "two-step sign-in is removed") {
		t.Fatalf("the user's page after the reset:\n%s", page.Body)
	}
	wantStatus(t, "the manager's old session", m.get("/dashboard/"), http.StatusSeeOther)
	s.browser().mustSignIn(s.Manager.Email)
	// Again: nothing to reset, said so.
	p = a.post(path+"/totp/reset", url.Values{"csrf": {page.csrf(t)}})
	wantStatus(t, "a second reset", p, http.StatusBadRequest)
}
