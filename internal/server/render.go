package server

import (
	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/face/kashpay"
	"github.com/pasarela/pasarela/internal/face/payrest"
)

// Renderers are the webhook formats this gateway sends, wired here and
// nowhere else: each format's body, for each entity, is a function a face
// package exports. No face registers anything when it is built, so a
// webhook's body is the same whichever faces New mounts, and the delivery
// worker renders it outside any transaction. publicURL is the gateway's
// public base URL (core.Config.PublicURL), for the links bodies show to
// hosted pages.
func Renderers(publicURL string) core.Renderers {
	return core.Renderers{
		// Event.Payload has checked that the entity's resource is there.
		pasarela.FormatPayREST: {
			pasarela.EntityPayment: func(p *pasarela.EventPayload) ([]byte, error) {
				return payrest.RenderPayment(publicURL, p.Payment)
			},
			pasarela.EntityRefund: func(p *pasarela.EventPayload) ([]byte, error) { return payrest.RenderRefund(p.Refund) },
			pasarela.EntitySubscription: func(p *pasarela.EventPayload) ([]byte, error) {
				return payrest.RenderSubscription(p.Subscription)
			},
			// PayREST has no payouts of its own: payouts are Kashpay's,
			// and PayREST endpoints subscribed to them have always been
			// sent Kashpay's orderEntityResponse. Receivers parse that
			// shape, so the PayREST format keeps sending exactly it.
			pasarela.EntityPayout: func(p *pasarela.EventPayload) ([]byte, error) { return kashpay.RenderPayout(p.Payout) },
		},
	}
}
