package dashboard_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/transport"
)

// TestSignIn: a wrong password is refused with one message, the right one
// opens the dashboard with a session cookie as the brief of a session
// cookie says, a page asked for before signing in is where the sign-in
// leads, and sign-out ends the session on the server.
func TestSignIn(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := newStack(t, engine)
		b := s.browser()
		// Signed out, a page leads to the sign-in, remembering the page.
		p := b.get("/dashboard/account")
		wantStatus(t, "signed out", p, http.StatusSeeOther)
		if p.Location != "/dashboard/signin?next=%2Fdashboard%2Faccount" {
			t.Fatalf("signed out: location %q", p.Location)
		}
		p = b.signIn(s.Viewer.Email, coretest.Password+"x")
		wantStatus(t, "wrong password", p, http.StatusUnauthorized)
		if !strings.Contains(p.Body, "Wrong email, user name or password.") || !strings.Contains(p.Body, `value="`+s.Viewer.Email+`"`) {
			t.Fatalf("wrong password page:\n%s", p.Body)
		}
		p = b.signIn(s.Viewer.Username, coretest.Password)
		wantStatus(t, "right password", p, http.StatusSeeOther)
		var cookie string
		for _, c := range p.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "pasarela_session=") {
				cookie = c
			}
		}
		if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") ||
			!strings.Contains(cookie, "Path=/dashboard/") || strings.Contains(cookie, "Secure") {
			t.Fatalf("session cookie over plain HTTP: %q", cookie)
		}
		home := b.get("/dashboard/")
		wantStatus(t, "home", home, http.StatusOK)
		if !strings.Contains(home.Body, s.Viewer.Email) {
			t.Fatalf("home does not name the user:\n%s", home.Body)
		}
		for name, want := range map[string]string{
			"Cache-Control":           "no-store",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
		} {
			if !strings.Contains(home.Header.Get(name), want) {
				t.Errorf("%s: %q, want %q", name, home.Header.Get(name), want)
			}
		}
		if strings.Contains(home.Header.Get("Content-Security-Policy"), "unsafe-inline") || strings.Contains(home.Body, "<script>") {
			t.Error("inline script allowed or present")
		}
		// The viewer's nav has no admin sections.
		if strings.Contains(home.Body, "/dashboard/team") || strings.Contains(home.Body, "/dashboard/developers") {
			t.Error("a viewer's nav shows admin sections")
		}

		// After signing in from a page, the browser goes back to it.
		b2 := s.browser()
		b2.get("/dashboard/account")
		form := b2.get("/dashboard/signin?next=%2Fdashboard%2Faccount")
		p = b2.post("/dashboard/signin", url.Values{"csrf": {form.csrf(t)}, "login": {s.Manager.Email},
			"password": {coretest.Password}, "next": {"/dashboard/account"}})
		if p.Location != "/dashboard/account" {
			t.Fatalf("back to the page: %q", p.Location)
		}
		// A next that leaves the dashboard is ignored.
		p = s.browser().signIn(s.Manager.Email, coretest.Password)
		form = b2.get("/dashboard/signin")
		if p.Location != "/dashboard/" {
			t.Fatalf("plain sign-in: %q", p.Location)
		}

		// Sign-out ends the session: the old cookie no longer works.
		old := b.http.Jar.Cookies(mustURL(s.URL + "/dashboard/"))
		p = b.post("/dashboard/signout", url.Values{"csrf": {b.token()}})
		wantStatus(t, "sign out", p, http.StatusSeeOther)
		replay := s.browser()
		replay.http.Jar.SetCookies(mustURL(s.URL+"/dashboard/"), old)
		wantStatus(t, "old cookie after sign-out", replay.get("/dashboard/"), http.StatusSeeOther)
	})
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

// TestSignInLimited: past five failures of a login even the right password
// gets "too many attempts" (the core's limiter, shared with every face);
// after the allowance refills the user signs in.
func TestSignInLimited(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	b := s.browser()
	for i := range 5 {
		wantStatus(t, "failure "+string(rune('1'+i)), b.signIn(s.Manager.Email, "wrong-password"), http.StatusUnauthorized)
	}
	p := b.signIn(s.Manager.Email, coretest.Password)
	wantStatus(t, "past the limit", p, http.StatusTooManyRequests)
	if !strings.Contains(p.Body, "Too many failed attempts") {
		t.Fatalf("limited page:\n%s", p.Body)
	}
	s.Clock.Advance(time.Minute)
	wantStatus(t, "after the refill", b.signIn(s.Manager.Email, coretest.Password), http.StatusSeeOther)
}

