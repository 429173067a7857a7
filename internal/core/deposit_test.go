package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/chain/sandbox"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/rates"
)

// BIP84's published test vector: account 0 of the mnemonic "abandon …
// about" and its first receive addresses.
const (
	bip84Zpub  = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	bip84Addr0 = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
	bip84Addr1 = "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
)

// cryptoEnv is env with crypto deposits: a core on the same database and
// clock whose catalog has the crypto gateway, watching the sandbox chain,
// priced by the sandbox table; A's application has a crypto config.
type cryptoEnv struct {
	*env
	cfg *pasarela.GatewayConfig
}

func newCryptoEnv(t *testing.T, engine string, options map[string]any) *cryptoEnv {
	t.Helper()
	e := newEnv(t, engine)
	ch := sandbox.New(e.db, e.clock.Now)
	e.svc = mustService(t, e.db, e.clock, core.Config{
		Processors:  processor.NewRegistry(e.sandbox, crypto.New()),
		SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
		PublicURL:   "http://pay.test",
		Crypto:      core.CryptoConfig{Chains: []chain.Watcher{ch}, Sandbox: ch},
		CryptoRates: core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(e.clock.Now)}},
	})
	if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
		t.Fatal(err)
	}
	opts := map[string]any{"btcXpub": bip84Zpub}
	for k, v := range options {
		opts[k] = v
	}
	cfg, err := e.svc.CreateGatewayConfig(e.admin(), e.appID(), core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
		Name: pasarela.Set("Crypto"), Config: pasarela.Set(opts)})
	if err != nil {
		t.Fatal(err)
	}
	return &cryptoEnv{env: e, cfg: cfg}
}

// deposit creates a deposit of price COP in BTC, failing the test on error.
func (ce *cryptoEnv) deposit(ctx context.Context, price, callback string) *core.DepositDetail {
	ce.t.Helper()
	format := ""
	if callback != "" {
		format = pasarela.FormatXpay
	}
	d, _, err := ce.svc.CreateDeposit(ctx, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: price, ExchangeID: 1,
		CallbackURL: callback, CallbackFormat: format}, nil)
	if err != nil {
		ce.t.Fatal(err)
	}
	return d
}

func (ce *cryptoEnv) send(address, amount string) {
	ce.t.Helper()
	if _, err := ce.svc.SandboxChainSend(ce.app(), "BTC", address, amount); err != nil {
		ce.t.Fatal(err)
	}
}

func (ce *cryptoEnv) mine(blocks int) {
	ce.t.Helper()
	if _, err := ce.svc.SandboxChainMine(ce.app(), "BTC", blocks); err != nil {
		ce.t.Fatal(err)
	}
}

// want fails unless the deposit is in status st, and returns it.
func (ce *cryptoEnv) want(id int64, st pasarela.PaymentStatus) *pasarela.Deposit {
	ce.t.Helper()
	d, err := ce.svc.GetDeposit(ce.admin(), id)
	if err != nil {
		ce.t.Fatal(err)
	}
	if d.Payment.Status != st {
		ce.t.Fatalf("deposit %d is %s, want %s (%+v)", id, d.Payment.Status, st, d.Payment.Deposit)
	}
	return d.Payment.Deposit
}

