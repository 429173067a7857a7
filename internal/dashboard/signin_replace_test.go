package dashboard_test

import (
	"net/http"
	"net/url"
	"testing"

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
