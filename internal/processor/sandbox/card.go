package sandbox

import (
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

// behaviour is what the sandbox does with a card at Authorize. It is
// decided from the number at Tokenize and stored with the token, so the
// number itself never needs to be kept.
type behaviour string

const (
	behaveSucceed   behaviour = "succeed"
	behaveChallenge behaviour = "3ds_challenge"
	// behaveSetup asks for 3-D Secure like behaveChallenge, except for an
	// off-session charge of a token that passed a challenge before.
	behaveSetup behaviour = "3ds_setup"
	// Declines are stored as their decline code.
)

// testCards are Stripe's public test numbers, so that people who know them
// need learn nothing new, and Gestpay's. Any other Luhn-valid number succeeds, so that every
// brand can be tried end to end.
var testCards = map[string]behaviour{
	"4242424242424242": behaveSucceed,
	"5555555555554444": behaveSucceed,
	"4000000000000002": behaviour(processor.CodeCardDeclined),
	"4000000000009995": behaviour(processor.CodeInsufficientFunds),
	"4000000000000069": behaviour(processor.CodeExpiredCard),
	"4000000000000127": behaviour(processor.CodeIncorrectCVC),
	"4000000000000119": behaviour(processor.CodeProcessingError),
	"4000002760003184": behaveChallenge,
	"4000002500003155": behaveSetup,
	// Gestpay's test cards, as its sandbox answered them: shops that
	// moved from Gestpay keep their test suites.
	"4775718800002026": behaveSucceed,
	"5364000000000987": behaveSucceed,
	"5432123456789012": behaviour(processor.CodeCardDeclined),
	"4556541926187165": behaveChallenge,
}

// decline is how a declined charge is explained to the buyer.
type decline struct {
	message   string
	retryable bool
}

// declines holds every decline code the sandbox produces. Only a processing
// error is retryable: it says nothing about the card, so another gateway
// config may succeed, while the others are the card's answer.
var declines = map[string]decline{
	processor.CodeCardDeclined:      {message: "Your card was declined."},
	processor.CodeInsufficientFunds: {message: "Your card has insufficient funds."},
	processor.CodeExpiredCard:       {message: "Your card has expired."},
	processor.CodeIncorrectCVC:      {message: "Your card's security code is incorrect."},
	processor.CodeProcessingError:   {message: "An error occurred while processing your card. Try again in a little bit.", retryable: true},
	processor.CodeAuthentication:    {message: "Your card issuer could not authenticate you (3-D Secure)."},
}

// Card brands, as pasarela.Card.Brand holds them.
const (
	BrandVisa       = pasarela.BrandVisa
	BrandMastercard = pasarela.BrandMastercard
	BrandAmex       = pasarela.BrandAmex
	BrandDiscover   = pasarela.BrandDiscover
	BrandUnknown    = pasarela.BrandUnknown
)

// checkCard reports every problem of a card at once, as a checkout form
// wants to show them together. It returns the brand of a valid number.
func checkCard(card processor.CardInput, now time.Time) (string, error) {
	var v pasarela.Validation
	brand := BrandUnknown
	switch {
	case !pasarela.Digits(card.Number):
		v.Add("number", "invalid_number", "must be the card number's digits only")
	case len(card.Number) < 12 || len(card.Number) > 19:
		v.Add("number", "invalid_number", "must have 12 to 19 digits")
	case !pasarela.CheckDigitValid(card.Number):
		v.Add("number", "invalid_number", "is not a valid card number")
	default:
		brand = pasarela.CardBrand(card.Number)
	}

	switch {
	case card.ExpMonth < 1 || card.ExpMonth > 12:
		v.Add("exp", "invalid_expiry", "the month must be 1 to 12")
	case card.ExpYear < 1000 || card.ExpYear > 9999:
		v.Add("exp", "invalid_expiry", "the year must have four digits")
	case expired(card.ExpMonth, card.ExpYear, now):
		v.Add("exp", processor.CodeExpiredCard, "the card has expired")
	case card.ExpYear > now.UTC().Year()+50:
		v.Add("exp", "invalid_expiry", "the year is too far in the future")
	}

	cvcOK := pasarela.ValidCVC(brand, card.CVC)
	if !cvcOK {
		v.Add("cvc", "invalid_cvc", "must be the 3 digits on the back of the card (4 on the front for American Express)")
	}
	return brand, v.Err()
}

// expired reports whether a card's expiry month is over at now, in UTC. A
// card is valid through the last day of its expiry month.
func expired(month, year int, now time.Time) bool {
	now = now.UTC()
	return year < now.Year() || year == now.Year() && month < int(now.Month())
}
