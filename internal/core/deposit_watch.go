package core

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store"
)

// Watching deposits. The chain is asked what it shows of the addresses of
// the deposits still watched, outside any transaction (a node may be slow);
// each deposit whose picture changed is then moved in a transaction of its
// own, which reads the payment again (locked on PostgreSQL) so that a
// cancel or an expiry racing with the watcher ends with one winner.
//
// The states: money seen → processing; confirmed enough and within the
// tolerance → completed (booked in the ledger at the locked rate); confirmed
// but too little or too much → adjustment (a top-up before expiry that
// brings it within the tolerance completes it); money gone (replaced,
// reorganised away) → pending again; money arriving after expiry or after a
// cancel → recorded as Late (a pending deposit past its expiry fails);
// money seen but not confirmed when the monitoring window ends → failed. A
// reorganization that orphans the paying block, or a replacement that
// drops the paying transaction, takes a deposit back (to processing while
// the transaction waits in the mempool again, to pending when it is gone),
// even a completed one: its capture is reversed in the ledger in the same
// transaction, and the change is an event (a callback) like any other.

// watchBatch bounds the deposits read at once.
const watchBatch = 500

// GapWarnings counts deposits created past the wallets' gap limit.
func (s *Service) GapWarnings() int64 { return s.gapWarnings.Load() }

// WatchDeposits looks at every watched deposit once and returns how many
// changed. A chain that cannot be read leaves its deposits as they were
// (logged); the others go on. Every watched deposit is read first, so that
// each chain is asked once about all of its addresses: a node's watcher
// matches every block it reads against all of them.
func (s *Service) WatchDeposits(ctx context.Context) (int, error) {
	var all []store.DepositRow
	var after int64
	for {
		var rows []store.DepositRow
		if err := s.db.View(ctx, func(tx *store.Tx) error {
			var err error
			rows, err = tx.WatchedDeposits(ctx, s.now(), after, watchBatch)
			return err
		}); err != nil {
			return 0, err
		}
		all = append(all, rows...)
		if len(rows) < watchBatch {
			break
		}
		after = rows[len(rows)-1].Deposit.PaymentID
	}
	if len(all) == 0 {
		return 0, nil
	}
	return s.watchRows(ctx, all)
}

// watchRows asks each chain about its deposits among rows and applies what
// it shows.
func (s *Service) watchRows(ctx context.Context, rows []store.DepositRow) (int, error) {
	type group struct {
		w        chain.Watcher
		currency string
	}
	groups := map[group][]*store.DepositRow{}
	var order []group
	nodes := map[int64]chain.Watcher{} // by config, for chains whose node a config names
	for i := range rows {
		d := &rows[i].Deposit
		w, err := s.watcher(ctx, d, nodes)
		if err != nil {
			s.log.WarnContext(ctx, "crypto deposits: the config's chain backend cannot be built; the deposit keeps its state",
				"chain", d.Chain, "config", d.GatewayConfig, "deposit", d.PaymentID, "err", err)
			continue
		}
		if w == nil {
			s.log.WarnContext(ctx, "crypto deposits: no chain backend watches them", "chain", d.Chain, "currency", d.Currency, "deposit", d.PaymentID)
			continue
		}
		g := group{w, d.Currency}
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], &rows[i])
	}
	changed := 0
	for _, g := range order {
		rs := groups[g]
		addresses := make([]string, len(rs))
		for i, r := range rs {
			addresses[i] = r.Deposit.Address
		}
		paid, err := g.w.Payments(ctx, g.currency, addresses)
		if news, was := s.chainErrors.set(g.w, g.currency, err); err != nil {
			if news {
				s.log.WarnContext(ctx, "crypto deposits: the chain could not be read; deposits keep their state",
					"chain", g.w.Name(), "currency", g.currency, "deposits", len(rs), "err", err)
			}
			continue
		} else if was != "" {
			s.log.InfoContext(ctx, "crypto deposits: the chain is read again", "chain", g.w.Name(), "currency", g.currency,
				"error_was", was)
		}
		byAddress := map[string][]chain.Payment{}
		for _, p := range paid {
			byAddress[p.Address] = append(byAddress[p.Address], p)
		}
		for _, r := range rs {
			ok, err := s.applyChain(ctx, &r.Deposit, byAddress[r.Deposit.Address])
			if err != nil {
				return changed, err
			}
			if ok {
				changed++
			}
		}
	}
	return changed, nil
}

