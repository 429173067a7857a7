package kashpay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor/spei"
)

// docSuite drives requests through the real stack and validates each one
// and its answer against the document the server serves.
type docSuite struct {
	t      *testing.T
	e      *env
	base   string // the server's root, without the face's prefix
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool
}

func newDocSuite(t *testing.T, e *env) *docSuite {
	t.Helper()
	s := &docSuite{t: t, e: e, base: strings.TrimSuffix(e.URL, "/kashpay"), seen: map[string]bool{}}
	res, err := http.Get(s.base + "/openapi/kashpay.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi/kashpay.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if s.doc, err = loader.LoadFromData(b); err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	if err := s.doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
	}
	if s.doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", s.doc.OpenAPI)
	}
	if s.router, err = gorillamux.NewRouter(s.doc); err != nil {
		t.Fatal(err)
	}
	return s
}

// call is one exchange: the request, the status the server must answer,
// whether the document must accept the request (valid) or refuse it, and
// the Kashpay error code the answer must carry (0 for a success).
type call struct {
	Method, Path string
	Token        string // sent as Authorization: Bearer
	Body         string
	Header       []string // name, value pairs (they win over the defaults)
	Want         int
	Code         int
	Valid        bool
}

var schemaOpts = []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}

// do runs c and returns the answer's body.
func (s *docSuite) do(c call) []byte {
	t := s.t
	t.Helper()
	build := func() *http.Request {
		var rd io.Reader
		if c.Body != "" {
			rd = strings.NewReader(c.Body)
		}
		req, err := http.NewRequest(c.Method, s.base+c.Path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if c.Body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		for i := 0; i+1 < len(c.Header); i += 2 {
			req.Header.Set(c.Header[i], c.Header[i+1])
		}
		return req
	}
	res, err := http.DefaultClient.Do(build())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	label := c.Method + " " + c.Path
	if res.StatusCode != c.Want {
		t.Fatalf("%s: %d, want %d: %s", label, res.StatusCode, c.Want, b)
	}
	if c.Code != 0 {
		var env struct {
			Success *bool
			Error   *struct{ Code int }
		}
		if err := json.Unmarshal(b, &env); err != nil || env.Success == nil || *env.Success || env.Error == nil || env.Error.Code != c.Code {
			t.Fatalf("%s: want error %d: %s", label, c.Code, b)
		}
	}
	probe := build()
	if res.StatusCode == http.StatusMethodNotAllowed {
		// The document states the 405 on the one operation of the path.
		probe = probe.Clone(context.Background())
		probe.Method = res.Header.Get("Allow")
	}
	route, params, err := s.router.FindRoute(probe)
	if err != nil {
		t.Fatalf("%s: no documented operation: %v", label, err)
	}
	opts := &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true, SchemaValidationOptions: schemaOpts,
		// The document can say a bearer token must be present; whether it
		// is good is the server's business.
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			h := in.RequestValidationInput.Request.Header.Get("Authorization")
			if scheme, tok, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "Bearer") && tok != "" {
				return nil
			}
			return fmt.Errorf("no bearer token")
		}}
	rin := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	err = openapi3filter.ValidateRequest(context.Background(), rin)
	switch {
	case res.StatusCode == http.StatusMethodNotAllowed:
	case c.Valid && err != nil:
		t.Fatalf("%s: the request does not match the document: %v", label, err)
	case !c.Valid && err == nil:
		t.Fatalf("%s: the server refused it (%d %s) but the document accepts it", label, res.StatusCode, b)
	}
	s.validateResponse(label, route, params, probe, res.StatusCode, res.Header, b)
	s.seen[fmt.Sprintf("%s %s %d", route.Method, route.Path, res.StatusCode)] = true
	return b
}

// validateResponse checks an answer (its status, headers and body)
// against the document.
func (s *docSuite) validateResponse(label string, route *routers.Route, params map[string]string, req *http.Request,
	status int, h http.Header, body []byte) {
	s.t.Helper()
	if err := s.checkResponse(route, params, req, status, h, body); err != nil {
		s.t.Fatalf("%s: the %d response does not match the document: %v\n%s", label, status, err, body)
	}
}

