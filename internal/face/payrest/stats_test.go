package payrest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/paypal"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/server"
)

// newEnvOn is newEnv on a database of the engine given, so that the
// statistics, whose SQL differs most between engines, are seen through
// the face on both.
func newEnvOn(t *testing.T, engine string) *env {
	t.Helper()
	db := coretest.MustOpen(t, engine)
	clk := coretest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var h http.Handler
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	pp := paypal.New(core.ProcessorState(db, paypal.GatewayID))
	svc, err := core.New(context.Background(), db, log, clk.Now, core.Config{SignIn: core.SignInConfig{FailuresPerIP: 1000},
		Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, sandbox.GatewayID)), pp),
		SecretKey:  testSecretKey, PublicURL: "http://" + ts.Listener.Addr().String()})
	if err != nil {
		ts.Close()
		t.Fatal(err)
	}
	h = server.New(server.Config{MaxBodyBytes: 64 << 10}, svc, log, server.NewMetrics())
	ts.Start()
	t.Cleanup(ts.Close)
	e := &env{t: t, URL: ts.URL, Svc: svc, Clock: clk, PayPal: pp}
	e.A = e.newTenant("Alpha Shop", "alpha@example.com")
	e.B = e.newTenant("Beta Shop", "beta@example.com")
	return e
}

// statsWorld is what the stats tests made through the API: A's payments
//
//	p1 EUR 1000 created and paid 03-01 12:00 UTC             completed
//	p2 USD 2500 created and paid 03-01 12:00, 500 refunded   partially_refunded
//	p3 EUR  300 created 03-01 12:00                          pending
//	p4 EUR  700 created 03-01 23:30, paid 03-02 00:30        completed
//
// and B's b1 (EUR 99999, paid), which A must never see.
type statsWorld struct {
	cfg            int64
	p1, p2, p3, p4 int64
}

func newStatsWorld(t *testing.T, e *env) *statsWorld {
	t.Helper()
	w := &statsWorld{cfg: e.MustSandbox(e.A, e.A.AppID, "Main", nil)}
	e.MustSandbox(e.B, e.B.AppID, "B", nil)
	key := Key(e.A.AppKey)
	pay := func(amount, currency string) int64 {
		r := e.MustCreatePayment(key, e.A.AppID, map[string]any{"amount": amount, "currency": currency})
		e.MustPayPayment(key, e.A.AppID, r, "4242424242424242")
		return r.ID()
	}
	w.p1 = pay("1000", "EUR")
	w.p2 = pay("2500", "USD")
	e.Do("POST", paymentPath(e.A.AppID, w.p2)+"/refund", Bearer(e.A.Token), refundBody(map[string]any{"amount": "500"})).
		Expect(t, http.StatusCreated)
	w.p3 = e.MustCreatePayment(key, e.A.AppID, map[string]any{"amount": "300", "currency": "EUR"}).ID()
	b1 := e.MustCreatePayment(Key(e.B.AppKey), e.B.AppID, map[string]any{"amount": "99999", "currency": "EUR"})
	e.MustPayPayment(Key(e.B.AppKey), e.B.AppID, b1, "4242424242424242")
	e.Clock.Advance(11*time.Hour + 30*time.Minute)
	r := e.MustCreatePayment(key, e.A.AppID, map[string]any{"amount": "700", "currency": "EUR"})
	w.p4 = r.ID()
	e.Clock.Advance(time.Hour)
	e.MustPayPayment(key, e.A.AppID, r, "4242424242424242")
	// The access tokens of the morning have expired by now.
	e.A.Token = e.MustLogin(e.A.AdminLogin, testPassword)
	e.B.Token = e.MustLogin(e.B.AdminLogin, testPassword)
	return w
}

// mustJSON decodes body and compares it with want, written as JSON.
func mustJSON(t *testing.T, what string, body []byte, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%s: %v in %s", what, err, body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("%s: the expectation is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("%s:\n got %s\nwant %s", what, body, want)
	}
}

