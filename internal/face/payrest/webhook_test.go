package payrest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/server"
	"github.com/pasarela/pasarela/internal/webhook"
)

func webhooksPath(appID int64) string { return appPath(appID) + "/webhook" }

func webhookPath(appID, id int64) string {
	return webhooksPath(appID) + "/" + strconv.FormatInt(id, 10)
}

func webhookBody(fields map[string]any) map[string]any { return map[string]any{"webhook": fields} }

// MustCreateWebhook creates a webhook with the auth given and returns the answer.
func (e *env) MustCreateWebhook(a auth, appID int64, fields map[string]any) *resp {
	e.t.Helper()
	f := map[string]any{"targets": []string{"https://merchant.example.com/hooks"}, "targetEntity": "payment"}
	for k, v := range fields {
		f[k] = v
	}
	return e.Do("POST", webhooksPath(appID), a, webhookBody(f)).Expect(e.t, http.StatusCreated)
}

// paidPayment creates and pays a payment of A's application with its key.
func (e *env) paidPayment() *resp {
	e.t.Helper()
	cards := e.MustSandbox(e.A, e.A.AppID, "webhook cards", nil)
	key := Key(e.A.AppKey)
	return e.MustPayPayment(key, e.A.AppID, e.MustCreatePayment(key, e.A.AppID, map[string]any{"gatewayConfigs": []int64{cards}}), "4242424242424242")
}

func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	r := e.MustCreateWebhook(key, e.A.AppID, map[string]any{"method": "post", "events": []string{"payment.completed"},
		"targets": []string{"https://merchant.example.com/a", "http://merchant.example.com:8080/b"}})
	id := r.ID()
	secret, _ := r.JSON["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || r.JSON["method"] != "POST" || r.JSON["targetEntity"] != "payment" ||
		r.Header.Get("Location") != webhookPath(e.A.AppID, id) {
		t.Fatalf("created %s (Location %q)", r.Body, r.Header.Get("Location"))
	}
	// The secret is shown once.
	got := e.MustGet(webhookPath(e.A.AppID, id), key)
	if _, ok := got.JSON["secret"]; ok || got.JSON["disabled"] != false {
		t.Fatalf("read back %s", got.Body)
	}
	e.MustCreateWebhook(Bearer(e.A.Token), e.A.AppID, map[string]any{"targetEntity": "refund"})
	list := e.Do("GET", webhooksPath(e.A.AppID)+"?sort=id_desc", key, nil).Expect(t, 200)
	if list.Header.Get("X-Total-Count") != "2" || len(list.List) != 2 || list.IDs()[1] != id {
		t.Fatalf("list %s", list.Body)
	}
	for _, s := range list.List {
		if _, ok := s.(map[string]any)["secret"]; ok {
			t.Fatal("a listed webhook shows its secret")
		}
	}

	for _, bad := range []struct {
		fields map[string]any
		field  string
	}{
		{map[string]any{"targets": []string{}}, "targets"},
		{map[string]any{"targets": []string{"javascript:alert(1)"}}, "targets[0]"},
		{map[string]any{"targets": []string{"http://127.0.0.1:8080/x"}}, "targets[0]"},
		{map[string]any{"targets": []string{"http://10.0.0.5/x"}}, "targets[0]"},
		{map[string]any{"targets": []string{"http://[::1]/x"}}, "targets[0]"},
		{map[string]any{"targets": []string{"http://169.254.169.254/latest"}}, "targets[0]"},
		{map[string]any{"targetEntity": "kitten"}, "targetEntity"},
		{map[string]any{"method": "DELETE"}, "method"},
		{map[string]any{"events": []string{"payment.done"}}, "events[0]"},
		{map[string]any{"unknown": 1}, "unknown"},
	} {
		f := map[string]any{"targets": []string{"https://merchant.example.com/hooks"}, "targetEntity": "payment"}
		for k, v := range bad.fields {
			f[k] = v
		}
		e.Do("POST", webhooksPath(e.A.AppID), key, webhookBody(f)).ExpectError(t, 400, bad.field)
	}
	e.Do("GET", webhooksPath(e.A.AppID)+"?sort=secret", key, nil).ExpectError(t, 400, "sort")

	e.Do("DELETE", webhookPath(e.A.AppID, id), key, nil).Expect(t, 204)
	e.Do("GET", webhookPath(e.A.AppID, id), key, nil).ExpectError(t, 404)
	e.Do("DELETE", webhookPath(e.A.AppID, id), key, nil).ExpectError(t, 404)
}

