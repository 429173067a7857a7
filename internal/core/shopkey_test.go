package core_test

import (
	"net/netip"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestAuthenticateShop: an application is found by its shop login and
// opened only by its own key, or, without one, from its allow-list when it
// does not require the key. Another tenant's valid key, a wrong key, an
// unknown shop login and an address outside the allow-list are refused
// with their own codes, the address first.
func TestAuthenticateShop(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		a, b := e.A.App, e.B.App
		loopback, outside := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.7")
		setAccess := func(ips []string, requireKey bool) {
			t.Helper()
			if _, err := e.svc.UpdateApplication(e.admin(), a.ID, core.ApplicationInput{
				AllowedIPs: pasarela.Set(ips), RequireKey: pasarela.Set(requireKey)}, false); err != nil {
				t.Fatal(err)
			}
		}
		// A's key with its last character changed (to another one, always).
		last := a.APIKey[len(a.APIKey)-1]
		wrong := a.APIKey[:len(a.APIKey)-1] + map[bool]string{true: "y", false: "x"}[last == 'x']
		opens := func(what, key string, ip netip.Addr) {
			t.Helper()
			p, _, err := e.svc.AuthenticateShop(e.ctx, a.ShopLogin, key, ip)
			if err != nil || p.ApplicationID != a.ID || p.ClientID != a.ClientID || p.IsUser() {
				t.Errorf("%s: %+v %v, want A's application", what, p, err)
			}
		}
		refused := func(what, key string, ip netip.Addr, code string) {
			t.Helper()
			_, _, err := e.svc.AuthenticateShop(e.ctx, a.ShopLogin, key, ip)
			wantErr(t, what, err, pasarela.KindUnauthorized, code)
		}

		// No allow-list: the key, and only A's, from anywhere.
		opens("own key", a.APIKey, outside)
		opens("own key, no address known", a.APIKey, netip.Addr{})
		refused("another tenant's key", b.APIKey, loopback, "invalid_api_key")
		refused("a wrong key", wrong, loopback, "invalid_api_key")
		refused("a short key", "psk_x", loopback, "invalid_api_key")
		refused("no key", "", loopback, "invalid_api_key")
		_, _, err := e.svc.AuthenticateShop(e.ctx, "GESPAY00000000", a.APIKey, loopback)
		wantErr(t, "an unknown shop login", err, pasarela.KindUnauthorized, "unknown_shop_login")
		_, _, err = e.svc.AuthenticateShop(e.ctx, "", a.APIKey, loopback)
		wantErr(t, "no shop login", err, pasarela.KindUnauthorized, "unknown_shop_login")

		// An allow-list without the key required: no key from inside it.
		setAccess([]string{"127.0.0.1", "10.0.0.0/8"}, false)
		opens("no key from the allow-list", "", loopback)
		opens("no key from a listed prefix", "", netip.MustParseAddr("10.20.30.40"))
		opens("no key from an IPv4 address seen as IPv6", "", netip.MustParseAddr("::ffff:127.0.0.1"))
		opens("own key from the allow-list", a.APIKey, loopback)
		refused("a wrong key from the allow-list", wrong, loopback, "invalid_api_key")
		refused("another tenant's key from the allow-list", b.APIKey, loopback, "invalid_api_key")
		refused("no key from outside", "", outside, "ip_not_allowed")
		refused("own key from outside", a.APIKey, outside, "ip_not_allowed")
		refused("a wrong key from outside", "nonsense", outside, "ip_not_allowed")
		refused("no address known", "", netip.Addr{}, "ip_not_allowed")

		// The key required: the allow-list still applies, and no key is
		// enough.
		setAccess([]string{"127.0.0.1"}, true)
		refused("no key when required", "", loopback, "invalid_api_key")
		opens("own key when required", a.APIKey, loopback)
		refused("own key from outside when required", a.APIKey, outside, "ip_not_allowed")

		// B's application has no allow-list: A's settings open nothing of B.
		_, _, err = e.svc.AuthenticateShop(e.ctx, b.ShopLogin, "", loopback)
		wantErr(t, "B without a key", err, pasarela.KindUnauthorized, "invalid_api_key")
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
