package core_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// Racing requests start together at a barrier; run with -race. Each test
// checks what the merchant and the ledger see afterwards, not only the
// answers.

// sandboxCharges counts the charges the sandbox keeps for a payment.
func (e *env) sandboxCharges(p *pasarela.Payment) int {
	e.t.Helper()
	rows, err := e.db.Raw.QueryContext(e.ctx, `SELECT value FROM processor_state WHERE processor = 'sandbox' AND key LIKE 'charge:%'`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v []byte
		if err := rows.Scan(&v); err != nil {
			e.t.Fatal(err)
		}
		var c sandbox.ChargeRecord
		if err := json.Unmarshal(v, &c); err != nil {
			e.t.Fatal(err)
		}
		if c.Reference == p.TransactionID {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestRaceDoublePay: many presses of Pay on one payment, on its own page
// and on a link at once, charge once.
func TestRaceDoublePay(t *testing.T) {
	t.Parallel()
	const presses = 8
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		for round := range 4 {
			p := e.MustPayment(core.PaymentInput{})
			link := e.MustLink(p.ID, cfg.ID)
			errs := make([]error, presses)
			barrier(presses, func(i int) {
				token := p.CheckoutToken
				if i%2 == 1 {
					token = link.Token
				}
				_, errs[i] = e.svc.PayWithCard(e.ctx, token, card(cardVisa))
			})
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
					continue
				}
				wantErr(t, "losing press", err, pasarela.KindInvalid, "not_payable")
			}
			if won != 1 {
				t.Errorf("round %d: %d presses succeeded, want 1 (%v)", round, won, errs)
			}
			pay := e.MustGet(p.ID).Payment
			if pay.Status != pasarela.StatusCompleted || pay.Captured != pay.Amount {
				t.Errorf("round %d: %s captured %d", round, pay.Status, pay.Captured)
			}
			if got := e.postings(p.ID); len(got) != 1 {
				t.Errorf("round %d: postings %v, want one capture", round, got)
			}
			if n := e.sandboxCharges(p); n != 1 {
				t.Errorf("round %d: the sandbox has %d charges for the payment, want 1", round, n)
			}
		}
		if got, want := e.balance(clearing("sandbox")), int64(-4*1050); got != want {
			t.Errorf("clearing %d, want %d", got, want)
		}
	})
}

// TestRaceCancelVersusPay: a merchant's cancel and a buyer's payment race;
// exactly one wins and the payment ends consistent either way.
func TestRaceCancelVersusPay(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		outcomes := map[pasarela.PaymentStatus]int{}
		for round := range 16 {
			p := e.MustPayment(core.PaymentInput{})
			link := e.MustLink(p.ID, cfg.ID)
			var cancelErr, payErr error
			barrier(2, func(i int) {
				if i == 0 {
					// A cancel is quicker than a payment; holding it back a
					// little longer each round lets both win some rounds.
					time.Sleep(time.Duration(round%8) * 300 * time.Microsecond)
					cancelErr = e.svc.CancelPayment(e.app(), e.appID(), p.ID)
				} else {
					_, payErr = e.svc.PayWithCard(e.ctx, link.Token, card(cardVisa))
				}
			})
			d := e.MustGet(p.ID)
			pay := d.Payment
			outcomes[pay.Status]++
			switch pay.Status {
			case pasarela.StatusInvalidated:
				if cancelErr != nil || payErr == nil {
					t.Errorf("cancelled, but cancel said %v and pay said %v", cancelErr, payErr)
				}
				if pay.Captured != 0 || len(e.postings(p.ID)) != 0 || e.sandboxCharges(pay) != 0 {
					t.Errorf("a cancelled payment was charged: captured %d", pay.Captured)
				}
				if d.Links[0].Status != pasarela.LinkInvalidated {
					t.Errorf("cancelled payment's link is %s", d.Links[0].Status)
				}
				kind, code := pasarela.ErrorKind(payErr), pasarela.AsError(payErr).Code
				if kind != pasarela.KindInvalid || (code != "not_payable" && code != "link_expired") {
					t.Errorf("pay after cancel: %v (%s/%s)", payErr, kind, code)
				}
			case pasarela.StatusCompleted:
				if payErr != nil || cancelErr == nil {
					t.Errorf("paid, but pay said %v and cancel said %v", payErr, cancelErr)
				}
				wantErr(t, "cancel of a payment being paid", cancelErr, pasarela.KindInvalid, "invalid_transition")
				if pay.Captured != pay.Amount || len(e.postings(p.ID)) != 1 || e.sandboxCharges(pay) != 1 {
					t.Errorf("paid payment: captured %d, postings %v", pay.Captured, e.postings(p.ID))
				}
			default:
				t.Errorf("after the race the payment is %s (cancel: %v, pay: %v)", pay.Status, cancelErr, payErr)
			}
		}
		t.Logf("outcomes: %v", outcomes)
	})
}

