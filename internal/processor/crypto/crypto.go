// Package crypto is the catalog entry of crypto deposits: a gateway config
// of it holds a merchant's extended public keys (one per currency), the
// network their addresses are encoded for, the chain backend that watches
// them and the deposit rules (confirmations, tolerance, waiting time,
// commission). It is a processor only in name: nobody charges a deposit;
// the buyer pays on chain and the core watches the chain (package chain).
// So every charge call is refused with a clear decline, and refunds are the
// merchant's to make from its own wallet: the gateway holds no private key.
package crypto

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/webhook"
)

// GatewayID is the catalog id of crypto deposits.
const GatewayID = "crypto"

// Networks a config's addresses may be encoded for.
var Networks = []string{"mainnet", "testnet", "regtest"}

// Currencies are the crypto currencies a config may hold a key for, each
// with its option ("btcXpub" for BTC, and so on): those whose keys and
// addresses the chain package understands.
var Currencies = chain.Currencies()

// KeyOption names the option holding the extended public key of currency.
func KeyOption(currency string) string { return strings.ToLower(currency) + "Xpub" }

// Defaults of the deposit rules.
const (
	DefaultConfirmations  = 1
	DefaultWaitingTime    = 1200  // seconds the buyer has to pay at the locked rate
	DefaultMonitoringTime = 86400 // seconds the chain is watched after that, for late and slow payments
)

// Chain backends a config's "chain" option may name.
const (
	ChainSandbox = "sandbox"
	ChainRPC     = "rpc"
	ChainEVM     = "evm"
)

// Chains are the chain backends a config may name.
var Chains = []string{ChainSandbox, ChainRPC, ChainEVM}

// Gateway is the crypto deposits processor. It keeps no state.
type Gateway struct {
	allowPrivateNodes bool
}

// New returns the crypto deposits gateway. allowPrivateNodes lets a
// config's node (rpcUrl) be on a private, loopback or link-local address:
// the operator's choice (serve --chain-allow-private), since a merchant's
// config must not make the gateway probe its own network.
func New(allowPrivateNodes ...bool) *Gateway {
	return &Gateway{allowPrivateNodes: len(allowPrivateNodes) > 0 && allowPrivateNodes[0]}
}

// Gateway describes the catalog entry and its options.
func (*Gateway) Gateway() processor.Gateway {
	opts := []processor.Option{
		{Name: "network", Type: "enum", Enum: Networks, Default: "mainnet",
			Description: "the network addresses are encoded for: mainnet, testnet or regtest (a key's version bytes must match it)"},
		{Name: "chain", Type: "enum", Enum: Chains, Default: ChainSandbox,
			Description: "the chain backend that watches deposits: sandbox (a simulated chain in the gateway's database, paid with POST /sandbox/chain/{currency}/send) " +
				"or rpc (a Bitcoin node the merchant trusts, bitcoind or btcd, over JSON-RPC at rpcUrl; BTC only) " +
				"or evm (an Ethereum node over JSON-RPC at rpcUrl; ETH native transfers only)"},
		{Name: "rpcUrl", Type: "string",
			Description: "with chain rpc: the node's JSON-RPC URL, such as http://127.0.0.1:8332 (bitcoind) or http://127.0.0.1:18443 (regtest); " +
				"a private or loopback address only when the server runs with --chain-allow-private"},
		{Name: "rpcUser", Type: "string", Description: "with chain rpc: the node's RPC user (rpcuser)"},
		{Name: "rpcPassword", Type: "string", Secret: true, Description: "with chain rpc: the node's RPC password (rpcpassword); kept sealed"},
	}
	for _, c := range Currencies {
		opts = append(opts, processor.Option{Name: KeyOption(c), Type: "string", Secret: true,
			Description: "the account-level extended public key " + c + " deposits are paid to (xpub, ypub, zpub; tpub, upub, vpub off mainnet); " +
				c + " is offered only when it is set. Kept sealed: it reveals every address of the account"})
	}
	opts = append(opts,
		processor.Option{Name: "confirmations", Type: "integer", Default: int64(DefaultConfirmations),
			Description: "confirmations a payment needs before the deposit is approved (0 accepts a payment seen in the mempool)"},
		processor.Option{Name: "tolerancePercent", Type: "string", Default: "0",
			Description: "how far, in percent of what is due, a payment may fall short or go over and still approve the deposit"},
		processor.Option{Name: "waitingTime", Type: "integer", Default: int64(DefaultWaitingTime),
			Description: "seconds the buyer has to pay, during which the rate stays locked (60 to 86400)"},
		processor.Option{Name: "monitoringTime", Type: "integer", Default: int64(DefaultMonitoringTime),
			Description: "seconds the chain is still watched after the waiting time, so that a late or slow payment is recorded (0 to 2592000)"},
		processor.Option{Name: "commissionPercent", Type: "string", Default: "0",
			Description: "the commission on each deposit, in percent of its amount"},
	)
	return processor.Gateway{ID: GatewayID, Name: "Crypto deposits", Flow: processor.FlowDeposit, Options: opts}
}

