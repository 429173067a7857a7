package payrest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// catalogEntry finds a gateway service in a GET /gateway answer.
func catalogEntry(t *testing.T, r *resp, id string) map[string]any {
	t.Helper()
	for _, item := range r.List {
		m, _ := item.(map[string]any)
		if m["id"] == id {
			return m
		}
	}
	t.Fatalf("no gateway %q in %s", id, r.Body)
	return nil
}

// TestGatewayCatalog: GET /gateway lists the processors of the build with
// their option schemas and how many configs the caller has of each; GET
// /gateway/{id} adds those configs.
func TestGatewayCatalog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	yID, yKey := e.MustCreateApp(Bearer(e.A.Token), "Y")
	sx := e.MustSandbox(e.A, e.A.AppID, "Sandbox X", nil)
	sy := e.MustSandbox(e.A, yID, "Sandbox Y", map[string]any{"capture": "manual"})
	pp := e.MustPayPalConfig(e.A, e.A.AppID, "PayPal X")
	e.MustCreateUser(e.A, "cat-viewer", "viewer")
	viewer := Bearer(e.MustLogin("cat-viewer", testPassword))

	wantOptions := map[string]map[string]map[string]any{
		"sandbox": {
			"capture": {"type": "enum", "required": false, "secret": false, "default": "automatic",
				"enum": []any{"automatic", "manual"}},
		},
		"paypal_express_checkout": {
			"sandbox":   {"type": "boolean", "required": false, "secret": false, "default": true},
			"username":  {"type": "string", "required": true, "secret": false},
			"password":  {"type": "string", "required": true, "secret": true},
			"signature": {"type": "string", "required": true, "secret": true},
		},
	}
	wantMeta := map[string][2]string{ // name, flow
		"sandbox":                 {"Sandbox cards", "card"},
		"paypal_express_checkout": {"PayPal ExpressCheckout", "redirect"},
	}

	tests := []struct {
		name    string
		a       auth
		configs map[string][]int64 // the configs the caller sees per gateway
	}{
		{"A admin sees the client's configs", Bearer(e.A.Token), map[string][]int64{"sandbox": {sx, sy}, "paypal_express_checkout": {pp}}},
		{"A viewer too", viewer, map[string][]int64{"sandbox": {sx, sy}, "paypal_express_checkout": {pp}}},
		{"A's key of X sees X's", Key(e.A.AppKey), map[string][]int64{"sandbox": {sx}, "paypal_express_checkout": {pp}}},
		{"A's key of Y sees Y's", Key(yKey), map[string][]int64{"sandbox": {sy}, "paypal_express_checkout": {}}},
		{"B sees none of A's", Bearer(e.B.Token), map[string][]int64{"sandbox": {}, "paypal_express_checkout": {}}},
		{"B's key neither", Key(e.B.AppKey), map[string][]int64{"sandbox": {}, "paypal_express_checkout": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.For(t)
			list := e.MustGet("/gateway", tc.a)
			if got := list.Header.Get("X-Total-Count"); got != "2" {
				t.Errorf("X-Total-Count %q, want 2", got)
			}
			var ids []string
			for _, item := range list.List {
				ids = append(ids, item.(map[string]any)["id"].(string))
			}
			if want := []string{"paypal_express_checkout", "sandbox"}; !slices.Equal(ids, want) {
				t.Fatalf("gateways %v, want %v", ids, want)
			}
			for id, want := range tc.configs {
				entry := catalogEntry(t, list, id)
				if entry["name"] != wantMeta[id][0] || entry["flow"] != wantMeta[id][1] || entry["enabled"] != true {
					t.Errorf("%s: name %v flow %v enabled %v", id, entry["name"], entry["flow"], entry["enabled"])
				}
				if n := entry["instances"]; n != float64(len(want)) {
					t.Errorf("%s: GET /gateway says %v instances, want %d", id, n, len(want))
				}
				if _, ok := entry["configuredInstances"]; ok {
					t.Errorf("%s: the list shows configuredInstances", id)
				}
				checkOptions(t, id, entry["options"], wantOptions[id])

				one := e.MustGet("/gateway/"+id, tc.a)
				if one.JSON["id"] != id || one.JSON["instances"] != float64(len(want)) {
					t.Errorf("GET /gateway/%s: id %v instances %v, want %d", id, one.JSON["id"], one.JSON["instances"], len(want))
				}
				checkOptions(t, id, one.JSON["options"], wantOptions[id])
				insts, ok := one.JSON["configuredInstances"].([]any)
				if !ok {
					t.Fatalf("GET /gateway/%s: configuredInstances is not an array: %s", id, one.Body)
				}
				var got []int64
				for _, in := range insts {
					m := in.(map[string]any)
					got = append(got, int64(m["id"].(float64)))
					if m["gateway"] != id {
						t.Errorf("GET /gateway/%s lists a config of %v", id, m["gateway"])
					}
				}
				if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("GET /gateway/%s: configuredInstances %v, want %v", id, got, want)
				}
				if strings.Contains(string(one.Body), ppPassword) || strings.Contains(string(one.Body), ppSignature) {
					t.Errorf("GET /gateway/%s shows a secret: %s", id, one.Body)
				}
			}
		})
	}

	t.Run("a configured PayPal instance shows its secrets masked", func(t *testing.T) {
		one := e.For(t).MustGet("/gateway/paypal_express_checkout", Bearer(e.A.Token))
		cfg := one.JSON["configuredInstances"].([]any)[0].(map[string]any)["config"].(map[string]any)
		want := map[string]any{"sandbox": true, "username": ppUser, "password": "********", "signature": "********"}
		if !mapsEqualJSON(cfg, want) {
			t.Errorf("config %v, want %v", cfg, want)
		}
	})

	for _, id := range []string{"unknown", "SANDBOX", "paypal", "sandbox%20", "redsys"} {
		t.Run("unknown gateway "+id, func(t *testing.T) {
			r := e.For(t).Do("GET", "/gateway/"+id, Bearer(e.A.Token), nil).ExpectError(t, http.StatusNotFound)
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
			}
		})
	}
	t.Run("credentials are required", func(t *testing.T) {
		e := e.For(t)
		e.Do("GET", "/gateway", NoAuth, nil).ExpectError(t, http.StatusUnauthorized)
		e.Do("GET", "/gateway/sandbox", NoAuth, nil).ExpectError(t, http.StatusUnauthorized)
		e.Do("GET", "/gateway/sandbox", Key("not-a-key"), nil).ExpectError(t, http.StatusUnauthorized)
	})
	t.Run("the catalog is read only", func(t *testing.T) {
		e := e.For(t)
		r := e.Do("POST", "/gateway", Bearer(e.A.Token), map[string]any{}).ExpectError(t, http.StatusMethodNotAllowed)
		if r.Header.Get("Allow") != "GET" {
			t.Errorf("Allow %q", r.Header.Get("Allow"))
		}
		e.Do("DELETE", "/gateway/sandbox", Bearer(e.A.Token), nil).ExpectError(t, http.StatusMethodNotAllowed)
	})
}

