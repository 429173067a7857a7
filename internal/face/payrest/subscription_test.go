package payrest_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// The agreement's HTML snippet is a documented response body: the
// validator reads it as a string.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(r)
		return string(b), err
	})
}

func subscriptionsPath(appID int64) string { return appPath(appID) + "/subscription" }

func subscriptionPath(appID, id int64) string {
	return subscriptionsPath(appID) + "/" + strconv.FormatInt(id, 10)
}

func subscriptionBody(fields map[string]any) map[string]any {
	return map[string]any{"subscription": fields}
}

func agreementBody(fields map[string]any) map[string]any {
	return map[string]any{"subscriptionAgreement": fields}
}

// MustCreateSubscription creates a monthly subscription of 999 EUR cents
// (fields override) and returns the 201 response.
func (e *env) MustCreateSubscription(a auth, appID int64, fields map[string]any) *resp {
	e.t.Helper()
	f := map[string]any{"amount": "999", "currency": "EUR", "interval": "month"}
	for k, v := range fields {
		f[k] = v
	}
	r := e.Do("POST", subscriptionsPath(appID), a, subscriptionBody(f))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create subscription %v: %d %s", f, r.Status, r.Body)
	}
	return r
}

// MustConfirmSubscription makes an agreement on config and confirms it
// with card number through the core's buyer API, as the page does.
func (e *env) MustConfirmSubscription(a auth, appID, subID, config int64, number string) {
	e.t.Helper()
	r := e.Do("POST", subscriptionPath(appID, subID), a, agreementBody(map[string]any{"gatewayConfig": config})).Expect(e.t, 201)
	if _, err := e.Svc.ConfirmAgreement(context.Background(), PageToken(e.t, r.JSON["url"].(string)), testCard(number)); err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
}

