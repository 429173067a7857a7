package core_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
)

// payMany creates n payments with in and pays each with the Visa card on
// its own page, workers at a time, and returns the config each was paid
// on, in creation order.
func (e *env) payMany(n, workers int, in core.PaymentInput) []int64 {
	e.t.Helper()
	if in.Amount == 0 {
		in.Amount, in.Currency = 1050, "EUR"
	}
	out := make([]int64, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, _, err := e.svc.CreatePayment(e.app(), e.appID(), in, nil)
				var c *core.Checkout
				if err == nil {
					c, err = e.svc.PayWithCard(e.ctx, p.CheckoutToken, card(cardVisa))
				}
				if err == nil && c.Payment.Status != pasarela.StatusCompleted {
					err = pasarela.Errorf(pasarela.KindInternal, "test", "payment %d is %s", p.ID, c.Payment.Status)
				}
				if err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
					continue
				}
				out[i] = c.Payment.GatewayConfig
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range failed[:min(len(failed), 5)] {
		e.t.Errorf("paying: %v", err)
	}
	if len(failed) > 0 {
		e.t.FailNow()
	}
	return out
}

// TestRoutingByWeight: real payments go where the router's weighted order
// sends them and the ledger follows. The statistics of the draw are the
// router's unit test (TestRouterOrderByWeight); here a small run with the
// fixed routing seed checks the wiring: both configs are used, the heavier
// about three times as often, and every payment reached its clearing.
func TestRoutingByWeight(t *testing.T) {
	t.Parallel()
	const n = 48
	engines(t, func(t *testing.T, e *env) {
		light := e.MustConfig("sandbox", 1, nil)
		heavy := e.MustConfig("sandbox", 3, nil)
		chosen := e.payMany(n, 8, core.PaymentInput{})
		count := map[int64]int{}
		for _, id := range chosen {
			count[id]++
		}
		share := float64(count[heavy.ID]) / float64(n)
		if count[heavy.ID]+count[light.ID] != n || share < 0.6 || share > 0.9 {
			t.Errorf("weight 3 chosen for %.1f%% (%v), want about 75%%", 100*share, count)
		}
		if got := e.balance(clearing("sandbox")); got != int64(-n*1050) {
			t.Errorf("clearing %d after %d payments", got, n)
		}
	})
}

// TestRoutingIsDeterministicWithASeed: two services built with one seed
// route the same sequence of payments the same way; another seed does not.
func TestRoutingIsDeterministicWithASeed(t *testing.T) {
	t.Parallel()
	// Two other seeds agree on 16 draws among three configs weighted
	// 1:3:2 with a probability under 3·10⁻⁷.
	const n = 16
	engines(t, func(t *testing.T, e *env) {
		e.MustConfig("sandbox", 1, nil)
		e.MustConfig("sandbox", 3, nil)
		e.MustConfig("sandbox", 2, nil)
		first := e.payMany(n, 1, core.PaymentInput{})
		for _, tc := range []struct {
			seed uint64
			same bool
		}{{42, true}, {43, false}} {
			cfg := core.Config{Processors: processor.NewRegistry(e.sandbox, e.fake), SecretKey: []byte("0123456789abcdef0123456789abcdef"),
				Fees: core.FeeConfig{BPS: 250, Fixed: 30}, RoutingSeed: tc.seed, PublicURL: "http://pay.test"}
			other := *e
			other.svc = mustService(t, e.db, e.clock, cfg)
			again := other.payMany(n, 1, core.PaymentInput{})
			if slices.Equal(first, again) != tc.same {
				t.Errorf("seed %d: same sequence = %v, want %v\n%v\n%v", tc.seed, !tc.same, tc.same, first, again)
			}
		}
	})
}

