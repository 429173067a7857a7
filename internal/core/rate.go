package core

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/rates"
	"github.com/pasarela/pasarela/internal/store"
)

// RateConfig says where the daily exchange rates come from.
type RateConfig struct {
	// Source publishes the rates RefreshRates stores (the ECB's, or the
	// sandbox table). Without one, RefreshRates is refused as unavailable
	// and ExchangeRates answers from what an earlier run stored.
	Source rates.Source
}

// MaxRateDays bounds how many days of rates ExchangeRates returns per
// currency: a year, far more than the ECB's 90-day feed fills.
const MaxRateDays = 366

// errNoRateSource refuses a refresh on a gateway with no rate source.
var errNoRateSource = pasarela.Errorf(pasarela.KindUnavailable, "rates_unavailable",
	"no exchange rate source is configured on this gateway")

// RefreshRates fetches the configured source's rates and stores them in one
// transaction, replacing the rates already stored for the same currencies
// and days. The source is called outside any transaction, as processors
// are: a slow feed must not hold the database. A fetch that fails, or that
// publishes anything the gateway would not store (a currency it does not
// know, a day that is not a date or lies in the future, a rate that is not
// positive, the euro at anything but 1), stores nothing and keeps the rates
// stored before, so that a broken feed never half-replaces a day.
func (s *Service) RefreshRates(ctx context.Context) error {
	src := s.cfg.Rates.Source
	if src == nil {
		return errNoRateSource
	}
	fetched, err := src.Fetch(ctx)
	if err != nil {
		return &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "rates_unavailable",
			Message: "the exchange rate source " + src.Name() + " could not be read", Err: err}
	}
	now := s.now()
	if err := checkRates(src.Name(), fetched, now); err != nil {
		return pasarela.Internal(err)
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.UpsertExchangeRates(ctx, fetched, now) })
}

// checkRates checks what a source published before any of it is stored.
// The sources check their own input; this is the core's rule, the same
// whichever source it talks to.
func checkRates(source string, rs []pasarela.ExchangeRate, now time.Time) error {
	if len(rs) == 0 {
		return fmt.Errorf("the exchange rate source %s published no rate", source)
	}
	// A source in a timezone ahead of UTC (the ECB publishes at 16:00 in
	// Frankfurt) may date a rate tomorrow by UTC; a rate dated later than
	// that is a broken feed.
	latest := now.AddDate(0, 0, 1).Format(pasarela.DayLayout)
	one := decimal.NewFromInt(1)
	for _, r := range rs {
		c, ok := pasarela.LookupCurrency(r.Currency)
		switch {
		case r.Source != source:
			return fmt.Errorf("the exchange rate source %s published a rate labeled %q", source, r.Source)
		case !ok || c.Crypto || c.Code != r.Currency:
			return fmt.Errorf("the exchange rate source %s published a rate of %q, which is not a fiat currency the gateway knows", source, r.Currency)
		case !pasarela.ValidDay(r.Day) || r.Day > latest:
			return fmt.Errorf("the exchange rate source %s published a rate of %s for the day %q", source, r.Currency, r.Day)
		case !r.Rate.IsPositive():
			return fmt.Errorf("the exchange rate source %s published %s at %s on %s", source, r.Currency, r.Rate, r.Day)
		case r.Currency == "EUR" && !r.Rate.Equal(one):
			return fmt.Errorf("the exchange rate source %s published the euro at %s on %s", source, r.Rate, r.Day)
		}
	}
	return nil
}

// ExchangeRates returns, for each of currencies (every currency stored when
// none is given), its rates of the last days days it has one for, newest
// day first and, within a day, by currency. The days are those the source
// published: weekends and holidays have no rates and do not count, and the
// newest day may be some days old when the source has not been read since;
// each rate carries its day and its source, for the caller to judge.
//
// Exchange rates are public reference data, the same for every client, so
// this method asks for no principal: any face may show them to any caller
// it has authenticated, or to none.
func (s *Service) ExchangeRates(ctx context.Context, currencies []string, days int) ([]pasarela.ExchangeRate, error) {
	var v pasarela.Validation
	if days < 1 || days > MaxRateDays {
		v.Add("days", "range", "must be between 1 and "+strconv.Itoa(MaxRateDays))
	}
	codes := make([]string, 0, len(currencies))
	seen := map[string]bool{}
	for i, code := range currencies {
		field := "currencies[" + strconv.Itoa(i) + "]"
		c, ok := pasarela.LookupCurrency(code)
		switch {
		case !ok:
			v.Add(field, "currency", "must be an ISO 4217 currency code such as USD; "+quoteField(code)+" is not one")
		case c.Crypto:
			v.Add(field, "currency", "must be a fiat currency: "+c.Code+" has no reference rate against the euro")
		case !seen[c.Code]:
			seen[c.Code] = true
			codes = append(codes, c.Code)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []pasarela.ExchangeRate
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.ExchangeRates(ctx, codes, days)
		return err
	})
	return out, err
}

// LatestRateDay returns the newest day any exchange rate is stored for, or
// "" when none is: how current the stored rates are, for the worker's log
// and for a face that answers with the rates of the latest day. Like
// ExchangeRates it asks for no principal.
func (s *Service) LatestRateDay(ctx context.Context) (string, error) {
	var day string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		day, err = tx.LatestRateDay(ctx)
		return err
	})
	return day, err
}