// TestSubscriptionAPI walks a subscription through the API: create, list,
// agreement (JSON and HTML), the buyer's confirmation, scheduled charges
// seen as payments, and the cancel.
func TestSubscriptionAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	app := e.A.AppID
	cards := e.MustSandbox(e.A, app, "Cards", nil)

	start := e.Clock.Now().Add(time.Hour).UTC().Truncate(time.Second)
	r := e.MustCreateSubscription(key.Idem("sub-1"), app, map[string]any{"description": "Premium", "clientId": "cust-42",
		"clientEmail": "ada@example.com", "startDate": start.Format(time.RFC3339), "cycles": 3})
	id := r.ID()
	if r.JSON["status"] != "pending" || r.JSON["amount"] != "999" || r.JSON["interval"] != "month" ||
		r.JSON["intervalCount"] != float64(1) || r.JSON["cycles"] != float64(3) || r.JSON["card"] != nil ||
		r.Header.Get("Location") != subscriptionPath(app, id) {
		t.Fatalf("created %s (Location %s)", r.Body, r.Header.Get("Location"))
	}
	// The same key and body replay the answer; another body is a 409.
	again := e.Do("POST", subscriptionsPath(app), key.Idem("sub-1"), subscriptionBody(map[string]any{"amount": "999",
		"currency": "EUR", "interval": "month", "description": "Premium", "clientId": "cust-42",
		"clientEmail": "ada@example.com", "startDate": start.Format(time.RFC3339), "cycles": 3})).Expect(t, 201)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.ID() != id {
		t.Fatalf("replay: %s", again.Body)
	}
	e.Do("POST", subscriptionsPath(app), key.Idem("sub-1"), subscriptionBody(map[string]any{"amount": "1",
		"currency": "EUR", "interval": "day"})).ExpectError(t, 409)
	// A plain date is midnight UTC.
	other := e.MustCreateSubscription(key, app, map[string]any{"interval": "week", "intervalCount": 2,
		"startDate": e.Clock.Now().AddDate(0, 0, 3).Format(time.DateOnly)})
	if !strings.HasSuffix(other.JSON["startDate"].(string), "T00:00:00Z") || other.JSON["cycles"] != nil {
		t.Fatalf("date-only start: %s", other.Body)
	}

	// Bad input names each field.
	for _, tc := range []struct {
		fields map[string]any
		field  string
	}{
		{map[string]any{"amount": "x", "currency": "EUR", "interval": "month"}, "amount"},
		{map[string]any{"amount": "1", "currency": "EUR"}, "interval"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "hour"}, "interval"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "startDate": "tomorrow"}, "startDate"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "cycles": 2, "endDate": "2027-01-01"}, "endDate"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "cycles": -1}, "cycles"},
		// An explicit 0 is not "absent": not unlimited cycles, not 1.
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "cycles": 0}, "cycles"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "intervalCount": 0}, "intervalCount"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "intervalCount": -2}, "intervalCount"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "period": "x"}, "period"},
		{map[string]any{"amount": "1", "currency": "EUR", "interval": "day", "gatewayConfigs": []int64{99999}}, "gatewayConfigs"},
	} {
		e.Do("POST", subscriptionsPath(app), key, subscriptionBody(tc.fields)).ExpectError(t, 400, tc.field)
	}

	// Lists: filter, sort, paging, X-Total-Count.
	l := e.MustGet(subscriptionsPath(app)+"?status=pending&sort=id_desc&limit=1", key)
	if l.Header.Get("X-Total-Count") != "2" || len(l.List) != 1 || int64(l.List[0].(map[string]any)["id"].(float64)) != other.ID() {
		t.Fatalf("list: %s %s", l.Header.Get("X-Total-Count"), l.Body)
	}
	e.Do("GET", subscriptionsPath(app)+"?status=paused", key, nil).ExpectError(t, 400, "status")
	e.Do("GET", subscriptionsPath(app)+"?sort=card_asc", key, nil).ExpectError(t, 400, "sort")

	// The agreement, as JSON and as the HTML snippet.
	ag := e.Do("POST", subscriptionPath(app, id), key, agreementBody(map[string]any{"gatewayConfig": cards,
		"returnUrl": "https://shop.example/done"})).Expect(t, 201)
	url, _ := ag.JSON["url"].(string)
	if ag.JSON["status"] != "pending" || !strings.Contains(url, "/pay/sa_") || ag.Header.Get("Location") != url ||
		Link(ag.JSON, "agreement") != url {
		t.Fatalf("agreement: %s", ag.Body)
	}
	for _, path := range []string{subscriptionPath(app, id) + "?format=html", subscriptionPath(app, id)} {
		a := key
		if !strings.Contains(path, "format") {
			a = key.Header("Accept", "text/html")
		}
		h := e.Do("POST", path, a, agreementBody(map[string]any{"gatewayConfig": cards})).Expect(t, 201)
		if !strings.HasPrefix(h.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(h.Body), `href="`+h.Header.Get("Location")+`"`) ||
			!strings.Contains(string(h.Body), "9.99 EUR every month") {
			t.Fatalf("HTML agreement: %s %s", h.Header.Get("Content-Type"), h.Body)
		}
	}
	e.Do("POST", subscriptionPath(app, id), key, agreementBody(map[string]any{})).ExpectError(t, 400, "gatewayConfig")
	e.Do("POST", subscriptionPath(app, id), key, agreementBody(map[string]any{"gatewayConfig": cards, "returnUrl": "ftp://x"})).ExpectError(t, 400, "returnUrl")
	e.Do("POST", subscriptionPath(app, id), key, map[string]any{"agreement": map[string]any{}}).ExpectError(t, 400)

	// The buyer confirms the latest agreement; the earlier ones were closed.
	e.MustConfirmSubscription(key, app, id, cards, "4242424242424242")
	d := e.MustGet(subscriptionPath(app, id), key)
	if d.JSON["status"] != "active" || d.JSON["card"].(map[string]any)["last4"] != "4242" || d.JSON["nextChargeDate"] != start.Format(time.RFC3339) {
		t.Fatalf("after confirming: %s", d.Body)
	}
	ags := d.JSON["agreements"].([]any)
	if len(ags) != 4 || ags[0].(map[string]any)["status"] != "invalidated" || ags[3].(map[string]any)["status"] != "confirmed" {
		t.Fatalf("agreements: %v", ags)
	}

	// Two cycles charged as time passes.
	e.Clock.Advance(time.Hour)
	if run, err := e.Svc.RunSubscriptions(context.Background()); err != nil || run.Paid != 1 {
		t.Fatalf("first cycle: %+v %v", run, err)
	}
	e.Clock.Advance(31 * 24 * time.Hour)
	if run, err := e.Svc.RunSubscriptions(context.Background()); err != nil || run.Paid != 1 {
		t.Fatalf("second cycle: %+v %v", run, err)
	}
	d = e.MustGet(subscriptionPath(app, id), key)
	pays := d.JSON["payments"].([]any)
	if d.JSON["cyclesPaid"] != float64(2) || len(pays) != 2 {
		t.Fatalf("after two cycles: %s", d.Body)
	}
	first := pays[0].(map[string]any)
	second := pays[1].(map[string]any)
	if first["cycleStatus"] != "paid" || first["paymentStatus"] != "completed" {
		t.Fatalf("cycle: %v", first)
	}
	p := e.MustGet(Link(second, "payment"), key)
	sub, _ := p.JSON["subscription"].(map[string]any)
	if p.JSON["type"] != "subscription" || p.JSON["status"] != "completed" || p.JSON["parentId"] != first["paymentId"] ||
		sub == nil || int64(sub["id"].(float64)) != id || sub["cycle"] != float64(2) || p.JSON["clientId"] != "cust-42" {
		t.Fatalf("cycle payment: %s", p.Body)
	}
	// The first cycle's payment lists the later ones as its children.
	fp := e.MustGet(paymentPath(app, int64(first["paymentId"].(float64))), key)
	if ch := fp.JSON["children"].([]any); len(ch) != 1 {
		t.Fatalf("children: %v", ch)
	}
	// A payment of no subscription says so.
	simple := e.MustCreatePayment(key, app, nil)
	if s := e.MustGet(paymentPath(app, simple.ID()), key); s.JSON["subscription"] != nil {
		t.Fatalf("simple payment's subscription: %s", s.Body)
	}
	// Payments of type subscription are listed with the others.
	if l := e.MustGet(paymentsPath(app)+"?status=completed", key); l.Header.Get("X-Total-Count") != "2" {
		t.Fatalf("payments list: %s", l.Body)
	}

	// Cancel: 204, then the subscription is invalidated and a second cancel is 400.
	e.Do("DELETE", subscriptionPath(app, id), key, nil).Expect(t, 204)
	e.Do("DELETE", subscriptionPath(app, id), key, nil).ExpectError(t, 400)
	if d := e.MustGet(subscriptionPath(app, id), key); d.JSON["status"] != "invalidated" || d.JSON["nextChargeDate"] != nil {
		t.Fatalf("cancelled: %s", d.Body)
	}
	e.Do("POST", subscriptionPath(app, id), key, agreementBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, 400)
	e.Clock.Advance(62 * 24 * time.Hour)
	if run, _ := e.Svc.RunSubscriptions(context.Background()); run.Claimed != 0 {
		t.Fatalf("charged after cancel: %+v", run)
	}
	e.Do("GET", subscriptionPath(app, 999999), key, nil).ExpectError(t, 404)
	e.Do("PUT", subscriptionPath(app, id), key, nil).Expect(t, 405)
}

