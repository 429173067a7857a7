package core_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// wantField fails unless err is a validation error naming field with code.
func wantField(t *testing.T, what string, err error, field, code string) {
	t.Helper()
	e := pasarela.AsError(err)
	if err == nil || e.Kind != pasarela.KindInvalid {
		t.Errorf("%s: error %v, want invalid %s (%s)", what, err, field, code)
		return
	}
	for _, f := range e.Fields {
		if f.Field == field && f.Code == code {
			return
		}
	}
	t.Errorf("%s: fields %+v, want %s (%s)", what, e.Fields, field, code)
}

// notifyHooks returns the webhooks of A's application, as its admin lists them.
func (e *env) notifyHooks() []pasarela.Webhook {
	e.t.Helper()
	hooks, _, err := e.svc.ListWebhooks(e.admin(), e.appID(), pasarela.ListOptions{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return hooks
}

// mustGetApp reads A's application as its admin.
func (e *env) mustGetApp() *pasarela.Application {
	e.t.Helper()
	a, err := e.svc.GetApplication(e.admin(), e.appID())
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// TestApplicationSettings: an admin sets the page and access settings,
// canonicalised, reads them back, changes some while the others stay, and
// clears them all with a replace.
func TestApplicationSettings(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		a, err := e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{
			SuccessURL: pasarela.Set("https://shop.example/ok?order=1"),
			FailureURL: pasarela.Set("http://shop.example/ko"),
			Language:   pasarela.Set(" IT "),
			AllowedIPs: pasarela.Set([]string{"127.0.0.1", " 10.1.2.3/8 ", "::1", "::ffff:192.0.2.7", "2001:db8::1/32", "10.0.0.0/8"}),
			RequireKey: pasarela.Set(true),
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		wantPages := pasarela.PageSettings{SuccessURL: "https://shop.example/ok?order=1", FailureURL: "http://shop.example/ko", Language: "it"}
		wantAccess := pasarela.AccessSettings{RequireKey: true, AllowedIPs: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"),
			netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}}
		for what, got := range map[string]*pasarela.Application{"answer": a, "read back": e.mustGetApp()} {
			if got.Pages != wantPages || !slices.Equal(got.Access.AllowedIPs, wantAccess.AllowedIPs) || got.Access.RequireKey != true {
				t.Errorf("%s: pages %+v access %+v, want %+v %+v", what, got.Pages, got.Access, wantPages, wantAccess)
			}
		}
		if got := e.notifyHooks(); len(got) != 0 {
			t.Errorf("webhooks without a notification URL: %+v", got)
		}

		// A partial update changes what it names only.
		a, err = e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{Name: pasarela.Set("Renamed"),
			FailureURL: pasarela.Field[string]{Present: true}, RequireKey: pasarela.Set(false)}, false)
		if err != nil {
			t.Fatal(err)
		}
		wantPages.FailureURL = ""
		if a = e.mustGetApp(); a.Name != "Renamed" || a.Pages != wantPages || a.Access.RequireKey ||
			!slices.Equal(a.Access.AllowedIPs, wantAccess.AllowedIPs) {
			t.Errorf("after a partial update: %+v", a)
		}

		// A replace treats the absent settings as cleared.
		if _, err = e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{Name: pasarela.Set("Replaced")}, true); err != nil {
			t.Fatal(err)
		}
		if a = e.mustGetApp(); a.Pages != (pasarela.PageSettings{}) || a.Access.AllowedIPs != nil || a.Access.RequireKey {
			t.Errorf("after a replace: pages %+v access %+v, want none", a.Pages, a.Access)
		}
	})
}

