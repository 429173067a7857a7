package gestpay

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
)

// FuzzReadCall drives the envelope reader with arbitrary bytes and
// actions: it must never panic; what it refuses is an envelope error of
// SOAP 1.1 or 1.2 (the fault's form); what it accepts names an operation
// that the action, when given, agrees with.
func FuzzReadCall(f *testing.F) {
	f.Add([]byte(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="https://ecomm.sella.it/"><SOAP-ENV:Body><ns1:Encrypt><ns1:shopLogin>GESPAY1</ns1:shopLogin><ns1:amount>1.00</ns1:amount></ns1:Encrypt></SOAP-ENV:Body></SOAP-ENV:Envelope>`), "https://ecomm.sella.it/Encrypt")
	f.Add([]byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Header><x/></e:Header><e:Body><Decrypt xmlns="https://ecomm.sella.it/"><CryptedString xsi:nil="true"/><paymentTypes><paymentType>CREDITCARD</paymentType></paymentTypes></Decrypt></e:Body></e:Envelope>`), "")
	f.Add([]byte(`<Envelope/>`), "x")
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`), "")
	f.Fuzz(func(t *testing.T, body []byte, action string) {
		c, err := readCall(body, action, nsCrypt)
		if err != nil {
			var env *errEnvelope
			if !errors.As(err, &env) || (env.version != soap11 && env.version != soap12) || env.msg == "" {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if c.operation == "" || (c.version != soap11 && c.version != soap12) {
			t.Fatalf("accepted %q as %+v", body, c)
		}
		if action != "" && action != nsCrypt+c.operation {
			t.Fatalf("action %q accepted for %s", action, c.operation)
		}
	})
}

// FuzzCustomInfo drives the customInfo parser: it never panics, answers a
// code of its family for what it refuses, and what it accepts is within
// Gestpay's limits with no forbidden character in any value.
func FuzzCustomInfo(f *testing.F) {
	for _, s := range []string{"", "a=1", "a=1*P1*b=2", "a=1*P1*", "=1", "a", "a=1*P1*a=2", "a=x y", "a=1--2", "a=§",
		"a=1*P1**P1*b=2", strings.Repeat("x=", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkCustomInfo(s)
		if err != nil {
			var g *gpError
			if !errors.As(err, &g) || g.code < codeParamFormat || g.code > codeParamTooLong {
				t.Fatalf("checkCustomInfo(%q) = %v", s, err)
			}
			return
		}
		if utf8.RuneCountInString(s) > 1000 {
			t.Fatalf("accepted %d characters", utf8.RuneCountInString(s))
		}
		if s == "" {
			return
		}
		for _, p := range strings.Split(s, customInfoSeparator) {
			name, value, ok := strings.Cut(p, "=")
			if !ok || name == "" || utf8.RuneCountInString(value) > 300 || strings.ContainsAny(value, forbidden) {
				t.Fatalf("accepted %q (part %q)", s, p)
			}
		}
	})
}

// FuzzReadSend drives the hidden page's request decoder: it must never
// panic, and what it accepts must be what encoding/json reads from the
// same bytes, with no member it does not know.
func FuzzReadSend(f *testing.F) {
	f.Add([]byte(`{"a":"GESPAY1","b":"AVIA","CC":"4242424242424242","EXPMM":"05","EXPYY":"35","CVV2":"123"}`))
	f.Add([]byte(`{"a":"GESPAY1","b":"AVIA","PARes":"x","TransKey":"y"}`))
	f.Add([]byte(`{"a":"x","a":"y"}`))
	f.Add([]byte(`{"CC":4242}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, ok := readSend(body)
		if !ok {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("accepted %q, which is not one JSON object: %v", body, err)
		}
		want := map[string]string{"a": req.A, "b": req.B, "CC": req.CC, "EXPMM": req.EXPMM, "EXPYY": req.EXPYY,
			"CVV2": req.CVV2, "Name": req.Name, "Email": req.Email, "PARes": req.PARes, "TransKey": req.TransKey}
		for k, v := range m {
			s, isString := v.(string)
			if _, known := want[k]; !known || !isString || s != want[k] {
				t.Fatalf("accepted %q: member %q = %v, decoded %+v", body, k, v, req)
			}
		}
	})
}

