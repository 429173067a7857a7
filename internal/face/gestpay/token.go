package gestpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/transport"
)

// tokenMasked is requestToken's value that asks for a token in Gestpay's
// shape; any other value is the shop's own token for the card.
const tokenMasked = "MASKEDPAN"

// tokenAlphabet is what the middle of a token is written in.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// cardToken is the TOKEN a shop that asked for one (requestToken) gets for
// the card a payment was made with: its own value, or, for MASKEDPAN, a
// token in Gestpay's shape, 16 characters: the card's first two and last
// four digits around ten letters and digits. The ten are derived from the
// processor's token of the card with the face's key: one processor token,
// one TOKEN (a processor that tokenizes a card afresh for each payment, as
// the sandbox does, gives each payment's card its own), and nothing about
// the number beyond what the shape shows can be read from it.
func cardToken(key []byte, c *pasarela.Card, asked string) string {
	if asked != tokenMasked {
		return asked
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("card-token\x00"))
	m.Write([]byte(c.Token))
	sum := m.Sum(nil)
	var b strings.Builder
	b.WriteString(firstDigits(c, 2))
	for _, x := range sum[:10] {
		b.WriteByte(tokenAlphabet[int(x)%len(tokenAlphabet)])
	}
	b.WriteString(c.Last4)
	return b.String()
}

// tokenOf is the TOKEN of a paid payment whose shop asked for one
// (requestToken), "" otherwise. The card is kept under it as a stored card
// of the shop, so that callPagamS2S can charge it with tokenValue; a token
// that cannot be kept (the shop's own value, already naming another card)
// is not answered, and the reason is logged.
func (f *Face) tokenOf(r *http.Request, key []byte, p *pasarela.Payment) string {
	asked := p.Metadata[metaToken]
	if asked == "" || p.Card == nil || p.Card.Last4 == "" {
		return ""
	}
	if res, _ := result(p); res != "OK" {
		return ""
	}
	tok := cardToken(key, p.Card, asked)
	if _, err := f.svc.KeepPaymentCard(r.Context(), p.ApplicationID, p.ID, tok); err != nil {
		f.log.WarnContext(r.Context(), "gestpay token not kept", "request_id", transport.RequestID(r.Context()),
			"payment", p.ID, "error", err)
		return ""
	}
	return tok
}

// maskedPAN is the card number as Gestpay shows it: the first six digits
// when known, asterisks, the last four.
func maskedPAN(c *pasarela.Card) string {
	first := firstDigits(c, 6)
	return first + strings.Repeat("*", 12-len(first)) + c.Last4
}

// firstDigits are the first n digits of the card's BIN, or asterisks for a
// card kept before the gateway kept BINs.
func firstDigits(c *pasarela.Card, n int) string {
	if len(c.BIN) >= n {
		return c.BIN[:n]
	}
	return strings.Repeat("*", n)
}
