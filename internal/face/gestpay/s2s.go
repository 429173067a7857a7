package gestpay

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// WSs2s, Gestpay's server-to-server service: shops that take card data on
// their own PCI-compliant pages pay with it (callPagamS2S, 3-D Secure
// through pagam3d.aspx and a second call), and settle, delete, refund and
// read their transactions from their back office. Every operation answers
// a GestPayS2S with TransactionType, TransactionResult (OK or KO),
// ErrorCode and ErrorDescription, and its own elements; a business error
// is a KO, never a fault.

// Gestpay's codes of WSs2s's own refusals.
const (
	codeSettleExceeds   = 58   // the amount settled exceeds the authorized amount
	codeTxNotFound      = 2011 // no transaction of the shop with those ids
	codeRefundExceeds   = 2014
	codeTxIDsEmpty      = 2016 // neither bankTransactionId nor shopTransactionId
	codeNotDeletable    = 2017
	codeNotRefundable   = 2018
	codeNotSettleable   = 2019
	codeMissingTransKey = 1154
	codeNotAllowed      = 4100 // an operation the shop has no contract for
)

// s2sOps are WSs2s's operations, by their exact names.
var s2sOps = map[string]func(*Face, *http.Request, *call) []node{
	"callPagamS2S":             (*Face).pagamS2S,
	"callSettleS2S":            (*Face).settleS2S,
	"callDeleteS2S":            (*Face).deleteS2S,
	"callCheckCartaS2S":        (*Face).checkCartaS2S,
	"callVerifycardS2S":        (*Face).verifycardS2S,
	"CallRequestTokenS2S":      (*Face).requestTokenS2S,
	"callDeleteTokenS2S":       (*Face).deleteTokenS2S,
	"CallUpdateTokenS2S":       (*Face).updateTokenS2S,
	"callRefundS2S":            (*Face).refundS2S,
	"callReadTrxS2S":           (*Face).readTrxS2S,
	"CallIdealListS2S":         (*Face).idealListS2S,
	"CallMyBankListS2S":        (*Face).myBankListS2S,
	"CallUpdateCustomParamS2S": (*Face).updateCustomParamS2S,
	"callExchangeRateS2S":      (*Face).exchangeRateS2S,
	"CallUpdateOrderS2S":       notEnabled("RiskifiedUpdateOrder"),
	"callRenounce":             notEnabled("Renounce"),
	"callDeviceActivation":     notEnabled("DeviceActivation"),
}

// s2sAnswer is a GestPayS2S: the elements every operation has, then its
// own.
func s2sAnswer(txType, res string, code int, lang string, extra ...node) []node {
	out := []node{leaf("TransactionType", txType), leaf("TransactionResult", res)}
	out = append(out, extra...)
	return append(out, leaf("ErrorCode", strconv.Itoa(code)), leaf("ErrorDescription", describe(code, lang)))
}

// s2sFail is the KO of an operation that failed before its own answer: the
// code of the error, logged when it is the gateway's.
func (f *Face) s2sFail(r *http.Request, op, txType string, err error, lang string) []node {
	code := codeOf(err)
	f.logError(r, op, err, code)
	return s2sAnswer(txType, "KO", code, descriptionLang(lang))
}

// notEnabled answers an operation of a contract no shop here has (Riskified
// orders, renouncing, physical terminals) as the real service answers a
// shop without it: a KO, never a fault and never a success that did nothing.
func notEnabled(txType string) func(*Face, *http.Request, *call) []node {
	return func(f *Face, r *http.Request, c *call) []node {
		return s2sAnswer(txType, "KO", codeNotAllowed, "it")
	}
}

// shopCall authenticates a WSs2s call and answers its shop's description
// language; a call without shopLogin is an unknown shop.
func (f *Face) shopCall(r *http.Request, c *call) (*http.Request, *pasarela.Principal, string, error) {
	if strings.TrimSpace(c.fields["shopLogin"]) == "" {
		return r, nil, "", fail(codeUnknownShop)
	}
	r, p, pages, err := f.authenticate(r, c)
	return r, p, pages.Language, err
}

