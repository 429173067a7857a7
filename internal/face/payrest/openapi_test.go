package payrest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// TestOpenAPI checks that the OpenAPI document the face serves describes
// what the face does: the document is loaded from the running server and
// validated as OpenAPI 3.1, then every operation is driven through the real
// stack and each request and response is validated against it. Requests the
// server refuses are also checked the other way: where the document can
// express the rule that was broken, it must refuse the request too.
func TestOpenAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := oaLoad(t, e)

	t.Run("document", func(t *testing.T) { oaDocumentChecks(oaWith(s, t)) })
	t.Run("applications", func(t *testing.T) { oaApplications(oaWith(s, t)) })
	t.Run("users", func(t *testing.T) { oaUsers(oaWith(s, t)) })
	t.Run("token", func(t *testing.T) { oaToken(oaWith(s, t)) })
	t.Run("gateways", func(t *testing.T) { oaGateways(oaWith(s, t)) })
	t.Run("gateway configs", func(t *testing.T) { oaGatewayConfigs(oaWith(s, t)) })
	t.Run("payments", func(t *testing.T) { oaPayments(oaWith(s, t)) })
	t.Run("webhooks", func(t *testing.T) { oaWebhooks(oaWith(s, t)) })
	t.Run("subscriptions", func(t *testing.T) { oaSubscriptions(oaWith(s, t)) })
	t.Run("method not allowed", func(t *testing.T) { oaMethodNotAllowed(oaWith(s, t)) })
	t.Run("validator catches drift", func(t *testing.T) { oaDrift(oaWith(s, t)) })
	t.Run("stats", func(t *testing.T) { oaStats(oaWith(s, t)) })
	t.Run("coverage", func(t *testing.T) { oaCoverage(t, s) })
}

// oaSuite is the loaded document, its router and what the test has seen.
type oaSuite struct {
	t      *testing.T
	e      *env
	doc    *openapi3.T
	router routers.Router
	// seen counts responses per operation ("METHOD /path/template") and status.
	seen map[string]map[int]int
	// seen405 records the paths that answered 405.
	seen405 map[string]bool
	// samples keeps one validated response per operation and status, for the
	// drift checks.
	samples map[string]*oaExchange
}

// oaWith returns the suite reporting to t (a subtest).
func oaWith(s *oaSuite, t *testing.T) *oaSuite {
	c := *s
	c.t = t
	return &c
}

// oaLoad fetches the document from the server and loads it.
func oaLoad(t *testing.T, e *env) *oaSuite {
	t.Helper()
	r := e.Do("GET", "/openapi/payrest.json", NoAuth, nil).Expect(t, http.StatusOK)
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(r.Body)
	if err != nil {
		t.Fatalf("GET /openapi/payrest.json: the document does not load: %v", err)
	}
	if err := doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	return &oaSuite{t: t, e: e, doc: doc, router: router, seen: map[string]map[int]int{},
		seen405: map[string]bool{}, samples: map[string]*oaExchange{}}
}

func oaDocumentChecks(s *oaSuite) {
	t := s.t
	if s.doc.OpenAPI != "3.1.0" || !s.doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.0", s.doc.OpenAPI)
	}
	if s.doc.Info.Title != "pasarela PayREST API" || s.doc.Info.Version != "1.5.0-pasarela" {
		t.Errorf("info: title %q version %q", s.doc.Info.Title, s.doc.Info.Version)
	}
	if !strings.Contains(s.doc.Info.Description, "PayREST v1.5.0") {
		t.Errorf("info.description does not say which PayREST it is compatible with")
	}
	// The paths are exactly the face's routes.
	want := []string{
		"/application", "/application/{id}", "/application/{id}/recreate-key",
		"/application/{applicationId}/gateway", "/application/{applicationId}/gateway/{id}",
		"/application/{applicationId}/payment", "/application/{applicationId}/payment/{id}",
		"/application/{applicationId}/payment/{id}/refund", "/application/{applicationId}/payment/{id}/capture",
		"/gateway", "/gateway/{id}",
		"/auth/realms/{realm}/protocol/openid-connect/token", "/client/{clientId}/user",
		"/client/{clientId}/user/{id}", "/oauth/token", "/openapi/payrest.json",
		"/stats/operations/summary", "/stats/operations/daily", "/stats/operations/detail",
		"/application/{id}/stats/summary", "/application/{id}/stats/daily",
		"/application/{applicationId}/webhook", "/application/{applicationId}/webhook/{id}",
		"/application/{applicationId}/webhook/{id}/deliveries",
		"/application/{applicationId}/webhook/{id}/deliveries/{deliveryId}/retry",
		"/application/{applicationId}/subscription", "/application/{applicationId}/subscription/{id}",
	}
	if got := s.doc.Paths.InMatchingOrder(); !oaSameSet(got, want) {
		t.Errorf("paths %v, want %v", got, want)
	}
	schemes := s.doc.Components.SecuritySchemes
	if k := schemes["ApiKey"]; k == nil || k.Value.Type != "apiKey" || k.Value.In != "header" || k.Value.Name != "X-Auth-Token" {
		t.Errorf("security scheme ApiKey is not the X-Auth-Token header")
	}
	if o := schemes["OAuth2"]; o == nil || o.Value.Type != "oauth2" || o.Value.Flows == nil ||
		o.Value.Flows.Password == nil || o.Value.Flows.Password.TokenURL != "/oauth/token" {
		t.Errorf("security scheme OAuth2 is not a password flow with tokenUrl /oauth/token")
	}
	// The document the server serves is itself a documented response.
	s.do(oaCall{Method: "GET", Path: "/openapi/payrest.json", Want: 200})
}

// oaReqCheck says what the document must think of a request.
type oaReqCheck int

const (
	// oaReqValid: the request must match the document.
	oaReqValid oaReqCheck = iota
	// oaReqInvalid: the server refused the request and the document must
	// refuse it too (the broken rule is one the document states).
	oaReqInvalid
)

// oaCall is one request and the status it must get.
type oaCall struct {
	Method, Path string
	Auth         auth   // nil: none
	CType        string // Content-Type; set by the helpers
	Body         []byte
	Want         int
	Req          oaReqCheck
}

// oaExchange is a request and its response, validated.
type oaExchange struct {
	Label  string
	Route  *routers.Route
	Params map[string]string
	Req    *http.Request
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the response body as an object.
func (x *oaExchange) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(x.Body, &m); err != nil {
		t.Fatalf("%s: body is not a JSON object: %v; %s", x.Label, err, x.Body)
	}
	return m
}

// oaJSONBody returns v as a JSON request body.
func oaJSONBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// oaJSON is a JSON call.
func oaJSON(method, path string, a auth, body any, want int, req oaReqCheck) oaCall {
	c := oaCall{Method: method, Path: path, Auth: a, Want: want, Req: req}
	switch b := body.(type) {
	case nil:
	case string:
		c.Body, c.CType = []byte(b), "application/json"
	default:
		c.Body, c.CType = oaJSONBody(b), "application/json"
	}
	return c
}

// oaForm is a form-encoded token request.
func oaForm(path string, form url.Values, want int, req oaReqCheck) oaCall {
	return oaCall{Method: "POST", Path: path, CType: "application/x-www-form-urlencoded",
		Body: []byte(form.Encode()), Want: want, Req: req}
}

// oaBasic sends credentials of a scheme the face does not take.
func oaBasic(r *http.Request) { r.SetBasicAuth("someone", "secret") }

// oaBig is a JSON body over the harness's 64 KiB limit: {root:{field:"xxx…"}}.
func oaBig(root, field string) map[string]any {
	return map[string]any{root: map[string]any{field: strings.Repeat("x", 70<<10)}}
}

