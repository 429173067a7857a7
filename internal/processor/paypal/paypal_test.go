package paypal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/processortest"
)

var (
	sandboxConfig = processor.Config{"sandbox": true, "username": fakeUser, "password": fakePassword, "signature": fakeSignature}
	liveConfig    = processor.Config{"sandbox": false, "username": fakeUser, "password": fakePassword, "signature": fakeSignature}
)

// noNetwork fails the test on any HTTP call: sandbox mode must make none.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("sandbox mode called %s", r.URL)
	return nil, errors.New("no network in sandbox mode")
}

func newSandbox(t *testing.T, state processor.State) *paypal.Processor {
	p := paypal.New(state)
	p.Client = &http.Client{Transport: noNetwork{t}}
	return p
}

func newLive(f *fakePayPal, state processor.State) *paypal.Processor {
	p := paypal.New(state)
	p.Endpoint = f.srv.URL
	p.Client = f.srv.Client()
	return p
}

func TestSuiteSandbox(t *testing.T) {
	processortest.Run(t, processortest.Harness{
		New: func(t *testing.T, state processor.State) processor.Processor {
			return newSandbox(t, state)
		},
		Config: sandboxConfig,
	})
}

// TestSuiteLive runs the same suite over NVP against the fake PayPal: the
// core must not be able to tell the modes apart.
func TestSuiteLive(t *testing.T) {
	f := newFakePayPal(t)
	processortest.Run(t, processortest.Harness{
		New: func(t *testing.T, state processor.State) processor.Processor {
			return newLive(f, state)
		},
		Config:  liveConfig,
		Approve: func(t *testing.T, res processor.Result) { f.approve(t, res.Ref) },
	})
}

// MustAuthorize starts a PayPal charge of 10.00 EUR.
func MustAuthorize(t *testing.T, p *paypal.Processor, cfg processor.Config, capture bool) processor.Result {
	t.Helper()
	res, err := p.Authorize(context.Background(), cfg, processor.Charge{Reference: "pay_1", Amount: 1000,
		Currency: "EUR", Description: "Order 42", Capture: capture, ReturnURL: "https://shop.example/return?p=1"})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	if res.Outcome != processor.RequiresAction || res.Action != processor.ActionApproval {
		t.Fatalf("Authorize: got %+v, want requires_action approval", res)
	}
	return res
}

func TestSandboxFlow(t *testing.T) {
	tests := []struct {
		name     string
		cfg      processor.Config
		approved bool
		capture  bool
		want     processor.Outcome
		code     string
	}{
		{"approved sale", sandboxConfig, true, true, processor.Captured, ""},
		{"approved authorization", sandboxConfig, true, false, processor.Authorized, ""},
		{"canceled", sandboxConfig, false, true, processor.Declined, processor.CodeBuyerCanceled},
		// A config without the option is in sandbox mode, never live.
		{"no sandbox option", processor.Config{"username": "u"}, true, true, processor.Captured, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p := newSandbox(t, &processortest.MemoryState{})
			res := MustAuthorize(t, p, tt.cfg, tt.capture)
			// The approval page is the gateway's own: there is no outside URL.
			if !strings.HasPrefix(res.Ref, "EC-") || len(res.Ref) != 20 || res.ActionURL != "" {
				t.Fatalf("got ref %q, action URL %q; want an EC- token and no outside page", res.Ref, res.ActionURL)
			}
			got, err := p.Resume(ctx, tt.cfg, res.Ref, tt.approved)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tt.want || got.Code != tt.code || got.Ref != res.Ref {
				t.Fatalf("Resume: got %+v, want %s %q", got, tt.want, tt.code)
			}
		})
	}
}

func TestTokenizeRefused(t *testing.T) {
	_, err := paypal.New(&processortest.MemoryState{}).Tokenize(context.Background(), sandboxConfig,
		processor.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2040, CVC: "123"})
	if pasarela.ErrorKind(err) != pasarela.KindInvalid {
		t.Fatalf("got %v, want an invalid-kind error", err)
	}
}

