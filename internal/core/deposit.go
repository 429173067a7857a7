package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/webhook"
)

// Crypto deposits. A client charges a price in fiat; the buyer pays the
// equivalent in a crypto currency, at a rate locked for the waiting time,
// to a fresh address derived from the merchant's own extended public key
// (BTCPay Server's self-custody model). A deposit is a payment of the
// application (type deposit, its amount the fiat price) with a crypto side
// (pasarela.Deposit); a chain watcher moves it through the payment states
// as the chain shows money arriving and confirming (deposit_watch.go).
//
// Which application: a user's deposits belong to the lowest-id application
// of its client with an enabled crypto gateway config (that config's lowest
// id); an application key's, to its own application.
//
// Error codes a face maps (all *pasarela.Error):
//
//	crypto_not_configured  no enabled crypto config (field exchange)
//	client_inactive        the client is not active (forbidden)
//	currency_unsupported   field currency or fiat: not a currency the gateway knows
//	not_crypto, not_fiat   field currency, fiat: the wrong kind of currency
//	currency_not_offered   field currency: the config holds no key for it
//	not_positive           field amount
//	amount_too_small       field amount: the crypto amount rounds to nothing
//	exchange_not_found, no_market, rate_stale   the rate (CryptoRate's codes)
//	address_unavailable    field wallet: no address could be derived
//	url                    field callback: not a URL callbacks may reach
//	range                  field fiat_withdraw: not 0 to 100

// CryptoConfig wires crypto deposits to the chains.
type CryptoConfig struct {
	// Chains are the chain backends deposits are watched on; a config's
	// "chain" option names one.
	Chains []chain.Watcher
	// Backends build the watcher of a config that names its own node
	// (chain "rpc"), by the backend's name.
	Backends map[string]ChainBackend
	// Sandbox is the simulated chain the operator's send and mine calls
	// act on; nil when no sandbox chain is served.
	Sandbox SandboxChain
	// GapLimit is how many addresses of one key in a row may go unpaid
	// before a warning (default 20, what wallets scan ahead).
	GapLimit int
}

// ChainBackend is a chain backend whose node each crypto config names
// (package chain/rpc's Pool): it builds, and keeps, the watcher of a
// config's node, and reports how each node it keeps fared.
type ChainBackend interface {
	Watcher(node crypto.Node) (chain.Watcher, error)
	Health() []chain.Health
}

// SandboxChain is a simulated chain that an operator pays on.
type SandboxChain interface {
	chain.Watcher
	Send(ctx context.Context, currency, network, address string, amount decimal.Decimal) (string, error)
	Mine(ctx context.Context, currency string, blocks int) (int64, error)
}

func (c *CryptoConfig) defaults() {
	if c.GapLimit <= 0 {
		c.GapLimit = 20
	}
}

// cryptoNames are the names quotes show of the crypto currencies.
var cryptoNames = map[string]string{"BTC": "Bitcoin", "BCH": "Bitcoin Cash", "ETH": "Ether", "LTC": "Litecoin"}

// Quote is what one crypto currency costs for a price, at one exchange.
type Quote struct {
	ExchangeID int
	Exchange   string
	Currency   string // crypto code
	Name       string
	Symbol     string
	Amount     decimal.Decimal // what the buyer would pay, in Currency
}

// Quotes are the ways a price can be paid now.
type Quotes struct {
	Fiat   string
	Amount decimal.Decimal // the price, rounded to the fiat's scale
	Items  []Quote
}

// DepositInput is a request for a deposit.
type DepositInput struct {
	Currency string // the crypto currency the buyer pays in
	Fiat     string // the currency of the price
	// Amount is the price in Fiat's major units as text ("150000.30"): a
	// face passes the number it decoded without going through a float;
	// the core rounds it half up to the fiat's scale.
	Amount     string
	ExchangeID int
	// CallbackURL, when set, is sent every change of the deposit, in the
	// webhook format CallbackFormat.
	CallbackURL    string
	CallbackFormat string
	// ReturnURL, when set, is the merchant's page the hosted deposit page
	// links back to.
	ReturnURL string
	// FiatWithdraw is the percentage the merchant wants in fiat (default
	// 100).
	FiatWithdraw *int
}

// DepositDetail is a deposit with its payment and, for callers that see
// other users' deposits, the user who created it.
type DepositDetail struct {
	Payment pasarela.Payment // Payment.Deposit is set
	Creator *pasarela.User   // nil for a deposit made with an application key
	// PageURL is the hosted deposit page the buyer pays from.
	PageURL string
}

