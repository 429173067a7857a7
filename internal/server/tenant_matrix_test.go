package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
	"github.com/pasarela/pasarela/internal/transport"
)

// TestTenantMatrix: every route every face registered on the mux (read
// from the mux, not from a list kept by hand), called with each of the
// other client's credentials on this client's ids, with every method. None
// may answer with this client's data or change it: a resource route
// answers 401, 403, 404 or 405 (or a 400/422 that shows nothing of it),
// and no answer anywhere holds a marker of this client (its id, names,
// email, payment references). A new route that takes an id without
// checking whose it is fails here; so does a route with a path wildcard
// the matrix has no value for (add it to matrixValue).
func TestTenantMatrix(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)
	routes := Routes(m.ts.Config.Handler)
	faces := map[string]int{}
	calls := 0
	for _, r := range routes {
		faces[r.Face]++
		method, pattern, _ := strings.Cut(r.Pattern, " ")
		if pattern == "" {
			method, pattern = "", method
		}
		path := m.fill(t, pattern)
		methods := []string{method}
		if method == "" {
			methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
		}
		for _, creds := range m.bCreds[r.Face] {
			for _, meth := range methods {
				calls++
				status, body := m.call(meth, path, creds, bodyFor(pattern, meth))
				if marker := m.leak(body); marker != "" {
					t.Errorf("%s %s %s as %s: the answer shows A's %s: %.300s", r.Face, meth, path, creds.name, marker, body)
				}
				if m.holdsID(pattern) && status/100 == 2 {
					t.Errorf("%s %s %s as %s: %d on A's resource: %.300s", r.Face, meth, path, creds.name, status, body)
				}
				if status >= 500 {
					t.Errorf("%s %s %s as %s: %d: %.300s", r.Face, meth, path, creds.name, status, body)
				}
			}
		}
	}
	for _, f := range Faces {
		if faces[f] == 0 {
			t.Errorf("face %s registered no route", f)
		}
	}
	// Nothing of A changed.
	for path, before := range m.snapshot {
		if after := m.get(t, path); after != before {
			t.Errorf("A's %s changed:\nbefore %s\nafter  %s", path, before, after)
		}
	}
	t.Logf("%d routes of %d faces, %d calls with B's credentials on A's ids", len(routes), len(faces), calls)
}

// matrix is the server with two clients: A, whose resources are probed,
// and B, whose credentials probe them.
type matrix struct {
	ts       *httptest.Server
	svc      *core.Service
	ids      map[string]string // A's ids by name
	markers  map[string]string // what of A no answer to B may hold, by name
	aKey     string
	aBearer  string
	bCreds   map[string][]cred // per face
	snapshot map[string]string // A's resources as A reads them, by path
}

type cred struct {
	name   string
	header map[string]string
}