// TestLiveFlow follows the NVP calls of a sale, refunded in two parts,
// and checks what PayPal is told at each step.
func TestLiveFlow(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, true)

	set := f.callsOf("SetExpressCheckout")
	if len(set) != 1 {
		t.Fatalf("SetExpressCheckout called %d times", len(set))
	}
	for k, want := range map[string]string{
		"VERSION": "204", "PAYMENTREQUEST_0_AMT": "10.00", "PAYMENTREQUEST_0_CURRENCYCODE": "EUR",
		"PAYMENTREQUEST_0_PAYMENTACTION": "Sale", "PAYMENTREQUEST_0_CUSTOM": "pay_1", "PAYMENTREQUEST_0_DESC": "Order 42",
		"RETURNURL": "https://shop.example/return?p=1", "CANCELURL": "https://shop.example/return?p=1",
	} {
		if got := set[0].Get(k); got != want {
			t.Errorf("SetExpressCheckout %s = %q, want %q", k, got, want)
		}
	}
	if want := paypal.DefaultApprovalURL + url.QueryEscape(res.Ref); res.ActionURL != want || !strings.HasPrefix(res.Ref, "EC-") {
		t.Fatalf("got ref %q action URL %q, want PayPal's page %q", res.Ref, res.ActionURL, want)
	}

	f.approve(t, res.Ref)
	got, err := p.Resume(ctx, liveConfig, res.Ref, true)
	if err != nil || got.Outcome != processor.Captured || got.Amount != 1000 || got.Ref != res.Ref {
		t.Fatalf("Resume: got %+v, %v; want captured 1000 under the token", got, err)
	}
	do := f.callsOf("DoExpressCheckoutPayment")
	if len(do) != 1 || do[0].Get("TOKEN") != res.Ref || do[0].Get("PAYERID") == "" || do[0].Get("MSGSUBID") == "" {
		t.Fatalf("DoExpressCheckoutPayment calls: %v", do)
	}

	for _, part := range []int64{300, 700} {
		if r, err := p.Refund(ctx, liveConfig, res.Ref, part, ""); err != nil || r.Outcome != processor.Refunded || r.Amount != part {
			t.Fatalf("Refund(%d): got %+v, %v", part, r, err)
		}
	}
	refunds := f.callsOf("RefundTransaction")
	if len(refunds) != 2 || refunds[0].Get("REFUNDTYPE") != "Partial" || refunds[0].Get("AMT") != "3.00" ||
		refunds[1].Get("AMT") != "7.00" || refunds[0].Get("MSGSUBID") == refunds[1].Get("MSGSUBID") {
		t.Fatalf("RefundTransaction calls: %v", refunds)
	}
	if txn := f.txnOf(res.Ref); txn.status != "Refunded" || txn.refunded != 1000 {
		t.Fatalf("PayPal holds %+v, want fully refunded", txn)
	}
	st, err := p.Status(ctx, liveConfig, res.Ref)
	if err != nil || st.Outcome != processor.Refunded || st.Amount != 1000 {
		t.Fatalf("Status: got %+v, %v", st, err)
	}
	want := []string{"SetExpressCheckout", "GetExpressCheckoutDetails", "DoExpressCheckoutPayment",
		"RefundTransaction", "RefundTransaction", "GetTransactionDetails"}
	if got := f.methods(); !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

// TestLiveAuthorization holds, captures part and refunds in full: DoCapture
// closes the authorization, and a refund of all of a capture is Full.
func TestLiveAuthorization(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, false)
	if got := f.callsOf("SetExpressCheckout")[0].Get("PAYMENTREQUEST_0_PAYMENTACTION"); got != "Authorization" {
		t.Fatalf("payment action %q, want Authorization", got)
	}
	f.approve(t, res.Ref)
	if got, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil || got.Outcome != processor.Authorized {
		t.Fatalf("Resume: %+v, %v", got, err)
	}
	if got, err := p.Capture(ctx, liveConfig, res.Ref, 800); err != nil || got.Outcome != processor.Captured || got.Amount != 800 {
		t.Fatalf("Capture: %+v, %v", got, err)
	}
	capture := f.callsOf("DoCapture")[0]
	if capture.Get("AMT") != "8.00" || capture.Get("COMPLETETYPE") != "Complete" || capture.Get("AUTHORIZATIONID") == "" {
		t.Fatalf("DoCapture: %v", capture)
	}
	if got, err := p.Refund(ctx, liveConfig, res.Ref, 800, ""); err != nil || got.Amount != 800 {
		t.Fatalf("Refund: %+v, %v", got, err)
	}
	refund := f.callsOf("RefundTransaction")[0]
	if refund.Get("REFUNDTYPE") != "Full" || refund.Has("AMT") || refund.Get("TRANSACTIONID") == capture.Get("AUTHORIZATIONID") {
		t.Fatalf("RefundTransaction: %v; want a Full refund of the capture, not of the authorization", refund)
	}
}

