package pasarela

import (
	"time"

	"github.com/shopspring/decimal"
)

// DayLayout is how a calendar day is written in exchange rates and in the
// rate sources the gateway reads: ISO 8601, "2026-12-04".
const DayLayout = "2006-01-02"

// ExchangeRate is one fiat currency's daily reference rate against the
// euro, as a rate source published it: Rate units of Currency buy one euro
// on Day. The euro's own rate is 1 on every day a source publishes, so that
// a conversion between any two currencies of one day needs no special case.
// Rates are public reference data, the same for every client.
type ExchangeRate struct {
	Currency string          // ISO 4217 alpha code
	Day      string          // the day the rate was published for, DayLayout
	Rate     decimal.Decimal // units of Currency per euro, exact as published
	Source   string          // the rate source that published it ("ecb", "sandbox")
}

// ValidDay reports whether s is a calendar day written as DayLayout. The
// round trip refuses what time.Parse would accept but write differently.
func ValidDay(s string) bool {
	d, err := time.Parse(DayLayout, s)
	return err == nil && d.Format(DayLayout) == s
}

// CryptoRate is the price of one crypto currency in one fiat currency as an
// exchange (a crypto price source: Coinbase, or the sandbox table) last
// published it: one coin of Currency buys Rate units of Fiat. A crypto
// deposit for a fiat price is the price divided by the rate, and the rate
// is locked into the deposit when it is created. Like exchange rates,
// crypto rates are public reference data, the same for every client.
type CryptoRate struct {
	Exchange  string          // the exchange that published it ("coinbase", "sandbox")
	Currency  string          // the crypto currency's code (BTC)
	Fiat      string          // the fiat currency's ISO 4217 alpha code (COP)
	Rate      decimal.Decimal // units of Fiat per one coin of Currency, exact as published
	FetchedAt time.Time       // when the gateway fetched it, by its own clock
}
