package gestpay_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// pay pays the payment behind a Decrypt's BankTransactionID on its hosted
// checkout with number, as a buyer would (the Gestpay payment page is not
// built yet; the core's checkout is the same payment).
func (e *env) pay(ten *coretest.Tenant, bankID, number string) {
	e.t.Helper()
	id, err := strconv.ParseInt(bankID, 10, 64)
	if err != nil {
		e.t.Fatalf("BankTransactionID %q", bankID)
	}
	d, err := e.Svc.GetPayment(ten.AppCtx(context.Background()), ten.App.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.Svc.PayWithCard(context.Background(), d.Payment.CheckoutToken, pasarela.CardInput{
		Name: "Ada Lovelace", Number: number, ExpMonth: 12, ExpYear: 2045, CVC: "123"}); err != nil {
		e.t.Fatal(err)
	}
}

func decrypt(ten *coretest.Tenant, s string) []string {
	return []string{"shopLogin", ten.App.ShopLogin, "CryptedString", s, "apikey", ten.App.APIKey}
}

// TestEncryptDecrypt: Encrypt makes a pending payment whose string Decrypt
// reads back as XX until the buyer pays; then OK with every element of the
// original, or KO 74 for a refused card.
func TestEncryptDecrypt(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		s := e.mustEncrypt(order(e.A, "buyerName", "Mario Rossi", "buyerEmail", "mario@example.com",
			"customInfo", "STORE_ID=1*P1*STORE_NAME=Negozio", "languageId", "1")...)
		for _, r := range s {
			if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*", r) {
				t.Fatalf("crypt string %q has %q", s, r)
			}
		}
		r := e.call("Decrypt", decrypt(e.A, s)...)
		if r["TransactionResult"] != "XX" || r["ShopTransactionID"] != "ORD-1" || r["Amount"] != "10.50" ||
			r["Currency"] != "242" || r["ErrorCode"] != "0" {
			t.Fatalf("Decrypt before paying: %v", r)
		}
		e.pay(e.A, r["BankTransactionID"], "4242424242424242")
		r = e.call("Decrypt", decrypt(e.A, s)...)
		want := result{"TransactionType": "DECRYPT", "TransactionResult": "OK", "ShopTransactionID": "ORD-1",
			"Currency": "242", "Amount": "10.50", "CustomInfo": "STORE_ID=1*P1*STORE_NAME=Negozio",
			"Buyer.BuyerName": "Mario Rossi", "Buyer.BuyerEmail": "mario@example.com", "ErrorCode": "0",
			"ErrorDescription": "Transazione correttamente effettuata", "MaskedPAN": "424242******4242"}
		for k, v := range want {
			if r[k] != v {
				t.Errorf("Decrypt after paying: %s = %q, want %q", k, r[k], v)
			}
		}
		// The elements the original always lists are there, empty or not.
		for _, k := range []string{"BankTransactionID", "AuthorizationCode", "Country", "Buyer", "AlertCode",
			"AlertDescription", "VbVRisp", "VbVBuyer", "VbVFlag", "TransactionKey", "TOKEN"} {
			if _, ok := r[k]; !ok {
				t.Errorf("Decrypt lacks %s: %v", k, r)
			}
		}

		// The same shopTransactionId again: paid, it is refused; another
		// still waiting for the buyer gets its own payment back.
		if r := e.encrypt(order(e.A)...); r["TransactionResult"] != "KO" || r["ErrorCode"] != "1137" {
			t.Fatalf("Encrypt of a paid reference: %v", r)
		}
		refused := e.mustEncrypt(orderOf(e.A, "ORD-2", "10.50")...)
		if again := e.mustEncrypt(orderOf(e.A, "ORD-2", "10.50")...); again != refused {
			t.Fatalf("Encrypt of a pending reference: %s, first %s", again, refused)
		}
		if r := e.encrypt(orderOf(e.A, "ORD-2", "99.00")...); r["ErrorCode"] != "1137" {
			t.Fatalf("Encrypt of a pending reference for another amount: %v", r)
		}
		r = e.call("Decrypt", decrypt(e.A, refused)...)
		e.pay(e.A, r["BankTransactionID"], "4000000000000002")
		r = e.call("Decrypt", decrypt(e.A, refused)...)
		if r["TransactionResult"] != "KO" || r["ErrorCode"] != "74" || r["ErrorDescription"] != "Autorizzazione negata" {
			t.Fatalf("Decrypt of a refused payment: %v", r)
		}
	})
}

