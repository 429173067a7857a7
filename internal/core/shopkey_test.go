package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
)

// TestAuthenticateShopKey: an application is found by its shop login and
// opened only by its own key; another tenant's valid key, a wrong key and an
// unknown shop login are refused with their own codes.
func TestAuthenticateShopKey(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		a, b := e.A.App, e.B.App
		p, err := e.svc.AuthenticateShopKey(e.ctx, a.ShopLogin, a.APIKey)
		if err != nil || p.ApplicationID != a.ID || p.ClientID != a.ClientID {
			t.Fatalf("own key: %+v %v", p, err)
		}
		_, err = e.svc.AuthenticateShopKey(e.ctx, a.ShopLogin, b.APIKey)
		wantErr(t, "another tenant's key", err, pasarela.KindUnauthorized, "invalid_api_key")
		_, err = e.svc.AuthenticateShopKey(e.ctx, a.ShopLogin, a.APIKey[:len(a.APIKey)-1]+"x")
		wantErr(t, "a wrong key", err, pasarela.KindUnauthorized, "invalid_api_key")
		_, err = e.svc.AuthenticateShopKey(e.ctx, a.ShopLogin, "")
		wantErr(t, "no key", err, pasarela.KindUnauthorized, "invalid_api_key")
		_, err = e.svc.AuthenticateShopKey(e.ctx, "GESPAY00000000", a.APIKey)
		wantErr(t, "an unknown shop login", err, pasarela.KindUnauthorized, "unknown_shop_login")
		_, err = e.svc.AuthenticateShopKey(e.ctx, "", a.APIKey)
		wantErr(t, "no shop login", err, pasarela.KindUnauthorized, "unknown_shop_login")
	})
}