// TestApplicationSettingsInvalid: each rule names its canonical field, and
// a refused update changes nothing.
func TestApplicationSettingsInvalid(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		many := make([]string, 101)
		for i := range many {
			many[i] = "10.0.0.1"
		}
		for _, tt := range []struct {
			what        string
			in          core.ApplicationInput
			field, code string
		}{
			{"a relative success URL", core.ApplicationInput{SuccessURL: pasarela.Set("/ok")}, "pages.success_url", "url"},
			{"an ftp failure URL", core.ApplicationInput{FailureURL: pasarela.Set("ftp://shop.example/ko")}, "pages.failure_url", "url"},
			{"a URL with a password", core.ApplicationInput{SuccessURL: pasarela.Set("https://u:p@shop.example/ok")}, "pages.success_url", "url"},
			{"a URL too long", core.ApplicationInput{SuccessURL: pasarela.Set("https://shop.example/" + strings.Repeat("a", 2000))}, "pages.success_url", "url"},
			{"a notification URL without its format", core.ApplicationInput{NotifyURL: pasarela.Set("https://shop.example/s2s")}, "notify_format", "required"},
			{"an unknown format", core.ApplicationInput{NotifyURL: pasarela.Set("https://shop.example/s2s"), NotifyFormat: "soap"}, "notify_format", "enum"},
			{"a private notification URL", core.ApplicationInput{NotifyURL: pasarela.Set("http://127.0.0.1/s2s"), NotifyFormat: pasarela.FormatGestpay}, "pages.notify_url", "url"},
			{"a notification URL with a password", core.ApplicationInput{NotifyURL: pasarela.Set("https://u:p@shop.example/s2s"), NotifyFormat: pasarela.FormatGestpay}, "pages.notify_url", "url"},
			{"an unknown language", core.ApplicationInput{Language: pasarela.Set("xx")}, "pages.language", "language"},
			{"not an address", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"127.0.0.1", "shop.example"})}, "access.allowed_ips[1]", "ip"},
			{"a prefix too long", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"10.0.0.0/33"})}, "access.allowed_ips[0]", "ip"},
			{"an address with a zone", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"fe80::1%eth0"})}, "access.allowed_ips[0]", "ip"},
			{"an empty entry", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{""})}, "access.allowed_ips[0]", "ip"},
			{"the whole internet", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"0.0.0.0/0"})}, "access.allowed_ips[0]", "prefix_too_broad"},
			{"a public /8", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"10.0.0.0/8", "203.0.0.0/8"})}, "access.allowed_ips[1]", "prefix_too_broad"},
			{"all of IPv6", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"::/0"})}, "access.allowed_ips[0]", "prefix_too_broad"},
			{"a private range wider than its network", core.ApplicationInput{AllowedIPs: pasarela.Set([]string{"10.0.0.0/7"})}, "access.allowed_ips[0]", "prefix_too_broad"},
			{"a URL with a fragment", core.ApplicationInput{NotifyURL: pasarela.Set("https://shop.example/s2s#x"), NotifyFormat: pasarela.FormatGestpay}, "pages.notify_url", "url"},
			{"too many entries", core.ApplicationInput{AllowedIPs: pasarela.Set(many)}, "access.allowed_ips", "too_many"},
		} {
			_, err := e.svc.UpdateApplication(e.admin(), e.appID(), tt.in, false)
			wantField(t, tt.what, err, tt.field, tt.code)
			_, err = e.svc.CreateApplication(e.admin(), core.ApplicationInput{Name: pasarela.Set("new"), SuccessURL: tt.in.SuccessURL,
				FailureURL: tt.in.FailureURL, NotifyURL: tt.in.NotifyURL, NotifyFormat: tt.in.NotifyFormat, Language: tt.in.Language,
				AllowedIPs: tt.in.AllowedIPs})
			wantField(t, tt.what+" (create)", err, tt.field, tt.code)
		}
		if a := e.mustGetApp(); a.Pages != (pasarela.PageSettings{}) || a.Access.AllowedIPs != nil {
			t.Errorf("refused updates changed the settings: %+v %+v", a.Pages, a.Access)
		}
		if got := e.notifyHooks(); len(got) != 0 {
			t.Errorf("refused updates left webhooks: %+v", got)
		}
		// The webhook API keeps refusing GET for the endpoints merchants make.
		_, _, err := e.svc.CreateWebhook(e.admin(), e.appID(), core.WebhookInput{Method: "GET", Targets: []string{"https://shop.example/h"},
			Entity: pasarela.EntityPayment, Format: pasarela.FormatPayREST}, nil)
		wantField(t, "a GET webhook", err, "method", "enum")
	})
}

// TestApplicationNotifyWebhook: the notification URL is an endpoint of the
// application the core keeps: created with it, pointed at the new URL when
// it changes, made again if it was deleted, deleted when it is cleared.
func TestApplicationNotifyWebhook(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		wantHook := func(what, target, format string) int64 {
			t.Helper()
			hooks := e.notifyHooks()
			if len(hooks) != 1 {
				t.Fatalf("%s: %d webhooks, want 1: %+v", what, len(hooks), hooks)
			}
			h := hooks[0]
			if h.Method != "GET" || !slices.Equal(h.Targets, []string{target}) || h.Entity != pasarela.EntityPayment ||
				h.Format != format || h.Disabled ||
				!slices.Equal(h.Events, []string{"payment.completed", "payment.authorized", "payment.failed", "payment.expired"}) {
				t.Errorf("%s: webhook %+v, want GET %s in format %s", what, h, target, format)
			}
			if a := e.mustGetApp(); a.Pages.NotifyWebhook != h.ID || a.Pages.NotifyURL != target {
				t.Errorf("%s: settings %+v, want the webhook %d", what, a.Pages, h.ID)
			}
			return h.ID
		}
		set := func(url string) {
			t.Helper()
			if _, err := e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{
				NotifyURL: pasarela.Set(url), NotifyFormat: pasarela.FormatGestpay}, false); err != nil {
				t.Fatal(err)
			}
		}

		set("https://shop.example/s2s")
		id := wantHook("set", "https://shop.example/s2s", pasarela.FormatGestpay)
		set("https://shop.example/s2s/v2")
		if wantHook("changed", "https://shop.example/s2s/v2", pasarela.FormatGestpay) != id {
			t.Error("changing the URL made another endpoint")
		}
		// Another setting leaves the endpoint as it is.
		if _, err := e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{Language: pasarela.Set("es")}, false); err != nil {
			t.Fatal(err)
		}
		wantHook("another setting changed", "https://shop.example/s2s/v2", pasarela.FormatGestpay)

		// Deleted through the webhook API, it is made again.
		if err := e.svc.DeleteWebhook(e.admin(), e.appID(), id); err != nil {
			t.Fatal(err)
		}
		set("https://shop.example/s2s/v3")
		if again := wantHook("made again", "https://shop.example/s2s/v3", pasarela.FormatGestpay); again == id {
			t.Error("the deleted endpoint's id came back")
		}

		// Cleared, it is gone.
		if _, err := e.svc.UpdateApplication(e.admin(), e.appID(), core.ApplicationInput{NotifyURL: pasarela.Set("")}, false); err != nil {
			t.Fatal(err)
		}
		if hooks := e.notifyHooks(); len(hooks) != 0 {
			t.Errorf("after clearing: %+v", hooks)
		}
		if a := e.mustGetApp(); a.Pages.NotifyURL != "" || a.Pages.NotifyWebhook != 0 {
			t.Errorf("after clearing: %+v", a.Pages)
		}

		// Created with the application, in its transaction.
		n, err := e.svc.CreateApplication(e.admin(), core.ApplicationInput{Name: pasarela.Set("Shop two"),
			NotifyURL: pasarela.Set("https://two.example/s2s"), NotifyFormat: pasarela.FormatPayREST})
		if err != nil {
			t.Fatal(err)
		}
		hooks, _, err := e.svc.ListWebhooks(e.admin(), n.ID, pasarela.ListOptions{Limit: 10})
		if err != nil || len(hooks) != 1 || hooks[0].ID != n.Pages.NotifyWebhook || hooks[0].Format != pasarela.FormatPayREST ||
			hooks[0].Method != "GET" || hooks[0].Targets[0] != "https://two.example/s2s" {
			t.Errorf("created with the application: %+v (%v), settings %+v", hooks, err, n.Pages)
		}
	})
}

