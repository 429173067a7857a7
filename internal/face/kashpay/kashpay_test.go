package kashpay_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor/spei"
	"github.com/pasarela/pasarela/internal/server"
)

// seedAuthBody is the seed's authenticate body exactly as its PHP sample
// sends it (blank line, indentation and all), with the password replaced.
const seedAuthBody = `{
    "entity": "com.cascade",
    "password": "` + seedPassword + `",
    "user": "jim@cascadefintech.com"

  }`

// sampleOrderBody is Kashpay's createOrder sample (every member, in the
// types the sample sends them: numbers for the amount, references, currency
// and postal code), with its placeholders replaced: the 8-digit account by
// a CLABE of the sample's bank (002), the "string" account types by 40.
const sampleOrderBody = `{
  "alphanumericReference": "PROVV0011712091",
  "amount": 250,
  "beneficiaryAcount": "002010077777777771",
  "beneficiaryAcountSPEI": "002010077777777771",
  "beneficiaryAddress1": "Vicente G 132 Mz5 Lt14",
  "beneficiaryAddress2": "Vicente G 132 Mz5 Lt14",
  "beneficiaryCity": "CDMX",
  "beneficiaryName": "Florentino Eter",
  "beneficiaryTypeAcount": "40",
  "codeInstituteBank": "002",
  "concept": "Deposito Maria",
  "currency": 484,
  "dataAccreditationBeneficiary": 99,
  "dateTransaction": "030421",
  "description": "prueba",
  "email": "testrest@gmail.com",
  "idBank": 4177,
  "idEntity": 4177,
  "numericReference": 43223123,
  "observation": "test@gmail.com",
  "orderingAccount": 111,
  "orderingTypeAcount": "40",
  "postalCode": 57800,
  "referenceCreatedPayment": 811111112,
  "rfc": "ROPL951201091",
  "typeTransaction": 1
}
`

// TestSeedExamples runs the seed's requests as written: authenticate with
// its body, createOrder with the sample's body, then the balance and the
// operations with Kashpay's headers.
func TestSeedExamples(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 1_000_000) // 10,000.00 MXN, the seed's initialBalance
		r := e.Do("POST", "/AuthenticationService/authenticate", nil, seedAuthBody)
		if r.Status != http.StatusOK || r.JSON["success"] != true {
			t.Fatalf("authenticate: %d %s", r.Status, r.Body)
		}
		if _, ok := r.JSON["totalItems"]; ok {
			t.Errorf("the authenticate answer has paging counters: %s", r.Body)
		}
		ar := r.JSON["authenticationResponse"].(map[string]any)
		token := ar["token"].(string)
		if ar["expires"] != "6000000" {
			t.Errorf("expires %v, want \"6000000\" (100 minutes in milliseconds, a string)", ar["expires"])
		}
		head, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
		if string(head) != `{"alg":"HS512"}` {
			t.Errorf("token header %s", head)
		}

		r = e.Do("POST", "/OKPay/createOrder", bearer(token), sampleOrderBody)
		if r.Status != http.StatusOK || r.JSON["success"] != true {
			t.Fatalf("createOrder: %d %s", r.Status, r.Body)
		}
		o := r.JSON["orderEntityResponse"].(map[string]any)
		want := map[string]any{"numericReference": "43223123", "alphanumericReference": "PROVV0011712091",
			"referenceCreatedPayment": "ca000000000001", "status": json.Number("25"),
			"initialBalance": json.Number("10000"), "finalBalance": json.Number("9750"), "amount": json.Number("250")}
		for k, v := range want {
			if o[k] != v {
				t.Errorf("orderEntityResponse.%s = %v, want %v", k, o[k], v)
			}
		}
		if _, err := time.Parse("2006-01-02T15:04:05.000-0700", o["createdAt"].(string)); err != nil || o["uptadedAt"] == nil {
			t.Errorf("times: %v %v", o["createdAt"], o["uptadedAt"])
		}
		if id, _ := o["id"].(string); id == "" {
			t.Errorf("id %v is not a string", o["id"])
		}
		for _, k := range []string{"totalItems", "totalPages", "currentPage"} {
			if r.JSON[k] != json.Number("0") {
				t.Errorf("%s = %v", k, r.JSON[k])
			}
		}

		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token, "Entity-i", seedEntity), "")
		if r.Status != http.StatusOK || r.JSON["success"] != true {
			t.Fatalf("getBalance: %d %s", r.Status, r.Body)
		}
		ent := r.JSON["onsignaEntity"].(map[string]any)
		if ent["balance"] != json.Number("9750") || ent["pendingBalance"] != json.Number("250") || ent["prefix"] != "ca" ||
			ent["id"] != seedEntity {
			t.Errorf("onsignaEntity %v", ent)
		}

		r = e.Do("GET", "/EntitiesServices/getOperations", bearer(token, "Entity-i", seedEntity, "page", "0", "size", "10",
			"status", "25", "type", "1"), "")
		if r.Status != http.StatusOK || r.JSON["totalItems"] != json.Number("1") || r.JSON["totalPages"] != json.Number("1") {
			t.Fatalf("getOperations: %d %s", r.Status, r.Body)
		}
		op := r.JSON["operations"].([]any)[0].(map[string]any)
		if op["status"] != json.Number("25") || op["type"] != json.Number("1") || op["internalReference"] != "ca000000000001" ||
			op["targetID"] != "002010077777777771" || op["amount"] != json.Number("250") {
			t.Errorf("operation %v", op)
		}
	})
}