// transaction finds the shop's payment a call names: by bankTransactionId
// (the payment's id), by shopTransactionId (its reference, unique in a
// shop), or both, which must then agree. Another shop's ids are not found.
func (f *Face) transaction(r *http.Request, appID int64, bankID, shopID string) (*pasarela.Payment, error) {
	bankID, shopID = strings.TrimSpace(bankID), strings.TrimSpace(shopID)
	var pay *pasarela.Payment
	switch {
	case bankID == "" && shopID == "":
		return nil, fail(codeTxIDsEmpty)
	case bankID != "":
		id, err := strconv.ParseInt(bankID, 10, 64)
		if err != nil || id <= 0 {
			return nil, fail(codeTxNotFound)
		}
		d, err := f.svc.GetPayment(r.Context(), appID, id)
		if err != nil {
			return nil, notFoundAs(err, codeTxNotFound)
		}
		pay = d.Payment
		if shopID != "" && pay.MerchantRef != shopID {
			return nil, fail(codeTxNotFound)
		}
	default:
		p, err := f.svc.PaymentByMerchantRef(r.Context(), appID, shopID)
		if err != nil {
			return nil, notFoundAs(err, codeTxNotFound)
		}
		pay = p
	}
	return pay, nil
}

// notFoundAs is err, or Gestpay's code when the core did not find it.
func notFoundAs(err error, code int) error {
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return fail(code)
	}
	return err
}

// ids are the ids of a transaction as WSs2s answers name them.
func ids(p *pasarela.Payment) []node {
	return []node{leaf("ShopTransactionID", p.MerchantRef), leaf("BankTransactionID", strconv.FormatInt(p.ID, 10))}
}

// pagamS2S is callPagamS2S: a card payment the shop makes for its buyer,
// or the second call of one that needed 3-D Secure.
func (f *Face) pagamS2S(r *http.Request, c *call) []node {
	const txType = "PAGAM"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "callPagamS2S", txType, err, lang)
	}
	key, err := f.cryptKey(r)
	if err != nil {
		return f.s2sFail(r, "callPagamS2S", txType, err, lang)
	}
	shop := strings.TrimSpace(c.fields["shopLogin"])
	var pay *pasarela.Payment
	if c.fields["transKey"] != "" || c.fields["PARes"] != "" {
		pay, err = f.pagamPaRes(r, c, key, shop, p)
	} else {
		pay, err = f.pagamCard(r, c, key, shop, p, lang)
	}
	if err != nil {
		if pay == nil {
			return f.s2sFail(r, "callPagamS2S", txType, err, lang)
		}
	}
	token := ""
	if err == nil {
		token = f.tokenOf(r, key, pay)
	}
	return pagamAnswer(key, shop, pay, err, token, descriptionLang(lang))
}

// pagamCard is the first call: the order checked as Encrypt checks it, a
// payment of one attempt created (or the waiting one of the same
// reference), and the card charged. The card goes to the core and its
// processor only; nothing of it but the processor's token, BIN, last four
// digits and expiry is kept. The error of a refused card field comes back
// with the payment.
func (f *Face) pagamCard(r *http.Request, c *call, key []byte, shop string, p *pasarela.Principal, lang string) (*pasarela.Payment, error) {
	// ":NOSEND:" before the address asks Gestpay not to mail the buyer;
	// the gateway mails nobody, so the address is kept without it.
	c.fields["buyerEmail"] = strings.TrimPrefix(strings.TrimSpace(c.fields["buyerEmail"]), ":NOSEND:")
	in, err := readEncrypt(c, lang)
	if err != nil {
		return nil, err
	}
	// A card, or the token of one the shop keeps (exactly one of them).
	token := strings.TrimSpace(c.fields["tokenValue"])
	var card pasarela.CardInput
	if token == "" || strings.TrimSpace(c.fields["cardNumber"]) != "" {
		if card, err = cardOf(c, "cardNumber", "expiryMonth", "expiryYear", "cvv"); err != nil {
			return nil, err
		}
		if token != "" {
			return nil, fail(codeBadInput)
		}
	}
	in.payment.SingleAttempt, in.payment.TTL = true, f.cfg.PaymentTTL
	pay, _, err := f.svc.CreatePayment(r.Context(), p.ApplicationID, in.payment, nil)
	if e := pasarela.AsError(err); e.Kind == pasarela.KindConflict && e.Field == "merchant_ref" {
		pay, err = f.again(r, p.ApplicationID, in.payment)
	}
	if err != nil {
		return nil, err
	}
	var ch *core.Checkout
	if token != "" {
		ch, err = f.payWithToken(r, pay, token)
	} else {
		ch, err = f.svc.PayWithCard(r.Context(), pay.CheckoutToken, card)
	}
	if err != nil {
		if e := pasarela.AsError(err); e.Kind == pasarela.KindInvalid && len(e.Fields) > 0 {
			return pay, fail(cardCode(err, card.Number))
		}
		if _, ok := err.(*gpError); ok {
			return pay, err
		}
		return nil, err
	}
	return ch.Payment, nil
}

