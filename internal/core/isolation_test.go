package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestTenantIsolation: no credential reaches another tenant's payments,
// links, refunds or gateway configs. Another client's admin, another
// client's application key and another application's key of the same
// client each ask for A's ids, through A's application and through their
// own, and get what they would get for ids that do not exist (not found,
// or a refusal that does not depend on the id); A's data does not move.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		manual := e.MustConfig("sandbox", 0, map[string]any{"capture": "manual"})
		pending := e.MustPayment(core.PaymentInput{})
		e.MustLink(pending.ID, cfg.ID)
		completed := e.MustCompleted(core.PaymentInput{})
		if _, _, err := e.svc.Refund(e.app(), e.appID(), completed.ID, core.RefundInput{Amount: 100}, nil); err != nil {
			t.Fatal(err)
		}
		authorized := e.MustPayment(core.PaymentInput{GatewayConfigs: []int64{manual.ID}})
		e.MustPay(authorized.CheckoutToken, cardVisa)

		// B has an application with a config and a payment of its own, and
		// A has a second application with its own key.
		bCfg, err := e.svc.CreateGatewayConfig(e.B.AdminCtx(e.ctx), e.B.App.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("B's sandbox")})
		if err != nil {
			t.Fatal(err)
		}
		bPay, _, err := e.svc.CreatePayment(e.B.AppCtx(e.ctx), e.B.App.ID, core.PaymentInput{Amount: 500, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a2 := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha Shop kiosk")
		if _, err := e.svc.CreateGatewayConfig(e.admin(), a2.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("kiosk sandbox")}); err != nil {
			t.Fatal(err)
		}

		before := snapshot(e)

		type caller struct {
			name   string
			ctx    context.Context
			ownApp int64
			isKey  bool
		}
		callers := []caller{
			{"B's admin", e.B.AdminCtx(e.ctx), e.B.App.ID, false},
			{"B's application key", e.B.AppCtx(e.ctx), e.B.App.ID, true},
			{"A's other application key", coretest.AppCtx(e.ctx, &a2.Application), a2.ID, true},
		}
		const nowhere = int64(1) << 40 // an id nothing has
		type method struct {
			name string
			// configWrite: an application key is refused these whatever the ids.
			configWrite bool
			call        func(ctx context.Context, app, payment, config int64) error
		}
		methods := []method{
			{"GetPayment", false, func(ctx context.Context, app, pay, _ int64) error {
				_, err := e.svc.GetPayment(ctx, app, pay)
				return err
			}},
			{"CancelPayment", false, func(ctx context.Context, app, pay, _ int64) error {
				return e.svc.CancelPayment(ctx, app, pay)
			}},
			{"CapturePayment", false, func(ctx context.Context, app, pay, _ int64) error {
				_, err := e.svc.CapturePayment(ctx, app, pay)
				return err
			}},
			{"Refund", false, func(ctx context.Context, app, pay, _ int64) error {
				_, _, err := e.svc.Refund(ctx, app, pay, core.RefundInput{Amount: 1}, nil)
				return err
			}},
			{"Refund with a key", false, func(ctx context.Context, app, pay, _ int64) error {
				_, _, err := e.svc.Refund(ctx, app, pay, core.RefundInput{}, idem("r", "{}"))
				return err
			}},
			{"ListRefunds", false, func(ctx context.Context, app, pay, _ int64) error {
				_, err := e.svc.ListRefunds(ctx, app, pay)
				return err
			}},
			{"CreatePaymentLink", false, func(ctx context.Context, app, pay, config int64) error {
				_, err := e.svc.CreatePaymentLink(ctx, app, pay, core.PaymentLinkInput{GatewayConfig: config})
				return err
			}},
			{"GetGatewayConfig", false, func(ctx context.Context, app, _, config int64) error {
				_, err := e.svc.GetGatewayConfig(ctx, app, config)
				return err
			}},
			{"UpdateGatewayConfig", true, func(ctx context.Context, app, _, config int64) error {
				_, err := e.svc.UpdateGatewayConfig(ctx, app, config, core.GatewayConfigInput{Name: pasarela.Set("mine now"),
					Weight: pasarela.Set(1000)}, false)
				return err
			}},
			{"ReplaceGatewayConfig", true, func(ctx context.Context, app, _, config int64) error {
				_, err := e.svc.UpdateGatewayConfig(ctx, app, config, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
					Name: pasarela.Set("mine now"), Enabled: pasarela.Set(false)}, true)
				return err
			}},
			{"DeleteGatewayConfig", true, func(ctx context.Context, app, _, config int64) error {
				return e.svc.DeleteGatewayConfig(ctx, app, config)
			}},
		}
		// Methods that take only the application: through A's application
		// they are not found; nothing else is asked of them.
		appOnly := []method{
			{"ListPayments", false, func(ctx context.Context, app, _, _ int64) error {
				_, _, err := e.svc.ListPayments(ctx, app, core.PaymentFilter{}, pasarela.ListOptions{Limit: 10})
				return err
			}},
			{"CreatePayment", false, func(ctx context.Context, app, _, _ int64) error {
				_, _, err := e.svc.CreatePayment(ctx, app, core.PaymentInput{Amount: 100, Currency: "EUR"}, nil)
				return err
			}},
			{"ListGatewayConfigs", false, func(ctx context.Context, app, _, _ int64) error {
				_, _, err := e.svc.ListGatewayConfigs(ctx, app, "", pasarela.ListOptions{Limit: 10})
				return err
			}},
			{"CreateGatewayConfig", true, func(ctx context.Context, app, _, _ int64) error {
				_, err := e.svc.CreateGatewayConfig(ctx, app, core.GatewayConfigInput{Gateway: pasarela.Set("sandbox"),
					Name: pasarela.Set("planted")})
				return err
			}},
		}
		ids := []struct {
			name         string
			payment, cfg int64
		}{
			{"pending", pending.ID, cfg.ID},
			{"completed", completed.ID, cfg.ID},
			{"authorized", authorized.ID, manual.ID},
		}
		for _, c := range callers {
			for _, m := range append(methods, appOnly...) {
				for _, id := range ids {
					err := m.call(c.ctx, e.appID(), id.payment, id.cfg)
					wantErr(t, fmt.Sprintf("%s: %s on A's application, %s ids", c.name, m.name, id.name), err,
						pasarela.KindNotFound, "not_found")
				}
			}
			for _, m := range methods {
				// Through the caller's own application, A's ids answer
				// exactly as ids that do not exist.
				missing := m.call(c.ctx, c.ownApp, nowhere, nowhere)
				for _, id := range ids {
					what := fmt.Sprintf("%s: %s on its own application, A's %s ids", c.name, m.name, id.name)
					err := m.call(c.ctx, c.ownApp, id.payment, id.cfg)
					if c.isKey && m.configWrite {
						wantErr(t, what, err, pasarela.KindForbidden, "user_required")
					} else {
						wantErr(t, what, err, pasarela.KindNotFound, "not_found")
					}
					if pasarela.AsError(err).Error() != pasarela.AsError(missing).Error() {
						t.Errorf("%s: %q, but for ids that do not exist %q", what, err, missing)
					}
				}
			}
			// Naming A's config in the caller's own payment or link is
			// refused as a config that does not exist would be.
			for _, in := range []struct {
				what string
				try  func(config int64) error
			}{
				{"a payment allowing A's config", func(config int64) error {
					_, _, err := e.svc.CreatePayment(c.ctx, c.ownApp, core.PaymentInput{Amount: 100, Currency: "EUR",
						GatewayConfigs: []int64{config}}, nil)
					return err
				}},
			} {
				got, missing := in.try(cfg.ID), in.try(nowhere)
				if pasarela.ErrorKind(got) != pasarela.KindInvalid || stripIDs(got, cfg.ID) != stripIDs(missing, nowhere) {
					t.Errorf("%s: %s: %v; for a config that does not exist: %v", c.name, in.what, got, missing)
				}
			}
		}
		// B's own payment cannot be linked to A's config either.
		_, err = e.svc.CreatePaymentLink(e.B.AppCtx(e.ctx), e.B.App.ID, bPay.ID, core.PaymentLinkInput{GatewayConfig: cfg.ID})
		missing := func() error {
			_, err := e.svc.CreatePaymentLink(e.B.AppCtx(e.ctx), e.B.App.ID, bPay.ID, core.PaymentLinkInput{GatewayConfig: nowhere})
			return err
		}()
		if pasarela.ErrorKind(err) != pasarela.KindInvalid || stripIDs(err, cfg.ID) != stripIDs(missing, nowhere) {
			t.Errorf("B links its payment to A's config: %v (for a config that does not exist: %v)", err, missing)
		}

		// The catalog counts and lists only the caller's configs.
		_, counts, err := e.svc.Gateways(e.B.AdminCtx(e.ctx))
		if err != nil || counts["sandbox"] != 1 {
			t.Errorf("B's catalog counts %v (%v), want its 1 sandbox config", counts, err)
		}
		_, configs, err := e.svc.Gateway(e.B.AppCtx(e.ctx), "sandbox")
		if err != nil || len(configs) != 1 || configs[0].ID != bCfg.ID {
			t.Errorf("B's sandbox configs: %+v (%v)", configs, err)
		}
		_, configs, err = e.svc.Gateway(coretest.AppCtx(e.ctx, &a2.Application), "sandbox")
		if err != nil || len(configs) != 1 || configs[0].ApplicationID != a2.ID {
			t.Errorf("A's kiosk key sees sandbox configs %+v (%v), want its own one", configs, err)
		}
		if after := snapshot(e); after != before {
			t.Errorf("A's data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// snapshot is A's application's payments, links, refunds and configs as
// text, to tell whether anything changed.
func snapshot(e *env) string {
	e.t.Helper()
	out := ""
	pays, _, err := e.svc.ListPayments(e.app(), e.appID(), core.PaymentFilter{}, pasarela.ListOptions{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range pays {
		d := e.MustGet(p.ID)
		out += fmt.Sprintf("payment %d %s v%d captured %d refunded %d links %d refunds %d; ", p.ID, p.Status, p.Version,
			p.Captured, p.Refunded, len(d.Links), len(d.Refunds))
		for _, l := range d.Links {
			out += fmt.Sprintf("link %d %s; ", l.ID, l.Status)
		}
	}
	cfgs, _, err := e.svc.ListGatewayConfigs(e.admin(), e.appID(), "", pasarela.ListOptions{Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cfgs {
		out += fmt.Sprintf("config %d %s w%d %v; ", c.ID, c.Name, c.Weight, c.Enabled)
	}
	return out
}

// stripIDs is an error's text with an id taken out, to compare refusals
// that name the id they refuse.
func stripIDs(err error, id int64) string {
	if err == nil {
		return "<nil>"
	}
	e := pasarela.AsError(err)
	return fmt.Sprintf("%s/%s/%s: %s", e.Kind, e.Code, e.Field, strings.ReplaceAll(e.Message, fmt.Sprint(id), "ID"))
}