// TestCreateOrderErrors sends one broken order per rule and wants its own
// numbered error in the envelope, naming the field, with nothing taken.
func TestCreateOrderErrors(t *testing.T) {
	t.Parallel()
	set := func(member, value string) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(sampleOrderBody), &m); err != nil {
			panic(err)
		}
		if value == "" {
			delete(m, member)
		} else {
			m[member] = json.RawMessage(value)
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		status int
		code   int
		field  string
	}{
		{"malformed JSON", `{"amount": 250`, 400, 1010, ""},
		{"an array", `[1]`, 400, 1010, ""},
		{"two objects", `{} {}`, 400, 1010, ""},
		{"no amount", set("amount", ""), 400, 1030, "amount"},
		{"zero amount", set("amount", "0"), 400, 1036, "amount"},
		{"negative amount", set("amount", "-5"), 400, 1036, "amount"},
		{"amount as text", set("amount", `"diez"`), 400, 1036, "amount"},
		{"three decimals", set("amount", "10.005"), 400, 1037, "amount"},
		{"amount as an object", set("amount", `{"v":1}`), 400, 1014, "amount"},
		{"currency", set("currency", "840"), 400, 1038, "currency"},
		{"type", set("typeTransaction", "2"), 400, 1039, "typeTransaction"},
		{"no type", set("typeTransaction", ""), 400, 1030, "typeTransaction"},
		{"no name", set("beneficiaryName", ""), 400, 1030, "beneficiaryName"},
		{"long name", set("beneficiaryName", `"`+strings.Repeat("n", 41)+`"`), 400, 1041, "beneficiaryName"},
		{"two different accounts", set("beneficiaryAcount", "87459854"), 400, 1049, "beneficiaryAcount"},
		{"the sample's 8-digit account", strings.ReplaceAll(sampleOrderBody, `"002010077777777771"`, "87459854"), 400, 1031, "beneficiaryAcount"},
		{"check digit", strings.ReplaceAll(sampleOrderBody, "002010077777777771", "002010077777777772"), 400, 1033, "beneficiaryAcount"},
		{"bank not in the catalog", strings.ReplaceAll(sampleOrderBody, "002010077777777771", "032180000118359719"), 400, 1032, "beneficiaryAcount"},
		{"unknown institution", set("codeInstituteBank", `"999"`), 400, 1034, "codeInstituteBank"},
		{"institution of another bank", set("codeInstituteBank", `"012"`), 400, 1035, "codeInstituteBank"},
		{"no institution", set("codeInstituteBank", ""), 400, 1030, "codeInstituteBank"},
		{"account type", set("beneficiaryTypeAcount", `"string"`), 400, 1040, "beneficiaryTypeAcount"},
		{"no concept", set("concept", ""), 400, 1030, "concept"},
		{"numeric reference", set("numericReference", `"12AB"`), 400, 1043, "numericReference"},
		{"no numeric reference", set("numericReference", ""), 400, 1030, "numericReference"},
		{"alphanumeric reference", set("alphanumericReference", `"PROV-1"`), 400, 1044, "alphanumericReference"},
		{"email", set("email", `"nope"`), 400, 1045, "email"},
		{"rfc", set("rfc", `"ROPL"`), 400, 1046, "rfc"},
		{"postal code", set("postalCode", "578"), 400, 1047, "postalCode"},
		{"date", set("dateTransaction", `"310221"`), 400, 1048, "dateTransaction"},
		{"control characters", set("beneficiaryCity", `"CD\nMX"`), 400, 1042, "beneficiaryCity"},
		{"long second address line", set("beneficiaryAddress2", `"`+strings.Repeat("a", 101)+`"`), 400, 1041, "beneficiaryAddress2"},
		{"funds", set("amount", "10000.01"), 422, 1022, ""},
		{"amount twice", strings.Replace(sampleOrderBody, "{", `{"amount":1,`, 1), 400, 1015, "amount"},
		{"amount in another case", strings.Replace(sampleOrderBody, "{", `{"Amount":9999,`, 1), 400, 1016, "Amount"},
		{"ignored member in another case", strings.Replace(sampleOrderBody, "{", `{"IdBank":1,`, 1), 400, 1016, "IdBank"},
		{"invalid UTF-8", strings.Replace(sampleOrderBody, `"concept"`, "\"concept\xff\"", 1), 400, 1010, ""},
	}
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 1_000_000)
		token := e.MustLogin(seedEntity, seedUser)
		for _, tc := range tests {
			r := e.Do("POST", "/OKPay/createOrder", bearer(token), tc.body)
			wantError(t, tc.name, r, tc.status, tc.code, tc.field)
		}
		r := e.Do("POST", "/OKPay/createOrder", bearer(token), set("amount", "10000.01"))
		if er := r.JSON["error"].(map[string]any); er["name"] != "EntityException" || er["message"] != "No se pudo procesar el pago" {
			t.Errorf("funds error %v, want Kashpay's EntityException / No se pudo procesar el pago", er)
		}
		r = e.Do("POST", "/OKPay/createOrder", bearer(token, "Idempotency-Key", "two words"), sampleOrderBody)
		wantError(t, "idempotency key", r, 400, 1025, "Idempotency-Key")
		r = e.Do("POST", "/OKPay/createOrder", bearer(token, "Content-Type", "text/plain"), sampleOrderBody)
		wantError(t, "content type", r, 415, 1011, "")
		r = e.Do("POST", "/OKPay/createOrder", bearer(token), `{"amount":"`+strings.Repeat("9", 70<<10)+`"}`)
		wantError(t, "too large", r, 413, 1012, "")
		r = e.Do("GET", "/OKPay/createOrder", bearer(token), "")
		wantError(t, "method", r, 405, 1013, "")
		// Nothing was taken by any of them.
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token), "")
		if b := r.JSON["onsignaEntity"].(map[string]any); b["balance"] != json.Number("10000") || b["pendingBalance"] != json.Number("0") {
			t.Fatalf("balance after refused orders: %v", b)
		}
		// Exactly the balance passes, with the leniencies of the samples: a
		// bank code as a number, no Content-Type.
		body := strings.Replace(set("amount", "10000.00"), `"codeInstituteBank":"002"`, `"codeInstituteBank":2`, 1)
		req, _ := http.NewRequest("POST", e.URL+"/OKPay/createOrder", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("the whole balance: %d", res.StatusCode)
		}
	})
}

