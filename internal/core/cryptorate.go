package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/store"
)

// CryptoRateConfig says where the prices of crypto currencies in fiat come
// from, and how long a price may be used after it was fetched.
type CryptoRateConfig struct {
	// Tickers are the exchanges, numbered by their position: the first
	// is exchange 1, the next 2, and so on (the xpay face shows the
	// number, and a shop sends it back when it creates a deposit). Their
	// names must differ: prices are stored under the name, so that
	// reordering the list never attributes one exchange's prices to
	// another. Without any, RefreshCryptoRates is refused as unavailable
	// and no price is quoted.
	Tickers []rates.Ticker
	// Validity is how long after its fetch a price may be quoted (default
	// 10 minutes): crypto prices move by the minute, and a price the
	// gateway has not been able to refresh for longer is refused rather
	// than locked into a deposit.
	Validity time.Duration
}

// DefaultCryptoRateValidity is how long a price may be quoted after its
// fetch when CryptoRateConfig.Validity is not set.
const DefaultCryptoRateValidity = 10 * time.Minute

func (c *CryptoRateConfig) defaults() {
	if c.Validity <= 0 {
		c.Validity = DefaultCryptoRateValidity
	}
}

// check refuses a configuration whose exchanges could not be told apart.
func (c *CryptoRateConfig) check() error {
	seen := map[string]bool{}
	for i, t := range c.Tickers {
		switch {
		case t == nil:
			return fmt.Errorf("crypto rates: exchange %d has no ticker", i+1)
		case t.Name() == "":
			return fmt.Errorf("crypto rates: exchange %d has no name", i+1)
		case seen[t.Name()]:
			return fmt.Errorf("crypto rates: two exchanges are named %q", t.Name())
		}
		seen[t.Name()] = true
	}
	return nil
}

// Exchange is one configured source of crypto prices: its number, which
// the faces show and shops send back, and its name, which labels its
// prices.
type Exchange struct {
	ID   int
	Name string
}

// Exchanges lists the configured exchanges by id.
func (s *Service) Exchanges() []Exchange {
	out := make([]Exchange, len(s.cfg.CryptoRates.Tickers))
	for i, t := range s.cfg.CryptoRates.Tickers {
		out[i] = Exchange{ID: i + 1, Name: t.Name()}
	}
	return out
}

// exchangeID is the id of the exchange named name, or 0 when none is.
func (s *Service) exchangeID(name string) int {
	for i, t := range s.cfg.CryptoRates.Tickers {
		if t.Name() == name {
			return i + 1
		}
	}
	return 0
}

// errNoTicker refuses a refresh on a gateway with no exchange.
var errNoTicker = pasarela.Errorf(pasarela.KindUnavailable, "crypto_rates_unavailable",
	"no crypto price source is configured on this gateway")