// TestRaceCapture: racing captures of one authorization take the money
// once; a cancel racing a capture either releases or captures, never both.
func TestRaceCapture(t *testing.T) {
	t.Parallel()
	const racers = 6
	engines(t, func(t *testing.T, e *env) {
		manual := e.MustConfig("sandbox", 1, map[string]any{"capture": "manual"})
		authorized := func() *pasarela.Payment {
			p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{manual.ID}})
			if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusAuthorized {
				t.Fatalf("payment is %s, want authorized", c.Payment.Status)
			}
			return e.MustGet(p.ID).Payment
		}
		for range 3 {
			p := authorized()
			errs := make([]error, racers)
			barrier(racers, func(i int) { _, errs[i] = e.svc.CapturePayment(e.app(), e.appID(), p.ID) })
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else {
					wantErr(t, "losing capture", err, pasarela.KindInvalid, "invalid_transition", "cannot capture")
				}
			}
			pay := e.MustGet(p.ID).Payment
			if won != 1 || pay.Status != pasarela.StatusCompleted || pay.Captured != pay.Amount {
				t.Errorf("%d captures won; payment %s captured %d", won, pay.Status, pay.Captured)
			}
			if got := e.postings(p.ID); len(got) != 1 {
				t.Errorf("postings %v, want one capture", got)
			}
			if res, _ := e.sandbox.Status(e.ctx, nil, p.ProcessorRef); res.Outcome != processor.Captured || res.Amount != p.Amount {
				t.Errorf("the sandbox has %s %d", res.Outcome, res.Amount)
			}
		}
		for range 8 {
			p := authorized()
			var capErr, cancelErr error
			barrier(2, func(i int) {
				if i == 0 {
					_, capErr = e.svc.CapturePayment(e.app(), e.appID(), p.ID)
				} else {
					cancelErr = e.svc.CancelPayment(e.admin(), e.appID(), p.ID)
				}
			})
			pay := e.MustGet(p.ID).Payment
			res, _ := e.sandbox.Status(e.ctx, nil, p.ProcessorRef)
			switch {
			case capErr == nil && cancelErr != nil:
				if pay.Status != pasarela.StatusCompleted || res.Outcome != processor.Captured || len(e.postings(p.ID)) != 1 {
					t.Errorf("capture won: payment %s, sandbox %s, postings %v", pay.Status, res.Outcome, e.postings(p.ID))
				}
				wantErr(t, "cancel losing to a capture", cancelErr, pasarela.KindInvalid, "invalid_transition")
			case cancelErr == nil && capErr != nil:
				if pay.Status != pasarela.StatusInvalidated || res.Outcome != processor.Canceled || len(e.postings(p.ID)) != 0 {
					t.Errorf("cancel won: payment %s, sandbox %s, postings %v", pay.Status, res.Outcome, e.postings(p.ID))
				}
				wantErr(t, "capture losing to a cancel", capErr, pasarela.KindInvalid, "invalid_transition", "cannot capture")
			default:
				t.Errorf("capture: %v, cancel: %v; payment %s", capErr, cancelErr, pay.Status)
			}
		}
	})
}

