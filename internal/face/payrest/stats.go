package payrest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// PayREST statistics (rows 29–33 of the reference): summaries keep the
// seed's totalCount, totalAmount and details; days and the detail keep
// from, to and data. Amounts are strings of minor units, as everywhere in
// this face, and per currency: totalAmount is {"EUR":"1050","USD":"200"}.

// totalsJSON is an aggregate of payments.
type totalsJSON struct {
	TotalCount     int64             `json:"totalCount"`
	TotalAmount    map[string]string `json:"totalAmount"`
	RefundedAmount map[string]string `json:"refundedAmount"`
}

func totalsView(t core.StatsTotals) totalsJSON {
	out := totalsJSON{TotalCount: t.Count, TotalAmount: map[string]string{}, RefundedAmount: map[string]string{}}
	for _, c := range t.Currencies {
		out.TotalAmount[c.Currency] = strconv.FormatInt(c.Amount, 10)
		out.RefundedAmount[c.Currency] = strconv.FormatInt(c.Refunded, 10)
	}
	return out
}

type applicationStatsJSON struct {
	ApplicationID int64  `json:"applicationId"`
	Name          string `json:"name"`
	totalsJSON
}

type operationsSummaryJSON struct {
	totalsJSON
	Details []applicationStatsJSON `json:"details"`
}

type gatewayStatsJSON struct {
	GatewayConfig *int64 `json:"gatewayConfig"`
	Gateway       string `json:"gateway"`
	Name          string `json:"name"`
	totalsJSON
}

type applicationSummaryJSON struct {
	totalsJSON
	Details []gatewayStatsJSON `json:"details"`
}

// periodJSON is the period an answer covers, as asked or defaulted.
type periodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	TZ   string `json:"tz"`
}

func periodView(p core.StatsPeriod) periodJSON {
	return periodJSON{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), TZ: formatOffset(p.Offset)}
}

type operationsDayJSON struct {
	Date          string `json:"date"`
	ApplicationID int64  `json:"applicationId"`
	totalsJSON
}

type operationsDailyJSON struct {
	periodJSON
	totalsJSON
	Data []operationsDayJSON `json:"data"`
}

type applicationDayJSON struct {
	Date   string `json:"date"`
	Status string `json:"status"`
	totalsJSON
}

type applicationDailyJSON struct {
	periodJSON
	totalsJSON
	Data []applicationDayJSON `json:"data"`
}

// operationJSON is one confirmed payment of the detail.
type operationJSON struct {
	ID             int64     `json:"id"`
	ApplicationID  int64     `json:"applicationId"`
	TransactionID  string    `json:"transactionId"`
	Status         string    `json:"status"`
	Amount         string    `json:"amount"`
	RefundedAmount string    `json:"refundedAmount"`
	Currency       string    `json:"currency"`
	GatewayConfig  *int64    `json:"gatewayConfig"`
	ClientID       string    `json:"clientId"`
	CreatedAt      time.Time `json:"createdAt"`
	CompletionDate time.Time `json:"completionDate"`
	Links          []link    `json:"links"`
}

type operationsDetailJSON struct {
	periodJSON
	totalsJSON
	Data []operationJSON `json:"data"`
}

// formatOffset writes an offset as ±HH:MM.
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	m := int(d / time.Minute)
	return sign + pad2(m/60) + ":" + pad2(m%60)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// parseOffset reads tz: Z, or ±HH:MM. A '+' written unescaped in a query
// string arrives as a space, which is read back as the '+' it was.
func parseOffset(s string) (time.Duration, bool) {
	if s == "Z" || s == "z" {
		return 0, true
	}
	if strings.HasPrefix(s, " ") {
		s = "+" + s[1:]
	}
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[1:3])
	m, err2 := strconv.Atoi(s[4:6])
	if err1 != nil || err2 != nil || s[1] == '+' || s[1] == '-' || s[4] == '+' || s[4] == '-' || m > 59 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		d = -d
	}
	return d, true
}

// statsEpoch is the first day figures can be asked for (see the core's
// StatsPeriod).
var statsEpoch = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)

// periodInput reads from, to (YYYY-mm-dd) and tz from the query. The core
// checks the range; here only the syntax.
func periodInput(q url.Values, v *pasarela.Validation) core.StatsPeriodInput {
	var in core.StatsPeriodInput
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &in.From}, {"to", &in.To}} {
		s, ok := q[f.name]
		if !ok {
			continue
		}
		t, err := time.Parse(time.DateOnly, s[0])
		if err != nil || len(s) > 1 {
			v.Add(f.name, "date", "must be one date in the format YYYY-mm-dd, like 2026-03-01")
			continue
		}
		// The core reads a zero date as "not given" (the default period);
		// 0001-01-01 parses to exactly that, so it is refused here, as any
		// date before the epoch is, rather than silently replaced.
		if t.Before(statsEpoch) {
			v.Add(f.name, "range", "must be 1970-01-02 or later")
			continue
		}
		*f.dst = t
	}
	if s, ok := q["tz"]; ok {
		d, good := parseOffset(s[0])
		if !good || len(s) > 1 {
			v.Add("tz", "offset", "must be one UTC offset like +05:30, -06:00 or Z (write + as %2B in a URL)")
		} else {
			in.Offset = d
		}
	}
	return in
}

// periodOnly reads a period and refuses any other query parameter, so that
// a misspelt one (form instead of from) is an error rather than a silent
// default.
func periodOnly(r *http.Request, extra ...string) (core.StatsPeriodInput, *pasarela.Validation) {
	q := r.URL.Query()
	var v pasarela.Validation
	for k := range q {
		switch k {
		case "from", "to", "tz":
		default:
			if !contains(extra, k) {
				v.Add(k, "unknown_parameter", "unknown query parameter; this route takes from, to and tz"+
					extraText(extra))
			}
		}
	}
	return periodInput(q, &v), &v
}

