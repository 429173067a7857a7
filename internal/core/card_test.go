package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
)

// TestSandboxCards pays with each sandbox test card, on a payment's own page
// and through a payment link, and checks what the buyer sees, what the
// merchant reads, the ledger, and that the card number is kept nowhere.
func TestSandboxCards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		number string
		status pasarela.PaymentStatus
		code   string // the payment's FailureCode after the attempt
		brand  string
	}{
		{"visa succeeds", cardVisa, pasarela.StatusCompleted, "", sandbox.BrandVisa},
		{"mastercard succeeds", cardMastercard, pasarela.StatusCompleted, "", sandbox.BrandMastercard},
		{"typed with spaces", "4242 4242 4242 4242", pasarela.StatusCompleted, "", sandbox.BrandVisa},
		{"declined", cardDeclined, pasarela.StatusPending, processor.CodeCardDeclined, sandbox.BrandVisa},
		{"insufficient funds", cardInsufficient, pasarela.StatusPending, processor.CodeInsufficientFunds, sandbox.BrandVisa},
		{"expired card", cardExpired, pasarela.StatusPending, processor.CodeExpiredCard, sandbox.BrandVisa},
		{"incorrect cvc", cardBadCVC, pasarela.StatusPending, processor.CodeIncorrectCVC, sandbox.BrandVisa},
		{"processing error", cardProcessing, pasarela.StatusPending, processor.CodeProcessingError, sandbox.BrandVisa},
		{"3-D Secure", card3DS, pasarela.StatusRequiresAction, "", sandbox.BrandVisa},
	}
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		for _, via := range []string{"page", "link"} {
			for _, tc := range tests {
				p := e.MustPayment(core.PaymentInput{Description: tc.name})
				token := p.CheckoutToken
				var link *pasarela.PaymentLink
				if via == "link" {
					link = e.MustLink(p.ID, cfg.ID)
					token = link.Token
				}
				c, err := e.svc.PayWithCard(e.ctx, token, card(tc.number))
				if err != nil {
					t.Fatalf("%s via %s: %v", tc.name, via, err)
				}
				got := e.MustGet(p.ID)
				for where, pay := range map[string]*pasarela.Payment{"checkout": c.Payment, "merchant": got.Payment} {
					if pay.Status != tc.status || pay.FailureCode != tc.code {
						t.Errorf("%s via %s (%s): %s %q, want %s %q", tc.name, via, where, pay.Status, pay.FailureCode, tc.status, tc.code)
					}
				}
				pay := got.Payment
				if pay.Card == nil || pay.Card.Last4 != tc.number[len(tc.number)-4:] || pay.Card.Brand != tc.brand ||
					pay.Card.Token == "" || pay.Card.ExpMonth != 12 || pay.Card.ExpYear != cardExpYear {
					t.Errorf("%s via %s: card kept as %+v", tc.name, via, pay.Card)
				}
				if pay.GatewayConfig != cfg.ID {
					t.Errorf("%s via %s: gateway config %d, want %d", tc.name, via, pay.GatewayConfig, cfg.ID)
				}
				switch tc.status {
				case pasarela.StatusCompleted:
					if pay.Captured != pay.Amount || pay.CompletedAt == nil || !pay.CompletedAt.Equal(e.clock.Now()) ||
						pay.ProcessorRef == "" || pay.FailureMessage != "" {
						t.Errorf("%s via %s: captured %d of %d, completed at %v, ref %q", tc.name, via, pay.Captured,
							pay.Amount, pay.CompletedAt, pay.ProcessorRef)
					}
					if got := e.postings(p.ID); len(got) != 1 || got[0] != "capture" {
						t.Errorf("%s via %s: ledger postings %v, want one capture", tc.name, via, got)
					}
					if link != nil && got.Links[0].Status != pasarela.LinkUsed {
						t.Errorf("%s via link: the link is %s, want used", tc.name, got.Links[0].Status)
					}
					if c.Expired {
						t.Errorf("%s via %s: the page shows a paid payment as expired", tc.name, via)
					}
				case pasarela.StatusPending:
					// The buyer learns why and may try again on the same page.
					if pay.Captured != 0 || pay.CompletedAt != nil || pay.FailureMessage == "" || !pay.Status.Payable() {
						t.Errorf("%s via %s: declined payment %+v", tc.name, via, pay)
					}
					if got := e.postings(p.ID); len(got) != 0 {
						t.Errorf("%s via %s: a decline posted %v", tc.name, via, got)
					}
					c2 := e.MustPay(token, cardVisa)
					if c2.Payment.Status != pasarela.StatusCompleted || c2.Payment.FailureCode != "" || c2.Payment.Captured != p.Amount {
						t.Errorf("%s via %s: second attempt with 4242 left %s %q", tc.name, via, c2.Payment.Status, c2.Payment.FailureCode)
					}
				case pasarela.StatusRequiresAction:
					if c.Action != core.ActionChallenge {
						t.Errorf("%s via %s: action %q, want %q", tc.name, via, c.Action, core.ActionChallenge)
					}
					if pay.Captured != 0 || len(e.postings(p.ID)) != 0 {
						t.Errorf("%s via %s: money moved before the challenge", tc.name, via)
					}
					c2, err := e.svc.ResumeCheckout(e.ctx, token, true)
					if err != nil || c2.Payment.Status != pasarela.StatusCompleted || c2.Payment.Captured != p.Amount {
						t.Errorf("%s via %s: approved challenge: %v %+v", tc.name, via, err, c2)
					}
				}
			}
		}
		// The card numbers typed are nowhere in the database, in any form
		// the test typed them.
		for _, table := range []string{"payments", "processor_state", "payment_links", "ledger_transactions"} {
			text := e.tableText(table)
			for _, tc := range tests {
				for _, n := range []string{tc.number, strings.ReplaceAll(tc.number, " ", "")} {
					if strings.Contains(text, n) {
						t.Errorf("the card number %s is stored in %s", n, table)
					}
				}
			}
		}
	})
}

