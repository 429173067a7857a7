package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store"
)

// TestShopSettingsKeepNotifyWebhook: saving the shop settings with the
// notification URL unchanged leaves its endpoint as it was (a PayREST
// format set through the API, disabled after a 410); a new URL moves the
// same endpoint, in its format.
func TestShopSettingsKeepNotifyWebhook(t *testing.T) {
	t.Parallel()
	s := newStack(t, "sqlite")
	ctx := context.Background()
	admin := s.A.AdminCtx(ctx)
	app := s.A.App.ID
	a, err := s.Svc.UpdateApplication(admin, app, core.ApplicationInput{NotifyURL: pasarela.Set("https://shop.example/s2s"),
		NotifyFormat: pasarela.FormatPayREST}, false)
	if err != nil {
		t.Fatal(err)
	}
	hookID := a.Pages.NotifyWebhook
	if err := s.DB.Update(ctx, func(tx *store.Tx) error {
		return tx.DisableWebhook(ctx, a.ClientID, hookID, "gone", s.Clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	b := s.browser().mustSignIn(s.A.Admin.Email)
	path := "/dashboard/developers/" + strconv.FormatInt(app, 10)
	save := func(notify string) {
		t.Helper()
		p := b.post(path+"/settings", url.Values{"csrf": {b.get(path).csrf(t)}, "success_url": {"https://shop.example/ok"},
			"notify_url": {notify}, "language": {"es"}})
		wantStatus(t, "save the settings", p, http.StatusSeeOther)
	}
	hook := func() *pasarela.Webhook {
		t.Helper()
		a, err := s.Svc.GetApplication(admin, app)
		if err != nil || a.Pages.NotifyWebhook != hookID {
			t.Fatalf("the notification endpoint changed: %+v %v", a, err)
		}
		h, err := s.Svc.GetWebhook(admin, app, hookID)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	save("https://shop.example/s2s")
	if h := hook(); h.Format != pasarela.FormatPayREST || !h.Disabled || h.Targets[0] != "https://shop.example/s2s" {
		t.Fatalf("the unchanged URL rewrote its endpoint: %+v", h)
	}
	if a, _ := s.Svc.GetApplication(admin, app); a.Pages.SuccessURL != "https://shop.example/ok" || a.Pages.Language != "es" {
		t.Fatalf("the other settings were not saved: %+v", a.Pages)
	}
	save("https://shop.example/s2s-new")
	if h := hook(); h.Format != pasarela.FormatPayREST || h.Targets[0] != "https://shop.example/s2s-new" {
		t.Fatalf("a new URL: %+v", h)
	}
}
