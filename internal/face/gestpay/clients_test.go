package gestpay_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pasarela/pasarela/internal/core/coretest"
)

// soapClient is a real SOAP library driven by a script of testdata/clients.
type soapClient struct {
	name string
	argv []string // the interpreter and the script
}

// soapClients are PHP's SoapClient and python's zeep, when installed (CI
// installs php-cli, php-soap and python3-zeep). Debian's zeep belongs to
// /usr/bin/python3, which may not be the python3 on PATH.
func soapClients(t *testing.T) []soapClient {
	t.Helper()
	var out []soapClient
	if php, err := exec.LookPath("php"); err != nil {
		t.Logf("PHP SoapClient not tested: no php on PATH (apt-get install php-cli php-soap)")
	} else if b, err := exec.Command(php, "-r", `echo class_exists("SoapClient") ? "yes" : "no";`).Output(); err != nil || string(b) != "yes" {
		t.Logf("PHP SoapClient not tested: php has no soap extension (apt-get install php-soap)")
	} else {
		out = append(out, soapClient{"php", []string{php, filepath.Join("testdata", "clients", "client.php")}})
	}
	found := false
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(py); err == nil && exec.Command(path, "-c", "import zeep").Run() == nil {
			out = append(out, soapClient{"zeep", []string{path, filepath.Join("testdata", "clients", "client.py")}})
			found = true
			break
		}
	}
	if !found {
		t.Logf("python zeep not tested: no python3 can import zeep (apt-get install python3-zeep)")
	}
	return out
}

// run runs the client's script with args and returns the result it printed.
func (c soapClient) run(t *testing.T, args ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(c.argv[0], append(c.argv[1:], args...)...)
	cmd.Env = append(os.Environ(), "NO_PROXY=*", "no_proxy=*")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", c.name, strings.Join(args[1:3], " "), err, b, stderr.String())
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s printed %s (%v)\n%s", c.name, b, err, stderr.String())
	}
	return out
}

// TestRealClients: PHP's SoapClient and python's zeep read the served WSDL
// and call Encrypt, then Decrypt before and after the buyer pays, over SOAP
// 1.1 and 1.2, against the full server on loopback; each reads what the
// real service's merchants read.
func TestRealClients(t *testing.T) {
	t.Parallel()
	clients := soapClients(t)
	if len(clients) == 0 {
		t.Skip("no SOAP client installed: apt-get install php-cli php-soap python3-zeep")
	}
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.A.App
		wsdl := e.URL + "/gestpay/GestPayWS/WsCryptDecrypt.asmx?wsdl"
		for _, c := range clients {
			for _, v := range []string{"1.1", "1.2"} {
				ref := c.name + "-" + v
				r := c.run(t, wsdl, v, "encrypt", a.ShopLogin, a.APIKey, ref, "12.34")
				s, _ := r["CryptDecryptString"].(string)
				if r["TransactionResult"] != "OK" || r["ErrorCode"] != "0" || s == "" || r["_envelope"] != v {
					t.Fatalf("%s SOAP %s Encrypt: %v", c.name, v, r)
				}
				r = c.run(t, wsdl, v, "decrypt", a.ShopLogin, a.APIKey, s)
				if r["TransactionResult"] != "XX" || r["ShopTransactionID"] != ref || r["_envelope"] != v {
					t.Fatalf("%s SOAP %s Decrypt before paying: %v", c.name, v, r)
				}
				e.pay(e.A, r["BankTransactionID"].(string), "4242424242424242")
				r = c.run(t, wsdl, v, "decrypt", a.ShopLogin, a.APIKey, s)
				buyer, _ := r["Buyer"].(map[string]any)
				if r["TransactionResult"] != "OK" || r["ErrorCode"] != "0" || r["ShopTransactionID"] != ref ||
					r["Amount"] != "12.34" || r["Currency"] != "242" || r["CustomInfo"] != "STORE_ID=1*P1*STORE_NAME=Negozio" ||
					r["ErrorDescription"] != "Transazione correttamente effettuata" ||
					buyer["BuyerName"] != "Mario Rossi" || buyer["BuyerEmail"] != "mario@example.com" {
					t.Fatalf("%s SOAP %s Decrypt after paying: %v", c.name, v, r)
				}
				// Another shop's credentials get a KO, not a fault.
				r = c.run(t, wsdl, v, "decrypt", e.B.App.ShopLogin, e.B.App.APIKey, s)
				if r["TransactionResult"] != "KO" || r["ErrorCode"] != "1136" {
					t.Fatalf("%s SOAP %s Decrypt by another shop: %v", c.name, v, r)
				}
			}
		}
	})
}

// s2s runs the client's WSs2s script: operation op with params, as the
// merchant's back office calls it.
func (c soapClient) s2s(t *testing.T, wsdl, version, op string, params map[string]string) map[string]any {
	t.Helper()
	script := strings.Replace(c.argv[1], "client.", "s2s.", 1)
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return soapClient{c.name, []string{c.argv[0], script}}.run(t, wsdl, version, op, string(b))
}