func checkOptions(t *testing.T, id string, got any, want map[string]map[string]any) {
	t.Helper()
	opts, ok := got.(map[string]any)
	if !ok || len(opts) != len(want) {
		t.Fatalf("%s: options %v, want the keys of %v", id, got, want)
	}
	for name, w := range want {
		o, ok := opts[name].(map[string]any)
		if !ok {
			t.Errorf("%s: no option %s", id, name)
			continue
		}
		for k, v := range w {
			if !jsonEqual(o[k], v) {
				t.Errorf("%s.%s: %s = %v, want %v", id, name, k, o[k], v)
			}
		}
		if _, ok := w["default"]; !ok {
			if _, has := o["default"]; has {
				t.Errorf("%s.%s: a default %v, want none", id, name, o["default"])
			}
		}
		if d, _ := o["description"].(string); d == "" {
			t.Errorf("%s.%s: no description", id, name)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func mapsEqualJSON(a, b map[string]any) bool { return jsonEqual(a, b) }

// TestGatewayConfigCreate: POST /application/{a}/gateway validates the form
// against the gateway's option schema, fills in defaults and generates code.
func TestGatewayConfigCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	path := gatewaysPath(e.A.AppID)

	valid := []struct {
		name string
		form map[string]any
		want map[string]any // fields of the answer
	}{
		{"sandbox with defaults", map[string]any{"gateway": "sandbox", "name": "Cards"},
			map[string]any{"gateway": "sandbox", "name": "Cards", "weight": 1, "enabled": true, "config": map[string]any{"capture": "automatic"}}},
		{"sandbox with every field", map[string]any{"gateway": "sandbox", "name": "Held cards", "weight": 7, "enabled": false,
			"config": map[string]any{"capture": "manual"}},
			map[string]any{"name": "Held cards", "weight": 7, "enabled": false, "config": map[string]any{"capture": "manual"}}},
		{"weight 0 is a last resort", map[string]any{"gateway": "sandbox", "name": "Backup", "weight": 0},
			map[string]any{"weight": 0}},
		{"weight 1000", map[string]any{"gateway": "sandbox", "name": "Heavy", "weight": 1000}, map[string]any{"weight": 1000}},
		{"null config takes the defaults", map[string]any{"gateway": "sandbox", "name": "Null", "config": nil},
			map[string]any{"config": map[string]any{"capture": "automatic"}}},
		{"PayPal with its credentials", map[string]any{"gateway": "paypal_express_checkout", "name": "PayPal", "config": map[string]any{
			"username": ppUser, "password": ppPassword, "signature": ppSignature}},
			map[string]any{"gateway": "paypal_express_checkout", "config": map[string]any{"sandbox": true, "username": ppUser,
				"password": "********", "signature": "********"}}},
		{"PayPal live", map[string]any{"gateway": "paypal_express_checkout", "name": "PayPal live", "config": map[string]any{
			"sandbox": false, "username": ppUser, "password": ppPassword, "signature": ppSignature}},
			map[string]any{"config": map[string]any{"sandbox": false, "username": ppUser, "password": "********", "signature": "********"}}},
	}
	codes := map[string]bool{}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			e := e.For(t)
			r := e.Do("POST", path, admin, gatewayBody(tc.form)).Expect(t, http.StatusCreated)
			self := gatewayPath(e.A.AppID, r.ID())
			if r.Header.Get("Location") != self || Link(r.JSON, "self") != self {
				t.Errorf("Location %q, self %q, want %q", r.Header.Get("Location"), Link(r.JSON, "self"), self)
			}
			if gw, _ := r.JSON["gateway"].(string); Link(r.JSON, "gateway") != "/gateway/"+gw {
				t.Errorf("gateway link %q", Link(r.JSON, "gateway"))
			}
			code, _ := r.JSON["code"].(string)
			if !uuidPattern.MatchString(code) || codes[code] {
				t.Errorf("code %q is not a new UUID", code)
			}
			codes[code] = true
			if r.JSON["applicationId"] != float64(e.A.AppID) {
				t.Errorf("applicationId %v", r.JSON["applicationId"])
			}
			for k, v := range tc.want {
				if !jsonEqual(r.JSON[k], v) {
					t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
				}
			}
			if strings.Contains(string(r.Body), ppPassword) || strings.Contains(string(r.Body), ppSignature) {
				t.Errorf("the answer shows a secret: %s", r.Body)
			}
			// What was answered is what is stored.
			if got := e.MustGet(self, admin); string(got.Body) != string(r.Body) {
				t.Errorf("GET after create:\n%s\nwant\n%s", got.Body, r.Body)
			}
		})
	}

	invalid := []struct {
		name   string
		body   any
		fields []string
	}{
		{"unknown gateway", gatewayBody(map[string]any{"gateway": "redsys", "name": "R"}), []string{"gateway"}},
		{"no gateway", gatewayBody(map[string]any{"name": "R"}), []string{"gateway"}},
		{"gateway of another type", gatewayBody(map[string]any{"gateway": 5, "name": "R"}), []string{"gateway"}},
		{"no name", gatewayBody(map[string]any{"gateway": "sandbox"}), []string{"name"}},
		{"blank name", gatewayBody(map[string]any{"gateway": "sandbox", "name": "  "}), []string{"name"}},
		{"name of two lines", gatewayBody(map[string]any{"gateway": "sandbox", "name": "a\nb"}), []string{"name"}},
		{"name too long", gatewayBody(map[string]any{"gateway": "sandbox", "name": strings.Repeat("n", 201)}), []string{"name"}},
		{"negative weight", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "weight": -1}), []string{"weight"}},
		{"weight over 1000", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "weight": 1001}), []string{"weight"}},
		{"weight as a string", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "weight": "3"}), []string{"weight"}},
		{"fractional weight", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "weight": 1.5}), []string{"weight"}},
		{"enabled as a string", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "enabled": "yes"}), []string{"enabled"}},
		{"unknown option", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "config": map[string]any{"x": 1}}), []string{"config.x"}},
		{"another gateway's option", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "config": map[string]any{"username": "u"}}),
			[]string{"config.username"}},
		{"option not in its enum", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "config": map[string]any{"capture": "later"}}),
			[]string{"config.capture"}},
		{"enum option of the wrong type", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "config": map[string]any{"capture": true}}),
			[]string{"config.capture"}},
		{"boolean option as a string", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P", "config": map[string]any{
			"sandbox": "yes", "username": ppUser, "password": ppPassword, "signature": ppSignature}}), []string{"config.sandbox"}},
		{"string option as a number", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P", "config": map[string]any{
			"username": 42, "password": ppPassword, "signature": ppSignature}}), []string{"config.username"}},
		{"PayPal without credentials", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P"}),
			[]string{"config.username", "config.password", "config.signature"}},
		{"PayPal with a blank password", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P", "config": map[string]any{
			"username": ppUser, "password": " ", "signature": ppSignature}}), []string{"config.password"}},
		{"PayPal with a null password", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P", "config": map[string]any{
			"username": ppUser, "password": nil, "signature": ppSignature}}), []string{"config.password"}},
		{"PayPal with the mask as its secrets", gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "P", "config": map[string]any{
			"username": ppUser, "password": "********", "signature": "********"}}), []string{"config.password", "config.signature"}},
		{"config not an object", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "config": []string{"capture"}}), []string{"config"}},
		{"code is generated, not sent", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "code": "mine"}), []string{"code"}},
		{"unknown field", gatewayBody(map[string]any{"gateway": "sandbox", "name": "S", "priority": 1}), []string{"priority"}},
		{"wrong root key", map[string]any{"gateway": map[string]any{"gateway": "sandbox", "name": "S"}}, []string{"gateway"}},
		{"no root key", map[string]any{}, []string{"gatewayConfig"}},
		{"malformed JSON", `{"gatewayConfig":{"gateway":"sandbox"`, []string{"body"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("POST", path, admin, tc.body).ExpectError(t, http.StatusBadRequest, tc.fields...)
		})
	}
	t.Run("nothing invalid was stored", func(t *testing.T) {
		r := e.For(t).MustGet(path+"?limit=100", admin)
		if r.Header.Get("X-Total-Count") != strconv.Itoa(len(valid)) {
			t.Errorf("X-Total-Count %s, want %d", r.Header.Get("X-Total-Count"), len(valid))
		}
	})
	t.Run("an application that does not exist", func(t *testing.T) {
		e := e.For(t)
		e.Do("POST", gatewaysPath(999999), admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "S"})).
			ExpectError(t, http.StatusNotFound)
		e.Do("POST", "/application/abc/gateway", admin, gatewayBody(map[string]any{"gateway": "sandbox", "name": "S"})).
			ExpectError(t, http.StatusNotFound)
		e.Do("GET", gatewayPath(e.A.AppID, 999999), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("GET", gatewaysPath(e.A.AppID)+"/x", admin, nil).ExpectError(t, http.StatusNotFound)
	})
	t.Run("content type", func(t *testing.T) {
		e.For(t).Raw("POST", path, admin, "text/plain", []byte(`{"gatewayConfig":{"gateway":"sandbox","name":"S"}}`)).
			ExpectError(t, http.StatusUnsupportedMediaType)
	})
}