// Rules are a config's deposit rules, read and checked.
type Rules struct {
	Network        string
	Chain          string
	Keys           map[string]*chain.Key // by currency
	Confirmations  int
	Tolerance      decimal.Decimal // percent
	WaitingTime    int64           // seconds
	MonitoringTime int64           // seconds
	Commission     decimal.Decimal // percent
	// Node is the node a chain "rpc" config watches deposits on.
	Node Node
}

// Node is a node reached over JSON-RPC, as a config names it.
type Node struct {
	URL, User, Password string
	// Network is the config's network, which the node must be on.
	Network string
}

// ReadRules reads and checks a config's options. Its errors name the option
// ("config.btcXpub") and the rule, never a key's text.
func ReadRules(cfg processor.Config) (*Rules, error) {
	var v pasarela.Validation
	r := &Rules{Network: cfg.String("network"), Chain: cfg.String("chain"), Keys: map[string]*chain.Key{}}
	for _, c := range Currencies {
		s := strings.TrimSpace(cfg.String(KeyOption(c)))
		if s == "" {
			continue
		}
		k, err := chain.ParseKey(c, r.Network, s)
		if err != nil {
			v.Add("config."+KeyOption(c), "invalid_key", err.Error())
			continue
		}
		r.Keys[c] = k
	}
	if len(r.Keys) == 0 && v.Err() == nil {
		v.Add("config."+KeyOption("BTC"), "required", "at least one extended public key is required (btcXpub, bchXpub, ethXpub or ltcXpub)")
	}
	confirmations, ok := integer(cfg, "confirmations", DefaultConfirmations)
	if !ok || confirmations < 0 || confirmations > 100 {
		v.Add("config.confirmations", "range", "must be an integer between 0 and 100")
	}
	r.Confirmations = int(confirmations)
	if r.WaitingTime, ok = integer(cfg, "waitingTime", DefaultWaitingTime); !ok || r.WaitingTime < 60 || r.WaitingTime > 86400 {
		v.Add("config.waitingTime", "range", "must be a number of seconds between 60 and 86400")
	}
	if r.MonitoringTime, ok = integer(cfg, "monitoringTime", DefaultMonitoringTime); !ok || r.MonitoringTime < 0 || r.MonitoringTime > 30*86400 {
		v.Add("config.monitoringTime", "range", "must be a number of seconds between 0 and 2592000")
	}
	if r.Chain == ChainRPC || r.Chain == ChainEVM {
		r.Node = Node{URL: strings.TrimSpace(cfg.String("rpcUrl")), User: cfg.String("rpcUser"), Password: cfg.String("rpcPassword"),
			Network: r.Network}
		if r.Node.URL == "" {
			v.Add("config.rpcUrl", "required", "the node's JSON-RPC URL is required with chain rpc")
		}
		only := map[string]string{ChainRPC: "BTC", ChainEVM: "ETH"}[r.Chain]
		for c := range r.Keys {
			if c != only {
				v.Add("config."+KeyOption(c), "chain_unsupported", "chain "+r.Chain+" watches a "+
					map[string]string{"BTC": "Bitcoin", "ETH": "Ethereum"}[only]+" node: only "+KeyOption(only)+" may be set")
			}
		}
	}
	r.Tolerance = percent(&v, cfg, "tolerancePercent")
	r.Commission = percent(&v, cfg, "commissionPercent")
	return r, v.Err()
}