// TestWebhookBodyAndSignatures: what a receiver gets is the payment exactly
// as GET shows it, signed with the application's key (Hash) and the
// webhook's secret (Standard Webhooks).
func TestWebhookBodyAndSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey)
	hook := e.MustCreateWebhook(key, e.A.AppID, map[string]any{"events": []string{"payment.completed"}})
	secret := hook.JSON["secret"].(string)
	paid := e.paidPayment()

	jobs, err := e.Svc.ClaimDeliveries(context.Background(), "test", 10, time.Minute, nil, server.Renderers(e.URL, nil))
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claimed %d (%v)", len(jobs), err)
	}
	j := jobs[0]
	var sent, shown map[string]any
	if err := json.Unmarshal(j.Request.Body, &sent); err != nil {
		t.Fatal(err)
	}
	shown = paid.JSON
	for _, k := range []string{"id", "transactionId", "status", "amount", "currency", "links", "card", "completionDate"} {
		a, _ := json.Marshal(sent[k])
		b, _ := json.Marshal(shown[k])
		if string(a) != string(b) {
			t.Errorf("%s: webhook %s, GET %s", k, a, b)
		}
	}
	h := j.Request.Headers
	if err := webhook.VerifyHash(e.A.AppKey, h["Hash"], j.Request.Body); err != nil {
		t.Errorf("Hash: %v", err)
	}
	if err := webhook.Verify(secret, h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"], j.Request.Body, e.Clock.Now(), 0); err != nil {
		t.Errorf("webhook-signature: %v", err)
	}

	// The delivery log shows the attempts; the retry endpoint sends again.
	if err := e.Svc.FinishDelivery(context.Background(), j, webhook.Result{Status: 500, Response: "oops", Latency: 3 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	path := webhookPath(e.A.AppID, hook.ID()) + "/deliveries"
	ds := e.Do("GET", path, key, nil).Expect(t, 200)
	d := ds.List[0].(map[string]any)
	log := d["log"].([]any)[0].(map[string]any)
	if ds.Header.Get("X-Total-Count") != "1" || d["status"] != "pending" || d["eventId"] != h["webhook-id"] ||
		log["status"] != 500.0 || log["response"] != "oops" || log["latencyMs"] != 3.0 || d["nextAttemptAt"] == nil {
		t.Fatalf("deliveries %s", ds.Body)
	}
	retry := path + "/" + strconv.FormatInt(int64(d["id"].(float64)), 10) + "/retry"
	r := e.Do("POST", retry, key, nil).Expect(t, 202)
	if r.JSON["status"] != "pending" || r.JSON["nextAttemptAt"] != e.Clock.Now().Format(time.RFC3339) {
		t.Fatalf("retry %s", r.Body)
	}
	if jobs, _ := e.Svc.ClaimDeliveries(context.Background(), "test2", 10, time.Minute, nil, server.Renderers(e.URL, nil)); len(jobs) != 1 {
		t.Fatalf("after retry claimed %d", len(jobs))
	}
	e.Do("POST", retry, key, nil).ExpectError(t, 409)
	e.Do("GET", path+"?status=lost", key, nil).ExpectError(t, 400, "status")
	if r := e.Do("GET", path+"?status=delivered", key, nil).Expect(t, 200); len(r.List) != 0 {
		t.Fatalf("filtered %s", r.Body)
	}
}

// TestWebhookIsolation: every webhook route answers another client's (or
// another application's) webhook exactly like one that does not exist, and
// a viewer may read but not change.
func TestWebhookIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keyA := Key(e.A.AppKey)
	hook := e.MustCreateWebhook(keyA, e.A.AppID, nil)
	e.paidPayment()
	ds := e.Do("GET", webhookPath(e.A.AppID, hook.ID())+"/deliveries", keyA, nil).Expect(t, 200)
	if len(ds.List) == 0 {
		t.Fatal("no delivery")
	}
	did := strconv.FormatInt(int64(ds.List[0].(map[string]any)["id"].(float64)), 10)
	otherApp, otherKey := e.MustCreateApp(Bearer(e.A.Token), "Alpha other")
	one := webhookPath(e.A.AppID, hook.ID())
	type call struct {
		method, path string
		a            auth
		body         any
	}
	routes := func(base string) []call {
		return []call{
			{"GET", base + "/webhook", nil, nil},
			{"POST", base + "/webhook", nil, webhookBody(map[string]any{"targets": []string{"https://x.example.com"}, "targetEntity": "payment"})},
			{"GET", base + "/webhook/" + strconv.FormatInt(hook.ID(), 10), nil, nil},
			{"DELETE", base + "/webhook/" + strconv.FormatInt(hook.ID(), 10), nil, nil},
			{"GET", base + "/webhook/" + strconv.FormatInt(hook.ID(), 10) + "/deliveries", nil, nil},
			{"POST", base + "/webhook/" + strconv.FormatInt(hook.ID(), 10) + "/deliveries/" + did + "/retry", nil, nil},
		}
	}
	for _, who := range []struct {
		name string
		a    auth
		base string
	}{
		{"B's key on A's app", Key(e.B.AppKey), appPath(e.A.AppID)},
		{"B's admin on A's app", Bearer(e.B.Token), appPath(e.A.AppID)},
		{"A's other app key", Key(otherKey), appPath(e.A.AppID)},
		{"A's webhook under A's other app", keyA, appPath(otherApp)},
		{"A's webhook under B's app, B's key", Key(e.B.AppKey), appPath(e.B.AppID)},
	} {
		for _, c := range routes(who.base) {
			if who.name == "A's webhook under B's app, B's key" && c.method == "GET" && strings.HasSuffix(c.path, "/webhook") {
				continue // B's own list, which is simply empty
			}
			if who.name == "A's webhook under A's other app" && strings.HasSuffix(c.path, "/webhook") {
				continue // the other app's own collection
			}
			if (who.name == "A's webhook under B's app, B's key") && c.method == "POST" && strings.HasSuffix(c.path, "/webhook") {
				continue // B creating its own webhook
			}
			e.Do(c.method, c.path, who.a, c.body).ExpectError(t, 404)
		}
	}
	e.Do("GET", webhooksPath(e.B.AppID), Key(e.B.AppKey), nil).Expect(t, 200)
	e.MustCreateUser(e.A, "hook-viewer", "viewer")
	viewer := Bearer(e.MustLogin("hook-viewer", testPassword))
	e.Do("GET", one, viewer, nil).Expect(t, 200)
	e.Do("GET", one+"/deliveries", viewer, nil).Expect(t, 200)
	e.Do("DELETE", one, viewer, nil).ExpectError(t, 403)
	e.Do("POST", one+"/deliveries/"+did+"/retry", viewer, nil).ExpectError(t, 403)
	e.Do("POST", webhooksPath(e.A.AppID), viewer, webhookBody(map[string]any{"targets": []string{"https://x.example.com"},
		"targetEntity": "payment"})).ExpectError(t, 403)
	e.Do("GET", one, NoAuth, nil).ExpectError(t, 401)
	// Nothing was changed by the refused calls.
	if r := e.MustGet(one, keyA); r.ID() != hook.ID() {
		t.Fatalf("webhook %s", r.Body)
	}
	if r := e.MustGet(webhooksPath(e.A.AppID), keyA); len(r.List) != 1 {
		t.Fatalf("A has %d webhooks", len(r.List))
	}
}