// TestAuthErrors: wrong credentials, missing and bad tokens, the Entity-i
// check, expiry and roles, each in the envelope.
func TestAuthErrors(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 100_000)
		e.MustUser(e.Cascade, "viewer@cascadefintech.com", pasarela.RoleViewer)
		for name, body := range map[string]string{
			"wrong password": `{"entity":"com.cascade","user":"jim@cascadefintech.com","password":"nope"}`,
			"wrong entity":   `{"entity":"com.betapagos","user":"jim@cascadefintech.com","password":"` + seedPassword + `"}`,
			"unknown user":   `{"entity":"com.cascade","user":"ann@cascadefintech.com","password":"` + seedPassword + `"}`,
			// Text no database may see is a name nothing has (PostgreSQL
			// used to answer a 500, SQLSTATE 22021).
			"entity with NUL": `{"entity":"com.cascade\u0000","user":"jim@cascadefintech.com","password":"` + seedPassword + `"}`,
			"user with NUL":   `{"entity":"com.cascade","user":"jim@cascadefintech.com\u0000","password":"` + seedPassword + `"}`,
		} {
			r := e.Do("POST", "/AuthenticationService/authenticate", nil, body)
			wantError(t, name, r, 401, 1001, "")
		}
		r := e.Do("POST", "/AuthenticationService/authenticate", nil, `{"entity":"com.cascade","user":"jim@cascadefintech.com"}`)
		wantError(t, "no password", r, 400, 1030, "password")
		r = e.Do("POST", "/AuthenticationService/authenticate", nil, `{"entity":["x"],"user":"u","password":"p"}`)
		wantError(t, "entity as an array", r, 400, 1014, "entity")
		r = e.Do("POST", "/AuthenticationService/authenticate", nil, `{"entity":"com.betapagos","entity":"com.cascade","user":"jim@cascadefintech.com","password":"`+seedPassword+`"}`)
		wantError(t, "entity twice", r, 400, 1015, "entity")
		r = e.Do("POST", "/AuthenticationService/authenticate", nil, `{"Entity":"com.betapagos","entity":"com.cascade","user":"jim@cascadefintech.com","password":"`+seedPassword+`"}`)
		wantError(t, "entity in another case", r, 400, 1016, "Entity")

		token := e.MustLogin(seedEntity, seedUser)
		r = e.Do("GET", "/EntitiesServices/getBalance", nil, "")
		wantError(t, "no token", r, 401, 1004, "")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		r = e.Do("GET", "/EntitiesServices/getBalance", map[string]string{"Authorization": "Basic YWRtaW46c2VjcmV0"}, "")
		wantError(t, "the samples' Basic placeholder", r, 401, 1004, "")
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token+"x"), "")
		wantError(t, "tampered token", r, 401, 1003, "")
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token, "Entity-i", "com.betapagos"), "")
		wantError(t, "Entity-i of another entity", r, 403, 1005, "")
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token, "Entity-i", "COM.CASCADE"), "")
		if r.Status != 200 {
			t.Errorf("Entity-i in upper case: %d %s", r.Status, r.Body)
		}
		viewer := e.MustLogin(seedEntity, "viewer@cascadefintech.com")
		r = e.Do("POST", "/OKPay/createOrder", bearer(viewer), sampleOrderBody)
		wantError(t, "viewer orders", r, 403, 1006, "")
		if r = e.Do("GET", "/EntitiesServices/getOperations", bearer(viewer), ""); r.Status != 200 {
			t.Errorf("viewer reads operations: %d %s", r.Status, r.Body)
		}
		e.Clock.Advance(100 * time.Minute)
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token), "")
		wantError(t, "expired token", r, 401, 1003, "")
	})
}

