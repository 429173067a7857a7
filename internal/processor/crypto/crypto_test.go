package crypto

import (
	"context"
	"errors"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

const zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

// TestReadRules: defaults, and every out-of-range option named with its
// rule.
func TestReadRules(t *testing.T) {
	r, err := ReadRules(processor.Config{"network": "mainnet", "chain": "sandbox", "btcXpub": zpub})
	if err != nil || r.Confirmations != DefaultConfirmations || r.WaitingTime != DefaultWaitingTime ||
		r.MonitoringTime != DefaultMonitoringTime || !r.Tolerance.IsZero() || r.Keys["BTC"] == nil || len(r.Keys) != 1 {
		t.Fatalf("defaults: %+v %v", r, err)
	}
	// Integers come back from storage as JSON numbers.
	r, err = ReadRules(processor.Config{"network": "mainnet", "btcXpub": zpub, "confirmations": float64(3),
		"waitingTime": int64(900), "tolerancePercent": "0.5", "commissionPercent": "1.25"})
	if err != nil || r.Confirmations != 3 || r.WaitingTime != 900 || r.Tolerance.String() != "0.5" || r.Commission.String() != "1.25" {
		t.Fatalf("set: %+v %v", r, err)
	}
	for _, tc := range []struct {
		name  string
		cfg   processor.Config
		field string
	}{
		{"no key", processor.Config{"network": "mainnet"}, "config.btcXpub"},
		{"a key of another network", processor.Config{"network": "testnet", "btcXpub": zpub}, "config.btcXpub"},
		{"a BTC key for ETH", processor.Config{"network": "mainnet", "btcXpub": zpub, "ethXpub": zpub}, "config.ethXpub"},
		{"confirmations", processor.Config{"network": "mainnet", "btcXpub": zpub, "confirmations": float64(101)}, "config.confirmations"},
		{"a fractional count", processor.Config{"network": "mainnet", "btcXpub": zpub, "confirmations": 1.5}, "config.confirmations"},
		{"waiting time", processor.Config{"network": "mainnet", "btcXpub": zpub, "waitingTime": float64(10)}, "config.waitingTime"},
		{"monitoring time", processor.Config{"network": "mainnet", "btcXpub": zpub, "monitoringTime": float64(-1)}, "config.monitoringTime"},
		{"tolerance", processor.Config{"network": "mainnet", "btcXpub": zpub, "tolerancePercent": "101"}, "config.tolerancePercent"},
		{"an exponent", processor.Config{"network": "mainnet", "btcXpub": zpub, "commissionPercent": "1e1"}, "config.commissionPercent"},
		{"a negative commission", processor.Config{"network": "mainnet", "btcXpub": zpub, "commissionPercent": "-1"}, "config.commissionPercent"},
	} {
		_, err := ReadRules(tc.cfg)
		var pe *pasarela.Error
		if !errors.As(err, &pe) || len(pe.Fields) == 0 || pe.Fields[0].Field != tc.field {
			t.Errorf("%s: %+v, want an error on %s", tc.name, err, tc.field)
		}
	}
}

// TestNothingIsCharged: every charge call is refused in the open, never
// pretended.
func TestNothingIsCharged(t *testing.T) {
	g := New()
	if g.Gateway().Flow != processor.FlowDeposit || g.Gateway().ID != GatewayID {
		t.Fatalf("catalog: %+v", g.Gateway())
	}
	ctx := context.Background()
	res, err := g.Authorize(ctx, nil, processor.Charge{})
	if err != nil || res.Outcome != processor.Declined || res.Message == "" {
		t.Errorf("authorize: %+v %v", res, err)
	}
	if res, err := g.Refund(ctx, nil, "x", 1, "k"); err != nil || res.Outcome != processor.Declined {
		t.Errorf("refund: %+v %v", res, err)
	}
	if _, err := g.Tokenize(ctx, nil, processor.CardInput{}); err == nil {
		t.Error("tokenize: no error")
	}
	if _, err := g.Lookup(ctx, nil, "k"); pasarela.ErrorKind(err) != pasarela.KindNotFound {
		t.Errorf("lookup: %v", err)
	}
}
