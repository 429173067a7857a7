package core_test

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store/storetest"
)

// statsFixture is a day and a half of A's payments made through the core,
// with times chosen around midnight UTC, and one of B's that must never
// show. The figures the tests expect are counted by hand from this list:
//
//	   app  amount     created (UTC)  then                              status
//	p1 A1   EUR 1000   03-01 12:00    paid at once                      completed
//	p2 A1   USD 2500   03-01 12:00    paid at once, 500 refunded        partially_refunded
//	p3 A1   EUR  300   03-01 12:00    never paid                        pending
//	p4 A1   EUR  700   03-01 23:30    paid 03-02 00:30                  completed
//	p5 A2   MXN 10000  03-02 00:30    paid at once, refunded in full    refunded
//	p6 A1   EUR  400   03-02 00:30    cancelled                         invalidated
//	b1 B    EUR 99999  03-01 12:00    paid at once                      completed
type statsFixture struct {
	app2               *core.NewApplication
	cfg1, cfg2         *pasarela.GatewayConfig
	p1, p2, p3, p4, p5 *pasarela.Payment
	p6                 *pasarela.Payment
}

func newStatsFixture(t *testing.T, e *env) *statsFixture {
	t.Helper()
	f := &statsFixture{}
	f.cfg1 = e.MustSandbox()
	f.app2 = coretest.MustApplication(t, e.svc, e.A.Client.ID, "Alpha kiosk")
	var err error
	f.cfg2, err = e.svc.CreateGatewayConfig(e.admin(), f.app2.ID, core.GatewayConfigInput{Gateway: pasarela.Set(sandbox.GatewayID),
		Name: pasarela.Set("kiosk sandbox"), Weight: pasarela.Set(1)})
	if err != nil {
		t.Fatal(err)
	}
	bcfg, err := e.svc.CreateGatewayConfig(e.B.AdminCtx(e.ctx), e.B.App.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set(sandbox.GatewayID), Name: pasarela.Set("b"), Weight: pasarela.Set(1)})
	if err != nil || bcfg == nil {
		t.Fatal(err)
	}
	// 03-01 12:00 UTC.
	f.p1 = e.MustCompleted(core.PaymentInput{Amount: 1000, Currency: "EUR"})
	f.p2 = e.MustCompleted(core.PaymentInput{Amount: 2500, Currency: "USD"})
	if _, _, err := e.svc.Refund(e.admin(), e.appID(), f.p2.ID, core.RefundInput{Amount: 500}, nil); err != nil {
		t.Fatal(err)
	}
	f.p3 = e.MustPayment(core.PaymentInput{Amount: 300, Currency: "EUR"})
	b1, _, err := e.svc.CreatePayment(e.B.AppCtx(e.ctx), e.B.App.ID, core.PaymentInput{Amount: 99999, Currency: "EUR"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.MustPay(b1.CheckoutToken, cardVisa)
	// 03-01 23:30 UTC.
	e.clock.Advance(11*time.Hour + 30*time.Minute)
	f.p4 = e.MustPayment(core.PaymentInput{Amount: 700, Currency: "EUR"})
	// 03-02 00:30 UTC.
	e.clock.Advance(time.Hour)
	e.MustPay(f.p4.CheckoutToken, cardVisa)
	app2 := coretest.AppCtx(e.ctx, &f.app2.Application)
	f.p5, _, err = e.svc.CreatePayment(app2, f.app2.ID, core.PaymentInput{Amount: 10000, Currency: "MXN"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.MustPay(f.p5.CheckoutToken, cardMastercard)
	if _, _, err := e.svc.Refund(e.admin(), f.app2.ID, f.p5.ID, core.RefundInput{}, nil); err != nil {
		t.Fatal(err)
	}
	f.p6 = e.MustPayment(core.PaymentInput{Amount: 400, Currency: "EUR"})
	if err := e.svc.CancelPayment(e.app(), e.appID(), f.p6.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

// tot builds expected totals: the count, then (currency, count, amount,
// refunded) for each currency.
func tot(count int64, figures ...any) core.StatsTotals {
	t := core.StatsTotals{Count: count}
	for i := 0; i+4 <= len(figures); i += 4 {
		t.Currencies = append(t.Currencies, core.CurrencyTotals{Currency: figures[i].(string),
			Count: int64(figures[i+1].(int)), Amount: int64(figures[i+2].(int)), Refunded: int64(figures[i+3].(int))})
	}
	return t
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func period(from, to string, off time.Duration) core.StatsPeriodInput {
	return core.StatsPeriodInput{From: day(from), To: day(to), Offset: off}
}

func TestStatsSummaries(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		f := newStatsFixture(t, e)
		s, err := e.svc.OperationsSummary(e.admin())
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "client summary", *s, core.OperationsSummary{
			StatsTotals: tot(4, "EUR", 2, 1700, 0, "MXN", 1, 10000, 10000, "USD", 1, 2500, 500),
			Applications: []core.ApplicationStats{
				{ApplicationID: e.appID(), Name: "Alpha Shop web", StatsTotals: tot(3, "EUR", 2, 1700, 0, "USD", 1, 2500, 500)},
				{ApplicationID: f.app2.ID, Name: "Alpha kiosk", StatsTotals: tot(1, "MXN", 1, 10000, 10000)},
			}})

		a, err := e.svc.ApplicationSummary(e.app(), e.appID())
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "application summary", *a, core.ApplicationSummary{
			StatsTotals: tot(3, "EUR", 2, 1700, 0, "USD", 1, 2500, 500),
			Gateways: []core.GatewayStats{{GatewayConfigID: f.cfg1.ID, Gateway: "sandbox", Name: f.cfg1.Name,
				StatsTotals: tot(3, "EUR", 2, 1700, 0, "USD", 1, 2500, 500)}}})

		// A config with nothing confirmed is listed with zeros.
		extra := e.MustSandbox()
		a, err = e.svc.ApplicationSummary(e.admin(), e.appID())
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Gateways) != 2 || a.Gateways[1].GatewayConfigID != extra.ID || a.Gateways[1].Count != 0 {
			t.Fatalf("gateways %+v, want the unused config %d last with nothing", a.Gateways, extra.ID)
		}
	})
}

func TestStatsDaily(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		f := newStatsFixture(t, e)
		a1, a2 := e.appID(), f.app2.ID
		for _, tc := range []struct {
			name string
			in   core.StatsPeriodInput
			want core.StatsDaily
		}{
			{"UTC: p4 was paid on 03-02", period("2026-03-01", "2026-03-02", 0), core.StatsDaily{
				StatsTotals: tot(4, "EUR", 2, 1700, 0, "MXN", 1, 10000, 10000, "USD", 1, 2500, 500),
				Days: []core.StatsDay{
					{Date: day("2026-03-01"), ApplicationID: a1, StatsTotals: tot(2, "EUR", 1, 1000, 0, "USD", 1, 2500, 500)},
					{Date: day("2026-03-02"), ApplicationID: a1, StatsTotals: tot(1, "EUR", 1, 700, 0)},
					{Date: day("2026-03-02"), ApplicationID: a2, StatsTotals: tot(1, "MXN", 1, 10000, 10000)},
				}}},
			{"UTC-6: 00:30 UTC is the evening before", period("2026-03-01", "2026-03-02", -6*time.Hour), core.StatsDaily{
				StatsTotals: tot(4, "EUR", 2, 1700, 0, "MXN", 1, 10000, 10000, "USD", 1, 2500, 500),
				Days: []core.StatsDay{
					{Date: day("2026-03-01"), ApplicationID: a1, StatsTotals: tot(3, "EUR", 2, 1700, 0, "USD", 1, 2500, 500)},
					{Date: day("2026-03-01"), ApplicationID: a2, StatsTotals: tot(1, "MXN", 1, 10000, 10000)},
				}}},
			{"one day only", period("2026-03-02", "2026-03-02", 0), core.StatsDaily{
				StatsTotals: tot(2, "EUR", 1, 700, 0, "MXN", 1, 10000, 10000),
				Days: []core.StatsDay{
					{Date: day("2026-03-02"), ApplicationID: a1, StatsTotals: tot(1, "EUR", 1, 700, 0)},
					{Date: day("2026-03-02"), ApplicationID: a2, StatsTotals: tot(1, "MXN", 1, 10000, 10000)},
				}}},
			{"nothing in range", period("2026-02-01", "2026-02-28", 0), core.StatsDaily{Days: []core.StatsDay{}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := e.svc.OperationsDaily(e.admin(), tc.in)
				if err != nil {
					t.Fatal(err)
				}
				tc.want.Period = core.StatsPeriod{From: tc.in.From, To: tc.in.To, Offset: tc.in.Offset}
				storetest.MustEqual(t, "client days", *got, tc.want)
			})
		}

		// An application's days go by creation and status.
		for _, tc := range []struct {
			name string
			in   core.StatsPeriodInput
			want []core.StatsDay
		}{
			{"UTC", period("2026-03-01", "2026-03-02", 0), []core.StatsDay{
				{Date: day("2026-03-01"), Status: pasarela.StatusCompleted, StatsTotals: tot(2, "EUR", 2, 1700, 0)},
				{Date: day("2026-03-01"), Status: pasarela.StatusPartiallyRefunded, StatsTotals: tot(1, "USD", 1, 2500, 500)},
				{Date: day("2026-03-01"), Status: pasarela.StatusPending, StatsTotals: tot(1, "EUR", 1, 300, 0)},
				{Date: day("2026-03-02"), Status: pasarela.StatusInvalidated, StatsTotals: tot(1, "EUR", 1, 400, 0)},
			}},
			{"UTC+5:30: 23:30 UTC is the next morning", period("2026-03-01", "2026-03-02", 5*time.Hour+30*time.Minute), []core.StatsDay{
				{Date: day("2026-03-01"), Status: pasarela.StatusCompleted, StatsTotals: tot(1, "EUR", 1, 1000, 0)},
				{Date: day("2026-03-01"), Status: pasarela.StatusPartiallyRefunded, StatsTotals: tot(1, "USD", 1, 2500, 500)},
				{Date: day("2026-03-01"), Status: pasarela.StatusPending, StatsTotals: tot(1, "EUR", 1, 300, 0)},
				{Date: day("2026-03-02"), Status: pasarela.StatusCompleted, StatsTotals: tot(1, "EUR", 1, 700, 0)},
				{Date: day("2026-03-02"), Status: pasarela.StatusInvalidated, StatsTotals: tot(1, "EUR", 1, 400, 0)},
			}},
		} {
			t.Run("application "+tc.name, func(t *testing.T) {
				got, err := e.svc.ApplicationDaily(e.app(), a1, tc.in)
				if err != nil {
					t.Fatal(err)
				}
				storetest.MustEqual(t, "application days", got.Days, tc.want)
				if got.Count != 5 {
					t.Fatalf("application total count %d, want 5 (p1, p2, p3, p4, p6)", got.Count)
				}
			})
		}

		// Defaults: the week up to today in the offset. At 03-02 00:30
		// UTC it is still 03-01 at UTC-6.
		got, err := e.svc.OperationsDaily(e.admin(), core.StatsPeriodInput{Offset: -6 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "default period", got.Period, core.StatsPeriod{From: day("2026-02-22"), To: day("2026-03-01"), Offset: -6 * time.Hour})
		if got.Count != 4 {
			t.Fatalf("default period counts %d, want 4", got.Count)
		}
	})
}

