package sekurepay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// loadDoc fetches an OpenAPI document from the server and checks that it
// is valid OpenAPI 3.1.
func (e *env) loadDoc(t *testing.T, path string) *openapi3.T {
	t.Helper()
	r := e.do(e.Client, e.URL, "GET", path, "", nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("GET %s: the document does not load: %v", path, err)
	}
	if err := doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("GET %s: not valid OpenAPI 3.1: %v", path, err)
	}
	return doc
}

// TestOpenAPI checks that the face's document describes what the face does:
// every operation is driven through the real stack, and each request and
// response is validated against the document.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	doc := e.loadDoc(t, "/openapi/sekurepay.json")
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	key := e.A.App.APIKey
	seen := map[string]bool{}
	// exchange sends a request and validates it (when valid says so) and
	// its answer against the document.
	exchange := func(method, path, authz string, body string, want int, valid bool, header ...string) []byte {
		t.Helper()
		build := func() *http.Request {
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, e.URL+path, rd)
			if err != nil {
				t.Fatal(err)
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if authz != "" {
				req.Header.Set("Authorization", authz)
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			return req
		}
		res, err := e.Client.Do(build())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		label := method + " " + path
		if res.StatusCode != want {
			t.Fatalf("%s: %d, want %d: %s", label, res.StatusCode, want, b)
		}
		req := build()
		probe := req
		if res.StatusCode == http.StatusMethodNotAllowed {
			// The document states the 405 on the operations the path has.
			probe = req.Clone(context.Background())
			probe.Method = "GET"
			if _, _, err := router.FindRoute(probe); err != nil {
				probe.Method = "POST"
			}
		}
		route, params, err := router.FindRoute(probe)
		if err != nil {
			t.Fatalf("%s: no documented operation: %v", label, err)
		}
		opts := &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true,
			// The document can say Basic credentials must be present; whether
			// they are good is the server's business.
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				h := in.RequestValidationInput.Request.Header.Get("Authorization")
				if scheme, _, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "Basic") {
					return nil
				}
				return fmt.Errorf("no Basic credentials")
			}}
		rin := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(context.Background(), rin); valid && err != nil && res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("%s: the request does not match the document: %v", label, err)
		} else if !valid && err == nil {
			t.Fatalf("%s: the server refused it (%d %s) but the document accepts it", label, res.StatusCode, b)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
			Status:                 res.StatusCode, Header: res.Header,
			Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
				SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}},
		}
		in.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Fatalf("%s: the %d response does not match the document: %v\n%s", label, res.StatusCode, err, b)
		}
		// Documented response headers marked required are checked too.
		if r := route.Operation.Responses.Status(res.StatusCode); r != nil {
			for name, h := range r.Value.Headers {
				if h.Value.Required && res.Header.Get(name) == "" {
					t.Fatalf("%s: %d lacks the required header %s", label, res.StatusCode, name)
				}
			}
		}
		seen[fmt.Sprintf("%s %s %d", route.Method, route.Path, res.StatusCode)] = true
		return b
	}
	auth := basic(key, "")
	seed := strings.Replace(seedBody, "12200", "10700", 1)
	exchange("GET", "/openapi/sekurepay.json", "", "", 200, true)
	exchange("POST", "/sekurepay/api/v1/orders", auth, seed, 201, true)
	exchange("POST", "/sekurepay/api/v1/orders", auth, seed, 200, true)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":1001,"sub_total_cents":"500","total_cents":500,"currency":"eur","items":[{"description":"mug","amount_cents":500}]}`, 201, true,
		"Idempotency-Key", "doc-1")
	exchange("GET", "/sekurepay/api/v1/orders/MERCHANT_GENERATED_ORDER_ID", auth, "", 200, true)
	got := exchange("GET", "/sekurepay/api/v1/orders/1001", auth, "", 200, true)
	// The validation is real: the same answer with a field the document
	// does not declare, or a status name it does not list, is refused.
	for _, drift := range []func(m map[string]any){
		func(m map[string]any) { m["kittens"] = 1 },
		func(m map[string]any) { m["status"] = "completed" },
		func(m map[string]any) { delete(m, "payment_url") },
		func(m map[string]any) { m["total_cents"] = "500" },
	} {
		var m map[string]any
		_ = json.Unmarshal(got, &m)
		drift(m)
		b, _ := json.Marshal(m)
		req, _ := http.NewRequest("GET", e.URL+"/sekurepay/api/v1/orders/1001", nil)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Content-Type": {"application/json"}, "Strict-Transport-Security": {"max-age=31536000"}, "X-Request-Id": {"x"}}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 200, Header: h, Options: &openapi3filter.Options{IncludeResponseStatus: true,
				SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}}}
		in.SetBodyBytes(b)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err == nil {
			t.Fatalf("the document accepts a drifted order: %s", b)
		}
	}
	exchange("GET", "/sekurepay/api/v1/orders/nope", auth, "", 404, true)
	exchange("GET", "/sekurepay/api/v1/orders/nope", "", "", 401, false)
	exchange("GET", "/sekurepay/api/v1/orders/nope", basic(key, "pw"), "", 401, true)
	exchange("DELETE", "/sekurepay/api/v1/orders", auth, "", 405, true)
	other := strings.Replace(seed, `"shipping_amount_cents": 200`, `"shipping_amount_cents": 300`, 1)
	exchange("POST", "/sekurepay/api/v1/orders", auth, strings.Replace(other, "10700", "10800", 1), 409, true)
	// The seed's own total: the document cannot see arithmetic, so it
	// accepts what the server refuses.
	exchange("POST", "/sekurepay/api/v1/orders", auth, strings.Replace(seedBody, "MERCHANT_GENERATED_ORDER_ID", "x-2", 1), 422, true)
	// Refusals the document states too.
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":"x-3","sub_total_cents":"1.5","total_cents":1,"currency":"USD","items":[{"description":"a","amount_cents":1}]}`, 422, false)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":"x-3","total_cents":1,"currency":"USD","items":[{"description":"a","amount_cents":1}]}`, 422, false)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":"x/3","sub_total_cents":1,"total_cents":1,"currency":"USD","items":[{"description":"a","amount_cents":1}]}`, 422, false)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":"x-3","sub_total_cents":1,"total_cents":1,"currency":"USD","items":[]}`, 422, false)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":"x-3","sub_total_cents":-1,"total_cents":1,"currency":"USD","items":[{"description":"a","amount_cents":1}],"coupon":"X"}`, 422, false)
	exchange("POST", "/sekurepay/api/v1/orders", auth, `{"id":`, 400, false)

	for _, want := range []string{
		"GET /openapi/sekurepay.json 200",
		"POST /sekurepay/api/v1/orders 200", "POST /sekurepay/api/v1/orders 201", "POST /sekurepay/api/v1/orders 400",
		"POST /sekurepay/api/v1/orders 409", "POST /sekurepay/api/v1/orders 422",
		"GET /sekurepay/api/v1/orders/{id} 200", "GET /sekurepay/api/v1/orders/{id} 401", "GET /sekurepay/api/v1/orders/{id} 404",
	} {
		if !seen[want] {
			t.Errorf("not exercised: %s", want)
		}
	}

	// The refusal of plain HTTP is documented as it is sent.
	plain := e.plainServer("")
	r := e.do(http.DefaultClient, plain, "GET", "/sekurepay/api/v1/orders/x", auth, nil)
	u, _ := url.Parse(plain + "/sekurepay/api/v1/orders/x")
	req := &http.Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: u.Host, Path: u.Path}, Header: http.Header{}}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status, Header: r.Header, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); r.Status != 403 || err != nil {
		t.Fatalf("plain HTTP refusal: %d %v", r.Status, err)
	}
}

// TestPayRESTDocumentsOrders checks that PayREST's OpenAPI document
// describes a payment made as an order: the order's breakdown in its
// detail validates against the Order schema the server serves.
func TestPayRESTDocumentsOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	key := e.A.App.APIKey
	o := e.MustOrder(key, order("doc-1"))
	doc := e.loadDoc(t, "/openapi/payrest.json")
	detail := e.PayREST("GET", "/application/"+jsonNum(e.A.App.ID)+"/payment/"+jsonNum(o["payment_id"]), key)
	if detail.Status != http.StatusOK || detail.JSON["order"] == nil {
		t.Fatalf("detail: %d %s", detail.Status, detail.Body)
	}
	var body any
	if err := json.Unmarshal(detail.Body, &body); err != nil {
		t.Fatal(err)
	}
	// The Payment schema declares the order (it allows no undeclared
	// property), and the order validates against it.
	pay := doc.Components.Schemas["Payment"]
	if pay == nil || pay.Value.Properties["order"] == nil || pay.Value.Properties["order"].Ref != "#/components/schemas/Order" {
		t.Fatal("the Payment schema does not declare order")
	}
	schema := doc.Components.Schemas["Order"]
	orderBody := body.(map[string]any)["order"]
	if err := schema.Value.VisitJSON(orderBody); err != nil {
		t.Fatalf("an order's detail does not match the Order schema: %v", err)
	}
	// The schema would catch an undeclared breakdown field.
	orderBody.(map[string]any)["discount"] = "0"
	if err := schema.Value.VisitJSON(orderBody); err == nil {
		t.Fatal("the schema accepts an undeclared order field")
	}
}
