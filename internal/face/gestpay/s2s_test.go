package gestpay_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

const s2sPath = "/gestpay/gestpayws/WSs2s.asmx"

// s2s calls a WSs2s operation over SOAP 1.1 as PHP writes it and returns
// its GestPayS2S.
func (e *env) s2s(op string, kv ...string) result {
	e.t.Helper()
	return e.soapCall(s2sPath, "https://ecomms2s.sella.it/", op, kv...)
}

// payS2S is callPagamS2S of shop ten for ref with card number; extra
// elements come after the card's (a repeated element counts once: the
// first).
func (e *env) payS2S(ten *coretest.Tenant, ref, amount, number string, extra ...string) result {
	e.t.Helper()
	return e.s2s("callPagamS2S", append([]string{"shopLogin", ten.App.ShopLogin, "apikey", ten.App.APIKey, "uicCode", "242",
		"amount", amount, "shopTransactionId", ref, "cardNumber", number, "expiryMonth", "05", "expiryYear", "35",
		"cvv", "999", "buyerName", "Mario Rossi"}, extra...)...)
}

// want fails unless r has each name=value of kv.
func want(t *testing.T, what string, r result, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		if r[kv[i]] != kv[i+1] {
			t.Errorf("%s: %s = %q, want %q (all: %v)", what, kv[i], r[kv[i]], kv[i+1], r)
		}
	}
}

// manualCapture makes shop ten's sandbox config hold payments for a later
// settle, as a shop with separate capture is configured.
func (e *env) manualCapture(ten *coretest.Tenant) {
	e.t.Helper()
	ctx := ten.AdminCtx(context.Background())
	configs, _, err := e.Svc.ListGatewayConfigs(ctx, ten.App.ID, "", pasarela.ListOptions{})
	if err != nil || len(configs) != 1 {
		e.t.Fatalf("configs %v %v", configs, err)
	}
	if _, err := e.Svc.UpdateGatewayConfig(ctx, ten.App.ID, configs[0].ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Config: pasarela.Set(map[string]any{"capture": "manual"})}, false); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) ledgerBalanced() {
	e.t.Helper()
	if problems, err := e.Svc.VerifyLedger(context.Background()); err != nil || len(problems) > 0 {
		e.t.Fatalf("ledger: %v %v", problems, err)
	}
}

func TestS2SWSDL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	for _, path := range []string{"/gestpay/gestpayws/WSs2s.asmx?WSDL", "/gestpay/GestPayWS/WsS2S.asmx?wsdl",
		"/gestpay/gestpayws/WSS2S.asmx?WSDL"} {
		res, err := http.Get(e.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		doc := string(b)
		if res.StatusCode != 200 || !strings.Contains(doc, `location="`+e.URL+strings.Split(path, "?")[0]+`"`) {
			t.Fatalf("%s: %d\n%.400s", path, res.StatusCode, doc)
		}
		for _, op := range []string{"callPagamS2S", "callSettleS2S", "callDeleteS2S", "callRefundS2S", "callReadTrxS2S",
			"callVerifycardS2S", "callCheckCartaS2S", "callRenounce", "CallRequestTokenS2S", "callDeleteTokenS2S",
			"CallUpdateTokenS2S", "CallIdealListS2S", "CallMyBankListS2S", "CallUpdateCustomParamS2S", "CallUpdateOrderS2S",
			"callExchangeRateS2S", "callDeviceActivation"} {
			el := `<s:element name="` + op + `">`
			i := strings.Index(doc, el)
			if i < 0 || !strings.Contains(doc, `soapAction="https://ecomms2s.sella.it/`+op+`"`) {
				t.Fatalf("%s: no operation %s", path, op)
			}
			end := strings.Index(doc[i:], "</s:element>\n      <s:element name=\""+op+"Response\">")
			if end < 0 || !strings.Contains(doc[i:i+end], `name="apikey"`) {
				t.Errorf("%s has no apikey", op)
			}
		}
	}
}