// FuzzOpenCrypt: no string opens unless sealCrypt made it for that shop,
// and what opens reads back as it was sealed.
func FuzzOpenCrypt(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f.Add(sealCrypt(key, "GESPAY1", crypt{kind: kindRequest, appID: 1, payment: 2}), "GESPAY1", int64(1), "")
	f.Add(sealCrypt(key, "GESPAY1", crypt{kind: kindPage, appID: 3, ref: "ORD-1"}), "GESPAY1", int64(3), "ORD-1")
	f.Add("", "", int64(0), "x")
	f.Fuzz(func(t *testing.T, s, shop string, app int64, ref string) {
		if c, ok := openCrypt(key, shop, s); ok && sealCrypt(key, shop, c) != s {
			t.Fatalf("%q opened as %+v, which seals differently", s, c)
		}
		if len(ref) > maxRefLen {
			return
		}
		kind := kindPage
		if ref == "" {
			kind = kindResult
		}
		in := crypt{kind: kind, appID: app, ref: ref}
		sealed := sealCrypt(key, shop, in)
		if c, ok := openCrypt(key, shop, sealed); !ok || c != in {
			t.Fatalf("sealed %+v opened as %+v %v", in, c, ok)
		}
		if _, ok := openCrypt(key, shop+"x", sealed); ok {
			t.Fatal("a string opened for another shop")
		}
	})
}

// FuzzS2SCall drives what WSs2s makes of a request: the envelope reader
// in its namespace, then each operation's decoding of the elements (the
// order as Encrypt reads it, a card, an amount, a currency, a customInfo
// update, the custom-info elements of an answer). None may panic, and
// what each accepts keeps its rules.
func FuzzS2SCall(f *testing.F) {
	f.Add([]byte(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><callPagamS2S xmlns="https://ecomms2s.sella.it/"><shopLogin>GESPAY1</shopLogin><uicCode>242</uicCode><amount>1.00</amount><shopTransactionId>A</shopTransactionId><cardNumber>4242424242424242</cardNumber><expiryMonth>05</expiryMonth><expiryYear>35</expiryYear><customInfo>a=1</customInfo></callPagamS2S></soap:Body></soap:Envelope>`))
	f.Add([]byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><callExchangeRateS2S xmlns="https://ecomms2s.sella.it/"><uicCode>1</uicCode><isoCode>usd</isoCode><numericIsoCode>840</numericIsoCode></callExchangeRateS2S></e:Body></e:Envelope>`))
	f.Add([]byte(`<Envelope/>`))
	eur := &pasarela.Payment{Currency: "EUR", Amount: 10000}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := readCall(body, "", nsS2S)
		if err != nil {
			return
		}
		if in, err := readEncrypt(c, ""); err == nil && (in.payment.Amount <= 0 || in.payment.MerchantRef == "") {
			t.Fatalf("an order of %+v accepted", in.payment)
		}
		if card, err := cardOf(c, "cardNumber", "expiryMonth", "expiryYear", "cvv"); err == nil &&
			(!cardLength(card.Number) || card.ExpMonth < 1 || card.ExpMonth > 12) {
			t.Fatalf("a card of %d digits, month %d accepted", len(card.Number), card.ExpMonth)
		}
		if n, err := amountOf(c, eur); err == nil && n <= 0 {
			t.Fatalf("an amount of %d accepted", n)
		}
		if cur, err := rateCurrency(c); err == nil && (cur.Code == "" || cur.Crypto) {
			t.Fatalf("currency %+v accepted", cur)
		}
		if info, err := setCustomParam(c.fields["customInfo"], c.fields["paramName"], c.fields["paramValue"]); err == nil {
			if checkCustomInfo(info) != nil {
				t.Fatalf("customInfo %q accepted", info)
			}
			for _, n := range customInfoNodes(info).children {
				if !xmlName(n.name) {
					t.Fatalf("element %q", n.name)
				}
			}
		}
	})
}
