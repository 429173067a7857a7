package core

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Statistics of payments. What is counted:
//
//   - Summaries (all time) and the client's days and detail count confirmed
//     payments: those with a completion date (completed, then possibly
//     partially_refunded or refunded). Their amount is what was charged;
//     RefundedAmount is what has been returned of it since.
//   - An application's days count every payment by the day it was created,
//     per status, so that a merchant sees what was asked as well as what
//     was paid.
//   - The client's days and detail go by the day of confirmation (the detail
//     lists the payments the days add up).
//
// Amounts are summed exactly in minor units, per currency: a total across
// currencies would mean nothing.

// MaxStatsDays is the longest period, in days, one statistics call covers.
const MaxStatsDays = 366

// DefaultStatsDays is how far back a period starts when not given: from a
// week before today to today, as PayREST documents.
const DefaultStatsDays = 7

// MaxStatsOffset bounds the UTC offset of a period (UTC−12:00 to UTC+14:00
// are the offsets in use; ±14 h is accepted either way).
const MaxStatsOffset = 14 * time.Hour

// StatsOffsetStep is the granularity of a period's UTC offset: days are
// added up from quarters of an hour, so an offset must be a multiple of it.
const StatsOffsetStep = 15 * time.Minute

// StatsPeriodInput asks for the days From to To (both included, in the
// UTC offset Offset). Zero dates take the defaults: To is today in that
// offset, From is DefaultStatsDays before To.
type StatsPeriodInput struct {
	From, To time.Time // civil dates; only year, month and day are read
	Offset   time.Duration
}

// StatsPeriod is a resolved period: its first and last day (as dates at
// midnight UTC) and its offset.
type StatsPeriod struct {
	From, To time.Time
	Offset   time.Duration
}

// CurrencyTotals is an aggregate of payments in one currency.
type CurrencyTotals struct {
	Currency string
	Count    int64
	Amount   int64 // minor units
	Refunded int64 // minor units
}

// StatsTotals is an aggregate of payments: their count and their amounts per
// currency, ordered by currency.
type StatsTotals struct {
	Count      int64
	Currencies []CurrencyTotals
}

// add adds one currency's figures.
func (t *StatsTotals) add(currency string, count, amount, refunded int64) {
	if currency == "" || count == 0 {
		return
	}
	t.Count += count
	i, found := slices.BinarySearchFunc(t.Currencies, currency, func(c CurrencyTotals, cur string) int {
		switch {
		case c.Currency < cur:
			return -1
		case c.Currency > cur:
			return 1
		}
		return 0
	})
	if !found {
		t.Currencies = slices.Insert(t.Currencies, i, CurrencyTotals{Currency: currency})
	}
	c := &t.Currencies[i]
	c.Count += count
	c.Amount += amount
	c.Refunded += refunded
}

// Add adds other to t (faces merge the core's rows under their own names).
func (t *StatsTotals) Add(other StatsTotals) {
	for _, c := range other.Currencies {
		t.add(c.Currency, c.Count, c.Amount, c.Refunded)
	}
}

func (t *StatsTotals) addRow(r store.StatsRow) { t.add(r.Currency, r.Count, r.Amount, r.Refunded) }

// ApplicationStats is one application's line of a client's summary.
type ApplicationStats struct {
	ApplicationID int64
	Name          string
	StatsTotals
}

// OperationsSummary is the client's all-time totals of confirmed payments,
// in all and per application (every application is listed).
type OperationsSummary struct {
	StatsTotals
	Applications []ApplicationStats
}

// GatewayStats is one gateway config's line of an application's summary.
// GatewayConfigID 0 holds payments confirmed without a config.
type GatewayStats struct {
	GatewayConfigID int64
	Gateway         string
	Name            string
	StatsTotals
}

// ApplicationSummary is an application's all-time totals of confirmed
// payments, in all and per gateway config (every config is listed).
type ApplicationSummary struct {
	StatsTotals
	Gateways []GatewayStats
}

// StatsDay is the payments of one day: of one application (in a client's
// days) or in one status (in an application's days).
type StatsDay struct {
	Date          time.Time // the day, as a date at midnight UTC
	ApplicationID int64
	Status        pasarela.PaymentStatus
	StatsTotals
}