func (s *docSuite) checkResponse(route *routers.Route, params map[string]string, req *http.Request,
	status int, h http.Header, body []byte) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status, Header: h,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: schemaOpts},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	// Documented response headers marked required are checked too.
	if r := route.Operation.Responses.Status(status); r != nil {
		for name, hr := range r.Value.Headers {
			if hr.Value.Required && h.Get(name) == "" {
				return fmt.Errorf("no %s header", name)
			}
		}
	}
	return nil
}

// TestOpenAPI checks that the document served at /openapi/kashpay.json
// describes what the face does: every operation is driven through the real
// stack, successes and refusals, and each request and answer is validated
// against the document.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		s := newDocSuite(t, e)
		const (
			auth   = "/kashpay/AuthenticationService/authenticate"
			create = "/kashpay/OKPay/createOrder"
			bal    = "/kashpay/EntitiesServices/getBalance"
			ops    = "/kashpay/EntitiesServices/getOperations"
		)
		ctx := context.Background()
		e.MustCredit(e.Cascade, 1_000_000)
		s.do(call{Method: "GET", Path: "/openapi/kashpay.json", Want: 200, Valid: true})

		// authenticate
		var ar struct{ AuthenticationResponse struct{ Token string } }
		_ = json.Unmarshal(s.do(call{Method: "POST", Path: auth, Body: seedAuthBody, Want: 200, Valid: true}), &ar)
		token := ar.AuthenticationResponse.Token
		s.do(call{Method: "POST", Path: auth, Body: `{"entity":"com.cascade","user":"jim@cascadefintech.com","password":"nope"}`,
			Want: 401, Code: 1001, Valid: true})
		s.do(call{Method: "POST", Path: auth, Body: `{"entity":"com.cascade","user":"jim@cascadefintech.com"}`, Want: 400, Code: 1030})
		s.do(call{Method: "POST", Path: auth, Body: `{"entity":"","user":"","password":""}`, Want: 400, Code: 1030})
		s.do(call{Method: "POST", Path: auth, Body: `[1]`, Want: 400, Code: 1010})
		s.do(call{Method: "POST", Path: auth, Body: seedAuthBody, Header: []string{"Content-Type", "text/plain"}, Want: 415, Code: 1011})
		s.do(call{Method: "POST", Path: auth, Body: `{"entity":"` + strings.Repeat("a", 70<<10) + `","user":"u","password":"p"}`,
			Want: 413, Code: 1012, Valid: true})
		s.do(call{Method: "GET", Path: auth, Want: 405, Code: 1013})
		e.MustUser(e.Beta, "locked@beta.example", pasarela.RoleAdmin)
		for i := 0; i < 5; i++ {
			s.do(call{Method: "POST", Path: auth, Body: `{"entity":"com.betapagos","user":"locked@beta.example","password":"wrong"}`,
				Want: 401, Code: 1001, Valid: true})
		}
		s.do(call{Method: "POST", Path: auth, Body: `{"entity":"com.betapagos","user":"locked@beta.example","password":"` + seedPassword + `"}`,
			Want: 429, Code: 1002, Valid: true})

		// createOrder
		s.do(call{Method: "POST", Path: create, Token: token, Body: sampleOrderBody, Want: 200, Valid: true})
		key := []string{"Idempotency-Key", "doc-1", "Entity-i", seedEntity}
		small := `{"amount":"100.28","beneficiaryAcountSPEI":"002010077777777771","beneficiaryName":"Ana","codeInstituteBank":2,
			"concept":"Renta","numericReference":"7","typeTransaction":"1","currency":"MXN","beneficiaryTypeAcount":40,
			"postalCode":"01000","email":null}`
		s.do(call{Method: "POST", Path: create, Token: token, Body: small, Header: key, Want: 200, Valid: true})
		s.do(call{Method: "POST", Path: create, Token: token, Body: small, Header: key, Want: 200, Valid: true}) // the replay
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, "Renta", "Otra", 1), Header: key,
			Want: 409, Code: 1024, Valid: true})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"100.28"`, `99999999`, 1),
			Want: 422, Code: 1022, Valid: true})
		// Refusals the document cannot see (arithmetic and catalogs), then
		// the ones it states.
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, "002010077777777771", "002010077777777772", 1),
			Want: 400, Code: 1033, Valid: true})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"codeInstituteBank":2`, `"codeInstituteBank":"012"`, 1),
			Want: 400, Code: 1035, Valid: true})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"amount":"100.28",`, ``, 1), Want: 400, Code: 1030})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"100.28"`, `"1.234"`, 1), Want: 400, Code: 1037})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"100.28"`, `0`, 1), Want: 400, Code: 1036})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, "002010077777777771", "12345678", 1), Want: 400, Code: 1031})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"MXN"`, `840`, 1), Want: 400, Code: 1038})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"typeTransaction":"1"`, `"typeTransaction":2`, 1), Want: 400, Code: 1039})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"beneficiaryTypeAcount":40`, `"beneficiaryTypeAcount":"03"`, 1), Want: 400, Code: 1040})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, "Renta", strings.Repeat("R", 41), 1), Want: 400, Code: 1041})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"7"`, `"12345678901"`, 1), Want: 400, Code: 1043})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"01000"`, `"1000"`, 1), Want: 400, Code: 1047})
		s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"concept":"Renta"`, `"concept":["Renta"]`, 1), Want: 400, Code: 1014})
		multi := s.do(call{Method: "POST", Path: create, Token: token, Body: `{"beneficiaryName":"Ana"}`, Want: 400, Code: 1030})
		if !strings.Contains(string(multi), `"errors":[`) {
			t.Fatalf("several missing members: %s", multi)
		}
		s.do(call{Method: "POST", Path: create, Token: token, Body: `"x"`, Want: 400, Code: 1010})
		s.do(call{Method: "POST", Path: create, Token: token, Body: small, Header: []string{"Idempotency-Key", "bad key"}, Want: 400, Code: 1025})
		s.do(call{Method: "POST", Path: create, Token: token, Body: small, Header: []string{"Content-Type", "text/plain"}, Want: 415, Code: 1011})
		s.do(call{Method: "POST", Path: create, Token: token, Body: `{"concept":"` + strings.Repeat("a", 70<<10) + `"}`, Want: 413, Code: 1012})
		s.do(call{Method: "POST", Path: create, Body: small, Want: 401, Code: 1004})
		s.do(call{Method: "POST", Path: create, Token: "x.y.z", Body: small, Want: 401, Code: 1003, Valid: true})
		s.do(call{Method: "POST", Path: create, Token: token, Body: small, Header: []string{"Entity-i", "com.betapagos"}, Want: 403, Code: 1005, Valid: true})
		e.MustUser(e.Cascade, "viewer@cascadefintech.com", pasarela.RoleViewer)
		viewer := e.MustLogin(seedEntity, "viewer@cascadefintech.com")
		s.do(call{Method: "POST", Path: create, Token: viewer, Body: small, Want: 403, Code: 1006, Valid: true})
		s.do(call{Method: "GET", Path: create, Token: token, Want: 405, Code: 1013})

		// getBalance
		s.do(call{Method: "GET", Path: bal, Token: token, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: bal, Token: viewer, Header: []string{"Entity-i", seedEntity}, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: bal, Want: 401, Code: 1004})
		s.do(call{Method: "GET", Path: bal, Token: token + "x", Want: 401, Code: 1003, Valid: true})
		s.do(call{Method: "GET", Path: bal, Token: token, Header: []string{"Entity-i", "com.betapagos"}, Want: 403, Code: 1005, Valid: true})
		s.do(call{Method: "POST", Path: bal, Token: token, Want: 405, Code: 1013})

		// getOperations, with the orders moved along the rail so that
		// every field of a sent, rejected or returned order shows.
		for _, amount := range []string{"50.11", "60"} {
			s.do(call{Method: "POST", Path: create, Token: token, Body: strings.Replace(small, `"100.28"`, `"`+amount+`"`, 1), Want: 200, Valid: true})
		}
		for _, after := range []time.Duration{0, spei.DefaultSend, spei.DefaultSettle, spei.DefaultReturn} {
			e.Clock.Advance(after)
			if _, err := e.Worker.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		page := s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"Entity-i", seedEntity}, Want: 200, Valid: true})
		for _, st := range []string{`"status":29`, `"status":28`, `"status":11`, `"responseCode":"13"`} {
			if !strings.Contains(string(page), st) {
				t.Fatalf("getOperations lacks %s: %s", st, page)
			}
		}
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"page", "1", "size", "2", "status", "29", "type", "1"}, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"status", "8"}, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"type", "2"}, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"size", "0"}, Want: 400, Code: 1060})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"size", "101"}, Want: 400, Code: 1060})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"page", "-1"}, Want: 400, Code: 1060})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"status", "99"}, Want: 400, Code: 1060})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"type", "one"}, Want: 400, Code: 1060})
		s.do(call{Method: "GET", Path: ops, Want: 401, Code: 1004})
		s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"Entity-i", "com.betapagos"}, Want: 403, Code: 1005, Valid: true})
		s.do(call{Method: "DELETE", Path: ops, Token: token, Want: 405, Code: 1013})

		// The validation is real: the same answers with a field the
		// document does not declare, a status outside the catalog, an
		// amount as a string or an error code it does not list are
		// refused.
		s.mustDrift(ops, page, []func(m map[string]any){
			func(m map[string]any) { m["kittens"] = 1 },
			func(m map[string]any) { op(m)["status"] = 99 },
			func(m map[string]any) { op(m)["amount"] = "250" },
			func(m map[string]any) { delete(op(m), "transactionID") },
			func(m map[string]any) { op(m)["createdAt"] = "2026-03-01T12:00:00Z" },
			func(m map[string]any) { m["success"] = false },
		})
		refused := s.do(call{Method: "GET", Path: ops, Token: token, Header: []string{"size", "0"}, Want: 400, Code: 1060})
		s.mustDrift(ops, refused, []func(m map[string]any){
			func(m map[string]any) { m["error"].(map[string]any)["code"] = 9999 },
			func(m map[string]any) { m["error"].(map[string]any)["name"] = "Oops" },
			func(m map[string]any) { m["success"] = true },
			func(m map[string]any) { delete(m, "totalItems") },
		})

		for _, want := range []string{
			"GET /openapi/kashpay.json 200",
			"POST " + auth + " 200", "POST " + auth + " 400", "POST " + auth + " 401", "POST " + auth + " 405",
			"POST " + auth + " 413", "POST " + auth + " 415", "POST " + auth + " 429",
			"POST " + create + " 200", "POST " + create + " 400", "POST " + create + " 401", "POST " + create + " 403",
			"POST " + create + " 405", "POST " + create + " 409", "POST " + create + " 413", "POST " + create + " 415",
			"POST " + create + " 422",
			"GET " + bal + " 200", "GET " + bal + " 401", "GET " + bal + " 403", "GET " + bal + " 405",
			"GET " + ops + " 200", "GET " + ops + " 400", "GET " + ops + " 401", "GET " + ops + " 403", "GET " + ops + " 405",
		} {
			if !s.seen[want] {
				t.Errorf("not exercised: %s", want)
			}
		}
	})
}

// op is the first operation of a getOperations answer.
func op(m map[string]any) map[string]any { return m["operations"].([]any)[0].(map[string]any) }

// mustDrift checks that each changed copy of a real answer of path is
// refused by the document.
func (s *docSuite) mustDrift(path string, body []byte, drifts []func(m map[string]any)) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer x")
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		s.t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}, "X-Request-Id": {"x"}}
	var status struct{ Success bool }
	_ = json.Unmarshal(body, &status)
	code := 200
	if !status.Success {
		code = 400
	}
	if err := s.checkResponse(route, params, req, code, h, body); err != nil {
		s.t.Fatalf("the answer itself does not match: %v", err)
	}
	for i, drift := range drifts {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		drift(m)
		b, _ := json.Marshal(m)
		if err := s.checkResponse(route, params, req, code, h, b); err == nil {
			s.t.Errorf("drift %d: the document accepts %s", i, b)
		}
	}
}
