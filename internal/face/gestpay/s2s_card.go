package gestpay

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// WSs2s's card operations: tokens (a card the shop keeps to charge again,
// the core's stored cards named in Gestpay's token shape) and card checks.
// Card data goes to the core and its processor only.

// Codes of the token operations.
const (
	codeAuthRefused      = 405 // a check or token request with authorization, refused
	codeCustomTokenChars = 1162
	codeTokenTaken       = 1163
	codeTokenNotFound    = 1165
)

// companyCodes are Gestpay's numbers of the card companies (1 VISA and 3
// MASTERCARD, as recorded; the others as its back office lists them).
var companyCodes = map[string]string{pasarela.BrandVisa: "1", pasarela.BrandMastercard: "3",
	pasarela.BrandAmex: "2", pasarela.BrandDiscover: "8"}

// cardOf reads a card from a call's elements: number, month and year
// under the names the operation uses, the CVV, and the buyer's name when
// there is one. Gestpay checks length first (1119), then the expiry
// (1124, 1125), before anything else looks at the card.
func cardOf(c *call, numberEl, monthEl, yearEl, cvvEl string) (pasarela.CardInput, error) {
	return readCard(c.fields[numberEl], c.fields[monthEl], c.fields[yearEl], c.fields[cvvEl], c.fields["buyerName"])
}

// readCard reads a card as every Gestpay way of sending one has it: the
// number (spaces and dashes dropped), month and year of one or two digits,
// the CVV and the holder's name, which these APIs may leave out.
func readCard(number, month, year, cvv, name string) (pasarela.CardInput, error) {
	number = strings.NewReplacer(" ", "", "-", "").Replace(number)
	if number == "" || strings.TrimSpace(month) == "" || strings.TrimSpace(year) == "" {
		return pasarela.CardInput{}, fail(codeCardMissing)
	}
	if !cardLength(number) {
		return pasarela.CardInput{}, fail(codeCardLength)
	}
	m, ok := twoDigits(month)
	if !ok || m < 1 || m > 12 {
		return pasarela.CardInput{}, fail(codeExpMonth)
	}
	y, ok := twoDigits(year)
	if !ok {
		return pasarela.CardInput{}, fail(codeExpYear)
	}
	return pasarela.CardInput{Name: strings.TrimSpace(name), Number: number, ExpMonth: m, ExpYear: y,
		CVC: strings.TrimSpace(cvv), NameOptional: true}, nil
}

// cardErr is the Gestpay code of the core's refusal of a card (its
// field's), or err itself when it is not about the card.
func cardErr(err error, number string) error {
	if e := pasarela.AsError(err); e.Kind == pasarela.KindInvalid && len(e.Fields) > 0 {
		return fail(cardCode(err, number))
	}
	return err
}

// newMaskedToken makes a token in Gestpay's MASKEDPAN shape for a card
// number: its first two and last four digits around ten random letters
// and digits (36^10 of them: a shop's tokens do not collide).
func newMaskedToken(number string) string {
	var b strings.Builder
	b.WriteString(number[:2])
	for range 10 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(tokenAlphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b.WriteByte(tokenAlphabet[n.Int64()])
	}
	b.WriteString(number[len(number)-4:])
	return b.String()
}

// customToken reports a shop's own token as Gestpay takes one: 1 to 25
// letters and digits.
func customToken(s string) bool {
	if len(s) < 1 || len(s) > 25 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// requestTokenS2S is CallRequestTokenS2S: the card kept under a token,
// MASKEDPAN's shape or the shop's own, verified first with withAuth Y.
func (f *Face) requestTokenS2S(r *http.Request, c *call) []node {
	const txType = "REQUESTTOKEN"
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, "CallRequestTokenS2S", txType, err, lang)
	}
	card, err := cardOf(c, "cardNumber", "expiryMonth", "expiryYear", "cvv")
	asked := strings.TrimSpace(c.fields["requestToken"])
	if err == nil {
		switch {
		case asked == "":
			err = fail(codeBadInput)
		case asked != tokenMasked && !customToken(asked):
			err = fail(codeCustomTokenChars)
		}
	}
	var sc *pasarela.StoredCard
	if err == nil {
		ref := asked
		if asked == tokenMasked {
			ref = newMaskedToken(card.Number)
		}
		sc, err = f.svc.SaveCard(r.Context(), p.ApplicationID, core.StoredCardInput{Reference: ref, Card: card,
			Verify: strings.EqualFold(strings.TrimSpace(c.fields["withAuth"]), "Y"), Currency: "EUR"})
		switch e := pasarela.AsError(err); {
		case err == nil:
		case e.Kind == pasarela.KindConflict:
			err = fail(codeTokenTaken)
		case e.Kind == pasarela.KindInvalid && len(e.Fields) == 0:
			err = fail(codeAuthRefused) // the verification's decline
		default:
			err = cardErr(err, card.Number)
		}
	}
	if err != nil {
		return f.s2sFail(r, "CallRequestTokenS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), append(cardFacts(&sc.Card),
		leaf("Token", sc.Reference), leaf("TokenExpiryMonth", twoDigit(sc.Card.ExpMonth)),
		leaf("TokenExpiryYear", twoDigit(sc.Card.ExpYear%100)))...)
}

// cardFacts are what the card operations tell of a card.
func cardFacts(c *pasarela.Card) []node {
	return []node{leaf("CardBIN", c.BIN), leaf("CompanyDescription", strings.ToUpper(c.Brand)),
		leaf("CompanyCode", companyCodes[c.Brand]), leaf("ProductType", "")}
}