// StatsDaily is a period's totals and its days. Days without payments are
// left out.
type StatsDaily struct {
	Period StatsPeriod
	StatsTotals
	Days []StatsDay
}

// StatsDetail is one page of the payments confirmed in a period, with the
// totals of all of them.
type StatsDetail struct {
	Period StatsPeriod
	StatsTotals
	Payments []pasarela.Payment
}

// statsReader returns the caller if it may read the client-wide figures:
// any user of the client (each of them may list every application's
// payments). An application key speaks for one application and is refused.
func statsReader(ctx context.Context) (*pasarela.Principal, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsUser() {
		return nil, pasarela.Errorf(pasarela.KindForbidden, "user_required",
			"client-wide statistics need a signed-in user; an application key may read its own application's statistics")
	}
	return p, nil
}

// date is t's civil date as midnight UTC.
func date(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// resolvePeriod validates a period and fills in its defaults.
func (s *Service) resolvePeriod(in StatsPeriodInput) (StatsPeriod, error) {
	var v pasarela.Validation
	if in.Offset < -MaxStatsOffset || in.Offset > MaxStatsOffset {
		v.Add("tz", "range", "must be a UTC offset between -14:00 and +14:00")
		return StatsPeriod{}, v.Err()
	}
	// Figures per day are kept per quarter of an hour (migration
	// 0007_stats), which is exact for every offset in use (:00, :30, :45).
	if in.Offset%StatsOffsetStep != 0 {
		v.Add("tz", "step", "must be a whole number of quarters of an hour (:00, :15, :30 or :45), as every UTC offset in use is")
		return StatsPeriod{}, v.Err()
	}
	p := StatsPeriod{Offset: in.Offset}
	today := date(s.now().Add(in.Offset))
	p.To = today
	if !in.To.IsZero() {
		p.To = date(in.To)
	}
	p.From = p.To.AddDate(0, 0, -DefaultStatsDays)
	if !in.From.IsZero() {
		p.From = date(in.From)
	}
	// Stored times are microseconds since 1970; earlier days hold nothing
	// and would bucket wrongly (integer division truncates towards zero).
	epoch := time.Unix(0, 0).UTC()
	if p.From.Before(epoch.AddDate(0, 0, 1)) {
		v.Add("from", "range", "must be 1970-01-02 or later")
	}
	if p.To.Year() > 9999 {
		v.Add("to", "range", "must be 9999-12-31 or earlier")
	}
	if err := v.Err(); err != nil {
		return StatsPeriod{}, err
	}
	days := int(p.To.Sub(p.From).Hours()/24) + 1
	switch {
	case p.From.After(p.To):
		v.Add("from", "range", "must be on or before to ("+p.To.Format(time.DateOnly)+")")
	case days > MaxStatsDays:
		v.Add("to", "range", "the period may cover at most "+strconv.Itoa(MaxStatsDays)+" days; this one covers "+
			strconv.Itoa(days)+" (from "+p.From.Format(time.DateOnly)+")")
	}
	return p, v.Err()
}

// storePeriod is the stored-time interval of a period's days.
func (p StatsPeriod) storePeriod() store.StatsPeriod {
	return store.StatsPeriod{Start: p.From.Add(-p.Offset), End: p.To.AddDate(0, 0, 1).Add(-p.Offset), Offset: p.Offset}
}

// dayDate turns a day number of the store into its date.
func dayDate(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

// OperationsSummary returns the client's all-time totals of confirmed
// payments, per application.
func (s *Service) OperationsSummary(ctx context.Context) (*OperationsSummary, error) {
	p, err := statsReader(ctx)
	if err != nil {
		return nil, err
	}
	var rows []store.StatsRow
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err = tx.ConfirmedByApplication(ctx, p.ClientID)
		return err
	}); err != nil {
		return nil, err
	}
	out := &OperationsSummary{Applications: []ApplicationStats{}}
	for _, r := range rows {
		if n := len(out.Applications); n == 0 || out.Applications[n-1].ApplicationID != r.ApplicationID {
			out.Applications = append(out.Applications, ApplicationStats{ApplicationID: r.ApplicationID, Name: r.ApplicationName})
		}
		out.Applications[len(out.Applications)-1].addRow(r)
		out.addRow(r)
	}
	return out, nil
}