func newMatrix(t *testing.T) *matrix {
	ctx := context.Background()
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(ctx, db, log, nil, core.Config{SecretKey: []byte("0123456789abcdef0123456789abcdef"),
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)))})
	if err != nil {
		t.Fatal(err)
	}
	proxies, err := transport.ParseProxies("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(Config{TrustedProxies: proxies}, svc, log, NewMetrics()))
	t.Cleanup(func() { ts.Close(); db.Close() })
	m := &matrix{ts: ts, svc: svc, ids: map[string]string{}, markers: map[string]string{}, snapshot: map[string]string{}}

	a := coretest.MustTenant(t, svc, "Alphamarker Shop")
	b := coretest.MustTenant(t, svc, "Beta Shop")
	m.aKey = a.App.APIKey
	m.aBearer = m.oauth(t, a.Admin.Email)
	m.ids["app"] = strconv.FormatInt(a.App.ID, 10)
	m.ids["client"] = a.Client.ID
	m.ids["user"] = strconv.FormatInt(a.Admin.ID, 10)
	m.markers["client id"] = a.Client.ID
	m.markers["email"] = a.Admin.Email
	m.markers["name"] = "Alphamarker"
	m.markers["shop login"] = a.App.ShopLogin
	m.markers["client code"] = a.Client.Code

	aBearer := map[string]string{"Authorization": "Bearer " + m.aBearer}
	aKey := map[string]string{"X-Auth-Token": m.aKey}
	app := "/application/" + m.ids["app"]
	m.ids["gateway"] = m.mustID(t, "POST", app+"/gateway", aBearer, `{"gatewayConfig":{"gateway":"sandbox","name":"Alphamarker cards"}}`)
	m.ids["webhook"] = m.mustID(t, "POST", app+"/webhook", aBearer, `{"webhook":{"targets":["https://alphamarker.example/hooks"],"targetEntity":"payment"}}`)
	m.ids["payment"] = m.mustID(t, "POST", app+"/payment", aKey, `{"payment":{"amount":"1050","currency":"EUR","description":"Alphamarker order"}}`)
	payID, _ := strconv.ParseInt(m.ids["payment"], 10, 64)
	p, err := svc.GetPayment(coretest.AppCtx(ctx, &a.App.Application), a.App.ID, payID)
	if err != nil {
		t.Fatal(err)
	}
	m.markers["transaction id"], m.markers["checkout token"] = p.TransactionID, p.CheckoutToken
	if _, err := svc.PayWithCard(ctx, p.CheckoutToken, pasarela.CardInput{Name: "Ada", Number: "4242424242424242",
		ExpMonth: 12, ExpYear: 2045, CVC: "123"}); err != nil {
		t.Fatal(err)
	}
	m.ids["refund"] = m.mustID(t, "POST", app+"/payment/"+m.ids["payment"]+"/refund", aKey, `{"refund":{"amount":"50"}}`)
	m.ids["subscription"] = m.mustID(t, "POST", app+"/subscription", aKey,
		`{"subscription":{"amount":"999","currency":"EUR","interval":"month","description":"Alphamarker plan"}}`)
	_, deliveries := m.call("GET", app+"/webhook/"+m.ids["webhook"]+"/deliveries", cred{header: aBearer}, "")
	if id := regexp.MustCompile(`"id":(\d+)`).FindSubmatch(deliveries); id != nil {
		m.ids["delivery"] = string(id[1])
	} else {
		t.Fatalf("no delivery of A's webhook: %s", deliveries)
	}
	sekure := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(m.aKey+":")),
		"X-Forwarded-Proto": "https"}
	if status, body := m.call("POST", "/sekurepay/api/v1/orders", cred{header: sekure},
		`{"id":"alphamarker-1","sub_total_cents":100,"total_cents":100,"currency":"USD","items":[{"description":"Alphamarker item","amount_cents":100}]}`); status != 201 {
		t.Fatalf("A's order: %d %s", status, body)
	}
	m.ids["order"] = "alphamarker-1"

	for _, path := range []string{app, app + "/gateway/" + m.ids["gateway"], app + "/webhook/" + m.ids["webhook"],
		app + "/payment/" + m.ids["payment"], app + "/payment/" + m.ids["payment"] + "/refund",
		app + "/subscription/" + m.ids["subscription"], "/client/" + m.ids["client"] + "/user/" + m.ids["user"],
		app + "/webhook/" + m.ids["webhook"] + "/deliveries"} {
		m.snapshot[path] = m.get(t, path)
	}

	// B's credentials, in each face's kind.
	bBearer := m.oauth(t, b.Admin.Email)
	m.bCreds = map[string][]cred{
		FacePayREST: {{"B's API key", map[string]string{"X-Auth-Token": b.App.APIKey}},
			{"B's admin token", map[string]string{"Authorization": "Bearer " + bBearer}}},
		FaceSekurePay: {{"B's API key", map[string]string{"Authorization": "Basic " +
			base64.StdEncoding.EncodeToString([]byte(b.App.APIKey+":")), "X-Forwarded-Proto": "https"}}},
		FaceGestpay: {{"B's shop", map[string]string{"Content-Type": "text/xml"}}},
	}
	_, kb := m.call("POST", "/kashpay/AuthenticationService/authenticate", cred{},
		`{"entity":"`+b.Client.Code+`","user":"`+b.Admin.Email+`","password":"`+coretest.Password+`"}`)
	var ka struct{ AuthenticationResponse struct{ Token string } }
	if json.Unmarshal(kb, &ka) != nil || ka.AuthenticationResponse.Token == "" {
		t.Fatalf("B's Kashpay sign-in: %s", kb)
	}
	m.bCreds[FaceKashpay] = []cred{{"B's Kashpay session", map[string]string{"Authorization": "Bearer " + ka.AuthenticationResponse.Token}}}
	_, xb := m.call("POST", "/xpay/api/v1/auth/login/", cred{}, `{"email":"`+b.Admin.Email+`","password":"`+coretest.Password+`"}`)
	var xa struct{ Key string }
	if json.Unmarshal(xb, &xa) != nil || xa.Key == "" {
		t.Fatalf("B's xpay sign-in: %s", xb)
	}
	m.bCreds[FaceXpay] = []cred{{"B's xpay token", map[string]string{"Authorization": "Token " + xa.Key}}}
	return m
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// fill puts A's ids in a pattern's wildcards, chosen by the literal
// segment before each.
func (m *matrix) fill(t *testing.T, pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		if !wildcard.MatchString(s) {
			continue
		}
		prev, prev2 := "", ""
		if i > 0 {
			prev = segs[i-1]
		}
		if i > 1 {
			prev2 = segs[i-2]
		}
		v, ok := m.matrixValue(strings.Trim(s, "{}"), prev, prev2)
		if !ok {
			t.Fatalf("route %s: the tenant matrix has no value for %s after %q; add one", pattern, s, prev)
		}
		segs[i] = v
	}
	return strings.Join(segs, "/")
}

