package core_test

import (
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestSearchPayments: a user finds its client's payments across
// applications and by card, an application key only its own, and nobody
// another client's; bad filters are refused by name.
func TestSearchPayments(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustSandbox()
		paid := e.MustCompleted(core.PaymentInput{CustomerEmail: "Ana@Example.com"})
		other := coretest.MustApplication(t, e.svc, e.A.Client.ID, "Second")
		if _, err := e.svc.CreateGatewayConfig(e.admin(), other.ID, core.GatewayConfigInput{
			Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("Cards")}); err != nil {
			t.Fatal(err)
		}
		second, _, err := e.svc.CreatePayment(coretest.AppCtx(e.ctx, &other.Application), other.ID,
			core.PaymentInput{Amount: 500, Currency: "EUR"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(page *core.PaymentPage, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, p := range page.Payments {
				out = append(out, p.ID)
			}
			return out
		}
		if got := ids(e.svc.SearchPayments(e.admin(), core.PaymentSearch{})); len(got) != 2 || got[0] != second.ID || got[1] != paid.ID {
			t.Fatalf("admin's search: %v", got)
		}
		if got := ids(e.svc.SearchPayments(e.app(), core.PaymentSearch{})); len(got) != 1 || got[0] != paid.ID {
			t.Fatalf("application key's search: %v", got)
		}
		if got := ids(e.svc.SearchPayments(e.admin(), core.PaymentSearch{Last4: "4242", Email: "ana@example.COM"})); len(got) != 1 || got[0] != paid.ID {
			t.Fatalf("by card and email: %v", got)
		}
		page, err := e.svc.SearchPayments(e.admin(), core.PaymentSearch{Limit: 1})
		if err != nil || len(page.Payments) != 1 || !page.Older || page.Newer {
			t.Fatalf("first page of one: %+v %v", page, err)
		}
		page, err = e.svc.SearchPayments(e.admin(), core.PaymentSearch{Limit: 1, Before: page.Payments[0].ID})
		if err != nil || len(page.Payments) != 1 || page.Older || !page.Newer || page.Payments[0].ID != paid.ID {
			t.Fatalf("second page of one: %+v %v", page, err)
		}
		// Another client sees nothing, and an application of A is not found.
		bctx := e.B.AdminCtx(e.ctx)
		if got := ids(e.svc.SearchPayments(bctx, core.PaymentSearch{ID: paid.ID})); len(got) != 0 {
			t.Fatalf("B finds A's payment: %v", got)
		}
		_, err = e.svc.SearchPayments(bctx, core.PaymentSearch{ApplicationID: e.appID()})
		wantErr(t, "B names A's application", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.FindPayment(bctx, paid.ID)
		wantErr(t, "B finds A's payment by id", err, pasarela.KindNotFound, "not_found")
		_, err = e.svc.SearchPayments(e.app(), core.PaymentSearch{ApplicationID: other.ID})
		wantErr(t, "a key names another application", err, pasarela.KindNotFound, "not_found")
		for _, tc := range []struct {
			f    core.PaymentSearch
			code string
		}{{core.PaymentSearch{Status: "paid"}, "enum"}, {core.PaymentSearch{Last4: "42a2"}, "format"},
			{core.PaymentSearch{Limit: 501}, "range"}, {core.PaymentSearch{Before: 1, After: 2}, "range"}} {
			_, err := e.svc.SearchPayments(e.admin(), tc.f)
			wantErr(t, "bad filter", err, pasarela.KindInvalid, tc.code)
		}
		if got, err := e.svc.FindPayment(e.admin(), second.ID); err != nil || got.ApplicationID != other.ID {
			t.Fatalf("find: %+v %v", got, err)
		}
	})
}