// TestCSRF: a POST without the form token, with another session's token,
// or from another origin is refused and changes nothing; the sign-in form
// needs its own token too.
func TestCSRF(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	b := s.browser().mustSignIn(s.A.Admin.Email)
	other := s.browser().mustSignIn(s.Manager.Email)
	for _, tc := range []struct {
		name    string
		form    url.Values
		headers []string
	}{
		{"no token", url.Values{}, nil},
		{"another session's token", url.Values{"csrf": {other.token()}}, nil},
		{"another origin", url.Values{"csrf": {b.token()}}, []string{"Origin", "https://evil.example"}},
		{"cross-site fetch", url.Values{"csrf": {b.token()}}, []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		p := b.post("/dashboard/account/totp", tc.form, tc.headers...)
		wantStatus(t, tc.name, p, http.StatusForbidden)
		if !strings.Contains(p.Body, "This form has expired") {
			t.Fatalf("%s: page\n%s", tc.name, p.Body)
		}
	}
	if on, err := s.DB.Raw.Query(`SELECT 1 FROM user_totp`); err != nil {
		t.Fatal(err)
	} else {
		if on.Next() {
			t.Fatal("a refused POST enrolled a second factor")
		}
		on.Close()
	}
	// The same form with the token and the gateway's origin passes.
	p := b.post("/dashboard/account/totp", url.Values{"csrf": {b.token()}}, "Origin", s.URL)
	wantStatus(t, "with the token", p, http.StatusOK)
	// Sign-in without its form token.
	p = s.browser().post("/dashboard/signin", url.Values{"login": {s.Manager.Email}, "password": {coretest.Password}})
	wantStatus(t, "sign-in without a token", p, http.StatusForbidden)
}

var secretRE = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)

