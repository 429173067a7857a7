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

// TestCheckConfigNode: a config with chain rpc names its node: a URL is
// required, carries no credentials, is http or https, and is private or
// loopback only when the operator allowed it; only a BTC key may go with
// it. The password is a secret option.
func TestCheckConfigNode(t *testing.T) {
	node := func(extra processor.Config) processor.Config {
		c := processor.Config{"network": "mainnet", "chain": "rpc", "btcXpub": zpub, "rpcUrl": "https://node.example:8332",
			"rpcUser": "u", "rpcPassword": "p"}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	if err := New().CheckConfig(node(nil)); err != nil {
		t.Fatalf("a public node: %v", err)
	}
	r, err := ReadRules(node(nil))
	if err != nil || r.Node != (Node{URL: "https://node.example:8332", User: "u", Password: "p", Network: "mainnet"}) {
		t.Fatalf("node: %+v %v", r.Node, err)
	}
	if err := New(true).CheckConfig(node(processor.Config{"rpcUrl": "http://127.0.0.1:8332"})); err != nil {
		t.Fatalf("a loopback node, allowed: %v", err)
	}
	for _, tc := range []struct {
		name  string
		cfg   processor.Config
		field string
	}{
		{"no URL", node(processor.Config{"rpcUrl": ""}), "config.rpcUrl"},
		{"a loopback node", node(processor.Config{"rpcUrl": "http://127.0.0.1:8332"}), "config.rpcUrl"},
		{"a private node", node(processor.Config{"rpcUrl": "http://10.0.0.5:8332"}), "config.rpcUrl"},
		{"localhost", node(processor.Config{"rpcUrl": "http://localhost:8332"}), "config.rpcUrl"},
		{"credentials in the URL", node(processor.Config{"rpcUrl": "https://u:p@node.example:8332"}), "config.rpcUrl"},
		{"not http", node(processor.Config{"rpcUrl": "ftp://node.example"}), "config.rpcUrl"},
		{"another currency's key", node(processor.Config{"bchXpub": "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj"}), "config.bchXpub"},
	} {
		err := New().CheckConfig(tc.cfg)
		var e *pasarela.Error
		if !errors.As(err, &e) || !hasField(e, tc.field) || tc.field == "config.bchXpub" && e.Fields[0].Code != "chain_unsupported" {
			t.Errorf("%s: %v, want an error on %s", tc.name, err, tc.field)
		}
	}
	for _, o := range New().Gateway().Options {
		if o.Name == "rpcPassword" && !o.Secret {
			t.Error("rpcPassword is not secret")
		}
	}
}

func hasField(e *pasarela.Error, field string) bool {
	if e.Field == field {
		return true
	}
	for _, d := range e.Fields {
		if d.Field == field {
			return true
		}
	}
	return false
}