func TestStatsDetail(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		f := newStatsFixture(t, e)
		ids := func(d *core.StatsDetail) []int64 {
			out := []int64{}
			for _, p := range d.Payments {
				out = append(out, p.ID)
			}
			return out
		}
		// By confirmation date: p4, created on 03-01, is 03-02's.
		d, err := e.svc.OperationsDetail(e.admin(), period("2026-03-02", "2026-03-02", 0), pasarela.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "03-02 ids", ids(d), []int64{f.p4.ID, f.p5.ID})
		storetest.MustEqual(t, "03-02 totals", d.StatsTotals, tot(2, "EUR", 1, 700, 0, "MXN", 1, 10000, 10000))
		d, err = e.svc.OperationsDetail(e.admin(), period("2026-03-01", "2026-03-01", 0), pasarela.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "03-01 ids", ids(d), []int64{f.p1.ID, f.p2.ID})
		// At UTC-6 all four were confirmed on 03-01; pages of one.
		var all []int64
		for off := 0; off < 5; off++ {
			d, err = e.svc.OperationsDetail(e.admin(), period("2026-03-01", "2026-03-01", -6*time.Hour),
				pasarela.ListOptions{Limit: 1, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if d.Count != 4 {
				t.Fatalf("page %d: total %d, want 4", off, d.Count)
			}
			all = append(all, ids(d)...)
		}
		storetest.MustEqual(t, "pages at UTC-6", all, []int64{f.p1.ID, f.p2.ID, f.p4.ID, f.p5.ID})
	})
}

