package paypal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
)

// APIVersion is the NVP API version the requests are written for.
const APIVersion = "204"

// maxResponse bounds what is read of an NVP answer; real ones are a few
// hundred bytes, and an endpoint that streams more is not PayPal.
const maxResponse = 1 << 20

// credentials are a config's NVP API credentials. They go into request
// bodies only: never into an error, a Result, a log line or a URL.
type credentials struct{ user, password, signature string }

func credentialsOf(cfg processor.Config) (credentials, error) {
	c := credentials{cfg.String("username"), cfg.String("password"), cfg.String("signature")}
	for _, f := range []struct{ name, value string }{{"username", c.user}, {"password", c.password}, {"signature", c.signature}} {
		if f.value == "" {
			return c, &pasarela.Error{Kind: pasarela.KindInvalid, Code: "config", Field: f.name,
				Message: "the PayPal config has no " + f.name + ", which live mode needs"}
		}
	}
	return c, nil
}

// apiError is PayPal's refusal of a call: ACK Failure with its first error.
type apiError struct {
	method  string
	code    string // L_ERRORCODE0
	message string // L_LONGMESSAGE0, or L_SHORTMESSAGE0 when there is none
}

// call makes one NVP call. A refusal by PayPal (ACK Failure) is an
// *apiError, for the caller to turn into a decline; anything else that
// goes wrong (no answer, HTTP error, an answer that is not NVP) is a
// KindUnavailable *pasarela.Error. Neither ever carries the request, so
// the credentials cannot leak through them.
func (p *Processor) call(ctx context.Context, cred credentials, method string, params url.Values) (url.Values, error) {
	form := url.Values{}
	for k, v := range params {
		form[k] = v
	}
	form.Set("METHOD", method)
	form.Set("VERSION", APIVersion)
	form.Set("USER", cred.user)
	form.Set("PWD", cred.password)
	form.Set("SIGNATURE", cred.signature)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, unavailable(method, processor.NotSent(fmt.Errorf("build request: %w", err)))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client().Do(req)
	if err != nil {
		e := scrub(err, cred)
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			e = processor.NotSent(e) // no connection: PayPal never saw it
		}
		return nil, unavailable(method, e)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, unavailable(method, scrub(err, cred))
	}
	if resp.StatusCode != http.StatusOK {
		// The body is not quoted: an endpoint that echoes the request
		// would put the credentials in our logs.
		return nil, unavailable(method, fmt.Errorf("HTTP status %d", resp.StatusCode))
	}
	values, err := decodeNVP(body)
	if err != nil {
		return nil, unavailable(method, err)
	}
	if values.Get("ACK") == "Failure" || values.Get("ACK") == "FailureWithWarning" {
		e := &apiError{method: method, code: values.Get("L_ERRORCODE0"), message: values.Get("L_LONGMESSAGE0")}
		if e.message == "" {
			e.message = values.Get("L_SHORTMESSAGE0")
		}
		e.message = scrubString(cleanMessage(e.message), cred)
		return nil, e
	}
	return values, nil
}

func (e *apiError) Error() string {
	return fmt.Sprintf("PayPal %s: error %s: %s", e.method, e.code, e.message)
}

// decodeNVP parses an NVP answer and checks that it says whether the call
// succeeded. It is the one parser of PayPal's input, fuzzed.
func decodeNVP(body []byte) (url.Values, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("the answer is not name-value pairs")
	}
	switch values.Get("ACK") {
	case "Success", "SuccessWithWarning", "Failure", "FailureWithWarning":
		return values, nil
	}
	return nil, errors.New("the answer has no ACK")
}

func unavailable(method string, err error) *pasarela.Error {
	return &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_unavailable",
		Message: "PayPal could not be asked; try again later", Err: fmt.Errorf("PayPal %s: %w", method, err)}
}

// scrub removes the credentials from an error's text. The standard
// library's errors name the URL and never the body, so this is a second
// line of defence, should an endpoint ever be configured with credentials
// in it.
func scrub(err error, cred credentials) error {
	msg := scrubString(err.Error(), cred)
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

func scrubString(s string, cred credentials) string {
	for _, secret := range []string{cred.password, cred.signature} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(secret), "[redacted]")
		}
	}
	return s
}

// cleanMessage makes PayPal's text fit to show a buyer: one line, bounded.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 255 {
		s = string(r[:255])
	}
	return s
}

// Error codes of PayPal's that mean something to the gateway. Every other
// refusal is a plain decline with PayPal's message.
var (
	// credentialCodes mean the config's credentials are wrong: not the
	// buyer's fault, so not a decline but an error the merchant must fix.
	credentialCodes = map[string]bool{"10002": true, "10008": true}
	// retryableCodes are PayPal's own trouble; the same payment may succeed
	// later or elsewhere.
	retryableCodes = map[string]bool{"10001": true, "10445": true}
)

// outcomeOf turns a call's error into the Result the core gets: PayPal's
// refusal of a payment is a decline (a Result); credentials PayPal refuses
// and calls that got no answer are errors.
func outcomeOf(err error, ref string) (processor.Result, error) {
	var e *apiError
	if !errors.As(err, &e) {
		return processor.Result{}, err
	}
	if credentialCodes[e.code] {
		return processor.Result{}, &pasarela.Error{Kind: pasarela.KindUnavailable, Code: "processor_credentials",
			Message: "PayPal refused the gateway config's API credentials", Err: e}
	}
	r := processor.Result{Outcome: processor.Declined, Ref: ref, Code: processor.CodeCardDeclined,
		Message: e.message, Retryable: retryableCodes[e.code]}
	if r.Retryable {
		r.Code = processor.CodeProcessingError
	}
	if r.Message == "" {
		r.Message = "PayPal declined the payment."
	}
	return r, nil
}

// supported are the currencies PayPal takes.
var supported = map[string]bool{
	"AUD": true, "BRL": true, "CAD": true, "CNY": true, "CZK": true, "DKK": true, "EUR": true,
	"HKD": true, "HUF": true, "ILS": true, "JPY": true, "MYR": true, "MXN": true, "TWD": true,
	"NZD": true, "NOK": true, "PHP": true, "PLN": true, "GBP": true, "RUB": true, "SGD": true,
	"SEK": true, "CHF": true, "THB": true, "USD": true,
}

// wholeOnly are currencies PayPal takes without decimals, although ISO 4217
// gives some of them a minor unit (HUF has 2).
var wholeOnly = map[string]bool{"HUF": true, "JPY": true, "TWD": true}

// formatAmount writes minor units as PayPal's AMT ("1050" EUR → "10.50").
func formatAmount(minor int64, code string) (string, error) {
	c, ok := pasarela.LookupCurrency(code)
	if !ok || !supported[c.Code] {
		return "", pasarela.Invalid("currency", "currency_unsupported", "is not a currency PayPal takes")
	}
	if wholeOnly[c.Code] && c.Scale > 0 {
		unit := int64(1)
		for range c.Scale {
			unit *= 10
		}
		if minor%unit != 0 {
			return "", pasarela.Invalid("amount", "amount", "PayPal takes whole "+c.Code+" amounts only")
		}
		return pasarela.FormatMajor(minor/unit, pasarela.Currency{Code: c.Code}), nil
	}
	return pasarela.FormatMajor(minor, c), nil
}

// parseAmount reads PayPal's AMT back into minor units.
func parseAmount(s, code string) (int64, error) {
	c, ok := pasarela.LookupCurrency(code)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", code)
	}
	return pasarela.ParseMajor("AMT", strings.ReplaceAll(s, ",", ""), c)
}
