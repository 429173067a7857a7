// Package webhook is the wire side of webhooks: the two signature schemes a
// delivery carries (PayREST's Hash header and Standard Webhooks), their
// verification for receivers, and an HTTP client that refuses to reach
// private networks, so that a merchant's target URL cannot be used to probe
// the gateway's own network.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	HeaderHash      = "Hash"              // PayREST: sha512(apiKey . sha512(body)), lowercase hex
	HeaderID        = "webhook-id"        // Standard Webhooks: the event id, the same on every retry
	HeaderTimestamp = "webhook-timestamp" // Standard Webhooks: Unix seconds of the attempt
	HeaderSignature = "webhook-signature" // Standard Webhooks: "v1,<base64 HMAC-SHA256>"
	HeaderEventType = "Pasarela-Event"    // the event type ("payment.completed"); not signed
	// HeaderEventSequence numbers the events of one resource 1, 2, 3… in
	// the order they happened; not signed.
	HeaderEventSequence = "Pasarela-Event-Sequence"
	// HeaderEventTime is when the event happened (RFC 3339, UTC, to the
	// microsecond), the same on every retry; not signed.
	HeaderEventTime = "Pasarela-Event-Time"
)

// SecretPrefix starts a Standard Webhooks signing secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a timestamp may be from the receiver's clock
// before the delivery is refused as a possible replay.
const DefaultTolerance = 5 * time.Minute

// NewSecret returns a new signing secret: "whsec_" and 32 random bytes in
// standard base64, as Standard Webhooks writes them.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes rather than return predictable bytes
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// secretKey decodes the HMAC key of a secret. The prefix is optional, as in
// the Standard Webhooks libraries.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("the secret must be whsec_ followed by base64")
	}
	return key, nil
}

// PayRESTHash is PayREST's Hash header: the lowercase hex SHA-512 of the
// application's API key followed by the lowercase hex SHA-512 of the body.
func PayRESTHash(apiKey string, body []byte) string {
	inner := sha512.Sum512(body)
	outer := sha512.Sum512([]byte(apiKey + hex.EncodeToString(inner[:])))
	return hex.EncodeToString(outer[:])
}

// Sign returns the Standard Webhooks signature header value of one attempt:
// "v1," and the base64 HMAC-SHA256, keyed by the secret, of
// "<id>.<timestamp>.<body>".
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(timestamp.Unix(), 10), body)), nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeaders are the names of the headers Headers sets, with Hash
// when the application's key is known, for a log that shows which headers
// a delivery carries without their values.
func SignatureHeaders(withHash bool) []string {
	names := []string{HeaderID, HeaderTimestamp, HeaderSignature}
	if withHash {
		names = append(names, HeaderHash)
	}
	return names
}

// Headers returns the signature headers of one attempt. apiKey may be empty
// when the application's key is not known, and then Hash is left out.
func Headers(secret, apiKey, id string, timestamp time.Time, body []byte) (map[string]string, error) {
	sig, err := Sign(secret, id, timestamp, body)
	if err != nil {
		return nil, err
	}
	h := map[string]string{HeaderID: id, HeaderTimestamp: strconv.FormatInt(timestamp.Unix(), 10), HeaderSignature: sig}
	if apiKey != "" {
		h[HeaderHash] = PayRESTHash(apiKey, body)
	}
	return h, nil
}

// Verification errors; a receiver answers them with a 4xx.
var (
	ErrNoSignature  = errors.New("no v1 signature matches")
	ErrTimestamp    = errors.New("the timestamp is not a Unix time in seconds")
	ErrTooOld       = errors.New("the timestamp is too far from now (a replay, or a clock out of sync)")
	ErrHashMismatch = errors.New("the Hash header does not match the body")
)

// Verify checks a Standard Webhooks delivery: the timestamp must be within
// tolerance of now, and one of the space-separated signatures of the
// header must be the v1 signature of id, timestamp and body. It compares in
// constant time.
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s", ErrTooOld, d.Round(time.Second))
	}
	want := mac(key, id, strconv.FormatInt(ts, 10), body)
	for _, s := range strings.Fields(signatures) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoSignature
}

// VerifyHash checks PayREST's Hash header in constant time.
func VerifyHash(apiKey, hash string, body []byte) error {
	want := PayRESTHash(apiKey, body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(hash))), []byte(want)) != 1 {
		return ErrHashMismatch
	}
	return nil
}