// TestRoutingSkipsDisabledAndKeepsWeightZeroLast: a disabled config is
// never chosen, whatever its weight and whether it was disabled before or
// after the payment was made; a weight-0 config is tried only when every
// weighted one declined in a retryable way.
func TestRoutingSkipsDisabledAndKeepsWeightZeroLast(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		on := e.MustConfig("sandbox", 1, nil)
		off := e.MustConfig("sandbox", 1000, nil)
		last := e.MustConfig("sandbox", 0, nil)
		setEnabled := func(id int64, enabled bool) {
			if _, err := e.svc.UpdateGatewayConfig(e.admin(), e.appID(), id,
				core.GatewayConfigInput{Enabled: pasarela.Set(enabled)}, false); err != nil {
				t.Fatal(err)
			}
		}
		// Payments made while the heavy config was disabled, and while it
		// was enabled (by default, or naming it), are all paid on the
		// enabled one once it is disabled.
		setEnabled(off.ID, false)
		whileOff := e.MustPayment(core.PaymentInput{})
		setEnabled(off.ID, true)
		whileOn := e.MustPayment(core.PaymentInput{})
		naming := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{off.ID, on.ID}})
		setEnabled(off.ID, false)
		for _, p := range []*pasarela.Payment{whileOff, whileOn, naming} {
			if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.GatewayConfig != on.ID {
				t.Errorf("payment %d paid on config %d, want %d", p.ID, c.Payment.GatewayConfig, on.ID)
			}
		}
		for _, id := range e.payMany(50, 4, core.PaymentInput{}) {
			if id != on.ID {
				t.Fatalf("a payment was paid on config %d, want %d (disabled %d, weight 0 %d)", id, on.ID, off.ID, last.ID)
			}
		}
		for _, id := range e.payMany(20, 4, core.PaymentInput{GatewayConfigs: []int64{off.ID, last.ID, on.ID}}) {
			if id != on.ID {
				t.Fatalf("a payment naming configs was paid on %d, want %d", id, on.ID)
			}
		}
		// With only the disabled config allowed, there is nothing to pay on.
		_, _, err := e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "EUR",
			GatewayConfigs: []int64{off.ID}}, nil)
		wantErr(t, "payment on a disabled config only", err, pasarela.KindInvalid, "no_gateway")
		setEnabled(on.ID, false)
		// Now only the weight-0 config is left: the last resort is used.
		for _, id := range e.payMany(5, 1, core.PaymentInput{}) {
			if id != last.ID {
				t.Errorf("with the weighted configs disabled, paid on %d, want the weight-0 %d", id, last.ID)
			}
		}
	})
}

// TestRoutingFallback: a retryable decline (or an unreachable processor)
// moves the charge on to the next config; a decline that is the card's
// answer does not.
func TestRoutingFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mode      fakeMode
		falls     bool
		code      string
		fakeFirst bool // weights make the fake first every time
	}{
		{"retryable decline falls back", fakeRetryable, true, "", true},
		{"unreachable processor falls back", fakeError, true, "", true},
		{"card decline does not fall back", fakeDecline, false, processor.CodeCardDeclined, true},
		{"weighted both ways, retryable decline falls back", fakeRetryable, true, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			engines(t, func(t *testing.T, e *env) {
				e.fake.set(tc.mode)
				fakeWeight, sandboxWeight := 1, 0
				if !tc.fakeFirst {
					fakeWeight, sandboxWeight = 3, 1
				}
				fake := e.MustConfig("fake", fakeWeight, nil)
				sb := e.MustConfig("sandbox", sandboxWeight, nil)
				const n = 12
				for i := range n {
					p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{fake.ID, sb.ID}})
					before := e.fake.Calls("Authorize")
					c := e.MustPay(p.CheckoutToken, cardVisa)
					pay := e.MustGet(p.ID).Payment
					fakeTried := e.fake.Calls("Authorize") > before
					if tc.fakeFirst && !fakeTried {
						t.Errorf("payment %d: the fake config (weight 1) was not tried before the weight-0 one", i)
					}
					switch {
					case tc.falls:
						if pay.Status != pasarela.StatusCompleted || pay.GatewayConfig != sb.ID || c.Payment.GatewayConfig != sb.ID {
							t.Errorf("payment %d: %s on config %d, want completed on the sandbox %d", i, pay.Status, pay.GatewayConfig, sb.ID)
						}
						if pay.Card == nil || pay.Card.Last4 != "4242" || pay.Captured != pay.Amount {
							t.Errorf("payment %d: card %+v captured %d", i, pay.Card, pay.Captured)
						}
					default:
						if pay.Status != pasarela.StatusPending || pay.GatewayConfig != fake.ID || pay.FailureCode != tc.code {
							t.Errorf("payment %d: %s on config %d (%q), want pending on the fake %d with %s",
								i, pay.Status, pay.GatewayConfig, pay.FailureCode, fake.ID, tc.code)
						}
						if n := e.sandboxCharges(pay); n != 0 {
							t.Errorf("payment %d: the sandbox was charged %d times after a card decline", i, n)
						}
					}
				}
				if !tc.fakeFirst && e.fake.Calls("Authorize") == 0 {
					t.Errorf("the fake config (weight 3 of 4) was never tried first in %d payments", n)
				}
				// Only the sandbox charged: the fake's clearing account never moved.
				if tc.falls && (e.balance(clearing("fake")) != 0 || e.balance(clearing("sandbox")) != -n*1050) {
					t.Errorf("clearing: fake %d, sandbox %d", e.balance(clearing("fake")), e.balance(clearing("sandbox")))
				}
			})
		})
	}
}