// watcher returns the watcher of a deposit's chain: one of the fixed
// chains (the sandbox), or the node its config names, built by the
// backend (and cached in nodes for this round).
func (s *Service) watcher(ctx context.Context, d *pasarela.Deposit, nodes map[int64]chain.Watcher) (chain.Watcher, error) {
	for _, w := range s.cfg.Crypto.Chains {
		if w.Name() == d.Chain && w.Supports(d.Currency) {
			return w, nil
		}
	}
	b := s.cfg.Crypto.Backends[d.Chain]
	if b == nil {
		return nil, nil
	}
	if w, ok := nodes[d.GatewayConfig]; ok {
		return w, nil
	}
	var rules *crypto.Rules
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		rules, err = s.depositRules(ctx, tx, d)
		return err
	}); err != nil {
		return nil, err
	}
	var w chain.Watcher
	var err error
	if rules.Chain == d.Chain {
		// A config switched to another backend keeps watching the
		// deposits made under the old one only where it still can.
		w, err = b.Watcher(rules.Node)
	}
	if err != nil {
		return nil, err
	}
	if w != nil && !w.Supports(d.Currency) {
		w = nil
	}
	nodes[d.GatewayConfig] = w
	return w, nil
}

// ChainHealth reports how each node the chain backends keep fared at its
// last look (for /readyz and the metrics).
func (s *Service) ChainHealth() []chain.Health {
	var out []chain.Health
	for _, b := range s.cfg.Crypto.Backends {
		out = append(out, b.Health()...)
	}
	slices.SortFunc(out, func(a, b chain.Health) int { return strings.Compare(a.Name+a.Currency, b.Name+b.Currency) })
	return out
}

// seen is what the chain shows of one deposit.
type seen struct {
	received      decimal.Decimal
	confirmations int
	replaceable   bool
	txids         []string
	payments      []chain.Payment
}

// settled is how much of what the chain shows is confirmed by the rules:
// in blocks deep enough, or, with no confirmation required, in the mempool
// and not replaceable.
func (v seen) settled(r *crypto.Rules) decimal.Decimal {
	sum := decimal.Zero
	for _, p := range v.payments {
		if p.Confirmations >= r.Confirmations && (r.Confirmations > 0 || !p.Replaceable) {
			sum = sum.Add(p.Amount)
		}
	}
	return sum
}

func summarize(paid []chain.Payment) seen {
	v := seen{received: decimal.Zero, txids: []string{}, payments: paid}
	for i, p := range paid {
		v.received = v.received.Add(p.Amount)
		if i == 0 || p.Confirmations < v.confirmations {
			v.confirmations = p.Confirmations
		}
		v.replaceable = v.replaceable || p.Replaceable && p.Confirmations == 0
		if !slices.Contains(v.txids, p.TxID) {
			v.txids = append(v.txids, p.TxID)
		}
	}
	slices.Sort(v.txids)
	return v
}

// applyChain moves one deposit by what the chain shows of its address.
func (s *Service) applyChain(ctx context.Context, watched *pasarela.Deposit, paid []chain.Payment) (bool, error) {
	v := summarize(paid)
	now := s.now()
	// Nothing new on the chain changes nothing, with one exception: a
	// payment seen but never confirmed fails when the monitoring window
	// ends. (Expiry itself is the sweeper's; a deposit past it moves only
	// when money arrives.) So the common case, every deposit of the window
	// looked at every round, costs no write.
	if v.received.Equal(watched.Received) && v.confirmations == watched.Confirmations && slices.Equal(v.txids, watched.TxIDs) &&
		now.Before(watched.MonitorUntil) {
		return false, nil
	}
	changed := false
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		changed = false
		pay, err := tx.GetPaymentByID(ctx, watched.ClientID, watched.PaymentID)
		if err != nil {
			return err
		}
		d, err := tx.GetDeposit(ctx, watched.ClientID, watched.PaymentID)
		if err != nil {
			return err
		}
		pay.Deposit = withURI(d)
		rules, err := s.depositRules(ctx, tx, d)
		if err != nil {
			return err
		}
		if !v.received.Equal(d.Received) || v.confirmations != d.Confirmations || !slices.Equal(v.txids, d.TxIDs) {
			if d.Received.IsZero() && v.received.IsPositive() {
				if err := tx.KeyPaid(ctx, d.Currency, d.KeyID); err != nil {
					return err
				}
			}
			if v.received.GreaterThan(d.Received) && (pay.Status.Final() || now.After(d.ExpiresAt) && pay.Status == pasarela.StatusPending) {
				d.Late = true
			}
			d.Received, d.Confirmations, d.TxIDs, d.UpdatedAt = v.received, v.confirmations, v.txids, now
			if err := tx.UpdateDeposit(ctx, d); err != nil {
				return err
			}
			changed = true
		}
		for {
			to := nextDepositStatus(pay, d, v, rules, now)
			if to == "" || to == pay.Status {
				break
			}
			reversed := int64(0)
			switch {
			case to == pasarela.StatusCompleted:
				pay.Captured = pay.Amount
			case pay.Status == pasarela.StatusCompleted:
				// A reorganization took the confirmations back: the
				// capture is reversed in this transaction, and booked
				// again when the payment confirms again.
				reversed, pay.Captured, pay.CompletedAt = pay.Captured, 0, nil
			}
			if err := s.transition(ctx, tx, pay, to); err != nil {
				return err
			}
			if to == pasarela.StatusCompleted {
				if err := s.postCapture(ctx, tx, pay, crypto.GatewayID); err != nil {
					return err
				}
			}
			if reversed > 0 {
				if err := s.postCaptureReversal(ctx, tx, pay, reversed, crypto.GatewayID); err != nil {
					return err
				}
			}
			changed = true
		}
		return nil
	})
	return changed, err
}