func TestS2S(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		shop, key := e.A.App.ShopLogin, e.A.App.APIKey
		auth := func(kv ...string) []string { return append([]string{"shopLogin", shop, "apikey", key}, kv...) }

		t.Run("pay: OK as recorded, custom info as elements", func(t *testing.T) {
			r := e.payS2S(e.A, "S2S-OK", "12.50", "5364000000000987", "customInfo", "payment_id=15*P1*store=Roma",
				"buyerEmail", ":NOSEND:mario@example.com")
			want(t, "callPagamS2S", r, "TransactionType", "PAGAM", "TransactionResult", "OK", "ErrorCode", "0",
				"ErrorDescription", "Transazione correttamente effettuata", "ShopTransactionID", "S2S-OK", "Currency", "242",
				"Amount", "12.50", "CustomInfo.PAYMENT_ID", "15", "CustomInfo.STORE", "Roma",
				"Buyer.BuyerEmail", "mario@example.com", "MaskedPAN", "536400******0987", "PaymentMethod", "MASTERCARD",
				"CVVPresent", "Y")
			if len(r["AuthorizationCode"]) != 6 || r["BankTransactionID"] == "" {
				t.Errorf("callPagamS2S: %v", r)
			}
			e.ledgerBalanced()
		})
		t.Run("pay: refusals", func(t *testing.T) {
			for _, c := range []struct{ number, code string }{
				{"5432123456789012", "74"}, {"4000000000009995", "251"}, {"4000000000000069", "433"},
				{"4242424242424241", "1120"}, {"4242", "1119"},
			} {
				r := e.payS2S(e.A, "S2S-KO-"+c.number, "1.00", c.number)
				want(t, c.number, r, "TransactionType", "PAGAM", "TransactionResult", "KO", "ErrorCode", c.code)
			}
			r := e.s2s("callPagamS2S", auth("uicCode", "242", "amount", "1.00", "shopTransactionId", "S2S-NOCARD")...)
			want(t, "no card", r, "TransactionResult", "KO", "ErrorCode", "1138")
			r = e.s2s("callPagamS2S", auth("uicCode", "242", "amount", "1.00", "shopTransactionId", "S2S-MONTH",
				"cardNumber", "4242424242424242", "expiryMonth", "13", "expiryYear", "35", "cvv", "123", "buyerName", "M R")...)
			want(t, "month 13", r, "ErrorCode", "1124")
			r = e.s2s("callPagamS2S", "shopLogin", shop, "apikey", "psk_wrong")
			want(t, "wrong key", r, "TransactionResult", "KO", "ErrorCode", "1169")
		})
		t.Run("pay: 3-D Secure through pagam3d and a second call", func(t *testing.T) {
			for _, c := range []struct{ answer, result, code string }{{"approve", "OK", "0"}, {"fail", "KO", "74"}} {
				r := e.payS2S(e.A, "S2S-3DS-"+c.answer, "20.00", "4556541926187165")
				want(t, "first call", r, "TransactionResult", "KO", "ErrorCode", "8006", "ErrorDescription", "Verify By Visa",
					"VbV.VbVBuyer", "OK", "ShopTransactionID", "")
				if r["TransactionKey"] == "" || r["VbV.VbVRisp"] == "" {
					t.Fatalf("8006 without its keys: %v", r)
				}
				pares := e.threeDS(e.A, r["VbV.VbVRisp"], "https://shop.example/3ds?order=1&x=2", c.answer)
				// Another shop cannot complete it.
				r2 := e.s2s("callPagamS2S", "shopLogin", e.B.App.ShopLogin, "apikey", e.B.App.APIKey,
					"transKey", r["TransactionKey"], "PARes", pares)
				want(t, "B's second call", r2, "TransactionResult", "KO", "ErrorCode", "1141")
				r2 = e.s2s("callPagamS2S", auth("transKey", r["TransactionKey"], "PARes", pares)...)
				want(t, "second call "+c.answer, r2, "TransactionResult", c.result, "ShopTransactionID", "S2S-3DS-"+c.answer)
				if c.result == "KO" && r2["ErrorCode"] == "0" {
					t.Errorf("a failed 3-D Secure paid: %v", r2)
				}
				r3 := e.s2s("callPagamS2S", auth("transKey", r["TransactionKey"], "PARes", pares)...)
				want(t, "the second call again", r3, "TransactionResult", "KO", "ErrorCode", "1137")
			}
			r := e.s2s("callPagamS2S", auth("PARes", "x")...)
			want(t, "PARes without transKey", r, "ErrorCode", "1154")
		})
		t.Run("settle, refund, read, delete", func(t *testing.T) {
			e.manualCapture(e.B)
			b := func(kv ...string) []string {
				return append([]string{"shopLogin", e.B.App.ShopLogin, "apikey", e.B.App.APIKey}, kv...)
			}
			r := e.payS2S(e.B, "MOTO-1", "100.00", "4242424242424242")
			want(t, "authorized", r, "TransactionResult", "OK")
			bank := r["BankTransactionID"]
			// A miscased element is unknown, so the ids are empty: 2016.
			want(t, "miscased", e.s2s("callSettleS2S", b("uicCode", "242", "amount", "10.00", "shopTransID", "MOTO-1",
				"bankTransId", bank)...), "TransactionResult", "OK")
			r = e.s2s("callSettleS2S", b("uicCode", "242", "amount", "10.00", "bankTransId", bank)...)
			want(t, "no ids", r, "TransactionType", "Settle", "TransactionResult", "KO", "ErrorCode", "2016",
				"ErrorDescription", "Campi BANKTRANSACTIONID e SHOPTRANSACTIONID non valorizzati")

			r = e.payS2S(e.B, "MOTO-2", "100.00", "4242424242424242")
			bank = r["BankTransactionID"]
			want(t, "settle too much", e.s2s("callSettleS2S", b("uicCode", "242", "amount", "100.01", "bankTransID", bank)...),
				"ErrorCode", "58")
			want(t, "another shop's transaction", e.s2s("callSettleS2S", auth("uicCode", "242", "amount", "1.00",
				"bankTransID", bank)...), "ErrorCode", "2011")
			want(t, "refund before settling", e.s2s("callRefundS2S", b("uicCode", "242", "amount", "1.00",
				"bankTransactionId", bank)...), "ErrorCode", "2018")
			want(t, "settle in part", e.s2s("callSettleS2S", b("uicCode", "242", "amount", "60.00", "shopTransID", "MOTO-2",
				"bankTransID", bank)...), "TransactionResult", "OK", "ShopTransactionID", "MOTO-2", "BankTransactionID", bank)
			want(t, "settle again", e.s2s("callSettleS2S", b("uicCode", "242", "amount", "1.00", "bankTransID", bank)...),
				"ErrorCode", "2019")
			want(t, "refund in part", e.s2s("callRefundS2S", b("uicCode", "242", "amount", "25.00",
				"shopTransactionId", "MOTO-2")...), "TransactionType", "Refund", "TransactionResult", "OK")
			want(t, "refund past the settled amount", e.s2s("callRefundS2S", b("uicCode", "242", "amount", "35.01",
				"bankTransactionId", bank)...), "ErrorCode", "2014")
			want(t, "delete a settled one", e.s2s("callDeleteS2S", b("bankTransactionId", bank, "shopTransactionId", "MOTO-2")...),
				"ErrorCode", "2017", "ErrorDescription", "Transazione non cancellabile")

			r = e.s2s("callReadTrxS2S", b("bankTransactionId", bank)...)
			want(t, "read", r, "TransactionType", "QUERYTX", "TransactionResult", "OK", "TransactionState", "STO",
				"ShopTransactionID", "MOTO-2", "Company", "VISA")
			body := e.readTrxBody(b("bankTransactionId", bank))
			for _, ev := range []string{"<eventtype>AUT</eventtype><eventamount>100.00</eventamount>",
				"<eventtype>MOV</eventtype><eventamount>60.00</eventamount>", "<eventtype>STO</eventtype><eventamount>25.00</eventamount>"} {
				if !strings.Contains(body, ev) {
					t.Errorf("events lack %s:\n%s", ev, body)
				}
			}
			want(t, "another shop reads", e.s2s("callReadTrxS2S", auth("bankTransactionId", bank)...), "ErrorCode", "2011")

			r = e.payS2S(e.B, "MOTO-3", "5.00", "4242424242424242")
			want(t, "delete an authorization", e.s2s("callDeleteS2S", b("shopTransactionId", "MOTO-3")...),
				"TransactionType", "Delete", "TransactionResult", "OK")
			r = e.s2s("callReadTrxS2S", b("shopTransactionId", "MOTO-3")...)
			want(t, "read a deleted one", r, "TransactionState", "CAN")
			e.ledgerBalanced()
		})
		t.Run("a custom parameter updated", func(t *testing.T) {
			r := e.payS2S(e.A, "S2S-CP", "3.00", "4242424242424242", "customInfo", "store=Roma*P1*till=4")
			want(t, "paid", r, "TransactionResult", "OK")
			r = e.s2s("CallUpdateCustomParamS2S", auth("shopTransactionId", "S2S-CP", "paramName", "till", "paramValue", "7")...)
			want(t, "updated", r, "TransactionResult", "OK", "CustomInfo.STORE", "Roma", "CustomInfo.TILL", "7")
			r = e.s2s("CallUpdateCustomParamS2S", auth("shopTransactionId", "S2S-CP", "paramName", "note", "paramValue", "a<b")...)
			want(t, "a forbidden character", r, "TransactionResult", "KO", "ErrorCode", "1105")
			r = e.s2s("CallUpdateCustomParamS2S", auth("shopTransactionId", "S2S-CP", "paramName", "extra", "paramValue", "1")...)
			want(t, "added", r, "TransactionResult", "OK", "CustomInfo.EXTRA", "1", "CustomInfo.TILL", "7")
		})
		t.Run("tokens: request, pay with, update, delete", func(t *testing.T) {
			r := e.s2s("CallRequestTokenS2S", auth("requestToken", "MASKEDPAN", "cardNumber", "4775718800002026",
				"expiryMonth", "05", "expiryYear", "35", "cvv", "999", "withAuth", "N")...)
			tok := r["Token"]
			want(t, "MASKEDPAN", r, "TransactionType", "REQUESTTOKEN", "TransactionResult", "OK", "CardBIN", "477571",
				"CompanyDescription", "VISA", "CompanyCode", "1", "TokenExpiryMonth", "05", "TokenExpiryYear", "35")
			if len(tok) != 16 || tok[:2] != "47" || tok[12:] != "2026" || strings.Contains(tok, "7188") {
				t.Fatalf("token %q", tok)
			}
			r = e.s2s("callPagamS2S", auth("uicCode", "242", "amount", "9.00", "shopTransactionId", "TOK-PAY", "tokenValue", tok)...)
			want(t, "pay with the token", r, "TransactionResult", "OK", "MaskedPAN", "477571******2026")
			want(t, "another shop's token", e.s2s("callPagamS2S", "shopLogin", e.B.App.ShopLogin, "apikey", e.B.App.APIKey,
				"uicCode", "242", "amount", "9.00", "shopTransactionId", "TOK-B", "tokenValue", tok), "ErrorCode", "1165")
			r = e.s2s("CallUpdateTokenS2S", auth("token", tok, "expiryMonth", "11", "expiryYear", "36", "withAut", "N")...)
			want(t, "update", r, "TransactionType", "UpdateToken", "TransactionResult", "OK", "TokenExpiryMonth", "11", "TokenExpiryYear", "36")
			want(t, "update with authorization", e.s2s("CallUpdateTokenS2S", auth("token", tok, "expiryMonth", "11",
				"expiryYear", "36", "withAut", "Y")...), "ErrorCode", "4100")
			want(t, "check the token's card", e.s2s("callCheckCartaS2S", auth("shopTransactionId", "CHK-T", "tokenValue", tok)...),
				"TransactionResult", "OK", "CardBIN", "477571")

			r = e.s2s("CallRequestTokenS2S", auth("requestToken", "CLIENT42CARD1", "cardNumber", "4242424242424242",
				"expiryMonth", "05", "expiryYear", "35", "cvv", "123", "withAuth", "Y")...)
			want(t, "a custom token, verified", r, "TransactionResult", "OK", "Token", "CLIENT42CARD1")
			want(t, "the custom token again", e.s2s("CallRequestTokenS2S", auth("requestToken", "CLIENT42CARD1",
				"cardNumber", "4242424242424242", "expiryMonth", "05", "expiryYear", "35", "cvv", "123")...), "ErrorCode", "1163")
			want(t, "a token with odd characters", e.s2s("CallRequestTokenS2S", auth("requestToken", "a b", "cardNumber",
				"4242424242424242", "expiryMonth", "05", "expiryYear", "35", "cvv", "123")...), "ErrorCode", "1162")
			want(t, "a refused card, verified", e.s2s("CallRequestTokenS2S", auth("requestToken", "MASKEDPAN", "cardNumber",
				"4000000000000002", "expiryMonth", "05", "expiryYear", "35", "cvv", "123", "withAuth", "Y")...), "ErrorCode", "405")

			want(t, "delete", e.s2s("callDeleteTokenS2S", auth("tokenValue", tok)...), "TransactionType", "DisableToken",
				"TransactionResult", "OK")
			want(t, "delete again", e.s2s("callDeleteTokenS2S", auth("tokenValue", tok)...), "ErrorCode", "1165")
			want(t, "pay with a deleted token", e.s2s("callPagamS2S", auth("uicCode", "242", "amount", "9.00",
				"shopTransactionId", "TOK-GONE", "tokenValue", tok)...), "TransactionResult", "KO", "ErrorCode", "1165")
			e.ledgerBalanced()
		})
		t.Run("check and verify a card", func(t *testing.T) {
			want(t, "check without authorization", e.s2s("callCheckCartaS2S", auth("shopTransactionId", "CHK-1",
				"cardNumber", "5364000000000987", "expMonth", "05", "expYear", "35", "CVV2", "123", "withAuth", "N")...),
				"TransactionType", "CHECKCARD", "TransactionResult", "OK", "AuthorizationResult", "NULL", "CompanyCode", "3")
			want(t, "check a refused card with authorization", e.s2s("callCheckCartaS2S", auth("shopTransactionId", "CHK-2",
				"cardNumber", "4000000000009995", "expMonth", "05", "expYear", "35", "CVV2", "123", "withAuth", "Y")...),
				"TransactionResult", "KO", "ErrorCode", "405", "AuthorizationResult", "KO")
			want(t, "verify", e.s2s("callVerifycardS2S", auth("shopTransactionId", "VER-1", "cardNumber", "4242424242424242",
				"expMonth", "05", "expYear", "35", "CVV2", "123")...), "TransactionType", "VerCard", "TransactionResult", "OK",
				"AuthorizationResult", "OK")
			want(t, "verify an expired card", e.s2s("callVerifycardS2S", auth("shopTransactionId", "VER-2", "cardNumber",
				"4242424242424242", "expMonth", "01", "expYear", "20", "CVV2", "123")...), "ErrorCode", "1126")
			e.ledgerBalanced()
		})
		t.Run("exchange rates of the last 7 days", func(t *testing.T) {
			if err := e.Svc.RefreshRates(context.Background()); err != nil {
				t.Fatal(err)
			}
			body := e.rawS2S("callExchangeRateS2S", auth("uicCode", "1"))
			if n := strings.Count(body, "<UICCode>"); n != 7 || !strings.Contains(body, "<ISOCode>USD</ISOCode><NumericISOCode>840</NumericISOCode><ExchangeRate>1,") ||
				!regexp.MustCompile(`<CreditDate>\d\d/\d\d/20\d\d</CreditDate>`).MatchString(body) {
				t.Fatalf("USD rates (%d):\n%s", n, body)
			}
			for _, c := range []struct {
				kv   []string
				code string
			}{
				{[]string{"isoCode", "USD"}, "0"}, {[]string{"numericIsoCode", "840"}, "0"},
				{[]string{"uicCode", "1", "isoCode", "USD", "numericIsoCode", "840"}, "0"},
				{[]string{"uicCode", "1", "isoCode", "GBP"}, "1111"}, {[]string{"isoCode", "XYZ"}, "1111"},
				{[]string{"numericIsoCode", "abc"}, "1111"}, {nil, "1110"},
			} {
				want(t, strings.Join(c.kv, " "), e.s2s("callExchangeRateS2S", auth(c.kv...)...), "TransactionType", "ExchangeRate",
					"ErrorCode", c.code)
			}
		})
		t.Run("operations without a contract, bank lists", func(t *testing.T) {
			for _, op := range []string{"CallUpdateOrderS2S", "callRenounce", "callDeviceActivation"} {
				want(t, op, e.s2s(op, auth()...), "TransactionResult", "KO", "ErrorCode", "4100")
			}
			r := e.s2s("CallIdealListS2S", auth()...)
			want(t, "iDEAL", r, "TransactionType", "RequestIdealBankList", "TransactionResult", "OK")
			if r["BankList.Bank.BankName"] == "" || r["BankList.Bank.BankCode"] == "" {
				t.Errorf("iDEAL banks: %v", r)
			}
			want(t, "MyBank without a language", e.s2s("CallMyBankListS2S", auth()...), "ErrorCode", "1117")
			want(t, "MyBank", e.s2s("CallMyBankListS2S", auth("languageId", "1")...), "TransactionResult", "OK")
		})
	})
}

// readTrxBody is callReadTrxS2S's raw answer, for its repeated elements.
func (e *env) readTrxBody(kv []string) string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString(`<callReadTrxS2S xmlns="https://ecomms2s.sella.it/">`)
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<" + kv[i] + ">" + kv[i+1] + "</" + kv[i] + ">")
	}
	b.WriteString(`</callReadTrxS2S>`)
	_, _, body := e.post(s2sPath, soap11(b.String()), "SOAPAction", "https://ecomms2s.sella.it/callReadTrxS2S")
	return body
}

// rawS2S is a WSs2s answer as sent, for its repeated elements.
func (e *env) rawS2S(op string, kv []string) string {
	e.t.Helper()
	var b strings.Builder
	b.WriteString(`<` + op + ` xmlns="https://ecomms2s.sella.it/">`)
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<" + kv[i] + ">")
		_ = xml.EscapeText(&b, []byte(kv[i+1]))
		b.WriteString("</" + kv[i] + ">")
	}
	b.WriteString(`</` + op + `>`)
	_, _, body := e.post(s2sPath, soap11(b.String()), "SOAPAction", "https://ecomms2s.sella.it/"+op)
	return body
}