// fakeNVP is a PayPal NVP endpoint that answers SetExpressCheckout and
// records the credentials each call carried.
type fakeNVP struct {
	mu    sync.Mutex
	calls []url.Values
}

func (f *fakeNVP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	n := len(f.calls)
	f.mu.Unlock()
	if r.PostForm.Get("METHOD") != "SetExpressCheckout" {
		_, _ = w.Write([]byte("ACK=Failure&L_ERRORCODE0=10001&L_SHORTMESSAGE0=Unexpected"))
		return
	}
	_, _ = w.Write([]byte("ACK=Success&TOKEN=EC-FAKE" + strconv.Itoa(n)))
}

func (f *fakeNVP) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeNVP) last() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return nil
	}
	return f.calls[len(f.calls)-1]
}

// TestGatewayConfigUpdate: PUT replaces, PATCH changes what is sent; a
// secret sent back masked keeps the stored one, which the processor then
// still receives.
func TestGatewayConfigUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nvp := &fakeNVP{}
	fake := httptest.NewServer(nvp)
	t.Cleanup(fake.Close)
	e.PayPal.Endpoint = fake.URL // before the processor's first use
	admin := Bearer(e.A.Token)
	ctx := context.Background()

	ppID := e.MustPayPalConfig(e.A, e.A.AppID, "PayPal")
	pp := gatewayPath(e.A.AppID, ppID)
	created := e.MustGet(pp, admin)
	e.Clock.Advance(time.Minute)

	// redirect starts a PayPal payment through config ppID and returns the
	// credentials PayPal received (nil in sandbox mode, which calls nobody).
	redirect := func(t *testing.T) (url.Values, *resp) {
		t.Helper()
		e := e.For(t)
		before := nvp.count()
		p := e.MustCreatePayment(admin, e.A.AppID, map[string]any{"gatewayConfigs": []int64{ppID}})
		tok := PageToken(t, Link(p.JSON, "payment"))
		if _, err := e.Svc.StartRedirect(ctx, tok, ppID); err != nil {
			t.Fatalf("StartRedirect: %v", err)
		}
		if nvp.count() == before {
			return nil, p
		}
		return nvp.last(), p
	}

	t.Run("PATCH the name keeps the rest", func(t *testing.T) {
		e := e.For(t)
		r := e.Do("PATCH", pp, admin, gatewayBody(map[string]any{"name": "PayPal EU"})).Expect(t, http.StatusOK)
		for _, k := range []string{"id", "gateway", "weight", "enabled", "code", "config", "createdAt", "links"} {
			if !jsonEqual(r.JSON[k], created.JSON[k]) {
				t.Errorf("%s changed: %v, was %v", k, r.JSON[k], created.JSON[k])
			}
		}
		if r.JSON["name"] != "PayPal EU" || r.JSON["updatedAt"] == created.JSON["updatedAt"] {
			t.Errorf("name %v updatedAt %v", r.JSON["name"], r.JSON["updatedAt"])
		}
	})
	t.Run("masked secrets sent back keep the stored ones", func(t *testing.T) {
		e := e.For(t)
		// Live mode, a new username, the secrets as GET shows them.
		r := e.Do("PATCH", pp, admin, gatewayBody(map[string]any{"config": map[string]any{
			"sandbox": false, "username": "new_api1.example.com", "password": "********", "signature": "********"}})).
			Expect(t, http.StatusOK)
		want := map[string]any{"sandbox": false, "username": "new_api1.example.com", "password": "********", "signature": "********"}
		if !mapsEqualJSON(r.JSON["config"].(map[string]any), want) {
			t.Errorf("config %v", r.JSON["config"])
		}
		got, p := redirect(t)
		if got == nil {
			t.Fatal("a live config did not call PayPal")
		}
		if got.Get("USER") != "new_api1.example.com" || got.Get("PWD") != ppPassword || got.Get("SIGNATURE") != ppSignature {
			t.Errorf("PayPal received USER %q PWD %q SIGNATURE %q", got.Get("USER"), got.Get("PWD"), got.Get("SIGNATURE"))
		}
		// The buyer is now at PayPal: PayREST shows the payment pending, routed to the config.
		d := e.MustGet(paymentPath(e.A.AppID, p.ID()), admin)
		if d.JSON["status"] != "pending" || d.JSON["gatewayConfig"] != float64(ppID) {
			t.Errorf("status %v gatewayConfig %v", d.JSON["status"], d.JSON["gatewayConfig"])
		}
	})
	t.Run("PUT with the masks keeps them too", func(t *testing.T) {
		e := e.For(t)
		r := e.Do("PUT", pp, admin, gatewayBody(map[string]any{"gateway": "paypal_express_checkout", "name": "PayPal EU",
			"config": map[string]any{"sandbox": false, "username": ppUser, "password": "********", "signature": "********"}})).
			Expect(t, http.StatusOK)
		if r.JSON["weight"] != float64(1) || r.JSON["enabled"] != true {
			t.Errorf("PUT did not reset weight and enabled: %s", r.Body)
		}
		got, _ := redirect(t)
		if got.Get("USER") != ppUser || got.Get("PWD") != ppPassword || got.Get("SIGNATURE") != ppSignature {
			t.Errorf("PayPal received USER %q PWD %q SIGNATURE %q", got.Get("USER"), got.Get("PWD"), got.Get("SIGNATURE"))
		}
	})
	t.Run("a new secret replaces the stored one", func(t *testing.T) {
		e := e.For(t)
		e.Do("PATCH", pp, admin, gatewayBody(map[string]any{"config": map[string]any{
			"sandbox": false, "username": ppUser, "password": "NEW-PASSWORD", "signature": "********"}})).Expect(t, http.StatusOK)
		got, _ := redirect(t)
		if got.Get("PWD") != "NEW-PASSWORD" || got.Get("SIGNATURE") != ppSignature {
			t.Errorf("PayPal received PWD %q SIGNATURE %q", got.Get("PWD"), got.Get("SIGNATURE"))
		}
	})
	t.Run("back to sandbox mode, a payment completes through PayPal", func(t *testing.T) {
		e := e.For(t)
		e.Do("PATCH", pp, admin, gatewayBody(map[string]any{"config": map[string]any{
			"sandbox": true, "username": ppUser, "password": "********", "signature": "********"}})).Expect(t, http.StatusOK)
		got, p := redirect(t)
		if got != nil {
			t.Fatalf("sandbox mode called PayPal: %v", got)
		}
		tok := PageToken(t, Link(p.JSON, "payment"))
		if _, err := e.Svc.ResumeCheckout(ctx, tok, true); err != nil {
			t.Fatalf("ResumeCheckout: %v", err)
		}
		d := e.MustGet(paymentPath(e.A.AppID, p.ID()), admin)
		if d.JSON["status"] != "completed" || d.JSON["gatewayConfig"] != float64(ppID) || d.JSON["capturedAmount"] != "1000" {
			t.Errorf("after approval: status %v gatewayConfig %v captured %v", d.JSON["status"], d.JSON["gatewayConfig"], d.JSON["capturedAmount"])
		}
		// A buyer who cancels at PayPal leaves the payment to pay again.
		_, p = redirect(t)
		tok = PageToken(t, Link(p.JSON, "payment"))
		if _, err := e.Svc.ResumeCheckout(ctx, tok, false); err != nil {
			t.Fatalf("ResumeCheckout: %v", err)
		}
		d = e.MustGet(paymentPath(e.A.AppID, p.ID()), admin)
		if d.JSON["status"] != "pending" || d.JSON["failure"] == nil {
			t.Errorf("after cancel: status %v failure %v", d.JSON["status"], d.JSON["failure"])
		} else if f := d.JSON["failure"].(map[string]any); f["code"] != "buyer_canceled" {
			t.Errorf("failure %v", f)
		}
	})

	sb := gatewayPath(e.A.AppID, e.MustSandbox(e.A, e.A.AppID, "Cards", map[string]any{"capture": "manual"}))
	tests := []struct {
		name, method string
		form         map[string]any
		status       int
		want         map[string]any // fields of the answer
		fields       []string       // named by the error
	}{
		{"PATCH weight and enabled", "PATCH", map[string]any{"weight": 5, "enabled": false}, 200,
			map[string]any{"weight": 5, "enabled": false, "name": "Cards", "config": map[string]any{"capture": "manual"}}, nil},
		{"PATCH nothing", "PATCH", map[string]any{}, 200, map[string]any{"weight": 5, "enabled": false}, nil},
		{"PATCH the config", "PATCH", map[string]any{"config": map[string]any{"capture": "automatic"}}, 200,
			map[string]any{"config": map[string]any{"capture": "automatic"}}, nil},
		{"PUT resets what it leaves out", "PUT", map[string]any{"name": "Cards 2"}, 200,
			map[string]any{"name": "Cards 2", "weight": 1, "enabled": true, "config": map[string]any{"capture": "automatic"}}, nil},
		{"PUT may repeat the gateway", "PUT", map[string]any{"gateway": "sandbox", "name": "Cards 3", "weight": 2}, 200,
			map[string]any{"name": "Cards 3", "weight": 2}, nil},
		{"PUT needs a name", "PUT", map[string]any{"weight": 2}, 400, nil, []string{"name"}},
		{"PATCH cannot change the gateway", "PATCH", map[string]any{"gateway": "paypal_express_checkout"}, 400, nil, []string{"gateway"}},
		{"PATCH a null name", "PATCH", map[string]any{"name": nil}, 400, nil, []string{"name"}},
		{"PATCH an unknown option", "PATCH", map[string]any{"config": map[string]any{"speed": "fast"}}, 400, nil, []string{"config.speed"}},
		{"PATCH a bad weight", "PATCH", map[string]any{"weight": 5000}, 400, nil, []string{"weight"}},
		{"PATCH the code", "PATCH", map[string]any{"code": "x"}, 400, nil, []string{"code"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := e.For(t)
			before := e.MustGet(sb, admin)
			r := e.Do(tc.method, sb, admin, gatewayBody(tc.form))
			if tc.status != 200 {
				r.ExpectError(t, tc.status, tc.fields...)
				if after := e.MustGet(sb, admin); string(after.Body) != string(before.Body) {
					t.Errorf("a refused change changed the config:\n%s\n%s", before.Body, after.Body)
				}
				return
			}
			r.Expect(t, 200)
			for k, v := range tc.want {
				if !jsonEqual(r.JSON[k], v) {
					t.Errorf("%s = %v, want %v", k, r.JSON[k], v)
				}
			}
			if r.JSON["code"] != before.JSON["code"] || r.JSON["id"] != before.JSON["id"] {
				t.Errorf("code or id changed")
			}
			if after := e.MustGet(sb, admin); string(after.Body) != string(r.Body) {
				t.Errorf("GET after %s:\n%s\nwant\n%s", tc.method, after.Body, r.Body)
			}
		})
	}
	t.Run("PUT of PayPal without credentials", func(t *testing.T) {
		e.For(t).Do("PUT", pp, admin, gatewayBody(map[string]any{"name": "PayPal"})).
			ExpectError(t, http.StatusBadRequest, "config.username", "config.password", "config.signature")
	})
	t.Run("a masked secret is only a placeholder for the stored value", func(t *testing.T) {
		// A PATCH of the config replaces it whole: a secret left out is gone,
		// which a required secret may not be.
		e.For(t).Do("PATCH", pp, admin, gatewayBody(map[string]any{"config": map[string]any{"username": ppUser, "password": "********"}})).
			ExpectError(t, http.StatusBadRequest, "config.signature")
	})
	t.Run("no secret in any answer", func(t *testing.T) {
		e := e.For(t)
		for _, path := range []string{pp, gatewaysPath(e.A.AppID) + "?limit=100", "/gateway/paypal_express_checkout", "/gateway"} {
			body := string(e.MustGet(path, admin).Body)
			for _, secret := range []string{ppPassword, ppSignature, "NEW-PASSWORD"} {
				if strings.Contains(body, secret) {
					t.Errorf("GET %s shows %q: %s", path, secret, body)
				}
			}
		}
	})
}