func (s *oaSuite) newRequest(c oaCall) *http.Request {
	s.t.Helper()
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequest(c.Method, s.e.URL+c.Path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if c.CType != "" {
		req.Header.Set("Content-Type", c.CType)
	}
	if c.Auth != nil {
		c.Auth(req)
	}
	return req
}

// do sends c to the server, checks its status, validates the request and
// the response against the document and records what it saw.
func (s *oaSuite) do(c oaCall) *oaExchange {
	s.t.Helper()
	res, err := http.DefaultClient.Do(s.newRequest(c))
	if err != nil {
		s.t.Fatalf("%s %s: %v", c.Method, c.Path, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		s.t.Fatalf("%s %s: reading the response: %v", c.Method, c.Path, err)
	}
	label := c.Method + " " + c.Path
	if res.StatusCode != c.Want {
		s.t.Fatalf("%s: status %d, want %d; body %s", label, res.StatusCode, c.Want, body)
	}

	// Validate a copy of the request: the one sent has been consumed.
	req := s.newRequest(c)
	route, params, err := s.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		route, params = s.methodNotAllowedRoute(label, req)
		if res.StatusCode != http.StatusMethodNotAllowed {
			s.t.Fatalf("%s: the document has no such operation, yet the server answered %d", label, res.StatusCode)
		}
		s.seen405[route.Path] = true
	case err != nil:
		s.t.Fatalf("%s: no documented path: %v", label, err)
	default:
		label = fmt.Sprintf("%s (operation %s %s)", label, route.Operation.OperationID, oaOpKey(route.Method, route.Path))
		err := s.validateRequest(req, route, params)
		switch {
		case c.Req == oaReqValid && err != nil:
			s.t.Fatalf("%s: the request does not match the document (status %d): %v", label, res.StatusCode, err)
		case c.Req == oaReqInvalid && err == nil:
			s.t.Fatalf("%s: the server refused the request with %d (%s) but the document accepts it", label, res.StatusCode, body)
		case c.Req == oaReqInvalid:
			first, _, _ := strings.Cut(err.Error(), "\n")
			s.t.Logf("%s: %d; the document refuses the request too: %s", label, res.StatusCode, first)
		}
	}

	x := &oaExchange{Label: label, Route: route, Params: params, Req: req, Status: res.StatusCode, Header: res.Header, Body: body}
	if err := s.validateResponse(x); err != nil {
		s.t.Fatalf("%s: the %d response does not match the document: %v\nheaders: %v\nbody: %s", label, res.StatusCode, err, res.Header, body)
	}
	key := oaOpKey(route.Method, route.Path)
	if s.seen[key] == nil {
		s.seen[key] = map[int]int{}
	}
	s.seen[key][res.StatusCode]++
	if sample := fmt.Sprintf("%s %d", key, res.StatusCode); s.samples[sample] == nil {
		s.samples[sample] = x
	}
	return x
}

func oaOpKey(method, path string) string { return method + " " + path }

// methodNotAllowedRoute builds the route of a method a path does not list:
// the path's item, and an operation whose only response is the document's
// MethodNotAllowed, which every path answers to methods it does not list.
func (s *oaSuite) methodNotAllowedRoute(label string, req *http.Request) (*routers.Route, map[string]string) {
	s.t.Helper()
	var found *routers.Route
	var params map[string]string
	for _, m := range []string{"GET", "POST"} {
		probe := req.Clone(req.Context())
		probe.Method = m
		if r, p, err := s.router.FindRoute(probe); err == nil {
			found, params = r, p
			break
		}
	}
	if found == nil {
		s.t.Fatalf("%s: no documented path", label)
	}
	ref := s.doc.Components.Responses["MethodNotAllowed"]
	if ref == nil {
		s.t.Fatalf("%s: the document has no components.responses.MethodNotAllowed", label)
	}
	op := openapi3.NewOperation()
	op.OperationID = "methodNotAllowed"
	op.Responses = openapi3.NewResponses(openapi3.WithStatus(http.StatusMethodNotAllowed, ref))
	return &routers.Route{Spec: s.doc, Server: found.Server, Path: found.Path, PathItem: found.PathItem,
		Method: req.Method, Operation: op}, params
}

func (s *oaSuite) validateRequest(req *http.Request, route *routers.Route, params map[string]string) error {
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: oaAuthenticate, MultiError: true, SkipSettingDefaults: true}}
	return openapi3filter.ValidateRequest(req.Context(), in)
}

// validateResponse validates x with every status the document does not
// list refused, and checks that a response the document gives no content has
// no body.
func (s *oaSuite) validateResponse(x *oaExchange) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: x.Req, PathParams: x.Params, Route: x.Route},
		Status:                 x.Status,
		Header:                 x.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()}},
	}
	in.SetBodyBytes(x.Body)
	if err := openapi3filter.ValidateResponse(x.Req.Context(), in); err != nil {
		return err
	}
	if r := x.Route.Operation.Responses.Status(x.Status); r != nil && len(r.Value.Content) == 0 && len(x.Body) > 0 {
		return fmt.Errorf("the document gives %d no content, but the body is %q", x.Status, x.Body)
	}
	return nil
}

// oaAuthenticate checks that the credentials a security scheme names are
// present and well-formed; whether they are good is the server's business.
func oaAuthenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch in.SecurityScheme.Type {
	case "apiKey":
		if in.SecurityScheme.In == "header" && strings.TrimSpace(h.Get(in.SecurityScheme.Name)) != "" {
			return nil
		}
	case "oauth2":
		scheme, token, _ := strings.Cut(h.Get("Authorization"), " ")
		if strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
			return nil
		}
	}
	return in.NewError(nil)
}

// --------------------------------------------------------------- scenarios