// ApplicationSummary returns an application's all-time totals of confirmed
// payments, per gateway config. Its key may ask, and any user of the client.
func (s *Service) ApplicationSummary(ctx context.Context, appID int64) (*ApplicationSummary, error) {
	var rows []store.StatsRow
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		rows, err = tx.ConfirmedByGatewayConfig(ctx, p.ClientID, appID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ApplicationSummary{Gateways: []GatewayStats{}}
	for _, r := range rows {
		if n := len(out.Gateways); n == 0 || out.Gateways[n-1].GatewayConfigID != r.GatewayConfigID {
			out.Gateways = append(out.Gateways, GatewayStats{GatewayConfigID: r.GatewayConfigID, Gateway: r.Gateway, Name: r.GatewayName})
		}
		out.Gateways[len(out.Gateways)-1].addRow(r)
		out.addRow(r)
	}
	// Payments without a config come last (the store orders them first).
	if len(out.Gateways) > 0 && out.Gateways[0].GatewayConfigID == 0 {
		out.Gateways = append(out.Gateways[1:], out.Gateways[0])
	}
	return out, nil
}

// OperationsDaily returns the client's payments confirmed in a period, per
// day of confirmation and application.
func (s *Service) OperationsDaily(ctx context.Context, in StatsPeriodInput) (*StatsDaily, error) {
	p, err := statsReader(ctx)
	if err != nil {
		return nil, err
	}
	period, err := s.resolvePeriod(in)
	if err != nil {
		return nil, err
	}
	var rows []store.StatsRow
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err = tx.ConfirmedDaily(ctx, p.ClientID, period.storePeriod())
		return err
	}); err != nil {
		return nil, err
	}
	out := &StatsDaily{Period: period, Days: []StatsDay{}}
	for _, r := range rows {
		d := dayDate(r.Day)
		if n := len(out.Days); n == 0 || !out.Days[n-1].Date.Equal(d) || out.Days[n-1].ApplicationID != r.ApplicationID {
			out.Days = append(out.Days, StatsDay{Date: d, ApplicationID: r.ApplicationID})
		}
		out.Days[len(out.Days)-1].addRow(r)
		out.addRow(r)
	}
	return out, nil
}

// ApplicationDaily returns an application's payments created in a period,
// per day of creation and status.
func (s *Service) ApplicationDaily(ctx context.Context, appID int64, in StatsPeriodInput) (*StatsDaily, error) {
	var rows []store.StatsRow
	var period StatsPeriod
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if period, err = s.resolvePeriod(in); err != nil {
			return err
		}
		rows, err = tx.CreatedDaily(ctx, p.ClientID, appID, period.storePeriod())
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &StatsDaily{Period: period, Days: []StatsDay{}}
	for _, r := range rows {
		d, st := dayDate(r.Day), pasarela.PaymentStatus(r.Status)
		if n := len(out.Days); n == 0 || !out.Days[n-1].Date.Equal(d) || out.Days[n-1].Status != st {
			out.Days = append(out.Days, StatsDay{Date: d, Status: st})
		}
		out.Days[len(out.Days)-1].addRow(r)
		out.addRow(r)
	}
	return out, nil
}

// OperationsDetail returns one page of the client's payments confirmed in a
// period (all applications and gateways), in order of confirmation, with
// the totals of the whole period.
func (s *Service) OperationsDetail(ctx context.Context, in StatsPeriodInput, opts pasarela.ListOptions) (*StatsDetail, error) {
	p, err := statsReader(ctx)
	if err != nil {
		return nil, err
	}
	period, perr := s.resolvePeriod(in)
	// The order is fixed (confirmation, then id); paging is checked as
	// every list's, and every problem is told at once.
	var v pasarela.Validation
	v.AddError(perr)
	if len(opts.Sort) > 0 {
		v.Add("sort", "sort_fixed", "the detail is ordered by completed_at, then id, and cannot be sorted otherwise")
		opts.Sort = nil
	}
	v.AddError(checkList(&opts, nil))
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := &StatsDetail{Period: period}
	sp := period.storePeriod()
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.ConfirmedTotals(ctx, p.ClientID, sp)
		if err != nil {
			return err
		}
		for _, r := range rows {
			out.addRow(r)
		}
		out.Payments, err = tx.ListConfirmed(ctx, p.ClientID, sp, opts)
		return err
	}); err != nil {
		return nil, err
	}
	return out, nil
}