// oaWebhooks drives every webhook operation for the OpenAPI test.
func oaWebhooks(s *oaSuite) {
	t, e := s.t, s.e
	admin, key := Bearer(e.A.Token), Key(e.A.AppKey)
	e.MustCreateUser(e.A, "oa-hook-viewer", "viewer")
	viewer := Bearer(e.MustLogin("oa-hook-viewer", testPassword))
	app := e.A.AppID
	list := webhooksPath(app)
	form := webhookBody(map[string]any{"method": "POST", "targets": []string{"https://merchant.example.com/hooks"},
		"targetEntity": "payment", "events": []string{"payment.completed"}})
	x := s.do(oaJSON("POST", list, key, form, 201, oaReqValid))
	hook := int64(x.JSON(t)["id"].(float64))
	one := webhookPath(app, hook)
	s.do(oaJSON("POST", list, admin, webhookBody(map[string]any{"targets": []string{"https://merchant.example.com/r"}, "targetEntity": "refund", "events": nil}), 201, oaReqValid))
	s.do(oaJSON("POST", list, key, webhookBody(map[string]any{"targetEntity": "payment"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, webhookBody(map[string]any{"targets": []string{"https://x.example.com"}, "targetEntity": "kitten"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, webhookBody(map[string]any{"targets": []string{"https://x.example.com"}, "targetEntity": "payment", "method": "GET"}), 400, oaReqInvalid))
	s.do(oaJSON("POST", list, key, webhookBody(map[string]any{"targets": []string{"http://127.0.0.1/x"}, "targetEntity": "payment"}), 400, oaReqValid))
	s.do(oaJSON("POST", list, key, webhookBody(map[string]any{"targets": []string{"https://x.example.com"}, "targetEntity": "payment", "events": []string{"payment.paid"}}), 400, oaReqValid))
	s.do(oaJSON("POST", list, nil, form, 401, oaReqInvalid))
	s.do(oaJSON("POST", list, viewer, form, 403, oaReqValid))
	s.do(oaJSON("POST", webhooksPath(e.B.AppID), key, form, 404, oaReqValid))
	s.do(oaJSON("POST", list, key, oaBig("webhook", "targetEntity"), 413, oaReqInvalid))
	s.do(oaCall{Method: "POST", Path: list, Auth: key, CType: "text/plain", Body: []byte("x"), Want: 415, Req: oaReqInvalid})

	s.do(oaJSON("GET", list+"?limit=10&sort=createdAt_desc", viewer, nil, 200, oaReqValid))
	s.do(oaJSON("GET", list+"?sort=secret", key, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", list, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", webhooksPath(e.B.AppID), key, nil, 404, oaReqValid))
	s.do(oaJSON("GET", one, key, nil, 200, oaReqValid))
	s.do(oaJSON("GET", one, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", webhookPath(app, 999999), key, nil, 404, oaReqValid))

	// A delivery to look at and retry.
	cards := e.MustSandbox(e.A, app, "OA hook cards", nil)
	e.MustPayPayment(key, app, e.MustCreatePayment(key, app, map[string]any{"gatewayConfigs": []int64{cards}}), "4242424242424242")
	deliveries := one + "/deliveries"
	x = s.do(oaJSON("GET", deliveries+"?status=pending&sort=nextAttemptAt_desc", key, nil, 200, oaReqValid))
	var ds []map[string]any
	if err := json.Unmarshal(x.Body, &ds); err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %s", x.Body)
	}
	retry := deliveries + "/" + strconv.FormatInt(int64(ds[0]["id"].(float64)), 10) + "/retry"
	jobs, err := e.Svc.ClaimDeliveries(context.Background(), "oa", 10, time.Minute, nil, server.Renderers(e.URL, nil))
	if err != nil || len(jobs) == 0 {
		t.Fatalf("claim: %d %v", len(jobs), err)
	}
	s.do(oaJSON("POST", retry, key, nil, 409, oaReqValid))
	if err := e.Svc.FinishDelivery(context.Background(), jobs[0], webhook.Result{Status: 502, Response: "bad gateway", Latency: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	s.do(oaJSON("GET", deliveries, viewer, nil, 200, oaReqValid))
	s.do(oaJSON("GET", deliveries+"?status=lost", key, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", deliveries+"?sort=target", key, nil, 400, oaReqInvalid))
	s.do(oaJSON("GET", deliveries, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("GET", webhookPath(app, 999999)+"/deliveries", key, nil, 404, oaReqValid))
	s.do(oaJSON("POST", retry, admin, nil, 202, oaReqValid))
	s.do(oaJSON("POST", retry, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("POST", retry, viewer, nil, 403, oaReqValid))
	s.do(oaJSON("POST", deliveries+"/999999/retry", key, nil, 404, oaReqValid))

	s.do(oaJSON("DELETE", one, nil, nil, 401, oaReqInvalid))
	s.do(oaJSON("DELETE", one, viewer, nil, 403, oaReqValid))
	s.do(oaJSON("DELETE", one, admin, nil, 204, oaReqValid))
	s.do(oaJSON("DELETE", one, admin, nil, 404, oaReqValid))

	for _, c := range []oaCall{
		oaJSON("PUT", list, key, nil, 405, oaReqValid),
		oaJSON("PATCH", one, key, nil, 405, oaReqValid),
		oaJSON("POST", deliveries, key, nil, 405, oaReqValid),
		oaJSON("GET", retry, key, nil, 405, oaReqValid),
	} {
		if x := s.do(c); x.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", x.Label)
		}
	}
}

// TestWebhookCreateIdempotent: a retried creation with the same
// Idempotency-Key makes no second endpoint (which would deliver every event
// twice); the replay shows the endpoint without its secret, which only the
// first answer carries. Another body under the key is a 409.
func TestWebhookCreateIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := Key(e.A.AppKey).Idem("hook-1")
	body := webhookBody(map[string]any{"targets": []string{"https://merchant.example.com/hooks"}, "targetEntity": "payment"})
	first := e.Do("POST", webhooksPath(e.A.AppID), key, body).Expect(t, http.StatusCreated)
	if s, _ := first.JSON["secret"].(string); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("first answer without its secret: %s", first.Body)
	}
	again := e.Do("POST", webhooksPath(e.A.AppID), key, body).Expect(t, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.ID() != first.ID() || again.JSON["secret"] != nil ||
		again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("replay: %s %v", again.Body, again.Header)
	}
	if n := len(e.Do("GET", webhooksPath(e.A.AppID), Key(e.A.AppKey), nil).Expect(t, http.StatusOK).List); n != 1 {
		t.Fatalf("%d webhooks after a retried creation, want 1", n)
	}
	other := webhookBody(map[string]any{"targets": []string{"https://other.example.com/hooks"}, "targetEntity": "payment"})
	e.Do("POST", webhooksPath(e.A.AppID), key, other).ExpectError(t, http.StatusConflict)
}