// integer reads an integer option, stored as an int64 when validated and as
// a JSON number once read back.
func integer(cfg processor.Config, name string, def int64) (int64, bool) {
	switch n := cfg[name].(type) {
	case nil:
		return def, true
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

func percent(v *pasarela.Validation, cfg processor.Config, name string) decimal.Decimal {
	s := cfg.String(name)
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.IsNegative() || d.GreaterThan(decimal.NewFromInt(100)) || strings.ContainsAny(s, "eE") {
		v.Add("config."+name, "range", "must be a decimal number of percent between 0 and 100, like \"0.5\"")
		return decimal.Zero
	}
	return d
}

// CheckConfig checks the options beyond their types: the keys parse for
// the network, the numbers are in range, a node's URL is one the gateway
// may call (http or https, no credentials in it: they go in rpcUser and
// rpcPassword; no private address unless the operator allowed them).
func (g *Gateway) CheckConfig(cfg processor.Config) error {
	r, err := ReadRules(cfg)
	if err != nil || r.Chain != ChainRPC && r.Chain != ChainEVM {
		return err
	}
	if u, err := url.Parse(r.Node.URL); err == nil && u.User != nil {
		return pasarela.Invalid("config.rpcUrl", "url", "must not carry credentials: give them as rpcUser and rpcPassword, which are kept sealed")
	}
	if err := webhook.CheckTarget(r.Node.URL, g.allowPrivateNodes); err != nil {
		return pasarela.Invalid("config.rpcUrl", "url", err.Error())
	}
	return nil
}

// errNotCharged is what every charge call of a deposit gets: there is
// nothing to charge.
var errNotCharged = errors.New("crypto deposits are paid on chain by the buyer; they are never charged")

func declined(what string) (processor.Result, error) {
	return processor.Result{Outcome: processor.Declined, Code: processor.CodeCardDeclined,
		Message: fmt.Sprintf("%s: %v", what, errNotCharged)}, nil
}

// Tokenize refuses: a deposit takes no card.
func (*Gateway) Tokenize(context.Context, processor.Config, processor.CardInput) (pasarela.Card, error) {
	return pasarela.Card{}, pasarela.Invalid("gateway", "not_supported", errNotCharged.Error())
}

// Authorize declines: a deposit is paid, not charged.
func (*Gateway) Authorize(context.Context, processor.Config, processor.Charge) (processor.Result, error) {
	return declined("authorize")
}

// Resume declines, as Authorize does.
func (*Gateway) Resume(context.Context, processor.Config, string, bool) (processor.Result, error) {
	return declined("resume")
}

// Capture declines, as Authorize does.
func (*Gateway) Capture(context.Context, processor.Config, string, int64) (processor.Result, error) {
	return declined("capture")
}

// Cancel declines, as Authorize does.
func (*Gateway) Cancel(context.Context, processor.Config, string) (processor.Result, error) {
	return declined("cancel")
}

// Refund declines: the money is in the merchant's own wallet, which the
// gateway cannot spend from.
func (*Gateway) Refund(context.Context, processor.Config, string, int64, string) (processor.Result, error) {
	return processor.Result{Outcome: processor.Declined, Code: processor.CodeProcessingError,
		Message: "a crypto deposit is refunded from the merchant's own wallet: the gateway holds no key to spend it"}, nil
}

// Status and Lookup find nothing: no charge is ever made.
func (*Gateway) Status(context.Context, processor.Config, string) (processor.Result, error) {
	return processor.Result{}, pasarela.NotFound("charge")
}

// Lookup finds nothing, as Status does.
func (*Gateway) Lookup(context.Context, processor.Config, string) (processor.Result, error) {
	return processor.Result{}, pasarela.NotFound("charge")
}