func TestStatsAccess(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		f := newStatsFixture(t, e)
		// B sees only its own payment, and never A's applications.
		s, err := e.svc.OperationsSummary(e.B.AdminCtx(e.ctx))
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustEqual(t, "B's totals", s.StatsTotals, tot(1, "EUR", 1, 99999, 0))
		if len(s.Applications) != 1 || s.Applications[0].ApplicationID != e.B.App.ID {
			t.Fatalf("B's summary lists %+v", s.Applications)
		}
		bAdmin := e.B.AdminCtx(e.ctx)
		for name, call := range map[string]func() error{
			"B admin, A summary": func() error { _, err := e.svc.ApplicationSummary(bAdmin, e.appID()); return err },
			"B admin, A daily": func() error {
				_, err := e.svc.ApplicationDaily(bAdmin, e.appID(), core.StatsPeriodInput{})
				return err
			},
			"A key, A's other app summary": func() error { _, err := e.svc.ApplicationSummary(e.app(), f.app2.ID); return err },
			"A key, A's other app daily": func() error {
				_, err := e.svc.ApplicationDaily(e.app(), f.app2.ID, core.StatsPeriodInput{})
				return err
			},
			"unknown app": func() error { _, err := e.svc.ApplicationSummary(e.admin(), 999999); return err },
		} {
			if err := call(); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		for name, call := range map[string]func() error{
			"summary": func() error { _, err := e.svc.OperationsSummary(e.app()); return err },
			"daily":   func() error { _, err := e.svc.OperationsDaily(e.app(), core.StatsPeriodInput{}); return err },
			"detail": func() error {
				_, err := e.svc.OperationsDetail(e.app(), core.StatsPeriodInput{}, pasarela.ListOptions{})
				return err
			},
		} {
			if err := call(); pasarela.ErrorKind(err) != pasarela.KindForbidden {
				t.Errorf("application key on client-wide %s: %v, want forbidden", name, err)
			}
		}
		if _, err := e.svc.OperationsSummary(e.ctx); pasarela.ErrorKind(err) != pasarela.KindUnauthorized {
			t.Errorf("no principal: %v, want unauthorized", err)
		}
	})
}