func extraText(extra []string) string {
	if len(extra) == 0 {
		return ""
	}
	return " (and " + strings.Join(extra, ", ") + ")"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func noQuery(r *http.Request) error {
	var v pasarela.Validation
	for k := range r.URL.Query() {
		v.Add(k, "unknown_parameter", "unknown query parameter; this route takes none")
	}
	return v.Err()
}

func (f *Face) operationsSummary(w http.ResponseWriter, r *http.Request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	s, err := f.svc.OperationsSummary(r.Context())
	if err != nil {
		return err
	}
	out := operationsSummaryJSON{totalsJSON: totalsView(s.StatsTotals), Details: make([]applicationStatsJSON, len(s.Applications))}
	for i, a := range s.Applications {
		out.Details[i] = applicationStatsJSON{ApplicationID: a.ApplicationID, Name: a.Name, totalsJSON: totalsView(a.StatsTotals)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Face) applicationSummary(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	if err := noQuery(r); err != nil {
		return err
	}
	s, err := f.svc.ApplicationSummary(r.Context(), appID)
	if err != nil {
		return err
	}
	out := applicationSummaryJSON{totalsJSON: totalsView(s.StatsTotals), Details: make([]gatewayStatsJSON, len(s.Gateways))}
	for i, g := range s.Gateways {
		d := gatewayStatsJSON{Gateway: g.Gateway, Name: g.Name, totalsJSON: totalsView(g.StatsTotals)}
		if g.GatewayConfigID != 0 {
			id := g.GatewayConfigID
			d.GatewayConfig = &id
		}
		out.Details[i] = d
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Face) operationsDaily(w http.ResponseWriter, r *http.Request) error {
	in, v := periodOnly(r)
	if err := v.Err(); err != nil {
		return err
	}
	d, err := f.svc.OperationsDaily(r.Context(), in)
	if err != nil {
		return err
	}
	out := operationsDailyJSON{periodJSON: periodView(d.Period), totalsJSON: totalsView(d.StatsTotals),
		Data: make([]operationsDayJSON, len(d.Days))}
	for i, day := range d.Days {
		out.Data[i] = operationsDayJSON{Date: day.Date.Format(time.DateOnly), ApplicationID: day.ApplicationID,
			totalsJSON: totalsView(day.StatsTotals)}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Face) applicationDaily(w http.ResponseWriter, r *http.Request) error {
	appID, err := pathID(r, "id", "application")
	if err != nil {
		return err
	}
	in, v := periodOnly(r)
	if err := v.Err(); err != nil {
		return err
	}
	d, err := f.svc.ApplicationDaily(r.Context(), appID, in)
	if err != nil {
		return err
	}
	// The core's statuses under PayREST's names: a buyer step counts as
	// pending and a crypto adjustment as processing, as payments show them,
	// so a day may merge two of the core's lines into one.
	out := applicationDailyJSON{periodJSON: periodView(d.Period), totalsJSON: totalsView(d.StatsTotals),
		Data: []applicationDayJSON{}}
	type key struct{ date, status string }
	var order []key
	merged := map[key]*core.StatsTotals{}
	for _, day := range d.Days {
		k := key{day.Date.Format(time.DateOnly), statusName(day.Status)}
		t, ok := merged[k]
		if !ok {
			t = &core.StatsTotals{}
			merged[k] = t
			order = append(order, k)
		}
		t.Add(day.StatsTotals)
	}
	// Within a day, by PayREST status name (the core's order is by its own).
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && order[j-1].date == order[j].date && order[j-1].status > order[j].status; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	for _, k := range order {
		out.Data = append(out.Data, applicationDayJSON{Date: k.date, Status: k.status, totalsJSON: totalsView(*merged[k])})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (f *Face) operationsDetail(w http.ResponseWriter, r *http.Request) error {
	in, v := periodOnly(r, "limit", "offset", "sort")
	opts, err := listOptions(r.URL.Query())
	v.AddError(err)
	if err := v.Err(); err != nil {
		return err
	}
	d, err := f.svc.OperationsDetail(r.Context(), in, opts)
	if err != nil {
		return err
	}
	out := operationsDetailJSON{periodJSON: periodView(d.Period), totalsJSON: totalsView(d.StatsTotals),
		Data: make([]operationJSON, len(d.Payments))}
	for i := range d.Payments {
		p := &d.Payments[i]
		op := operationJSON{ID: p.ID, ApplicationID: p.ApplicationID, TransactionID: p.TransactionID,
			Status: statusName(p.Status), Amount: strconv.FormatInt(p.Amount, 10), RefundedAmount: strconv.FormatInt(p.Refunded, 10),
			Currency: p.Currency, ClientID: p.CustomerID, CreatedAt: p.CreatedAt,
			Links: []link{{Rel: "payment", Href: "/application/" + strconv.FormatInt(p.ApplicationID, 10) +
				"/payment/" + strconv.FormatInt(p.ID, 10)}}}
		if p.CompletedAt != nil {
			op.CompletionDate = *p.CompletedAt
		}
		if p.GatewayConfig != 0 {
			id := p.GatewayConfig
			op.GatewayConfig = &id
		}
		out.Data[i] = op
	}
	w.Header().Set("X-Total-Count", strconv.FormatInt(d.Count, 10))
	writeJSON(w, http.StatusOK, out)
	return nil
}
