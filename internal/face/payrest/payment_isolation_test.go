package payrest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// paymentsSnapshot is what a tenant sees of its gateway configs, payments
// and refunds, read with its own credentials.
func (e *env) paymentsSnapshot(a auth, appID int64, configs, payments []int64) []string {
	e.t.Helper()
	out := []string{
		string(e.MustGet(gatewaysPath(appID)+"?limit=100", a).Body),
		string(e.MustGet(paymentsPath(appID)+"?limit=100", a).Body),
		string(e.MustGet("/gateway", a).Body),
		string(e.MustGet("/gateway/sandbox", a).Body),
		string(e.MustGet("/gateway/paypal_express_checkout", a).Body),
	}
	for _, id := range configs {
		out = append(out, string(e.MustGet(gatewayPath(appID, id), a).Body))
	}
	for _, id := range payments {
		out = append(out, string(e.MustGet(paymentPath(appID, id), a).Body), string(e.MustGet(paymentPath(appID, id)+"/refund", a).Body))
	}
	return out
}

// isolationRoute is one request at another tenant's (or application's) data.
type isolationRoute struct {
	method, path string
	body         any
	// own: the path names the caller's own application, with the other's
	// resource id; a caller that may not write there at all is refused
	// (403) before the id is looked at, which tells it nothing.
	own bool
	// configWrite: a gateway config change, which only admins may make.
	configWrite bool
}

// routesAt lists every payment and gateway config route at the resources
// of application app (configs cfg and cfg2, payments paid and pending).
func routesAt(app, cfg, paid, pending int64, own bool) []isolationRoute {
	gw, pay, pend := gatewayPath(app, cfg), paymentPath(app, paid), paymentPath(app, pending)
	form := gatewayBody(map[string]any{"gateway": "sandbox", "name": "pwned", "weight": 1000})
	rs := []isolationRoute{
		{method: "GET", path: gw},
		{method: "PUT", path: gw, body: form, configWrite: true},
		{method: "PATCH", path: gw, body: gatewayBody(map[string]any{"enabled": false}), configWrite: true},
		{method: "DELETE", path: gw, configWrite: true},
		{method: "GET", path: pay},
		{method: "GET", path: pend},
		{method: "POST", path: pend, body: linkBody(map[string]any{"gatewayConfig": cfg})},
		{method: "DELETE", path: pend},
		{method: "DELETE", path: pay},
		{method: "GET", path: pay + "/refund"},
		{method: "POST", path: pay + "/refund", body: refundBody(map[string]any{})},
		{method: "POST", path: pay + "/refund", body: refundBody(map[string]any{"amount": "1"})},
		{method: "POST", path: pend + "/capture"},
		{method: "POST", path: pay + "/capture"},
	}
	if !own {
		rs = append(rs,
			isolationRoute{method: "GET", path: gatewaysPath(app)},
			isolationRoute{method: "GET", path: gatewaysPath(app) + "?filter=sandbox&sort=name_desc"},
			isolationRoute{method: "POST", path: gatewaysPath(app), body: form, configWrite: true},
			isolationRoute{method: "GET", path: paymentsPath(app)},
			isolationRoute{method: "GET", path: paymentsPath(app) + "?status=completed"},
			isolationRoute{method: "POST", path: paymentsPath(app), body: paymentBody(map[string]any{"amount": "100", "currency": "EUR"})},
		)
	}
	for i := range rs {
		rs[i].own = own
	}
	return rs
}

// want is the status caller (an admin, a viewer or an application key)
// gets at rt.
func (rt isolationRoute) want(caller string) int {
	if !rt.own || rt.method == "GET" {
		return http.StatusNotFound
	}
	switch {
	case caller == "viewer":
		return http.StatusForbidden
	case caller == "key" && rt.configWrite:
		return http.StatusForbidden
	}
	return http.StatusNotFound
}

