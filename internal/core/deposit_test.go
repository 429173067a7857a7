package core_test

import (
	"context"
	"errors"
	"slices"
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
	bip84Zpub  = core.DemoXpub
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

func newCryptoEnv(t *testing.T, engine string, options map[string]any, opts ...envOption) *cryptoEnv {
	t.Helper()
	e := newEnv(t, engine)
	ch := sandbox.New(e.db, e.clock.Now)
	cfg := core.Config{
		Processors:  processor.NewRegistry(e.sandbox, crypto.New()),
		SecretKey:   []byte("0123456789abcdef0123456789abcdef"),
		PublicURL:   "http://pay.test",
		Crypto:      core.CryptoConfig{Chains: []chain.Watcher{ch}, Sandbox: ch},
		CryptoRates: core.CryptoRateConfig{Tickers: []rates.Ticker{rates.NewCryptoSandbox(e.clock.Now)}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.svc = mustService(t, e.db, e.clock, cfg)
	if err := e.svc.RefreshCryptoRates(e.ctx); err != nil {
		t.Fatal(err)
	}
	if options == nil {
		options = map[string]any{}
	}
	if _, ok := options["btcXpub"]; !ok {
		options["btcXpub"] = bip84Zpub
	}
	config, err := e.svc.CreateGatewayConfig(e.admin(), e.appID(), core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
		Name: pasarela.Set("Crypto"), Config: pasarela.Set(options)})
	if err != nil {
		t.Fatal(err)
	}
	return &cryptoEnv{env: e, cfg: config}
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
		_, _, err = ce.svc.Refund(ce.app(), ce.appID(), d.Payment.ID, core.RefundInput{}, nil)
		wantErr(t, "refund a deposit", err, pasarela.KindInvalid, "not_refundable", "own wallet")
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

		// Too little, and the merchant accepts it (a capture): completed,
		// booked for what arrived at the locked rate (0.003 BTC × 25,000,000).
		short := ce.deposit(ce.admin(), "100000", "")
		ce.send(short.Payment.Deposit.Address, "0.003")
		_, err = ce.svc.CapturePayment(ce.app(), ce.appID(), short.Payment.ID)
		wantErr(t, "accept before the chain confirmed", err, pasarela.KindInvalid, "invalid_transition")
		ce.mine(1)
		ce.want(short.Payment.ID, pasarela.StatusAdjustment)
		_, err = ce.svc.CaptureAmount(ce.app(), ce.appID(), short.Payment.ID, 100)
		wantErr(t, "accept a part", err, pasarela.KindInvalid, "not_supported")
		accepted, err := ce.svc.CapturePayment(ce.app(), ce.appID(), short.Payment.ID)
		if err != nil || accepted.Status != pasarela.StatusCompleted || accepted.Captured != 7500000 || accepted.Amount != 10000000 {
			t.Fatalf("accepted: %+v %v", accepted, err)
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

// as is ctx acting as user u.
func as(ctx context.Context, u *pasarela.User) context.Context {
	return pasarela.WithPrincipal(ctx, &pasarela.Principal{ClientID: u.ClientID, UserID: u.ID, Username: u.Username, Roles: u.Roles})
}

// TestDepositVisibility: a terminal user sees and cancels only its own
// deposits, a manager the client's (with their creator), a viewer reads
// but never writes; another client sees nothing, even by id.
func TestDepositVisibility(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, nil)
		till := as(ce.ctx, ce.mustUser("till", "till@alpha.example", pasarela.RoleTerminal))
		other := as(ce.ctx, ce.mustUser("other", "other@alpha.example", pasarela.RoleTerminal))
		manager := as(ce.ctx, ce.mustUser("boss", "boss@alpha.example", pasarela.RoleManager))
		viewer := as(ce.ctx, ce.mustUser("eyes", "eyes@alpha.example", pasarela.RoleViewer))
		mine := ce.deposit(till, "1000", "")
		theirs := ce.deposit(other, "2000", "")
		if mine.Creator != nil {
			t.Errorf("a terminal user's own deposit names its creator: %+v", mine.Creator)
		}
		_, err := ce.svc.GetDeposit(till, theirs.Payment.ID)
		wantErr(t, "another terminal's deposit", err, pasarela.KindForbidden, "forbidden")
		_, err = ce.svc.CancelDeposit(till, theirs.Payment.ID)
		wantErr(t, "cancel another terminal's deposit", err, pasarela.KindForbidden, "forbidden")
		list, err := ce.svc.ListDeposits(till, core.DepositFilter{})
		if err != nil || len(list) != 1 || list[0].Payment.ID != mine.Payment.ID {
			t.Fatalf("a terminal's list: %v %v", list, err)
		}
		_, err = ce.svc.ListDeposits(till, core.DepositFilter{UserID: theirs.Payment.Deposit.UserID})
		wantErr(t, "a terminal filters by another user", err, pasarela.KindForbidden, "filter_forbidden")
		list, err = ce.svc.ListDeposits(manager, core.DepositFilter{})
		if err != nil || len(list) != 2 || list[0].Creator == nil || list[0].Creator.Username != "other" || list[0].Creator.PasswordHash != "" {
			t.Fatalf("a manager's list: %+v %v", list, err)
		}
		list, err = ce.svc.ListDeposits(manager, core.DepositFilter{UserID: mine.Payment.Deposit.UserID,
			Statuses: []pasarela.PaymentStatus{pasarela.StatusPending}})
		if err != nil || len(list) != 1 || list[0].Payment.ID != mine.Payment.ID {
			t.Fatalf("a manager filters by user: %+v %v", list, err)
		}
		_, err = ce.svc.ListDeposits(manager, core.DepositFilter{UserID: ce.B.Admin.ID})
		wantErr(t, "filter by another client's user", err, pasarela.KindInvalid, "user_not_found")
		_, err = ce.svc.ListDeposits(manager, core.DepositFilter{Statuses: []pasarela.PaymentStatus{"approved"}})
		wantErr(t, "a status no deposit has", err, pasarela.KindInvalid, "enum")
		from, to := ce.clock.Now().Add(time.Hour), ce.clock.Now()
		_, err = ce.svc.ListDeposits(manager, core.DepositFilter{From: &from, To: &to})
		wantErr(t, "from after to", err, pasarela.KindInvalid, "after_to")
		if list, err = ce.svc.ListDeposits(manager, core.DepositFilter{From: &from}); err != nil || len(list) != 0 {
			t.Fatalf("from an hour ahead: %v %v", list, err)
		}
		if _, err := ce.svc.GetDeposit(viewer, mine.Payment.ID); err != nil {
			t.Errorf("a viewer reads: %v", err)
		}
		_, _, err = ce.svc.CreateDeposit(viewer, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1", ExchangeID: 1}, nil)
		wantErr(t, "a viewer creates", err, pasarela.KindForbidden, "forbidden")
		_, err = ce.svc.CancelDeposit(viewer, mine.Payment.ID)
		wantErr(t, "a viewer cancels", err, pasarela.KindForbidden, "forbidden")
		if _, err := ce.svc.CancelDeposit(manager, theirs.Payment.ID); err != nil {
			t.Errorf("a manager cancels: %v", err)
		}
		// Client B: nothing of A's, by id or in a list; no crypto config.
		b := ce.B.AdminCtx(ce.ctx)
		if _, err := ce.svc.GetDeposit(b, mine.Payment.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B reads A's deposit: %v", err)
		}
		if _, err := ce.svc.CancelDeposit(b, mine.Payment.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B cancels A's deposit: %v", err)
		}
		if list, err := ce.svc.ListDeposits(b, core.DepositFilter{}); err != nil || len(list) != 0 {
			t.Errorf("B's list: %v %v", list, err)
		}
		_, _, err = ce.svc.CreateDeposit(b, core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1", ExchangeID: 1}, nil)
		wantErr(t, "B without a crypto config", err, pasarela.KindInvalid, "crypto_not_configured")
		_, err = ce.svc.DepositQuotes(b, "COP", "1")
		wantErr(t, "B's quotes", err, pasarela.KindInvalid, "crypto_not_configured")
	})
}

// TestDepositInput: every refusal names its field and rule, and leaves no
// payment and no address taken.
func TestDepositInput(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, nil)
		// The key set is masked; the keys not set are absent, so the
		// merchant sees which currencies are offered.
		if _, eth := ce.cfg.Options["ethXpub"]; ce.cfg.Options["btcXpub"] != "********" || eth {
			t.Errorf("config as shown: %v", ce.cfg.Options)
		}
		hundred := 101
		for _, tc := range []struct {
			name  string
			in    core.DepositInput
			field string
			code  string
		}{
			{"unknown crypto", core.DepositInput{Currency: "XYZ", Fiat: "COP", Amount: "1", ExchangeID: 1}, "currency", "currency_unsupported"},
			{"a fiat as crypto", core.DepositInput{Currency: "USD", Fiat: "COP", Amount: "1", ExchangeID: 1}, "currency", "not_crypto"},
			{"unknown fiat", core.DepositInput{Currency: "BTC", Fiat: "COC", Amount: "1", ExchangeID: 1}, "fiat", "currency_unsupported"},
			{"a crypto as fiat", core.DepositInput{Currency: "BTC", Fiat: "ETH", Amount: "1", ExchangeID: 1}, "fiat", "not_fiat"},
			{"zero", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "0.004", ExchangeID: 1}, "amount", "not_positive"},
			{"negative", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "-5", ExchangeID: 1}, "amount", "not_positive"},
			{"not a number", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1O", ExchangeID: 1}, "amount", "type"},
			{"huge", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1e20", ExchangeID: 1}, "amount", "too_large"},
			{"a private callback", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1", ExchangeID: 1,
				CallbackURL: "http://10.0.0.1/cb", CallbackFormat: pasarela.FormatXpay}, "callback", "url"},
			{"fiat_withdraw", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1", ExchangeID: 1, FiatWithdraw: &hundred}, "fiat_withdraw", "range"},
			{"no key for ETH", core.DepositInput{Currency: "ETH", Fiat: "COP", Amount: "1", ExchangeID: 1}, "currency", "currency_not_offered"},
			{"no such exchange", core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1", ExchangeID: 7}, "exchange_id", "exchange_not_found"},
		} {
			_, _, err := ce.svc.CreateDeposit(ce.admin(), tc.in, nil)
			var pe *pasarela.Error
			if !errors.As(err, &pe) || pe.Field != tc.field || pe.Code != tc.code {
				t.Errorf("%s: %+v, want %s on %s", tc.name, err, tc.code, tc.field)
			}
		}
		if n := ce.count(`SELECT COUNT(*) FROM crypto_deposits`) + ce.count(`SELECT COUNT(*) FROM crypto_key_indexes`); n != 0 {
			t.Errorf("refused deposits left %d rows", n)
		}
		// A key that does not parse for the network is refused when saved.
		_, err := ce.svc.CreateGatewayConfig(ce.admin(), ce.appID(), core.GatewayConfigInput{Gateway: pasarela.Set(crypto.GatewayID),
			Name: pasarela.Set("Testnet"), Config: pasarela.Set(map[string]any{"network": "testnet", "btcXpub": bip84Zpub})})
		var pe *pasarela.Error
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "config.btcXpub" || strings.Contains(pe.Error(), bip84Zpub[:20]) {
			t.Errorf("a mainnet key on testnet: %+v", err)
		}
		// The same request twice with one key: one deposit, one address.
		idem := func() *core.Idem {
			return &core.Idem{Key: "k1", Fingerprint: [32]byte{1}, Render: func(any) (int, []byte, error) { return 201, []byte("{}"), nil }}
		}
		in := core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1000", ExchangeID: 1}
		first, _, err := ce.svc.CreateDeposit(ce.admin(), in, idem())
		if err != nil {
			t.Fatal(err)
		}
		_, replay, err := ce.svc.CreateDeposit(ce.admin(), in, idem())
		if err != nil || replay == nil || first.Payment.Deposit.Index != 0 || ce.count(`SELECT COUNT(*) FROM crypto_deposits`) != 1 {
			t.Fatalf("replayed: %+v %v", replay, err)
		}
	})
}

// TestDepositIndexesConcurrent: deposits created at once each take their
// own derivation index, none skipped, none twice.
func TestDepositIndexesConcurrent(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, nil)
		const n = 12
		got := make([]uint32, n)
		barrier(n, func(i int) {
			d, _, err := ce.svc.CreateDeposit(ce.app(), core.DepositInput{Currency: "BTC", Fiat: "COP", Amount: "1000", ExchangeID: 1}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = d.Payment.Deposit.Index
		})
		slices.Sort(got)
		for i, idx := range got {
			if idx != uint32(i) {
				t.Fatalf("indexes %v", got)
			}
		}
		if n := ce.count(`SELECT COUNT(DISTINCT address) FROM crypto_deposits`); n != 12 {
			t.Errorf("%d distinct addresses", n)
		}
	})
}

// TestDepositGapLimit: more unpaid addresses in a row than the gap limit
// are counted (and logged); a payment starts the run again.
func TestDepositGapLimit(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		ce := newCryptoEnv(t, engine, nil, func(c *core.Config) { c.Crypto.GapLimit = 2 })
		first := ce.deposit(ce.admin(), "1000", "")
		ce.deposit(ce.admin(), "1000", "")
		if n := ce.svc.GapWarnings(); n != 0 {
			t.Fatalf("within the limit: %d warnings", n)
		}
		ce.deposit(ce.admin(), "1000", "")
		if n := ce.svc.GapWarnings(); n != 1 {
			t.Fatalf("past the limit: %d warnings", n)
		}
		ce.send(first.Payment.Deposit.Address, "0.00004")
		ce.deposit(ce.admin(), "1000", "")
		if n := ce.svc.GapWarnings(); n != 1 {
			t.Fatalf("after a payment: %d warnings", n)
		}
	})
}