// nextDepositStatus is where a deposit goes next from what the chain shows,
// or "" to stay. A payment that needs no confirmation (0) is confirmed in
// the mempool only if it cannot be replaced.
func nextDepositStatus(pay *pasarela.Payment, d *pasarela.Deposit, v seen, r *crypto.Rules, now time.Time) pasarela.PaymentStatus {
	paid := v.received.IsPositive()
	confirmed := paid && v.confirmations >= r.Confirmations && (r.Confirmations > 0 || !v.replaceable)
	tolerance := d.Amount.Mul(r.Tolerance).Div(decimal.NewFromInt(100))
	within := v.received.GreaterThanOrEqual(d.Amount.Sub(tolerance)) && v.received.LessThanOrEqual(d.Amount.Add(tolerance))
	switch pay.Status {
	case pasarela.StatusPending:
		switch {
		case !paid:
		case now.After(d.ExpiresAt):
			return pasarela.StatusFailed // paid after expiry: Late is recorded
		default:
			return pasarela.StatusProcessing
		}
	case pasarela.StatusProcessing:
		switch {
		case !paid:
			return pasarela.StatusPending // replaced or reorganised away
		case confirmed && within:
			return pasarela.StatusCompleted
		case confirmed:
			return pasarela.StatusAdjustment
		case !now.Before(d.MonitorUntil):
			return pasarela.StatusFailed // never confirmed in the window
		}
	case pasarela.StatusAdjustment:
		switch {
		case !paid:
			return pasarela.StatusPending // reorganised away
		case !v.settled(r).IsPositive():
			return pasarela.StatusProcessing // a reorganization took every confirmation back
		case confirmed && within && !now.After(d.ExpiresAt):
			return pasarela.StatusCompleted // topped up in time
		}
	case pasarela.StatusCompleted:
		// Watched until the monitoring window ends: a reorganization
		// that orphans the paying block, leaving less confirmed than
		// the tolerance allows, takes the deposit back. A top-up
		// waiting in the mempool does not.
		switch {
		case !paid:
			return pasarela.StatusPending
		case v.settled(r).LessThan(decimal.Min(d.Amount.Sub(tolerance), capturedCrypto(pay, d))):
			return pasarela.StatusProcessing
		}
	}
	return ""
}

// capturedCrypto is what a completed deposit's capture is worth in its
// crypto currency at the locked rate: the price for a deposit paid within
// the tolerance, less for one the merchant accepted short (acceptDeposit),
// so that the chain takes it back only when less than that stays
// confirmed.
func capturedCrypto(pay *pasarela.Payment, d *pasarela.Deposit) decimal.Decimal {
	fiat, _ := pasarela.LookupCurrency(pay.Currency)
	if !d.Rate.IsPositive() {
		return decimal.Zero
	}
	return decimal.New(pay.Captured, -int32(fiat.Scale)).DivRound(d.Rate, 18)
}

// depositRules reads the rules of a deposit's config.
func (s *Service) depositRules(ctx context.Context, tx *store.Tx, d *pasarela.Deposit) (*crypto.Rules, error) {
	row, err := tx.GetGatewayConfig(ctx, d.ClientID, d.ApplicationID, d.GatewayConfig)
	if err != nil {
		return nil, err
	}
	return s.rulesOf(row)
}