// TestLiveVoid: Cancel is DoVoid, and an authorization PayPal voided
// already (a lost answer) counts as canceled.
func TestLiveVoid(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, false)
	f.approve(t, res.Ref)
	if _, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil {
		t.Fatal(err)
	}
	f.set(func() { f.drop["DoVoid"] = 1 })
	if _, err := p.Cancel(ctx, liveConfig, res.Ref); pasarela.ErrorKind(err) != pasarela.KindUnavailable {
		t.Fatalf("Cancel with a lost answer: %v, want unavailable", err)
	}
	got, err := p.Cancel(ctx, liveConfig, res.Ref)
	if err != nil || got.Outcome != processor.Canceled || got.Amount != 1000 {
		t.Fatalf("Cancel retried: %+v, %v", got, err)
	}
}

// TestLiveDeclines covers PayPal's refusals: a decline is a Result with
// PayPal's message, retryable only for PayPal's own trouble, and wrong
// credentials are an error for the merchant, not a decline for the buyer.
func TestLiveDeclines(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		code      string
		message   string
		kind      pasarela.Kind // of the error; KindInternal (zero) means a decline
		want      string
		retryable bool
	}{
		{"instrument declined", "DoExpressCheckoutPayment", "10417", "Instruct the customer to use an alternative payment method", 0, processor.CodeCardDeclined, false},
		{"paypal trouble", "DoExpressCheckoutPayment", "10001", "Internal Error", 0, processor.CodeProcessingError, true},
		{"token expired", "GetExpressCheckoutDetails", "10411", "This Express Checkout session has expired", 0, processor.CodeCardDeclined, false},
		{"credentials", "DoExpressCheckoutPayment", "10002", "Security header is not valid", pasarela.KindUnavailable, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakePayPal(t)
			p := newLive(f, &processortest.MemoryState{})
			res := MustAuthorize(t, p, liveConfig, true)
			f.approve(t, res.Ref)
			f.set(func() { f.fail[tt.method] = failure(tt.code, tt.message) })
			got, err := p.Resume(ctx, liveConfig, res.Ref, true)
			if tt.kind != 0 {
				var e *pasarela.Error
				if !errors.As(err, &e) || e.Kind != tt.kind || e.Code != "processor_credentials" {
					t.Fatalf("got %+v, %v; want a %s error", got, err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != processor.Declined || got.Code != tt.want || got.Message != tt.message || got.Retryable != tt.retryable {
				t.Fatalf("got %+v, want declined %q with PayPal's message, retryable %v", got, tt.want, tt.retryable)
			}
			if st, err := p.Status(ctx, liveConfig, res.Ref); err != nil || st.Outcome != processor.Declined || st.Code != tt.want {
				t.Fatalf("Status: %+v, %v; the decline must be kept", st, err)
			}
		})
	}
}

// TestLiveSetExpressCheckoutFailure: PayPal refusing to start is a decline
// with no ref, for nothing was created.
func TestLiveSetExpressCheckoutFailure(t *testing.T) {
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	f.set(func() {
		f.fail["SetExpressCheckout"] = failure("10413", "The totals of the cart item amounts do not match order amounts.")
	})
	res, err := p.Authorize(context.Background(), liveConfig, processor.Charge{Amount: 1000, Currency: "EUR", Capture: true, ReturnURL: "https://shop.example/r"})
	if err != nil || res.Outcome != processor.Declined || res.Ref != "" || !strings.Contains(res.Message, "totals") {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// TestLiveForgedReturn: a buyer coming back with a made-up PayerID, or the
// core told "approved" when PayPal never saw an approval, takes no money.
func TestLiveForgedReturn(t *testing.T) {
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, true)
	got, err := p.Resume(context.Background(), liveConfig, res.Ref, true)
	if err != nil || got.Outcome != processor.Declined || got.Code != processor.CodeBuyerCanceled {
		t.Fatalf("got %+v, %v; want declined buyer_canceled", got, err)
	}
	if n := len(f.callsOf("DoExpressCheckoutPayment")); n != 0 {
		t.Fatalf("DoExpressCheckoutPayment called %d times for an unapproved token", n)
	}
}

// TestLiveLostAnswer: PayPal does the work and the answer is lost. The
// retry carries the same MSGSUBID, so PayPal answers the first result
// instead of paying or refunding twice.
func TestLiveLostAnswer(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, true)
	f.approve(t, res.Ref)

	f.set(func() { f.drop["DoExpressCheckoutPayment"] = 1 })
	if _, err := p.Resume(ctx, liveConfig, res.Ref, true); pasarela.ErrorKind(err) != pasarela.KindUnavailable {
		t.Fatalf("Resume with a lost answer: %v, want unavailable", err)
	}
	if got, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil || got.Outcome != processor.Captured {
		t.Fatalf("Resume retried: %+v, %v", got, err)
	}

	f.set(func() { f.drop["RefundTransaction"] = 1 })
	if _, err := p.Refund(ctx, liveConfig, res.Ref, 300, ""); pasarela.ErrorKind(err) != pasarela.KindUnavailable {
		t.Fatalf("Refund with a lost answer: %v, want unavailable", err)
	}
	if got, err := p.Refund(ctx, liveConfig, res.Ref, 300, ""); err != nil || got.Amount != 300 {
		t.Fatalf("Refund retried: %+v, %v", got, err)
	}
	if txn := f.txnOf(res.Ref); txn.refunded != 300 {
		t.Fatalf("PayPal refunded %d, want 300 once", txn.refunded)
	}
	refunds := f.callsOf("RefundTransaction")
	if len(refunds) != 2 || refunds[0].Get("MSGSUBID") != refunds[1].Get("MSGSUBID") {
		t.Fatalf("the retry did not reuse the MSGSUBID: %v", refunds)
	}
	// A new refund after the settled one is a new message.
	if _, err := p.Refund(ctx, liveConfig, res.Ref, 300, ""); err != nil {
		t.Fatal(err)
	}
	if txn := f.txnOf(res.Ref); txn.refunded != 600 {
		t.Fatalf("PayPal refunded %d, want 600", txn.refunded)
	}
}

// TestLiveStatus maps what PayPal says of a payment, including what
// happened on PayPal's side only.
func TestLiveStatus(t *testing.T) {
	tests := []struct {
		paypal, reason string
		want           processor.Outcome
		amount         int64
	}{
		{"Completed", "", processor.Captured, 1000},
		{"Pending", "echeck", processor.Captured, 1000},
		{"Refunded", "", processor.Refunded, 1000},
		{"Reversed", "", processor.Refunded, 1000},
		{"Denied", "", processor.Declined, 0},
		{"In-Progress", "", processor.Captured, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.paypal, func(t *testing.T) {
			ctx := context.Background()
			f := newFakePayPal(t)
			p := newLive(f, &processortest.MemoryState{})
			res := MustAuthorize(t, p, liveConfig, true)
			f.approve(t, res.Ref)
			if _, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil {
				t.Fatal(err)
			}
			txn := f.txnOf(res.Ref)
			f.set(func() { txn.status, txn.pendingReason = tt.paypal, tt.reason })
			got, err := p.Status(ctx, liveConfig, res.Ref)
			if err != nil || got.Outcome != tt.want || got.Amount != tt.amount {
				t.Fatalf("got %+v, %v; want %s of %d", got, err, tt.want, tt.amount)
			}
		})
	}
	// An authorization PayPal let expire is canceled.
	ctx := context.Background()
	f := newFakePayPal(t)
	p := newLive(f, &processortest.MemoryState{})
	res := MustAuthorize(t, p, liveConfig, false)
	f.approve(t, res.Ref)
	if _, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil {
		t.Fatal(err)
	}
	txn := f.txnOf(res.Ref)
	f.set(func() { txn.status = "Expired" })
	if got, err := p.Status(ctx, liveConfig, res.Ref); err != nil || got.Outcome != processor.Canceled || got.Amount != 1000 {
		t.Fatalf("expired authorization: %+v, %v", got, err)
	}
}

func TestLiveConfigErrors(t *testing.T) {
	f := newFakePayPal(t)
	tests := []struct {
		name  string
		cfg   processor.Config
		ret   string
		field string
	}{
		{"no password", processor.Config{"sandbox": false, "username": fakeUser, "signature": fakeSignature}, "https://s.example/r", "password"},
		{"no signature", processor.Config{"sandbox": false, "username": fakeUser, "password": fakePassword}, "https://s.example/r", "signature"},
		{"no return URL", liveConfig, "", "return_url"},
	}
	for _, tt := range tests {
		p := newLive(f, &processortest.MemoryState{})
		_, err := p.Authorize(context.Background(), tt.cfg, processor.Charge{Amount: 1000, Currency: "EUR", ReturnURL: tt.ret})
		var e *pasarela.Error
		if !errors.As(err, &e) || e.Kind != pasarela.KindInvalid || e.Field != tt.field {
			t.Errorf("%s: got %v, want invalid on %s", tt.name, err, tt.field)
		}
	}
	if n := len(f.methods()); n != 0 {
		t.Fatalf("%d calls reached PayPal with a broken config", n)
	}
}

// TestCurrencies: PayPal takes fewer currencies than the gateway knows, and
// some without decimals.
func TestCurrencies(t *testing.T) {
	f := newFakePayPal(t)
	tests := []struct {
		currency string
		amount   int64
		amt      string // sent to PayPal; "" means refused before
	}{
		{"EUR", 1050, "10.50"},
		{"JPY", 1050, "1050"},
		{"HUF", 105000, "1050"},
		{"HUF", 1050, ""}, // 10.50 HUF: PayPal takes whole forints only
		{"KWD", 1000, ""}, // not a PayPal currency
		{"BTC", 1000, ""},
	}
	for _, tt := range tests {
		p := newLive(f, &processortest.MemoryState{})
		before := len(f.callsOf("SetExpressCheckout"))
		_, err := p.Authorize(context.Background(), liveConfig, processor.Charge{Amount: tt.amount, Currency: tt.currency, ReturnURL: "https://s.example/r"})
		calls := f.callsOf("SetExpressCheckout")
		if tt.amt == "" {
			if pasarela.ErrorKind(err) != pasarela.KindInvalid || len(calls) != before {
				t.Errorf("%d %s: got %v, want refused before calling PayPal", tt.amount, tt.currency, err)
			}
			continue
		}
		if err != nil || calls[len(calls)-1].Get("PAYMENTREQUEST_0_AMT") != tt.amt {
			t.Errorf("%d %s: got %v, want AMT %s", tt.amount, tt.currency, err, tt.amt)
		}
	}
}

// TestSecretsNeverLeak runs every way a call can go wrong, including an
// endpoint that echoes the request back, and looks for the password and
// signature in everything the processor answers and stores.
func TestSecretsNeverLeak(t *testing.T) {
	echo := func(status int, prefix string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(r.Body)
			w.WriteHeader(status)
			fmt.Fprint(w, prefix+body.String())
		}
	}
	tests := []struct {
		name    string
		handler http.Handler
	}{
		{"HTTP 500 echoing the request", echo(http.StatusInternalServerError, "")},
		{"not NVP, echoing the request", echo(http.StatusOK, "%%%")},
		{"NVP without ACK, echoing the request", echo(http.StatusOK, "FOO=1&")},
		{"a failure whose message quotes the request", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			v := failure("10417", "bad request: PWD="+r.PostForm.Get("PWD")+" SIGNATURE="+r.PostForm.Get("SIGNATURE"))
			fmt.Fprint(w, v.Encode())
		})},
		{"a failure on credentials", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, failure("10002", "Security header is not valid").Encode())
		})},
		{"hung up", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			state := &processortest.MemoryState{}
			p := paypal.New(state)
			p.Endpoint = srv.URL + "/nvp?user=" + url.QueryEscape(fakePassword) // even a careless endpoint
			res, err := p.Authorize(context.Background(), liveConfig, processor.Charge{Amount: 1000, Currency: "EUR", ReturnURL: "https://s.example/r"})
			seen := fmt.Sprintf("%v %+v %#v", err, res, err)
			for e := err; e != nil; e = errors.Unwrap(e) {
				seen += " " + e.Error()
			}
			for _, v := range state.Snapshot() {
				seen += " " + string(v)
			}
			for _, secret := range []string{fakePassword, fakeSignature, url.QueryEscape(fakePassword), url.QueryEscape(fakeSignature)} {
				if strings.Contains(seen, secret) {
					t.Fatalf("a secret leaked: %s", seen)
				}
			}
			if err == nil && res.Outcome != processor.Declined {
				t.Fatalf("got %+v, want an error or a decline", res)
			}
		})
	}
}