// pagamPaRes is the second call after 8006: the TransactionKey the first
// answered and the PaRes pagam3d.aspx gave the buyer, both of this shop and
// this payment, settle the 3-D Secure step with the buyer's answer.
func (f *Face) pagamPaRes(r *http.Request, c *call, key []byte, shop string, p *pasarela.Principal) (*pasarela.Payment, error) {
	if strings.TrimSpace(c.fields["transKey"]) == "" {
		return nil, fail(codeMissingTransKey)
	}
	tk, ok1 := openCrypt(key, shop, strings.TrimSpace(c.fields["transKey"]))
	pr, ok2 := openCrypt(key, shop, strings.TrimSpace(c.fields["PARes"]))
	if !ok1 || !ok2 || tk.kind != kindTransKey || pr.kind != kindPaRes || tk.appID != p.ApplicationID ||
		pr.appID != p.ApplicationID || tk.payment != pr.payment {
		return nil, fail(codeBadInput)
	}
	d, err := f.svc.GetPayment(r.Context(), p.ApplicationID, tk.payment)
	if err != nil {
		return nil, notFoundAs(err, codeBadInput)
	}
	if d.Payment.Status != pasarela.StatusRequiresAction {
		return nil, fail(codeAlreadyProcessed)
	}
	ch, err := f.svc.ResumeCheckout(r.Context(), d.Payment.CheckoutToken, pr.ref == paResApproved)
	if err != nil {
		return nil, err
	}
	return ch.Payment, nil
}

// pagamAnswer is callPagamS2S's GestPayS2S for a payment after its
// attempt: OK, KO with the decline's code (or refusal's, err), or 8006 with
// the TransactionKey and VbVRisp for pagam3d.aspx.
func pagamAnswer(key []byte, shop string, pay *pasarela.Payment, err error, token, lang string) []node {
	seal := func(kind byte) string {
		return sealCrypt(key, shop, crypt{kind: kind, appID: pay.ApplicationID, payment: pay.ID})
	}
	res, code := result(pay)
	var transKey, vbvRisp, vbvBuyer string
	switch {
	case err != nil:
		res, code = "KO", codeOf(err)
	case pay.Status == pasarela.StatusRequiresAction:
		res, code = "KO", codeVerifyByVisa
		transKey, vbvRisp, vbvBuyer = seal(kindTransKey), seal(kindVBVRisp), "OK"
	case res == "XX":
		// The charge's outcome is not known yet (its answer was lost): the
		// shop reads it later (callReadTrxS2S), as after a technical error.
		res, code = "KO", codeTechnical
	}
	var ref, bankID, authCode, cur, amount, name, email, masked, method, product, tokenMonth, tokenYear, cvv string
	ref, bankID = pay.MerchantRef, strconv.FormatInt(pay.ID, 10)
	if code == codeVerifyByVisa {
		// As the real service answers 8006: the keys of the next step,
		// everything else empty.
		ref, bankID = "", ""
	} else {
		authCode = pay.AuthorizationCode
		if c, ok := pasarela.LookupCurrency(pay.Currency); ok {
			cur, amount = uicCode(c.Code), pasarela.FormatMajor(pay.Amount, c)
		}
		name, email = pay.Metadata[metaBuyerName], pay.CustomerEmail
		if c := pay.Card; c != nil && c.Last4 != "" && res == "OK" {
			masked, method, product, cvv = maskedPAN(c), strings.ToUpper(c.Brand), "", "Y"
			if token != "" {
				tokenMonth, tokenYear = twoDigit(c.ExpMonth), twoDigit(c.ExpYear%100)
			}
		}
	}
	return s2sAnswer("PAGAM", res, code, lang,
		leaf("ShopTransactionID", ref), leaf("BankTransactionID", bankID), leaf("AuthorizationCode", authCode),
		leaf("Currency", cur), leaf("Amount", amount), leaf("Country", ""),
		customInfoNodes(pay.Metadata[metaCustomInfo]+pay.Metadata[metaCustomInfo2]),
		node{name: "Buyer", children: []node{leaf("BuyerName", name), leaf("BuyerEmail", email)}},
		leaf("TDLevel", ""), leaf("AlertCode", ""), leaf("AlertDescription", ""),
		leaf("TransactionKey", transKey),
		node{name: "VbV", children: []node{leaf("VbVFlag", ""), leaf("VbVBuyer", vbvBuyer), leaf("VbVRisp", vbvRisp)}},
		leaf("MaskedPAN", masked), leaf("PaymentMethod", method), leaf("ProductType", product), leaf("CVVPresent", cvv),
		leaf("TOKEN", token), leaf("TokenExpiryMonth", tokenMonth), leaf("TokenExpiryYear", tokenYear))
}