// TestDepositLifecycle: quotes, a deposit at the locked rate to BIP84's
// first address, paid, confirmed and booked; the next deposit takes the
// next address and is cancelled; an under-payment topped up in time.
func TestDepositLifecycle(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, map[string]any{"commissionPercent": "1"})
		q, err := ce.svc.DepositQuotes(ce.admin(), "COP", "100000")
		if err != nil || len(q.Items) != 1 || q.Items[0].Currency != "BTC" || q.Items[0].Amount.String() != "0.004" ||
			q.Items[0].ExchangeID != 1 || q.Items[0].Name != "Bitcoin" || q.Amount.String() != "100000" {
			t.Fatalf("quotes: %+v %v", q, err)
		}
		// A float's noise is rounded to the peso's cents; the crypto
		// amount is rounded up to the satoshi.
		d := ce.deposit(ce.admin(), "150000.30000000002", "https://shop.example/?ipn-xpay=42")
		dep := d.Payment.Deposit
		if d.Payment.Amount != 15000030 || d.Payment.Currency != "COP" || d.Payment.Status != pasarela.StatusPending ||
			d.Payment.Type != pasarela.PaymentDeposit || dep.Address != bip84Addr0 || dep.Index != 0 ||
			dep.Amount.String() != "0.00600002" || dep.Rate.String() != "25000000" || dep.Commission.String() != "0.00006" ||
			dep.URI != "bitcoin:"+bip84Addr0+"?amount=0.00600002" || dep.FiatWithdraw != 100 ||
			!dep.ExpiresAt.Equal(ce.clock.Now().Add(1200*time.Second).UTC().Truncate(time.Microsecond)) ||
			!strings.HasPrefix(d.PageURL, "http://pay.test/pay/") {
			t.Fatalf("deposit: %+v %+v %s", d.Payment, dep, d.PageURL)
		}
		second := ce.deposit(ce.admin(), "1000", "")
		if second.Payment.Deposit.Address != bip84Addr1 || second.Payment.Deposit.Index != 1 {
			t.Fatalf("second deposit: %+v", second.Payment.Deposit)
		}

		ce.send(bip84Addr0, "0.00600002")
		got := ce.want(d.Payment.ID, pasarela.StatusProcessing)
		if got.Received.String() != "0.00600002" || got.Confirmations != 0 || len(got.TxIDs) != 1 || !got.Amount.Equal(dep.Amount) {
			t.Fatalf("seen: %+v", got)
		}
		ce.mine(1)
		got = ce.want(d.Payment.ID, pasarela.StatusCompleted)
		if got.Confirmations != 1 || !got.Amount.Equal(dep.Amount) {
			t.Fatalf("confirmed: %+v", got)
		}
		if b := ce.balance(core.ClientAccount(ce.A.Client.ID, "COP", core.KindAvailable)); b <= 0 {
			t.Errorf("the merchant's COP balance after the deposit: %d", b)
		}
		// Every change went to the callback URL, as xpay's format.
		if n := ce.count(`SELECT COUNT(*) FROM webhook_deliveries WHERE target = 'https://shop.example/?ipn-xpay=42'`); n != 3 {
			t.Errorf("callback deliveries: %d, want 3 (created, processing, completed)", n)
		}
		if n := ce.count(`SELECT COUNT(*) FROM webhooks WHERE per_payment AND format = 'xpay'`); n != 1 {
			t.Errorf("per-payment webhooks: %d", n)
		}

		c, err := ce.svc.CancelDeposit(ce.admin(), second.Payment.ID)
		if err != nil || c.Payment.Status != pasarela.StatusInvalidated {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		_, err = ce.svc.CancelDeposit(ce.admin(), second.Payment.ID)
		wantErr(t, "cancel twice", err, pasarela.KindInvalid, "invalid_transition")
		_, err = ce.svc.CancelDeposit(ce.admin(), d.Payment.ID)
		wantErr(t, "cancel a paid deposit", err, pasarela.KindInvalid, "invalid_transition")

		// Too little, confirmed: adjustment; topped up before expiry and
		// confirmed: completed.
		under := ce.deposit(ce.admin(), "100000", "")
		addr := under.Payment.Deposit.Address
		ce.send(addr, "0.003")
		ce.mine(1)
		ce.want(under.Payment.ID, pasarela.StatusAdjustment)
		ce.send(addr, "0.001")
		ce.want(under.Payment.ID, pasarela.StatusAdjustment)
		ce.mine(1)
		got = ce.want(under.Payment.ID, pasarela.StatusCompleted)
		if got.Received.String() != "0.004" || len(got.TxIDs) != 2 {
			t.Fatalf("topped up: %+v", got)
		}
	})
}

// TestDepositLate: money after expiry is recorded, never lost: an expired
// deposit keeps its status and marks Late; one the sweeper has not expired
// yet fails. Money seen in time but never confirmed fails when the window
// ends. Without confirmations required, a payment in the mempool approves.
func TestDepositLate(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, map[string]any{"waitingTime": float64(600), "monitoringTime": float64(3600)})
		expired := ce.deposit(ce.admin(), "100000", "")
		unswept := ce.deposit(ce.admin(), "100000", "")
		slow := ce.deposit(ce.admin(), "100000", "")
		ce.send(slow.Payment.Deposit.Address, "0.004")
		ce.clock.Advance(601 * time.Second)
		// The sweeper has not expired it yet: pending, paid too late, failed.
		ce.send(unswept.Payment.Deposit.Address, "0.004")
		if got := ce.want(unswept.Payment.ID, pasarela.StatusFailed); !got.Late || got.Received.String() != "0.004" {
			t.Fatalf("late on a pending deposit: %+v", got)
		}
		if _, err := ce.svc.Sweep(ce.ctx); err != nil {
			t.Fatal(err)
		}
		ce.want(expired.Payment.ID, pasarela.StatusExpired)
		ce.send(expired.Payment.Deposit.Address, "0.004")
		if got := ce.want(expired.Payment.ID, pasarela.StatusExpired); !got.Late || got.Received.String() != "0.004" {
			t.Fatalf("late on an expired deposit: %+v", got)
		}
		ce.want(slow.Payment.ID, pasarela.StatusProcessing)
		ce.clock.Advance(3600 * time.Second)
		if _, err := ce.svc.WatchDeposits(ce.ctx); err != nil {
			t.Fatal(err)
		}
		ce.want(slow.Payment.ID, pasarela.StatusFailed)
	})
}

// TestDepositZeroConf: with no confirmation required, a payment in the
// mempool approves the deposit.
func TestDepositZeroConf(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, map[string]any{"confirmations": float64(0)})
		d := ce.deposit(ce.admin(), "100000", "")
		ce.send(d.Payment.Deposit.Address, "0.004")
		ce.want(d.Payment.ID, pasarela.StatusCompleted)
	})
}
