package xpay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// registerTransactions mounts the transaction routes. Both POST
// transactions/ (the seed) and POST transactions/create/ (what the plugins
// call) create.
func (f *Face) registerTransactions(mux transport.Router) {
	f.handle(mux, "transactions/", op{http.MethodGet, true, f.listTransactions}, op{http.MethodPost, true, f.createTransaction})
	f.handle(mux, "transactions/create/", op{http.MethodPost, true, f.createTransaction})
	f.handle(mux, "transactions/{id}/", op{http.MethodGet, true, f.getTransaction})
	f.handle(mux, "transactions/cancel/{id}/", op{http.MethodPost, true, f.cancelTransaction})
	f.handle(mux, "transactions/available/currencies/{amount}/{currency}/", op{http.MethodGet, true, f.quotes})
}

// transaction is xpay's transaction object: the seed's fields, decimals as
// strings, plus what the newer plugins read (url, qr and the amounts the
// commerce receives), what the chain has shown (amount_received, this
// gateway's addition: amount_to_paid never changes, so what arrived is told
// apart), and, for a reader who sees other users' transactions, the user
// who created it.
type transaction struct {
	ID                           int64        `json:"id"`
	AmountToChange               string       `json:"amount_to_change"`
	CurrencyToChange             string       `json:"currency_to_change"`
	StringAmountToChange         string       `json:"string_amount_to_change"`
	AmountToPaid                 string       `json:"amount_to_paid"`
	CurrencyToPaid               string       `json:"currency_to_paid"`
	StringAmountToPaid           string       `json:"string_amount_to_paid"`
	Commission                   string       `json:"commission"`
	StringCommission             string       `json:"string_commission"`
	FiatWithdraw                 string       `json:"fiat_withdraw"`
	StringFiatWithdraw           string       `json:"string_fiat_withdraw"`
	Status                       string       `json:"status"`
	TransactionStatusCode        int          `json:"transaction_status_code"`
	Date                         string       `json:"date"`
	Wallet                       string       `json:"wallet"`
	WaitingTime                  string       `json:"waiting_time"`
	WaitingTimeUnit              string       `json:"waiting_time_unit"`
	StringWaitingTime            string       `json:"string_waiting_time"`
	Callback                     *string      `json:"callback"`
	URL                          string       `json:"url"`
	QR                           string       `json:"qr"`
	StringCryptoAmountToCommerce string       `json:"string_crypto_amount_to_commerce"`
	StringFiatAmountToCommerce   string       `json:"string_fiat_amount_to_commerce"`
	AmountReceived               string       `json:"amount_received"`
	StringAmountReceived         string       `json:"string_amount_received"`
	User                         *creatorInfo `json:"user,omitempty"`
}

// creatorInfo is the user who created a transaction, as managers see it.
type creatorInfo struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// xpayDate is the seed's date: UTC with microseconds and a Z.
const xpayDate = "2006-01-02T15:04:05.000000Z"

// depositView is what a transaction is drawn from, whether read through
// the API (a core.DepositDetail) or carried by an event (a snapshot).
type depositView struct {
	id        int64
	price     int64 // minor units of fiat
	fiat      string
	status    pasarela.PaymentStatus
	callback  string
	pageURL   string
	dep       *pasarela.Deposit
	creator   *pasarela.User
	createdAt time.Time
}

