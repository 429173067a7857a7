package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// xpayUsers is the status of xpay's users/ with token.
func xpayUsers(t *testing.T, s *stack, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/xpay/api/v1/users/", nil)
	req.Header.Set("Authorization", "Token "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestTeamDisable: an admin disables a user, who is signed out of the
// dashboard and of xpay at once and can sign in nowhere, while the user
// stays listed; enabling it again lets it sign in with the same password.
// The client's last enabled admin can be neither disabled nor demoted (a
// disabled admin does not count), and a manager's forged POST is refused.
func TestTeamDisable(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		s := newStack(t, engine)
		ctx := context.Background()
		admin := s.A.AdminCtx(ctx)
		a := s.browser().mustSignIn(s.A.Admin.Email)
		token := a.token()
		viewerPath := "/dashboard/team/" + strconv.FormatInt(s.Viewer.ID, 10)

		v := s.browser().mustSignIn(s.Viewer.Email)
		wantStatus(t, "the viewer's session", v.get("/dashboard/"), http.StatusOK)
		xpayToken, status := xpayLogin(t, s, s.Viewer.Email)
		if status != http.StatusOK || xpayToken == "" {
			t.Fatalf("xpay login before: %d", status)
		}
		if got := xpayUsers(t, s, xpayToken); got != http.StatusOK {
			t.Fatalf("xpay users/ before: %d", got)
		}

		// A manager may not disable anyone, even with its own form token.
		m := s.browser().mustSignIn(s.Manager.Email)
		wantStatus(t, "a manager disables", m.post(viewerPath+"/disable", url.Values{"csrf": {m.token()}}), http.StatusForbidden)
		if u, err := s.Svc.GetUser(admin, s.A.Client.ID, s.Viewer.ID); err != nil || u.DisabledAt != nil {
			t.Fatalf("the viewer after the manager's POST: %+v %v", u, err)
		}

		if p := a.get(viewerPath); !strings.Contains(p.Body, `id="user-status">Enabled<`) || !strings.Contains(p.Body, `id="disable-user"`) {
			t.Fatalf("an enabled user's page:\n%s", p.Body)
		}
		p := a.post(viewerPath+"/disable", url.Values{"csrf": {token}})
		if p.Status != http.StatusSeeOther || p.Location != viewerPath+"?done=user.disabled" {
			t.Fatalf("disable: %d %q\n%s", p.Status, p.Location, p.Body)
		}
		page := a.get(p.Location)
		for _, want := range []string{`id="user-status">Disabled ·`, `id="enable-user"`, "sessions and tokens have ended"} {
			if !strings.Contains(page.Body, want) {
				t.Fatalf("a disabled user's page lacks %q:\n%s", want, page.Body)
			}
		}
		if strings.Contains(page.Body, `id="disable-user"`) {
			t.Error("a disabled user is offered to be disabled")
		}
		if list := a.get("/dashboard/team"); !strings.Contains(list.Body, s.Viewer.Email) || !strings.Contains(list.Body, ">Disabled<") {
			t.Errorf("the team list does not show the disabled user:\n%s", list.Body)
		}
		// Disabling twice changes nothing and is no error.
		wantStatus(t, "disable again", a.post(viewerPath+"/disable", url.Values{"csrf": {token}}), http.StatusSeeOther)

		// Its session and its xpay token ended at once; no face signs it in.
		if p := v.get("/dashboard/"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/dashboard/signin") {
			t.Fatalf("the disabled user's session: %d %q", p.Status, p.Location)
		}
		if got := xpayUsers(t, s, xpayToken); got != http.StatusUnauthorized {
			t.Fatalf("xpay users/ with the disabled user's token: %d, want 401", got)
		}
		wantStatus(t, "dashboard sign-in of a disabled user", s.browser().signIn(s.Viewer.Email, coretest.Password), http.StatusUnauthorized)
		if _, status := xpayLogin(t, s, s.Viewer.Email); status != http.StatusUnauthorized {
			t.Fatalf("xpay login of a disabled user: %d, want 401", status)
		}
		if _, err := s.Svc.CheckCredentials(ctx, s.Viewer.Username, coretest.Password, "192.0.2.7"); pasarela.ErrorKind(err) != pasarela.KindUnauthorized {
			t.Fatalf("CheckCredentials of a disabled user: %v", err)
		}
		// Tokens that carry the user in themselves (PayREST's access
		// tokens, Kashpay's JWTs) are checked by reading it again.
		if _, err := s.Svc.UserPrincipal(ctx, s.A.Client.ID, s.Viewer.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("UserPrincipal of a disabled user: %v", err)
		}
		if _, err := s.Svc.UserPrincipalByEmail(ctx, s.A.Client.Code, s.Viewer.Email); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("UserPrincipalByEmail of a disabled user: %v", err)
		}
		// A replace through the API (PayREST's PUT) has no such field and
		// leaves the user disabled.
		if _, err := s.Svc.UpdateUser(admin, s.A.Client.ID, s.Viewer.ID, core.UserInput{Username: pasarela.Set(s.Viewer.Username),
			Email: pasarela.Set(s.Viewer.Email), Roles: pasarela.Set([]pasarela.Role{pasarela.RoleViewer})}, true); err != nil {
			t.Fatal(err)
		}
		if u, err := s.Svc.GetUser(admin, s.A.Client.ID, s.Viewer.ID); err != nil || u.DisabledAt == nil {
			t.Fatalf("the viewer after a replace: %+v %v", u, err)
		}

		p = a.post(viewerPath+"/enable", url.Values{"csrf": {token}})
		if p.Status != http.StatusSeeOther || p.Location != viewerPath+"?done=user.enabled" {
			t.Fatalf("enable: %d %q\n%s", p.Status, p.Location, p.Body)
		}
		s.browser().mustSignIn(s.Viewer.Email)
		if _, err := s.Svc.UserPrincipal(ctx, s.A.Client.ID, s.Viewer.ID); err != nil {
			t.Fatalf("UserPrincipal after enabling: %v", err)
		}
		if _, status := xpayLogin(t, s, s.Viewer.Email); status != http.StatusOK {
			t.Fatalf("xpay login after enabling: %d", status)
		}

		// The last enabled admin: a second admin that is disabled does not
		// count, so the first can be neither disabled nor demoted.
		self := "/dashboard/team/" + strconv.FormatInt(s.A.Admin.ID, 10)
		if strings.Contains(a.get(self).Body, `id="disable-user"`) {
			t.Error("an admin is offered to disable itself")
		}
		second, err := s.Svc.CreateUser(admin, s.A.Client.ID, core.UserInput{Username: pasarela.Set("second-admin"),
			Email: pasarela.Set("second@azul.example"), Password: pasarela.Set(coretest.Password),
			Roles: pasarela.Set([]pasarela.Role{pasarela.RoleAdmin})})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, "disable the second admin", a.post("/dashboard/team/"+strconv.FormatInt(second.ID, 10)+"/disable",
			url.Values{"csrf": {token}}), http.StatusSeeOther)
		p = a.post(self+"/disable", url.Values{"csrf": {token}})
		wantStatus(t, "disable the last enabled admin", p, http.StatusBadRequest)
		if !strings.Contains(p.Body, "at least one enabled admin") {
			t.Fatalf("last admin refusal:\n%s", p.Body)
		}
		wantStatus(t, "demote the last enabled admin", a.post(self+"/roles", url.Values{"csrf": {token}, "role": {"viewer"}}),
			http.StatusBadRequest)
		if u, err := s.Svc.GetUser(admin, s.A.Client.ID, s.A.Admin.ID); err != nil || u.DisabledAt != nil || !slices.Contains(u.Roles, pasarela.RoleAdmin) {
			t.Fatalf("the last admin after the refusals: %+v %v", u, err)
		}
		wantStatus(t, "the last admin still signed in", a.get("/dashboard/team"), http.StatusOK)
	})
}