// TestStateHoldsNoSecrets: the records of a whole live payment keep no
// credential.
func TestStateHoldsNoSecrets(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	state := &processortest.MemoryState{}
	p := newLive(f, state)
	res := MustAuthorize(t, p, liveConfig, true)
	f.approve(t, res.Ref)
	if _, err := p.Resume(ctx, liveConfig, res.Ref, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refund(ctx, liveConfig, res.Ref, 100, ""); err != nil {
		t.Fatal(err)
	}
	for k, v := range state.Snapshot() {
		if bytes.Contains(v, []byte(fakePassword)) || bytes.Contains(v, []byte(fakeSignature)) || bytes.Contains(v, []byte(fakeUser)) {
			t.Fatalf("%s holds a credential: %s", k, v)
		}
	}
}

// TestLiveRecoverAfterCrash: the process that sent DoExpressCheckoutPayment
// dies before the answer. Another process (the core's reconciler) asks
// Status: PayPal's GetExpressCheckoutDetails says the checkout completed,
// and the charge is recorded as paid without paying again. A refund whose
// answer was lost is retried under the core's key by another process, and
// PayPal sees the same MSGSUBID.
func TestLiveRecoverAfterCrash(t *testing.T) {
	ctx := context.Background()
	f := newFakePayPal(t)
	state := &processortest.MemoryState{}
	p := newLive(f, state)
	res, err := p.Authorize(ctx, liveConfig, processor.Charge{Reference: "pay_9", Amount: 1000, Currency: "EUR",
		Capture: true, ReturnURL: "https://shop.example/return", IdempotencyKey: "pay_9-v2-c1"})
	if err != nil {
		t.Fatal(err)
	}
	f.approve(t, res.Ref)
	f.set(func() { f.drop["DoExpressCheckoutPayment"] = 1 })
	if _, err := p.Resume(ctx, liveConfig, res.Ref, true); pasarela.ErrorKind(err) != pasarela.KindUnavailable {
		t.Fatalf("Resume with a lost answer: %v, want unavailable", err)
	}

	after := newLive(f, state) // the process died; another one asks
	got, err := after.Status(ctx, liveConfig, res.Ref)
	if err != nil || got.Outcome != processor.Captured || got.Amount != 1000 {
		t.Fatalf("Status after the crash: %+v, %v; want captured 1000", got, err)
	}
	if got, err := after.Lookup(ctx, liveConfig, "pay_9-v2-c1"); err != nil || got.Outcome != processor.Captured || got.Ref != res.Ref {
		t.Fatalf("Lookup after the crash: %+v, %v; want the captured charge", got, err)
	}
	if n := len(f.callsOf("DoExpressCheckoutPayment")); n != 1 {
		t.Fatalf("DoExpressCheckoutPayment called %d times, want 1", n)
	}

	f.set(func() { f.drop["RefundTransaction"] = 1 })
	if _, err := after.Refund(ctx, liveConfig, res.Ref, 400, "pay_9-r7"); pasarela.ErrorKind(err) != pasarela.KindUnavailable {
		t.Fatalf("Refund with a lost answer: %v, want unavailable", err)
	}
	again := newLive(f, state)
	if got, err := again.Refund(ctx, liveConfig, res.Ref, 400, "pay_9-r7"); err != nil || got.Amount != 400 {
		t.Fatalf("Refund retried: %+v, %v", got, err)
	}
	if got, err := again.Refund(ctx, liveConfig, res.Ref, 400, "pay_9-r7"); err != nil || got.Amount != 400 {
		t.Fatalf("Refund repeated: %+v, %v", got, err)
	}
	calls := f.callsOf("RefundTransaction")
	if len(calls) != 2 || calls[0].Get("MSGSUBID") != "pay_9-r7" || calls[1].Get("MSGSUBID") != "pay_9-r7" {
		t.Fatalf("RefundTransaction calls %v; want two with MSGSUBID pay_9-r7", calls)
	}
	if txn := f.txnOf(res.Ref); txn.refunded != 400 {
		t.Fatalf("PayPal refunded %d, want 400 once", txn.refunded)
	}
}

// TestLiveNotSent: a PayPal nobody could connect to never saw the call, and
// says so (processor.ErrNotSent), so the core may try elsewhere at once; an
// answer that breaks off once the request was sent leaves the outcome open.
func TestLiveNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/nvp"
	ln.Close() // nothing listens there any more: connecting is refused
	p := paypal.New(&processortest.MemoryState{})
	p.Endpoint = closed
	ch := processor.Charge{Amount: 1000, Currency: "EUR", Capture: true, ReturnURL: "https://shop.example/r"}
	if _, err := p.Authorize(context.Background(), liveConfig, ch); !errors.Is(err, processor.ErrNotSent) {
		t.Fatalf("connection refused: %v, want ErrNotSent", err)
	}

	hangup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // the request arrived; the answer never leaves
		}
	}))
	defer hangup.Close()
	p.Endpoint = hangup.URL
	if _, err := p.Authorize(context.Background(), liveConfig, ch); err == nil || errors.Is(err, processor.ErrNotSent) {
		t.Fatalf("answer broken off: %v, want an error that is not ErrNotSent", err)
	}
}