// render draws the transaction object.
func (v depositView) render() transaction {
	d := v.dep
	fc, _ := pasarela.LookupCurrency(v.fiat)
	cc, _ := pasarela.LookupCurrency(d.Currency)
	crypto := func(x decimal.Decimal) string { return x.StringFixed(cc.Scale) }
	fiat := func(x decimal.Decimal) string { return x.StringFixed(fc.Scale) }
	price := decimal.New(v.price, -fc.Scale)
	// The commission is taken in the crypto currency; in fiat it is worth
	// it at the locked rate.
	toCommerce := d.Amount.Sub(d.Commission)
	fiatToCommerce := price.Sub(d.Commission.Mul(d.Rate)).Round(fc.Scale)
	wait := decimal.NewFromFloat(d.ExpiresAt.Sub(d.CreatedAt).Seconds()).StringFixed(2)
	st := statusOf(v.status)
	t := transaction{
		ID:                           v.id,
		AmountToChange:               fiat(price),
		CurrencyToChange:             v.fiat,
		StringAmountToChange:         fiat(price) + " " + v.fiat,
		AmountToPaid:                 crypto(d.Amount),
		CurrencyToPaid:               d.Currency,
		StringAmountToPaid:           crypto(d.Amount) + " " + d.Currency,
		Commission:                   crypto(d.Commission),
		StringCommission:             crypto(d.Commission) + " " + d.Currency,
		FiatWithdraw:                 strconv.Itoa(d.FiatWithdraw),
		StringFiatWithdraw:           strconv.Itoa(d.FiatWithdraw) + " %",
		Status:                       st.name,
		TransactionStatusCode:        st.code,
		Date:                         v.createdAt.UTC().Format(xpayDate),
		Wallet:                       d.Address,
		WaitingTime:                  wait,
		WaitingTimeUnit:              "seconds",
		StringWaitingTime:            wait + " seconds",
		URL:                          v.pageURL,
		QR:                           d.URI,
		StringCryptoAmountToCommerce: crypto(toCommerce) + " " + d.Currency,
		StringFiatAmountToCommerce:   fiat(fiatToCommerce) + " " + v.fiat,
		AmountReceived:               crypto(d.Received),
		StringAmountReceived:         crypto(d.Received) + " " + d.Currency,
	}
	if v.callback != "" {
		t.Callback = &v.callback
	}
	if u := v.creator; u != nil {
		t.User = &creatorInfo{ID: u.ID, Username: u.Username, Email: u.Email}
		if u.FirstName != nil {
			t.User.FirstName = *u.FirstName
		}
		if u.LastName != nil {
			t.User.LastName = *u.LastName
		}
	}
	return t
}

func viewOf(d *core.DepositDetail) depositView {
	p := &d.Payment
	return depositView{id: p.ID, price: p.Amount, fiat: p.Currency, status: p.Status, callback: p.NotifyURL,
		pageURL: d.PageURL, dep: p.Deposit, creator: d.Creator, createdAt: p.CreatedAt}
}

// RenderCallback is the body of an xpay callback: the transaction as GET
// transactions/{id}/ shows it (without the creator: the receiver is the
// shop, whoever made it). Every plugin reads at least id and status, then
// reads the transaction again. publicURL is the gateway's public
// base URL, for the hosted page's link.
func RenderCallback(publicURL string, p *pasarela.PaymentSnapshot) ([]byte, error) {
	if p == nil || p.Deposit == nil {
		return nil, pasarela.Internal(errNotDeposit)
	}
	v := depositView{id: p.ID, price: p.Amount, fiat: p.Currency, status: p.Status, callback: p.NotifyURL,
		pageURL: core.CheckoutURLAt(publicURL, p.CheckoutToken), dep: p.Deposit, createdAt: p.CreatedAt}
	return json.Marshal(v.render())
}

var errNotDeposit = errorString("xpay callbacks are sent for crypto deposits only")

type errorString string

func (e errorString) Error() string { return string(e) }

