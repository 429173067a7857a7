package gestpay_test

import (
	"crypto/tls"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestEnvelopes: the request shapes real clients send are all read, and
// only what is not a SOAP call of this service is a fault, in the
// request's SOAP version.
func TestEnvelopes(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.A.App
		creds := "<shopLogin>" + a.ShopLogin + "</shopLogin><apikey>" + a.APIKey + "</apikey>"
		ok := func(what string, status int, ctype, body, wantType string) {
			t.Helper()
			if status != 200 || !strings.HasPrefix(ctype, wantType) {
				t.Fatalf("%s: %d %s\n%s", what, status, ctype, body)
			}
			if !strings.Contains(body, `<EncryptResponse xmlns="https://ecomm.sella.it/"><EncryptResult><GestPayCryptDecrypt xmlns="">`) {
				t.Fatalf("%s: not the original's shape:\n%s", what, body)
			}
			if r := readResult(t, body); r["TransactionResult"] != "OK" {
				t.Fatalf("%s: %v", what, r)
			}
		}
		// PHP, SOAP 1.2: the action in the Content-Type, no SOAPAction.
		req := `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns1="https://ecomm.sella.it/"><env:Body><ns1:Encrypt><ns1:shopLogin>` +
			a.ShopLogin + `</ns1:shopLogin><ns1:uicCode>242</ns1:uicCode><ns1:amount>1.00</ns1:amount><ns1:shopTransactionId>P12</ns1:shopTransactionId><ns1:apikey>` +
			a.APIKey + `</ns1:apikey></ns1:Encrypt></env:Body></env:Envelope>`
		s, c, b := e.post(cryptPath, req, "Content-Type", `application/soap+xml; charset=utf-8; action="https://ecomm.sella.it/Encrypt"`)
		ok("SOAP 1.2", s, c, b, "application/soap+xml")
		// node-soap and JAX-WS: default namespace, the caller's order, nil
		// elements, an unknown and a miscased element, a Header.
		req = `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><S:Header/><S:Body><Encrypt xmlns="https://ecomm.sella.it/">` +
			`<amount>2.00</amount><requestToken xsi:nil="true"></requestToken><applePay xsi:nil="true"/><shopTransactionId>N1</shopTransactionId>` +
			`<UICCODE>999</UICCODE><uicCode>242</uicCode><futureElement><x>1</x></futureElement><customInfo xsi:nil="true"/>` + creds + `</Encrypt></S:Body></S:Envelope>`
		s, c, b = e.post(cryptPath, req, "SOAPAction", "https://ecomm.sella.it/Encrypt")
		ok("node-soap", s, c, b, "text/xml")
		// zeep's SOAP 1.2 binding sends both forms of the action.
		req = strings.NewReplacer("S:", "soap-env:", "xmlns:S", "xmlns:soap-env", "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope").Replace(req)
		s, c, b = e.post(cryptPath, req, "SOAPAction", `"https://ecomm.sella.it/Encrypt"`,
			"Content-Type", `application/soap+xml; charset=utf-8; action="https://ecomm.sella.it/Encrypt"`)
		ok("zeep SOAP 1.2", s, c, b, "application/soap+xml")
		// Other spellings of the path.
		for _, p := range []string{"/gestpay/GestPayWS/WsCryptDecrypt.asmx", "/gestpay/crypthttp/WSCryptDecrypt.asmx", "/gestpay/GESTPAYWS/wscryptdecrypt.ASMX"} {
			s, c, b = e.post(p, soap11(`<ns1:Encrypt><ns1:uicCode>242</ns1:uicCode><ns1:amount>1</ns1:amount><ns1:shopTransactionId>`+p+
				`</ns1:shopTransactionId>`+strings.ReplaceAll(strings.ReplaceAll(creds, "<", "<ns1:"), "<ns1:/", "</ns1:")+`</ns1:Encrypt>`))
			ok(p, s, c, b, "text/xml")
		}

		fault := func(what, body string, v12 bool, header ...string) {
			t.Helper()
			s, c, b := e.post(cryptPath, body, header...)
			want := `<faultcode>soap:Client</faultcode>`
			ns := "http://schemas.xmlsoap.org/soap/envelope/"
			if v12 {
				want = `<soap:Value>soap:Sender</soap:Value>`
				ns = "http://www.w3.org/2003/05/soap-envelope"
			}
			if s != 500 || !strings.Contains(b, want) || !strings.Contains(b, `xmlns:soap="`+ns+`"`) {
				t.Errorf("%s: %d %s\n%s", what, s, c, b)
			}
		}
		fault("not XML", "hello", false)
		fault("not an envelope", "<Encrypt/>", false)
		fault("cut short", soap11("<ns1:Encrypt><ns1:shopLogin>x</ns1:shopLogin>")[:150], false)
		fault("an unknown operation", soap11("<ns1:Refund/>"), false)
		fault("another namespace", soap11(`<Encrypt xmlns="urn:other"/>`), false)
		fault("an empty body", soap11(""), false)
		fault("an action not of the body", soap11("<ns1:Encrypt/>"), false, "SOAPAction", `"https://ecomm.sella.it/Decrypt"`)
		fault("SOAP 1.2, unknown operation", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Nope xmlns="https://ecomm.sella.it/"/></e:Body></e:Envelope>`, true)
	})
}

// TestWSDL: the WSDL is served at every spelling, declares every element
// of every known version (apikey on both operations), both bindings, and
// points clients back at the address they used, https behind TLS.
func TestWSDL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	get := func(c *http.Client, url string) string {
		t.Helper()
		res, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
			t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
		}
		return string(b)
	}
	type wsdlDoc struct {
		Elements []struct {
			Name     string `xml:"name,attr"`
			Children []struct {
				Name string `xml:"name,attr"`
			} `xml:"complexType>sequence>element"`
		} `xml:"types>schema>element"`
		Bindings []struct {
			Name string `xml:"name,attr"`
		} `xml:"binding"`
		Ports []struct {
			Address []struct {
				Location string `xml:"location,attr"`
			} `xml:"address"`
		} `xml:"service>port"`
	}
	var doc wsdlDoc
	for _, p := range []string{"/gestpay/gestpayws/WSCryptDecrypt.asmx?wsdl", "/gestpay/GestPayWS/WsCryptDecrypt.asmx?WSDL",
		"/gestpay/crypthttp/WSCryptDecrypt.asmx?wsdl"} {
		w := get(http.DefaultClient, e.URL+p)
		doc = wsdlDoc{}
		if err := xml.Unmarshal([]byte(w), &doc); err != nil {
			t.Fatal(err)
		}
		want := e.URL + p[:strings.IndexByte(p, '?')]
		if len(doc.Ports) != 2 || doc.Ports[0].Address[0].Location != want || doc.Ports[1].Address[0].Location != want {
			t.Errorf("%s: addresses %+v, want %s", p, doc.Ports, want)
		}
	}
	if len(doc.Bindings) != 2 || doc.Bindings[0].Name != "WSCryptDecryptSoap" || doc.Bindings[1].Name != "WSCryptDecryptSoap12" {
		t.Errorf("bindings %+v", doc.Bindings)
	}
	declared := map[string]map[string]bool{}
	for _, el := range doc.Elements {
		declared[el.Name] = map[string]bool{}
		for _, c := range el.Children {
			declared[el.Name][c.Name] = true
		}
	}
	for op, names := range map[string][]string{
		"Encrypt": {"shopLogin", "uicCode", "amount", "shopTransactionId", "cardNumber", "expiryMonth", "expiryYear",
			"buyerName", "buyerEmail", "languageId", "cvv", "customInfo", "requestToken", "ppSellerProtection",
			"shippingDetails", "paymentTypes", "paymentTypeDetail", "redFraudPrevention", "Red_CustomerInfo",
			"Red_ShippingInfo", "Red_BillingInfo", "Red_CustomerData", "Red_CustomInfo", "Red_Items",
			"Consel_MerchantPro", "Consel_CustomerInfo", "payPalBillingAgreementDescription", "OrderDetails",
			"transDetails", "transKey", "apikey"},
		"Decrypt": {"shopLogin", "CryptedString", "apikey"},
	} {
		for _, n := range names {
			if !declared[op][n] {
				t.Errorf("%s does not declare %s", op, n)
			}
		}
	}

	// Behind TLS the address is https.
	ts := httptest.NewUnstartedServer(e.h)
	ts.TLS = &tls.Config{}
	ts.StartTLS()
	defer ts.Close()
	w := get(ts.Client(), ts.URL+"/gestpay/gestpayws/WSCryptDecrypt.asmx?WSDL")
	if !strings.Contains(w, `location="`+ts.URL+`/gestpay/gestpayws/WSCryptDecrypt.asmx"`) || !strings.HasPrefix(ts.URL, "https://") {
		t.Errorf("WSDL over TLS does not name %s", ts.URL)
	}
}
