package payrest_test

import (
	"strconv"
	"strings"
	"testing"
)

// TestCoreErrorsInPayRESTWords: the core reports fields in its own names
// and the face's table renames them, so a PayREST client reads its own
// names: in the errors map, and in the messages that name another field.
// A field the client sent that PayREST does not know is named as sent, even
// when it spells one of the core's names.
func TestCoreErrorsInPayRESTWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	app := e.A.AppID
	hook := e.MustCreateWebhook(key, app, nil)
	sub := func(fields map[string]any) map[string]any {
		f := map[string]any{"amount": "1", "currency": "EUR", "interval": "day"}
		for k, v := range fields {
			f[k] = v
		}
		return subscriptionBody(f)
	}
	tests := []struct {
		name, method, path string
		body               any
		field              string
		message            string // the whole message, when the table words it
	}{
		{"customer id", "POST", subscriptionsPath(app), sub(map[string]any{"clientId": strings.Repeat("c", 201)}),
			"clientId", ""},
		{"interval count", "POST", subscriptionsPath(app), sub(map[string]any{"intervalCount": -1}), "intervalCount", ""},
		{"cycles out of range", "POST", subscriptionsPath(app), sub(map[string]any{"cycles": 10001}),
			"cycles", "must be between 1 and 10000 (absent: until endDate or cancelled)"},
		{"cycles and an end", "POST", subscriptionsPath(app), sub(map[string]any{"cycles": 2, "endDate": "2030-01-01"}),
			"endDate", "give cycles or endDate, not both"},
		{"an end before the start", "POST", subscriptionsPath(app),
			sub(map[string]any{"startDate": e.Clock.Now().AddDate(0, 0, 5).Format("2006-01-02"), "endDate": e.Clock.Now().AddDate(0, 0, 2).Format("2006-01-02")}),
			"endDate", "must not be before startDate"},
		{"delivery filter", "GET", webhookPath(app, hook.ID()) + "/deliveries?eventId=" + strings.Repeat("e", 65), nil,
			"eventId", ""},
		{"an unknown field spelled as the core's", "POST", subscriptionsPath(app), sub(map[string]any{"customer_id": "c"}),
			"customer_id", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).Do(tc.method, tc.path, key, tc.body).ExpectError(t, 400, tc.field)
			if tc.message == "" {
				return
			}
			if msgs := r.FieldErrors(tc.field); len(msgs) != 1 || msgs[0] != tc.message {
				t.Errorf("errors.%s %q, want [%q]", tc.field, msgs, tc.message)
			}
			if r.JSON["message"] != tc.message {
				t.Errorf("message %q, want %q", r.JSON["message"], tc.message)
			}
		})
	}
}

// TestSortInPayRESTWords: lists sort by PayREST's names, which the face
// turns into the core's; a refused sort is told in PayREST's names, and a
// core name PayREST spells otherwise is refused as the unknown name it is
// here.
func TestSortInPayRESTWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	app := e.A.AppID
	e.MustCreateWebhook(key, app, nil)
	e.MustGet(webhooksPath(app)+"?sort=targetEntity_desc,createdAt", key)
	tests := []struct {
		name, path string
		auth       auth
		message    string
	}{
		{"unknown field", paymentsPath(app) + "?sort=card_asc", key,
			"cannot sort by 'card'; sortable fields: amount, completionDate, createdAt, currency, id, status"},
		{"a PayREST field another list sorts by", subscriptionsPath(app) + "?sort=completionDate", key,
			"cannot sort by 'completionDate'; sortable fields: amount, createdAt, currency, id, interval, nextChargeDate, startDate, status"},
		{"the core's name of targetEntity", webhooksPath(app) + "?sort=entity_asc", key,
			"cannot sort by 'entity'; sortable fields: createdAt, id, method, targetEntity"},
		{"the operations detail", "/stats/operations/detail?sort=amount_desc", Bearer(e.A.Token),
			"the detail is ordered by completionDate, then id, and cannot be sorted otherwise"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).Do("GET", tc.path, tc.auth, nil).ExpectError(t, 400, "sort")
			if msgs := r.FieldErrors("sort"); len(msgs) != 1 || msgs[0] != tc.message {
				t.Errorf("errors.sort %q, want [%q]", msgs, tc.message)
			}
		})
	}
}

// TestNoGatewayInPayRESTWords: a payment or subscription no enabled config
// can take is refused with PayREST's route to configure one, which the core
// leaves to the face.
func TestNoGatewayInPayRESTWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	app := e.A.AppID
	route := "configure one with POST /application/" + strconv.FormatInt(app, 10) + "/gateway"
	for _, tc := range []struct {
		name, path string
		body       any
		message    string
	}{
		{"payment", paymentsPath(app), paymentBody(map[string]any{"amount": "10", "currency": "EUR"}),
			"no enabled gateway config can take this payment; " + route},
		{"subscription", subscriptionsPath(app), subscriptionBody(map[string]any{"amount": "1", "currency": "EUR", "interval": "day"}),
			"no enabled card gateway config can store a card for this subscription; " + route},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.For(t).Do("POST", tc.path, key, tc.body).ExpectError(t, 400, "gatewayConfigs")
			if msgs := r.FieldErrors("gatewayConfigs"); len(msgs) != 1 || msgs[0] != tc.message || r.JSON["message"] != tc.message {
				t.Errorf("message %q, errors %q, want %q", r.JSON["message"], msgs, tc.message)
			}
		})
	}
}