// TestTenantIsolation: one entity's token never sees nor spends another's
// balance and operations.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 100_000)
		cascade := e.MustLogin(seedEntity, seedUser)
		beta := e.MustLogin("com.betapagos", "ops@beta.example")
		if r := e.Do("POST", "/OKPay/createOrder", bearer(cascade), sampleOrderBody); r.Status != 200 {
			t.Fatalf("cascade orders: %d %s", r.Status, r.Body)
		}
		r := e.Do("GET", "/EntitiesServices/getOperations", bearer(beta), "")
		if r.Status != 200 || r.JSON["totalItems"] != json.Number("0") || len(r.JSON["operations"].([]any)) != 0 {
			t.Errorf("beta's operations: %s", r.Body)
		}
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(beta), "")
		if b := r.JSON["onsignaEntity"].(map[string]any); b["balance"] != json.Number("0") || b["id"] != "com.betapagos" {
			t.Errorf("beta's balance: %v", b)
		}
		r = e.Do("GET", "/EntitiesServices/getOperations", bearer(beta, "Entity-i", seedEntity), "")
		wantError(t, "beta's token with cascade's Entity-i", r, 403, 1005, "")
		r = e.Do("POST", "/OKPay/createOrder", bearer(beta, "Entity-i", seedEntity), sampleOrderBody)
		wantError(t, "beta spends with cascade's Entity-i", r, 403, 1005, "")
		r = e.Do("POST", "/OKPay/createOrder", bearer(beta), sampleOrderBody)
		wantError(t, "beta spends its empty balance", r, 422, 1022, "")
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(cascade), "")
		if b := r.JSON["onsignaEntity"].(map[string]any); b["balance"] != json.Number("750") {
			t.Errorf("cascade's balance: %v", b)
		}
	})
}