// TestRealClientsS2S: PHP's SoapClient and python's zeep read WSs2s's
// WSDL and run a shop's back office over SOAP 1.1 and 1.2: pay with a card,
// settle part of it, refund part of that, read the transaction with its
// events, then keep a card under a token, pay with it and delete it.
func TestRealClientsS2S(t *testing.T) {
	t.Parallel()
	clients := soapClients(t)
	if len(clients) == 0 {
		t.Skip("no SOAP client installed: apt-get install php-cli php-soap python3-zeep")
	}
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		e.manualCapture(e.A)
		a := e.A.App
		wsdl := e.URL + "/gestpay/GestPayWS/WsS2S.asmx?wsdl"
		for _, c := range clients {
			for _, v := range []string{"1.1", "1.2"} {
				ref := "S2S-" + c.name + "-" + v
				call := func(op string, params map[string]string) map[string]any {
					t.Helper()
					params["shopLogin"], params["apikey"] = a.ShopLogin, a.APIKey
					r := c.s2s(t, wsdl, v, op, params)
					if r["_envelope"] != v {
						t.Fatalf("%s %s went as SOAP %v", c.name, op, r["_envelope"])
					}
					return r
				}
				r := call("callPagamS2S", map[string]string{"uicCode": "242", "amount": "80.00", "shopTransactionId": ref,
					"cardNumber": "4775718800002026", "expiryMonth": "05", "expiryYear": "35", "cvv": "999",
					"buyerName": "Mario Rossi", "customInfo": "ORDER=77"})
				info, _ := r["CustomInfo"].(map[string]any)
				bank, _ := r["BankTransactionID"].(string)
				if r["TransactionType"] != "PAGAM" || r["TransactionResult"] != "OK" || bank == "" || info["ORDER"] != "77" {
					t.Fatalf("%s SOAP %s callPagamS2S: %v", c.name, v, r)
				}
				r = call("callSettleS2S", map[string]string{"uicCode": "242", "amount": "50.00", "shopTransID": ref, "bankTransID": bank})
				if r["TransactionResult"] != "OK" || r["BankTransactionID"] != bank {
					t.Fatalf("%s SOAP %s callSettleS2S: %v", c.name, v, r)
				}
				r = call("callRefundS2S", map[string]string{"uicCode": "242", "amount": "20.00", "shopTransactionId": ref,
					"bankTransactionId": bank})
				if r["TransactionResult"] != "OK" {
					t.Fatalf("%s SOAP %s callRefundS2S: %v", c.name, v, r)
				}
				r = call("callReadTrxS2S", map[string]string{"bankTransactionId": bank})
				events, _ := r["Events"].(map[string]any)
				list, _ := events["event"].([]any)
				var types []string
				for _, ev := range list {
					m, _ := ev.(map[string]any)
					types = append(types, fmt.Sprint(m["eventtype"], " ", m["eventamount"]))
				}
				if r["TransactionState"] != "STO" || strings.Join(types, ", ") != "AUT 80.00, MOV 50.00, STO 20.00" {
					t.Fatalf("%s SOAP %s callReadTrxS2S: %v (events %v)", c.name, v, r, types)
				}
				r = call("callRefundS2S", map[string]string{"uicCode": "242", "amount": "30.01", "bankTransactionId": bank})
				if r["TransactionResult"] != "KO" || r["ErrorCode"] != "2014" {
					t.Fatalf("%s SOAP %s refund past the settled amount: %v", c.name, v, r)
				}
				// A recurring customer: the card kept under a token, charged
				// with it, and the token deleted.
				r = call("CallRequestTokenS2S", map[string]string{"requestToken": "MASKEDPAN", "cardNumber": "5364000000000987",
					"expiryMonth": "05", "expiryYear": "35", "cvv": "999", "withAuth": "Y"})
				tok, _ := r["Token"].(string)
				if r["TransactionResult"] != "OK" || len(tok) != 16 || tok[:2] != "53" || tok[12:] != "0987" {
					t.Fatalf("%s SOAP %s CallRequestTokenS2S: %v", c.name, v, r)
				}
				r = call("callPagamS2S", map[string]string{"uicCode": "242", "amount": "15.00", "shopTransactionId": ref + "-T",
					"tokenValue": tok})
				if r["TransactionResult"] != "OK" || r["MaskedPAN"] != "536400******0987" {
					t.Fatalf("%s SOAP %s callPagamS2S with the token: %v", c.name, v, r)
				}
				if r = call("callDeleteTokenS2S", map[string]string{"tokenValue": tok}); r["TransactionResult"] != "OK" {
					t.Fatalf("%s SOAP %s callDeleteTokenS2S: %v", c.name, v, r)
				}
				r = call("callPagamS2S", map[string]string{"uicCode": "242", "amount": "15.00", "shopTransactionId": ref + "-T2",
					"tokenValue": tok})
				if r["TransactionResult"] != "KO" || r["ErrorCode"] != "1165" {
					t.Fatalf("%s SOAP %s callPagamS2S with a deleted token: %v", c.name, v, r)
				}
			}
		}
		e.ledgerBalanced()
	})
}
