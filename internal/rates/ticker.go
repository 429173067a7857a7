package rates

import (
	"context"

	"github.com/pasarela/pasarela"
)

// Ticker publishes the prices of crypto currencies in fiat currencies: an
// exchange, in the words of the xpay face. The core numbers the tickers it
// is configured with (exchange 1, 2, …), fetches from each on its own, and
// stores what it gets under the ticker's name; it never knows which
// exchange it talks to.
type Ticker interface {
	// Name identifies the ticker in every rate it publishes (the
	// CryptoRate's Exchange) and in the stored rates: two tickers of one
	// gateway never share a name.
	Name() string
	// Fetch returns the prices the ticker publishes now, each of a crypto
	// currency and a fiat currency the gateway knows, positive, labeled
	// with Name. An error means nothing usable was fetched; the prices
	// stored before are kept until they are too old to be used.
	Fetch(ctx context.Context) ([]pasarela.CryptoRate, error)
}

// TickerCurrencies are the crypto currencies the tickers publish prices of:
// those crypto deposits are made in.
var TickerCurrencies = []string{"BTC", "ETH", "BCH", "LTC"}

// crypto reports whether code is a crypto currency the gateway knows.
func crypto(code string) bool {
	c, ok := pasarela.LookupCurrency(code)
	return ok && c.Crypto && c.Code == code
}