// TestRaceRefunds: racing refunds that together ask for more than was
// captured never refund more than that; the losers are told why.
func TestRaceRefunds(t *testing.T) {
	t.Parallel()
	const racers = 8
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		for round := range 3 {
			p := e.MustCompleted(core.PaymentInput{Amount: 1050})
			errs := make([]error, racers)
			refunds := make([]*pasarela.Refund, racers)
			barrier(racers, func(i int) {
				refunds[i], _, errs[i] = e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 400}, nil)
			})
			var sum int64
			won := 0
			for i, err := range errs {
				if err == nil {
					won++
					if refunds[i].Status != pasarela.RefundCompleted || refunds[i].Amount != 400 {
						t.Errorf("round %d: a winning refund is %s of %d", round, refunds[i].Status, refunds[i].Amount)
					}
					sum += refunds[i].Amount
					continue
				}
				switch code := pasarela.AsError(err).Code; code {
				case "refund_in_flight":
					wantErr(t, "refund while another is in flight", err, pasarela.KindConflict, code)
				case "exceeds_refundable":
					wantErr(t, "refund beyond what is left", err, pasarela.KindInvalid, code, "at most")
				default:
					t.Errorf("round %d: losing refund: %v", round, err)
				}
			}
			pay := e.MustGet(p.ID)
			var completed int64
			n := 0
			for _, r := range pay.Refunds {
				if r.Status == pasarela.RefundCompleted {
					completed += r.Amount
					n++
				}
			}
			if won == 0 || sum != completed || completed > pay.Captured || pay.Refunded != completed {
				t.Errorf("round %d: %d refunds won for %d; stored: %d completed refunds for %d, payment refunded %d of %d",
					round, won, sum, n, completed, pay.Refunded, pay.Captured)
			}
			if want := pasarela.StatusPartiallyRefunded; pay.Status != want {
				t.Errorf("round %d: payment %s with %d of %d refunded, want %s", round, pay.Status, pay.Refunded, pay.Captured, want)
			}
			if res, _ := e.sandbox.Status(e.ctx, nil, pay.ProcessorRef); res.Amount != completed {
				t.Errorf("round %d: the sandbox refunded %d, the gateway %d", round, res.Amount, completed)
			}
			refundPostings := 0
			for _, k := range e.postings(p.ID) {
				if k == "refund" {
					refundPostings++
				}
			}
			if refundPostings != n {
				t.Errorf("round %d: %d refund postings for %d refunds", round, refundPostings, n)
			}
		}
	})
}

// TestRaceLedgerPostings: captures and refunds of different payments of
// one client post to the same accounts at once; every one of them succeeds
// and the ledger adds up.
func TestRaceLedgerPostings(t *testing.T) {
	t.Parallel()
	const pairs = 8
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		manual := e.MustConfig("sandbox", 0, map[string]any{"capture": "manual"})
		var toRefund, toCapture []*pasarela.Payment
		for range pairs {
			toRefund = append(toRefund, e.MustCompleted(core.PaymentInput{Amount: 1000}))
			p := e.MustPayment(core.PaymentInput{Amount: 1000, GatewayConfigs: []int64{manual.ID}})
			if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusAuthorized {
				t.Fatalf("payment is %s, want authorized", c.Payment.Status)
			}
			toCapture = append(toCapture, p)
		}
		var mu sync.Mutex
		var failures []error
		barrier(2*pairs, func(i int) {
			var err error
			if i%2 == 0 {
				_, _, err = e.svc.Refund(e.app(), e.appID(), toRefund[i/2].ID, core.RefundInput{Amount: 300}, nil)
			} else {
				_, err = e.svc.CapturePayment(e.app(), e.appID(), toCapture[i/2].ID)
			}
			if err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
		})
		for _, err := range failures {
			t.Errorf("a capture or refund of an unrelated payment failed: %v", err)
		}
		// 16 captures of 1000 (fee 25+30 each), 8 refunds of 300.
		if got, want := e.balance(clientAvailable(e.A.Client.ID)), int64(2*pairs*(1000-55)-pairs*300); got != want {
			t.Errorf("client available %d, want %d", got, want)
		}
		if got, want := e.balance(clearing("sandbox")), int64(-2*pairs*1000+pairs*300); got != want {
			t.Errorf("clearing %d, want %d", got, want)
		}
	})
}