// TestShops: a shop is opened only by its own key; another shop's key, a
// wrong or missing key, an unknown shop, and strings made up, altered or
// made for another shop are all refused with Gestpay's codes.
func TestShops(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a, b := e.A.App, e.B.App
		code := func(what string, r result, want string) {
			t.Helper()
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != want || r["ErrorDescription"] == "" {
				t.Errorf("%s: %v, want KO %s", what, r, want)
			}
		}
		base := []string{"uicCode", "242", "amount", "1.00", "shopTransactionId", "X"}
		code("another shop's key", e.encrypt(append(base, "shopLogin", a.ShopLogin, "apikey", b.APIKey)...), "1169")
		code("a wrong key", e.encrypt(append(base, "shopLogin", a.ShopLogin, "apikey", a.APIKey+"x")...), "1169")
		code("no key", e.encrypt(append(base, "shopLogin", a.ShopLogin)...), "1169")
		code("an unknown shop", e.encrypt(append(base, "shopLogin", "GESPAY99999999", "apikey", a.APIKey)...), "1131")
		code("no shop", e.encrypt(append(base, "apikey", a.APIKey)...), "1131")
		r := e.encrypt(append(base, "shopLogin", a.ShopLogin, "apikey", b.APIKey)...)
		if r["CryptDecryptString"] != "" || r["ErrorDescription"] != "Chiamata non accettata: APIKEY dell'esercente non valida" {
			t.Errorf("1169: %v", r)
		}

		s := e.mustEncrypt(order(e.A)...)
		code("A's string decrypted by B", e.call("Decrypt", decrypt(e.B, s)...), "1136")
		code("A's string with B's key", e.call("Decrypt", "shopLogin", a.ShopLogin, "CryptedString", s, "apikey", b.APIKey), "1169")
		altered := []byte(s)
		altered[len(altered)/2] ^= 1
		code("an altered string", e.call("Decrypt", decrypt(e.A, string(altered))...), "1136")
		code("a made-up string", e.call("Decrypt", decrypt(e.A, "30715CA8ABCDEF")...), "1136")
		code("no string", e.call("Decrypt", "shopLogin", a.ShopLogin, "apikey", a.APIKey), "1136")
		code("Decrypt without a shop", e.call("Decrypt", "CryptedString", s, "apikey", a.APIKey), "9999")
		if r := e.call("Decrypt", decrypt(e.A, s)...); r["TransactionResult"] != "XX" {
			t.Errorf("A's own string: %v", r)
		}
		// B sees none of A's payments, and A's Encrypt made exactly one.
		if _, n, err := e.Svc.ListPayments(e.B.AppCtx(context.Background()), b.ID, core.PaymentFilter{},
			pasarela.ListOptions{Limit: 10}); err != nil || n.Count != 0 {
			t.Errorf("B's payments: %s %v", n, err)
		}
	})
}

// TestEncryptValidation: Encrypt refuses what Gestpay refuses, with its
// codes, and creates nothing.
func TestEncryptValidation(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.A.App
		with := func(field, value string) []string {
			kv := []string{"shopLogin", a.ShopLogin, "apikey", a.APIKey}
			base := map[string]string{"uicCode": "242", "amount": "10.50", "shopTransactionId": "ORD-1"}
			if _, ok := base[field]; ok {
				base[field] = value
			} else {
				kv = append(kv, field, value)
			}
			for _, k := range []string{"uicCode", "amount", "shopTransactionId"} {
				if base[k] != "" {
					kv = append(kv, k, base[k])
				}
			}
			return kv
		}
		for _, c := range []struct{ field, value, code string }{
			{"uicCode", "", "1110"},
			{"uicCode", "978", "1111"},
			{"uicCode", "EUR", "1111"},
			{"amount", "", "1112"},
			{"amount", "10,50", "1113"},
			{"amount", "1.000,00", "1113"},
			{"amount", "-1", "1113"},
			{"amount", "0", "1113"},
			{"amount", "1234567890", "1113"},
			{"amount", "10.505", "1114"},
			{"shopTransactionId", "", "1115"},
			{"shopTransactionId", strings.Repeat("x", 51), "1116"},
			{"languageId", "9", "1117"},
			{"buyerEmail", "not an email", "1127"},
			{"customInfo", "A=1*P1*A=2", "1106"},
			{"customInfo", "A=1*P1*", "1103"},
			{"customInfo", "=1", "1102"},
			{"customInfo", "A", "1101"},
			{"customInfo", "A=x y", "1105"},
			{"customInfo", "A=a&b", "1105"},
			{"customInfo", "A=a--b", "1105"},
			{"customInfo", "A=" + strings.Repeat("x", 301), "1129"},
			{"customInfo", strings.Repeat("A=1*P1*", 150) + "B=1", "1128"},
		} {
			r := e.encrypt(with(c.field, c.value)...)
			if r["TransactionResult"] != "KO" || r["ErrorCode"] != c.code {
				t.Errorf("%s=%q: %v, want KO %s", c.field, c.value, r, c.code)
			}
		}
		if _, n, err := e.Svc.ListPayments(e.A.AppCtx(context.Background()), a.ID, core.PaymentFilter{},
			pasarela.ListOptions{Limit: 10}); err != nil || n.Count != 0 {
			t.Errorf("refused Encrypts created %s payments (%v)", n, err)
		}
		// The limits themselves are accepted: JPY (71) without decimals,
		// 50 characters of shopTransactionId, a 1000-character customInfo.
		info := "A=" + strings.Repeat("x", 300) + "*P1*B=" + strings.Repeat("y", 300) + "*P1*C=" + strings.Repeat("z", 300) + "*P1*D=" + strings.Repeat("w", 80)
		if len(info) != 1000 {
			t.Fatalf("customInfo of %d", len(info))
		}
		for _, kv := range [][]string{
			{"uicCode", "71", "amount", "1050", "shopTransactionId", strings.Repeat("x", 50)},
			{"uicCode", "242", "amount", "0.01", "shopTransactionId", "ORD-2", "customInfo", info},
		} {
			s := e.mustEncrypt(append([]string{"shopLogin", a.ShopLogin, "apikey", a.APIKey}, kv...)...)
			r := e.call("Decrypt", decrypt(e.A, s)...)
			if r["Amount"] != kv[3] || r["ShopTransactionID"] != kv[5] || len(kv) > 6 && r["CustomInfo"] != info {
				t.Errorf("%v read back as %v", kv, r)
			}
		}
		if r := e.encrypt(with("uicCode", "71")...); r["ErrorCode"] != "1114" {
			t.Errorf("JPY with decimals: %v", r)
		}
	})
}