// Route tables: the same core code means a different xpay code on each
// route, as the seed numbers each route's errors on its own.
var (
	createErrors = routeTable{
		"currency_unsupported@currency": {http.StatusBadRequest, 3015, "src_currency"},
		"currency_not_offered@currency": {http.StatusBadRequest, 3015, "src_currency"},
		"not_crypto@currency":           {http.StatusBadRequest, 3016, "src_currency"},
		"currency_unsupported@fiat":     {http.StatusBadRequest, 3017, "tgt_currency"},
		"not_fiat@fiat":                 {http.StatusBadRequest, 3018, "tgt_currency"},
		"exchange_not_found":            {http.StatusBadRequest, 3019, "exchange_id"},
		"not_positive":                  {http.StatusBadRequest, 3021, "amount"},
		"too_large@amount":              {http.StatusBadRequest, codeInvalid, "amount"},
		"type@amount":                   {http.StatusBadRequest, codeInvalid, "amount"},
		"crypto_not_configured":         {http.StatusBadRequest, 3022, "exchange"},
		"amount_too_small":              {http.StatusBadRequest, 3023, "amount_to_paid"},
		"rate_stale":                    {http.StatusBadRequest, 3023, "amount_to_paid"},
		"no_market":                     {http.StatusBadRequest, 3024, "src_currency, tgt_currency, amount"},
		"address_unavailable":           {http.StatusBadRequest, 3025, "wallet"},
		"url@callback":                  {http.StatusBadRequest, 3014, "callback"},
		"range@fiat_withdraw":           {http.StatusBadRequest, codeInvalid, "fiat_withdraw"},
		"client_inactive":               {http.StatusUnauthorized, 3010, "commerce"},
	}
	quoteErrors = routeTable{
		"currency_unsupported@fiat": {http.StatusBadRequest, 3030, "currency"},
		"not_fiat@fiat":             {http.StatusBadRequest, 3031, "currency"},
		"not_positive":              {http.StatusBadRequest, 3021, "amount"},
		"too_large@amount":          {http.StatusBadRequest, codeInvalid, "amount"},
		"type@amount":               {http.StatusBadRequest, codeInvalid, "amount"},
		"crypto_not_configured":     {http.StatusBadRequest, 3022, "exchange"},
	}
	getErrors = routeTable{
		"not_found": {http.StatusUnauthorized, 3001, "id"},
		"forbidden": {http.StatusUnauthorized, 3001, "id"},
	}
	cancelErrors = routeTable{
		"not_found":          {http.StatusBadRequest, 3026, "id"},
		"invalid_transition": {http.StatusBadRequest, 3027, "id"},
		"forbidden":          {http.StatusUnauthorized, 3028, "all"},
	}
	listErrors = routeTable{
		"filter_forbidden": {http.StatusUnauthorized, 3002, "user"},
		"user_not_found":   {http.StatusBadRequest, 3005, "user"},
		"enum@status":      {http.StatusBadRequest, 3006, "status"},
		"after_to":         {http.StatusBadRequest, 3009, "from, to"},
	}
)

// createTransaction serves POST transactions/ and transactions/create/.
// An Idempotency-Key makes a retry return the first answer.
func (f *Face) createTransaction(w http.ResponseWriter, r *http.Request) error {
	in, err := readForm(r, txFields...)
	if err != nil {
		return err
	}
	tx, err := decodeTransaction(in)
	if err != nil {
		return err
	}
	idem, err := idempotency(r, in.raw)
	if err != nil {
		return err
	}
	dep := core.DepositInput{Currency: tx.Src, Fiat: tx.Tgt, Amount: tx.Amount, ExchangeID: tx.ExchangeID,
		CallbackURL: tx.Callback, FiatWithdraw: tx.FiatWithdraw}
	if tx.Callback != "" {
		dep.CallbackFormat = pasarela.FormatXpay
	}
	d, replay, err := f.svc.CreateDeposit(r.Context(), dep, idem)
	switch {
	case err != nil:
		return withRoute(createErrors, err)
	case replay != nil:
		transport.WriteReplay(w, replay.Status, replay.Body)
	case idem != nil && idem.Answer != nil:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(idem.Answer)
	default:
		writeJSON(w, http.StatusCreated, viewOf(d).render())
	}
	return nil
}

// pathID reads a transaction id from the path; anything but a positive
// integer names no transaction.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// getTransaction serves GET transactions/{id}/. A transaction the user may
// not see (another user's for a terminal user, another commerce's for
// anyone) is the seed's 3001, exactly as one that does not exist.
func (f *Face) getTransaction(w http.ResponseWriter, r *http.Request) error {
	id, ok := pathID(r)
	if !ok {
		return withRoute(getErrors, pasarela.NotFound("transaction"))
	}
	d, err := f.svc.GetDeposit(r.Context(), id)
	if err != nil {
		return withRoute(getErrors, err)
	}
	writeJSON(w, http.StatusOK, viewOf(d).render())
	return nil
}