// TestGatewayConfigList: the `filter` parameter matches the id, name,
// gateway and code; paging, X-Total-Count and the sortable fields.
func TestGatewayConfigList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)
	main := e.MustCreateGatewayConfig(e.A, e.A.AppID, map[string]any{"gateway": "sandbox", "name": "Main cards", "weight": 5})
	backup := e.MustCreateGatewayConfig(e.A, e.A.AppID, map[string]any{"gateway": "sandbox", "name": "Backup cards", "weight": 0})
	eu := e.MustCreateGatewayConfig(e.A, e.A.AppID, map[string]any{"gateway": "paypal_express_checkout", "name": "Wallet EU",
		"weight": 3, "config": ppConfig()})
	off := e.MustCreateGatewayConfig(e.A, e.A.AppID, map[string]any{"gateway": "sandbox", "name": "Old cards", "enabled": false, "weight": 2})
	// Another application's config is never listed.
	yID, _ := e.MustCreateApp(admin, "Y")
	e.MustSandbox(e.A, yID, "Main cards of Y", nil)
	m, b, w, o := main.ID(), backup.ID(), eu.ID(), off.ID()
	code := func(r *resp) string { return r.JSON["code"].(string) }

	tests := []struct {
		name  string
		query string
		want  []int64
		total int
	}{
		{"all, by id", "", []int64{m, b, w, o}, 4},
		{"paging", "?limit=2&offset=1", []int64{b, w}, 4},
		{"past the end", "?offset=10", []int64{}, 4},
		{"name substring", "?filter=cards", []int64{m, b, o}, 3},
		{"name, any case", "?filter=BACKUP", []int64{b}, 1},
		{"gateway", "?filter=paypal_express", []int64{w}, 1},
		{"gateway id as a substring", "?filter=sandbox", []int64{m, b, o}, 3},
		{"the whole code", "?filter=" + code(backup), []int64{b}, 1},
		{"part of the code, upper case", "?filter=" + strings.ToUpper(code(eu)[9:23]), []int64{w}, 1},
		{"nothing", "?filter=stripe", []int64{}, 0},
		{"filter and paging", "?filter=cards&limit=1&offset=2", []int64{o}, 3},
		{"sort by weight desc", "?sort=weight_desc", []int64{m, w, o, b}, 4},
		{"sort by name", "?sort=name", []int64{b, m, o, w}, 4},
		{"sort by gateway then id desc", "?sort=gateway_asc,id_desc", []int64{w, o, b, m}, 4},
		{"sort by createdAt desc, ties by id", "?sort=createdAt_desc", []int64{m, b, w, o}, 4},
		{"filter with sort", "?filter=cards&sort=weight_asc", []int64{b, o, m}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range []auth{admin, Key(e.A.AppKey)} {
				r := e.For(t).MustGet(gatewaysPath(e.A.AppID)+tc.query, a)
				if r.List == nil {
					t.Fatalf("not an array: %s", r.Body)
				}
				if got := r.IDs(); !slices.Equal(got, tc.want) {
					t.Errorf("ids %v, want %v", got, tc.want)
				}
				if got := r.Header.Get("X-Total-Count"); got != strconv.Itoa(tc.total) {
					t.Errorf("X-Total-Count %s, want %d", got, tc.total)
				}
			}
		})
	}
	t.Run("the id", func(t *testing.T) {
		// An id matches exactly; a code may contain the same digits.
		r := e.For(t).MustGet(gatewaysPath(e.A.AppID)+"?filter="+strconv.FormatInt(w, 10)+"&limit=100", admin)
		if !slices.Contains(r.IDs(), w) {
			t.Errorf("filter by id %d: %v", w, r.IDs())
		}
		for _, item := range r.List {
			it := item.(map[string]any)
			if int64(it["id"].(float64)) != w && !strings.Contains(it["code"].(string), strconv.FormatInt(w, 10)) {
				t.Errorf("filter by id %d lists %v", w, it)
			}
		}
	})

	bad := []struct{ name, query, field string }{
		{"sort by code", "?sort=code_asc", "sort"},
		{"sort by config", "?sort=config", "sort"},
		{"sort by enabled", "?sort=enabled_desc", "sort"},
		{"bad direction", "?sort=name_up", "sort"},
		{"limit 0", "?limit=0", "limit"},
		{"limit 101", "?limit=101", "limit"},
		{"negative offset", "?offset=-1", "offset"},
		{"filter too long", "?filter=" + strings.Repeat("x", 201), "filter"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e.For(t).Do("GET", gatewaysPath(e.A.AppID)+tc.query, admin, nil).ExpectError(t, http.StatusBadRequest, tc.field)
		})
	}
}