// twoDigit writes a month or a two-digit year as Gestpay does ("05").
func twoDigit(n int) string {
	s := strconv.Itoa(n)
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// customInfoNodes is customInfo as WSs2s answers it: one element per
// parameter, its name upper-cased (unlike Decrypt's string form). Names
// were checked by Encrypt's rules, but an element name has rules of its
// own: a parameter whose name is not one is left out rather than breaking
// the answer.
func customInfoNodes(info string) node {
	n := node{name: "CustomInfo", children: []node{}}
	if info == "" {
		return n
	}
	for _, p := range strings.Split(info, customInfoSeparator) {
		name, value, _ := strings.Cut(p, "=")
		name = strings.ToUpper(name)
		if xmlName(name) {
			n.children = append(n.children, leaf(name, value))
		}
	}
	return n
}

// xmlName reports a plain XML element name: a letter or '_', then letters,
// digits, '_', '-' and '.', and not starting with "XML".
func xmlName(s string) bool {
	if s == "" || strings.HasPrefix(s, "XML") {
		return false
	}
	for i, r := range s {
		letter := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// amountOf reads an operation's amount in the payment's currency, checked
// as Encrypt checks one (1113, 1114), and its uicCode, which must be the
// payment's when given (1111).
func amountOf(c *call, pay *pasarela.Payment) (int64, error) {
	cur, ok := pasarela.LookupCurrency(pay.Currency)
	if !ok {
		return 0, fail(codeInvalidCurrency)
	}
	if uic := strings.TrimSpace(c.fields["uicCode"]); uic != "" && uic != uicCode(cur.Code) {
		return 0, fail(codeInvalidCurrency)
	}
	amount := strings.TrimSpace(c.fields["amount"])
	if amount == "" {
		return 0, fail(codeMissingAmount)
	}
	if len(amount) > 9 || !amountPattern.MatchString(amount) {
		return 0, fail(codeAmountNotNumeric)
	}
	minor, err := pasarela.ParseMajor("amount", amount, cur)
	if err != nil {
		if pasarela.AsError(err).Code == "scale" {
			return 0, fail(codeAmountDecimals)
		}
		return 0, fail(codeAmountNotNumeric)
	}
	return minor, nil
}

// settleS2S is callSettleS2S: an authorization captured, in full or in
// part (its ids are shopTransID and bankTransID, unlike the other
// operations').
func (f *Face) settleS2S(r *http.Request, c *call) []node {
	const txType = "Settle"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "callSettleS2S", txType, err, lang)
	}
	pay, err := f.transaction(r, p.ApplicationID, c.fields["bankTransID"], c.fields["shopTransID"])
	if err == nil {
		var amount int64
		if amount, err = amountOf(c, pay); err == nil {
			switch {
			case pay.Status != pasarela.StatusAuthorized:
				err = fail(codeNotSettleable)
			case amount > pay.Amount:
				err = fail(codeSettleExceeds)
			default:
				pay, err = f.svc.CaptureAmount(r.Context(), p.ApplicationID, pay.ID, amount)
			}
		}
	}
	if err != nil {
		return f.s2sFail(r, "callSettleS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), ids(pay)...)
}

// deleteS2S is callDeleteS2S: an authorization not settled is released
// (and a payment not paid yet cancelled); anything else is not deletable.
func (f *Face) deleteS2S(r *http.Request, c *call) []node {
	const txType = "Delete"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "callDeleteS2S", txType, err, lang)
	}
	pay, err := f.transaction(r, p.ApplicationID, c.fields["bankTransactionId"], c.fields["shopTransactionId"])
	if err == nil {
		switch pay.Status {
		case pasarela.StatusAuthorized, pasarela.StatusPending, pasarela.StatusRequiresAction:
			err = f.svc.CancelPayment(r.Context(), p.ApplicationID, pay.ID)
			if pasarela.AsError(err).Code == "invalid_transition" {
				err = fail(codeNotDeletable)
			}
		default:
			err = fail(codeNotDeletable)
		}
	}
	if err != nil {
		return f.s2sFail(r, "callDeleteS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), ids(pay)...)
}

// refundS2S is callRefundS2S: settled money returned, in full or in part,
// never more than what is left.
func (f *Face) refundS2S(r *http.Request, c *call) []node {
	const txType = "Refund"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "callRefundS2S", txType, err, lang)
	}
	pay, err := f.transaction(r, p.ApplicationID, c.fields["bankTransactionId"], c.fields["shopTransactionId"])
	if err == nil {
		var amount int64
		if amount, err = amountOf(c, pay); err == nil {
			switch {
			case pay.Status != pasarela.StatusCompleted && pay.Status != pasarela.StatusPartiallyRefunded:
				err = fail(codeNotRefundable)
			case amount > pay.Captured-pay.Refunded:
				err = fail(codeRefundExceeds)
			default:
				_, _, err = f.svc.Refund(r.Context(), p.ApplicationID, pay.ID,
					core.RefundInput{Amount: amount, Reason: strings.TrimSpace(c.fields["RefundReason"])}, nil)
				if e := pasarela.AsError(err); e.Kind == pasarela.KindInvalid || e.Kind == pasarela.KindConflict {
					err = fail(codeNotRefundable)
				}
			}
		}
	}
	if err != nil {
		return f.s2sFail(r, "callRefundS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), ids(pay)...)
}

// updateCustomParamS2S is CallUpdateCustomParamS2S: one parameter of a
// transaction's customInfo set to a new value (added when it was not
// there), under Encrypt's rules for customInfo.
func (f *Face) updateCustomParamS2S(r *http.Request, c *call) []node {
	const txType = "UpdateCustomParam"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "CallUpdateCustomParamS2S", txType, err, lang)
	}
	pay, err := f.transaction(r, p.ApplicationID, c.fields["bankTransactionId"], c.fields["shopTransactionId"])
	if err == nil {
		name, value := strings.TrimSpace(c.fields["paramName"]), strings.TrimSpace(c.fields["paramValue"])
		var info string
		if info, err = setCustomParam(pay.Metadata[metaCustomInfo]+pay.Metadata[metaCustomInfo2], name, value); err == nil {
			first, rest := splitRunes(info, metaMaxValue)
			pay, err = f.svc.SetPaymentMetadata(r.Context(), p.ApplicationID, pay.ID,
				map[string]string{metaCustomInfo: first, metaCustomInfo2: rest})
		}
	}
	if err != nil {
		return f.s2sFail(r, "CallUpdateCustomParamS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), append(ids(pay),
		customInfoNodes(pay.Metadata[metaCustomInfo]+pay.Metadata[metaCustomInfo2]))...)
}

// setCustomParam is customInfo info with parameter name set to value, or
// a customInfo code when the result breaks its rules.
func setCustomParam(info, name, value string) (string, error) {
	if name == "" {
		return "", fail(codeParamNoName)
	}
	var params []string
	found := false
	if info != "" {
		for _, p := range strings.Split(info, customInfoSeparator) {
			if n, _, _ := strings.Cut(p, "="); n == name {
				p, found = name+"="+value, true
			}
			params = append(params, p)
		}
	}
	if !found {
		params = append(params, name+"="+value)
	}
	out := strings.Join(params, customInfoSeparator)
	return out, checkCustomInfo(out)
}