func TestStatsFace(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnvOn(t, engine)
		w := newStatsWorld(t, e)
		admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
		app := strconv.FormatInt(e.A.AppID, 10)
		cfg := strconv.FormatInt(w.cfg, 10)
		id := func(n int64) string { return strconv.FormatInt(n, 10) }

		t.Run("operations summary", func(t *testing.T) {
			r := e.MustGet("/stats/operations/summary", admin)
			mustJSON(t, "summary", r.Body, `{"totalCount":3,"totalAmount":{"EUR":"1700","USD":"2500"},
				"refundedAmount":{"EUR":"0","USD":"500"},
				"details":[{"applicationId":`+app+`,"name":"Alpha Shop web","totalCount":3,
					"totalAmount":{"EUR":"1700","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"}}]}`)
			// B's own figures hold only its own payment.
			r = e.MustGet("/stats/operations/summary", Bearer(e.B.Token))
			if r.JSON["totalCount"].(float64) != 1 || r.JSON["totalAmount"].(map[string]any)["EUR"] != "99999" {
				t.Fatalf("B's summary %s", r.Body)
			}
		})
		t.Run("application summary", func(t *testing.T) {
			for _, a := range []auth{admin, key} {
				r := e.MustGet(appPath(e.A.AppID)+"/stats/summary", a)
				mustJSON(t, "application summary", r.Body, `{"totalCount":3,"totalAmount":{"EUR":"1700","USD":"2500"},
					"refundedAmount":{"EUR":"0","USD":"500"},
					"details":[{"gatewayConfig":`+cfg+`,"gateway":"sandbox","name":"Main","totalCount":3,
						"totalAmount":{"EUR":"1700","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"}}]}`)
			}
		})
		t.Run("operations daily by confirmation, UTC and UTC-6", func(t *testing.T) {
			r := e.MustGet("/stats/operations/daily?from=2026-03-01&to=2026-03-02", admin)
			mustJSON(t, "UTC", r.Body, `{"from":"2026-03-01","to":"2026-03-02","tz":"+00:00","totalCount":3,
				"totalAmount":{"EUR":"1700","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"},"data":[
				{"date":"2026-03-01","applicationId":`+app+`,"totalCount":2,"totalAmount":{"EUR":"1000","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"}},
				{"date":"2026-03-02","applicationId":`+app+`,"totalCount":1,"totalAmount":{"EUR":"700"},"refundedAmount":{"EUR":"0"}}]}`)
			r = e.MustGet("/stats/operations/daily?from=2026-03-01&to=2026-03-02&tz=-06:00", admin)
			mustJSON(t, "UTC-6", r.Body, `{"from":"2026-03-01","to":"2026-03-02","tz":"-06:00","totalCount":3,
				"totalAmount":{"EUR":"1700","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"},"data":[
				{"date":"2026-03-01","applicationId":`+app+`,"totalCount":3,"totalAmount":{"EUR":"1700","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"}}]}`)
			// Defaults: the week to today, which at 00:30 UTC is still
			// 03-01 at UTC-6.
			r = e.MustGet("/stats/operations/daily?tz=-06:00", admin)
			if r.JSON["from"] != "2026-02-22" || r.JSON["to"] != "2026-03-01" || r.JSON["totalCount"].(float64) != 3 {
				t.Fatalf("default period: %s", r.Body)
			}
		})
		t.Run("application daily by creation and status, UTC+05:30", func(t *testing.T) {
			// Written with %2B, and with a bare + that a query string turns
			// into a space: both mean +05:30.
			for _, tz := range []string{"%2B05:30", "+05:30"} {
				r := e.MustGet(appPath(e.A.AppID)+"/stats/daily?from=2026-03-01&to=2026-03-02&tz="+tz, key)
				mustJSON(t, "UTC+5:30", r.Body, `{"from":"2026-03-01","to":"2026-03-02","tz":"+05:30","totalCount":4,
					"totalAmount":{"EUR":"2000","USD":"2500"},"refundedAmount":{"EUR":"0","USD":"500"},"data":[
					{"date":"2026-03-01","status":"completed","totalCount":1,"totalAmount":{"EUR":"1000"},"refundedAmount":{"EUR":"0"}},
					{"date":"2026-03-01","status":"partially_refunded","totalCount":1,"totalAmount":{"USD":"2500"},"refundedAmount":{"USD":"500"}},
					{"date":"2026-03-01","status":"pending","totalCount":1,"totalAmount":{"EUR":"300"},"refundedAmount":{"EUR":"0"}},
					{"date":"2026-03-02","status":"completed","totalCount":1,"totalAmount":{"EUR":"700"},"refundedAmount":{"EUR":"0"}}]}`)
			}
		})
		t.Run("detail by confirmation date", func(t *testing.T) {
			// p4 was created on 03-01 but confirmed on 03-02.
			r := e.MustGet("/stats/operations/detail?from=2026-03-02&to=2026-03-02", admin)
			if r.Header.Get("X-Total-Count") != "1" {
				t.Fatalf("X-Total-Count %q", r.Header.Get("X-Total-Count"))
			}
			data := r.JSON["data"].([]any)
			if len(data) != 1 {
				t.Fatalf("data %s", r.Body)
			}
			op := data[0].(map[string]any)
			if op["id"].(float64) != float64(w.p4) || op["amount"] != "700" || op["status"] != "completed" ||
				op["createdAt"] != "2026-03-01T23:30:00Z" || op["completionDate"] != "2026-03-02T00:30:00Z" ||
				op["gatewayConfig"].(float64) != float64(w.cfg) || Link(op, "payment") != paymentPath(e.A.AppID, w.p4) {
				t.Fatalf("operation %s", r.Body)
			}
			var ids []string
			for off := 0; off < 4; off++ {
				r = e.MustGet("/stats/operations/detail?from=2026-03-01&to=2026-03-02&limit=1&offset="+strconv.Itoa(off), admin)
				if r.Header.Get("X-Total-Count") != "3" || r.JSON["totalCount"].(float64) != 3 {
					t.Fatalf("page %d: %s", off, r.Body)
				}
				for _, d := range r.JSON["data"].([]any) {
					ids = append(ids, id(int64(d.(map[string]any)["id"].(float64))))
				}
			}
			if want := []string{id(w.p1), id(w.p2), id(w.p4)}; !reflect.DeepEqual(ids, want) {
				t.Fatalf("pages %v, want %v (p3 was never paid)", ids, want)
			}
		})
		t.Run("tenancy and roles", func(t *testing.T) {
			for _, path := range []string{appPath(e.B.AppID) + "/stats/summary", appPath(e.B.AppID) + "/stats/daily",
				appPath(999999) + "/stats/summary", "/application/x/stats/daily"} {
				e.Do("GET", path, admin, nil).ExpectError(t, http.StatusNotFound)
				e.Do("GET", path, key, nil).ExpectError(t, http.StatusNotFound)
			}
			for _, path := range []string{"/stats/operations/summary", "/stats/operations/daily", "/stats/operations/detail"} {
				e.Do("GET", path, key, nil).ExpectError(t, http.StatusForbidden)
				e.Do("GET", path, NoAuth, nil).ExpectError(t, http.StatusUnauthorized)
				e.Do("POST", path, admin, nil).ExpectError(t, http.StatusMethodNotAllowed)
			}
			// A viewer reads the client's figures.
			e.MustCreateUser(e.A, "watcher", "viewer")
			viewer := Bearer(e.MustLogin("watcher", testPassword))
			e.MustGet("/stats/operations/summary", viewer)
			e.MustGet(appPath(e.A.AppID)+"/stats/summary", viewer)
		})
		t.Run("bad input", func(t *testing.T) {
			for _, tc := range []struct{ query, field string }{
				{"from=2026-3-1", "from"},
				{"from=yesterday", "from"},
				{"to=2026-02-30", "to"},
				{"from=2026-03-01&from=2026-03-02", "from"},
				{"tz=06:00", "tz"},
				{"tz=%2B5:30", "tz"},
				{"tz=%2B05:60", "tz"},
				{"tz=%2B05:20", "tz"},
				{"tz=Europe/Madrid", "tz"},
				{"tz=%2B15:00", "tz"},
				{"from=2026-03-02&to=2026-03-01", "from"},
				{"from=2025-02-27&to=2026-02-28", "to"}, // 367 days; 2025-02-28 would be 366
				{"form=2026-03-01", "form"},
				// The zero date is not "not given": not the default period.
				{"from=0001-01-01", "from"},
				{"to=0001-01-01", "to"},
				{"from=1000-01-01", "from"},
				{"to=1969-12-31", "to"},
			} {
				r := e.Do("GET", "/stats/operations/daily?"+tc.query, admin, nil).ExpectError(t, http.StatusBadRequest, tc.field)
				if tc.query[:4] == "from" && tc.field == "to" && !strings.Contains(r.FieldErrors("to")[0], "366") {
					t.Errorf("%s: the cap is not named: %s", tc.query, r.Body)
				}
				e.Do("GET", appPath(e.A.AppID)+"/stats/daily?"+tc.query, key, nil).ExpectError(t, http.StatusBadRequest, tc.field)
				e.Do("GET", "/stats/operations/detail?"+tc.query, admin, nil).ExpectError(t, http.StatusBadRequest, tc.field)
			}
			e.Do("GET", "/stats/operations/detail?limit=500&sort=amount_desc", admin, nil).
				ExpectError(t, http.StatusBadRequest, "limit", "sort")
			e.Do("GET", "/stats/operations/summary?from=2026-03-01", admin, nil).ExpectError(t, http.StatusBadRequest, "from")
		})
	})
}