// TestGatewayConfigDelete: a config no payment used goes; one a payment or
// a link used stays, with PayREST's message.
func TestGatewayConfigDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := Bearer(e.A.Token)

	t.Run("an unused config", func(t *testing.T) {
		e := e.For(t)
		id := e.MustSandbox(e.A, e.A.AppID, "Unused", nil)
		r := e.Do("DELETE", gatewayPath(e.A.AppID, id), admin, nil).Expect(t, http.StatusNoContent)
		if len(r.Body) != 0 {
			t.Errorf("204 with a body: %s", r.Body)
		}
		e.Do("GET", gatewayPath(e.A.AppID, id), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("DELETE", gatewayPath(e.A.AppID, id), admin, nil).ExpectError(t, http.StatusNotFound)
		e.Do("PATCH", gatewayPath(e.A.AppID, id), admin, gatewayBody(map[string]any{"name": "x"})).ExpectError(t, http.StatusNotFound)
	})
	inUse := func(t *testing.T, id int64) {
		t.Helper()
		e := e.For(t)
		r := e.Do("DELETE", gatewayPath(e.A.AppID, id), admin, nil).ExpectError(t, http.StatusBadRequest)
		if msg := r.JSON["message"].(string); !strings.HasPrefix(msg, "No es posible borrar esta pasarela de pago") {
			t.Errorf("message %q", msg)
		}
		e.MustGet(gatewayPath(e.A.AppID, id), admin)
		// Disabling it is the way out.
		e.Do("PATCH", gatewayPath(e.A.AppID, id), admin, gatewayBody(map[string]any{"enabled": false})).Expect(t, http.StatusOK)
	}
	t.Run("a config a payment was paid through", func(t *testing.T) {
		e := e.For(t)
		id := e.MustSandbox(e.A, e.A.AppID, "Used", nil)
		p := e.MustCreatePayment(admin, e.A.AppID, map[string]any{"gatewayConfigs": []int64{id}})
		if d := e.MustPayPayment(admin, e.A.AppID, p, "4242424242424242"); d.JSON["status"] != "completed" {
			t.Fatalf("status %v", d.JSON["status"])
		}
		inUse(t, id)
	})
	t.Run("a config a declined attempt went through", func(t *testing.T) {
		e := e.For(t)
		id := e.MustSandbox(e.A, e.A.AppID, "Declined", nil)
		p := e.MustCreatePayment(admin, e.A.AppID, map[string]any{"gatewayConfigs": []int64{id}})
		if d := e.MustPayPayment(admin, e.A.AppID, p, "4000000000000002"); d.JSON["status"] != "pending" {
			t.Fatalf("status %v", d.JSON["status"])
		}
		inUse(t, id)
	})
	t.Run("a config a payment link is bound to", func(t *testing.T) {
		e := e.For(t)
		id := e.MustSandbox(e.A, e.A.AppID, "Linked", nil)
		p := e.MustCreatePayment(admin, e.A.AppID, map[string]any{"gatewayConfigs": []int64{id}})
		e.Do("POST", paymentPath(e.A.AppID, p.ID()), admin, linkBody(map[string]any{"gatewayConfig": id})).Expect(t, http.StatusCreated)
		inUse(t, id)
	})
	t.Run("a config a pending payment allows, among others", func(t *testing.T) {
		// Nobody paid through it: it may go, and the payment is paid
		// through the config that is left.
		e := e.For(t)
		keep := e.MustSandbox(e.A, e.A.AppID, "Keep", nil)
		gone := e.MustSandbox(e.A, e.A.AppID, "Gone", nil)
		p := e.MustCreatePayment(admin, e.A.AppID, map[string]any{"gatewayConfigs": []int64{keep, gone}})
		e.Do("DELETE", gatewayPath(e.A.AppID, gone), admin, nil).Expect(t, http.StatusNoContent)
		d := e.MustPayPayment(admin, e.A.AppID, p, "4242424242424242")
		if d.JSON["status"] != "completed" || d.JSON["gatewayConfig"] != float64(keep) {
			t.Errorf("status %v gatewayConfig %v", d.JSON["status"], d.JSON["gatewayConfig"])
		}
	})
}