// TestThreeDSecure covers the challenge: approved completes the payment;
// refused sends it back to pending with authentication_failed, payable
// again; a second answer to the same challenge is refused.
func TestThreeDSecure(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		for _, tc := range []struct {
			approved bool
			status   pasarela.PaymentStatus
			code     string
		}{
			{true, pasarela.StatusCompleted, ""},
			{false, pasarela.StatusPending, processor.CodeAuthentication},
		} {
			p := e.MustPayment(core.PaymentInput{})
			c := e.MustPay(p.CheckoutToken, card3DS)
			if c.Payment.Status != pasarela.StatusRequiresAction || c.Action != core.ActionChallenge {
				t.Fatalf("3-D Secure card: %s action %q", c.Payment.Status, c.Action)
			}
			// Reopening the page shows the same step.
			if c, err := e.svc.OpenCheckout(e.ctx, p.CheckoutToken); err != nil || c.Action != core.ActionChallenge || c.Expired {
				t.Errorf("reopened page: %v action %q expired %v", err, c.Action, c.Expired)
			}
			c, err := e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, tc.approved)
			if err != nil {
				t.Fatalf("resume(%v): %v", tc.approved, err)
			}
			pay := e.MustGet(p.ID).Payment
			if c.Payment.Status != tc.status || pay.Status != tc.status || pay.FailureCode != tc.code {
				t.Errorf("resume(%v): page %s, payment %s %q; want %s %q", tc.approved, c.Payment.Status, pay.Status,
					pay.FailureCode, tc.status, tc.code)
			}
			_, err = e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, true)
			wantErr(t, "second resume", err, pasarela.KindInvalid, "no_action")
			if !tc.approved {
				if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted {
					t.Errorf("paying again after a failed challenge: %s", c.Payment.Status)
				}
			}
			if pay := e.MustGet(p.ID).Payment; pay.Status != pasarela.StatusCompleted || pay.Captured != pay.Amount {
				t.Errorf("resume(%v): finally %s captured %d", tc.approved, pay.Status, pay.Captured)
			}
			if got := e.postings(p.ID); len(got) != 1 {
				t.Errorf("resume(%v): postings %v, want one capture", tc.approved, got)
			}
		}
		// A payment held for a manual capture is authorized by the
		// challenge, and captured later.
		p := e.MustPayment(core.PaymentInput{Capture: "manual"})
		e.MustPay(p.CheckoutToken, card3DS)
		c, err := e.svc.ResumeCheckout(e.ctx, p.CheckoutToken, true)
		if err != nil || c.Payment.Status != pasarela.StatusAuthorized || c.Payment.Captured != 0 {
			t.Fatalf("manual capture after the challenge: %+v %v", c, err)
		}
		if pay, err := e.svc.CapturePayment(e.app(), e.appID(), p.ID); err != nil || pay.Status != pasarela.StatusCompleted || pay.Captured != pay.Amount {
			t.Errorf("capture after the challenge: %+v %v", pay, err)
		}
	})
}