// TestSubscriptionIsolationAPI: every subscription route refuses another
// client's credentials with 404, and a viewer may read but not write.
func TestSubscriptionIsolationAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keyA, keyB, adminB := Key(e.A.AppKey), Key(e.B.AppKey), Bearer(e.B.Token)
	app := e.A.AppID
	cards := e.MustSandbox(e.A, app, "Cards", nil)
	id := e.MustCreateSubscription(keyA, app, nil).ID()
	ag := e.Do("POST", subscriptionPath(app, id), keyA, agreementBody(map[string]any{"gatewayConfig": cards})).Expect(t, 201)
	for name, a := range map[string]auth{"B key": keyB, "B admin": adminB} {
		t.Run(name, func(t *testing.T) {
			e := e.For(t)
			e.Do("GET", subscriptionsPath(app), a, nil).ExpectError(t, 404)
			e.Do("POST", subscriptionsPath(app), a, subscriptionBody(map[string]any{"amount": "1", "currency": "EUR", "interval": "day"})).ExpectError(t, 404)
			e.Do("GET", subscriptionPath(app, id), a, nil).ExpectError(t, 404)
			e.Do("POST", subscriptionPath(app, id), a, agreementBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, 404)
			e.Do("DELETE", subscriptionPath(app, id), a, nil).ExpectError(t, 404)
			// Through B's own application, A's subscription does not exist.
			e.Do("GET", subscriptionPath(e.B.AppID, id), a, nil).ExpectError(t, 404)
			e.Do("DELETE", subscriptionPath(e.B.AppID, id), a, nil).ExpectError(t, 404)
			e.Do("POST", subscriptionPath(e.B.AppID, id), a, agreementBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, 404)
			if l := e.MustGet(subscriptionsPath(e.B.AppID), a); len(l.List) != 0 {
				t.Fatalf("B sees %s", l.Body)
			}
		})
	}
	e.MustCreateUser(e.A, "sub-viewer", "viewer")
	viewer := Bearer(e.MustLogin("sub-viewer", testPassword))
	e.MustGet(subscriptionPath(app, id), viewer)
	e.Do("POST", subscriptionsPath(app), viewer, subscriptionBody(map[string]any{"amount": "1", "currency": "EUR", "interval": "day"})).ExpectError(t, 403)
	e.Do("DELETE", subscriptionPath(app, id), viewer, nil).ExpectError(t, 403)
	e.Do("POST", subscriptionPath(app, id), viewer, agreementBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, 403)
	e.Do("GET", subscriptionsPath(app), NoAuth, nil).ExpectError(t, 401)
	// Nothing changed for A.
	d := e.MustGet(subscriptionPath(app, id), keyA)
	if d.JSON["status"] != "pending" || len(d.JSON["agreements"].([]any)) != 1 ||
		d.JSON["agreements"].([]any)[0].(map[string]any)["url"] != ag.JSON["url"] {
		t.Fatalf("A's subscription: %s", d.Body)
	}
}

