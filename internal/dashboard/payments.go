package dashboard

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// The payment list: the client's payments newest first, filtered and
// searched through the core's SearchPayments, a page at a time. Pages are
// cut by payment id ("older" continues below the last id shown, "newer"
// above the first), never by an offset, and nothing is counted, so a page
// costs the same at the millionth payment as at the first. The same
// filters export the whole list as CSV, streamed page by page.

const listPage = 50

// catalogue is the client's applications and gateway configs, by id, for
// the filters and to name them in the list.
type catalogue struct {
	Apps    []pasarela.Application
	Configs []configRef
	appName map[int64]string
	cfgName map[int64]string
}

type configRef struct {
	ID          int64
	App         int64
	Name, Label string
}

// catalogue reads the client's applications and their gateway configs.
func (d *Dashboard) catalogue(ctx context.Context) (*catalogue, error) {
	apps, _, err := d.svc.ListApplications(ctx, "", pasarela.ListOptions{Limit: 100})
	if err != nil {
		return nil, err
	}
	c := &catalogue{Apps: apps, appName: map[int64]string{}, cfgName: map[int64]string{}}
	for _, a := range apps {
		c.appName[a.ID] = a.Name
		cfgs, _, err := d.svc.ListGatewayConfigs(ctx, a.ID, "", pasarela.ListOptions{Limit: 100})
		if err != nil {
			return nil, err
		}
		for _, g := range cfgs {
			label := g.Name
			if len(apps) > 1 {
				label = a.Name + " · " + g.Name
			}
			c.Configs = append(c.Configs, configRef{ID: g.ID, App: a.ID, Name: g.Name, Label: label})
			c.cfgName[g.ID] = g.Name
		}
	}
	return c, nil
}

// listFilter is the list's query string, as typed.
type listFilter struct {
	Status, From, To, App, Config, Q string
}