// oaStats drives the statistics routes for TestOpenAPI: every documented
// status of each, with real figures in the answers.
func oaStats(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	app := appPath(e.A.AppID)
	cfg := e.MustSandbox(e.A, e.A.AppID, "OA stats", nil)
	p := e.MustCreatePayment(key, e.A.AppID, map[string]any{"amount": "4321", "currency": "USD", "gatewayConfigs": []int64{cfg}})
	e.MustPayPayment(key, e.A.AppID, p, "4242424242424242")
	today := e.Clock.Now().Format(time.DateOnly)
	period := "?from=" + today + "&to=" + today + "&tz=%2B05:30"
	x := s.do(oaJSON("GET", "/stats/operations/summary", admin, nil, 200, oaReqValid))
	if x.JSON(t)["totalCount"].(float64) < 1 {
		t.Fatalf("summary without the payment just made: %s", x.Body)
	}
	s.do(oaJSON("GET", "/stats/operations/daily"+period, admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", "/stats/operations/daily", admin, nil, 200, oaReqValid))
	x = s.do(oaJSON("GET", "/stats/operations/detail"+period+"&limit=5", admin, nil, 200, oaReqValid))
	if len(x.JSON(t)["data"].([]any)) == 0 {
		t.Fatalf("detail without the payment just made: %s", x.Body)
	}
	s.do(oaJSON("GET", app+"/stats/summary", key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", app+"/stats/daily"+period, admin, nil, 200, oaReqValid))
	s.do(oaJSON("GET", app+"/stats/daily?tz=Z", key, nil, 200, oaReqValid))

	// 400: broken rules the document states (patterns), and those it
	// cannot (a period too long, an unknown parameter).
	for _, path := range []string{"/stats/operations/daily", "/stats/operations/detail", app + "/stats/daily"} {
		s.do(oaJSON("GET", path+"?from=yesterday", admin, nil, 400, oaReqInvalid))
		s.do(oaJSON("GET", path+"?tz=Europe/Madrid", admin, nil, 400, oaReqInvalid))
		s.do(oaJSON("GET", path+"?from=2020-01-01&to=2026-01-01", admin, nil, 400, oaReqValid))
	}
	s.do(oaJSON("GET", "/stats/operations/detail?limit=0", admin, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", "/stats/operations/summary?from=2026-03-01", admin, nil, 400, oaReqValid))
	s.do(oaJSON("GET", app+"/stats/summary?x=1", key, nil, 400, oaReqValid))

	// 401, 403, 404, 405.
	for _, path := range []string{"/stats/operations/summary", "/stats/operations/daily", "/stats/operations/detail",
		app + "/stats/summary", app + "/stats/daily"} {
		s.do(oaJSON("GET", path, nil, nil, 401, oaReqInvalid))
		s.do(oaJSON("POST", path, admin, nil, 405, oaReqValid))
	}
	for _, path := range []string{"/stats/operations/summary", "/stats/operations/daily", "/stats/operations/detail"} {
		s.do(oaJSON("GET", path, key, nil, 403, oaReqInvalid))
	}
	for _, path := range []string{appPath(e.B.AppID) + "/stats/summary", appPath(e.B.AppID) + "/stats/daily"} {
		s.do(oaJSON("GET", path, admin, nil, 404, oaReqValid))
	}
}
