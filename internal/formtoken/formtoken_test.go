package formtoken

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestWellFormed(t *testing.T) {
	if WellFormed("") || WellFormed("short") || WellFormed(strings.Repeat("A", 44)) {
		t.Fatal("accepted a malformed value")
	}
	if !WellFormed(strings.Repeat("A", 43)) {
		t.Fatal("refused a well-formed value")
	}
}

// TestDoubleSubmit: the cookie set with the page and the same value in the
// form pass; a missing or different field, a missing cookie, and a request
// the browser calls cross-site do not.
func TestDoubleSubmit(t *testing.T) {
	d := DoubleSubmit{Cookie: "c", Path: "/p/", Field: "f"}
	w := httptest.NewRecorder()
	token := d.Token(w, httptest.NewRequest(http.MethodGet, "/p/x", nil))
	cookie := w.Result().Cookies()[0]
	if cookie.Name != "c" || cookie.Path != "/p/" || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Value != token {
		t.Fatalf("cookie %+v", cookie)
	}
	post := func(field string, withCookie bool, site string) bool {
		r := httptest.NewRequest(http.MethodPost, "/p/x", strings.NewReader(url.Values{"f": {field}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if withCookie {
			r.AddCookie(cookie)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		_ = r.ParseForm()
		return d.Check(r)
	}
	if !post(token, true, "same-origin") {
		t.Fatal("the matching pair was refused")
	}
	for name, ok := range map[string]bool{
		"no field":    post("", true, ""),
		"other value": post(strings.Repeat("B", 43), true, ""),
		"no cookie":   post(token, false, ""),
		"cross-site":  post(token, true, "cross-site"),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// A browser that has the cookie keeps it.
	r := httptest.NewRequest(http.MethodGet, "/p/x", nil)
	r.AddCookie(cookie)
	w = httptest.NewRecorder()
	if d.Token(w, r) != token || len(w.Result().Cookies()) != 0 {
		t.Fatal("a second page changed the token")
	}
}