// TestPaymentTenantIsolation: no credential of tenant A reads or changes
// tenant B's gateway configs, payments, links or refunds, through B's
// application or through its own.
func TestPaymentTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bKey := Key(e.B.AppKey)
	bCfg := e.MustSandbox(e.B, e.B.AppID, "B cards", map[string]any{"capture": "automatic"})
	bPP := e.MustPayPalConfig(e.B, e.B.AppID, "B wallet")
	bPaid := e.MustCreatePayment(bKey, e.B.AppID, map[string]any{"clientId": "b-customer", "gatewayConfigs": []int64{bCfg}})
	e.MustPayPayment(bKey, e.B.AppID, bPaid, cardOK)
	e.Do("POST", paymentPath(e.B.AppID, bPaid.ID())+"/refund", bKey, refundBody(map[string]any{"amount": "100"})).Expect(t, http.StatusCreated)
	bPending := e.MustCreatePayment(bKey, e.B.AppID, map[string]any{"capture": "manual"})
	e.Do("POST", paymentPath(e.B.AppID, bPending.ID()), bKey, linkBody(map[string]any{"gatewayConfig": bCfg})).Expect(t, http.StatusCreated)
	bHeld := e.MustCreatePayment(bKey, e.B.AppID, map[string]any{"capture": "manual"})
	e.MustPayPayment(bKey, e.B.AppID, bHeld, cardOK) // authorized, to capture

	// A has its own, so that its application path exists with data.
	aCfg := e.MustSandbox(e.A, e.A.AppID, "A cards", nil)
	aPaid := e.MustCreatePayment(Key(e.A.AppKey), e.A.AppID, nil)
	e.MustPayPayment(Key(e.A.AppKey), e.A.AppID, aPaid, cardOK)
	e.MustCreateUser(e.A, "iso-viewer", "viewer")

	callers := []struct {
		name, kind string
		a          auth
	}{
		{"A admin token", "admin", Bearer(e.A.Token)},
		{"A application key", "key", Key(e.A.AppKey)},
		{"A viewer token", "viewer", Bearer(e.MustLogin("iso-viewer", testPassword))},
	}
	var routes []isolationRoute
	routes = append(routes, routesAt(e.B.AppID, bCfg, bPaid.ID(), bPending.ID(), false)...)
	routes = append(routes, routesAt(e.B.AppID, bPP, bHeld.ID(), bHeld.ID(), false)...)
	routes = append(routes, routesAt(e.A.AppID, bCfg, bPaid.ID(), bPending.ID(), true)...)
	routes = append(routes, routesAt(e.A.AppID, bPP, bHeld.ID(), bHeld.ID(), true)...)

	bAdmin := Bearer(e.B.Token)
	bConfigs, bPayments := []int64{bCfg, bPP}, []int64{bPaid.ID(), bPending.ID(), bHeld.ID()}
	before := e.paymentsSnapshot(bAdmin, e.B.AppID, bConfigs, bPayments)
	for _, c := range callers {
		for _, rt := range routes {
			t.Run(c.name+" "+rt.method+" "+rt.path, func(t *testing.T) {
				a := c.a
				if rt.method == "POST" && strings.HasSuffix(rt.path, "/refund") {
					a = a.Idem("iso-" + c.kind) // an idempotent retry must not reach B's either
				}
				e.For(t).Do(rt.method, rt.path, a, rt.body).ExpectError(t, rt.want(c.kind))
			})
		}
	}

	t.Run("lists show only the caller's own", func(t *testing.T) {
		e := e.For(t)
		for _, c := range callers {
			r := e.MustGet(paymentsPath(e.A.AppID)+"?limit=100", c.a)
			if ids := r.IDs(); !slices.Equal(ids, []int64{aPaid.ID()}) {
				t.Errorf("%s lists payments %v", c.name, ids)
			}
			for _, q := range []string{"?client_id=b-customer", "?transaction_id=" + bPaid.JSON["transactionId"].(string)} {
				if r := e.MustGet(paymentsPath(e.A.AppID)+q, c.a); len(r.List) != 0 || r.Header.Get("X-Total-Count") != "0" {
					t.Errorf("%s finds B's payment with %s", c.name, q)
				}
			}
			if ids := e.MustGet(gatewaysPath(e.A.AppID)+"?limit=100", c.a).IDs(); !slices.Equal(ids, []int64{aCfg}) {
				t.Errorf("%s lists configs %v", c.name, ids)
			}
			code := e.MustGet(gatewayPath(e.B.AppID, bCfg), bAdmin).JSON["code"].(string)
			if r := e.MustGet(gatewaysPath(e.A.AppID)+"?filter="+code, c.a); len(r.List) != 0 {
				t.Errorf("%s finds B's config by its code", c.name)
			}
			list := e.MustGet("/gateway", c.a)
			if n := catalogEntry(t, list, "paypal_express_checkout")["instances"]; n != float64(0) {
				t.Errorf("%s counts %v PayPal configs", c.name, n)
			}
			if n := catalogEntry(t, list, "sandbox")["instances"]; n != float64(1) {
				t.Errorf("%s counts %v sandbox configs", c.name, n)
			}
			one := e.MustGet("/gateway/sandbox", c.a)
			for _, inst := range one.JSON["configuredInstances"].([]any) {
				if id := int64(inst.(map[string]any)["id"].(float64)); id != aCfg {
					t.Errorf("%s sees config %d in the catalog", c.name, id)
				}
			}
		}
	})
	t.Run("A cannot route its payments to B's configs", func(t *testing.T) {
		e := e.For(t)
		admin := Bearer(e.A.Token)
		e.Do("POST", paymentsPath(e.A.AppID), admin, paymentBody(map[string]any{"amount": "100", "currency": "EUR",
			"gatewayConfigs": []int64{bCfg}})).ExpectError(t, http.StatusBadRequest, "gatewayConfigs")
		e.Do("POST", paymentPath(e.A.AppID, aPaid.ID()), admin, linkBody(map[string]any{"gatewayConfig": bCfg})).
			ExpectError(t, http.StatusBadRequest)
		p := e.MustCreatePayment(admin, e.A.AppID, nil)
		e.Do("POST", paymentPath(e.A.AppID, p.ID()), admin, linkBody(map[string]any{"gatewayConfig": bPP})).
			ExpectError(t, http.StatusBadRequest, "gatewayConfig")
	})
	t.Run("B is unchanged", func(t *testing.T) {
		e := e.For(t)
		after := e.paymentsSnapshot(bAdmin, e.B.AppID, bConfigs, bPayments)
		for i := range before {
			if after[i] != before[i] {
				t.Errorf("B's data changed:\nbefore %s\nafter  %s", before[i], after[i])
			}
		}
		// B's configs still work: B's pending payment is paid through its link's config.
		d := e.MustPayPayment(bKey, e.B.AppID, bPending, cardOK)
		if d.JSON["status"] != "authorized" {
			t.Errorf("B's payment: %v", d.JSON["status"])
		}
		e.Do("POST", paymentPath(e.B.AppID, bHeld.ID())+"/capture", bKey, nil).Expect(t, http.StatusOK)
	})
}

