package paypal_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/pasarela/pasarela"
)

// fakePayPal is a local NVP server that keeps PayPal's rules (one capture
// per authorization, refunds up to the captured amount, MSGSUBID replay),
// so that live mode is tested end to end with no outside network.
type fakePayPal struct {
	srv *httptest.Server

	mu        sync.Mutex
	seq       int
	checkouts map[string]*fakeCheckout // by EC token
	txns      map[string]*fakeTxn      // by transaction id
	replies   map[string]url.Values    // by method and MSGSUBID
	calls     []url.Values             // every request, credentials included
	// fail makes a method answer this Failure instead of working.
	fail map[string]url.Values
	// drop makes a method do its work and then hang up without an answer,
	// as a lost answer on a flaky network; the count is how many times.
	drop map[string]int
}

type fakeCheckout struct {
	amount, currency, action string
	payer                    string // set when the buyer approved
	txn                      string // set once paid
}

type fakeTxn struct {
	kind             string // sale, authorization, capture
	amount, refunded int64
	currency         string
	status           string // PayPal's PAYMENTSTATUS
	pendingReason    string
}

// Credentials the fake accepts.
const (
	fakeUser      = "merchant_api1.shop.example"
	fakePassword  = "pw-Zq81vX0s3cr3t"
	fakeSignature = "sig-AFcWxV21C7fd0v3bYYYRCpSSRl31A.Jz9lM"
)

