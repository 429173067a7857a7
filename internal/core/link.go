package core

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Hosted page tokens: a payment's own page routes among its gateway
// configs; a payment link is bound to one. The prefix tells them apart.
const (
	checkoutTokenPrefix = "pc_"
	linkTokenPrefix     = "pl_"
	// DefaultLinkTTL is how long a link lives when its creator does not say.
	DefaultLinkTTL = 24 * time.Hour
)

// PaymentLinkInput is a link as a face asks for it.
type PaymentLinkInput struct {
	GatewayConfig int64
	ReturnURL     string
	CancelURL     string
	ExpiresAt     *time.Time
}

// CheckoutURL is where a buyer opens a hosted page token.
func (s *Service) CheckoutURL(token string) string { return CheckoutURLAt(s.cfg.PublicURL, token) }

// CreatePaymentLink makes a link bound to one of the payment's gateway
// configs. A payment nobody can pay any more (paid, cancelled, expired)
// refuses new links.
func (s *Service) CreatePaymentLink(ctx context.Context, appID, paymentID int64, in PaymentLinkInput) (*pasarela.PaymentLink, error) {
	l, _, err := s.CreatePaymentLinkOnce(ctx, appID, paymentID, in, nil)
	return l, err
}

// CreatePaymentLinkOnce is CreatePaymentLink for a form that may be sent
// twice (a double click): with idem, a second send of the same key makes
// no second link and replays idem's stored answer.
func (s *Service) CreatePaymentLinkOnce(ctx context.Context, appID, paymentID int64, in PaymentLinkInput, idem *Idem) (*pasarela.PaymentLink, *Replay, error) {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	var v pasarela.Validation
	if in.GatewayConfig <= 0 {
		v.Add("gateway_config", "required", "is required: a link is bound to one gateway config")
	}
	checkURL(&v, "return_url", &in.ReturnURL)
	checkURL(&v, "cancel_url", &in.CancelURL)
	now := s.now()
	expires := now.Add(DefaultLinkTTL)
	if in.ExpiresAt != nil {
		if !in.ExpiresAt.After(now) {
			v.Add("expires_at", "past", "must be in the future")
		}
		expires = in.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	l := &pasarela.PaymentLink{ClientID: p.ClientID, ApplicationID: appID, PaymentID: paymentID,
		Token: linkTokenPrefix + randomString(32), GatewayConfig: in.GatewayConfig, Status: pasarela.LinkActive,
		ReturnURL: in.ReturnURL, CancelURL: in.CancelURL, ExpiresAt: expires, CreatedAt: now, UpdatedAt: now}
	_, replay, err := s.idempotent(ctx, p.ClientID, "link:"+strconv.FormatInt(paymentID, 10), idem, func(tx *store.Tx) (any, error) {
		return l, s.createPaymentLinkTx(ctx, tx, p, l, in.GatewayConfig, now)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return l, nil, nil
}

// createPaymentLinkTx stores l if its payment may still be paid and allows
// the gateway config.
func (s *Service) createPaymentLinkTx(ctx context.Context, tx *store.Tx, p *pasarela.Principal, l *pasarela.PaymentLink, config int64, now time.Time) error {
	appID, paymentID := l.ApplicationID, l.PaymentID
	pay, err := tx.GetPayment(ctx, p.ClientID, appID, paymentID)
	if err != nil {
		return err
	}
	if pay.Type == pasarela.PaymentDeposit {
		return errDepositPayment
	}
	if !pay.Status.Payable() {
		return pasarela.Errorf(pasarela.KindInvalid, "links_not_allowed", "links are not allowed for this payment: it is %s", pay.Status)
	}
	if pay.ExpiresAt != nil && !now.Before(*pay.ExpiresAt) {
		return pasarela.Errorf(pasarela.KindInvalid, "links_not_allowed", "links are not allowed for this payment: it expired at %s",
			pay.ExpiresAt.Format(time.RFC3339))
	}
	if pay.ExpiresAt != nil && l.ExpiresAt.After(*pay.ExpiresAt) {
		l.ExpiresAt = *pay.ExpiresAt // a link never outlives its payment
	}
	configs, err := usableConfigs(ctx, tx, p.ClientID, appID, pay.GatewayConfigs, false)
	if err != nil {
		return err
	}
	for _, c := range configs {
		if c.ID == config {
			return tx.CreatePaymentLink(ctx, l)
		}
	}
	return pasarela.Invalid("gateway_config", "not_allowed", "gateway config "+strconv.FormatInt(config, 10)+
		" is not an enabled config this payment allows")
}

// CheckoutURLAt is where a buyer opens a hosted page token on a gateway
// whose public base URL is publicURL: what CheckoutURL says, for code that
// has the URL but not the service (webhook renderers).
func CheckoutURLAt(publicURL, token string) string {
	return strings.TrimRight(publicURL, "/") + "/pay/" + token
}
