package gestpay

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
)

// result is what Decrypt says of a payment: Gestpay's TransactionResult
// and code. A payment the buyer has not tried to pay yet, or whose payment
// is in flight, is XX, Gestpay's
// "not final, wait for the notification": merchant code puts the order on
// hold, which is right for a payment that may still be paid.
func result(p *pasarela.Payment) (string, int) {
	switch p.Status {
	case pasarela.StatusCompleted, pasarela.StatusAuthorized, pasarela.StatusRefunded, pasarela.StatusPartiallyRefunded:
		return "OK", codeOK
	case pasarela.StatusFailed:
		return "KO", declineCode(p.FailureCode)
	case pasarela.StatusExpired:
		return "KO", codeAbandoned
	case pasarela.StatusInvalidated:
		return "KO", codeCancelled
	}
	// Still payable after a refused card: Gestpay reports the attempt the
	// buyer made (its negative URL gets that KO), and a later attempt that
	// succeeds makes it OK.
	if p.Status == pasarela.StatusPending && p.FailureCode != "" {
		return "KO", declineCode(p.FailureCode)
	}
	return "XX", codeOK
}

// decrypt is Decrypt: the shop is authenticated, the string opened (only
// one this shop's Encrypt made), and the payment's outcome answered with
// every element the real service lists, empty ones included.
func (f *Face) decrypt(r *http.Request, c *call) []node {
	r, p, key, lang, err := f.doDecrypt(r, c)
	lang = descriptionLang(lang)
	if err != nil {
		code := codeOf(err)
		f.logError(r, "Decrypt", err, code)
		return decryptNodes(nil, "KO", code, "", lang)
	}
	res, code := result(p)
	return decryptNodes(p, res, code, f.tokenOf(r, key, p), lang)
}

// doDecrypt opens the string and reads its payment; it answers the request
// with the shop's principal, the crypt key (for the token) and, once the
// shop is known, the shop's language.
func (f *Face) doDecrypt(r *http.Request, c *call) (*http.Request, *pasarela.Payment, []byte, string, error) {
	shop := strings.TrimSpace(c.fields["shopLogin"])
	if shop == "" {
		// What the real service answers to a Decrypt without a shop.
		return r, nil, nil, "", fail(codeTechnical)
	}
	r, p, pages, err := f.authenticate(r, c)
	if err != nil {
		return r, nil, nil, "", err
	}
	lang := pages.Language
	key, err := f.cryptKey(r)
	if err != nil {
		return r, nil, nil, lang, err
	}
	cr, ok := openCrypt(key, shop, strings.TrimSpace(c.fields["CryptedString"]))
	if !ok || (cr.kind != kindRequest && cr.kind != kindResult) || cr.appID != p.ApplicationID {
		return r, nil, nil, lang, fail(codeNotFromEncrypt)
	}
	d, err := f.svc.GetPayment(r.Context(), p.ApplicationID, cr.payment)
	if pasarela.ErrorKind(err) == pasarela.KindNotFound {
		return r, nil, nil, lang, fail(codeNotFromEncrypt)
	}
	if err != nil {
		return r, nil, nil, lang, err
	}
	return r, d.Payment, key, lang, nil
}

// decryptNodes is DecryptResult's GestPayCryptDecrypt for p (nil: an
// error before any payment was found).
func decryptNodes(p *pasarela.Payment, res string, code int, token, lang string) []node {
	var ref, bankID, authCode, cur, amount, info, name, email, masked, method, tokenMonth, tokenYear string
	if p != nil {
		ref = p.MerchantRef
		bankID, authCode = strconv.FormatInt(p.ID, 10), p.AuthorizationCode
		if c, ok := pasarela.LookupCurrency(p.Currency); ok {
			cur = uicCode(c.Code)
			amount = pasarela.FormatMajor(p.Amount, c)
		}
		info = p.Metadata[metaCustomInfo] + p.Metadata[metaCustomInfo2]
		name, email = p.Metadata[metaBuyerName], p.CustomerEmail
		if c := p.Card; c != nil && c.Last4 != "" {
			masked = maskedPAN(c)
			method = strings.ToUpper(c.Brand)
			if token != "" {
				tokenMonth, tokenYear = twoDigit(c.ExpMonth), twoDigit(c.ExpYear%100)
			}
		}
	}
	return []node{
		leaf("TransactionType", "DECRYPT"), leaf("TransactionResult", res),
		leaf("ShopTransactionID", ref), leaf("BankTransactionID", bankID),
		leaf("AuthorizationCode", authCode),
		leaf("Currency", cur), leaf("Amount", amount), leaf("Country", ""), leaf("CustomInfo", info),
		{name: "Buyer", children: []node{leaf("BuyerName", name), leaf("BuyerEmail", email)}},
		leaf("TDLevel", ""), leaf("ErrorCode", strconv.Itoa(code)), leaf("ErrorDescription", describeResult(res, code, lang)),
		leaf("AlertCode", ""), leaf("AlertDescription", ""), leaf("TransactionKey", ""),
		leaf("VbVRisp", ""), leaf("VbVBuyer", ""), leaf("VbVFlag", ""),
		leaf("MaskedPAN", masked), leaf("PaymentMethod", method), leaf("TOKEN", token), leaf("ProductType", ""),
		leaf("TokenExpiryMonth", tokenMonth), leaf("TokenExpiryYear", tokenYear),
	}
}

// describeResult is Decrypt's ErrorDescription in lang: an XX result is
// not an error and says so in words, not with the success's text.
func describeResult(res string, code int, lang string) string {
	if res == "XX" {
		if lang == "en" {
			return "Transaction pending"
		}
		return "Transazione in attesa di esito"
	}
	return describe(code, lang)
}