func newFakePayPal(t *testing.T) *fakePayPal {
	f := &fakePayPal{checkouts: map[string]*fakeCheckout{}, txns: map[string]*fakeTxn{},
		replies: map[string]url.Values{}, fail: map[string]url.Values{}, drop: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func failure(code, message string) url.Values {
	return url.Values{"ACK": {"Failure"}, "L_ERRORCODE0": {code}, "L_SHORTMESSAGE0": {"Error"}, "L_LONGMESSAGE0": {message}, "L_SEVERITYCODE0": {"Error"}}
}

func success(kv ...string) url.Values {
	v := url.Values{"ACK": {"Success"}, "VERSION": {"204"}, "CORRELATIONID": {"fakecorrelation"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func (f *fakePayPal) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.RawQuery != "" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		http.Error(w, "NVP calls are form POSTs with nothing in the URL", http.StatusBadRequest)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in := r.PostForm
	f.mu.Lock()
	f.calls = append(f.calls, in)
	reply, drop := f.handle(in)
	f.mu.Unlock()
	if drop {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, reply.Encode())
}

// handle answers one call; f.mu is held.
func (f *fakePayPal) handle(in url.Values) (url.Values, bool) {
	method := in.Get("METHOD")
	if in.Get("USER") != fakeUser || in.Get("PWD") != fakePassword || in.Get("SIGNATURE") != fakeSignature {
		return failure("10002", "Security header is not valid"), false
	}
	if in.Get("VERSION") != "204" {
		return failure("10004", "Version is not supported"), false
	}
	if v, ok := f.fail[method]; ok {
		return v, false
	}
	key := method + "/" + in.Get("MSGSUBID")
	if in.Get("MSGSUBID") != "" {
		if v, ok := f.replies[key]; ok {
			return v, false // PayPal's idempotency: the first answer again
		}
	}
	reply := f.work(method, in)
	if in.Get("MSGSUBID") != "" && reply.Get("ACK") == "Success" {
		f.replies[key] = reply
	}
	if f.drop[method] > 0 {
		f.drop[method]--
		return nil, true
	}
	return reply, false
}

func (f *fakePayPal) id(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%017d", prefix, f.seq)[:len(prefix)+17]
}

func minor(amt, currency string) (int64, error) {
	c, ok := pasarela.LookupCurrency(currency)
	if !ok {
		return 0, fmt.Errorf("currency %q", currency)
	}
	if currency == "HUF" {
		c.Scale = 0
	}
	return pasarela.ParseMajor("AMT", amt, c)
}

func (f *fakePayPal) work(method string, in url.Values) url.Values {
	switch method {
	case "SetExpressCheckout":
		action := in.Get("PAYMENTREQUEST_0_PAYMENTACTION")
		if in.Get("RETURNURL") == "" || in.Get("CANCELURL") == "" || (action != "Sale" && action != "Authorization") {
			return failure("10472", "ReturnURL, CancelURL and PaymentAction are required")
		}
		if _, err := minor(in.Get("PAYMENTREQUEST_0_AMT"), in.Get("PAYMENTREQUEST_0_CURRENCYCODE")); err != nil {
			return failure("10413", "Invalid amount")
		}
		token := "EC-" + f.id("")
		f.checkouts[token] = &fakeCheckout{amount: in.Get("PAYMENTREQUEST_0_AMT"),
			currency: in.Get("PAYMENTREQUEST_0_CURRENCYCODE"), action: action}
		return success("TOKEN", token)

	case "GetExpressCheckoutDetails":
		co, ok := f.checkouts[in.Get("TOKEN")]
		if !ok {
			return failure("10410", "Invalid token")
		}
		status := "PaymentActionNotInitiated"
		if co.txn != "" {
			status = "PaymentActionCompleted"
		}
		return success("TOKEN", in.Get("TOKEN"), "PAYERID", co.payer, "CHECKOUTSTATUS", status,
			"PAYMENTREQUEST_0_TRANSACTIONID", co.txn)

	case "DoExpressCheckoutPayment":
		co, ok := f.checkouts[in.Get("TOKEN")]
		switch {
		case !ok:
			return failure("10410", "Invalid token")
		case co.payer == "" || in.Get("PAYERID") != co.payer:
			return failure("10419", "Express Checkout PayerID is missing")
		case co.txn != "":
			return failure("10415", "A successful transaction has already been completed for this token")
		case in.Get("PAYMENTREQUEST_0_AMT") != co.amount || in.Get("PAYMENTREQUEST_0_CURRENCYCODE") != co.currency ||
			in.Get("PAYMENTREQUEST_0_PAYMENTACTION") != co.action:
			return failure("10413", "The amounts, currency or action differ from SetExpressCheckout")
		}
		amount, _ := minor(co.amount, co.currency)
		t := &fakeTxn{kind: "sale", amount: amount, currency: co.currency, status: "Completed"}
		if co.action == "Authorization" {
			t.kind, t.status, t.pendingReason = "authorization", "Pending", "authorization"
		}
		co.txn = f.id("TX")
		f.txns[co.txn] = t
		return success("TOKEN", in.Get("TOKEN"), "PAYMENTINFO_0_TRANSACTIONID", co.txn,
			"PAYMENTINFO_0_PAYMENTSTATUS", t.status, "PAYMENTINFO_0_PENDINGREASON", t.pendingReason,
			"PAYMENTINFO_0_AMT", co.amount, "PAYMENTINFO_0_ACK", "Success")

	case "DoCapture":
		auth, ok := f.txns[in.Get("AUTHORIZATIONID")]
		if !ok || auth.kind != "authorization" {
			return failure("10609", "Transaction id is invalid")
		}
		if auth.status != "Pending" {
			return failure("10602", "Authorization has already been completed")
		}
		amount, err := minor(in.Get("AMT"), in.Get("CURRENCYCODE"))
		if err != nil || in.Get("CURRENCYCODE") != auth.currency || in.Get("COMPLETETYPE") != "Complete" {
			return failure("10610", "Amount, currency or complete type is invalid")
		}
		if amount > auth.amount {
			return failure("10610", "Amount specified exceeds allowable limit")
		}
		auth.status, auth.pendingReason = "Completed", ""
		id := f.id("CP")
		f.txns[id] = &fakeTxn{kind: "capture", amount: amount, currency: auth.currency, status: "Completed"}
		return success("AUTHORIZATIONID", in.Get("AUTHORIZATIONID"), "TRANSACTIONID", id,
			"PAYMENTSTATUS", "Completed", "AMT", in.Get("AMT"))

	case "DoVoid":
		auth, ok := f.txns[in.Get("AUTHORIZATIONID")]
		if !ok || auth.kind != "authorization" {
			return failure("10609", "Transaction id is invalid")
		}
		switch auth.status {
		case "Voided":
			return failure("10600", "Authorization is voided")
		case "Pending":
			auth.status, auth.pendingReason = "Voided", ""
			return success("AUTHORIZATIONID", in.Get("AUTHORIZATIONID"))
		}
		return failure("10602", "Authorization has already been completed")

	case "RefundTransaction":
		t, ok := f.txns[in.Get("TRANSACTIONID")]
		if !ok || t.kind == "authorization" {
			return failure("10004", "The transaction id is not valid")
		}
		var amount int64
		switch in.Get("REFUNDTYPE") {
		case "Full":
			if in.Get("AMT") != "" || t.refunded > 0 {
				return failure("10009", "You can not refund this type of transaction: Full with an amount or after a partial refund")
			}
			amount = t.amount
		case "Partial":
			var err error
			amount, err = minor(in.Get("AMT"), in.Get("CURRENCYCODE"))
			if err != nil || in.Get("CURRENCYCODE") != t.currency {
				return failure("10009", "The partial refund amount is not valid")
			}
		default:
			return failure("10009", "RefundType is invalid")
		}
		if t.refunded+amount > t.amount {
			return failure("10009", "The partial refund amount must be less than or equal to the remaining amount")
		}
		t.refunded += amount
		t.status = "Partially-Refunded"
		if t.refunded == t.amount {
			t.status = "Refunded"
		}
		return success("REFUNDTRANSACTIONID", f.id("RF"), "REFUNDSTATUS", "Instant",
			"GROSSREFUNDAMT", fmt.Sprintf("%d.%02d", amount/100, amount%100),
			"TOTALREFUNDEDAMOUNT", fmt.Sprintf("%d.%02d", t.refunded/100, t.refunded%100))

	case "GetTransactionDetails":
		t, ok := f.txns[in.Get("TRANSACTIONID")]
		if !ok {
			return failure("10004", "The transaction id is not valid")
		}
		return success("TRANSACTIONID", in.Get("TRANSACTIONID"), "PAYMENTSTATUS", t.status,
			"PENDINGREASON", t.pendingReason, "AMT", fmt.Sprintf("%d.%02d", t.amount/100, t.amount%100),
			"CURRENCYCODE", t.currency)
	}
	return failure("81002", "Method Specified is not Supported")
}

// approve is the buyer approving the token on PayPal's page.
func (f *fakePayPal) approve(t *testing.T, token string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	co, ok := f.checkouts[token]
	if !ok {
		t.Fatalf("the fake PayPal has no checkout %q", token)
	}
	co.payer = "PAYER" + strings.ToUpper(token[len(token)-8:])
}

// txnOf returns the transaction a token was paid with.
func (f *fakePayPal) txnOf(token string) *fakeTxn {
	f.mu.Lock()
	defer f.mu.Unlock()
	if co, ok := f.checkouts[token]; ok {
		return f.txns[co.txn]
	}
	return nil
}

// set changes the fake under its lock.
func (f *fakePayPal) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// methods lists the calls made so far, and callsOf the requests of one.
func (f *fakePayPal) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Get("METHOD"))
	}
	return out
}

func (f *fakePayPal) callsOf(method string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, c := range f.calls {
		if c.Get("METHOD") == method {
			out = append(out, c)
		}
	}
	return out
}