// TestOrderLifecycle follows orders through the simulated rail as a client
// sees them in getOperations: confirmed, rejected (.28) and returned (.11),
// with the webhook body of each step in this face's shape.
func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 100_000)
		token := e.MustLogin(seedEntity, seedUser)
		ids := map[string]string{}
		for _, amount := range []string{"100", "200.28", "300.11"} {
			body := strings.Replace(sampleOrderBody, `"amount": 250`, `"amount": `+amount, 1)
			r := e.Do("POST", "/OKPay/createOrder", bearer(token), body)
			if r.Status != 200 {
				t.Fatalf("order %s: %d %s", amount, r.Status, r.Body)
			}
			ids[r.JSON["orderEntityResponse"].(map[string]any)["id"].(string)] = amount
		}
		statuses := func() map[string]string {
			r := e.Do("GET", "/EntitiesServices/getOperations", bearer(token), "")
			out := map[string]string{}
			for _, op := range r.JSON["operations"].([]any) {
				m := op.(map[string]any)
				out[ids[m["id"].(string)]] = m["status"].(json.Number).String()
			}
			return out
		}
		ctx := context.Background()
		for i, step := range []struct {
			after time.Duration
			want  map[string]string
		}{
			{0, map[string]string{"100": "26", "200.28": "26", "300.11": "26"}},
			{spei.DefaultSend, map[string]string{"100": "27", "200.28": "27", "300.11": "27"}},
			{spei.DefaultSettle, map[string]string{"100": "29", "200.28": "28", "300.11": "29"}},
			{spei.DefaultReturn, map[string]string{"100": "29", "200.28": "28", "300.11": "11"}},
		} {
			e.Clock.Advance(step.after)
			if _, err := e.Worker.Step(ctx); err != nil {
				t.Fatal(err)
			}
			got := statuses()
			for k, v := range step.want {
				if got[k] != v {
					t.Fatalf("step %d: order %s has status %s, want %s (%v)", i, k, got[k], v, got)
				}
			}
		}
		r := e.Do("GET", "/EntitiesServices/getOperations", bearer(token, "status", "28"), "")
		if r.JSON["totalItems"] != json.Number("1") {
			t.Fatalf("status filter 28: %s", r.Body)
		}
		op := r.JSON["operations"].([]any)[0].(map[string]any)
		if op["responseCode"] != spei.CodeNoAccount || op["observation"] != spei.MsgNoAccount || op["transactionID"] == "" {
			t.Errorf("rejected operation: %v", op)
		}
		r = e.Do("GET", "/EntitiesServices/getBalance", bearer(token), "")
		if b := r.JSON["onsignaEntity"].(map[string]any); b["balance"] != json.Number("900") || b["pendingBalance"] != json.Number("0") {
			t.Errorf("balance after the lifecycle: %v", b)
		}
		// Paging and filters by header.
		for _, tc := range []struct {
			headers []string
			items   string
			count   int
		}{
			{[]string{"size", "2", "page", "0"}, "3", 2},
			{[]string{"size", "2", "page", "1"}, "3", 1},
			{[]string{"status", "29"}, "1", 1},
			{[]string{"status", "8"}, "0", 0}, // Cancelado: in the catalog, never a payout's
			{[]string{"type", "3"}, "0", 0},   // SPEI received: not a payout
		} {
			r := e.Do("GET", "/EntitiesServices/getOperations", bearer(token, tc.headers...), "")
			if r.Status != 200 || r.JSON["totalItems"] != json.Number(tc.items) || len(r.JSON["operations"].([]any)) != tc.count {
				t.Errorf("headers %v: %d %s", tc.headers, r.Status, r.Body)
			}
		}
		for _, h := range [][]string{{"size", "0"}, {"size", "101"}, {"page", "-1"}, {"status", "99"}, {"type", "x"}} {
			r := e.Do("GET", "/EntitiesServices/getOperations", bearer(token, h...), "")
			wantError(t, "header "+h[0]+"="+h[1], r, 400, 1060, h[0])
		}
		// The events' payloads render, for PayREST endpoints, as the order
		// this face shows.
		var n int
		if err := e.DB.Raw.QueryRow(`SELECT COUNT(*) FROM events WHERE entity = 'payout'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 4+4+5 {
			t.Errorf("%d payout events, want 13", n)
		}
		stored := pasarela.Event{ID: "evt_returned", Entity: pasarela.EntityPayout}
		var data string
		if err := e.DB.Raw.QueryRow(`SELECT version, data FROM events WHERE type = 'payout.returned'`).Scan(&stored.Version,
			&data); err != nil {
			t.Fatal(err)
		}
		stored.Data = []byte(data)
		out, err := server.Renderers("http://pay.test", nil).Render(pasarela.FormatPayREST, &stored, core.Recipient{})
		if err != nil {
			t.Fatal(err)
		}
		body := out.Body
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil || ev["status"] != float64(11) || ev["referenceCreatedPayment"] == nil {
			t.Errorf("returned event body %s", body)
		}
	})
}

// TestOrderIdempotency: a retried createOrder with its Idempotency-Key
// replays the first answer and takes the money once.
func TestOrderIdempotency(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustCredit(e.Cascade, 100_000)
		token := e.MustLogin(seedEntity, seedUser)
		h := bearer(token, "Idempotency-Key", "order-0001")
		// An & in the body: the replay must escape nothing the first
		// answer did not.
		body := strings.Replace(sampleOrderBody, "Florentino Eter", "Florentino & Eter", 1)
		first := e.Do("POST", "/OKPay/createOrder", h, body)
		again := e.Do("POST", "/OKPay/createOrder", h, body)
		if first.Status != 200 || again.Status != 200 || string(first.Body) != string(again.Body) ||
			again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		other := e.Do("POST", "/OKPay/createOrder", h, strings.Replace(body, "250", "251", 1))
		wantError(t, "key with another body", other, 409, 1024, "")
		r := e.Do("GET", "/EntitiesServices/getBalance", bearer(token), "")
		if b := r.JSON["onsignaEntity"].(map[string]any); b["balance"] != json.Number("750") {
			t.Errorf("balance %v", b)
		}
	})
}

// TestUnknownPathsKeepTheEnvelope: a mistyped operation (Kashpay's paths
// are case-sensitive) and a wrongly typed member answer in the face's own
// envelope, each problem once.
func TestUnknownPathsKeepTheEnvelope(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		r := e.Do("POST", "/OKPay/createorder", nil, `{}`)
		if r.Status != http.StatusNotFound || r.JSON["success"] != false || r.JSON["error"] == nil {
			t.Fatalf("unknown operation: %d %s", r.Status, r.Body)
		}
		token := e.MustLogin(seedEntity, seedUser)
		r = e.Do("POST", "/OKPay/createOrder", map[string]string{"Authorization": "Bearer " + token},
			`{"amount":{},"typeTransaction":1}`)
		if r.Status != http.StatusBadRequest || strings.Count(string(r.Body), `"field":"amount"`) != 1 {
			t.Fatalf("amount of the wrong type: %d %s", r.Status, r.Body)
		}
	})
}

// TestTerminalUsersSeeNoPayouts: a terminal user (its own transactions only;
// it sends no payouts) may neither send money nor read the client's
// payouts and balance; a viewer reads them.
func TestTerminalUsersSeeNoPayouts(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		e.MustUser(e.Cascade, "till@cascadefintech.com", pasarela.RoleTerminal)
		e.MustUser(e.Cascade, "audit@cascadefintech.com", pasarela.RoleViewer)
		till := map[string]string{"Authorization": "Bearer " + e.MustLogin(seedEntity, "till@cascadefintech.com")}
		audit := map[string]string{"Authorization": "Bearer " + e.MustLogin(seedEntity, "audit@cascadefintech.com")}
		for _, path := range []string{"/EntitiesServices/getBalance", "/EntitiesServices/getOperations"} {
			if r := e.Do("GET", path, till, ""); r.Status != http.StatusForbidden || r.JSON["success"] != false {
				t.Errorf("terminal user %s: %d %s", path, r.Status, r.Body)
			}
			if r := e.Do("GET", path, audit, ""); r.Status != http.StatusOK {
				t.Errorf("viewer %s: %d %s", path, r.Status, r.Body)
			}
		}
	})
}
