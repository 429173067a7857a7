package rates

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// CryptoSandbox publishes crypto prices from a fixed table, with no
// network, for the demo and for tests. The table is made up and never
// changes: a gateway on it quotes the same crypto amount for the same fiat
// price every time, which is what a test or a first try of the gateway
// wants, and what no real payment may rely on. Its name, "sandbox", is on
// every price it publishes.
//
// The Colombian peso prices are the ones of the xpay documentation's
// example quote for 100000 COP: 0.00400000 BTC, 0.02222222 ETH and
// 0.02857143 BCH. The other currencies' prices follow from them through a
// fixed table of fiat units per US dollar, so that the table is consistent:
// a coin costs the same in every currency at the table's own fiat rates.
type CryptoSandbox struct {
	now func() time.Time
}

// cryptoSandboxCOP is the price of one coin in Colombian pesos.
var cryptoSandboxCOP = map[string]int64{
	"BTC": 25_000_000,
	"ETH": 4_500_000,
	"BCH": 3_500_000,
	"LTC": 400_000,
}

// cryptoSandboxPerUSD is the table's units of each fiat currency per US
// dollar; 4000 COP make one dollar. Every product with a coin's dollar
// price is exact.
var cryptoSandboxPerUSD = []struct{ fiat, perUSD string }{
	{"ARS", "1000"}, {"BRL", "5"}, {"CLP", "950"}, {"COP", "4000"}, {"EUR", "0.92"},
	{"GBP", "0.79"}, {"MXN", "17"}, {"PEN", "3.75"}, {"USD", "1"},
}

// NewCryptoSandbox returns the sandbox ticker on a clock (nil: time.Now),
// which dates what it publishes.
func NewCryptoSandbox(now func() time.Time) *CryptoSandbox {
	if now == nil {
		now = time.Now
	}
	return &CryptoSandbox{now: now}
}

// Name is "sandbox".
func (s *CryptoSandbox) Name() string { return SandboxName }

// Fetch returns the table: every currency of TickerCurrencies in every
// fiat currency of the table, by currency then fiat.
func (s *CryptoSandbox) Fetch(ctx context.Context) ([]pasarela.CryptoRate, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := make([]pasarela.CryptoRate, 0, len(TickerCurrencies)*len(cryptoSandboxPerUSD))
	for _, code := range TickerCurrencies {
		for _, f := range cryptoSandboxPerUSD {
			out = append(out, pasarela.CryptoRate{Exchange: SandboxName, Currency: code, Fiat: f.fiat,
				Rate: CryptoSandboxRate(code, f.fiat), FetchedAt: now})
		}
	}
	return out, nil
}

// CryptoSandboxRate is the sandbox's price of one coin of code in fiat, or
// zero when the table has no such pair. Tests use it to know what the
// sandbox published without repeating its table.
func CryptoSandboxRate(code, fiat string) decimal.Decimal {
	cop, ok := cryptoSandboxCOP[code]
	if !ok {
		return decimal.Decimal{}
	}
	for _, f := range cryptoSandboxPerUSD {
		if f.fiat == fiat {
			usd := decimal.NewFromInt(cop).Div(decimal.NewFromInt(4000)) // exact: every price is whole dollars
			return usd.Mul(decimal.RequireFromString(f.perUSD))
		}
	}
	return decimal.Decimal{}
}