// cancelTransaction serves POST transactions/cancel/{id}/ (any body is
// ignored: the plugins post none).
func (f *Face) cancelTransaction(w http.ResponseWriter, r *http.Request) error {
	id, ok := pathID(r)
	if !ok {
		return withRoute(cancelErrors, pasarela.NotFound("transaction"))
	}
	d, err := f.svc.CancelDeposit(r.Context(), id)
	if err != nil {
		return withRoute(cancelErrors, err)
	}
	writeJSON(w, http.StatusOK, viewOf(d).render())
	return nil
}

// listTransactions serves GET transactions/ with the seed's filters.
func (f *Face) listTransactions(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.Query(r)
	if err != nil {
		return err
	}
	fl, err := parseFilter(q)
	if err != nil {
		return err
	}
	out := []transaction{}
	if !fl.None {
		ds, err := f.svc.ListDeposits(r.Context(), core.DepositFilter{Statuses: fl.Statuses, From: fl.From, To: fl.To, UserID: fl.User})
		if err != nil {
			return withRoute(listErrors, err)
		}
		for i := range ds {
			out = append(out, viewOf(&ds[i]).render())
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// quote is one entry of available_currencies. exchange_amount is the
// seed's name for what the buyer pays; amount, the same value, is what the
// plugins read.
type quote struct {
	Exchange       int           `json:"exchange"`
	Currency       quoteCurrency `json:"currency"`
	ExchangeAmount string        `json:"exchange_amount"`
	Amount         string        `json:"amount"`
}

type quoteCurrency struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Symbol string `json:"symbol"`
}

type quotesResponse struct {
	AvailableCurrencies []quote     `json:"available_currencies"`
	Amount              json.Number `json:"amount"`
}

// quotes serves GET transactions/available/currencies/{amount}/{currency}/.
// The amount is the price in the currency (150000.30 or 150000.3); a
// currency where the amount goes (PrestaShop 1.6 swaps them) is told so.
func (f *Face) quotes(w http.ResponseWriter, r *http.Request) error {
	amountText, currency := r.PathValue("amount"), r.PathValue("currency")
	amount, ok := plainAmount(amountText)
	if !ok {
		msg := "The amount must be a number, such as 150000.30."
		if _, isNumber := plainAmount(currency); isNumber {
			msg = "The amount must be a number: the path is available/currencies/{amount}/{currency}/, amount first."
		}
		return pasarela.Invalid("amount", "type", msg)
	}
	q, err := f.svc.DepositQuotes(r.Context(), currencyCode(currency), amount)
	if err != nil {
		return withRoute(quoteErrors, err)
	}
	res := quotesResponse{AvailableCurrencies: []quote{}, Amount: json.Number(q.Amount.String())}
	for _, it := range q.Items {
		cc, _ := pasarela.LookupCurrency(it.Currency)
		a := it.Amount.StringFixed(cc.Scale)
		res.AvailableCurrencies = append(res.AvailableCurrencies, quote{Exchange: it.ExchangeID,
			Currency: quoteCurrency{Code: it.Currency, Name: it.Name, Symbol: it.Symbol}, ExchangeAmount: a, Amount: a})
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// idempotency reads an Idempotency-Key header for a creating request. Both
// creating paths are one operation, so a retry on the other path with the
// same body replays the first answer.
func idempotency(r *http.Request, body []byte) (*core.Idem, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return nil, nil
	}
	if err := core.CheckIdempotencyKey(key); err != nil {
		return nil, err
	}
	return &core.Idem{
		Key:         key,
		Fingerprint: core.Fingerprint([]byte("POST transactions/create/"), body),
		Render: func(v any) (int, []byte, error) {
			d, ok := v.(*core.DepositDetail)
			if !ok {
				return 0, nil, pasarela.Internal(errNotDeposit)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			err := enc.Encode(viewOf(d).render())
			return http.StatusCreated, buf.Bytes(), err
		},
	}, nil
}