func TestStatsPeriodRules(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		for _, tc := range []struct {
			name  string
			in    core.StatsPeriodInput
			field string
		}{
			{"from after to", period("2026-03-02", "2026-03-01", 0), "from"},
			{"367 days", period("2025-03-01", "2026-03-02", 0), "to"},
			{"366 days is fine", period("2025-03-02", "2026-03-02", 0), ""},
			{"offset too far east", core.StatsPeriodInput{Offset: 14*time.Hour + time.Minute}, "tz"},
			{"offset too far west", core.StatsPeriodInput{Offset: -15 * time.Hour}, "tz"},
			{"offset not in quarters of an hour", core.StatsPeriodInput{Offset: 5*time.Hour + 20*time.Minute}, "tz"},
			{"offset of 45 minutes is fine", core.StatsPeriodInput{Offset: 5*time.Hour + 45*time.Minute}, ""},
			{"before 1970", period("1969-12-25", "1970-01-05", 0), "from"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.OperationsDaily(e.admin(), tc.in)
				_, aerr := e.svc.ApplicationDaily(e.app(), e.appID(), tc.in)
				_, derr := e.svc.OperationsDetail(e.admin(), tc.in, pasarela.ListOptions{})
				for _, err := range []error{err, aerr, derr} {
					if tc.field == "" {
						if err != nil {
							t.Fatal(err)
						}
						continue
					}
					storetest.MustErrorKind(t, err, pasarela.KindInvalid, tc.field)
				}
			})
		}
		_, err := e.svc.OperationsDetail(e.admin(), core.StatsPeriodInput{}, pasarela.ListOptions{Limit: 101,
			Sort: []pasarela.SortField{{Field: "amount"}}})
		e2 := storetest.MustErrorKind(t, err, pasarela.KindInvalid, "")
		if len(e2.Fields) != 2 {
			t.Fatalf("errors %+v, want sort and limit together", e2.Fields)
		}
	})
}
