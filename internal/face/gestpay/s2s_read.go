package gestpay

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Gestpay's dates are Italian time, wherever the gateway runs

	"github.com/pasarela/pasarela"
)

// rome is the time zone of Gestpay's dates.
var rome = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	return loc
}()

// trxEvent is one event of callReadTrxS2S's list.
type trxEvent struct {
	typ    string // AUT, MOV, CAN, STO
	amount int64
	at     time.Time
	id     string
}

// readTrxS2S is callReadTrxS2S: a transaction's state and its events, as
// Gestpay's back office lists them (AUT authorized, MOV settled, CAN
// cancelled, STO refunded), from the payment's own history.
func (f *Face) readTrxS2S(r *http.Request, c *call) []node {
	const txType = "QUERYTX"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "callReadTrxS2S", txType, err, lang)
	}
	pay, err := f.transaction(r, p.ApplicationID, c.fields["bankTransactionId"], c.fields["shopTransactionId"])
	var events []trxEvent
	if err == nil {
		events, err = f.trxEvents(r, p.ApplicationID, pay)
	}
	if err != nil {
		return f.s2sFail(r, "callReadTrxS2S", txType, err, lang)
	}
	cur, _ := pasarela.LookupCurrency(pay.Currency)
	state := ""
	list := node{name: "Events", children: []node{}}
	for _, e := range events {
		state = e.typ
		list.children = append(list.children, node{name: "event", children: []node{
			leaf("eventtype", e.typ), leaf("eventamount", pasarela.FormatMajor(e.amount, cur)),
			leaf("eventdate", e.at.In(rome).Format("02/01/06 15:04:05")), leaf("eventARN", ""), leaf("eventID", e.id)}})
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang),
		leaf("TransactionState", state), leaf("ShopTransactionID", pay.MerchantRef),
		leaf("BankTransactionID", strconv.FormatInt(pay.ID, 10)), leaf("AuthorizationCode", pay.AuthorizationCode),
		leaf("Currency", uicCode(cur.Code)), leaf("Country", ""), leaf("Company", companyOf(pay)), leaf("TDLevel", ""),
		list,
		node{name: "Buyer", children: []node{leaf("BuyerName", pay.Metadata[metaBuyerName]), leaf("BuyerEmail", pay.CustomerEmail)}},
		node{name: "RISK", children: []node{leaf("RiskResponseCode", ""), leaf("RiskResponseDescription", "")}},
		leaf("AlertCode", ""), leaf("AlertDescription", ""))
}

// companyOf is the card's company as Gestpay names it ("VISA").
func companyOf(p *pasarela.Payment) string {
	if p.Card == nil {
		return ""
	}
	return strings.ToUpper(p.Card.Brand)
}