// DepositFilter narrows a list of deposits.
type DepositFilter struct {
	Statuses []pasarela.PaymentStatus
	From, To *time.Time // created at or after From, before To
	// UserID keeps one user's deposits: only callers who see every
	// deposit of the client may ask for another user's.
	UserID int64
	Limit  int // default and at most 1000
}

// depositViewer is who reads deposits: an application key sees its
// application's, a terminal user its own, any other user the client's.
type depositViewer struct {
	p      *pasarela.Principal
	appID  int64 // 0: every application
	userID int64 // 0: every user
}

func viewerOf(ctx context.Context) (*depositViewer, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	v := &depositViewer{p: p, appID: p.ApplicationID}
	if p.IsUser() && !p.HasRole(pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleViewer) {
		v.userID = p.UserID
	}
	return v, nil
}

// check lets the viewer at a deposit: another client's, or another
// application's for an application key, is not found (it tells nothing of
// what exists elsewhere); a colleague's, for a terminal user, is forbidden
// (xpay tells its users so: only the creator or a manager may).
func (v *depositViewer) check(d *pasarela.Deposit) error {
	switch {
	case d.ClientID != v.p.ClientID || v.appID != 0 && d.ApplicationID != v.appID:
		return pasarela.NotFound("deposit")
	case v.userID != 0 && d.UserID != v.userID:
		return pasarela.Errorf(pasarela.KindForbidden, "forbidden", "only the user who created this deposit or a manager may see or cancel it")
	}
	return nil
}

// errDepositPayment refuses a card payment's action (a cancel, a payment
// link) on a deposit: a deposit is paid on a chain and cancelled through
// CancelDeposit, which applies the deposit's own rules (who created it,
// what the chain has seen).
var errDepositPayment = pasarela.Errorf(pasarela.KindInvalid, "deposit_payment",
	"this payment is a crypto deposit: cancel it as a deposit; it takes no payment links")

// depositConfig is the crypto config deposits of the caller go to, read.
type depositConfig struct {
	row   store.GatewayConfigRow
	rules *crypto.Rules
}

var errNoCrypto = pasarela.Errorf(pasarela.KindInvalid, "crypto_not_configured",
	"no enabled crypto gateway config can take deposits: configure one (gateway \"crypto\") on an application")

// depositConfigOf finds the caller's crypto config.
func (s *Service) depositConfigOf(ctx context.Context, tx *store.Tx, p *pasarela.Principal) (*depositConfig, error) {
	rows, err := tx.ClientGatewayConfigs(ctx, p.ClientID, p.ApplicationID, crypto.GatewayID)
	if err != nil {
		return nil, err
	}
	var best *store.GatewayConfigRow
	for i := range rows {
		r := &rows[i]
		if r.Enabled && (best == nil || r.ApplicationID < best.ApplicationID || r.ApplicationID == best.ApplicationID && r.ID < best.ID) {
			best = r
		}
	}
	if best == nil {
		return nil, errNoCrypto
	}
	rules, err := s.rulesOf(best)
	if err != nil {
		return nil, err
	}
	return &depositConfig{row: *best, rules: rules}, nil
}

// rulesOf reads a crypto config's rules, its keys opened.
func (s *Service) rulesOf(row *store.GatewayConfigRow) (*crypto.Rules, error) {
	opts, err := s.options(row)
	if err != nil {
		return nil, err
	}
	rules, err := crypto.ReadRules(opts)
	if err != nil {
		// Checked when saved: a config that no longer reads is the
		// gateway's fault, not the caller's.
		return nil, pasarela.Internal(fmt.Errorf("crypto config %d: %w", row.ID, err))
	}
	return rules, nil
}

// depositCurrencies checks the crypto currency and the fiat of a request
// as rate lookups do (checkPair) and returns them; an empty crypto is not
// checked (quotes name none). A currency refused is the zero value.
func depositCurrencies(v *pasarela.Validation, cryptoCode, fiat string) (c, f pasarela.Currency) {
	var cc, fc string
	if cryptoCode != "" {
		cc, fc = checkPair(v, cryptoCode, fiat)
	} else {
		fc = checkFiat(v, fiat)
	}
	if x, ok := pasarela.LookupCurrency(cc); ok && x.Crypto {
		c = x
	}
	if x, ok := pasarela.LookupCurrency(fc); ok && !x.Crypto {
		f = x
	}
	return c, f
}

// maxFiat bounds a price: 10^15 minor units, far beyond any sale, well
// inside an int64.
var maxFiat = decimal.New(1, 15)

