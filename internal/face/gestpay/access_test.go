package gestpay_test

import (
	"context"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestShopAllowList: a shop whose allow-list holds the caller's address
// encrypts and decrypts without its key, unless it requires the key (1169);
// a caller outside the list is refused with 1142 even with the right key,
// and a forwarded address from an untrusted peer changes nothing.
func TestShopAllowList(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.A.App
		setAccess := func(ips []string, requireKey bool) {
			t.Helper()
			if _, err := e.Svc.UpdateApplication(e.A.AdminCtx(context.Background()), a.ID, core.ApplicationInput{
				AllowedIPs: pasarela.Set(ips), RequireKey: pasarela.Set(requireKey)}, false); err != nil {
				t.Fatal(err)
			}
		}
		noKey := []string{"shopLogin", a.ShopLogin, "uicCode", "242", "amount", "10.50", "shopTransactionId", "ORD-IP"}
		code := func(what string, r result, want, description string) {
			t.Helper()
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != want || r["ErrorDescription"] != description ||
				r["CryptDecryptString"] != "" {
				t.Errorf("%s: %v, want KO %s %q", what, r, want, description)
			}
		}

		// From loopback, listed, the key not required: no apikey needed,
		// for Encrypt and for Decrypt.
		setAccess([]string{"127.0.0.1/32"}, false)
		s := e.mustEncrypt(noKey...)
		if r := e.call("Decrypt", "shopLogin", a.ShopLogin, "CryptedString", s); r["TransactionResult"] != "XX" ||
			r["ShopTransactionID"] != "ORD-IP" {
			t.Errorf("Decrypt without a key from the allow-list: %v", r)
		}
		// A key given must still be the shop's own.
		code("B's key from the allow-list", e.encrypt(append(noKey, "apikey", e.B.App.APIKey)...),
			"1169", "Chiamata non accettata: APIKEY dell'esercente non valida")
		// B has no allow-list: A's settings open nothing of B's.
		code("B without a key", e.encrypt("shopLogin", e.B.App.ShopLogin, "uicCode", "242", "amount", "1.00", "shopTransactionId", "X"),
			"1169", "Chiamata non accettata: APIKEY dell'esercente non valida")

		// The key required: none is refused, the shop's own opens it.
		setAccess([]string{"127.0.0.1/32"}, true)
		code("no key when required", e.encrypt(noKey...), "1169", "Chiamata non accettata: APIKEY dell'esercente non valida")
		e.mustEncrypt(append(noKey, "apikey", a.APIKey)...)

		// Loopback not listed: refused before the key is looked at, and
		// X-Forwarded-For from a peer that is no trusted proxy is ignored.
		setAccess([]string{"10.0.0.0/8"}, false)
		code("no key from outside", e.encrypt(noKey...), "1142", "Chiamata non accettata: indirizzo IP non valido")
		code("the key from outside", e.encrypt(append(noKey, "apikey", a.APIKey)...), "1142",
			"Chiamata non accettata: indirizzo IP non valido")
		status, _, body := e.post(cryptPath, soap11(`<ns1:Encrypt><ns1:shopLogin>`+a.ShopLogin+
			`</ns1:shopLogin><ns1:uicCode>242</ns1:uicCode><ns1:amount>1.00</ns1:amount><ns1:shopTransactionId>F</ns1:shopTransactionId></ns1:Encrypt>`),
			"SOAPAction", `"https://ecomm.sella.it/Encrypt"`, "X-Forwarded-For", "10.1.2.3")
		if r := readResult(t, body); status != 200 || r["ErrorCode"] != "1142" {
			t.Errorf("a forwarded listed address from an untrusted peer: %d %v", status, r)
		}
	})
}