// matrixValue is A's value for a wildcard named name after the literal
// segments prev2/prev.
func (m *matrix) matrixValue(name, prev, prev2 string) (string, bool) {
	switch name {
	case "$":
		return "", true
	case "applicationId":
		return m.ids["app"], true
	case "clientId":
		return m.ids["client"], true
	case "deliveryId":
		return m.ids["delivery"], true
	case "realm":
		return "pasarela", true
	case "amount":
		return "100", true
	case "currency":
		if prev == "chain" {
			return "BTC", true
		}
		return "COP", true
	case "id":
		switch prev {
		case "application":
			return m.ids["app"], true
		case "user":
			return m.ids["user"], true
		case "gateway":
			if prev2 == "" { // the public catalog: /gateway/{id}
				return "sandbox", true
			}
			return m.ids["gateway"], true
		case "payment", "transactions", "cancel":
			return m.ids["payment"], true
		case "subscription":
			return m.ids["subscription"], true
		case "webhook":
			return m.ids["webhook"], true
		case "orders":
			return m.ids["order"], true
		}
	}
	return "", false
}

// holdsID reports whether a pattern names one of A's resources (or A as a
// client) by a wildcard, rather than a list of the caller's own or a
// public route.
func (m *matrix) holdsID(pattern string) bool {
	for _, w := range wildcard.FindAllString(pattern, -1) {
		switch w {
		case "{$}", "{realm}", "{amount}", "{currency}":
		default:
			if !strings.HasPrefix(pattern, "/gateway/") { // the public catalog
				return true
			}
		}
	}
	return false
}

// bodyFor is a plausible body for a method on a route, so that a route
// reaches its ownership check rather than stopping at an empty body.
func bodyFor(pattern, method string) string {
	if method == "GET" || method == "DELETE" {
		return ""
	}
	switch {
	case strings.HasSuffix(pattern, "/refund"):
		return `{"refund":{"amount":"1"}}`
	case strings.HasSuffix(pattern, "/capture"), strings.HasSuffix(pattern, "/retry"), strings.HasSuffix(pattern, "/recreate-key"):
		return ""
	case strings.Contains(pattern, "/gateway"):
		return `{"gatewayConfig":{"gateway":"sandbox","name":"hijacked","weight":9}}`
	case strings.Contains(pattern, "/webhook"):
		return `{"webhook":{"targets":["https://hijack.example/h"],"targetEntity":"payment"}}`
	case strings.Contains(pattern, "/subscription"):
		return `{"subscription":{"amount":"1","currency":"EUR","interval":"month"}}`
	case strings.Contains(pattern, "/payment"):
		return `{"payment":{"amount":"1","currency":"EUR"}}`
	case strings.Contains(pattern, "/user"):
		return `{"user":{"username":"hijack","email":"hijack@example.com","password":"Hijack-9!xy","roles":["admin"]}}`
	case strings.HasPrefix(pattern, "/application"):
		return `{"application":{"name":"hijacked"}}`
	case strings.HasPrefix(pattern, "/sekurepay"):
		return `{"id":"hijack-1","sub_total_cents":100,"total_cents":100,"currency":"USD","items":[{"description":"x","amount_cents":100}]}`
	}
	return `{}`
}

func (m *matrix) call(method, path string, c cred, body string) (int, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, m.ts.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res, err := m.ts.Client().Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// leak names the marker of A that body holds, or "".
func (m *matrix) leak(body []byte) string {
	for name, v := range m.markers {
		if v != "" && bytes.Contains(body, []byte(v)) {
			return name
		}
	}
	return ""
}

func (m *matrix) mustID(t *testing.T, method, path string, h map[string]string, body string) string {
	t.Helper()
	status, b := m.call(method, path, cred{header: h}, body)
	var v struct{ ID int64 }
	if status/100 != 2 || json.Unmarshal(b, &v) != nil || v.ID == 0 {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	return strconv.FormatInt(v.ID, 10)
}

// get reads one of A's resources as A's admin.
func (m *matrix) get(t *testing.T, path string) string {
	t.Helper()
	status, b := m.call("GET", path, cred{header: map[string]string{"Authorization": "Bearer " + m.aBearer}}, "")
	if status != 200 {
		t.Fatalf("A's GET %s: %d %s", path, status, b)
	}
	return string(b)
}

func (m *matrix) oauth(t *testing.T, email string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", m.ts.URL+"/oauth/token",
		strings.NewReader("grant_type=password&username="+email+"&password="+coretest.Password))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := m.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("sign-in of %s: %v", email, err)
	}
	return tok.AccessToken
}