// parsePrice reads a price in major units and rounds it half up to the
// fiat's scale.
func parsePrice(v *pasarela.Validation, text string, fiat pasarela.Currency) (decimal.Decimal, int64) {
	d, err := decimal.NewFromString(strings.TrimSpace(text))
	if err != nil {
		v.Add("amount", "type", "must be a number")
		return decimal.Zero, 0
	}
	d = d.Round(fiat.Scale)
	minor := d.Shift(fiat.Scale)
	switch {
	case !d.IsPositive():
		v.Add("amount", "not_positive", "must be greater than 0")
	case minor.GreaterThanOrEqual(maxFiat):
		v.Add("amount", "too_large", "is too large")
	default:
		return d, minor.IntPart()
	}
	return decimal.Zero, 0
}

// due is what a buyer pays for price at rate, rounded up to the crypto
// currency's scale so that the merchant never receives less than the price.
func due(price, rate decimal.Decimal, c pasarela.Currency) decimal.Decimal {
	return price.DivRound(rate, c.Scale+8).RoundUp(c.Scale)
}

// DepositQuotes returns what a price in fiat costs in each crypto currency
// the caller's crypto config holds a key for, at every exchange with a
// fresh rate. Amount is the price as text in major units.
func (s *Service) DepositQuotes(ctx context.Context, fiat, amount string) (*Quotes, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var v pasarela.Validation
	_, fc := depositCurrencies(&v, "", fiat)
	var price decimal.Decimal
	if fc.Code != "" {
		price, _ = parsePrice(&v, amount, fc)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var cfg *depositConfig
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		cfg, err = s.depositConfigOf(ctx, tx, p)
		return err
	}); err != nil {
		return nil, err
	}
	rates, err := s.CryptoRates(ctx, fiat)
	if err != nil {
		return nil, err
	}
	q := &Quotes{Fiat: fiat, Amount: price, Items: []Quote{}}
	for _, r := range rates {
		c, _ := pasarela.LookupCurrency(r.Currency)
		if cfg.rules.Keys[r.Currency] == nil || !r.Rate.IsPositive() {
			continue
		}
		amt := due(price, r.Rate, c)
		if !amt.IsPositive() {
			continue
		}
		q.Items = append(q.Items, Quote{ExchangeID: s.exchangeID(r.Exchange), Exchange: r.Exchange, Currency: r.Currency,
			Name: cryptoNames[r.Currency], Symbol: r.Currency, Amount: amt})
	}
	return q, nil
}

