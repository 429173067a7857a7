package gestpay

import (
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// Metadata keys of a payment made by Encrypt: what Gestpay keeps that the
// core's payment has no field for. customInfo may be up to 1000 characters
// and a metadata value at most 500, so it is kept in two halves.
const (
	metaBuyerName   = "gestpay_buyer_name"
	metaCustomInfo  = "gestpay_custom_info"
	metaCustomInfo2 = "gestpay_custom_info_2"
	metaToken       = "gestpay_request_token"
	metaMaxValue    = 500
)

// amountPattern is an amount as Gestpay takes it: digits, and "." with at
// most two decimals (the number of decimals is checked apart, for its code).
var amountPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// customInfoSeparator separates the parameters of customInfo.
const customInfoSeparator = "*P1*"

// forbidden are the characters Gestpay refuses in a customInfo value; with
// '*' and '/' refused, "*P1*", "/*" and "//" are too. "--" is refused apart.
const forbidden = "& §*<>,;:/[]?=%~°"

// encryptInput is Encrypt's request, checked.
type encryptInput struct {
	payment    core.PaymentInput
	customInfo string
}

// readEncrypt checks Encrypt's fields in Gestpay's order of codes. A
// payment without languageId speaks the shop's language, or Italian.
func readEncrypt(c *call, shopLang string) (encryptInput, error) {
	var in encryptInput
	get := func(name string) string { return strings.TrimSpace(c.fields[name]) }
	uic := get("uicCode")
	if uic == "" {
		return in, fail(codeMissingUIC)
	}
	cur, ok := currency(uic)
	if !ok {
		return in, fail(codeInvalidCurrency)
	}
	amount := get("amount")
	if amount == "" {
		return in, fail(codeMissingAmount)
	}
	if len(amount) > 9 || !amountPattern.MatchString(amount) {
		return in, fail(codeAmountNotNumeric)
	}
	if _, dec, ok := strings.Cut(amount, "."); ok && len(dec) > 2 {
		return in, fail(codeAmountDecimals)
	}
	minor, err := pasarela.ParseMajor("amount", amount, cur)
	if err != nil {
		// A zero amount, or decimals the currency has none of (JPY).
		if pasarela.AsError(err).Code == "scale" {
			return in, fail(codeAmountDecimals)
		}
		return in, fail(codeAmountNotNumeric)
	}
	ref := get("shopTransactionId")
	if ref == "" {
		return in, fail(codeMissingShopTxID)
	}
	if utf8.RuneCountInString(ref) > 50 {
		return in, fail(codeShopTxIDTooLong)
	}
	lang := shopLang
	if lang == "" {
		lang = "it"
	}
	if id := get("languageId"); id != "" {
		if lang, ok = languages[id]; !ok {
			return in, fail(codeInvalidLanguage)
		}
	}
	name := get("buyerName")
	if utf8.RuneCountInString(name) > 50 || strings.ContainsAny(name, "<>\x00\r\n") {
		return in, fail(codeInvalidName)
	}
	email := get("buyerEmail")
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 50 {
			return in, fail(codeInvalidEmail)
		}
	}
	info := get("customInfo")
	if err := checkCustomInfo(info); err != nil {
		return in, err
	}
	token := get("requestToken")
	if utf8.RuneCountInString(token) > 25 || strings.ContainsAny(token, "<>\x00\r\n") {
		return in, fail(codeTechnical)
	}
	meta := map[string]string{}
	if name != "" {
		meta[metaBuyerName] = name
	}
	if token != "" {
		meta[metaToken] = token
	}
	if info != "" {
		first, rest := splitRunes(info, metaMaxValue)
		meta[metaCustomInfo] = first
		if rest != "" {
			meta[metaCustomInfo2] = rest
		}
	}
	in.customInfo = info
	in.payment = core.PaymentInput{Amount: minor, Currency: cur.Code, MerchantRef: ref, CustomerEmail: email,
		Language: lang, Metadata: meta}
	return in, nil
}

