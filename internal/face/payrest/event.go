package payrest

import (
	"encoding/json"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The renderers of the PayREST webhook format (pasarela.FormatPayREST):
// plain functions of an event's neutral payload, which the gateway wires
// into its webhook formats in one place (server.Renderers). A body is the
// resource as this API shows it, made by the same view as the API's
// answers.

// RenderPayment is the body of a payment event: the payment as PayREST's
// Payment. publicURL is the gateway's public base URL, where the payment's
// hosted page (its "payment" link) is.
func RenderPayment(publicURL string, p *pasarela.PaymentSnapshot) ([]byte, error) {
	return json.Marshal(paymentView(p, core.CheckoutURLAt(publicURL, p.CheckoutToken)))
}

// RenderRefund is the body of a refund event: the refund as PayREST's
// Refund.
func RenderRefund(r *pasarela.RefundSnapshot) ([]byte, error) {
	return json.Marshal(refundSnapshotView(r))
}

// RenderSubscription is the body of a subscription event: the subscription
// as PayREST's Subscription.
func RenderSubscription(s *pasarela.SubscriptionSnapshot) ([]byte, error) {
	return json.Marshal(subscriptionSnapshotView(s))
}