// TestRoutingSkipsDeletedConfigs: a config deleted after a payment named it
// is skipped when the buyer pays, and the others still take the payment.
func TestRoutingSkipsDeletedConfigs(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		keep := e.MustConfig("sandbox", 1, nil)
		gone := e.MustConfig("sandbox", 1000, nil)
		p := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{gone.ID, keep.ID}})
		if err := e.svc.DeleteGatewayConfig(e.admin(), e.appID(), gone.ID); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.OpenCheckout(e.ctx, p.CheckoutToken)
		if err != nil || len(c.Options) != 1 || c.Options[0].ConfigID != keep.ID {
			t.Fatalf("page after a config was deleted: %+v %v", c, err)
		}
		if c := e.MustPay(p.CheckoutToken, cardVisa); c.Payment.Status != pasarela.StatusCompleted || c.Payment.GatewayConfig != keep.ID {
			t.Errorf("paid %s on %d, want completed on %d", c.Payment.Status, c.Payment.GatewayConfig, keep.ID)
		}
		// Now a payment uses it, keep cannot be deleted.
		err = e.svc.DeleteGatewayConfig(e.admin(), e.appID(), keep.ID)
		wantErr(t, "delete a config a payment used", err, pasarela.KindInvalid, "gateway_in_use")
		// A new payment naming the deleted config is refused.
		_, _, err = e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "EUR",
			GatewayConfigs: []int64{gone.ID, keep.ID}}, nil)
		wantErr(t, "a new payment naming a deleted config", err, pasarela.KindInvalid, "unknown_gateway_config")
	})
}

// TestConfigChangesApplyToTheNextPayment: creating a payment reads the
// application's configs from a cache on SQLite; a config created, disabled
// or deleted is seen by the very next payment, on both engines.
func TestConfigChangesApplyToTheNextPayment(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		first := e.MustSandbox()
		e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{first.ID}})
		second := e.MustSandbox()
		e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{second.ID}})

		if _, err := e.svc.UpdateGatewayConfig(e.admin(), e.appID(), second.ID,
			core.GatewayConfigInput{Enabled: pasarela.Set(false)}, false); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "EUR",
			GatewayConfigs: []int64{second.ID}}, nil)
		wantErr(t, "payment on a config just disabled", err, pasarela.KindInvalid, "no_gateway")

		if err := e.svc.DeleteGatewayConfig(e.admin(), e.appID(), second.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.CreatePayment(e.app(), e.appID(), core.PaymentInput{Amount: 100, Currency: "EUR",
			GatewayConfigs: []int64{second.ID}}, nil)
		wantErr(t, "payment on a config just deleted", err, pasarela.KindInvalid, "unknown_gateway_config")
	})
}
