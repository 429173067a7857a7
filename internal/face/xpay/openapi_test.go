package xpay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// docSuite drives requests through the real stack and validates each one
// and its answer against the document the server serves.
type docSuite struct {
	t      *testing.T
	e      *env
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool
}

func newDocSuite(t *testing.T, e *env) *docSuite {
	t.Helper()
	s := &docSuite{t: t, e: e, seen: map[string]bool{}}
	res, err := http.Get(e.Server + "/openapi/xpay.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi/xpay.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	if s.doc, err = loader.LoadFromData(b); err != nil {
		t.Fatalf("the document does not load: %v", err)
	}
	if err := s.doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
	}
	if s.router, err = gorillamux.NewRouter(s.doc); err != nil {
		t.Fatal(err)
	}
	return s
}

// call is one exchange: the request, the status and xpay code the server
// must answer (0 for a success), and whether the document must accept the
// request.
type call struct {
	Method, Path string
	Key          string // sent as Authorization: Token
	Body         string
	Header       []string
	Want, Code   int
	Valid        bool
}

var schemaOpts = []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}

func (s *docSuite) do(c call) map[string]any {
	t := s.t
	t.Helper()
	build := func() *http.Request {
		var rd io.Reader
		if c.Body != "" {
			rd = strings.NewReader(c.Body)
		}
		req, err := http.NewRequest(c.Method, s.e.Server+c.Path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if c.Body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Key != "" {
			req.Header.Set("Authorization", "Token "+c.Key)
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
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	if c.Code != 0 {
		if code, _ := out["code"].(float64); int(code) != c.Code {
			t.Fatalf("%s: want code %d: %s", label, c.Code, b)
		}
	}
	probe := build()
	if res.StatusCode == http.StatusMethodNotAllowed {
		probe = probe.Clone(context.Background())
		probe.Method = http.MethodPost
	}
	route, params, err := s.router.FindRoute(probe)
	if err != nil {
		t.Fatalf("%s: no documented operation: %v", label, err)
	}
	opts := &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true, SchemaValidationOptions: schemaOpts,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			h := in.RequestValidationInput.Request.Header.Get("Authorization")
			if scheme, tok, _ := strings.Cut(h, " "); scheme == "Token" && tok != "" {
				return nil
			}
			return fmt.Errorf("no token")
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
	in := &openapi3filter.ResponseValidationInput{RequestValidationInput: rin, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: schemaOpts}}
	in.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("%s: the %d response does not match the document: %v\n%s", label, res.StatusCode, err, b)
	}
	s.seen[fmt.Sprintf("%s %s", route.Method, route.Path)] = true
	return out
}

// TestOpenAPI checks that /openapi/xpay.json describes what the face does:
// every operation is driven through the real stack, successes and
// refusals, and each request and answer is validated against it.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		s := newDocSuite(t, e)
		const p = "/xpay/api/v1"
		e.MustUser(e.A, "till@alpha.example", pasarela.RoleTerminal)
		login := func(email string) string {
			out := s.do(call{Method: "POST", Path: p + "/auth/login/", Body: `{"email":"` + email + `","password":"` + coretest.Password + `"}`, Want: 200, Valid: true})
			return out["key"].(string)
		}
		till, admin := login("till@alpha.example"), login(e.A.Admin.Email)
		s.do(call{Method: "POST", Path: p + "/auth/login/", Body: `{"email":"x@y.z","password":"Wrong-pass1!"}`, Want: 401, Code: 3003, Valid: true})
		s.do(call{Method: "POST", Path: p + "/auth/login/", Body: `{"password":"x"}`, Want: 400, Code: 5002})
		s.do(call{Method: "GET", Path: p + "/users/", Key: till, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/users/", Key: admin, Header: []string{"Accept", "*/*"}, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/users/", Want: 401, Code: 3003})
		s.do(call{Method: "GET", Path: p + "/users/", Key: till, Header: []string{"Accept", "text/html"}, Want: 406, Code: 4060, Valid: true})
		s.do(call{Method: "GET", Path: p + "/countries/", Want: 200, Valid: true})
		s.do(call{Method: "PUT", Path: p + "/password/", Key: till, Body: `{"old_password":"` + coretest.Password + `","new_password":"abc","new_password_confirmation":"abc"}`,
			Want: 400, Code: 5003, Valid: true})
		s.do(call{Method: "POST", Path: p + "/password/", Key: till, Body: `{"old_password":"` + coretest.Password + `","new_password":"Nueva-clave1","new_password_confirmation":"Nueva-clave1"}`,
			Want: 200, Valid: true})
		s.do(call{Method: "PUT", Path: p + "/password/", Key: till, Body: `{"old_password":"Nueva-clave1","new_password":"Otra-clave2","new_password_confirmation":"Otra-clave2"}`,
			Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/available/currencies/150000.30/COP/", Key: till, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/available/currencies/150000.30/XYZ/", Key: till, Want: 400, Code: 3030, Valid: true})
		tx := s.do(call{Method: "POST", Path: p + "/transactions/create/", Key: till, Body: order, Want: 201, Valid: true})
		s.do(call{Method: "POST", Path: p + "/transactions/", Key: admin, Body: `{"src_currency":"BTC","tgt_currency":"COP","amount":"100000","exchange_id":1,"fiat_withdraw":100}`,
			Want: 201, Valid: true})
		s.do(call{Method: "POST", Path: p + "/transactions/create/", Key: till, Body: `{"src_currency":"BTC"}`, Want: 400, Code: 3013})
		s.do(call{Method: "POST", Path: p + "/transactions/create/", Key: till, Body: `{"src_currency":"BTC","tgt_currency":"COP","amount":1,"exchange_id":9}`,
			Want: 400, Code: 3019, Valid: true})
		id := fmt.Sprint(int64(tx["id"].(float64)))
		s.do(call{Method: "GET", Path: p + "/transactions/" + id + "/", Key: till, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/" + id + "/", Key: login(e.B.Admin.Email), Want: 401, Code: 3001, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/", Key: admin, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/?status=sending&from=2026-03-01-05:00&to=2026-03-02", Key: till, Want: 200, Valid: true})
		s.do(call{Method: "GET", Path: p + "/transactions/?from=yesterday", Key: till, Want: 400, Code: 3007, Valid: true})
		s.do(call{Method: "POST", Path: p + "/transactions/cancel/" + id + "/", Key: till, Want: 200, Valid: true})
		s.do(call{Method: "POST", Path: p + "/transactions/cancel/" + id + "/", Key: till, Want: 400, Code: 3027, Valid: true})
		s.do(call{Method: "DELETE", Path: p + "/transactions/create/", Key: till, Want: 405, Code: 4050})
		s.do(call{Method: "POST", Path: p + "/auth/logout/", Key: till, Want: 200, Valid: true})
		for path, item := range s.doc.Paths.Map() {
			for method := range item.Operations() {
				if !s.seen[method+" "+path] {
					t.Errorf("%s %s is never driven", method, path)
				}
			}
		}
	})
}