// TestCheckCardRefusesBeforeTheProcessor: card input that is not a card
// (Luhn, expiry, CVC, name) is refused with an error per field before any
// processor sees it, and the payment does not move.
func TestCheckCardRefusesBeforeTheProcessor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		card   func(*pasarela.CardInput)
		fields map[string]string // field → code
	}{
		{"luhn", func(c *pasarela.CardInput) { c.Number = "4242424242424241" }, map[string]string{"number": "card_number"}},
		{"letters", func(c *pasarela.CardInput) { c.Number = "4242x24242424242" }, map[string]string{"number": "card_number"}},
		{"too short", func(c *pasarela.CardInput) { c.Number = "42424242" }, map[string]string{"number": "card_number"}},
		{"no number", func(c *pasarela.CardInput) { c.Number = "" }, map[string]string{"number": "required"}},
		{"expired last month", func(c *pasarela.CardInput) { c.ExpMonth, c.ExpYear = 2, 2026 }, map[string]string{"exp": "expired"}},
		{"expired two-digit year", func(c *pasarela.CardInput) { c.ExpMonth, c.ExpYear = 12, 25 }, map[string]string{"exp": "expired"}},
		{"month 13", func(c *pasarela.CardInput) { c.ExpMonth = 13 }, map[string]string{"exp": "expiry"}},
		{"cvc too short", func(c *pasarela.CardInput) { c.CVC = "12" }, map[string]string{"cvc": "cvc"}},
		{"cvc letters", func(c *pasarela.CardInput) { c.CVC = "12a" }, map[string]string{"cvc": "cvc"}},
		{"4-digit cvc on visa", func(c *pasarela.CardInput) { c.CVC = "1234" }, map[string]string{"cvc": "cvc"}},
		{"3-digit cvc on amex", func(c *pasarela.CardInput) { c.Number, c.CVC = "378282246310005", "123" }, map[string]string{"cvc": "cvc"}},
		{"control character in name", func(c *pasarela.CardInput) { c.Name = "Ada\x07" }, map[string]string{"name": "format"}},
		{"no name", func(c *pasarela.CardInput) { c.Name = "  " }, map[string]string{"name": "required"}},
		{"everything wrong", func(c *pasarela.CardInput) {
			c.Name, c.Number, c.ExpMonth, c.ExpYear, c.CVC = "", "1234567812345678", 1, 2020, ""
		}, map[string]string{"name": "required", "number": "card_number", "exp": "expired", "cvc": "cvc"}},
	}
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		e.MustConfig("fake", 1, nil)
		p := e.MustPayment(core.PaymentInput{})
		before := e.MustGet(p.ID).Payment
		stateRows := e.count(`SELECT COUNT(*) FROM processor_state`)
		for _, tc := range tests {
			in := card(cardVisa)
			tc.card(&in)
			c, err := e.svc.PayWithCard(e.ctx, p.CheckoutToken, in)
			if c != nil {
				t.Errorf("%s: a checkout came back with the refusal", tc.name)
			}
			wantErr(t, tc.name, err, pasarela.KindInvalid, pasarela.AsError(err).Code)
			got := map[string]string{}
			for _, f := range pasarela.AsError(err).Fields {
				got[f.Field] = f.Code
			}
			if len(got) != len(tc.fields) {
				t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
			}
			for f, code := range tc.fields {
				if got[f] != code {
					t.Errorf("%s: field %s has code %q, want %q (all: %v)", tc.name, f, got[f], code, got)
				}
			}
		}
		// The clock is the core's: a card valid through this month is fine.
		in := card(cardVisa)
		in.ExpMonth, in.ExpYear = 3, 2026
		if err := core.CheckCard(&in, e.clock.Now()); err != nil {
			t.Errorf("card expiring this month: %v", err)
		}
		if e.fake.Calls("Tokenize")+e.fake.Calls("Authorize") != 0 {
			t.Errorf("the fake processor was called %d times", e.fake.Calls("Tokenize")+e.fake.Calls("Authorize"))
		}
		if n := e.count(`SELECT COUNT(*) FROM processor_state`); n != stateRows {
			t.Errorf("the sandbox stored %d rows for refused cards", n-stateRows)
		}
		if after := e.MustGet(p.ID).Payment; after.Version != before.Version || after.Status != pasarela.StatusPending {
			t.Errorf("a refused card changed the payment: %s v%d", after.Status, after.Version)
		}
	})
}

// TestCheckCardNormalises: the number loses its spaces and dashes and a
// two-digit year gains its century, so processors see one form.
func TestCheckCardNormalises(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	in := pasarela.CardInput{Name: " Ada ", Number: "4242-4242 4242-4242", ExpMonth: 12, ExpYear: 30, CVC: "123"}
	if err := core.CheckCard(&in, now); err != nil {
		t.Fatal(err)
	}
	if in.Number != cardVisa || in.ExpYear != 2030 || in.Name != "Ada" {
		t.Errorf("normalised to %+v", in)
	}
}

