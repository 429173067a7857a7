package dashboard

import (
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The home page: today's and this month's volume per currency, the share
// of attempts that succeeded, and charts of the last 30 days, all from the
// statistics the core keeps for the API (OperationsDaily, ApplicationDaily,
// ApplicationSummary); days are UTC days. The chart per gateway config
// covers all time, and says so: the statistics keep a config's totals
// (payment_totals) but no days of it, and adding them up from the payments
// would read every payment of the month on each visit.

const chartDays = 30

// statusGroups fold the payment statuses into the four a chart tells apart,
// with colours that keep 3:1 against white and each other's neighbours.
var statusGroups = []struct {
	key      string
	color    string
	statuses []pasarela.PaymentStatus
}{
	{"chart.succeeded", "#15803d", []pasarela.PaymentStatus{pasarela.StatusCompleted, pasarela.StatusPartiallyRefunded,
		pasarela.StatusRefunded, pasarela.StatusAuthorized}},
	{"chart.failed", "#b91c1c", []pasarela.PaymentStatus{pasarela.StatusFailed}},
	{"chart.open", "#b45309", []pasarela.PaymentStatus{pasarela.StatusPending, pasarela.StatusProcessing,
		pasarela.StatusRequiresAction, pasarela.StatusAdjustment}},
	{"chart.ended", "#6b7280", []pasarela.PaymentStatus{pasarela.StatusExpired, pasarela.StatusInvalidated}},
}

type legendItem struct{ Name, Color string }

type homeData struct {
	Today, Month []core.CurrencyTotals
	TodayCount   int64
	MonthCount   int64
	Success      string // share of attempts that succeeded, or "" when none
	Attempts     int64
	Currency     string   // the currency the volume chart shows
	Currencies   []string // the currencies it could show
	Volume       template.HTML
	Counts       template.HTML
	Legend       []legendItem
	Gateways     template.HTML
	NoGateways   bool
}

// home serves GET /dashboard/.
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request, q *Request) error {
	now := d.svc.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(chartDays - 1))
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	from := first
	if monthStart.Before(from) {
		from = monthStart
	}
	confirmed, err := d.svc.OperationsDaily(q.Ctx, core.StatsPeriodInput{From: from, To: today})
	if err != nil {
		return err
	}
	var todayT, monthT core.StatsTotals
	volume := map[string][]int64{} // currency → amount per chart day
	for _, day := range confirmed.Days {
		if day.Date.Equal(today) {
			todayT.Add(day.StatsTotals)
		}
		if !day.Date.Before(monthStart) {
			monthT.Add(day.StatsTotals)
		}
		if i := int(day.Date.Sub(first).Hours() / 24); i >= 0 && i < chartDays {
			for _, c := range day.Currencies {
				if volume[c.Currency] == nil {
					volume[c.Currency] = make([]int64, chartDays)
				}
				volume[c.Currency][i] += c.Amount
			}
		}
	}
	data := homeData{Today: todayT.Currencies, Month: monthT.Currencies, TodayCount: todayT.Count, MonthCount: monthT.Count}

	// Every payment created per day and status, across applications.
	apps, _, err := d.svc.ListApplications(q.Ctx, "", pasarela.ListOptions{Limit: 100})
	if err != nil {
		return err
	}
	counts := make([][]int64, len(statusGroups))
	for i := range counts {
		counts[i] = make([]int64, chartDays)
	}
	var bars []hbar
	byCount := map[string]int64{}
	for _, app := range apps {
		daily, err := d.svc.ApplicationDaily(q.Ctx, app.ID, core.StatsPeriodInput{From: first, To: today})
		if err != nil {
			return err
		}
		for _, day := range daily.Days {
			i := int(day.Date.Sub(first).Hours() / 24)
			if i < 0 || i >= chartDays {
				continue
			}
			for g, group := range statusGroups {
				if slices.Contains(group.statuses, day.Status) {
					counts[g][i] += day.Count
				}
			}
			for _, c := range day.Currencies {
				byCount[c.Currency] += c.Count
			}
		}
		sum, err := d.svc.ApplicationSummary(q.Ctx, app.ID)
		if err != nil {
			return err
		}
		for _, g := range sum.Gateways {
			name := g.Name
			if g.GatewayConfigID == 0 {
				name = translate(q.Lang, "chart.noconfig")
			}
			if len(apps) > 1 {
				name = app.Name + " · " + name
			}
			bars = append(bars, hbar{Label: name, Value: g.Count, Text: formatInt(q.Lang, g.Count)})
		}
	}
	var ok, failed int64
	for i := range chartDays {
		ok += counts[0][i]
		failed += counts[1][i]
	}
	if data.Attempts = ok + failed; data.Attempts > 0 {
		data.Success = formatPercent(q.Lang, (ok*1000+data.Attempts/2)/data.Attempts)
	}

	// The volume chart shows one currency: the one asked for, else the one
	// with the most payments in the period.
	for c := range volume {
		data.Currencies = append(data.Currencies, c)
	}
	slices.Sort(data.Currencies)
	data.Currency = r.URL.Query().Get("currency")
	if volume[data.Currency] == nil {
		data.Currency = ""
		for _, c := range data.Currencies {
			if data.Currency == "" || byCount[c] > byCount[data.Currency] {
				data.Currency = c
			}
		}
	}
	labels, tips := make([]string, chartDays), make([]string, chartDays)
	for i := range chartDays {
		day := first.AddDate(0, 0, i)
		tips[i] = formatDay(q.Lang, day)
		if i%5 == 4 || i == chartDays-1 {
			labels[i] = formatDayShort(q.Lang, day)
		}
	}
	if data.Currency != "" {
		cur := data.Currency
		data.Volume = barChart("volume-chart", translate(q.Lang, "home.volume.chart", cur), labels, tips,
			[]series{{Name: cur, Color: "#1d4ed8", Values: volume[cur]}},
			func(v int64) string { return formatAxisAmount(q.Lang, v, cur) },
			func(v int64) string { return formatAmount(q.Lang, v, cur) })
	}
	ss := make([]series, len(statusGroups))
	for g, group := range statusGroups {
		ss[g] = series{Name: translate(q.Lang, group.key), Color: group.color, Values: counts[g]}
		data.Legend = append(data.Legend, legendItem{Name: ss[g].Name, Color: group.color})
	}
	count := func(v int64) string { return formatInt(q.Lang, v) }
	data.Counts = barChart("count-chart", translate(q.Lang, "home.count.chart"), labels, tips, ss, count, count)
	slices.SortStableFunc(bars, func(a, b hbar) int { return int(b.Value - a.Value) })
	if data.NoGateways = len(bars) == 0; !data.NoGateways {
		data.Gateways = hbarChart("gateway-chart", translate(q.Lang, "home.gateways.chart"), "#7c3aed", bars)
	}
	d.render(w, r, q, http.StatusOK, "home", data)
	return nil
}

// formatDayShort is a day and month ("7 Dec").
func formatDayShort(lang string, t time.Time) string {
	return formatInt(lang, int64(t.Day())) + " " + translate(lang, "month."+formatInt(lang, int64(t.Month())))
}
