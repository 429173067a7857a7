package gestpay

import (
	"errors"
	"net/http"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// RenderNotification is Gestpay's server-to-server call for a payment's
// outcome, the webhook format pasarela.FormatGestpay: a GET of the shop's
// URL with a (the shop login) and b (a result string its Decrypt opens), no
// body and no header at all. Merchant code tells it from the buyer's
// browser by its missing User-Agent, and trusts it because b opens only
// with the shop's credentials (its API key, or a call from its
// allow-list). key is CryptKey's.
func RenderNotification(key []byte, p *pasarela.PaymentSnapshot, to core.Recipient) (core.Rendered, error) {
	if to.ShopLogin == "" {
		return core.Rendered{}, errors.New("the payment's application has no shop login")
	}
	return core.Rendered{Method: http.MethodGet, RawQuery: resultQuery(key, to.ShopLogin, p.ApplicationID, p.ID), Bare: true}, nil
}
