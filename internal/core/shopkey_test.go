package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
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

// TestPaymentByMerchantRef: a payment is found by its merchant reference in
// its own application only.
func TestPaymentByMerchantRef(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{MerchantRef: "ORD-7"})
		got, err := e.svc.PaymentByMerchantRef(e.app(), e.appID(), "ORD-7")
		if err != nil || got.ID != p.ID {
			t.Fatalf("own reference: %+v %v", got, err)
		}
		_, err = e.svc.PaymentByMerchantRef(e.app(), e.appID(), "ORD-8")
		wantErr(t, "an unknown reference", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.PaymentByMerchantRef(e.app(), e.appID(), "")
		wantErr(t, "no reference", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.PaymentByMerchantRef(e.B.AppCtx(e.ctx), e.B.App.ID, "ORD-7")
		wantErr(t, "another tenant's reference", err, pasarela.KindNotFound, "not_found")
	})
}