// TestSecondFactor: a user enrols an authenticator (QR code and key shown),
// confirms it with a code and gets ten recovery codes; signing in then asks
// for a code, accepts the app's code and, once, a recovery code; the
// account page turns it off with a code. xpay's users/ tells the truth.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	xkey, _ := xpayLogin(t, s, s.Manager.Email) // a key from before the second factor
	b := s.browser().mustSignIn(s.Manager.Email)
	p := b.post("/dashboard/account/totp", url.Values{"csrf": {b.token()}})
	wantStatus(t, "enrol", p, http.StatusOK)
	m := secretRE.FindStringSubmatch(p.Body)
	if m == nil || !strings.Contains(p.Body, "<svg") {
		t.Fatalf("enrolment page lacks the key or the QR code:\n%s", p.Body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	p = b.post("/dashboard/account/totp/confirm", url.Values{"csrf": {b.token()}, "code": {"000000"}})
	wantStatus(t, "wrong code", p, http.StatusBadRequest)
	if !strings.Contains(p.Body, "That code is not valid") || !strings.Contains(p.Body, "<svg") {
		t.Fatalf("wrong code page:\n%s", p.Body)
	}
	p = b.post("/dashboard/account/totp/confirm", url.Values{"csrf": {b.token()}, "code": {s.totpCode(secret)}})
	wantStatus(t, "confirm", p, http.StatusOK)
	codes := regexp.MustCompile(`<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code></li>`).FindAllStringSubmatch(p.Body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10:\n%s", len(codes), p.Body)
	}
	if strings.Contains(b.get("/dashboard/account").Body, codes[0][1]) {
		t.Fatal("recovery codes shown a second time")
	}

	// Sign-in now asks for the code; the pending session opens nothing else.
	c := s.browser()
	p = c.signIn(s.Manager.Email, coretest.Password)
	if p.Location != "/dashboard/signin/code?next=%2Fdashboard%2F" {
		t.Fatalf("after the password: %d %q", p.Status, p.Location)
	}
	if p := c.get("/dashboard/"); p.Location != "/dashboard/signin/code" {
		t.Fatalf("a page before the code: %d %q", p.Status, p.Location)
	}
	form := c.get("/dashboard/signin/code")
	wantStatus(t, "code page", form, http.StatusOK)
	p = c.post("/dashboard/signin/code", url.Values{"csrf": {form.csrf(t)}, "code": {"123456"}})
	wantStatus(t, "wrong code at sign-in", p, http.StatusBadRequest)
	s.Clock.Advance(30 * time.Second) // the confirmation used this step's code
	p = c.post("/dashboard/signin/code", url.Values{"csrf": {form.csrf(t)}, "code": {s.totpCode(secret)}, "next": {"/dashboard/"}})
	if p.Status != http.StatusSeeOther || p.Location != "/dashboard/" {
		t.Fatalf("code at sign-in: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	wantStatus(t, "home after the code", c.get("/dashboard/"), http.StatusOK)

	// A recovery code signs in once.
	for i, want := range []int{http.StatusSeeOther, http.StatusBadRequest} {
		r := s.browser()
		r.signIn(s.Manager.Email, coretest.Password)
		form := r.get("/dashboard/signin/code")
		p := r.post("/dashboard/signin/code", url.Values{"csrf": {form.csrf(t)}, "code": {strings.ToUpper(codes[3][1])}})
		wantStatus(t, "recovery code, use "+string(rune('1'+i)), p, want)
	}

	// xpay's users/ says twofa is on; a new xpay key needs more than the
	// password now.
	if !xpayTwoFA(t, s, xkey) {
		t.Fatal("xpay users/ says twofa is off")
	}
	if _, status := xpayLogin(t, s, s.Manager.Email); status != http.StatusUnauthorized {
		t.Fatalf("xpay login with the password alone: %d", status)
	}
	// Turning it off takes a code.
	s.Clock.Advance(30 * time.Second)
	p = c.post("/dashboard/account/totp/disable", url.Values{"csrf": {c.token()}, "code": {"99"}})
	wantStatus(t, "disable with a wrong code", p, http.StatusBadRequest)
	p = c.post("/dashboard/account/totp/disable", url.Values{"csrf": {c.token()}, "code": {s.totpCode(secret)}})
	wantStatus(t, "disable", p, http.StatusSeeOther)
	if !strings.Contains(c.get("/dashboard/account").Body, `id="totp-enrol"`) {
		t.Fatal("still on after disabling")
	}
	if key, _ := xpayLogin(t, s, s.Manager.Email); key == "" || xpayTwoFA(t, s, key) {
		t.Fatal("xpay users/ says twofa is on after disabling")
	}
}

// xpayLogin signs in to xpay as login and returns the key (empty when
// refused) and the status.
func xpayLogin(t *testing.T, s *stack, login string) (string, int) {
	t.Helper()
	res, err := http.Post(s.URL+"/xpay/api/v1/auth/login/", "application/json",
		strings.NewReader(`{"email":"`+login+`","password":"`+coretest.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var key struct{ Key string }
	_ = json.NewDecoder(res.Body).Decode(&key)
	return key.Key, res.StatusCode
}

// xpayTwoFA returns xpay users/'s twofa for the key's user.
func xpayTwoFA(t *testing.T, s *stack, key string) bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/xpay/api/v1/users/", nil)
	req.Header.Set("Authorization", "Token "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var me struct {
		UserInfo struct {
			TwoFA *bool `json:"twofa"`
		} `json:"user_info"`
	}
	if err := json.NewDecoder(res.Body).Decode(&me); err != nil || me.UserInfo.TwoFA == nil {
		t.Fatalf("xpay users/: %d %v", res.StatusCode, err)
	}
	return *me.UserInfo.TwoFA
}

// TestLanguage: the browser's Accept-Language picks the language, the
// switch overrides it (and leads back to the page), and amounts and dates
// follow it.
func TestLanguage(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	paid := s.mustPaid(core.PaymentInput{Amount: 123450}, cardVisa)
	b := s.browser().mustSignIn(s.Manager.Email)
	path := "/dashboard/payments/" + strconv.FormatInt(paid.ID, 10)
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")
	p := b.do(req)
	if !strings.Contains(p.Body, `<html lang="es">`) || !strings.Contains(p.Body, "1.234,50\u00a0EUR") ||
		!strings.Contains(p.Body, "Reembolsar") {
		t.Fatalf("Spanish page:\n%s", p.Body)
	}
	p = b.get("/dashboard/lang/it?next=" + url.QueryEscape(path))
	if p.Status != http.StatusSeeOther || p.Location != path {
		t.Fatalf("switch: %d %q", p.Status, p.Location)
	}
	p = b.do(req) // the chosen language wins over the browser's
	if !strings.Contains(p.Body, `<html lang="it">`) || !strings.Contains(p.Body, "1.234,50\u00a0EUR") ||
		!strings.Contains(p.Body, "Rimborsa") || !regexp.MustCompile(`\d+ (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) \d{4}`).MatchString(p.Body) {
		t.Fatalf("Italian page:\n%s", p.Body)
	}
	if p := b.get("/dashboard/lang/xx"); p.Status != http.StatusNotFound {
		t.Fatalf("unknown language: %d", p.Status)
	}
	if p := b.get("/dashboard/lang/es?next=https://evil.example/"); p.Location != "/dashboard/" {
		t.Fatalf("switch to another site: %q", p.Location)
	}
}

// TestSecureCookie: behind a trusted proxy that says the request came over
// HTTPS, the session and form cookies are Secure and pages send HSTS; a
// form whose Origin is the plain-HTTP address is refused there.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	proxies, err := transport.ParseProxies("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	h := server.New(server.Config{TrustedProxies: proxies}, s.Svc, slog.New(slog.NewTextHandler(io.Discard, nil)), server.NewMetrics())
	send := func(method, path string, form url.Values, cookies []*http.Cookie, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "http://pay.example"+path, strings.NewReader(form.Encode()))
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("X-Forwarded-Proto", "https")
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	form := send(http.MethodGet, "/dashboard/signin", nil, nil, "")
	if form.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over HTTPS")
	}
	cookies := form.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].Secure {
		t.Fatalf("form cookie over HTTPS: %+v", cookies)
	}
	token := csrfRE.FindStringSubmatch(form.Body.String())[1]
	in := url.Values{"csrf": {token}, "login": {s.Manager.Email}, "password": {coretest.Password}}
	if w := send(http.MethodPost, "/dashboard/signin", in, cookies, "http://pay.example"); w.Code != http.StatusForbidden {
		t.Fatalf("a form from the plain-HTTP origin: %d", w.Code)
	}
	w := send(http.MethodPost, "/dashboard/signin", in, cookies, "https://pay.example")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in over HTTPS: %d\n%s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == "pasarela_session" && (!c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("session cookie over HTTPS: %+v", c)
		}
	}
}