// deleteTokenS2S is callDeleteTokenS2S: the token is forgotten.
func (f *Face) deleteTokenS2S(r *http.Request, c *call) []node {
	const txType = "DisableToken"
	r, p, lang, err := f.shopCall(r, c)
	if err == nil {
		err = notFoundAs(f.svc.DeleteStoredCard(r.Context(), p.ApplicationID, strings.TrimSpace(c.fields["tokenValue"])),
			codeTokenNotFound)
	}
	if err != nil {
		return f.s2sFail(r, "callDeleteTokenS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang))
}

// updateTokenS2S is CallUpdateTokenS2S: a renewed card's expiry. A check
// with authorization (withAut Y, sic) needs the card's number, which a
// token stands for and the gateway does not keep: it is refused rather
// than skipped.
func (f *Face) updateTokenS2S(r *http.Request, c *call) []node {
	const txType = "UpdateToken"
	r, p, lang, err := f.shopCall(r, c)
	var sc *pasarela.StoredCard
	if err == nil {
		month, okM := twoDigits(c.fields["expiryMonth"])
		year, okY := twoDigits(c.fields["expiryYear"])
		switch {
		case strings.EqualFold(strings.TrimSpace(c.fields["withAut"]), "Y"):
			err = fail(codeNotAllowed)
		case !okM || month < 1 || month > 12:
			err = fail(codeExpMonth)
		case !okY:
			err = fail(codeExpYear)
		default:
			sc, err = f.svc.UpdateStoredCard(r.Context(), p.ApplicationID, strings.TrimSpace(c.fields["token"]), month, 2000+year)
			if e := pasarela.AsError(err); e.Kind == pasarela.KindInvalid && len(e.Fields) > 0 {
				err = fail(codeExpired)
			}
			err = notFoundAs(err, codeTokenNotFound)
		}
	}
	if err != nil {
		return f.s2sFail(r, "CallUpdateTokenS2S", txType, err, lang)
	}
	return s2sAnswer(txType, "OK", codeOK, descriptionLang(lang), leaf("Token", sc.Reference),
		leaf("TokenExpiryMonth", twoDigit(sc.Card.ExpMonth)), leaf("TokenExpiryYear", twoDigit(sc.Card.ExpYear%100)))
}

// checkCartaS2S is callCheckCartaS2S: the card's checks (number, expiry,
// security code) and, with withAuth Y, a verification by a hold released
// at once; or a token's card, which must still be valid.
func (f *Face) checkCartaS2S(r *http.Request, c *call) []node {
	return f.checkCard(r, c, "callCheckCartaS2S", "CHECKCARD", strings.EqualFold(strings.TrimSpace(c.fields["withAuth"]), "Y"))
}

// verifycardS2S is callVerifycardS2S: the card checked and verified by a
// hold released at once.
func (f *Face) verifycardS2S(r *http.Request, c *call) []node {
	return f.checkCard(r, c, "callVerifycardS2S", "VerCard", true)
}

func (f *Face) checkCard(r *http.Request, c *call, op, txType string, withAuth bool) []node {
	r, p, lang, err := f.shopCall(r, c)
	if err != nil {
		return f.s2sFail(r, op, txType, err, lang)
	}
	lang = descriptionLang(lang)
	if tok := strings.TrimSpace(c.fields["tokenValue"]); tok != "" && strings.TrimSpace(c.fields["cardNumber"]) == "" {
		sc, err := f.svc.StoredCardByReference(r.Context(), p.ApplicationID, tok)
		if err != nil {
			return f.s2sFail(r, op, txType, notFoundAs(err, codeTokenNotFound), lang)
		}
		return s2sAnswer(txType, "OK", codeOK, lang, append(cardFacts(&sc.Card),
			leaf("AuthorizationResult", "NULL"), leaf("CheckDigit", "OK"), leaf("CheckDate", "OK"))...)
	}
	card, err := cardOf(c, "cardNumber", "expMonth", "expYear", "CVV2")
	var chk *core.CardCheck
	if err == nil {
		chk, err = f.svc.CheckCardAt(r.Context(), p.ApplicationID, card, withAuth, "EUR")
		err = cardErr(err, card.Number)
	}
	if err != nil {
		return f.s2sFail(r, op, txType, err, lang)
	}
	authResult, authCode, res, code := "NULL", "", "OK", codeOK
	if chk.Verified {
		authResult = "OK"
		if !chk.Approved {
			authResult, res, code = "KO", "KO", codeAuthRefused
			authCode = describe(declineCode(chk.Code), lang)
		}
	}
	facts := cardFacts(&pasarela.Card{BIN: chk.BIN, Brand: chk.Brand})
	return s2sAnswer(txType, res, code, lang, append(facts,
		leaf("AuthorizationResult", authResult), leaf("AuthorizationCodeDescription", authCode),
		leaf("CheckDigit", "OK"), leaf("CheckDate", "OK"), leaf("CheckCVV", "OK"))...)
}

// payWithToken charges a payment with the card the shop keeps under a
// token.
func (f *Face) payWithToken(r *http.Request, pay *pasarela.Payment, token string) (*core.Checkout, error) {
	c, err := f.svc.PayWithStoredCard(r.Context(), pay.CheckoutToken, token)
	return c, notFoundAs(err, codeTokenNotFound)
}
