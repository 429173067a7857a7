package server

import (
	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/face/gestpay"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/face/payrest"
	"github.com/pasarela/pasarela/internal/face/xpay"
)

// Renderers are the webhook formats this gateway sends, wired here and
// nowhere else: each format's request, for each entity, is a function a
// face package exports. No face registers anything when it is built, so
// what a webhook sends is the same whichever faces New mounts, and the
// delivery worker renders it outside any transaction. publicURL is the
// gateway's public base URL (core.Config.PublicURL), for the links bodies
// show to hosted pages; gestpayKey signs Gestpay's result strings
// (gestpay.CryptKey).
func Renderers(publicURL string, gestpayKey []byte) core.Renderers {
	return core.Renderers{
		// Event.Payload has checked that the entity's resource is there.
		pasarela.FormatPayREST: {
			pasarela.EntityPayment: body(func(p *pasarela.EventPayload) ([]byte, error) {
				return payrest.RenderPayment(publicURL, p.Payment)
			}),
			pasarela.EntityRefund: body(func(p *pasarela.EventPayload) ([]byte, error) { return payrest.RenderRefund(p.Refund) }),
			pasarela.EntitySubscription: body(func(p *pasarela.EventPayload) ([]byte, error) {
				return payrest.RenderSubscription(p.Subscription)
			}),
			// PayREST has no payouts of its own: payouts are Kashpay's,
			// and PayREST endpoints subscribed to them have always been
			// sent Kashpay's orderEntityResponse. Receivers parse that
			// shape, so the PayREST format keeps sending exactly it.
			pasarela.EntityPayout: body(func(p *pasarela.EventPayload) ([]byte, error) { return kashpay.RenderPayout(p.Payout) }),
		},
		// xpay's transaction callback: the transaction as its API shows
		// it, sent to the URL the deposit names.
		pasarela.FormatXpay: {
			pasarela.EntityPayment: body(func(p *pasarela.EventPayload) ([]byte, error) {
				return xpay.RenderCallback(publicURL, p.Payment)
			}),
		},
		pasarela.FormatGestpay: {
			pasarela.EntityPayment: func(p *pasarela.EventPayload, to core.Recipient) (core.Rendered, error) {
				return gestpay.RenderNotification(gestpayKey, p.Payment, to)
			},
		},
	}
}

// body adapts a format that sends the event as a signed body.
func body(fn func(*pasarela.EventPayload) ([]byte, error)) core.RenderFunc {
	return func(p *pasarela.EventPayload, _ core.Recipient) (core.Rendered, error) {
		b, err := fn(p)
		return core.Rendered{Body: b}, err
	}
}