func (f listFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"status": f.Status, "from": f.From, "to": f.To, "app": f.App, "config": f.Config, "q": f.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// parseFilter reads the list's filters into a search; a bad one is an
// invalid error naming its field.
func parseFilter(r *http.Request) (listFilter, core.PaymentSearch, error) {
	q := r.URL.Query()
	f := listFilter{Status: q.Get("status"), From: q.Get("from"), To: q.Get("to"), App: q.Get("app"),
		Config: q.Get("config"), Q: strings.TrimSpace(q.Get("q"))}
	var s core.PaymentSearch
	var v pasarela.Validation
	s.Status = f.Status
	date := func(field, text string) time.Time {
		if text == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, text)
		if err != nil {
			v.Add(field, "date", "must be a date like 2026-12-31")
		}
		return t
	}
	s.From = date("from", f.From)
	if to := date("to", f.To); !to.IsZero() {
		s.To = to.AddDate(0, 0, 1) // the day given is included
	}
	id := func(field, text string) int64 {
		if text == "" {
			return 0
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n <= 0 {
			v.Add(field, "id", "must be an id")
		}
		return n
	}
	s.ApplicationID = id("app", f.App)
	s.GatewayConfig = id("config", f.Config)
	s.Before = id("before", q.Get("before"))
	s.After = id("after", q.Get("after"))
	// One search box: four digits are a card's last four, an @ makes an
	// email, anything else is a transaction id or merchant reference.
	switch {
	case f.Q == "":
	case len(f.Q) == 4 && strings.Trim(f.Q, "0123456789") == "":
		s.Last4 = f.Q
	case strings.Contains(f.Q, "@"):
		s.Email = f.Q
	default:
		s.TransactionOrRef = f.Q
	}
	return f, s, v.Err()
}

type paymentRow struct {
	pasarela.Payment
	App, Config string
}

type listData struct {
	Filter    listFilter
	Statuses  []pasarela.PaymentStatus
	Cat       *catalogue
	Rows      []paymentRow
	Error     string
	OlderURL  string
	NewerURL  string
	ExportURL string
	Filtered  bool
}

// allStatuses are the statuses the filter offers, in a payment's order of
// life.
var allStatuses = []pasarela.PaymentStatus{pasarela.StatusPending, pasarela.StatusRequiresAction,
	pasarela.StatusProcessing, pasarela.StatusAuthorized, pasarela.StatusCompleted, pasarela.StatusPartiallyRefunded,
	pasarela.StatusRefunded, pasarela.StatusFailed, pasarela.StatusInvalidated, pasarela.StatusExpired,
	pasarela.StatusAdjustment}

// payments serves GET /dashboard/payments.
func (d *Dashboard) payments(w http.ResponseWriter, r *http.Request, q *Request) error {
	cat, err := d.catalogue(q.Ctx)
	if err != nil {
		return err
	}
	f, search, err := parseFilter(r)
	data := listData{Filter: f, Statuses: allStatuses, Cat: cat, Filtered: len(f.values()) > 0}
	data.ExportURL = Prefix + "payments.csv"
	if enc := f.values().Encode(); enc != "" {
		data.ExportURL += "?" + enc
	}
	var page *core.PaymentPage
	if err == nil {
		search.Limit = listPage
		page, err = d.svc.SearchPayments(q.Ctx, search)
	}
	switch {
	case pasarela.ErrorKind(err) == pasarela.KindInvalid:
		// A bad filter is said above an empty list, the form kept as
		// typed. (An application that is not the client's is not found.)
		data.Error = errorText(q.Lang, err)
		d.render(w, r, q, http.StatusBadRequest, "payments", data)
		return nil
	case err != nil:
		return err
	}
	for _, p := range page.Payments {
		data.Rows = append(data.Rows, paymentRow{Payment: p, App: cat.appName[p.ApplicationID], Config: cat.cfgName[p.GatewayConfig]})
	}
	if n := len(page.Payments); n > 0 {
		pageURL := func(key string, id int64) string {
			v := f.values()
			v.Set(key, strconv.FormatInt(id, 10))
			return Prefix + "payments?" + v.Encode()
		}
		if page.Older {
			data.OlderURL = pageURL("before", page.Payments[n-1].ID)
		}
		if page.Newer {
			data.NewerURL = pageURL("after", page.Payments[0].ID)
		}
	}
	d.render(w, r, q, http.StatusOK, "payments", data)
	return nil
}

// exportPage is how many payments the export reads per core call.
const exportPage = 500

// exportTimeout bounds an export. A page of the dashboard has the
// server's request timeout (30 s), too short for a large export that is
// streamed page by page, so the export runs under a bound of its own
// (and moves the connection's write deadline with it).
const exportTimeout = 10 * time.Minute

// exportIncomplete begins the row that ends a file cut short. A CSV file
// has no trailer, and an export that fails after its first bytes has
// already answered 200: without the row, a cut file reads as a complete
// one.
const exportIncomplete = "# INCOMPLETE EXPORT"

// exportPayments serves GET /dashboard/payments.csv: every payment the
// filters match, newest first, written as the pages arrive so that a long
// export holds one page in memory. A failure before the first byte is an
// error page; after it, the file ends with a row that says it is
// incomplete, and the failure is logged.
func (d *Dashboard) exportPayments(w http.ResponseWriter, r *http.Request, q *Request) error {
	_, search, err := parseFilter(r)
	if err != nil {
		return err
	}
	search.Before, search.After, search.Limit = 0, 0, exportPage
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.Ctx), exportTimeout)
	defer cancel()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(exportTimeout))
	cat, err := d.catalogue(ctx)
	if err != nil {
		return err
	}
	page, err := d.svc.SearchPayments(ctx, search)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="payments-`+d.svc.Now().UTC().Format("20060102-150405")+`.csv"`)
	next := func(before int64) (*core.PaymentPage, error) {
		search.Before = before
		return d.svc.SearchPayments(ctx, search)
	}
	if err := writeExport(w, page, next, func(p *pasarela.Payment) []string { return exportRow(cat, p) }); err != nil {
		d.log.ErrorContext(r.Context(), "payment export cut short", "err", err)
	}
	return nil
}

// exportHeader names the export's columns.
var exportHeader = []string{"id", "transaction_id", "created_at", "application", "status", "amount", "currency",
	"captured", "refunded", "customer_email", "merchant_ref", "card_brand", "card_last4", "gateway_config", "description"}

// exportRow is a payment's row; every text a person or a buyer wrote goes
// through cell.
func exportRow(cat *catalogue, p *pasarela.Payment) []string {
	cur, _ := pasarela.LookupCurrency(p.Currency)
	brand, last4 := "", ""
	if p.Card != nil {
		brand, last4 = p.Card.Brand, p.Card.Last4
	}
	return []string{strconv.FormatInt(p.ID, 10), p.TransactionID, p.CreatedAt.UTC().Format(time.RFC3339),
		cell(cat.appName[p.ApplicationID]), string(p.Status), pasarela.FormatMajor(p.Amount, cur), p.Currency,
		pasarela.FormatMajor(p.Captured, cur), pasarela.FormatMajor(p.Refunded, cur), cell(p.CustomerEmail),
		cell(p.MerchantRef), cell(brand), cell(last4), cell(cat.cfgName[p.GatewayConfig]), cell(p.Description)}
}

// writeExport writes the header, the rows of first and of the pages next
// returns (each given the last id written), until a page says no older
// one follows. When next fails, the file ends with the exportIncomplete
// row and the error is returned; a failed write (the browser went away)
// is returned as is.
func writeExport(w io.Writer, first *core.PaymentPage, next func(before int64) (*core.PaymentPage, error),
	row func(*pasarela.Payment) []string) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(exportHeader)
	page := first
	for {
		for i := range page.Payments {
			_ = cw.Write(row(&page.Payments[i]))
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if !page.Older || len(page.Payments) == 0 {
			return nil
		}
		var err error
		if page, err = next(page.Payments[len(page.Payments)-1].ID); err != nil {
			// As many fields as every row, so that strict readers take it.
			marker := make([]string, len(exportHeader))
			marker[0] = exportIncomplete + ": the export stopped before its end; export again, or narrow the filters"
			_ = cw.Write(marker)
			cw.Flush()
			return err
		}
	}
}

// cell keeps text a spreadsheet would run as a formula (=, +, -, @ and
// the control characters some read as such) as text, with a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