// oaSubscriptions drives every subscription operation for the OpenAPI test.
func oaSubscriptions(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	e.MustCreateUser(e.A, "oa-sub-viewer", "viewer")
	viewer := Bearer(e.MustLogin("oa-sub-viewer", testPassword))
	app := e.A.AppID
	cards := e.MustSandbox(e.A, app, "OA sub cards", nil)
	list := subscriptionsPath(app)
	form := subscriptionBody(map[string]any{"amount": "999", "currency": "EUR", "interval": "month", "cycles": 2,
		"description": "OA plan", "clientId": "c-1", "clientEmail": "ada@example.com", "gatewayConfigs": []int64{cards}})
	x := s.do(oaJSON("POST", list, key, form, 201, oaReqValid))
	id := int64(x.JSON(t)["id"].(float64))
	one := subscriptionPath(app, id)
	s.do(oaJSON("POST", list, admin, subscriptionBody(map[string]any{"amount": "5", "currency": "USD", "interval": "day",
		"endDate": e.Clock.Now().AddDate(0, 1, 0).Format(time.DateOnly)}), 201, oaReqValid))
	s.do(oaJSON("POST", list, key, subscriptionBody(map[string]any{"amount": "5", "currency": "EUR"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, subscriptionBody(map[string]any{"amount": "5", "currency": "EUR", "interval": "hour"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, subscriptionBody(map[string]any{"amount": "5", "currency": "XXX", "interval": "day"}), 400, oaReqValid))
	s.do(oaJSON("POST", list, nil, form, 401, oaReqInvalid))
	s.do(oaJSON("POST", list, viewer, form, 403, oaReqValid))
	s.do(oaJSON("POST", subscriptionsPath(e.B.AppID), key, form, 404, oaReqValid))
	c := oaJSON("POST", list, key.Idem("oa-sub"), form, 201, oaReqValid)
	s.do(c)
	c = oaJSON("POST", list, key.Idem("oa-sub"), subscriptionBody(map[string]any{"amount": "1", "currency": "EUR", "interval": "day"}), 409, oaReqValid)
	s.do(c)
	s.do(oaJSON("POST", list, key, oaBig("subscription", "description"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: list, Auth: key, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	s.do(oaJSON("GET", list+"?limit=10&sort=nextChargeDate_desc&status=pending", viewer, nil, 200, oaReqValid))
	s.do(oaJSON("GET", list+"?sort=card", key, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", subscriptionsPath(e.B.AppID), key, nil, 404, oaReqValid))

	agree := agreementBody(map[string]any{"gatewayConfig": cards, "returnUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/no"})
	s.do(oaJSON("POST", one+"?format=html", key, agree, 201, oaReqValid))
	x = s.do(oaJSON("POST", one, admin, agree, 201, oaReqValid))
	s.do(oaJSON("POST", one, key, agreementBody(map[string]any{}), 400, oaReqInvalid))
	s.do(oaJSON("POST", one, key, agreementBody(map[string]any{"gatewayConfig": 999999}), 400, oaReqValid))
	s.do(oaJSON("POST", one, nil, agree, 401, oaReqInvalid))
	s.do(oaJSON("POST", one, viewer, agree, 403, oaReqValid))
	s.do(oaJSON("POST", subscriptionPath(app, 999999), key, agree, 404, oaReqValid))
	s.do(oaJSON("POST", one, key, oaBig("subscriptionAgreement", "returnUrl"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: one, Auth: key, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	// Confirmed and charged, so the detail and the cycle payment show it all.
	if _, err := e.Svc.ConfirmAgreement(context.Background(), PageToken(t, x.JSON(t)["url"].(string)), testCard("4242424242424242")); err != nil {
		t.Fatal(err)
	}
	if run, err := e.Svc.RunSubscriptions(context.Background()); err != nil || run.Paid < 1 {
		t.Fatalf("run: %+v %v", run, err)
	}
	d := s.do(oaJSON("GET", one, key, nil, 200, oaReqValid)).JSON(t)
	pay := d["payments"].([]any)[0].(map[string]any)
	s.do(oaJSON("GET", Link(pay, "payment"), key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", one, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", subscriptionPath(app, 999999), key, nil, 404, oaReqValid))

	s.do(oaJSON("DELETE", one, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", one, viewer, nil, 403, oaReqValid))
	s.do(oaJSON("DELETE", one, admin, nil, 204, oaReqValid))
	s.do(oaJSON("DELETE", one, admin, nil, 400, oaReqValid))
	s.do(oaJSON("DELETE", subscriptionPath(app, 999999), admin, nil, 404, oaReqValid))

	for _, c := range []oaCall{
		oaJSON("PUT", list, key, nil, 405, oaReqValid),
		oaJSON("PATCH", one, key, nil, 405, oaReqValid),
	} {
		if x := s.do(c); x.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", x.Label)
		}
	}
}

// TestAgreementCreateIdempotent: a retried agreement with the same
// Idempotency-Key answers the first agreement, whose link the buyer may
// already hold, instead of replacing it; in JSON and as the HTML snippet.
func TestAgreementCreateIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	cards := e.MustSandbox(e.A, e.A.AppID, "Cards", nil)
	sub := e.MustCreateSubscription(key, e.A.AppID, nil).ID()
	body := agreementBody(map[string]any{"gatewayConfig": cards})
	first := e.Do("POST", subscriptionPath(e.A.AppID, sub), key.Idem("agr-1"), body).Expect(t, http.StatusCreated)
	again := e.Do("POST", subscriptionPath(e.A.AppID, sub), key.Idem("agr-1"), body).Expect(t, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.JSON["url"] != first.JSON["url"] ||
		again.Header.Get("Location") != first.JSON["url"] {
		t.Fatalf("replay %s, first %s", again.Body, first.Body)
	}
	html := e.Do("POST", subscriptionPath(e.A.AppID, sub)+"?format=html", key.Idem("agr-1"), body).Expect(t, http.StatusCreated)
	if !strings.Contains(string(html.Body), first.JSON["url"].(string)) || html.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("HTML replay: %s", html.Body)
	}
	// The first agreement's page still opens: nothing replaced it.
	if _, err := e.Svc.OpenAgreement(context.Background(), PageToken(t, first.JSON["url"].(string))); err != nil {
		t.Fatalf("the first agreement after its retries: %v", err)
	}
	e.Do("POST", subscriptionPath(e.A.AppID, sub), key.Idem("agr-1"), agreementBody(map[string]any{"gatewayConfig": cards,
		"returnUrl": "https://shop.example/other"})).ExpectError(t, http.StatusConflict)
}
