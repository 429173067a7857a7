package sekurepay_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core/coretest"
)

// seedBody is the seed's create-order body as it would be sent once its
// shell quoting is fixed: amounts as integers at the top and as strings in
// the lines, and a total that does not add up.
const seedBody = `{
		"id":"MERCHANT_GENERATED_ORDER_ID",
		"sub_total_cents": 10000,
		"shipping_amount_cents": 200,
		"total_cents": 12200,
		"currency": "USD",
		"items":
		[{
			"description": "51 inch TV",
			"amount_cents": "10000"
		}],
		"taxes":
		[{
			"description": "GST",
			"amount_cents": "500"
		}]}`

func TestSeedExamples(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey

		// The seed's sample total is wrong: a 422 names the field and the
		// total that would be right, and nothing is created.
		r := e.Do("POST", "/orders", key, seedBody)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("seed body: %d %s", r.Status, r.Body)
		}
		er := r.Err(t)
		if er["type"] != "validation_error" || er["param"] != "total_cents" || er["code"] != "total_mismatch" ||
			!strings.Contains(er["message"].(string), "expected 10700, got 12200") {
			t.Fatalf("seed body error: %s", r.Body)
		}
		if r.Header.Get("Strict-Transport-Security") == "" {
			t.Fatal("no HSTS header on an error")
		}
		if got := e.Do("GET", "/orders/MERCHANT_GENERATED_ORDER_ID", key, nil); got.Status != http.StatusNotFound {
			t.Fatalf("a refused order exists: %d %s", got.Status, got.Body)
		}

		// With its total corrected the same body is an order.
		r = e.Do("POST", "/orders", key, strings.Replace(seedBody, "12200", "10700", 1))
		if r.Status != http.StatusCreated {
			t.Fatalf("corrected seed body: %d %s", r.Status, r.Body)
		}
		o := r.JSON
		want := map[string]any{"id": "MERCHANT_GENERATED_ORDER_ID", "sub_total_cents": 10000.0, "shipping_amount_cents": 200.0,
			"total_cents": 10700.0, "currency": "USD", "status": "pending", "paid_cents": 0.0, "paid_at": nil}
		for k, v := range want {
			if o[k] != v {
				t.Errorf("%s = %v, want %v", k, o[k], v)
			}
		}
		items := o["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["amount_cents"] != 10000.0 || items[0].(map[string]any)["description"] != "51 inch TV" {
			t.Errorf("items = %v", o["items"])
		}
		taxes := o["taxes"].([]any)
		if len(taxes) != 1 || taxes[0].(map[string]any)["amount_cents"] != 500.0 {
			t.Errorf("taxes = %v", o["taxes"])
		}
		if !strings.HasPrefix(o["payment_url"].(string), e.URL+"/pay/") {
			t.Errorf("payment_url = %v", o["payment_url"])
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if _, err := time.Parse(time.RFC3339, o[k].(string)); err != nil {
				t.Errorf("%s = %v", k, o[k])
			}
		}
		if r.Header.Get("Location") != "/sekurepay/api/v1/orders/MERCHANT_GENERATED_ORDER_ID" {
			t.Errorf("Location = %q", r.Header.Get("Location"))
		}
		if r.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
			t.Errorf("HSTS = %q", r.Header.Get("Strict-Transport-Security"))
		}

		// The seed's retrieve example, by the merchant's id.
		g := e.Do("GET", "/orders/MERCHANT_GENERATED_ORDER_ID", key, nil)
		if g.Status != http.StatusOK || g.JSON["id"] != "MERCHANT_GENERATED_ORDER_ID" || g.JSON["payment_url"] != o["payment_url"] ||
			g.JSON["total_cents"] != 10700.0 || g.Header.Get("Strict-Transport-Security") == "" {
			t.Fatalf("GET order: %d %s", g.Status, g.Body)
		}
	})
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		wrongKey := key[:len(key)-4] + "zzzz"
		if wrongKey == key {
			wrongKey = key[:len(key)-4] + "yyyy"
		}
		cases := []struct {
			name, authz, code string
		}{
			{"no header", "", "unauthenticated"},
			{"wrong scheme", "Bearer " + key, "invalid_scheme"},
			{"bad base64", "Basic !!!not-base64", "invalid_credentials"},
			{"no colon", "Basic " + b64(key), "invalid_credentials"},
			{"key with a password", basic(key, "secret"), "invalid_credentials"},
			{"key as the password", basic("", key), "invalid_credentials"},
			{"wrong key", basic(wrongKey, ""), "invalid_api_key"},
			{"not a key at all", basic("006bea1e-b6a9-493c-a64a-0a22eb3060a8", ""), "invalid_api_key"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, req := range []struct{ method, path string }{{"GET", "/orders/x"}, {"POST", "/orders"}} {
					var body any
					if req.method == "POST" {
						body = order("auth-1")
					}
					r := e.do(e.Client, e.URL, req.method, "/sekurepay/api/v1"+req.path, c.authz, body)
					if r.Status != http.StatusUnauthorized {
						t.Fatalf("%s %s: %d %s", req.method, req.path, r.Status, r.Body)
					}
					if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="SekurePay"`) {
						t.Errorf("WWW-Authenticate = %q", got)
					}
					if er := r.Err(t); er["type"] != "authentication_error" || er["code"] != c.code || er["message"] == "" {
						t.Errorf("error = %s", r.Body)
					}
				}
			})
		}
		// The scheme is case-insensitive, as HTTP says.
		if r := e.do(e.Client, e.URL, "GET", "/sekurepay/api/v1/orders/x", "basic "+b64(key+":"), nil); r.Status != http.StatusNotFound {
			t.Fatalf("lower-case scheme: %d %s", r.Status, r.Body)
		}
		e.MustOrder(key, order("before-rotation"))

		// A rotated key stops working at once; the new one sees the same orders.
		fresh, err := e.Svc.RecreateKey(e.A.AdminCtx(context.Background()), e.A.App.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := e.Do("GET", "/orders/before-rotation", key, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("old key after rotation: %d %s", r.Status, r.Body)
		}
		if r := e.Do("GET", "/orders/before-rotation", fresh.APIKey, nil); r.Status != http.StatusOK {
			t.Fatalf("new key after rotation: %d %s", r.Status, r.Body)
		}
	})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestHTTPSOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	key := e.A.App.APIKey

	// Plain HTTP is refused in the face's format, whatever it carries.
	plain := e.plainServer("")
	for _, req := range []struct {
		method, path string
		body         any
	}{{"POST", "/orders", order("plain-1")}, {"GET", "/orders/plain-1", nil}, {"GET", "/orders/x", nil}} {
		r := e.do(http.DefaultClient, plain, req.method, "/sekurepay/api/v1"+req.path, basic(key, ""), req.body)
		if r.Status != http.StatusForbidden || r.Err(t)["type"] != "https_required" {
			t.Fatalf("plain %s %s: %d %s", req.method, req.path, r.Status, r.Body)
		}
		if r.Header.Get("Strict-Transport-Security") == "" {
			t.Fatal("no HSTS on the refusal")
		}
	}
	// Even without credentials: the refusal comes first.
	if r := e.do(http.DefaultClient, plain, "GET", "/sekurepay/api/v1/orders/x", "", nil); r.Status != http.StatusForbidden {
		t.Fatalf("plain without credentials: %d %s", r.Status, r.Body)
	}
	// An untrusted peer cannot claim HTTPS.
	if r := e.do(http.DefaultClient, plain, "POST", "/sekurepay/api/v1/orders", basic(key, ""), order("plain-2"),
		"X-Forwarded-Proto", "https"); r.Status != http.StatusForbidden {
		t.Fatalf("untrusted X-Forwarded-Proto: %d %s", r.Status, r.Body)
	}
	other := e.plainServer("10.0.0.0/8")
	if r := e.do(http.DefaultClient, other, "POST", "/sekurepay/api/v1/orders", basic(key, ""), order("plain-3"),
		"X-Forwarded-Proto", "https"); r.Status != http.StatusForbidden {
		t.Fatalf("X-Forwarded-Proto from a peer outside the trusted proxies: %d %s", r.Status, r.Body)
	}

	// A trusted proxy that terminated TLS is believed.
	proxied := e.plainServer("127.0.0.1/32,::1/128")
	r := e.do(http.DefaultClient, proxied, "POST", "/sekurepay/api/v1/orders", basic(key, ""), order("proxied-1"),
		"X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.7")
	if r.Status != http.StatusCreated || r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("trusted proxy with X-Forwarded-Proto https: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.DefaultClient, proxied, "GET", "/sekurepay/api/v1/orders/proxied-1", basic(key, ""), nil,
		"X-Forwarded-Proto", "http"); r.Status != http.StatusForbidden {
		t.Fatalf("trusted proxy saying http: %d %s", r.Status, r.Body)
	}
	if r := e.do(http.DefaultClient, proxied, "GET", "/sekurepay/api/v1/orders/proxied-1", basic(key, ""), nil); r.Status != http.StatusForbidden {
		t.Fatalf("trusted proxy saying nothing: %d %s", r.Status, r.Body)
	}
	// Only plain-1…3 were refused: none of them exists.
	for _, id := range []string{"plain-1", "plain-2", "plain-3"} {
		if r := e.Do("GET", "/orders/"+id, key, nil); r.Status != http.StatusNotFound {
			t.Fatalf("%s was created over plain HTTP: %d", id, r.Status)
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		with := func(change func(o map[string]any)) map[string]any {
			o := order("v-1")
			change(o)
			return o
		}
		manyItems := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = map[string]any{"description": fmt.Sprintf("item %d", i), "amount_cents": 1}
			}
			return out
		}
		cases := []struct {
			name   string
			body   any
			status int
			param  string
			code   string
			msg    string // part of the message of the first error
		}{
			{"malformed JSON", `{"id":`, 400, "", "malformed_json", "malformed"},
			{"not an object", `[1,2]`, 400, "", "malformed_json", "JSON object"},
			{"the seed's shell quoting", `{ id:MERCHANT_GENERATED_ORDER_ID, sub_total_cents: 10000 }`, 400, "", "malformed_json", "malformed JSON"},
			{"two objects", `{} {}`, 400, "", "malformed_json", ""},
			{"empty body", ``, 400, "", "malformed_json", ""},
			{"missing id", with(func(o map[string]any) { delete(o, "id") }), 422, "id", "required", "id is required"},
			{"empty id", with(func(o map[string]any) { o["id"] = "" }), 422, "id", "required", ""},
			{"id with a slash", with(func(o map[string]any) { o["id"] = "a/b" }), 422, "id", "format", ""},
			{"id with a space", with(func(o map[string]any) { o["id"] = "a b" }), 422, "id", "format", ""},
			{"id too long", with(func(o map[string]any) { o["id"] = strings.Repeat("x", 101) }), 422, "id", "too_long", ""},
			{"id an object", with(func(o map[string]any) { o["id"] = map[string]any{} }), 422, "id", "type", ""},
			{"missing sub_total_cents", with(func(o map[string]any) { delete(o, "sub_total_cents") }), 422, "sub_total_cents", "required", ""},
			{"missing total_cents", with(func(o map[string]any) { delete(o, "total_cents") }), 422, "total_cents", "required", ""},
			{"missing currency", with(func(o map[string]any) { delete(o, "currency") }), 422, "currency", "required", ""},
			{"missing items", with(func(o map[string]any) { delete(o, "items") }), 422, "items", "required", ""},
			{"empty items", with(func(o map[string]any) { o["items"] = []any{} }), 422, "items", "required", ""},
			{"items not an array", with(func(o map[string]any) { o["items"] = "TV" }), 422, "items", "type", ""},
			{"item not an object", with(func(o map[string]any) { o["items"] = []any{"TV"} }), 422, "items[0]", "type", ""},
			{"item without description", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"amount_cents": 10000}}
			}), 422, "items[0].description", "required", ""},
			{"item without amount", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "TV"}}
			}), 422, "items[0].amount_cents", "required", ""},
			{"item with an unknown field", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "TV", "amount_cents": 10000, "qty": 1}}
			}), 422, "items[0].qty", "unknown_field", ""},
			{"unknown field", with(func(o map[string]any) { o["shipping_cents"] = 200 }), 422, "shipping_cents", "unknown_field", ""},
			{"total twice", `{"id":"v-1","sub_total_cents":10000,"total_cents":1,"total_cents":10000,"currency":"USD","items":[{"description":"TV","amount_cents":10000}]}`, 400, "total_cents", "duplicate_field", "more than once"},
			{"item amount twice", `{"id":"v-1","sub_total_cents":10000,"total_cents":10000,"currency":"USD","items":[{"description":"TV","amount_cents":1,"amount_cents":10000}]}`, 400, "amount_cents", "duplicate_field", ""},
			{"total in another case", `{"id":"v-1","sub_total_cents":10000,"total_cents":10000,"Total_Cents":1,"currency":"USD","items":[{"description":"TV","amount_cents":10000}]}`, 422, "Total_Cents", "unknown_field", ""},
			{"invalid UTF-8", "{\"id\":\"v-\xff\",\"sub_total_cents\":10000,\"total_cents\":10000,\"currency\":\"USD\",\"items\":[{\"description\":\"TV\",\"amount_cents\":10000}]}", 400, "", "malformed_json", ""},
			{"negative sub_total", with(func(o map[string]any) { o["sub_total_cents"] = -10000 }), 422, "sub_total_cents", "negative", "must not be negative"},
			{"negative shipping", with(func(o map[string]any) { o["shipping_amount_cents"] = "-200" }), 422, "shipping_amount_cents", "negative", ""},
			{"negative item", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "TV", "amount_cents": "-10000"}}
			}), 422, "items[0].amount_cents", "negative", ""},
			{"negative tax", with(func(o map[string]any) {
				o["taxes"] = []any{map[string]any{"description": "GST", "amount_cents": -500}}
			}), 422, "taxes[0].amount_cents", "negative", ""},
			{"decimal string", with(func(o map[string]any) { o["sub_total_cents"] = "100.00" }), 422, "sub_total_cents", "integer", "integer number of cents"},
			{"decimal number", with(func(o map[string]any) { o["total_cents"] = 10700.5 }), 422, "total_cents", "integer", ""},
			{"exponent", `{"id":"v-1","sub_total_cents":1e4,"shipping_amount_cents":200,"total_cents":10700,"currency":"USD","items":[{"description":"TV","amount_cents":10000}]}`,
				422, "sub_total_cents", "integer", ""},
			{"word", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "TV", "amount_cents": "ten thousand"}}
			}), 422, "items[0].amount_cents", "integer", ""},
			{"padded string", with(func(o map[string]any) { o["sub_total_cents"] = " 10000" }), 422, "sub_total_cents", "integer", ""},
			{"boolean", with(func(o map[string]any) { o["shipping_amount_cents"] = true }), 422, "shipping_amount_cents", "integer", ""},
			{"too large", with(func(o map[string]any) { o["total_cents"] = "99999999999999999999" }), 422, "total_cents", "amount", "too large"},
			{"zero total", `{"id":"v-1","sub_total_cents":0,"total_cents":0,"currency":"USD","items":[{"description":"gift","amount_cents":0}]}`,
				422, "total_cents", "amount", "greater than zero"},
			{"sub_total mismatch", with(func(o map[string]any) { o["sub_total_cents"] = 9000; o["total_cents"] = 9700 }),
				422, "sub_total_cents", "sub_total_mismatch", "expected 10000, got 9000"},
			{"total mismatch", with(func(o map[string]any) { o["total_cents"] = 10000 }),
				422, "total_cents", "total_mismatch", "(10000 + 200 + 500): expected 10700, got 10000"},
			{"total mismatch in SekurePay's names", with(func(o map[string]any) { o["total_cents"] = 10000 }),
				422, "total_cents", "total_mismatch",
				"total_cents must equal sub_total_cents + shipping_amount_cents + the sum of taxes[].amount_cents (10000 + 200 + 500): expected 10700, got 10000"},
			{"sub_total mismatch in SekurePay's names", with(func(o map[string]any) { o["sub_total_cents"] = 9000; o["total_cents"] = 9700 }),
				422, "sub_total_cents", "sub_total_mismatch", "sub_total_cents must equal the sum of items[].amount_cents: expected 10000, got 9000"},
			{"unknown field spelled as the core's", with(func(o map[string]any) { o["total"] = 10700 }), 422, "total", "unknown_field", ""},
			{"unknown line field spelled as the core's", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "TV", "amount_cents": 10000, "amount": 10000}}
			}), 422, "items[0].amount", "unknown_field", ""},
			{"unknown currency", with(func(o map[string]any) { o["currency"] = "XYZ" }), 422, "currency", "currency", "ISO 4217"},
			{"crypto currency", with(func(o map[string]any) { o["currency"] = "BTC" }), 422, "currency", "currency", ""},
			{"currency a number", with(func(o map[string]any) { o["currency"] = 840 }), 422, "currency", "type", ""},
			{"too many items", with(func(o map[string]any) {
				o["items"] = manyItems(101)
				o["sub_total_cents"], o["total_cents"] = 101, 801
			}), 422, "items", "too_many", "at most 100"},
			{"too many taxes", with(func(o map[string]any) {
				o["taxes"] = manyItems(21)
				o["total_cents"] = 10221
			}), 422, "taxes", "too_many", "at most 20"},
			{"long description", with(func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": strings.Repeat("x", 201), "amount_cents": 10000}}
			}), 422, "items[0].description", "too_long", ""},
			{"description with a line break", with(func(o map[string]any) {
				o["taxes"] = []any{map[string]any{"description": "GST\nVAT", "amount_cents": 500}}
			}), 422, "taxes[0].description", "format", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.Do("POST", "/orders", key, c.body)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
				}
				er := r.Err(t)
				wantType := map[int]string{400: "invalid_request_error", 422: "validation_error"}[c.status]
				if er["type"] != wantType || er["code"] != c.code || (c.param != "" && er["param"] != c.param) {
					t.Fatalf("error %s, want type %s code %s param %s", r.Body, wantType, c.code, c.param)
				}
				if c.param == "" && er["param"] != nil {
					t.Fatalf("param on a request-level error: %s", r.Body)
				}
				if !strings.Contains(er["message"].(string), c.msg) {
					t.Fatalf("message %q lacks %q", er["message"], c.msg)
				}
			})
		}
		// Every problem of the body at once (the order's rules are checked
		// once the body reads).
		r := e.Do("POST", "/orders", key, `{"sub_total_cents":"x","currency":7,"items":[{"description":"TV"}]}`)
		er := r.Err(t)
		errs, _ := er["errors"].([]any)
		if r.Status != 422 || len(errs) != 5 {
			t.Fatalf("several errors: %d %s", r.Status, r.Body)
		}
		// A wrong media type and a wrong method answer in the face's format.
		req := e.do(e.Client, e.URL, "POST", "/sekurepay/api/v1/orders", basic(key, ""), nil, "Content-Type", "text/plain")
		if req.Status != http.StatusUnsupportedMediaType || req.Err(t)["type"] != "invalid_request_error" {
			t.Fatalf("text/plain: %d %s", req.Status, req.Body)
		}
		if r := e.Do("DELETE", "/orders", key, nil); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
			t.Fatalf("DELETE /orders: %d %s", r.Status, r.Body)
		}
		if r := e.Do("GET", "/kittens", key, nil); r.Status != http.StatusNotFound || r.Err(t)["type"] != "not_found_error" {
			t.Fatalf("GET /kittens: %d %s", r.Status, r.Body)
		}
		// Nothing was created by any of it.
		n, err := e.countPayments(e.A)
		if err != nil || n != 0 {
			t.Fatalf("refused orders left %d payments (%v)", n, err)
		}
	})
}

// countPayments counts the payments of a tenant's application, as stored.
func (e *env) countPayments(ten *coretest.Tenant) (int, error) {
	var n int
	err := e.DB.Raw.QueryRow(`SELECT COUNT(*) FROM payments WHERE application_id = ` + fmt.Sprint(ten.App.ID)).Scan(&n)
	return n, err
}

// TestSeveralRules checks that the order's own rules are reported together.
func TestSeveralRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	r := e.Do("POST", "/orders", e.A.App.APIKey,
		`{"id":"v-2","sub_total_cents":-1,"shipping_amount_cents":0,"total_cents":5,"currency":"XYZ","items":[{"description":"TV","amount_cents":-1}]}`)
	er := r.Err(t)
	errs, _ := er["errors"].([]any)
	var params []string
	for _, x := range errs {
		params = append(params, x.(map[string]any)["param"].(string))
	}
	if r.Status != 422 || strings.Join(params, ",") != "currency,sub_total_cents,items[0].amount_cents" {
		t.Fatalf("several rules: %d %s", r.Status, r.Body)
	}
}

// TestBadTextLookups: an order id with a NUL byte or invalid UTF-8 is an
// order that does not exist, on both engines (PostgreSQL used to refuse the
// query with SQLSTATE 22021, a 500), and so is any id no order can have.
func TestBadTextLookups(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		e.MustOrder(key, order("ok-1"))
		for _, id := range []string{"%00", "%ff", "ok-1%00", "%c3", "a%00b"} {
			r := e.Do("GET", "/orders/"+id, key, nil)
			if r.Status != http.StatusNotFound {
				t.Errorf("GET /orders/%s: %d %s, want 404", id, r.Status, r.Body)
			}
		}
		if r := e.Do("GET", "/orders/ok-1", key, nil); r.Status != http.StatusOK {
			t.Errorf("GET /orders/ok-1 after them: %d %s", r.Status, r.Body)
		}
	})
}
