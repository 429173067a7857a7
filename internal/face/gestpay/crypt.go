package gestpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// cryptEncoding writes in Gestpay's alphabet: letters, digits, '_' and '*'.
// Merchant code puts the strings in URLs without encoding them, and none of
// these needs it. Strict: a payment has one string, not several that differ
// in unused bits.
var cryptEncoding = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*").
	WithPadding(base64.NoPadding).Strict()

// Kinds of crypt string. Encrypt makes a request (what the buyer's browser
// carries to the payment page as b); the payment page makes results (the b
// of the positive and negative URLs and of the server-to-server call).
// Decrypt reads both. A page reference is the face's own: it brings the
// buyer from the hosted page back to the face (esito.aspx), naming the
// payment by the shop's transaction id, which Encrypt knows before the
// payment exists; a cancel reference is the page's cancel link, the only
// one that abandons the payment.
//
// 3-D Secure adds four, each naming the payment it was made for: the
// TransKey and the VBVRisp that js_GestPay.js hands the shop's page with
// code 8006, the issuer's form field of pagam3d.aspx (its CSRF proof), and
// the PaRes pagam3d.aspx posts back to the shop, whose ref is the buyer's
// answer ("Y" approved, "N" refused). Each kind opens only where it is
// meant to, so no string can stand for another.
const (
	kindRequest  byte = 'R'
	kindResult   byte = 'S'
	kindPage     byte = 'P'
	kindCancel   byte = 'C'
	kindTransKey byte = 'T'
	kindVBVRisp  byte = 'V'
	kindIssuer   byte = 'F'
	kindPaRes    byte = 'A'
)

// The buyer's answers a PaRes carries.
const (
	paResApproved = "Y"
	paResRefused  = "N"
)

const (
	cryptVersion = 1
	cryptMACLen  = 20 // 160 bits of HMAC-SHA256: forging one is out of reach
	cryptBodyLen = 2 + 8 + 8
	cryptLen     = cryptBodyLen + cryptMACLen
	maxRefLen    = 200 // bytes of a shopTransactionId (50 characters of UTF-8)
)

// crypt is what a crypt string says: which application's payment, by id,
// or by the shop's reference for a page reference.
type crypt struct {
	kind    byte
	appID   int64
	payment int64
	ref     string
}

// sealCrypt makes the string of c for shopLogin: the payment's identity and
// a MAC over it and the shop login, so that a string is good only for the
// shop it was made for and nobody without the key can make one. Nothing in
// it is secret (the payment's id is no secret of the merchant's), so it is
// signed, not encrypted.
func sealCrypt(key []byte, shopLogin string, c crypt) string {
	buf := make([]byte, cryptBodyLen, cryptLen+len(c.ref))
	buf[0] = cryptVersion
	buf[1] = c.kind
	binary.BigEndian.PutUint64(buf[2:], uint64(c.appID))
	binary.BigEndian.PutUint64(buf[10:], uint64(c.payment))
	buf = append(buf, c.ref...)
	buf = append(buf, cryptMAC(key, shopLogin, buf)...)
	return cryptEncoding.EncodeToString(buf)
}

// openCrypt reads a string made by sealCrypt for shopLogin; ok is false for
// anything else (made up, altered, or another shop's).
func openCrypt(key []byte, shopLogin, s string) (c crypt, ok bool) {
	n := cryptEncoding.DecodedLen(len(s))
	if n < cryptLen || n > cryptLen+maxRefLen {
		return c, false
	}
	buf, err := cryptEncoding.DecodeString(s)
	if err != nil || len(buf) != n || buf[0] != cryptVersion {
		return c, false
	}
	body, mac := buf[:n-cryptMACLen], buf[n-cryptMACLen:]
	if !hmac.Equal(mac, cryptMAC(key, shopLogin, body)) {
		return c, false
	}
	c = crypt{kind: body[1], appID: int64(binary.BigEndian.Uint64(body[2:])),
		payment: int64(binary.BigEndian.Uint64(body[10:])), ref: string(body[cryptBodyLen:])}
	switch c.kind {
	case kindRequest, kindResult, kindTransKey, kindVBVRisp, kindIssuer:
		return c, c.ref == ""
	case kindPage, kindCancel:
		return c, c.ref != ""
	case kindPaRes:
		return c, c.ref == paResApproved || c.ref == paResRefused
	}
	return c, false
}

func cryptMAC(key []byte, shopLogin string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(shopLogin))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:cryptMACLen]
}