// RefreshCryptoRates fetches every exchange's prices and stores each
// exchange's in one transaction of its own. The exchanges are called at
// once and outside any transaction, as processors are: a slow exchange must
// hold neither the database nor the others. One that fails, or that
// publishes anything the gateway would not store (a currency it does not
// know, a fiat currency as the coin or a coin as the fiat, a price that is
// not positive, another exchange's label), stores nothing and keeps its
// prices stored before, which stay quotable until they are Validity old;
// the others are stored all the same. The error joins the failures, each a
// *pasarela.Error naming its exchange.
//
// Every price is stored as fetched at the core's time when the fetch
// began, whatever the exchange says: freshness is judged by one clock, and
// a price never looks newer than it is.
func (s *Service) RefreshCryptoRates(ctx context.Context) error {
	tickers := s.cfg.CryptoRates.Tickers
	if len(tickers) == 0 {
		return errNoTicker
	}
	errs := make([]error, len(tickers))
	var wg sync.WaitGroup
	for i, t := range tickers {
		wg.Go(func() { errs[i] = s.refreshTicker(ctx, i+1, t) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// refreshTicker fetches and stores one exchange's prices.
func (s *Service) refreshTicker(ctx context.Context, id int, t rates.Ticker) error {
	now := s.now()
	fetched, err := t.Fetch(ctx)
	if err != nil {
		return &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "crypto_rates_unavailable",
			Message: "exchange " + strconv.Itoa(id) + " (" + t.Name() + ") could not be read", Err: err}
	}
	if err := checkCryptoRates(t.Name(), fetched); err != nil {
		return pasarela.Internal(err)
	}
	// A copy, stamped: the ticker's slice stays as it returned it.
	stamped := make([]pasarela.CryptoRate, len(fetched))
	for i, r := range fetched {
		r.FetchedAt = now
		stamped[i] = r
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.UpsertCryptoRates(ctx, stamped) })
}

// checkCryptoRates checks what an exchange published before any of it is
// stored. The tickers check their own input; this is the core's rule, the
// same whichever exchange it talks to.
func checkCryptoRates(exchange string, rs []pasarela.CryptoRate) error {
	if len(rs) == 0 {
		return fmt.Errorf("the exchange %s published no price", exchange)
	}
	for _, r := range rs {
		coin, coinOK := pasarela.LookupCurrency(r.Currency)
		fiat, fiatOK := pasarela.LookupCurrency(r.Fiat)
		switch {
		case r.Exchange != exchange:
			return fmt.Errorf("the exchange %s published a price labeled %q", exchange, r.Exchange)
		case !coinOK || !coin.Crypto || coin.Code != r.Currency:
			return fmt.Errorf("the exchange %s published a price of %q, which is not a crypto currency the gateway knows", exchange, r.Currency)
		case !fiatOK || fiat.Crypto || fiat.Code != r.Fiat:
			return fmt.Errorf("the exchange %s published a price in %q, which is not a fiat currency the gateway knows", exchange, r.Fiat)
		case !r.Rate.IsPositive():
			return fmt.Errorf("the exchange %s published %s at %s %s", exchange, r.Currency, r.Rate, r.Fiat)
		}
	}
	return nil
}

// CryptoRate returns the price of one coin of currency in fiat at the
// exchange exchangeID, to quote or lock into a deposit. It asks for no
// principal: prices are public reference data. It fails with a
// *pasarela.Error whose code a face maps to its own wire error:
//
//   - invalid "exchange_not_found" on field "exchange_id": no exchange has
//     that id;
//   - invalid "currency_unsupported" on field "currency" or "fiat": a code
//     the gateway does not know; "not_crypto" on "currency": a fiat
//     currency given as the coin; "not_fiat" on "fiat": a crypto currency
//     given as the fiat;
//   - invalid "no_market": the exchange has no price of the pair (it does
//     not trade it, or has never been read since it was configured);
//   - unavailable "rate_stale": its price is older than Validity (the
//     exchange could not be read lately); another exchange may have one.
//
// The price returned is always positive and at most Validity old.
func (s *Service) CryptoRate(ctx context.Context, exchangeID int, currency, fiat string) (pasarela.CryptoRate, error) {
	var v pasarela.Validation
	tickers := s.cfg.CryptoRates.Tickers
	if exchangeID < 1 || exchangeID > len(tickers) {
		v.Add("exchange_id", "exchange_not_found", exchangeNotFound(len(tickers)))
	}
	coin, fiatCode := checkPair(&v, currency, fiat)
	if err := v.Err(); err != nil {
		return pasarela.CryptoRate{}, err
	}
	name := tickers[exchangeID-1].Name()
	var r pasarela.CryptoRate
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		r, err = tx.CryptoRate(ctx, name, coin, fiatCode)
		return err
	})
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return pasarela.CryptoRate{}, &pasarela.Error{Kind: pasarela.KindInvalid, Code: "no_market",
			Message: "exchange " + strconv.Itoa(exchangeID) + " has no price of " + coin + " in " + fiatCode,
			Params:  map[string]string{"exchange_id": strconv.Itoa(exchangeID), "currency": coin, "fiat": fiatCode}}
	}
	if err != nil {
		return pasarela.CryptoRate{}, err
	}
	if !r.Rate.IsPositive() {
		// Refused when stored; a row changed by hand must not price money.
		return pasarela.CryptoRate{}, pasarela.Internal(fmt.Errorf("stored crypto rate %s %s/%s is %s", name, coin, fiatCode, r.Rate))
	}
	if s.now().Sub(r.FetchedAt) > s.cfg.CryptoRates.Validity {
		return pasarela.CryptoRate{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "rate_stale",
			Message: "exchange " + strconv.Itoa(exchangeID) + " has not published a recent price of " + coin + " in " + fiatCode,
			Params: map[string]string{"exchange_id": strconv.Itoa(exchangeID), "currency": coin, "fiat": fiatCode,
				"fetched_at": r.FetchedAt.Format(time.RFC3339)}}
	}
	return r, nil
}