// TestPaymentApplicationKeyScope: an application key reaches only its own
// application's configs and payments, even among its client's others.
func TestPaymentApplicationKeyScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	yID, yKey := e.MustCreateApp(admin, "Y")
	y := Key(yKey)
	yCfg := e.MustSandbox(e.A, yID, "Y cards", nil)
	yPaid := e.MustCreatePayment(y, yID, map[string]any{"clientId": "shared-customer"})
	e.MustPayPayment(y, yID, yPaid, cardOK)
	e.Do("POST", paymentPath(yID, yPaid.ID())+"/refund", y, refundBody(map[string]any{"amount": "10"})).Expect(t, http.StatusCreated)
	yPending := e.MustCreatePayment(y, yID, map[string]any{"clientId": "shared-customer"})
	xCfg := e.MustSandbox(e.A, e.A.AppID, "X cards", nil)
	x := Key(e.A.AppKey)
	xPay := e.MustCreatePayment(x, e.A.AppID, map[string]any{"clientId": "shared-customer"})

	before := e.paymentsSnapshot(admin, yID, []int64{yCfg}, []int64{yPaid.ID(), yPending.ID()})
	var routes []isolationRoute
	routes = append(routes, routesAt(yID, yCfg, yPaid.ID(), yPending.ID(), false)...)
	routes = append(routes, routesAt(e.A.AppID, yCfg, yPaid.ID(), yPending.ID(), true)...)
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			e.For(t).Do(rt.method, rt.path, x, rt.body).ExpectError(t, rt.want("key"))
		})
	}
	t.Run("X sees its own", func(t *testing.T) {
		e := e.For(t)
		r := e.MustGet(paymentsPath(e.A.AppID)+"?client_id=shared-customer", x)
		if !slices.Equal(r.IDs(), []int64{xPay.ID()}) || r.Header.Get("X-Total-Count") != "1" {
			t.Errorf("X lists %v", r.IDs())
		}
		if ids := e.MustGet(gatewaysPath(e.A.AppID), x).IDs(); !slices.Equal(ids, []int64{xCfg}) {
			t.Errorf("X lists configs %v", ids)
		}
		e.Do("POST", paymentsPath(e.A.AppID), x, paymentBody(map[string]any{"amount": "100", "currency": "EUR",
			"gatewayConfigs": []int64{yCfg}})).ExpectError(t, http.StatusBadRequest, "gatewayConfigs")
		// The client's admin sees both applications' payments.
		if r := e.MustGet(paymentsPath(yID)+"?client_id=shared-customer", admin); r.Header.Get("X-Total-Count") != "2" {
			t.Errorf("Y's payments for the admin: %s", r.Header.Get("X-Total-Count"))
		}
	})
	t.Run("Y is unchanged", func(t *testing.T) {
		e := e.For(t)
		after := e.paymentsSnapshot(admin, yID, []int64{yCfg}, []int64{yPaid.ID(), yPending.ID()})
		for i := range before {
			if after[i] != before[i] {
				t.Errorf("Y's data changed:\nbefore %s\nafter  %s", before[i], after[i])
			}
		}
	})
}