// TestManualCapture holds the money (by the config's capture option, or by
// the payment's own Capture), captures it with its ledger posting, and
// releases another hold at the processor by cancelling.
func TestManualCapture(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		manual := e.MustConfig("sandbox", 1, map[string]any{"capture": "manual"})
		auto := e.MustConfig("sandbox", 1, nil)
		for _, tc := range []struct {
			name string
			in   core.PaymentInput
		}{
			{"config says manual", core.PaymentInput{GatewayConfigs: []int64{manual.ID}}},
			{"payment says manual", core.PaymentInput{GatewayConfigs: []int64{auto.ID}, Capture: "manual"}},
		} {
			for _, then := range []string{"capture", "cancel"} {
				p := e.MustPayment(tc.in)
				c := e.MustPay(p.CheckoutToken, cardVisa)
				pay := e.MustGet(p.ID).Payment
				if c.Payment.Status != pasarela.StatusAuthorized || pay.Status != pasarela.StatusAuthorized || pay.Captured != 0 {
					t.Fatalf("%s: %s captured %d, want authorized and nothing captured", tc.name, pay.Status, pay.Captured)
				}
				if got := e.postings(p.ID); len(got) != 0 {
					t.Errorf("%s: an authorization posted %v", tc.name, got)
				}
				if res, err := e.sandbox.Status(e.ctx, nil, pay.ProcessorRef); err != nil || res.Outcome != processor.Authorized {
					t.Errorf("%s: the sandbox has %v %v, want authorized", tc.name, res.Outcome, err)
				}
				switch then {
				case "capture":
					got, err := e.svc.CapturePayment(e.app(), e.appID(), p.ID)
					if err != nil {
						t.Fatalf("%s: capture: %v", tc.name, err)
					}
					if got.Status != pasarela.StatusCompleted || got.Captured != p.Amount || got.CompletedAt == nil {
						t.Errorf("%s: captured payment %s %d %v", tc.name, got.Status, got.Captured, got.CompletedAt)
					}
					if got := e.postings(p.ID); len(got) != 1 || got[0] != "capture" {
						t.Errorf("%s: postings %v, want one capture", tc.name, got)
					}
					if res, _ := e.sandbox.Status(e.ctx, nil, pay.ProcessorRef); res.Outcome != processor.Captured || res.Amount != p.Amount {
						t.Errorf("%s: the sandbox has %v %d", tc.name, res.Outcome, res.Amount)
					}
				case "cancel":
					if err := e.svc.CancelPayment(e.app(), e.appID(), p.ID); err != nil {
						t.Fatalf("%s: cancel: %v", tc.name, err)
					}
					if got := e.MustGet(p.ID).Payment; got.Status != pasarela.StatusInvalidated || got.Captured != 0 {
						t.Errorf("%s: cancelled authorization is %s captured %d", tc.name, got.Status, got.Captured)
					}
					if got := e.postings(p.ID); len(got) != 0 {
						t.Errorf("%s: a released authorization posted %v", tc.name, got)
					}
					if res, _ := e.sandbox.Status(e.ctx, nil, pay.ProcessorRef); res.Outcome != processor.Canceled {
						t.Errorf("%s: the sandbox has %v, want the hold released", tc.name, res.Outcome)
					}
					_, err := e.svc.CapturePayment(e.app(), e.appID(), p.ID)
					wantErr(t, tc.name+": capture after cancel", err, pasarela.KindInvalid, "invalid_transition", "invalidated")
				}
			}
		}
		// Capturing on the fake processor also posts, to the fake's clearing account.
		fake := e.MustConfig("fake", 1, map[string]any{})
		p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{fake.ID}, Capture: "manual"})
		if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusAuthorized {
			t.Fatalf("fake manual capture: %s", c.Payment.Status)
		}
		if _, err := e.svc.CapturePayment(e.admin(), e.appID(), p.ID); err != nil {
			t.Fatal(err)
		}
		if b := e.balance(clearing("fake")); b != -p.Amount {
			t.Errorf("fake clearing %d, want %d", b, -p.Amount)
		}
	})
}

// TestCheckCardAcceptsLongNames: the name's limit counts characters, not
// bytes, so names in any script fit.
func TestCheckCardAcceptsLongNames(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	in := pasarela.CardInput{Name: strings.Repeat("山田", 40), Number: "378282246310005", ExpMonth: 12, ExpYear: 2030, CVC: "1234"}
	if err := core.CheckCard(&in, now); err != nil {
		t.Fatal(err)
	}
}