// errNoSandboxChain refuses the sandbox chain's calls on a gateway that
// serves none.
var errNoSandboxChain = pasarela.Errorf(pasarela.KindNotFound, "no_sandbox_chain", "this gateway serves no sandbox chain")

// SandboxChainSend pays amount (a decimal in the currency's unit) to an
// address on the sandbox chain, as a buyer's wallet would, and looks at the
// deposits paid to it at once. Any application key may.
func (s *Service) SandboxChainSend(ctx context.Context, currency, address, amount string) (string, error) {
	if _, err := requireApplication(ctx); err != nil {
		return "", err
	}
	sb := s.cfg.Crypto.Sandbox
	if sb == nil {
		return "", errNoSandboxChain
	}
	amt, err := decimal.NewFromString(strings.TrimSpace(amount))
	if err != nil {
		return "", pasarela.Invalid("amount", "type", "must be a decimal number")
	}
	network := ""
	for _, n := range crypto.Networks {
		if chain.ValidAddress(currency, n, address) {
			network = n
			break
		}
	}
	if network == "" {
		return "", pasarela.Invalid("address", "invalid_address", "is not a "+currency+" address of any network")
	}
	txid, err := sb.Send(ctx, currency, network, address, amt)
	if err != nil {
		return "", err
	}
	var rows []store.DepositRow
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err = tx.DepositsPaidTo(ctx, currency, address)
		return err
	}); err != nil {
		return txid, err
	}
	_, err = s.watchRows(ctx, rows)
	return txid, err
}

// SandboxChainMine mines blocks on the sandbox chain and looks at every
// watched deposit at once. It returns the chain's new height.
func (s *Service) SandboxChainMine(ctx context.Context, currency string, blocks int) (int64, error) {
	if _, err := requireApplication(ctx); err != nil {
		return 0, err
	}
	sb := s.cfg.Crypto.Sandbox
	if sb == nil {
		return 0, errNoSandboxChain
	}
	tip, err := sb.Mine(ctx, currency, blocks)
	if err != nil {
		return 0, err
	}
	_, err = s.WatchDeposits(ctx)
	return tip, err
}

// chainErrors remembers the last error of each chain watcher and currency.
type chainErrors struct {
	mu   sync.Mutex
	last map[chainKey]string
}

type chainKey struct {
	w        chain.Watcher
	currency string
}

// set records what a look at a chain answered; changed reports a new
// error, was the error a look that succeeded ends ("" if none).
func (c *chainErrors) set(w chain.Watcher, currency string, err error) (changed bool, was string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[chainKey]string{}
	}
	k := chainKey{w, currency}
	was = c.last[k]
	if err == nil {
		delete(c.last, k)
		return false, was
	}
	c.last[k] = err.Error()
	return err.Error() != was, ""
}

// acceptDeposit is the merchant accepting a deposit in adjustment as it is
// (capturing it): it completes, booked at the locked rate for what was
// received, and never for more than the price (what was paid beyond it is
// the buyer's to claim back from the merchant). A deposit that is not in
// adjustment has nothing to accept: the chain decides it.
func (s *Service) acceptDeposit(ctx context.Context, clientID string, id, amount int64) (*pasarela.Payment, error) {
	if amount != 0 {
		return nil, pasarela.Invalid("amount", "not_supported", "a crypto deposit is accepted whole, for what was received: send no amount")
	}
	var out *pasarela.Payment
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		pay, err := tx.GetPaymentByID(ctx, clientID, id)
		if err != nil {
			return err
		}
		if pay.Status != pasarela.StatusAdjustment {
			return pasarela.Errorf(pasarela.KindInvalid, "invalid_transition",
				"only a deposit in adjustment can be accepted; this one is %s, and the chain moves it", pay.Status)
		}
		d, err := tx.GetDeposit(ctx, clientID, id)
		if err != nil {
			return err
		}
		pay.Deposit = withURI(d)
		fiat, _ := pasarela.LookupCurrency(pay.Currency)
		worth := d.Received.Mul(d.Rate).Shift(fiat.Scale).Floor()
		pay.Captured = pay.Amount
		if worth.LessThan(decimal.NewFromInt(pay.Amount)) {
			pay.Captured = worth.IntPart()
		}
		if err := s.transition(ctx, tx, pay, pasarela.StatusCompleted); err != nil {
			return err
		}
		out = pay
		return s.postCapture(ctx, tx, pay, crypto.GatewayID)
	})
	return out, err
}
