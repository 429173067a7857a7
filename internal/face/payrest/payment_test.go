package payrest_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	cardOK       = "4242424242424242"
	cardDeclined = "4000000000000002"
	card3DS      = "4000002760003184"
)

var transactionIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{17}$`)

// rfc3339 formats a time as a payment form takes it.
func rfc3339(t time.Time) string { return t.Format(time.RFC3339Nano) }

// TestPaymentCreate: POST /application/{a}/payment with every field of the
// form, what the answer shows, and what it refuses.
func TestPaymentCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	cards := e.MustSandbox(e.A, e.A.AppID, "Cards", nil)
	wallet := e.MustPayPalConfig(e.A, e.A.AppID, "Wallet")
	off := e.MustCreateGatewayConfig(e.A, e.A.AppID, map[string]any{"gateway": "sandbox", "name": "Off", "enabled": false}).ID()
	yID, _ := e.MustCreateApp(admin, "Y")
	yCards := e.MustSandbox(e.A, yID, "Y cards", nil)
	bCards := e.MustSandbox(e.B, e.B.AppID, "B cards", nil)
	now := e.Clock.Now()

	t.Run("every field", func(t *testing.T) {
		e := e.For(t)
		expires := now.Add(48 * time.Hour).In(time.FixedZone("CEST", 2*3600))
		r := e.Do("POST", paymentsPath(e.A.AppID), admin, paymentBody(map[string]any{
			"amount": "12345", "currency": "eur", "description": "Order 42", "clientId": "cust-42",
			"clientEmail": "buyer@example.com", "gatewayConfigs": []int64{cards, wallet}, "flags": []string{"vip", "web"},
			"askForClientDetails": true, "type": "simple", "capture": "manual", "returnUrl": "https://shop.example.com/ok",
			"cancelUrl": "https://shop.example.com/ko?x=1", "language": "ES", "expiresAt": rfc3339(expires),
			"metadata": map[string]string{"order": "A-42", "channel": "web"},
		})).Expect(t, http.StatusCreated)
		id := r.ID()
		self := paymentPath(e.A.AppID, id)
		want := map[string]any{
			"id": id, "status": "pending", "type": "simple", "amount": "12345", "currency": "EUR",
			"capturedAmount": "0", "refundedAmount": "0", "description": "Order 42", "clientId": "cust-42",
			"clientEmail": "buyer@example.com", "flags": []string{"vip", "web"}, "askForClientDetails": "true",
			"gatewayConfigs": []int64{cards, wallet}, "gatewayConfig": nil, "card": nil, "failure": nil, "parentId": 0,
			"returnUrl": "https://shop.example.com/ok", "cancelUrl": "https://shop.example.com/ko?x=1", "language": "es",
			"metadata": map[string]string{"order": "A-42", "channel": "web"}, "expiresAt": "2026-03-03T12:00:00Z",
			"completionDate": nil, "createdAt": "2026-03-01T12:00:00Z", "updatedAt": "2026-03-01T12:00:00Z",
			"subscription": nil,
		}
		for k, v := range want {
			if !jsonEqual(r.JSON[k], v) {
				t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
			}
		}
		if tx, _ := r.JSON["transactionId"].(string); !transactionIDPattern.MatchString(tx) {
			t.Errorf("transactionId %q", tx)
		}
		if r.Header.Get("Location") != self {
			t.Errorf("Location %q, want %q", r.Header.Get("Location"), self)
		}
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a first answer says Idempotent-Replayed")
		}
		if Link(r.JSON, "self") != self || Link(r.JSON, "refunds") != self+"/refund" {
			t.Errorf("links %v", r.JSON["links"])
		}
		if pay := Link(r.JSON, "payment"); !strings.HasPrefix(pay, e.URL+"/pay/") {
			t.Errorf("the payment link %q is not an absolute URL of the hosted page", pay)
		}
		for _, k := range []string{"paymentLinks", "children", "refunds"} {
			if _, ok := r.JSON[k]; ok {
				t.Errorf("the created payment shows %s", k)
			}
		}
		if len(r.JSON) != len(want)+2 { // + transactionId, links
			t.Errorf("%d fields, want %d: %s", len(r.JSON), len(want)+2, r.Body)
		}
		// The detail is the same payment, with what hangs from it.
		d := e.MustGet(self, admin)
		for k, v := range r.JSON {
			if !jsonEqual(d.JSON[k], v) {
				t.Errorf("GET: %s = %v, created %v", k, d.JSON[k], v)
			}
		}
		for _, k := range []string{"paymentLinks", "children", "refunds"} {
			if l, ok := d.JSON[k].([]any); !ok || len(l) != 0 {
				t.Errorf("GET: %s = %v, want []", k, d.JSON[k])
			}
		}
	})

	minimal := []struct {
		name string
		form map[string]any
		want map[string]any
	}{
		{"amount and currency", map[string]any{"amount": "1", "currency": "EUR"},
			map[string]any{"amount": "1", "type": "simple", "language": "en", "gatewayConfigs": []int64{}, "askForClientDetails": "false",
				"flags": []string{}, "metadata": map[string]string{}, "expiresAt": nil, "description": "", "clientId": ""}},
		{"a currency without decimals", map[string]any{"amount": "1500", "currency": "JPY"}, map[string]any{"amount": "1500", "currency": "JPY"}},
		{"askForClientDetails as PayREST writes it", map[string]any{"amount": "100", "currency": "USD", "askForClientDetails": "true"},
			map[string]any{"askForClientDetails": "true"}},
		{"PayREST's type name", map[string]any{"amount": "100", "currency": "EUR", "type": "Simple."}, map[string]any{"type": "simple"}},
		{"the largest amount", map[string]any{"amount": "999999999999999", "currency": "EUR"}, map[string]any{"amount": "999999999999999"}},
		{"capture automatic", map[string]any{"amount": "100", "currency": "EUR", "capture": "automatic"}, map[string]any{"status": "pending"}},
		{"empty optional fields", map[string]any{"amount": "100", "currency": "EUR", "returnUrl": "", "clientEmail": "", "flags": []string{},
			"gatewayConfigs": []int64{}, "metadata": map[string]string{}, "expiresAt": ""}, map[string]any{"returnUrl": "", "expiresAt": nil}},
		{"a key sends it", map[string]any{"amount": "100", "currency": "EUR"}, map[string]any{"status": "pending"}},
	}
	for _, tc := range minimal {
		t.Run(tc.name, func(t *testing.T) {
			a := admin
			if tc.name == "a key sends it" {
				a = Key(e.A.AppKey)
			}
			r := e.For(t).Do("POST", paymentsPath(e.A.AppID), a, paymentBody(tc.form)).Expect(t, http.StatusCreated)
			for k, v := range tc.want {
				if !jsonEqual(r.JSON[k], v) {
					t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
				}
			}
		})
	}

	invalid := []struct {
		name   string
		form   map[string]any
		fields []string
	}{
		{"decimal amount", map[string]any{"amount": "10.50"}, []string{"amount"}},
		{"negative amount", map[string]any{"amount": "-5"}, []string{"amount"}},
		{"amount as a number", map[string]any{"amount": 100}, []string{"amount"}},
		{"empty amount", map[string]any{"amount": ""}, []string{"amount"}},
		{"null amount", map[string]any{"amount": nil}, []string{"amount"}},
		{"zero amount", map[string]any{"amount": "0"}, []string{"amount"}},
		{"amount with spaces", map[string]any{"amount": " 100"}, []string{"amount"}},
		{"amount in exponent form", map[string]any{"amount": "1e3"}, []string{"amount"}},
		{"amount too large", map[string]any{"amount": "99999999999999999999"}, []string{"amount"}},
		{"unknown currency", map[string]any{"currency": "XXY"}, []string{"currency"}},
		{"crypto currency", map[string]any{"currency": "BTC"}, []string{"currency"}},
		{"no currency", map[string]any{"currency": ""}, []string{"currency"}},
		{"numeric currency", map[string]any{"currency": 978}, []string{"currency"}},
		{"bad email", map[string]any{"clientEmail": "not-an-email"}, []string{"clientEmail"}},
		{"email with a display name", map[string]any{"clientEmail": "Buyer <b@example.com>"}, []string{"clientEmail"}},
		{"returnUrl not http", map[string]any{"returnUrl": "ftp://shop.example.com/ok"}, []string{"returnUrl"}},
		{"relative returnUrl", map[string]any{"returnUrl": "/ok"}, []string{"returnUrl"}},
		{"cancelUrl javascript", map[string]any{"cancelUrl": "javascript:alert(1)"}, []string{"cancelUrl"}},
		{"expiresAt in the past", map[string]any{"expiresAt": rfc3339(now.Add(-time.Minute))}, []string{"expiresAt"}},
		{"expiresAt now", map[string]any{"expiresAt": rfc3339(now)}, []string{"expiresAt"}},
		{"expiresAt a date", map[string]any{"expiresAt": "2026-12-31"}, []string{"expiresAt"}},
		{"expiresAt in words", map[string]any{"expiresAt": "tomorrow"}, []string{"expiresAt"}},
		{"unknown gateway config", map[string]any{"gatewayConfigs": []int64{999999}}, []string{"gatewayConfigs"}},
		{"another application's config", map[string]any{"gatewayConfigs": []int64{cards, yCards}}, []string{"gatewayConfigs"}},
		{"another client's config", map[string]any{"gatewayConfigs": []int64{bCards}}, []string{"gatewayConfigs"}},
		{"only a disabled config", map[string]any{"gatewayConfigs": []int64{off}}, []string{"gatewayConfigs"}},
		{"config ids as strings", map[string]any{"gatewayConfigs": []string{"1"}}, []string{"gatewayConfigs"}},
		{"subscription type", map[string]any{"type": "subscription"}, []string{"type"}},
		{"unknown type", map[string]any{"type": "recurring"}, []string{"type"}},
		{"unknown capture", map[string]any{"capture": "later"}, []string{"capture"}},
		{"unknown language", map[string]any{"language": "xx"}, []string{"language"}},
		{"too many flags", map[string]any{"flags": strings.Split(strings.Repeat("f,", 21)[:41], ",")}, []string{"flags"}},
		{"a blank flag", map[string]any{"flags": []string{"ok", " "}}, []string{"flags"}},
		{"a flag of two lines", map[string]any{"flags": []string{"a\nb"}}, []string{"flags"}},
		{"too much metadata", map[string]any{"metadata": manyKeys(51)}, []string{"metadata"}},
		{"a long metadata key", map[string]any{"metadata": map[string]string{strings.Repeat("k", 41): "v"}}, []string{"metadata"}},
		{"a long metadata value", map[string]any{"metadata": map[string]string{"k": strings.Repeat("v", 501)}}, []string{"metadata"}},
		{"metadata not strings", map[string]any{"metadata": map[string]any{"n": 1}}, []string{"metadata"}},
		{"askForClientDetails maybe", map[string]any{"askForClientDetails": "maybe"}, []string{"askForClientDetails"}},
		{"long description", map[string]any{"description": strings.Repeat("d", 1001)}, []string{"description"}},
		{"long clientId", map[string]any{"clientId": strings.Repeat("c", 201)}, []string{"clientId"}},
		{"unknown field", map[string]any{"customer": "x"}, []string{"customer"}},
		{"a response-only field", map[string]any{"status": "completed"}, []string{"status"}},
		{"several at once", map[string]any{"currency": "BTC", "clientEmail": "x", "language": "xx"}, []string{"currency", "clientEmail", "language"}},
		{"several of the form's own", map[string]any{"amount": "1.5", "expiresAt": "soon"}, []string{"amount", "expiresAt"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			f := map[string]any{"amount": "1000", "currency": "EUR"}
			for k, v := range tc.form {
				f[k] = v
			}
			e.For(t).Do("POST", paymentsPath(e.A.AppID), admin, paymentBody(f)).ExpectError(t, http.StatusBadRequest, tc.fields...)
		})
	}
	t.Run("no amount at all", func(t *testing.T) {
		e.For(t).Do("POST", paymentsPath(e.A.AppID), admin, paymentBody(map[string]any{"currency": "EUR"})).
			ExpectError(t, http.StatusBadRequest, "amount")
	})
	t.Run("bodies that are not a payment", func(t *testing.T) {
		e := e.For(t)
		e.Do("POST", paymentsPath(e.A.AppID), admin, map[string]any{"order": map[string]any{"amount": "1"}}).ExpectError(t, http.StatusBadRequest, "order")
		e.Do("POST", paymentsPath(e.A.AppID), admin, `{"payment":[]}`).ExpectError(t, http.StatusBadRequest, "payment")
		e.Do("POST", paymentsPath(e.A.AppID), admin, `{"payment":{"amount":"1"}} {}`).ExpectError(t, http.StatusBadRequest, "body")
		e.Raw("POST", paymentsPath(e.A.AppID), admin, "", []byte(`{"payment":{}}`)).ExpectError(t, http.StatusUnsupportedMediaType)
	})
	t.Run("an application without an enabled gateway config", func(t *testing.T) {
		e := e.For(t)
		zID, _ := e.MustCreateApp(admin, "Z")
		r := e.Do("POST", paymentsPath(zID), admin, paymentBody(map[string]any{"amount": "100", "currency": "EUR"})).
			ExpectError(t, http.StatusBadRequest, "gatewayConfigs")
		if msg := r.FieldErrors("gatewayConfigs"); len(msg) == 0 || !strings.Contains(msg[0], "/application/"+strconv.FormatInt(zID, 10)+"/gateway") {
			t.Errorf("the message does not say how to configure one: %v", msg)
		}
		e.MustCreateGatewayConfig(e.A, zID, map[string]any{"gateway": "sandbox", "name": "Off", "enabled": false})
		e.Do("POST", paymentsPath(zID), admin, paymentBody(map[string]any{"amount": "100", "currency": "EUR"})).
			ExpectError(t, http.StatusBadRequest, "gatewayConfigs")
	})
	t.Run("nothing refused was created", func(t *testing.T) {
		r := e.For(t).MustGet(paymentsPath(e.A.AppID), admin)
		if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(1+len(minimal)) {
			t.Errorf("X-Total-Count %s, want %d", got, 1+len(minimal))
		}
	})
}

func manyKeys(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["k"+strconv.Itoa(i)] = "v"
	}
	return m
}

// TestPaymentList: the filters, paging, X-Total-Count and sortable fields of
// GET /application/{a}/payment, over payments in every state.
func TestPaymentList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	e.MustSandbox(e.A, e.A.AppID, "Cards", nil)
	app := e.A.AppID
	create := func(amount, currency, client string) *resp {
		e.Clock.Advance(time.Second) // distinct createdAt
		return e.MustCreatePayment(admin, app, map[string]any{"amount": amount, "currency": currency, "clientId": client})
	}
	p1 := create("500", "EUR", "alice") // paid
	p2 := create("1500", "EUR", "bob")  // pending
	p3 := create("200", "USD", "alice") // cancelled
	p4 := create("900", "EUR", "carol") // declined: still pending
	p5 := create("700", "GBP", "bob")   // 3-D Secure: pending to the merchant
	p6 := create("300", "EUR", "alice") // paid, then refunded
	e.Clock.Advance(time.Second)
	e.MustPayPayment(admin, app, p1, cardOK)
	e.Do("DELETE", paymentPath(app, p3.ID()), admin, nil).Expect(t, http.StatusNoContent)
	e.MustPayPayment(admin, app, p4, cardDeclined)
	if d := e.MustPayPayment(admin, app, p5, card3DS); d.JSON["status"] != "pending" {
		t.Fatalf("a payment waiting for 3-D Secure shows %v", d.JSON["status"])
	}
	e.Clock.Advance(time.Second)
	e.MustPayPayment(admin, app, p6, cardOK)
	e.Do("POST", paymentPath(app, p6.ID())+"/refund", admin, refundBody(map[string]any{})).Expect(t, http.StatusCreated)
	// B's and another application's payments are never listed.
	e.MustSandbox(e.B, e.B.AppID, "B", nil)
	e.MustCreatePayment(Bearer(e.B.Token), e.B.AppID, map[string]any{"clientId": "alice"})
	id := func(rs ...*resp) []int64 {
		out := []int64{}
		for _, r := range rs {
			out = append(out, r.ID())
		}
		return out
	}
	tx := p2.JSON["transactionId"].(string)

	tests := []struct {
		name  string
		query string
		want  []int64
		total int
	}{
		{"all", "", id(p1, p2, p3, p4, p5, p6), 6},
		{"paging", "?limit=2&offset=2", id(p3, p4), 6},
		{"past the end", "?offset=6", id(), 6},
		{"completed", "?status=completed", id(p1), 1},
		{"pending, with those waiting for the buyer", "?status=pending", id(p2, p4, p5), 3},
		{"invalidated", "?status=invalidated", id(p3), 1},
		{"refunded", "?status=refunded", id(p6), 1},
		{"a status nobody has", "?status=expired", id(), 0},
		{"client_id", "?client_id=alice", id(p1, p3, p6), 3},
		{"client_id is exact", "?client_id=ali", id(), 0},
		{"transaction_id", "?transaction_id=" + tx, id(p2), 1},
		{"transaction_id of another case", "?transaction_id=" + strings.ToLower(tx) + "x", id(), 0},
		{"status and client", "?status=pending&client_id=bob", id(p2, p5), 2},
		{"filter and paging", "?client_id=alice&limit=1&offset=1", id(p3), 3},
		{"amount desc", "?sort=amount_desc", id(p2, p4, p5, p1, p6, p3), 6},
		{"amount asc, page", "?sort=amount_asc&limit=3", id(p3, p6, p1), 6},
		{"currency then amount desc", "?sort=currency,amount_desc", id(p2, p4, p1, p6, p5, p3), 6},
		// The order is the core's status names': a payment waiting for 3-D
		// Secure shows pending but sorts as requires_action.
		{"status", "?sort=status_asc,id_desc", id(p1, p3, p4, p2, p6, p5), 6},
		{"createdAt desc", "?sort=createdAt_desc", id(p6, p5, p4, p3, p2, p1), 6},
		{"id desc", "?sort=id_DESC&limit=2", id(p6, p5), 6},
		{"completionDate: the unfinished last", "?sort=completionDate_asc", id(p1, p6, p2, p3, p4, p5), 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range []auth{admin, Key(e.A.AppKey)} {
				r := e.For(t).MustGet(paymentsPath(app)+tc.query, a)
				if r.List == nil {
					t.Fatalf("not an array: %s", r.Body)
				}
				if got := r.IDs(); !slices.Equal(got, tc.want) {
					t.Errorf("ids %v, want %v", got, tc.want)
				}
				if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(tc.total) {
					t.Errorf("X-Total-Count %s, want %d", got, tc.total)
				}
				for _, item := range r.List {
					m := item.(map[string]any)
					for _, k := range []string{"paymentLinks", "children", "refunds"} {
						if _, ok := m[k]; ok {
							t.Errorf("a list item shows %s", k)
						}
					}
				}
			}
		})
	}
	// A cursor pages by key: following each page's Link rel="next"
	// walks every payment once, in either direction, with the filters
	// kept; the last page (shorter than its limit) has no Link.
	for _, c := range []struct {
		name, query string
		want        []int64
	}{
		{"cursor pages", "?limit=2", id(p1, p2, p3, p4, p5, p6)},
		{"cursor pages backwards", "?limit=4&sort=id_desc", id(p6, p5, p4, p3, p2, p1)},
		{"cursor keeps the filter", "?limit=1&status=pending", id(p2, p4, p5)},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			var got []int64
			next := paymentsPath(app) + c.query
			for pages := 0; next != ""; pages++ {
				if pages > len(c.want)+1 {
					t.Fatalf("more pages than payments: %v", got)
				}
				r := e.MustGet(next, Key(e.A.AppKey))
				got = append(got, r.IDs()...)
				if n := r.Header.Get("X-Total-Count"); n != strconv.Itoa(len(c.want)) {
					t.Errorf("X-Total-Count %s, want %d", n, len(c.want))
				}
				next = ""
				if link := r.Header.Get("Link"); link != "" {
					target, ok := strings.CutSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
					if !ok || !strings.Contains(target, "cursor=") {
						t.Fatalf("Link %q", link)
					}
					next = target
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("ids %v, want %v", got, c.want)
			}
		})
	}
	t.Run("a cursor past the end", func(t *testing.T) {
		r := e.For(t).MustGet(paymentsPath(app)+"?cursor="+strconv.FormatInt(p6.ID(), 10), admin)
		if len(r.IDs()) != 0 || r.Header.Get("Link") != "" || r.Header.Get("X-Total-Count") != "6" {
			t.Errorf("ids %v, Link %q, X-Total-Count %s", r.IDs(), r.Header.Get("Link"), r.Header.Get("X-Total-Count"))
		}
	})
	t.Run("no Link for an order a cursor cannot page", func(t *testing.T) {
		r := e.For(t).MustGet(paymentsPath(app)+"?limit=2&sort=amount_asc", admin)
		if l := r.Header.Get("Link"); l != "" {
			t.Errorf("Link %q", l)
		}
	})

	t.Run("statuses as listed", func(t *testing.T) {
		r := e.For(t).MustGet(paymentsPath(app), admin)
		want := []string{"completed", "pending", "invalidated", "pending", "pending", "refunded"}
		for i, item := range r.List {
			if st := item.(map[string]any)["status"]; st != want[i] {
				t.Errorf("payment %d: status %v, want %s", r.IDs()[i], st, want[i])
			}
		}
		declined := r.List[3].(map[string]any)
		if f, _ := declined["failure"].(map[string]any); f == nil || f["code"] != "card_declined" || f["message"] == "" {
			t.Errorf("the declined payment's failure: %v", declined["failure"])
		}
		if c, _ := declined["card"].(map[string]any); c == nil || c["last4"] != "0002" || c["brand"] != "visa" {
			t.Errorf("the declined payment's card: %v", declined["card"])
		}
		if strings.Contains(string(r.Body), cardOK) || strings.Contains(string(r.Body), cardDeclined) {
			t.Errorf("a card number is shown: %s", r.Body)
		}
	})

	bad := []struct{ name, query, field string }{
		{"unknown status", "?status=paid", "status"},
		{"status in another case", "?status=COMPLETED", "status"},
		{"sort by description", "?sort=description_asc", "sort"},
		{"sort by clientId", "?sort=clientId", "sort"},
		{"sort by SQL", "?sort=amount%3Bdrop", "sort"},
		{"sort direction", "?sort=amount_sideways", "sort"},
		{"limit 0", "?limit=0", "limit"},
		{"limit 101", "?limit=101", "limit"},
		{"limit not a number", "?limit=x", "limit"},
		{"negative offset", "?offset=-3", "offset"},
		{"long client_id", "?client_id=" + strings.Repeat("c", 201), "client_id"},
		{"long transaction_id", "?transaction_id=" + strings.Repeat("t", 65), "transaction_id"},
		{"cursor not a number", "?cursor=abc", "cursor"},
		{"cursor 0", "?cursor=0", "cursor"},
		{"negative cursor", "?cursor=-5", "cursor"},
		{"cursor and offset", "?cursor=1&offset=2", "cursor"},
		{"cursor and another sort", "?cursor=1&sort=amount_asc", "cursor"},
		{"cursor and two sort keys", "?cursor=1&sort=id_asc,amount_asc", "cursor"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("GET", paymentsPath(app)+tc.query, admin, nil).ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
	t.Run("unknown applications", func(t *testing.T) {
		e := e.For(t)
		e.Do("GET", paymentsPath(999999), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("GET", "/application/0/payment", admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("GET", paymentPath(app, 999999), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("GET", paymentsPath(app)+"/abc", admin, nil).ExpectError(t, http.StatusNotFound)
	})
}

// TestPaymentCancel: DELETE invalidates a payment nobody has paid, and its
// links; anything else cannot become invalidated.
func TestPaymentCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	app := e.A.AppID
	cards := e.MustSandbox(e.A, app, "Cards", nil)
	e.MustCreateUser(e.A, "cancel-viewer", "viewer")
	e.MustCreateUser(e.A, "cancel-terminal", "terminal")
	viewer := Bearer(e.MustLogin("cancel-viewer", testPassword))
	terminal := Bearer(e.MustLogin("cancel-terminal", testPassword))
	ctx := context.Background()

	t.Run("a pending payment and its link", func(t *testing.T) {
		e := e.For(t)
		p := e.MustCreatePayment(admin, app, nil)
		path := paymentPath(app, p.ID())
		l := e.Do("POST", path, admin, linkBody(map[string]any{"gatewayConfig": cards})).Expect(t, http.StatusCreated)
		e.Do("DELETE", path, viewer, nil).ExpectError(t, http.StatusForbidden)
		r := e.Do("DELETE", path, admin, nil).Expect(t, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("204 with a body %s", r.Body)
		}
		d := e.MustGet(path, admin)
		if d.JSON["status"] != "invalidated" {
			t.Errorf("status %v", d.JSON["status"])
		}
		if links := d.JSON["paymentLinks"].([]any); len(links) != 1 || links[0].(map[string]any)["status"] != "invalidated" {
			t.Errorf("paymentLinks %v", d.JSON["paymentLinks"])
		}
		again := e.Do("DELETE", path, admin, nil).ExpectError(t, http.StatusBadRequest)
		if msg := again.JSON["message"].(string); !strings.Contains(msg, "cannot apply 'invalidated'") {
			t.Errorf("message %q", msg)
		}
		// Nobody can pay it any more, on its page or through its link.
		for _, tok := range []string{PageToken(t, Link(p.JSON, "payment")), PageToken(t, l.JSON["url"].(string))} {
			if _, err := e.Svc.PayWithCard(ctx, tok, testCard(cardOK)); err == nil {
				t.Errorf("a cancelled payment was paid through %s", tok)
			}
		}
		if d := e.MustGet(path, admin); d.JSON["status"] != "invalidated" || d.JSON["capturedAmount"] != "0" {
			t.Errorf("after paying attempts: %v %v", d.JSON["status"], d.JSON["capturedAmount"])
		}
	})
	t.Run("a terminal user and a key may cancel", func(t *testing.T) {
		e := e.For(t)
		for _, a := range []auth{terminal, Key(e.A.AppKey)} {
			p := e.MustCreatePayment(admin, app, nil)
			e.Do("DELETE", paymentPath(app, p.ID()), a, nil).Expect(t, http.StatusNoContent)
		}
	})
	t.Run("a payment waiting for 3-D Secure", func(t *testing.T) {
		e := e.For(t)
		p := e.MustCreatePayment(admin, app, nil)
		e.MustPayPayment(admin, app, p, card3DS)
		e.Do("DELETE", paymentPath(app, p.ID()), admin, nil).Expect(t, http.StatusNoContent)
		if _, err := e.Svc.ResumeCheckout(ctx, PageToken(t, Link(p.JSON, "payment")), true); err == nil {
			t.Errorf("a cancelled payment resumed")
		}
		if d := e.MustGet(paymentPath(app, p.ID()), admin); d.JSON["status"] != "invalidated" {
			t.Errorf("status %v", d.JSON["status"])
		}
	})
	t.Run("an authorization is released", func(t *testing.T) {
		e := e.For(t)
		p := e.MustCreatePayment(admin, app, map[string]any{"capture": "manual"})
		if d := e.MustPayPayment(admin, app, p, cardOK); d.JSON["status"] != "authorized" {
			t.Fatalf("status %v", d.JSON["status"])
		}
		e.Do("DELETE", paymentPath(app, p.ID()), admin, nil).Expect(t, http.StatusNoContent)
		if d := e.MustGet(paymentPath(app, p.ID()), admin); d.JSON["status"] != "invalidated" || d.JSON["capturedAmount"] != "0" {
			t.Errorf("status %v captured %v", d.JSON["status"], d.JSON["capturedAmount"])
		}
		e.Do("POST", paymentPath(app, p.ID())+"/capture", admin, nil).ExpectError(t, http.StatusBadRequest)
	})
	for _, tc := range []struct {
		name string
		card string
		then func(e *env, path string)
	}{
		{"a completed payment", cardOK, nil},
		{"a refunded payment", cardOK, func(e *env, path string) {
			e.Do("POST", path+"/refund", admin, refundBody(map[string]any{})).Expect(e.t, http.StatusCreated)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.For(t)
			p := e.MustCreatePayment(admin, app, nil)
			path := paymentPath(app, p.ID())
			e.MustPayPayment(admin, app, p, tc.card)
			if tc.then != nil {
				tc.then(e, path)
			}
			before := e.MustGet(path, admin).Body
			r := e.Do("DELETE", path, admin, nil).ExpectError(t, http.StatusBadRequest)
			if msg := r.JSON["message"].(string); !strings.Contains(msg, "cannot apply 'invalidated'") {
				t.Errorf("message %q", msg)
			}
			if after := e.MustGet(path, admin).Body; string(after) != string(before) {
				t.Errorf("a refused cancel changed the payment")
			}
		})
	}
	t.Run("unknown payments", func(t *testing.T) {
		e := e.For(t)
		e.Do("DELETE", paymentPath(app, 999999), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("DELETE", paymentsPath(app)+"/x", admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("DELETE", paymentPath(999999, 1), admin, nil).ExpectError(t, http.StatusNotFound)
	})
}

// TestPaymentCapture: a payment held for a later capture is authorized when
// paid, and POST …/capture takes the money.
func TestPaymentCapture(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	app := e.A.AppID
	e.MustSandbox(e.A, app, "Cards", nil)
	e.MustCreateUser(e.A, "cap-viewer", "viewer")
	viewer := Bearer(e.MustLogin("cap-viewer", testPassword))

	p := e.MustCreatePayment(admin, app, map[string]any{"capture": "manual", "amount": "2599"})
	path := paymentPath(app, p.ID())
	e.Do("POST", path+"/capture", admin, nil).ExpectError(t, http.StatusBadRequest) // nobody has paid yet
	d := e.MustPayPayment(admin, app, p, cardOK)
	if d.JSON["status"] != "authorized" || d.JSON["capturedAmount"] != "0" || d.JSON["completionDate"] != nil {
		t.Fatalf("after paying: status %v captured %v completionDate %v", d.JSON["status"], d.JSON["capturedAmount"], d.JSON["completionDate"])
	}
	e.Do("POST", path+"/refund", admin, refundBody(map[string]any{})).ExpectError(t, http.StatusBadRequest) // nothing captured
	e.Do("POST", path+"/capture", viewer, nil).ExpectError(t, http.StatusForbidden)
	e.Clock.Advance(time.Minute)
	r := e.Do("POST", path+"/capture", Key(e.A.AppKey), nil).Expect(t, http.StatusOK)
	if r.JSON["status"] != "completed" || r.JSON["capturedAmount"] != "2599" || r.JSON["completionDate"] != "2026-03-01T12:01:00Z" {
		t.Errorf("captured: status %v captured %v completionDate %v", r.JSON["status"], r.JSON["capturedAmount"], r.JSON["completionDate"])
	}
	if r.Header.Get("Location") != "" {
		t.Errorf("a capture answers Location %q", r.Header.Get("Location"))
	}
	if got := e.MustGet(path, Key(e.A.AppKey)); got.JSON["status"] != "completed" || got.JSON["updatedAt"] != r.JSON["updatedAt"] {
		t.Errorf("GET after capture: %v %v", got.JSON["status"], got.JSON["updatedAt"])
	}
	again := e.Do("POST", path+"/capture", Key(e.A.AppKey), nil).ExpectError(t, http.StatusBadRequest)
	if msg := again.JSON["message"].(string); !strings.Contains(msg, "cannot capture") {
		t.Errorf("message %q", msg)
	}

	t.Run("the config's default", func(t *testing.T) {
		e := e.For(t)
		held := e.MustSandbox(e.A, app, "Held", map[string]any{"capture": "manual"})
		key := Key(e.A.AppKey)
		p := e.MustCreatePayment(key, app, map[string]any{"gatewayConfigs": []int64{held}})
		if d := e.MustPayPayment(key, app, p, cardOK); d.JSON["status"] != "authorized" {
			t.Fatalf("status %v", d.JSON["status"])
		}
		e.Do("POST", paymentPath(app, p.ID())+"/capture", key, nil).Expect(t, http.StatusOK)
		// The payment's own choice wins over the config's.
		p = e.MustCreatePayment(key, app, map[string]any{"gatewayConfigs": []int64{held}, "capture": "automatic"})
		if d := e.MustPayPayment(key, app, p, cardOK); d.JSON["status"] != "completed" {
			t.Errorf("status %v", d.JSON["status"])
		}
	})
	t.Run("unknown payments", func(t *testing.T) {
		e := e.For(t)
		key := Key(e.A.AppKey)
		e.Do("POST", paymentPath(app, 999999)+"/capture", key, nil).ExpectError(t, http.StatusNotFound)
		e.Do("GET", path+"/capture", key, nil).ExpectError(t, http.StatusMethodNotAllowed)
	})
}

// TestPaymentIdempotency: a creating POST with an Idempotency-Key is done
// once; its answer is replayed to the same request and refused to another.
func TestPaymentIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	app := e.A.AppID
	e.MustSandbox(e.A, app, "Cards", nil)
	form := paymentBody(map[string]any{"amount": "4200", "currency": "EUR", "clientId": "idem"})

	first := e.Do("POST", paymentsPath(app), admin.Idem("order-1"), form).Expect(t, http.StatusCreated)
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the first answer is marked replayed")
	}
	e.Clock.Advance(time.Minute)
	key := Key(e.A.AppKey) // any credentials of the application
	second := e.Do("POST", paymentsPath(app), key.Idem("order-1"), form).Expect(t, http.StatusCreated)
	if second.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed %q", second.Header.Get("Idempotent-Replayed"))
	}
	if string(second.Body) != string(first.Body) {
		t.Errorf("replayed:\n%s\nfirst:\n%s", second.Body, first.Body)
	}
	if second.Header.Get("Location") != first.Header.Get("Location") || second.Header.Get("Content-Type") != "application/json" {
		t.Errorf("replayed headers %v", second.Header)
	}
	list := func() *resp { return e.MustGet(paymentsPath(app)+"?client_id=idem", key) }
	if r := list(); r.Header.Get("X-Total-Count") != "1" {
		t.Errorf("%s payments after a replay", r.Header.Get("X-Total-Count"))
	}

	t.Run("the same key with another body", func(t *testing.T) {
		e := e.For(t)
		other := paymentBody(map[string]any{"amount": "4300", "currency": "EUR", "clientId": "idem"})
		r := e.Do("POST", paymentsPath(app), key.Idem("order-1"), other).ExpectError(t, http.StatusConflict)
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a conflict is marked replayed")
		}
		// The same JSON written differently is another request too.
		e.Do("POST", paymentsPath(app), key.Idem("order-1"), `{"payment":{"currency":"EUR","amount":"4200","clientId":"idem"}}`).
			ExpectError(t, http.StatusConflict)
		if r := list(); r.Header.Get("X-Total-Count") != "1" {
			t.Errorf("%s payments", r.Header.Get("X-Total-Count"))
		}
	})
	t.Run("keys are per application and per client", func(t *testing.T) {
		e := e.For(t)
		yID, yKey := e.MustCreateApp(Bearer(e.A.Token), "Y")
		e.MustSandbox(e.A, yID, "Y cards", nil)
		r := e.Do("POST", paymentsPath(yID), Key(yKey).Idem("order-1"), form).Expect(t, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "" || r.ID() == first.ID() {
			t.Errorf("Y got A's payment")
		}
		e.MustSandbox(e.B, e.B.AppID, "B cards", nil)
		r = e.Do("POST", paymentsPath(e.B.AppID), Key(e.B.AppKey).Idem("order-1"), form).Expect(t, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "" || r.ID() == first.ID() {
			t.Errorf("B got A's payment")
		}
	})
	t.Run("a later state is not replayed: the first answer is", func(t *testing.T) {
		e := e.For(t)
		e.MustPayPayment(key, app, first, cardOK)
		r := e.Do("POST", paymentsPath(app), key.Idem("order-1"), form).Expect(t, http.StatusCreated)
		if string(r.Body) != string(first.Body) || r.JSON["status"] != "pending" {
			t.Errorf("replayed %s", r.Body)
		}
	})
	t.Run("a refused request does not use the key", func(t *testing.T) {
		e := e.For(t)
		e.Do("POST", paymentsPath(app), key.Idem("order-2"), paymentBody(map[string]any{"amount": "1.5", "currency": "EUR"})).
			ExpectError(t, http.StatusBadRequest, "amount")
		r := e.Do("POST", paymentsPath(app), key.Idem("order-2"), form).Expect(t, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("replayed after a refusal")
		}
	})
	t.Run("within a day it is still replayed", func(t *testing.T) {
		e := e.For(t)
		e.Clock.Advance(23 * time.Hour)
		r := e.Do("POST", paymentsPath(app), key.Idem("order-1"), form).Expect(t, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "true" || r.ID() != first.ID() {
			t.Errorf("after 23 h: replayed %q id %d", r.Header.Get("Idempotent-Replayed"), r.ID())
		}
	})

	invalid := []struct{ name, key string }{
		{"spaces", "order 1"},
		{"300 characters", strings.Repeat("k", 300)},
		{"not ASCII", "pedido-ñ"},
		{"a tab", "a\tb"},
	}
	for _, tc := range invalid {
		t.Run("invalid key: "+tc.name, func(t *testing.T) {
			e := e.For(t)
			e.Do("POST", paymentsPath(app), key.Idem(tc.key), form).ExpectError(t, http.StatusBadRequest, "Idempotency-Key")
		})
	}
	t.Run("255 characters is a key", func(t *testing.T) {
		e.For(t).Do("POST", paymentsPath(app), key.Idem(strings.Repeat("k", 255)), form).Expect(t, http.StatusCreated)
	})
}

// TestPaymentLinks: POST /application/{a}/payment/{id} {"paymentLink":{…}}
// makes a link bound to one of the payment's gateway configs.
func TestPaymentLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey) // access tokens would expire as the clock moves
	admin := Bearer(e.A.Token)
	app := e.A.AppID
	cards := e.MustSandbox(e.A, app, "Cards", nil)
	wallet := e.MustPayPalConfig(e.A, app, "Wallet")
	other := e.MustSandbox(e.A, app, "Other cards", nil)
	off := e.MustCreateGatewayConfig(e.A, app, map[string]any{"gateway": "sandbox", "name": "Off", "enabled": false}).ID()
	bCards := e.MustSandbox(e.B, e.B.AppID, "B cards", nil)
	now := e.Clock.Now()
	ctx := context.Background()

	p := e.MustCreatePayment(key, app, map[string]any{"gatewayConfigs": []int64{cards, wallet, off}})
	path := paymentPath(app, p.ID())

	l1 := e.Do("POST", path, key, linkBody(map[string]any{"gatewayConfig": cards, "returnUrl": "https://shop.example.com/ok",
		"cancelUrl": "https://shop.example.com/ko", "expiresAt": rfc3339(now.Add(2 * time.Hour))})).Expect(t, http.StatusCreated)
	want := map[string]any{"status": "active", "gatewayConfig": cards, "returnUrl": "https://shop.example.com/ok",
		"cancelUrl": "https://shop.example.com/ko", "expiresAt": "2026-03-01T14:00:00Z", "createdAt": "2026-03-01T12:00:00Z"}
	for k, v := range want {
		if !jsonEqual(l1.JSON[k], v) {
			t.Errorf("link: %s = %v, want %v", k, l1.JSON[k], v)
		}
	}
	url1, _ := l1.JSON["url"].(string)
	if !strings.HasPrefix(url1, e.URL+"/pay/") || url1 == Link(p.JSON, "payment") || Link(l1.JSON, "payment") != url1 {
		t.Errorf("link url %q, links %v", url1, l1.JSON["links"])
	}
	l2 := e.Do("POST", path, admin, linkBody(map[string]any{"gatewayConfig": wallet})).Expect(t, http.StatusCreated)
	if l2.JSON["expiresAt"] != "2026-03-02T12:00:00Z" || l2.JSON["returnUrl"] != "" {
		t.Errorf("a link lives 24 h by default: %s", l2.Body)
	}
	if l2.ID() == l1.ID() || l2.JSON["url"] == url1 {
		t.Errorf("two links, one url")
	}

	invalid := []struct {
		name   string
		body   any
		fields []string
	}{
		{"a config the payment does not allow", linkBody(map[string]any{"gatewayConfig": other}), []string{"gatewayConfig"}},
		{"a disabled config", linkBody(map[string]any{"gatewayConfig": off}), []string{"gatewayConfig"}},
		{"another client's config", linkBody(map[string]any{"gatewayConfig": bCards}), []string{"gatewayConfig"}},
		{"an unknown config", linkBody(map[string]any{"gatewayConfig": 999999}), []string{"gatewayConfig"}},
		{"no config", linkBody(map[string]any{"returnUrl": "https://shop.example.com/ok"}), []string{"gatewayConfig"}},
		{"the config as a string", linkBody(map[string]any{"gatewayConfig": strconv.FormatInt(cards, 10)}), []string{"gatewayConfig"}},
		{"a bad returnUrl", linkBody(map[string]any{"gatewayConfig": cards, "returnUrl": "shop"}), []string{"returnUrl"}},
		{"a bad cancelUrl", linkBody(map[string]any{"gatewayConfig": cards, "cancelUrl": "mailto:x@example.com"}), []string{"cancelUrl"}},
		{"expiresAt in the past", linkBody(map[string]any{"gatewayConfig": cards, "expiresAt": rfc3339(now.Add(-time.Second))}), []string{"expiresAt"}},
		{"expiresAt not a time", linkBody(map[string]any{"gatewayConfig": cards, "expiresAt": "soon"}), []string{"expiresAt"}},
		{"PayREST's other name for it", linkBody(map[string]any{"gatewayConfig": cards, "expiration": "2026-03-02T00:00:00Z"}), []string{"expiration"}},
		{"a payment form", paymentBody(map[string]any{"amount": "1"}), []string{"payment"}},
		{"no body", `{}`, []string{"paymentLink"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("POST", path, key, tc.body).ExpectError(t, http.StatusBadRequest, tc.fields...)
		})
	}
	t.Run("a link never outlives its payment", func(t *testing.T) {
		e := e.For(t)
		q := e.MustCreatePayment(key, app, map[string]any{"expiresAt": rfc3339(now.Add(time.Hour))})
		l := e.Do("POST", paymentPath(app, q.ID()), key, linkBody(map[string]any{"gatewayConfig": other,
			"expiresAt": rfc3339(now.Add(5 * time.Hour))})).Expect(t, http.StatusCreated)
		if l.JSON["expiresAt"] != "2026-03-01T13:00:00Z" {
			t.Errorf("expiresAt %v", l.JSON["expiresAt"])
		}
	})
	t.Run("roles", func(t *testing.T) {
		e := e.For(t)
		e.MustCreateUser(e.A, "link-viewer", "viewer")
		e.MustCreateUser(e.A, "link-terminal", "terminal")
		e.Do("POST", path, Bearer(e.MustLogin("link-viewer", testPassword)), linkBody(map[string]any{"gatewayConfig": cards})).
			ExpectError(t, http.StatusForbidden)
		e.Do("POST", path, Bearer(e.MustLogin("link-terminal", testPassword)), linkBody(map[string]any{"gatewayConfig": cards})).
			Expect(t, http.StatusCreated)
	})

	t.Run("the detail lists the links; an expired one shows expired", func(t *testing.T) {
		e := e.For(t)
		e.Clock.Advance(3 * time.Hour)
		d := e.MustGet(path, key)
		links := d.JSON["paymentLinks"].([]any)
		var statuses []string
		for _, l := range links {
			statuses = append(statuses, l.(map[string]any)["status"].(string))
		}
		if len(links) < 2 || links[0].(map[string]any)["id"] != l1.JSON["id"] || statuses[0] != "expired" || statuses[1] != "active" {
			t.Fatalf("paymentLinks %v", statuses)
		}
		if _, err := e.Svc.PayWithCard(ctx, PageToken(t, url1), testCard(cardOK)); err == nil {
			t.Errorf("an expired link took a payment")
		}
		if d := e.MustGet(path, key); d.JSON["status"] != "pending" {
			t.Errorf("status %v", d.JSON["status"])
		}
	})
	t.Run("paid through a link", func(t *testing.T) {
		e := e.For(t)
		l := e.Do("POST", path, key, linkBody(map[string]any{"gatewayConfig": cards})).Expect(t, http.StatusCreated)
		e.MustPay(PageToken(t, l.JSON["url"].(string)), cardOK)
		d := e.MustGet(path, key)
		if d.JSON["status"] != "completed" || d.JSON["gatewayConfig"] != float64(cards) {
			t.Errorf("status %v gatewayConfig %v", d.JSON["status"], d.JSON["gatewayConfig"])
		}
		for _, x := range d.JSON["paymentLinks"].([]any) {
			m := x.(map[string]any)
			if m["id"] == l.JSON["id"] && m["status"] != "used" {
				t.Errorf("the link paid through is %v", m["status"])
			}
			if m["status"] == "active" {
				t.Errorf("link %v is still active on a paid payment", m["id"])
			}
		}
		// A paid payment takes no more links.
		r := e.Do("POST", path, key, linkBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, http.StatusBadRequest)
		if msg := r.JSON["message"].(string); !strings.Contains(msg, "links are not allowed") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("a cancelled payment takes no links", func(t *testing.T) {
		e := e.For(t)
		q := e.MustCreatePayment(key, app, nil)
		e.Do("DELETE", paymentPath(app, q.ID()), key, nil).Expect(t, http.StatusNoContent)
		r := e.Do("POST", paymentPath(app, q.ID()), key, linkBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, http.StatusBadRequest)
		if msg := r.JSON["message"].(string); !strings.Contains(msg, "links are not allowed") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("a payment past its expiry takes no links", func(t *testing.T) {
		e := e.For(t)
		q := e.MustCreatePayment(key, app, map[string]any{"expiresAt": rfc3339(e.Clock.Now().Add(time.Hour))})
		e.Clock.Advance(2 * time.Hour)
		r := e.Do("POST", paymentPath(app, q.ID()), key, linkBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, http.StatusBadRequest)
		if msg := r.JSON["message"].(string); !strings.Contains(msg, "links are not allowed") {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("unknown payments", func(t *testing.T) {
		e := e.For(t)
		e.Do("POST", paymentPath(app, 999999), key, linkBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, http.StatusNotFound)
		e.Do("PUT", path, key, linkBody(map[string]any{"gatewayConfig": cards})).ExpectError(t, http.StatusMethodNotAllowed)
	})
}

// TestRefunds: full and partial refunds of a paid payment, their limits,
// their list, and an idempotent retry.
func TestRefunds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	key := Key(e.A.AppKey)
	app := e.A.AppID
	e.MustSandbox(e.A, app, "Cards", nil)
	paid := func(t *testing.T, amount string) (string, *resp) {
		t.Helper()
		e := e.For(t)
		p := e.MustCreatePayment(key, app, map[string]any{"amount": amount})
		if d := e.MustPayPayment(key, app, p, cardOK); d.JSON["status"] != "completed" {
			t.Fatalf("status %v", d.JSON["status"])
		}
		return paymentPath(app, p.ID()), p
	}
	status := func(t *testing.T, path string) (string, string) {
		t.Helper()
		d := e.For(t).MustGet(path, key)
		return d.JSON["status"].(string), d.JSON["refundedAmount"].(string)
	}

	t.Run("full refund", func(t *testing.T) {
		e := e.For(t)
		path, p := paid(t, "1000")
		r := e.Do("POST", path+"/refund", admin, refundBody(map[string]any{})).Expect(t, http.StatusCreated)
		want := map[string]any{"paymentId": p.ID(), "amount": "1000", "currency": "EUR", "reason": "", "status": "completed"}
		for k, v := range want {
			if !jsonEqual(r.JSON[k], v) {
				t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
			}
		}
		if _, ok := r.JSON["failureMessage"]; ok {
			t.Errorf("a completed refund shows failureMessage")
		}
		if st, refunded := status(t, path); st != "refunded" || refunded != "1000" {
			t.Errorf("payment %s refunded %s", st, refunded)
		}
		e.Do("POST", path+"/refund", admin, refundBody(map[string]any{})).ExpectError(t, http.StatusBadRequest)
		e.Do("POST", path+"/refund", admin, refundBody(map[string]any{"amount": "1"})).ExpectError(t, http.StatusBadRequest)
	})
	t.Run("partial refunds, then the rest", func(t *testing.T) {
		e := e.For(t)
		path, _ := paid(t, "1000")
		r1 := e.Do("POST", path+"/refund", key, refundBody(map[string]any{"amount": "300", "reason": "damaged"})).Expect(t, http.StatusCreated)
		if r1.JSON["amount"] != "300" || r1.JSON["reason"] != "damaged" || r1.JSON["status"] != "completed" {
			t.Errorf("refund %s", r1.Body)
		}
		if st, refunded := status(t, path); st != "partially_refunded" || refunded != "300" {
			t.Errorf("payment %s refunded %s", st, refunded)
		}
		over := e.Do("POST", path+"/refund", key, refundBody(map[string]any{"amount": "701"})).ExpectError(t, http.StatusBadRequest, "amount")
		if msg := over.FieldErrors("amount"); len(msg) == 0 || !strings.Contains(msg[0], "700") {
			t.Errorf("the message does not say what is left: %v", msg)
		}
		r2 := e.Do("POST", path+"/refund", key, refundBody(map[string]any{"amount": "200"})).Expect(t, http.StatusCreated)
		r3 := e.Do("POST", path+"/refund", key, refundBody(map[string]any{"reason": "the rest"})).Expect(t, http.StatusCreated)
		if r3.JSON["amount"] != "500" {
			t.Errorf("the rest: %v", r3.JSON["amount"])
		}
		if st, refunded := status(t, path); st != "refunded" || refunded != "1000" {
			t.Errorf("payment %s refunded %s", st, refunded)
		}
		list := e.MustGet(path+"/refund", Bearer(e.A.Token))
		if got, want := list.IDs(), []int64{r1.ID(), r2.ID(), r3.ID()}; !slices.Equal(got, want) || list.Header.Get("X-Total-Count") != "3" {
			t.Errorf("refunds %v (total %s), want %v", got, list.Header.Get("X-Total-Count"), want)
		}
		for i, item := range list.List {
			if !jsonEqual(item, []*resp{r1, r2, r3}[i].JSON) {
				t.Errorf("listed %v, created %s", item, []*resp{r1, r2, r3}[i].Body)
			}
		}
		d := e.MustGet(path, key)
		if !jsonEqual(d.JSON["refunds"], list.List) {
			t.Errorf("the detail's refunds %v", d.JSON["refunds"])
		}
	})
	t.Run("what cannot be refunded", func(t *testing.T) {
		e := e.For(t)
		pending := e.MustCreatePayment(key, app, nil)
		held := e.MustCreatePayment(key, app, map[string]any{"capture": "manual"})
		e.MustPayPayment(key, app, held, cardOK)
		cancelled := e.MustCreatePayment(key, app, nil)
		e.Do("DELETE", paymentPath(app, cancelled.ID()), key, nil).Expect(t, http.StatusNoContent)
		for _, p := range []*resp{pending, held, cancelled} {
			path := paymentPath(app, p.ID())
			r := e.Do("POST", path+"/refund", key, refundBody(map[string]any{})).ExpectError(t, http.StatusBadRequest)
			if msg := r.JSON["message"].(string); !strings.Contains(msg, "only a completed payment can be refunded") {
				t.Errorf("message %q", msg)
			}
			if l := e.MustGet(path+"/refund", key); len(l.List) != 0 || l.Header.Get("X-Total-Count") != "0" {
				t.Errorf("refunds of %d: %s", p.ID(), l.Body)
			}
		}
		e.Do("POST", paymentPath(app, 999999)+"/refund", key, refundBody(map[string]any{})).ExpectError(t, http.StatusNotFound)
		e.Do("GET", paymentPath(app, 999999)+"/refund", key, nil).ExpectError(t, http.StatusNotFound)
	})
	t.Run("invalid forms", func(t *testing.T) {
		e := e.For(t)
		path, _ := paid(t, "1000")
		for _, tc := range []struct {
			name   string
			body   any
			fields []string
		}{
			{"decimal", refundBody(map[string]any{"amount": "5.00"}), []string{"amount"}},
			{"zero", refundBody(map[string]any{"amount": "0"}), []string{"amount"}},
			{"negative", refundBody(map[string]any{"amount": "-1"}), []string{"amount"}},
			{"a number", refundBody(map[string]any{"amount": 500}), []string{"amount"}},
			{"empty", refundBody(map[string]any{"amount": ""}), []string{"amount"}},
			{"more than paid", refundBody(map[string]any{"amount": "1001"}), []string{"amount"}},
			{"a long reason", refundBody(map[string]any{"reason": strings.Repeat("r", 501)}), []string{"reason"}},
			{"unknown field", refundBody(map[string]any{"currency": "EUR"}), []string{"currency"}},
			{"no root key", map[string]any{"amount": "1"}, []string{"amount"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.For(t).Do("POST", path+"/refund", key, tc.body).ExpectError(t, http.StatusBadRequest, tc.fields...)
			})
		}
		if st, refunded := status(t, path); st != "completed" || refunded != "0" {
			t.Errorf("payment %s refunded %s", st, refunded)
		}
	})
	t.Run("roles", func(t *testing.T) {
		e := e.For(t)
		path, _ := paid(t, "1000")
		for _, role := range []string{"viewer", "terminal", "manager"} {
			e.MustCreateUser(e.A, "refund-"+role, role)
		}
		viewer := Bearer(e.MustLogin("refund-viewer", testPassword))
		terminal := Bearer(e.MustLogin("refund-terminal", testPassword))
		manager := Bearer(e.MustLogin("refund-manager", testPassword))
		e.Do("POST", path+"/refund", viewer, refundBody(map[string]any{"amount": "1"})).ExpectError(t, http.StatusForbidden)
		e.Do("POST", path+"/refund", terminal, refundBody(map[string]any{"amount": "1"})).ExpectError(t, http.StatusForbidden)
		e.Do("POST", path+"/refund", manager, refundBody(map[string]any{"amount": "1"})).Expect(t, http.StatusCreated)
		e.MustGet(path+"/refund", viewer)
	})
	t.Run("an idempotent retry answers the completed refund", func(t *testing.T) {
		e := e.For(t)
		path, _ := paid(t, "1000")
		body := refundBody(map[string]any{"amount": "250", "reason": "late"})
		first := e.Do("POST", path+"/refund", key.Idem("refund-1"), body).Expect(t, http.StatusCreated)
		if first.JSON["status"] != "completed" {
			t.Fatalf("refund %s", first.Body)
		}
		again := e.Do("POST", path+"/refund", admin.Idem("refund-1"), body).Expect(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
			t.Errorf("replay %q:\n%s\nfirst:\n%s", again.Header.Get("Idempotent-Replayed"), again.Body, first.Body)
		}
		if l := e.MustGet(path+"/refund", key); l.Header.Get("X-Total-Count") != "1" {
			t.Errorf("%s refunds after a replay", l.Header.Get("X-Total-Count"))
		}
		if st, refunded := status(t, path); st != "partially_refunded" || refunded != "250" {
			t.Errorf("payment %s refunded %s", st, refunded)
		}
		e.Do("POST", path+"/refund", key.Idem("refund-1"), refundBody(map[string]any{"amount": "260", "reason": "late"})).
			ExpectError(t, http.StatusConflict)
		e.Do("POST", path+"/refund", key.Idem("refund 1"), body).ExpectError(t, http.StatusBadRequest, "Idempotency-Key")
		// The same key on another payment is another refund.
		other, _ := paid(t, "400")
		r := e.Do("POST", other+"/refund", key.Idem("refund-1"), body).Expect(t, http.StatusCreated)
		if r.Header.Get("Idempotent-Replayed") != "" || r.JSON["paymentId"] == first.JSON["paymentId"] {
			t.Errorf("another payment's refund: %s", r.Body)
		}
	})
	t.Run("the ledger balances", func(t *testing.T) {
		problems, err := e.Svc.VerifyLedger(context.Background())
		if err != nil || len(problems) > 0 {
			t.Errorf("ledger: %v %v", err, problems)
		}
	})
}