// trxEvents are a payment's events in Gestpay's terms, oldest first: the
// authorization (approved or refused), the settlement, a cancellation, and
// each completed refund.
func (f *Face) trxEvents(r *http.Request, appID int64, pay *pasarela.Payment) ([]trxEvent, error) {
	history, err := f.svc.Events(r.Context(), appID, pasarela.EntityPayment, pay.ID)
	if err != nil {
		return nil, err
	}
	var out []trxEvent
	authorized := false
	for _, e := range history {
		switch e.Type {
		case "payment.authorized", "payment.failed":
			out = append(out, trxEvent{typ: "AUT", amount: pay.Amount, at: e.CreatedAt, id: e.ID})
			authorized = true
		case "payment.completed":
			if !authorized {
				// Captured with its authorization: both happened at once.
				out = append(out, trxEvent{typ: "AUT", amount: pay.Amount, at: e.CreatedAt, id: e.ID})
				authorized = true
			}
			captured := pay.Captured
			if pl, err := e.Payload(); err == nil && pl.Payment != nil && pl.Payment.Captured > 0 {
				captured = pl.Payment.Captured
			}
			out = append(out, trxEvent{typ: "MOV", amount: captured, at: e.CreatedAt, id: e.ID})
		case "payment.invalidated":
			if authorized {
				out = append(out, trxEvent{typ: "CAN", amount: pay.Amount, at: e.CreatedAt, id: e.ID})
			}
		}
	}
	d, err := f.svc.GetPayment(r.Context(), appID, pay.ID)
	if err != nil {
		return nil, err
	}
	for _, rf := range d.Refunds {
		if rf.Status == pasarela.RefundCompleted {
			out = append(out, trxEvent{typ: "STO", amount: rf.Amount, at: rf.UpdatedAt, id: "R" + strconv.FormatInt(rf.ID, 10)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out, nil
}

// Bank is a bank of a bank-transfer method, as the bank lists answer it.
type Bank struct {
	Code string
	Name string
}

// sandboxIdealBanks and sandboxMyBankBanks are the bank lists of a gateway
// configured with none (Config): a few real banks of each scheme, for the
// sandbox and the demo.
var (
	sandboxIdealBanks  = []Bank{{"ABNANL2A", "ABN AMRO"}, {"INGBNL2A", "ING"}, {"RABONL2U", "Rabobank"}, {"SNSBNL2A", "SNS Bank"}}
	sandboxMyBankBanks = []Bank{{"BCITITMM", "Intesa Sanpaolo"}, {"UNCRITMM", "UniCredit"}, {"SELBIT2B", "Banca Sella"}}
)

// idealListS2S is CallIdealListS2S: the iDEAL banks a shop's buyers may
// choose.
func (f *Face) idealListS2S(r *http.Request, c *call) []node {
	return f.bankList(r, c, "CallIdealListS2S", "RequestIdealBankList", f.cfg.IdealBanks, sandboxIdealBanks)
}

// myBankListS2S is CallMyBankListS2S: MyBank's banks; languageId is
// mandatory, as Gestpay has it.
func (f *Face) myBankListS2S(r *http.Request, c *call) []node {
	if _, ok := languages[strings.TrimSpace(c.fields["languageId"])]; !ok {
		_, _, lang, err := f.shopCall(r, c)
		if err != nil {
			return f.s2sFail(r, "CallMyBankListS2S", "MyBank", err, lang)
		}
		return s2sAnswer("MyBank", "KO", codeInvalidLanguage, descriptionLang(lang))
	}
	return f.bankList(r, c, "CallMyBankListS2S", "MyBank", f.cfg.MyBankBanks, sandboxMyBankBanks)
}

func (f *Face) bankList(r *http.Request, c *call, op, txType string, banks, sandbox []Bank) []node {
	_, _, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, op, txType, err, lang)
	}
	if len(banks) == 0 {
		banks = sandbox
	}
	list := node{name: "BankList", children: []node{}}
	for _, b := range banks {
		list.children = append(list.children, node{name: "Bank", children: []node{leaf("BankCode", b.Code), leaf("BankName", b.Name)}})
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), list)
}

// exchangeRateS2S is callExchangeRateS2S: the last 7 published days of a
// currency's reference rate against the euro, from the gateway's rate
// source (the ECB's, or the sandbox's table), named by any of its codes.
func (f *Face) exchangeRateS2S(r *http.Request, c *call) []node {
	const txType = "ExchangeRate"
	r, _, lang, err := f.shopCall(r, c)
	var cur pasarela.Currency
	if err == nil {
		cur, err = rateCurrency(c)
	}
	var list []pasarela.ExchangeRate
	if err == nil {
		list, err = f.svc.ExchangeRates(r.Context(), []string{cur.Code}, 7)
	}
	if err != nil {
		return f.s2sFail(r, "callExchangeRateS2S", txType, err, lang)
	}
	rates := node{name: "ExchangeRates", children: []node{}}
	for _, x := range list {
		day, err := time.Parse(pasarela.DayLayout, x.Day)
		if err != nil {
			continue // the core stores valid days only
		}
		rates.children = append(rates.children, node{name: "ExchangeRate", children: []node{
			leaf("UICCode", uicCode(cur.Code)), leaf("ISOCode", cur.Code), leaf("NumericISOCode", strconv.Itoa(cur.Numeric)),
			// Gestpay writes the rate with a decimal comma, Italian style.
			leaf("ExchangeRate", strings.Replace(x.Rate.String(), ".", ",", 1)),
			leaf("CreditDate", day.Format("02/01/2006"))}})
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), rates)
}

// rateCurrency is the currency callExchangeRateS2S names, by its UIC, ISO
// or numeric ISO code; codes given together must agree.
func rateCurrency(c *call) (pasarela.Currency, error) {
	var found *pasarela.Currency
	agree := func(cur pasarela.Currency, ok bool) error {
		switch {
		case !ok || cur.Crypto:
			return fail(codeInvalidCurrency)
		case found != nil && found.Code != cur.Code:
			return fail(codeInvalidCurrency)
		}
		found = &cur
		return nil
	}
	if uic := strings.TrimSpace(c.fields["uicCode"]); uic != "" {
		if err := agree(currency(uic)); err != nil {
			return pasarela.Currency{}, err
		}
	}
	if iso := strings.TrimSpace(c.fields["isoCode"]); iso != "" {
		cur, ok := pasarela.LookupCurrency(strings.ToUpper(iso))
		if err := agree(cur, ok && cur.Code == strings.ToUpper(iso)); err != nil {
			return pasarela.Currency{}, err
		}
	}
	if num := strings.TrimSpace(c.fields["numericIsoCode"]); num != "" {
		n, err := strconv.Atoi(num)
		cur, ok := pasarela.LookupNumericCurrency(n)
		if err := agree(cur, err == nil && ok); err != nil {
			return pasarela.Currency{}, err
		}
	}
	if found == nil {
		return pasarela.Currency{}, fail(codeMissingUIC)
	}
	return *found, nil
}
