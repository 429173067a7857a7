package core_test

import (
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// seedOrder is the seed's order with its total corrected.
func seedOrder(id string) core.OrderInput {
	return core.OrderInput{ID: id, Currency: "usd", SubTotal: 10000, Shipping: 200, Total: 10700,
		Items: []pasarela.LineItem{{Description: "51 inch TV", Amount: 10000}},
		Taxes: []pasarela.LineItem{{Description: "GST", Amount: 500}}}
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		res, replay, err := e.svc.CreateOrder(e.app(), e.appID(), seedOrder("o-1"), nil)
		if err != nil || replay != nil || res.Existing {
			t.Fatalf("create: %v %v %+v", err, replay, res)
		}
		p := res.Payment
		if p.Amount != 10700 || p.Currency != "USD" || p.MerchantRef != "o-1" || p.Shipping != 200 || p.Status != pasarela.StatusPending ||
			len(p.Items) != 1 || len(p.Taxes) != 1 || p.OrderFingerprint == "" || p.Description != "51 inch TV" {
			t.Fatalf("order as created: %+v", p)
		}
		// As stored, read back through PayREST's read and the order's own.
		d := e.MustGet(p.ID)
		if d.Items[0] != (pasarela.LineItem{Description: "51 inch TV", Amount: 10000}) || d.Taxes[0].Amount != 500 ||
			d.Shipping != 200 || d.OrderFingerprint != p.OrderFingerprint {
			t.Fatalf("order as stored: %+v", d.Payment)
		}
		got, err := e.svc.GetOrder(e.app(), e.appID(), "o-1")
		if err != nil || got.ID != p.ID {
			t.Fatalf("GetOrder: %v %+v", err, got)
		}
		// The same order again is the same order; another one under the id
		// is a conflict; nothing new is stored either way.
		again, _, err := e.svc.CreateOrder(e.app(), e.appID(), seedOrder("o-1"), nil)
		if err != nil || !again.Existing || again.ID != p.ID {
			t.Fatalf("repeat: %v %+v", err, again)
		}
		other := seedOrder("o-1")
		other.Items[0].Description = "52 inch TV"
		_, _, err = e.svc.CreateOrder(e.app(), e.appID(), other, nil)
		wantErr(t, "another order under the id", err, pasarela.KindConflict, "order_id_reused")
		if n := e.count(`SELECT COUNT(*) FROM payments`); n != 1 {
			t.Fatalf("%d payments, want 1", n)
		}
		// An event was written with the order, in its transaction.
		if n := e.count(`SELECT COUNT(*) FROM events WHERE type = 'payment.created'`); n != 1 {
			t.Fatalf("%d payment.created events, want 1", n)
		}

		// A plain payment has no breakdown, and its merchant reference (a
		// Gestpay shopTransactionId, say) is no order.
		plain := e.MustPayment(core.PaymentInput{Amount: 100, Currency: "EUR", MerchantRef: "shop-7"})
		if d := e.MustGet(plain.ID); d.Items != nil || d.Taxes != nil || d.Shipping != 0 || d.OrderFingerprint != "" {
			t.Fatalf("plain payment has an order: %+v", d.Payment)
		}
		_, err = e.svc.GetOrder(e.app(), e.appID(), "shop-7")
		wantErr(t, "a payment's reference read as an order", err, pasarela.KindNotFound, "not_found")
		_, _, err = e.svc.CreateOrder(e.app(), e.appID(), seedOrder("shop-7"), nil)
		wantErr(t, "an order over a payment's reference", err, pasarela.KindConflict, "order_id_reused")

		// Tenancy: B's application sees none of it.
		_, err = e.svc.GetOrder(e.B.AppCtx(e.ctx), e.B.App.ID, "o-1")
		wantErr(t, "B reads A's order", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.GetOrder(e.B.AppCtx(e.ctx), e.appID(), "o-1")
		wantErr(t, "B names A's application", err, pasarela.KindNotFound, "not_found")
		_, _, err = e.svc.CreateOrder(e.B.AppCtx(e.ctx), e.appID(), seedOrder("o-2"), nil)
		wantErr(t, "B creates in A's application", err, pasarela.KindNotFound, "not_found")
	})
}

