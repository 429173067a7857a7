package payrest

import (
	"net/http/httptest"
	"testing"
)

// FuzzSubscriptionForm feeds Subscription_Form bodies through the decoder
// and the form's own reading (amounts, dates, cycles): whatever arrives, the
// answer is the form's input or an invalid-kind error naming a field, never
// a panic. It also drives wantsHTML with arbitrary Accept headers.
func FuzzSubscriptionForm(f *testing.F) {
	for _, seed := range []string{
		`{"subscription":{"amount":"999","currency":"EUR","interval":"month","startDate":"2026-01-31","cycles":12}}`,
		`{"subscription":{"amount":"1","currency":"EUR","interval":"day","endDate":"2026-01-31T10:00:00+02:00"}}`,
		`{"subscription":{"amount":"-1","startDate":"31/01/2026","cycles":-3,"intervalCount":1e3}}`,
		`{"subscription":{"amount":null,"gatewayConfigs":[1,"x"]}}`,
		`{"subscription":[]}`,
	} {
		f.Add(seed, "text/html;q=0.9, application/json")
	}
	f.Fuzz(func(t *testing.T, body, accept string) {
		var form subscriptionForm
		if err := decodeEnvelope([]byte(body), "subscription", &form); err != nil {
			requireInvalid(t, body, err)
			return
		}
		in, err := form.input()
		if requireInvalid(t, body, err) == nil && (in.StartDate != nil && in.StartDate.IsZero()) {
			t.Fatalf("%q: a zero start date was read", body)
		}
		r := httptest.NewRequest("POST", "/application/1/subscription/1", nil)
		r.Header.Set("Accept", accept)
		_ = wantsHTML(r)
	})
}