// checkCustomInfo checks customInfo as Gestpay does: name=value parameters
// separated by *P1*, at most 1000 characters in all and 300 a value, names
// not repeated, values free of the forbidden characters.
func checkCustomInfo(s string) error {
	if s == "" {
		return nil
	}
	if utf8.RuneCountInString(s) > 1000 {
		return fail(codeParamsTooLong)
	}
	seen := map[string]bool{}
	params := strings.Split(s, customInfoSeparator)
	for i, p := range params {
		if p == "" {
			if i == len(params)-1 {
				return fail(codeParamTrailingSep)
			}
			return fail(codeParamFormat)
		}
		name, value, ok := strings.Cut(p, "=")
		switch {
		case !ok:
			return fail(codeParamFormat)
		case name == "":
			return fail(codeParamNoName)
		case seen[name]:
			return fail(codeParamRepeated)
		case utf8.RuneCountInString(value) > 300:
			return fail(codeParamTooLong)
		case strings.ContainsAny(name, forbidden) || strings.ContainsAny(value, forbidden) ||
			strings.Contains(name+"="+value, "--"):
			return fail(codeParamValue)
		}
		seen[name] = true
	}
	return nil
}

// splitRunes splits s after n runes.
func splitRunes(s string, n int) (string, string) {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos], s[pos:]
		}
		i++
	}
	return s, ""
}

// encrypt is Encrypt: the shop is authenticated, the request checked, a
// pending payment created, and its crypt string answered.
func (f *Face) encrypt(r *http.Request, c *call) []node {
	s, lang, err := f.doEncrypt(r, c)
	if err != nil {
		code := codeOf(err)
		f.logError(r, "Encrypt", err, code)
		return []node{leaf("TransactionType", "ENCRYPT"), leaf("TransactionResult", "KO"),
			leaf("CryptDecryptString", ""), leaf("ErrorCode", strconv.Itoa(code)),
			leaf("ErrorDescription", describe(code, descriptionLang(lang)))}
	}
	// The success's description is empty, as the real service answers.
	return []node{leaf("TransactionType", "ENCRYPT"), leaf("TransactionResult", "OK"),
		leaf("CryptDecryptString", s), leaf("ErrorCode", "0"), leaf("ErrorDescription", "")}
}

// again is Encrypt of a shopTransactionId the shop used before. A merchant
// encrypts again when the buyer comes back to pay the same order (a reload,
// a retry): while that payment is still waiting for the buyer, for the same
// amount, the answer is a string for it. A reference already paid, failed
// or of another amount is refused as already processed (1137) rather than
// charged twice.
func (f *Face) again(r *http.Request, appID int64, in core.PaymentInput) (*pasarela.Payment, error) {
	pay, err := f.svc.PaymentByMerchantRef(r.Context(), appID, in.MerchantRef)
	if err != nil {
		return nil, err
	}
	if !pay.Status.Payable() || pay.Amount != in.Amount || pay.Currency != in.Currency {
		return nil, fail(codeAlreadyProcessed)
	}
	return pay, nil
}

// doEncrypt answers the crypt string, or the error, with the shop's
// language once the shop is known.
func (f *Face) doEncrypt(r *http.Request, c *call) (string, string, error) {
	shop := strings.TrimSpace(c.fields["shopLogin"])
	if shop == "" {
		return "", "", fail(codeUnknownShop)
	}
	r, p, pages, err := f.authenticate(r, c)
	if err != nil {
		return "", "", err
	}
	in, err := readEncrypt(c, pages.Language)
	if err != nil {
		return "", pages.Language, err
	}
	key, err := f.cryptKey(r)
	if err != nil {
		return "", pages.Language, err
	}
	// Gestpay's page gives the buyer one attempt and then returns to the
	// shop with the outcome, through esito.aspx; so does its cancel link.
	ref := in.payment.MerchantRef
	in.payment.ReturnURL = f.pageURL(key, shop, p.ApplicationID, ref, kindPage)
	in.payment.CancelURL = f.pageURL(key, shop, p.ApplicationID, ref, kindCancel)
	in.payment.SingleAttempt, in.payment.TTL = true, f.cfg.PaymentTTL
	pay, _, err := f.svc.CreatePayment(r.Context(), p.ApplicationID, in.payment, nil)
	// The core keeps one payment per reference of an application.
	if e := pasarela.AsError(err); e.Kind == pasarela.KindConflict && e.Field == "merchant_ref" {
		pay, err = f.again(r, p.ApplicationID, in.payment)
	}
	if err != nil {
		return "", pages.Language, err
	}
	return sealCrypt(key, shop, crypt{kind: kindRequest, appID: pay.ApplicationID, payment: pay.ID}), pages.Language, nil
}