// CryptoRates returns every exchange's fresh prices in fiat (at most
// Validity old, positive), by exchange id and then by crypto currency: the
// list a face quotes a fiat price from. An exchange with no fresh price is
// simply absent; no exchange at all gives an empty list. A fiat code that
// is not a fiat currency the gateway knows is refused as CryptoRate
// refuses it. Like CryptoRate, it asks for no principal.
func (s *Service) CryptoRates(ctx context.Context, fiat string) ([]pasarela.CryptoRate, error) {
	var v pasarela.Validation
	fiatCode := checkFiat(&v, fiat)
	if err := v.Err(); err != nil {
		return nil, err
	}
	since := s.now().Add(-s.cfg.CryptoRates.Validity)
	var stored []pasarela.CryptoRate
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		stored, err = tx.CryptoRates(ctx, fiatCode, since)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := stored[:0]
	for _, r := range stored {
		// Prices of an exchange no longer configured stay in the table
		// until they are overwritten; they are quoted by no id.
		if s.exchangeID(r.Exchange) > 0 && r.Rate.IsPositive() {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b pasarela.CryptoRate) int {
		return cmp.Or(cmp.Compare(s.exchangeID(a.Exchange), s.exchangeID(b.Exchange)), cmp.Compare(a.Currency, b.Currency))
	})
	return out, nil
}

// exchangeNotFound words the refusal of an exchange id.
func exchangeNotFound(n int) string {
	switch n {
	case 0:
		return "no exchange is configured on this gateway"
	case 1:
		return "must be 1, the only exchange of this gateway"
	}
	return "must be the id of an exchange of this gateway, 1 to " + strconv.Itoa(n)
}

// checkPair checks a crypto currency and a fiat currency as a caller
// names them, and returns their canonical codes.
func checkPair(v *pasarela.Validation, currency, fiat string) (string, string) {
	c, ok := pasarela.LookupCurrency(currency)
	switch {
	case !ok:
		v.Add("currency", "currency_unsupported", "must be a crypto currency the gateway handles, such as BTC; "+quoteField(currency)+" is not one")
	case !c.Crypto:
		v.Add("currency", "not_crypto", "must be a crypto currency: "+c.Code+" is a fiat currency")
	}
	return c.Code, checkFiat(v, fiat)
}

// checkFiat checks a fiat currency as a caller names it and returns its
// canonical code.
func checkFiat(v *pasarela.Validation, fiat string) string {
	c, ok := pasarela.LookupCurrency(fiat)
	switch {
	case !ok:
		v.Add("fiat", "currency_unsupported", "must be an ISO 4217 currency code such as COP; "+quoteField(fiat)+" is not one")
	case c.Crypto:
		v.Add("fiat", "not_fiat", "must be a fiat currency: "+c.Code+" is a crypto currency")
	}
	return c.Code
}