// TestGatewayConfigRoles: only a client's admins manage gateway configs;
// other users and application keys may read them.
func TestGatewayConfigRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.MustSandbox(e.A, e.A.AppID, "Cards", nil)
	one, all := gatewayPath(e.A.AppID, id), gatewaysPath(e.A.AppID)
	for _, role := range []string{"viewer", "manager", "terminal"} {
		e.MustCreateUser(e.A, "gw-"+role, role)
	}
	before := e.MustGet(one, Bearer(e.A.Token)).Body
	callers := []struct {
		name string
		a    auth
	}{
		{"viewer", Bearer(e.MustLogin("gw-viewer", testPassword))},
		{"manager", Bearer(e.MustLogin("gw-manager", testPassword))},
		{"terminal", Bearer(e.MustLogin("gw-terminal", testPassword))},
		{"application key", Key(e.A.AppKey)},
	}
	form := gatewayBody(map[string]any{"gateway": "sandbox", "name": "Mine"})
	for _, c := range callers {
		t.Run(c.name, func(t *testing.T) {
			e := e.For(t)
			e.MustGet(all, c.a)
			e.MustGet(one, c.a)
			e.MustGet("/gateway", c.a)
			e.MustGet("/gateway/sandbox", c.a)
			e.Do("POST", all, c.a, form).ExpectError(t, http.StatusForbidden)
			e.Do("PUT", one, c.a, form).ExpectError(t, http.StatusForbidden)
			e.Do("PATCH", one, c.a, gatewayBody(map[string]any{"weight": 9})).ExpectError(t, http.StatusForbidden)
			e.Do("DELETE", one, c.a, nil).ExpectError(t, http.StatusForbidden)
		})
	}
	if after := e.MustGet(one, Bearer(e.A.Token)).Body; string(after) != string(before) {
		t.Errorf("the config changed:\n%s\n%s", before, after)
	}
	if r := e.MustGet(all, Bearer(e.A.Token)); r.Header.Get("X-Total-Count") != "1" {
		t.Errorf("configs: %s", r.Body)
	}
}