func oaApplications(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	appA := "/application/" + strconv.FormatInt(e.A.AppID, 10)
	appB := "/application/" + strconv.FormatInt(e.B.AppID, 10)
	bad := strings.Repeat("a", 48) // a key of the wrong shape

	// List.
	x := s.do(oaJSON("GET", "/application", admin, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "1" {
		t.Errorf("X-Total-Count %q, want 1", x.Header.Get("X-Total-Count"))
	}
	s.do(oaJSON("GET", "/application?limit=5&offset=0&sort=createdAt_DESC,id&name=Alpha", key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/application?limit=0", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/application?limit=101", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/application?offset=-1", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/application?sort=keyHash_asc", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/application?sort=name_up", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/application", nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", "/application", oaBasic, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", "/application", Key(bad), nil, 401, oaReqValid))

	// Create.
	form := map[string]any{"application": map[string]any{"name": "Second shop", "url": "https://two.example.com", "logo": nil}}
	x = s.do(oaJSON("POST", "/application", admin, form, 201, oaReqValid))
	created := x.JSON(t)
	id := int64(created["id"].(float64))
	app := "/application/" + strconv.FormatInt(id, 10)
	if got := x.Header.Get("Location"); got != app {
		t.Errorf("Location %q, want %q", got, app)
	}
	newKey, _ := created["apiKey"].(map[string]any)["key"].(string)
	s.do(oaJSON("GET", app, Key(newKey), nil, 200, oaReqValid))
	s.do(oaJSON("POST", "/application", admin, map[string]any{"application": map[string]any{}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", "/application", admin, map[string]any{"application": map[string]any{"name": "x", "color": "red"}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", "/application", admin, map[string]any{"application": map[string]any{"name": "x", "url": "ftp://x.example.com"}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", "/application", admin, map[string]any{"app": map[string]any{"name": "x"}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", "/application", admin, `{"application":{"name":"x"}`, 400, oaReqInvalid))
	s.do(oaJSON("POST", "/application", key, form, 403, oaReqInvalid))
	s.do(oaJSON("POST", "/application", nil, form, 401, oaReqInvalid))
	s.do(oaJSON("POST", "/application", admin, oaBig("application", "name"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: "/application", Auth: admin, CType: "text/plain", Body: []byte("name=x"), Want: 415, Req: oaReqInvalid})

	// Read.
	s.do(oaJSON("GET", appA, admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", appA, key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", appB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", app, key, nil, 404, oaReqValid)) // a key sees only its own application
	s.do(oaJSON("GET", "/application/abc", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("GET", appA, nil, nil, 401, oaReqInvalid))

	// Replace.
	x = s.do(oaJSON("PUT", app, admin, map[string]any{"application": map[string]any{"name": "Second shop, renamed"}}, 200, oaReqValid))
	if m := x.JSON(t); m["url"] != nil || m["apiKey"].(map[string]any)["key"] != nil {
		t.Errorf("PUT: url and apiKey.key should be null: %s", x.Body)
	}
	s.do(oaJSON("PUT", app, admin, map[string]any{"application": map[string]any{"url": "https://x.example.com"}}, 400, oaReqInvalid))
	s.do(oaJSON("PUT", appA, key, map[string]any{"application": map[string]any{"name": "x"}}, 403, oaReqInvalid))
	s.do(oaJSON("PUT", app, key, map[string]any{"application": map[string]any{"name": "x"}}, 404, oaReqInvalid)) // not the key's application
	s.do(oaJSON("PUT", appB, admin, map[string]any{"application": map[string]any{"name": "x"}}, 404, oaReqValid))
	s.do(oaJSON("PUT", "/application/999999", admin, map[string]any{"application": map[string]any{"name": "x"}}, 404, oaReqValid))
	s.do(oaCall{Method: "PUT", Path: app, Auth: admin, CType: "application/xml", Body: []byte("<application/>"), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PUT", app, admin, oaBig("application", "name"), 413, oaReqInvalid))
	s.do(oaJSON("PUT", app, nil, map[string]any{"application": map[string]any{"name": "x"}}, 401, oaReqInvalid))

	// Update.
	s.do(oaJSON("PATCH", app, admin, map[string]any{"application": map[string]any{"logo": "https://two.example.com/logo.png"}}, 200, oaReqValid))
	s.do(oaJSON("PATCH", app, admin, map[string]any{"application": map[string]any{}}, 200, oaReqValid))
	s.do(oaJSON("PATCH", app, admin, map[string]any{"application": map[string]any{"name": nil}}, 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, map[string]any{"application": map[string]any{"name": "two\nlines"}}, 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, map[string]any{"application": map[string]any{"logo": 7}}, 400, oaReqInvalid))
	gestpay := func(g map[string]any) map[string]any {
		return map[string]any{"application": map[string]any{"gestpay": g}}
	}
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"positiveUrl": "https://two.example.com/ok", "negativeUrl": nil,
		"serverToServerUrl": "https://two.example.com/s2s", "allowedIps": []string{"192.0.2.0/24"}, "requireApiKey": true,
		"languageId": "1"}), 200, oaReqValid))
	// The endpoint kept for the server-to-server URL lists with the others.
	if x := s.do(oaJSON("GET", app+"/webhook", admin, nil, 200, oaReqValid)); !strings.Contains(string(x.Body), `"method":"GET"`) {
		t.Errorf("the server-to-server endpoint is not listed: %s", x.Body)
	}
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"serverToServerUrl": ""}), 200, oaReqValid))
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"positiveUrl": "ftp://two.example.com"}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"languageId": "9"}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"requireApiKey": "yes"}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"allowedIps": make([]string, 101)}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", app, admin, gestpay(map[string]any{"shopLogin": "x"}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", appA, key, map[string]any{"application": map[string]any{}}, 403, oaReqInvalid))
	s.do(oaJSON("PATCH", appB, admin, map[string]any{"application": map[string]any{}}, 404, oaReqValid))
	s.do(oaJSON("PATCH", app, admin, oaBig("application", "logo"), 413, oaReqInvalid))
	s.do(oaCall{Method: "PATCH", Path: app, Auth: admin, Body: []byte(`{"application":{}}`), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PATCH", app, nil, map[string]any{"application": map[string]any{}}, 401, oaReqInvalid))

	// Recreate the key: the old one stops working.
	x = s.do(oaJSON("POST", app+"/recreate-key", admin, nil, 201, oaReqValid))
	if k, _ := x.JSON(t)["apiKey"].(map[string]any)["key"].(string); k == "" || k == newKey {
		t.Errorf("recreate-key: no new key in %s", x.Body)
	}
	s.do(oaJSON("GET", app, Key(newKey), nil, 401, oaReqValid))
	s.do(oaJSON("POST", appA+"/recreate-key", key, nil, 403, oaReqInvalid))
	s.do(oaJSON("POST", appB+"/recreate-key", admin, nil, 404, oaReqValid))
	s.do(oaJSON("POST", "/application/0/recreate-key", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("POST", app+"/recreate-key", nil, nil, 401, oaReqInvalid))

	// Delete.
	s.do(oaJSON("DELETE", appA, key, nil, 403, oaReqInvalid))
	s.do(oaJSON("DELETE", app, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", appB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("DELETE", app, admin, nil, 204, oaReqValid))
	s.do(oaJSON("DELETE", app, admin, nil, 404, oaReqValid))
}

func oaUsers(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	users := "/client/" + e.A.ClientID + "/user"
	usersB := "/client/" + e.B.ClientID + "/user"
	adminA := users + "/" + strconv.FormatInt(e.A.AdminID, 10)
	adminB := usersB + "/" + strconv.FormatInt(e.B.AdminID, 10)

	// List.
	s.do(oaJSON("GET", users, admin, nil, 200, oaReqValid))
	x := s.do(oaJSON("GET", users+"?sort=email_desc,createdAt&limit=1&offset=0", admin, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "1" {
		t.Errorf("X-Total-Count %q, want 1", x.Header.Get("X-Total-Count"))
	}
	s.do(oaJSON("GET", users+"?sort=roles_asc", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", users+"?limit=ten", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", usersB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", users, key, nil, 403, oaReqInvalid))
	s.do(oaJSON("GET", users, nil, nil, 401, oaReqInvalid))

	// Create.
	form := map[string]any{"user": map[string]any{"username": "oa-viewer", "email": "oa-viewer@example.com",
		"password": testPassword, "roles": []string{"viewer"}, "firstName": "Vera", "lastName": nil}}
	x = s.do(oaJSON("POST", users, admin, form, 201, oaReqValid))
	viewerID := int64(x.JSON(t)["id"].(float64))
	viewer := users + "/" + strconv.FormatInt(viewerID, 10)
	if got := x.Header.Get("Location"); got != viewer {
		t.Errorf("Location %q, want %q", got, viewer)
	}
	s.do(oaJSON("POST", users, admin, map[string]any{"user": map[string]any{"username": "oa-bare", "email": "oa-bare@example.com",
		"password": testPassword}}, 201, oaReqValid))
	s.do(oaJSON("POST", users, admin, form, 409, oaReqValid))
	s.do(oaJSON("POST", users, admin, map[string]any{"user": map[string]any{"username": "oa-weak", "email": "oa-weak@example.com",
		"password": "short"}}, 400, oaReqValid)) // the password policy is described, not expressed
	s.do(oaJSON("POST", users, admin, map[string]any{"user": map[string]any{"email": "oa-x@example.com", "password": testPassword}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", users, admin, map[string]any{"user": map[string]any{"username": "oa-x", "email": "oa-x@example.com",
		"password": testPassword, "roles": []string{"root"}}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", usersB, admin, form, 404, oaReqValid))
	s.do(oaJSON("POST", users, key, map[string]any{"user": map[string]any{"username": "oa-y", "email": "oa-y@example.com",
		"password": testPassword}}, 403, oaReqInvalid))
	s.do(oaJSON("POST", users, nil, form, 401, oaReqInvalid))
	s.do(oaJSON("POST", users, admin, oaBig("user", "username"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: users, Auth: admin, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	// A viewer may not manage users.
	vtoken := e.MustLogin("oa-viewer", testPassword)
	s.do(oaJSON("GET", users, Bearer(vtoken), nil, 403, oaReqValid))

	// Read.
	s.do(oaJSON("GET", viewer, admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", viewer, Bearer(vtoken), nil, 403, oaReqValid))
	s.do(oaJSON("GET", viewer, key, nil, 403, oaReqInvalid))
	s.do(oaJSON("GET", users+"/999999", admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", adminB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", users+"/me", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("GET", viewer, nil, nil, 401, oaReqInvalid))

	// Replace.
	x = s.do(oaJSON("PUT", viewer, admin, map[string]any{"user": map[string]any{"username": "oa-viewer", "email": "oa-viewer@example.com",
		"roles": []string{"viewer", "manager", "viewer"}, "firstName": "Vera"}}, 200, oaReqValid))
	if m := x.JSON(t); m["lastName"] != nil {
		t.Errorf("PUT: lastName should be null: %s", x.Body)
	}
	s.do(oaJSON("PUT", viewer, admin, map[string]any{"user": map[string]any{"username": e.A.AdminLogin, "email": "oa-viewer@example.com"}}, 409, oaReqValid))
	s.do(oaJSON("PUT", viewer, admin, map[string]any{"user": map[string]any{"username": "oa-viewer"}}, 400, oaReqInvalid))
	s.do(oaJSON("PUT", adminA, admin, map[string]any{"user": map[string]any{"username": e.A.AdminLogin, "email": "alpha@example.com",
		"roles": []string{"manager"}}}, 400, oaReqValid)) // the last admin stays
	s.do(oaJSON("PUT", adminB, admin, map[string]any{"user": map[string]any{"username": "x-b", "email": "x-b@example.com"}}, 404, oaReqValid))
	s.do(oaJSON("PUT", viewer, Bearer(vtoken), map[string]any{"user": map[string]any{"username": "oa-viewer", "email": "oa-viewer@example.com"}}, 403, oaReqValid))
	s.do(oaJSON("PUT", viewer, admin, oaBig("user", "email"), 413, oaReqInvalid))
	s.do(oaCall{Method: "PUT", Path: viewer, Auth: admin, CType: "application/x-www-form-urlencoded", Body: []byte("user=x"), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PUT", viewer, nil, map[string]any{"user": map[string]any{}}, 401, oaReqInvalid))

	// Update.
	s.do(oaJSON("PATCH", viewer, admin, map[string]any{"user": map[string]any{"lastName": "Vidal", "password": "N3w-secret!"}}, 200, oaReqValid))
	s.do(oaJSON("PATCH", viewer, admin, map[string]any{"user": map[string]any{"email": "not an email"}}, 400, oaReqValid))
	s.do(oaJSON("PATCH", viewer, admin, map[string]any{"user": map[string]any{"roles": []string{"superuser"}}}, 400, oaReqInvalid))
	s.do(oaJSON("PATCH", viewer, admin, map[string]any{"user": map[string]any{"uuid": "x"}}, 400, oaReqInvalid))
	s.do(oaJSON("PATCH", viewer, admin, map[string]any{"user": map[string]any{"email": "beta@example.com"}}, 409, oaReqValid))
	s.do(oaJSON("PATCH", users+"/999999", admin, map[string]any{"user": map[string]any{}}, 404, oaReqValid))
	s.do(oaJSON("PATCH", viewer, key, map[string]any{"user": map[string]any{}}, 403, oaReqInvalid))
	s.do(oaJSON("PATCH", viewer, admin, oaBig("user", "firstName"), 413, oaReqInvalid))
	s.do(oaCall{Method: "PATCH", Path: viewer, Auth: admin, Body: []byte(`{"user":{}}`), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PATCH", viewer, nil, map[string]any{"user": map[string]any{}}, 401, oaReqInvalid))

	// Delete.
	s.do(oaJSON("DELETE", adminA, admin, nil, 400, oaReqValid)) // the last admin stays
	s.do(oaJSON("DELETE", viewer, Bearer(vtoken), nil, 403, oaReqValid))
	s.do(oaJSON("DELETE", viewer, key, nil, 403, oaReqInvalid))
	s.do(oaJSON("DELETE", adminB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("DELETE", viewer, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", viewer, admin, nil, 204, oaReqValid))
	s.do(oaJSON("DELETE", viewer, admin, nil, 404, oaReqValid))
	// A deleted user's token stops working.
	s.do(oaJSON("GET", users, Bearer(vtoken), nil, 401, oaReqValid))
}

func oaToken(s *oaSuite) {
	t, e := s.t, s.e
	const realm = "/auth/realms/production/protocol/openid-connect/token"
	for _, path := range []string{"/oauth/token", realm} {
		x := s.do(oaForm(path, url.Values{"grant_type": {"password"}, "username": {e.A.AdminLogin}, "password": {testPassword},
			"client_id": {"payrest"}}, 200, oaReqValid))
		refresh, _ := x.JSON(t)["refresh_token"].(string)
		s.do(oaForm(path, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, 200, oaReqValid))
		s.do(oaForm(path, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not-a-token"}}, 400, oaReqValid))
		s.do(oaForm(path, url.Values{"grant_type": {"password"}, "username": {e.B.AdminLogin}, "password": {"Wr0ng-password!"}}, 401, oaReqValid))
		s.do(oaForm(path, url.Values{"grant_type": {"password"}, "username": {e.B.AdminLogin}}, 400, oaReqInvalid))
		s.do(oaForm(path, url.Values{"username": {e.B.AdminLogin}, "password": {testPassword}}, 400, oaReqInvalid))
		s.do(oaForm(path, url.Values{"grant_type": {"client_credentials"}}, 400, oaReqInvalid))
		s.do(oaForm(path, url.Values{"grant_type": {"refresh_token"}}, 400, oaReqInvalid))
		s.do(oaCall{Method: "POST", Path: path, CType: "application/json", Body: []byte(`{"grant_type":"password"}`), Want: 415, Req: oaReqInvalid})
		// The form limit is not something the document can state.
		s.do(oaForm(path, url.Values{"grant_type": {"password"}, "username": {"oa-big"}, "password": {strings.Repeat("x", 70<<10)}}, 413, oaReqValid))
	}
	// Failed sign-ins are limited per username (5 in the harness's core).
	locked := url.Values{"grant_type": {"password"}, "username": {"oa-nobody@example.com"}, "password": {"Wr0ng-password!"}}
	for range 5 {
		s.do(oaForm("/oauth/token", locked, 401, oaReqValid))
	}
	x := s.do(oaForm("/oauth/token", locked, 429, oaReqValid))
	if x.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
}

func oaMethodNotAllowed(s *oaSuite) {
	e := s.e
	admin := Bearer(e.A.Token)
	app := "/application/" + strconv.FormatInt(e.A.AppID, 10)
	user := "/client/" + e.A.ClientID + "/user/" + strconv.FormatInt(e.A.AdminID, 10)
	for _, c := range []oaCall{
		oaJSON("DELETE", "/application", admin, nil, 405, oaReqValid),
		oaJSON("POST", app, admin, map[string]any{"application": map[string]any{"name": "x"}}, 405, oaReqValid),
		oaJSON("GET", app+"/recreate-key", admin, nil, 405, oaReqValid),
		oaJSON("PUT", "/client/"+e.A.ClientID+"/user", admin, nil, 405, oaReqValid),
		oaJSON("POST", user, admin, nil, 405, oaReqValid),
		oaJSON("GET", "/oauth/token", nil, nil, 405, oaReqValid),
		oaJSON("DELETE", "/auth/realms/production/protocol/openid-connect/token", nil, nil, 405, oaReqValid),
		oaJSON("POST", "/openapi/payrest.json", nil, nil, 405, oaReqValid),
	} {
		x := s.do(c)
		if x.Header.Get("Allow") == "" {
			s.t.Errorf("%s: 405 without Allow", x.Label)
		}
	}
}

// oaDrift proves the validation has teeth: real responses, altered the ways
// the code could drift from the document, must fail it.
func oaDrift(s *oaSuite) {
	t := s.t
	mutate := func(sample string, what string, change func(body map[string]any, h http.Header) any) {
		t.Helper()
		x := s.samples[sample]
		if x == nil {
			t.Fatalf("no sample %q to alter", sample)
		}
		var v any
		if err := json.Unmarshal(x.Body, &v); err != nil {
			t.Fatalf("%s: %v", sample, err)
		}
		h := x.Header.Clone()
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{"list": v} // an array body is passed as m["list"]
		}
		out := change(m, h)
		y := *x
		y.Header, y.Body = h, oaJSONBody(out)
		if err := s.validateResponse(&y); err == nil {
			t.Errorf("%s: altered (%s), the response still matches the document", sample, what)
		}
	}
	getApp := "GET /application/{id} 200"
	mutate(getApp, "an undocumented field", func(m map[string]any, _ http.Header) any { m["secret"] = "x"; return m })
	mutate(getApp, "a field missing", func(m map[string]any, _ http.Header) any { delete(m, "shopLogin"); return m })
	mutate(getApp, "apiKey.key a number", func(m map[string]any, _ http.Header) any {
		m["apiKey"].(map[string]any)["key"] = 5
		return m
	})
	mutate(getApp, "an undocumented field in apiKey", func(m map[string]any, _ http.Header) any {
		m["apiKey"].(map[string]any)["hash"] = "x"
		return m
	})
	mutate(getApp, "url not string or null", func(m map[string]any, _ http.Header) any { m["url"] = false; return m })
	mutate(getApp, "no X-Request-Id", func(m map[string]any, h http.Header) any { h.Del("X-Request-Id"); return m })
	mutate("POST /application 201", "apiKey.key null on create", func(m map[string]any, _ http.Header) any {
		m["apiKey"].(map[string]any)["key"] = nil
		return m
	})
	mutate("POST /application 201", "no Location", func(m map[string]any, h http.Header) any { h.Del("Location"); return m })
	mutate("GET /application 200", "no X-Total-Count", func(m map[string]any, h http.Header) any { h.Del("X-Total-Count"); return m["list"] })
	mutate("GET /application 200", "an undocumented field in an item", func(m map[string]any, _ http.Header) any {
		m["list"].([]any)[0].(map[string]any)["clientId"] = "x"
		return m["list"]
	})
	mutate("GET /application 200", "an object, not an array", func(m map[string]any, _ http.Header) any { return map[string]any{"items": m["list"]} })
	mutate("GET /client/{clientId}/user/{id} 200", "an unknown role", func(m map[string]any, _ http.Header) any {
		m["roles"] = []any{"root"}
		return m
	})
	mutate("GET /client/{clientId}/user/{id} 200", "an undocumented field", func(m map[string]any, _ http.Header) any {
		m["passwordHash"] = "x"
		return m
	})
	mutate("GET /application/{id} 404", "code not the status", func(m map[string]any, _ http.Header) any { m["code"] = 400; return m })
	mutate("GET /application/{id} 404", "an undocumented field", func(m map[string]any, _ http.Header) any { m["detail"] = "x"; return m })
	mutate("POST /application 400", "errors not a list of strings", func(m map[string]any, _ http.Header) any {
		m["errors"] = map[string]any{"name": "is required"}
		return m
	})
	mutate("GET /application 401", "no WWW-Authenticate", func(m map[string]any, h http.Header) any { h.Del("WWW-Authenticate"); return m })
	mutate("POST /oauth/token 200", "token_type not Bearer", func(m map[string]any, _ http.Header) any { m["token_type"] = "mac"; return m })
	mutate("POST /oauth/token 200", "an undocumented field", func(m map[string]any, _ http.Header) any { m["scope"] = "openid"; return m })
	mutate("POST /oauth/token 401", "PayREST's error shape", func(m map[string]any, _ http.Header) any {
		return map[string]any{"code": 401, "message": "x"}
	})
	mutate("POST /oauth/token 429", "no Retry-After", func(m map[string]any, h http.Header) any { h.Del("Retry-After"); return m })

	// Gateways and payments.
	getPay := "GET /application/{applicationId}/payment/{id} 200"
	newPay := "POST /application/{applicationId}/payment 201"
	mutate(getPay, "no paymentLinks in the detail", func(m map[string]any, _ http.Header) any { delete(m, "paymentLinks"); return m })
	mutate(getPay, "amount a number", func(m map[string]any, _ http.Header) any { m["amount"] = 1050; return m })
	mutate(getPay, "amount in major units", func(m map[string]any, _ http.Header) any { m["amount"] = "10.50"; return m })
	mutate(getPay, "a core status name", func(m map[string]any, _ http.Header) any { m["status"] = "requires_action"; return m })
	mutate(getPay, "askForClientDetails a boolean", func(m map[string]any, _ http.Header) any { m["askForClientDetails"] = false; return m })
	mutate(getPay, "the card number", func(m map[string]any, _ http.Header) any {
		m["card"] = map[string]any{"last4": "4242", "brand": "visa", "expMonth": 12, "expYear": 2034, "number": "4242424242424242"}
		return m
	})
	mutate(getPay, "an undocumented field", func(m map[string]any, _ http.Header) any { m["checkoutToken"] = "pc_x"; return m })
	mutate(getPay, "a link of another status", func(m map[string]any, _ http.Header) any {
		m["paymentLinks"].([]any)[0].(map[string]any)["status"] = "open"
		return m
	})
	mutate(getPay, "a link's url relative", func(m map[string]any, _ http.Header) any {
		m["paymentLinks"].([]any)[0].(map[string]any)["url"] = "/pay/pl_x"
		return m
	})
	mutate(newPay, "paymentLinks in a created payment", func(m map[string]any, _ http.Header) any { m["paymentLinks"] = []any{}; return m })
	mutate(newPay, "no Location", func(m map[string]any, h http.Header) any { h.Del("Location"); return m })
	mutate(newPay, "Idempotent-Replayed not true", func(m map[string]any, h http.Header) any { h.Set("Idempotent-Replayed", "yes"); return m })
	mutate(newPay, "the hosted page not a URL", func(m map[string]any, _ http.Header) any {
		m["links"].([]any)[1].(map[string]any)["href"] = "pay/pc_x"
		return m
	})
	mutate("GET /application/{applicationId}/payment 200", "no X-Total-Count", func(m map[string]any, h http.Header) any {
		h.Del("X-Total-Count")
		return m["list"]
	})
	mutate("GET /application/{applicationId}/payment 200", "refunds in a listed payment", func(m map[string]any, _ http.Header) any {
		m["list"].([]any)[0].(map[string]any)["refunds"] = []any{}
		return m["list"]
	})
	mutate("POST /application/{applicationId}/payment/{id}/capture 200", "subscription an object", func(m map[string]any, _ http.Header) any {
		m["subscription"] = map[string]any{}
		return m
	})
	mutate("GET /gateway 200", "configuredInstances in the list", func(m map[string]any, _ http.Header) any {
		m["list"].([]any)[0].(map[string]any)["configuredInstances"] = []any{}
		return m["list"]
	})
	mutate("GET /gateway 200", "an option of an unknown type", func(m map[string]any, _ http.Header) any {
		m["list"].([]any)[0].(map[string]any)["options"].(map[string]any)["sandbox"].(map[string]any)["type"] = "number"
		return m["list"]
	})
	mutate("GET /gateway/{id} 200", "no configuredInstances", func(m map[string]any, _ http.Header) any { delete(m, "configuredInstances"); return m })
	mutate("GET /application/{applicationId}/gateway/{id} 200", "code not a UUID", func(m map[string]any, _ http.Header) any { m["code"] = "x"; return m })
	mutate("GET /application/{applicationId}/gateway/{id} 200", "a negative weight", func(m map[string]any, _ http.Header) any { m["weight"] = -1; return m })
	mutate("GET /application/{applicationId}/gateway/{id} 200", "no config", func(m map[string]any, _ http.Header) any { delete(m, "config"); return m })
	mutate("POST /application/{applicationId}/gateway 201", "no Location", func(m map[string]any, h http.Header) any { h.Del("Location"); return m })
	mutate("POST /application/{applicationId}/payment/{id}/refund 201", "a refund status of another kind", func(m map[string]any, _ http.Header) any {
		m["status"] = "refunded"
		return m
	})
	mutate("POST /application/{applicationId}/payment/{id}/refund 201", "amount zero", func(m map[string]any, _ http.Header) any { m["amount"] = "0"; return m })
	mutate("POST /application/{applicationId}/payment/{id} 201", "no gatewayConfig", func(m map[string]any, _ http.Header) any { delete(m, "gatewayConfig"); return m })
	mutate("DELETE /application/{applicationId}/payment/{id} 400", "errors an array", func(m map[string]any, _ http.Header) any { m["errors"] = []any{"x"}; return m })

	// A status the operation does not document fails.
	x := *s.samples[getApp]
	x.Status = http.StatusTeapot
	if err := s.validateResponse(&x); err == nil {
		t.Errorf("an undocumented status matches the document")
	}
}

// oaCoverage fails unless every operation of the document was exercised,
// with at least the statuses listed, and every path answered 405.
func oaCoverage(t *testing.T, s *oaSuite) {
	want := map[string][]int{
		"listApplications":       {200, 400, 401},
		"createApplication":      {201, 400, 401, 403, 413, 415},
		"getApplication":         {200, 401, 404},
		"replaceApplication":     {200, 400, 401, 403, 404, 413, 415},
		"updateApplication":      {200, 400, 401, 403, 404, 413, 415},
		"deleteApplication":      {204, 401, 403, 404},
		"recreateApplicationKey": {201, 401, 403, 404},
		"listUsers":              {200, 400, 401, 403, 404},
		"createUser":             {201, 400, 401, 403, 404, 409, 413, 415},
		"getUser":                {200, 401, 403, 404},
		"replaceUser":            {200, 400, 401, 403, 404, 409, 413, 415},
		"updateUser":             {200, 400, 401, 403, 404, 409, 413, 415},
		"deleteUser":             {204, 400, 401, 403, 404},
		"token":                  {200, 400, 401, 413, 415, 429},
		"realmToken":             {200, 400, 401, 413, 415},
		"getOpenAPI":             {200},
		"listGateways":           {200, 401},
		"getGateway":             {200, 401, 404},
		"listGatewayConfigs":     {200, 400, 401, 404},
		"createGatewayConfig":    {201, 400, 401, 403, 404, 413, 415},
		"getGatewayConfig":       {200, 401, 404},
		"replaceGatewayConfig":   {200, 400, 401, 403, 404, 413, 415},
		"updateGatewayConfig":    {200, 400, 401, 403, 404, 413, 415},
		"deleteGatewayConfig":    {204, 400, 401, 403, 404},
		"listPayments":           {200, 400, 401, 404},
		"operationsSummary":      {200, 400, 401, 403},
		"operationsDaily":        {200, 400, 401, 403},
		"operationsDetail":       {200, 400, 401, 403},
		"applicationSummary":     {200, 400, 401, 404},
		"applicationStatsDaily":  {200, 400, 401, 404},
		"createPayment":          {201, 400, 401, 403, 404, 409, 413, 415},
		"getPayment":             {200, 401, 404},
		"createPaymentLink":      {201, 400, 401, 403, 404, 413, 415},
		"cancelPayment":          {204, 400, 401, 403, 404},
		"listRefunds":            {200, 401, 404},
		"createRefund":           {201, 400, 401, 403, 404, 409, 413, 415},
		"capturePayment":         {200, 400, 401, 403, 404},
		"listWebhooks":           {200, 400, 401, 404},
		"createWebhook":          {201, 400, 401, 403, 404, 413, 415},
		"getWebhook":             {200, 401, 404},
		"deleteWebhook":          {204, 401, 403, 404},
		"listDeliveries":         {200, 400, 401, 404},
		"retryDelivery":          {202, 401, 403, 404, 409},
		"listSubscriptions":      {200, 400, 401, 404},
		"createSubscription":     {201, 400, 401, 403, 404, 409, 413, 415},
		"getSubscription":        {200, 401, 404},
		"createAgreement":        {201, 400, 401, 403, 404, 413, 415},
		"cancelSubscription":     {204, 400, 401, 403, 404},
	}
	ops := 0
	for _, path := range s.doc.Paths.InMatchingOrder() {
		if !s.seen405[path] {
			t.Errorf("%s: no request got 405 for a method the path does not list", path)
		}
		for method, op := range s.doc.Paths.Value(path).Operations() {
			ops++
			key := oaOpKey(method, path)
			seen := s.seen[key]
			statuses, ok := want[op.OperationID]
			if !ok {
				t.Errorf("%s (%s): the test does not know this operation; add it to the coverage list", key, op.OperationID)
				continue
			}
			for _, st := range statuses {
				if op.Responses.Status(st) == nil {
					t.Errorf("%s (%s): the test wants status %d, which the document does not list", key, op.OperationID, st)
				}
				if seen[st] == 0 {
					t.Errorf("%s (%s): no request got %d; seen %v", key, op.OperationID, st, oaStatuses(seen))
				}
			}
		}
	}
	if ops != len(want) {
		t.Errorf("the document has %d operations; the coverage list names %d", ops, len(want))
	}
}

func oaStatuses(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for st := range m {
		out = append(out, st)
	}
	sort.Ints(out)
	return out
}

func oaSameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// ------------------------------------------------ gateways and payments

// oaIdem is a JSON call with an Idempotency-Key.
func oaIdem(method, path string, a auth, key string, body any, want int, req oaReqCheck) oaCall {
	return oaJSON(method, path, a.Idem(key), body, want, req)
}

func oaGateways(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	x := s.do(oaJSON("GET", "/gateway", admin, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "2" {
		t.Errorf("X-Total-Count %q", x.Header.Get("X-Total-Count"))
	}
	s.do(oaJSON("GET", "/gateway", key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/gateway", nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", "/gateway", Key("psk_"+strings.Repeat("a", 44)), nil, 401, oaReqValid))
	s.do(oaJSON("GET", "/gateway/sandbox", admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/gateway/paypal_express_checkout", key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/gateway/redsys", admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", "/gateway/sandbox", nil, nil, 401, oaReqInvalid))
	for _, c := range []oaCall{
		oaJSON("DELETE", "/gateway", admin, nil, 405, oaReqValid),
		oaJSON("POST", "/gateway/sandbox", admin, nil, 405, oaReqValid),
	} {
		if x := s.do(c); x.Header.Get("Allow") != "GET" {
			t.Errorf("%s: Allow %q", x.Label, x.Header.Get("Allow"))
		}
	}
}

func oaGatewayConfigs(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	e.MustCreateUser(e.A, "oa-gw-viewer", "viewer")
	viewer := Bearer(e.MustLogin("oa-gw-viewer", testPassword))
	list := gatewaysPath(e.A.AppID)
	listB := gatewaysPath(e.B.AppID)
	bCfg := e.MustSandbox(e.B, e.B.AppID, "B cards", nil)

	// Create.
	x := s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "OA cards"}), 201, oaReqValid))
	cards := x.JSON(t)["id"].(float64)
	one := gatewayPath(e.A.AppID, int64(cards))
	if got := x.Header.Get("Location"); got != one {
		t.Errorf("Location %q, want %q", got, one)
	}
	x = s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "OA wallet",
		"weight": 2, "enabled": true, "config": ppConfig()}), 201, oaReqValid))
	wallet := gatewayPath(e.A.AppID, int64(x.JSON(t)["id"].(float64)))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "OA spare", "weight": nil,
		"enabled": nil, "config": nil}), 201, oaReqValid))
	spare := gatewayPath(e.A.AppID, int64(s.do(oaJSON("GET", list+"?filter=spare", admin, nil, 200, oaReqValid)).JSON2(t)[0]["id"].(float64)))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "redsys", "name": "x"}), 400, oaReqValid))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x", "config": map[string]any{"x": 1}}), 400, oaReqValid))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "x"}), 400, oaReqValid))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x", "weight": -1}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x", "code": "x"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, admin, map[string]any{"gateway": map[string]any{}}, 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x"}), 403, oaReqInvalid))
	s.do(oaJSON("POST", list, viewer, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x"}), 403, oaReqValid))
	s.do(oaJSON("POST", listB, admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x"}), 404, oaReqValid))
	s.do(oaJSON("POST", list, nil, gatewayBody(map[string]any{"gateway": "sandbox", "name": "x"}), 401, oaReqInvalid))
	s.do(oaJSON("POST", list, admin, oaBig("gatewayConfig", "name"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: list, Auth: admin, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	// List.
	x = s.do(oaJSON("GET", list, admin, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "3" {
		t.Errorf("X-Total-Count %q", x.Header.Get("X-Total-Count"))
	}
	s.do(oaJSON("GET", list+"?filter=OA&sort=weight_desc,name&limit=2&offset=1", key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", list+"?sort=code_asc", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list+"?filter="+strings.Repeat("f", 201), admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list+"?limit=0", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", listB, admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", "/application/x/gateway", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("GET", list, nil, nil, 401, oaReqInvalid))

	// Read; the catalog now counts them.
	s.do(oaJSON("GET", one, admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", wallet, key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", gatewayPath(e.A.AppID, bCfg), admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", list+"/x", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("GET", one, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", "/gateway", admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/gateway/paypal_express_checkout", admin, nil, 200, oaReqValid))

	// Replace.
	x = s.do(oaJSON("PUT", wallet, admin, gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "OA wallet",
		"config": map[string]any{"sandbox": true, "username": ppUser, "password": "********", "signature": "********"}}), 200, oaReqValid))
	if cfg := x.JSON(t)["config"].(map[string]any); cfg["password"] != "********" {
		t.Errorf("PUT: config %v", cfg)
	}
	s.do(oaJSON("PUT", one, admin, gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "x"}), 400, oaReqValid))
	s.do(oaJSON("PUT", one, admin, gatewayBody(map[string]any{"weight": 1}), 400, oaReqInvalid))
	s.do(oaJSON("PUT", one, key, gatewayBody(map[string]any{"name": "x"}), 403, oaReqInvalid))
	s.do(oaJSON("PUT", one, viewer, gatewayBody(map[string]any{"name": "x"}), 403, oaReqValid))
	s.do(oaJSON("PUT", gatewayPath(e.A.AppID, bCfg), admin, gatewayBody(map[string]any{"name": "x"}), 404, oaReqValid))
	s.do(oaJSON("PUT", one, admin, oaBig("gatewayConfig", "name"), 413, oaReqInvalid))
	s.do(oaCall{Method: "PUT", Path: one, Auth: admin, Body: []byte(`{"gatewayConfig":{"name":"x"}}`), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PUT", one, nil, gatewayBody(map[string]any{"name": "x"}), 401, oaReqInvalid))

	// Update.
	s.do(oaJSON("PATCH", one, admin, gatewayBody(map[string]any{"weight": 4, "config": map[string]any{"capture": "manual"}}), 200, oaReqValid))
	s.do(oaJSON("PATCH", one, admin, gatewayBody(map[string]any{}), 200, oaReqValid))
	s.do(oaJSON("PATCH", one, admin, gatewayBody(map[string]any{"config": map[string]any{"speed": 1}}), 400, oaReqValid))
	s.do(oaJSON("PATCH", one, admin, gatewayBody(map[string]any{"weight": 5000}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", one, admin, gatewayBody(map[string]any{"name": nil}), 400, oaReqInvalid))
	s.do(oaJSON("PATCH", one, key, gatewayBody(map[string]any{}), 403, oaReqInvalid))
	s.do(oaJSON("PATCH", one, viewer, gatewayBody(map[string]any{}), 403, oaReqValid))
	s.do(oaJSON("PATCH", list+"/999999", admin, gatewayBody(map[string]any{}), 404, oaReqValid))
	s.do(oaJSON("PATCH", one, admin, oaBig("gatewayConfig", "name"), 413, oaReqInvalid))
	s.do(oaCall{Method: "PATCH", Path: one, Auth: admin, CType: "application/xml", Body: []byte("<x/>"), Want: 415, Req: oaReqInvalid})
	s.do(oaJSON("PATCH", one, nil, gatewayBody(map[string]any{}), 401, oaReqInvalid))

	// Delete: a config a payment went through stays.
	p := e.MustCreatePayment(key, e.A.AppID, map[string]any{"gatewayConfigs": []int64{int64(cards)}, "capture": "automatic"})
	e.MustPayPayment(key, e.A.AppID, p, cardOK)
	x = s.do(oaJSON("DELETE", one, admin, nil, 400, oaReqValid))
	if msg, _ := x.JSON(t)["message"].(string); !strings.HasPrefix(msg, "No es posible borrar esta pasarela de pago") {
		t.Errorf("message %q", msg)
	}
	s.do(oaJSON("DELETE", spare, key, nil, 403, oaReqInvalid))
	s.do(oaJSON("DELETE", spare, viewer, nil, 403, oaReqValid))
	s.do(oaJSON("DELETE", gatewayPath(e.A.AppID, bCfg), admin, nil, 404, oaReqValid))
	s.do(oaJSON("DELETE", spare, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", spare, admin, nil, 204, oaReqValid))
	s.do(oaJSON("DELETE", spare, admin, nil, 404, oaReqValid))

	for _, c := range []oaCall{
		oaJSON("DELETE", list, admin, nil, 405, oaReqValid),
		oaJSON("POST", one, admin, gatewayBody(map[string]any{}), 405, oaReqValid),
	} {
		if x := s.do(c); x.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", x.Label)
		}
	}
}

// JSON2 decodes the response body as an array of objects.
func (x *oaExchange) JSON2(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(x.Body, &l); err != nil {
		t.Fatalf("%s: body is not a JSON array: %v; %s", x.Label, err, x.Body)
	}
	return l
}

func oaPayments(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	e.MustCreateUser(e.A, "oa-pay-viewer", "viewer")
	viewer := Bearer(e.MustLogin("oa-pay-viewer", testPassword))
	app := e.A.AppID
	list := paymentsPath(app)
	cards := e.MustSandbox(e.A, app, "OA pay cards", nil)
	e.MustSandbox(e.B, e.B.AppID, "B pay cards", nil)
	bPay := e.MustCreatePayment(Key(e.B.AppKey), e.B.AppID, nil).ID()
	bOwn := paymentPath(e.B.AppID, bPay) // B's payment where it is
	bViaA := paymentPath(app, bPay)      // B's payment under A's application
	expires := rfc3339(e.Clock.Now().Add(48 * time.Hour))

	// Create.
	form := map[string]any{"amount": "1050", "currency": "EUR", "description": "Order 42", "clientId": "oa-customer",
		"clientEmail": "buyer@example.com", "gatewayConfigs": []int64{cards}, "flags": []string{"web"},
		"askForClientDetails": "false", "type": "Simple.", "capture": "manual", "returnUrl": "https://shop.example.com/ok",
		"cancelUrl": nil, "language": "ES", "expiresAt": expires, "metadata": map[string]string{"order": "42"}}
	x := s.do(oaJSON("POST", list, admin, paymentBody(form), 201, oaReqValid))
	held := x.JSON(t)
	heldPath := paymentPath(app, int64(held["id"].(float64)))
	if x.Header.Get("Location") != heldPath {
		t.Errorf("Location %q, want %q", x.Header.Get("Location"), heldPath)
	}
	idemForm := paymentBody(map[string]any{"amount": "700", "currency": "eur", "clientId": "oa-customer", "askForClientDetails": true})
	first := s.do(oaIdem("POST", list, key, "oa-pay-1", idemForm, 201, oaReqValid))
	x = s.do(oaIdem("POST", list, admin, "oa-pay-1", idemForm, 201, oaReqValid))
	if x.Header.Get("Idempotent-Replayed") != "true" || string(x.Body) != string(first.Body) {
		t.Errorf("replay: %q %s", x.Header.Get("Idempotent-Replayed"), x.Body)
	}
	pending := paymentPath(app, int64(first.JSON(t)["id"].(float64)))
	s.do(oaIdem("POST", list, key, "oa-pay-1", paymentBody(map[string]any{"amount": "701", "currency": "EUR"}), 409, oaReqValid))
	s.do(oaIdem("POST", list, key, "oa pay", idemForm, 400, oaReqInvalid))
	s.do(oaIdem("POST", list, key, strings.Repeat("k", 300), idemForm, 400, oaReqInvalid))
	for _, bad := range []map[string]any{
		{"amount": "10.50", "currency": "EUR"},
		{"amount": 100, "currency": "EUR"},
		{"amount": "99999999999999999999", "currency": "EUR"},
		{"currency": "EUR"},
		{"amount": "100", "currency": "EUR", "expiresAt": "tomorrow"},
		{"amount": "100", "currency": "EUR", "type": "subscription"},
		{"amount": "100", "currency": "EUR", "capture": "later"},
		{"amount": "100", "currency": "EUR", "returnUrl": "ftp://x.example.com"},
		{"amount": "100", "currency": "EUR", "language": "xx"},
		{"amount": "100", "currency": "EUR", "status": "completed"},
	} {
		s.do(oaJSON("POST", list, key, paymentBody(bad), 400, oaReqInvalid))
	}
	for _, bad := range []map[string]any{ // rules the document describes but cannot state
		{"amount": "100", "currency": "BTC"},
		{"amount": "100", "currency": "XXY"},
		{"amount": "100", "currency": "EUR", "clientEmail": "not-an-email"},
		{"amount": "100", "currency": "EUR", "gatewayConfigs": []int64{999999}},
		{"amount": "100", "currency": "EUR", "expiresAt": "2020-01-01T00:00:00Z"},
	} {
		s.do(oaJSON("POST", list, key, paymentBody(bad), 400, oaReqValid))
	}
	zID, _ := e.MustCreateApp(admin, "OA no gateway")
	s.do(oaJSON("POST", paymentsPath(zID), admin, paymentBody(map[string]any{"amount": "100", "currency": "EUR"}), 400, oaReqValid))
	s.do(oaJSON("POST", list, viewer, paymentBody(map[string]any{"amount": "100", "currency": "EUR"}), 403, oaReqValid))
	s.do(oaJSON("POST", paymentsPath(e.B.AppID), key, paymentBody(map[string]any{"amount": "100", "currency": "EUR"}), 404, oaReqValid))
	s.do(oaJSON("POST", list, nil, paymentBody(map[string]any{"amount": "100", "currency": "EUR"}), 401, oaReqInvalid))
	s.do(oaJSON("POST", list, key, oaBig("payment", "description"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: list, Auth: key, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	// Links: a link, one that expires, and the refusals.
	linkForm := linkBody(map[string]any{"gatewayConfig": cards, "returnUrl": "https://shop.example.com/ok", "cancelUrl": nil,
		"expiresAt": rfc3339(e.Clock.Now().Add(time.Second))})
	s.do(oaJSON("POST", pending, key, linkForm, 201, oaReqValid))
	x = s.do(oaJSON("POST", heldPath, admin, linkBody(map[string]any{"gatewayConfig": cards}), 201, oaReqValid))
	linkURL := x.JSON(t)["url"].(string)
	s.do(oaJSON("POST", pending, key, linkBody(map[string]any{"gatewayConfig": 999999}), 400, oaReqValid))
	s.do(oaJSON("POST", pending, key, linkBody(map[string]any{"gatewayConfig": cards, "expiresAt": "2020-01-01T00:00:00Z"}), 400, oaReqValid))
	s.do(oaJSON("POST", pending, key, linkBody(map[string]any{"returnUrl": "https://shop.example.com/ok"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", pending, key, linkBody(map[string]any{"gatewayConfig": cards, "returnUrl": "shop"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", pending, key, linkBody(map[string]any{"gatewayConfig": cards, "expiration": "x"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", pending, viewer, linkBody(map[string]any{"gatewayConfig": cards}), 403, oaReqValid))
	s.do(oaJSON("POST", bViaA, key, linkBody(map[string]any{"gatewayConfig": cards}), 404, oaReqValid))
	s.do(oaJSON("POST", bOwn, key, linkBody(map[string]any{"gatewayConfig": cards}), 404, oaReqValid))
	s.do(oaJSON("POST", pending, nil, linkBody(map[string]any{"gatewayConfig": cards}), 401, oaReqInvalid))
	s.do(oaJSON("POST", pending, key, oaBig("paymentLink", "returnUrl"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: pending, Auth: key, Body: []byte(`{"paymentLink":{}}`), Want: 415, Req: oaReqInvalid})

	// Pay the held payment through its link, capture it, refund it.
	e.MustPay(PageToken(t, linkURL), cardOK)
	s.do(oaJSON("POST", pending+"/capture", key, nil, 400, oaReqValid)) // nobody paid
	s.do(oaJSON("POST", heldPath+"/capture", viewer, nil, 403, oaReqValid))
	s.do(oaJSON("POST", bViaA+"/capture", key, nil, 404, oaReqValid))
	s.do(oaJSON("POST", heldPath+"/capture", nil, nil, 401, oaReqInvalid))
	x = s.do(oaJSON("POST", heldPath+"/capture", key, nil, 200, oaReqValid))
	if m := x.JSON(t); m["status"] != "completed" || m["capturedAmount"] != "1050" {
		t.Errorf("capture: %s", x.Body)
	}
	s.do(oaJSON("POST", heldPath+"/capture", key, nil, 400, oaReqValid))
	s.do(oaJSON("POST", heldPath, key, linkBody(map[string]any{"gatewayConfig": cards}), 400, oaReqValid)) // paid

	refund := heldPath + "/refund"
	s.do(oaJSON("POST", refund, key, refundBody(map[string]any{"amount": "50", "reason": "late"}), 201, oaReqValid))
	r1 := s.do(oaIdem("POST", refund, admin, "oa-refund-1", refundBody(map[string]any{"amount": "100", "reason": nil}), 201, oaReqValid))
	x = s.do(oaIdem("POST", refund, key, "oa-refund-1", refundBody(map[string]any{"amount": "100", "reason": nil}), 201, oaReqValid))
	if x.Header.Get("Idempotent-Replayed") != "true" || string(x.Body) != string(r1.Body) {
		t.Errorf("refund replay: %q %s", x.Header.Get("Idempotent-Replayed"), x.Body)
	}
	s.do(oaIdem("POST", refund, key, "oa-refund-1", refundBody(map[string]any{"amount": "101"}), 409, oaReqValid))
	s.do(oaJSON("POST", refund, key, refundBody(map[string]any{"amount": "1000"}), 400, oaReqValid)) // more than is left
	s.do(oaJSON("POST", refund, key, refundBody(map[string]any{"amount": "5.00"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", refund, key, map[string]any{"amount": "5"}, 400, oaReqInvalid))
	s.do(oaJSON("POST", pending+"/refund", key, refundBody(map[string]any{}), 400, oaReqValid)) // not paid
	s.do(oaJSON("POST", refund, viewer, refundBody(map[string]any{}), 403, oaReqValid))
	s.do(oaJSON("POST", bViaA+"/refund", key, refundBody(map[string]any{}), 404, oaReqValid))
	s.do(oaJSON("POST", refund, nil, refundBody(map[string]any{}), 401, oaReqInvalid))
	s.do(oaJSON("POST", refund, key, oaBig("refund", "reason"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: refund, Auth: key, CType: "text/plain", Body: []byte("{}"), Want: 415, Req: oaReqInvalid})
	x = s.do(oaJSON("GET", refund, viewer, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "2" {
		t.Errorf("refunds: X-Total-Count %q", x.Header.Get("X-Total-Count"))
	}
	s.do(oaJSON("GET", bOwn+"/refund", key, nil, 404, oaReqValid))
	s.do(oaJSON("GET", refund, nil, nil, 401, oaReqInvalid))

	// Read: the detail, with a link that has expired.
	e.Clock.Advance(2 * time.Second)
	x = s.do(oaJSON("GET", pending, key, nil, 200, oaReqValid))
	if links := x.JSON(t)["paymentLinks"].([]any); len(links) != 1 || links[0].(map[string]any)["status"] != "expired" {
		t.Errorf("paymentLinks %v", links)
	}
	x = s.do(oaJSON("GET", heldPath, viewer, nil, 200, oaReqValid))
	if m := x.JSON(t); m["status"] != "partially_refunded" || len(m["refunds"].([]any)) != 2 || m["card"] == nil {
		t.Errorf("detail: %s", x.Body)
	}
	s.do(oaJSON("GET", bViaA, admin, nil, 404, oaReqValid))
	s.do(oaJSON("GET", list+"/abc", admin, nil, 404, oaReqInvalid))
	s.do(oaJSON("GET", pending, nil, nil, 401, oaReqInvalid))

	// List.
	x = s.do(oaJSON("GET", list, key, nil, 200, oaReqValid))
	if x.Header.Get("X-Total-Count") != "3" { // paid in the gateway configs' scenario, held, pending
		t.Errorf("payments: X-Total-Count %s", x.Header.Get("X-Total-Count"))
	}
	tx := first.JSON(t)["transactionId"].(string)
	s.do(oaJSON("GET", list+"?status=pending&client_id=oa-customer&transaction_id="+tx+"&sort=amount_desc,createdAt&limit=5&offset=0", viewer, nil, 200, oaReqValid))
	s.do(oaJSON("GET", list+"?status=partially_refunded", admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", list+"?status=paid", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list+"?sort=description", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list+"?limit=101", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", paymentsPath(e.B.AppID), key, nil, 404, oaReqValid))
	s.do(oaJSON("GET", list, nil, nil, 401, oaReqInvalid))

	// Cancel.
	s.do(oaJSON("DELETE", pending, viewer, nil, 403, oaReqValid))
	s.do(oaJSON("DELETE", bViaA, key, nil, 404, oaReqValid))
	s.do(oaJSON("DELETE", pending, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", pending, key, nil, 204, oaReqValid))
	x = s.do(oaJSON("DELETE", pending, key, nil, 400, oaReqValid))
	if msg, _ := x.JSON(t)["message"].(string); !strings.Contains(msg, "cannot apply 'invalidated'") {
		t.Errorf("message %q", msg)
	}
	s.do(oaJSON("DELETE", heldPath, key, nil, 400, oaReqValid))

	for _, c := range []oaCall{
		oaJSON("PUT", list, key, nil, 405, oaReqValid),
		oaJSON("PATCH", pending, key, nil, 405, oaReqValid),
		oaJSON("DELETE", refund, key, nil, 405, oaReqValid),
		oaJSON("GET", heldPath+"/capture", key, nil, 405, oaReqValid),
	} {
		if x := s.do(c); x.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", x.Label)
		}
	}
}