// CreateDeposit creates a deposit: the price is converted at the exchange's
// fresh rate, locked with the crypto amount for the config's waiting time,
// and the next address of the merchant's key is taken in the transaction
// that creates the payment, so that an address is never handed out twice.
func (s *Service) CreateDeposit(ctx context.Context, in DepositInput, idem *Idem) (*DepositDetail, *Replay, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p.IsUser() && !p.HasRole(paymentRoles...) {
		return nil, nil, pasarela.Errorf(pasarela.KindForbidden, "forbidden", "a viewer may not create deposits")
	}
	var v pasarela.Validation
	cc, fc := depositCurrencies(&v, in.Currency, in.Fiat)
	var price decimal.Decimal
	var minor int64
	if fc.Code != "" {
		price, minor = parsePrice(&v, in.Amount, fc)
	}
	if in.CallbackURL != "" {
		if err := webhook.CheckTarget(in.CallbackURL, s.cfg.Webhooks.AllowPrivate); err != nil {
			v.Add("callback", "url", err.Error())
		} else if !slices.Contains(pasarela.WebhookFormats, in.CallbackFormat) {
			return nil, nil, pasarela.Internal(fmt.Errorf("deposit callback format %q", in.CallbackFormat))
		}
	}
	checkURL(&v, "return_url", &in.ReturnURL)
	withdraw := 100
	if in.FiatWithdraw != nil {
		if withdraw = *in.FiatWithdraw; withdraw < 0 || withdraw > 100 {
			v.Add("fiat_withdraw", "range", "must be a percentage from 0 to 100")
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var cfg *depositConfig
	var client *pasarela.Client
	var replay *Replay
	scope := "deposit"
	err = s.db.View(ctx, func(tx *store.Tx) error {
		if client, err = tx.GetClient(ctx, p.ClientID); err != nil {
			return err
		}
		if client.Status != pasarela.ClientActive {
			return pasarela.Errorf(pasarela.KindForbidden, "client_inactive", "the client is not active")
		}
		if cfg, err = s.depositConfigOf(ctx, tx, p); err != nil || idem == nil {
			return err
		}
		replay, err = lookupReplay(ctx, tx, p.ClientID, scope, idem, s.now())
		return err
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	key := cfg.rules.Keys[cc.Code]
	if key == nil {
		return nil, nil, pasarela.Invalid("currency", "currency_not_offered",
			cc.Code+" is not offered: the crypto gateway config holds no key for it")
	}
	rate, err := s.CryptoRate(ctx, in.ExchangeID, cc.Code, fc.Code)
	if err != nil {
		return nil, nil, err
	}
	amount := due(price, rate.Rate, cc)
	if !amount.IsPositive() {
		return nil, nil, pasarela.Invalid("amount", "amount_too_small", "is too small to be paid in "+cc.Code)
	}
	now := s.now()
	expires := now.Add(time.Duration(cfg.rules.WaitingTime) * time.Second)
	pay := &pasarela.Payment{ClientID: p.ClientID, ApplicationID: cfg.row.ApplicationID, TransactionID: newTransactionID(now),
		CheckoutToken: newCheckoutToken(now), Status: pasarela.StatusPending, Type: pasarela.PaymentDeposit,
		Amount: minor, Currency: fc.Code, Description: "Deposit of " + amount.String() + " " + cc.Code,
		GatewayConfigs: []int64{cfg.row.ID}, GatewayConfig: cfg.row.ID, ExpiresAt: &expires,
		NotifyURL: in.CallbackURL, NotifyFormat: in.CallbackFormat, ReturnURL: in.ReturnURL, CreatedAt: now, UpdatedAt: now}
	if in.CallbackURL == "" {
		pay.NotifyFormat = ""
	}
	dep := &pasarela.Deposit{ClientID: p.ClientID, ApplicationID: cfg.row.ApplicationID, GatewayConfig: cfg.row.ID,
		UserID: p.UserID, Currency: cc.Code, Network: cfg.rules.Network, Chain: cfg.rules.Chain, KeyID: key.ID(),
		Amount: amount, Rate: rate.Rate, Exchange: rate.Exchange,
		Commission:   amount.Mul(cfg.rules.Commission).Div(decimal.NewFromInt(100)).Round(cc.Scale),
		FiatWithdraw: withdraw, Received: decimal.Zero, TxIDs: []string{}, ExpiresAt: expires,
		MonitorUntil: expires.Add(time.Duration(cfg.rules.MonitoringTime) * time.Second), CreatedAt: now, UpdatedAt: now}
	out, replay, err := s.createOnce(ctx, p.ClientID, scope, idem, func(tx *store.Tx) (any, error) {
		index, unpaid, err := tx.NextKeyIndex(ctx, dep.Currency, dep.KeyID)
		if err != nil {
			return nil, err
		}
		if unpaid > s.cfg.Crypto.GapLimit {
			// Wallets restoring the key scan a gap of about 20 unused
			// addresses: payments past it are there, but hidden from them.
			s.log.WarnContext(ctx, "crypto deposits: addresses in a row unpaid beyond the wallets' gap limit",
				"client", p.ClientID, "config", cfg.row.ID, "currency", dep.Currency, "unpaid", unpaid, "gap_limit", s.cfg.Crypto.GapLimit)
			s.gapWarnings.Add(1)
		}
		if dep.Address, err = key.Address(index); err != nil {
			return nil, pasarela.Invalid("wallet", "address_unavailable", "no deposit address could be derived: "+err.Error())
		}
		dep.Index = index
		if err := tx.CreatePayment(ctx, pay); err != nil {
			return nil, err
		}
		dep.PaymentID = pay.ID
		if err := tx.CreateDeposit(ctx, dep); err != nil {
			return nil, err
		}
		pay.Deposit = withURI(dep)
		if err := s.recordEvent(ctx, tx, "payment.created", pay); err != nil {
			return nil, err
		}
		return s.depositDetail(ctx, tx, p, pay)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return out.(*DepositDetail), nil, nil
}

// depositDetail completes a deposit for its reader: the creator for those
// who see others' deposits, the page's URL.
func (s *Service) depositDetail(ctx context.Context, tx *store.Tx, p *pasarela.Principal, pay *pasarela.Payment) (*DepositDetail, error) {
	withURI(pay.Deposit)
	d := &DepositDetail{Payment: *pay, PageURL: s.CheckoutURL(pay.CheckoutToken)}
	if uid := pay.Deposit.UserID; uid != 0 && (!p.IsUser() || p.UserID != uid || p.HasRole(pasarela.RoleAdmin, pasarela.RoleManager)) {
		u, err := tx.GetUser(ctx, pay.ClientID, uid)
		switch {
		case err == nil:
			u.PasswordHash = ""
			d.Creator = u
		case pasarela.ErrorKind(err) != pasarela.KindNotFound: // a deleted user leaves its deposits
			return nil, err
		}
	}
	return d, nil
}

// withURI sets the payment request a wallet reads for a deposit (computed,
// not stored: it follows from the address and the amount).
func withURI(d *pasarela.Deposit) *pasarela.Deposit {
	d.URI = chain.PaymentURI(d.Currency, d.Address, d.Amount)
	return d
}

// GetDeposit returns one deposit the caller sees; any other is not found.
func (s *Service) GetDeposit(ctx context.Context, id int64) (*DepositDetail, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	var out *DepositDetail
	err = s.db.View(ctx, func(tx *store.Tx) error {
		d, err := tx.GetDeposit(ctx, v.p.ClientID, id)
		if err != nil {
			return err
		}
		if err := v.check(d); err != nil {
			return err
		}
		pay, err := tx.GetPaymentByID(ctx, v.p.ClientID, id)
		if err != nil {
			return err
		}
		pay.Deposit = d
		out, err = s.depositDetail(ctx, tx, v.p, pay)
		return err
	})
	return out, err
}

// ListDeposits returns the deposits the caller sees, newest first.
func (s *Service) ListDeposits(ctx context.Context, f DepositFilter) ([]DepositDetail, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	sf := store.DepositFilter{ApplicationID: v.appID, UserID: v.userID, From: f.From, To: f.To, Limit: f.Limit}
	if sf.Limit <= 0 || sf.Limit > 1000 {
		sf.Limit = 1000
	}
	for _, st := range f.Statuses {
		if !slices.Contains(pasarela.DepositStatuses, st) {
			return nil, pasarela.Invalid("status", "enum", "is not a status a deposit can be in: "+string(st))
		}
		sf.Statuses = append(sf.Statuses, string(st))
	}
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		return nil, pasarela.Invalid("from", "after_to", "is after to")
	}
	var out []DepositDetail
	err = s.db.View(ctx, func(tx *store.Tx) error {
		if f.UserID != 0 {
			if v.userID != 0 && f.UserID != v.userID {
				return pasarela.Errorf(pasarela.KindForbidden, "filter_forbidden", "only managers may filter by another user")
			}
			if _, err := tx.GetUser(ctx, v.p.ClientID, f.UserID); err != nil {
				if pasarela.ErrorKind(err) == pasarela.KindNotFound {
					return &pasarela.Error{Kind: pasarela.KindInvalid, Code: "user_not_found", Field: "user", Message: "no such user in this client"}
				}
				return err
			}
			sf.UserID = f.UserID
		}
		rows, err := tx.ListDeposits(ctx, v.p.ClientID, sf)
		if err != nil {
			return err
		}
		out = make([]DepositDetail, 0, len(rows))
		for i := range rows {
			pay := rows[i].Payment
			pay.Deposit = &rows[i].Deposit
			d, err := s.depositDetail(ctx, tx, v.p, &pay)
			if err != nil {
				return err
			}
			out = append(out, *d)
		}
		return nil
	})
	return out, err
}

// CancelDeposit cancels a deposit nobody has paid yet (pending): its
// creator, an admin or a manager of the client, or its application's key
// may. Money that arrives afterwards is still recorded (Late).
func (s *Service) CancelDeposit(ctx context.Context, id int64) (*DepositDetail, error) {
	v, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	var out *DepositDetail
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		d, err := tx.GetDeposit(ctx, v.p.ClientID, id)
		if err != nil {
			return err
		}
		if err := v.check(d); err != nil {
			return err
		}
		if v.p.IsUser() && !v.p.HasRole(paymentRoles...) {
			return pasarela.Errorf(pasarela.KindForbidden, "forbidden", "a viewer may not cancel deposits")
		}
		pay, err := tx.GetPaymentByID(ctx, v.p.ClientID, id)
		if err != nil {
			return err
		}
		if pay.Status != pasarela.StatusPending {
			return pasarela.Errorf(pasarela.KindInvalid, "invalid_transition", "only a deposit waiting for payment can be cancelled; this one is %s", pay.Status)
		}
		pay.Deposit = d
		if err := s.transition(ctx, tx, pay, pasarela.StatusInvalidated); err != nil {
			return err
		}
		out, err = s.depositDetail(ctx, tx, v.p, pay)
		return err
	})
	return out, err
}