// capturedCharges counts the sandbox's captured charges of a payment.
func (e *env) capturedCharges(p *pasarela.Payment) int {
	e.t.Helper()
	rows, err := e.db.Raw.QueryContext(e.ctx, `SELECT value FROM processor_state WHERE processor = 'sandbox' AND key LIKE 'charge:%'`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v []byte
		var c sandbox.ChargeRecord
		if err := rows.Scan(&v); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(v, &c); err != nil {
			e.t.Fatal(err)
		}
		if c.Reference == p.TransactionID && c.Status == processor.Captured {
			n++
		}
	}
	return n
}

// TestRaceResume: a buyer back from 3-D Secure pressing twice, typing
// another card meanwhile, and the merchant cancelling, all at once: one of
// them wins, and the payment is charged at most once.
func TestRaceResume(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		outcomes := map[string]int{}
		for round := range 8 {
			p := e.MustPayment(core.PaymentInput{})
			link := e.MustLink(p.ID, cfg.ID)
			if c := e.MustPay(link.Token, card3DS); c.Payment.Status != pasarela.StatusRequiresAction {
				t.Fatalf("3-D Secure card: %s", c.Payment.Status)
			}
			what := []string{"resume", "resume", "resume", "pay", "pay", "cancel"}
			errs := make([]error, len(what))
			barrier(len(what), func(i int) {
				switch what[i] {
				case "resume":
					token := p.CheckoutToken
					if i%2 == 0 {
						token = link.Token
					}
					_, errs[i] = e.svc.ResumeCheckout(e.ctx, token, true)
				case "pay":
					_, errs[i] = e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardMastercard))
				case "cancel":
					if round%2 == 1 {
						time.Sleep(time.Millisecond)
					}
					errs[i] = e.svc.CancelPayment(e.app(), e.appID(), p.ID)
				}
			})
			winner := ""
			for i, err := range errs {
				if err == nil {
					if winner != "" {
						t.Errorf("round %d: %s and %s both succeeded", round, winner, what[i])
					}
					winner = what[i]
				} else if k := pasarela.ErrorKind(err); k != pasarela.KindInvalid {
					t.Errorf("round %d: losing %s: %v (%s)", round, what[i], err, k)
				}
			}
			outcomes[winner]++
			pay := e.MustGet(p.ID).Payment
			captured := e.capturedCharges(pay)
			switch winner {
			case "resume", "pay":
				if pay.Status != pasarela.StatusCompleted || pay.Captured != pay.Amount || captured != 1 || len(e.postings(p.ID)) != 1 {
					t.Errorf("round %d: %s won: payment %s captured %d, sandbox captured %d times", round, winner, pay.Status, pay.Captured, captured)
				}
				if want := map[string]string{"resume": "3184", "pay": "4444"}[winner]; pay.Card == nil || pay.Card.Last4 != want {
					t.Errorf("round %d: %s won, card %+v", round, winner, pay.Card)
				}
			case "cancel":
				if pay.Status != pasarela.StatusInvalidated || pay.Captured != 0 || captured != 0 || len(e.postings(p.ID)) != 0 {
					t.Errorf("round %d: cancel won: payment %s captured %d, sandbox captured %d times", round, pay.Status, pay.Captured, captured)
				}
			default:
				t.Errorf("round %d: nobody won: %v; payment %s", round, errs, pay.Status)
			}
		}
		t.Logf("winners: %v", outcomes)
	})
}
