// Package rates is the seam between the core and the publishers of prices:
// daily fiat exchange rates (Source: the European Central Bank's reference
// rates, and a sandbox table that lets the gateway run with no network) and
// the prices of crypto currencies in fiat (Ticker: Coinbase's public
// exchange rates, and a sandbox table). The core fetches from the sources it
// is configured with and stores what it gets; it never knows which one it
// talks to.
package rates

import (
	"context"

	"github.com/pasarela/pasarela"
)

// Source publishes daily reference rates of fiat currencies against the
// euro.
type Source interface {
	// Name identifies the source in every rate it publishes (the
	// ExchangeRate's Source).
	Name() string
	// Fetch returns the rates the source publishes now, for one or more
	// days, each of a currency the gateway knows, the euro at 1 on each
	// day. An error means nothing usable was fetched; the rates stored
	// before are kept.
	Fetch(ctx context.Context) ([]pasarela.ExchangeRate, error)
}

// fiat reports whether code is a fiat currency the gateway knows: rates of
// other currencies would name something no payment can be made in.
func fiat(code string) bool {
	c, ok := pasarela.LookupCurrency(code)
	return ok && !c.Crypto && c.Code == code
}