// TestApplicationSettingsTenancy: another client's admin can neither read
// nor set an application's settings, nor can its key or a non-admin; the
// operator's update finds the application's client, and refuses a wrong one.
func TestApplicationSettingsTenancy(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		set := core.ApplicationInput{SuccessURL: pasarela.Set("https://evil.example/"), AllowedIPs: pasarela.Set([]string{"0.0.0.0/0"}),
			NotifyURL: pasarela.Set("https://evil.example/s2s"), NotifyFormat: pasarela.FormatGestpay}
		_, err := e.svc.UpdateApplication(e.B.AdminCtx(e.ctx), e.appID(), set, false)
		wantErr(t, "B's admin sets A's settings", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.GetApplication(e.B.AdminCtx(e.ctx), e.appID())
		wantErr(t, "B's admin reads A's settings", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.UpdateApplication(e.B.AppCtx(e.ctx), e.appID(), set, false)
		wantErr(t, "B's key sets A's settings", err, pasarela.KindNotFound, "not_found")
		if _, err = e.svc.UpdateApplication(e.app(), e.appID(), set, false); pasarela.ErrorKind(err) != pasarela.KindForbidden &&
			pasarela.ErrorKind(err) != pasarela.KindUnauthorized {
			t.Errorf("A's own key sets its settings: %v, want a refusal", err)
		}
		_, err = e.svc.OperatorUpdateApplication(e.ctx, e.B.Client.ID, e.appID(), set)
		wantErr(t, "the operator names the wrong client", err, pasarela.KindNotFound, "not_found")
		if a := e.mustGetApp(); a.Pages != (pasarela.PageSettings{}) || a.Access.AllowedIPs != nil {
			t.Errorf("refused writes changed A's settings: %+v %+v", a.Pages, a.Access)
		}
		if hooks := e.notifyHooks(); len(hooks) != 0 {
			t.Errorf("refused writes made webhooks: %+v", hooks)
		}

		a, err := e.svc.OperatorUpdateApplication(e.ctx, "", e.appID(), core.ApplicationInput{
			AllowedIPs: pasarela.Set([]string{"192.0.2.0/24"}), NotifyURL: pasarela.Set("https://shop.example/s2s"),
			NotifyFormat: pasarela.FormatGestpay})
		if err != nil || a.ClientID != e.A.Client.ID || len(a.Access.AllowedIPs) != 1 {
			t.Fatalf("operator update: %+v %v", a, err)
		}
		if hooks := e.notifyHooks(); len(hooks) != 1 || hooks[0].ClientID != e.A.Client.ID {
			t.Errorf("operator update's webhook: %+v", hooks)
		}
		_, err = e.svc.OperatorUpdateApplication(e.ctx, "", e.appID()+1000, set)
		wantErr(t, "the operator names no application", err, pasarela.KindNotFound, "not_found")
		// B's own settings are untouched by A's.
		b, err := e.svc.GetApplication(e.B.AdminCtx(e.ctx), e.B.App.ID)
		if err != nil || b.Pages != (pasarela.PageSettings{}) || b.Access.AllowedIPs != nil {
			t.Errorf("B's application: %+v %v", b, err)
		}
	})
}