func TestOrderRules(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		// Without an enabled gateway config the order cannot be paid.
		_, _, err := e.svc.CreateOrder(e.app(), e.appID(), seedOrder("o-1"), nil)
		// The route to configure one is the face's to name; the core gives
		// the application's id for it.
		wantErr(t, "no gateway", err, pasarela.KindInvalid, "no_gateway", "no enabled gateway config")
		if id := pasarela.AsError(err).Params["application_id"]; id != strconv.FormatInt(e.appID(), 10) {
			t.Errorf("no gateway: application_id param %q, want %d", id, e.appID())
		}
		e.MustSandbox()
		many := make([]pasarela.LineItem, core.MaxOrderItems+1)
		for i := range many {
			many[i] = pasarela.LineItem{Description: "x", Amount: 1}
		}
		cases := []struct {
			name  string
			edit  func(*core.OrderInput)
			field string
			code  string
			words []string
		}{
			{"seed total", func(o *core.OrderInput) { o.Total = 12200 }, "total", "total_mismatch",
				[]string{"(10000 + 200 + 500)", "expected 10700, got 12200"}},
			{"sub-total", func(o *core.OrderInput) { o.SubTotal, o.Total = 9000, 9700 }, "sub_total", "sub_total_mismatch",
				[]string{"expected 10000, got 9000"}},
			{"no id", func(o *core.OrderInput) { o.ID = "" }, "id", "required", nil},
			{"id with a slash", func(o *core.OrderInput) { o.ID = "a/b" }, "id", "format", nil},
			{"id with a control", func(o *core.OrderInput) { o.ID = "a\x00b" }, "id", "format", nil},
			{"unknown currency", func(o *core.OrderInput) { o.Currency = "ABC" }, "currency", "currency", []string{"ISO 4217"}},
			{"crypto", func(o *core.OrderInput) { o.Currency = "BTC" }, "currency", "currency", nil},
			{"negative shipping", func(o *core.OrderInput) { o.Shipping = -200; o.Total = 10300 }, "shipping", "negative", nil},
			{"negative item", func(o *core.OrderInput) { o.Items[0].Amount = -1 }, "items[0].amount", "negative", nil},
			{"huge item", func(o *core.OrderInput) { o.Items[0].Amount = 1 << 62 }, "items[0].amount", "amount", nil},
			{"no items", func(o *core.OrderInput) { o.Items = nil }, "items", "required", nil},
			{"too many items", func(o *core.OrderInput) { o.Items = many }, "items", "too_many", nil},
			{"blank description", func(o *core.OrderInput) { o.Taxes[0].Description = "  " }, "taxes[0].description", "required", nil},
			{"zero total", func(o *core.OrderInput) {
				*o = core.OrderInput{ID: "z", Currency: "USD", Items: []pasarela.LineItem{{Description: "gift"}}}
			}, "total", "amount", nil},
		}
		for _, c := range cases {
			in := seedOrder("o-1")
			c.edit(&in)
			_, _, err := e.svc.CreateOrder(e.app(), e.appID(), in, nil)
			wantErr(t, c.name, err, pasarela.KindInvalid, c.code, c.words...)
			if pe := pasarela.AsError(err); pe.Field != c.field {
				t.Errorf("%s: field %q, want %q", c.name, pe.Field, c.field)
			}
		}
		// The arithmetic's values travel as params, so that a face words
		// its own message without parsing the core's.
		for _, c := range []struct {
			edit   func(*core.OrderInput)
			params map[string]string
		}{
			{func(o *core.OrderInput) { o.Total = 12200 },
				map[string]string{"sub_total": "10000", "shipping": "200", "taxes": "500", "expected": "10700", "got": "12200"}},
			{func(o *core.OrderInput) { o.SubTotal, o.Total = 9000, 9700 }, map[string]string{"expected": "10000", "got": "9000"}},
		} {
			in := seedOrder("o-1")
			c.edit(&in)
			_, _, err := e.svc.CreateOrder(e.app(), e.appID(), in, nil)
			if pe := pasarela.AsError(err); !maps.Equal(pe.Params, c.params) || !maps.Equal(pe.Fields[0].Params, c.params) {
				t.Errorf("%s: params %v, want %v", pe.Code, pe.Params, c.params)
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM payments`); n != 0 {
			t.Fatalf("refused orders left %d payments", n)
		}
		// A long breakdown makes a description of the payment's length.
		long := seedOrder("o-long")
		long.Items = nil
		long.SubTotal = 0
		for range 20 {
			long.Items = append(long.Items, pasarela.LineItem{Description: strings.Repeat("y", 200), Amount: 500})
			long.SubTotal += 500
		}
		long.Total = long.SubTotal + 700
		res, _, err := e.svc.CreateOrder(e.app(), e.appID(), long, nil)
		if err != nil || len([]rune(res.Description)) != 1000 {
			t.Fatalf("long order: %v", err)
		}
	})
}

// TestConcurrentOrder races many first requests of one order id: one
// payment is made, every same order gets it, every other order a conflict.
func TestConcurrentOrder(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		const n = 16
		ids := make([]int64, n)
		errs := make([]error, n)
		barrier(n, func(i int) {
			in := seedOrder("race")
			if i%4 == 3 {
				in.Shipping, in.Total = 300, 10800
			}
			res, _, err := e.svc.CreateOrder(e.app(), e.appID(), in, nil)
			if err == nil {
				ids[i] = res.ID
			}
			errs[i] = err
		})
		var first int64
		for i := range n {
			switch {
			case errs[i] == nil && (first == 0 || ids[i] == first):
				first = ids[i]
			case errs[i] != nil && pasarela.ErrorKind(errs[i]) == pasarela.KindConflict:
			default:
				t.Fatalf("request %d: %v (id %d, first %d)", i, errs[i], ids[i], first)
			}
		}
		if c := e.count(`SELECT COUNT(*) FROM payments`); c != 1 {
			t.Fatalf("%d payments, want 1", c)
		}
	})
}
