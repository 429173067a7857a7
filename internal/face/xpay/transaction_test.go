package xpay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
)

// TestQuotes: the plugins' quote call with its amount and currency, COC
// read as COP, and the seed's errors.
func TestQuotes(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		key := e.MustLogin(e.A.Admin.Email)
		for _, path := range []string{"/transactions/available/currencies/150000.30/COP/", "/transactions/available/currencies/150000.3/coc"} {
			r := e.Do("GET", path, token(key, "Accept", "*/*"), "")
			items, _ := r.JSON["available_currencies"].([]any)
			if r.Status != http.StatusOK || len(items) != 1 || r.JSON["amount"] != json.Number("150000.3") {
				t.Fatalf("%s: %d %s", path, r.Status, r.Body)
			}
			it := items[0].(map[string]any)
			cur := it["currency"].(map[string]any)
			// 150000.30 COP at 25 000 000 COP per BTC, rounded up to the satoshi.
			if it["exchange"] != json.Number("1") || it["amount"] != "0.00600002" || it["exchange_amount"] != "0.00600002" ||
				cur["code"] != "BTC" || cur["name"] != "Bitcoin" || cur["symbol"] != "BTC" {
				t.Errorf("%s: %s", path, r.Body)
			}
		}
		for _, c := range []struct {
			path   string
			status int
			code   int
			field  string
		}{
			{"150000.30/XYZ/", 400, 3030, "currency"},
			{"150000.30/BTC/", 400, 3031, "currency"},
			{"COP/150000.30/", 400, 2002, "amount"}, // PrestaShop 1.6's swapped arguments
			{"0/COP/", 400, 3021, "amount"},
			{"-5/COP/", 400, 3021, "amount"},
			{"1e400/COP/", 400, 2002, "amount"},
		} {
			wantError(t, c.path, e.Do("GET", "/transactions/available/currencies/"+c.path, token(key), ""), c.status, c.code, c.field)
		}
		// A commerce with no crypto config.
		c := coretest.MustTenant(t, e.Svc, "Gamma Shop")
		wantError(t, "no crypto config", e.Do("GET", "/transactions/available/currencies/100/COP/", token(e.MustLogin(c.Admin.Email)), ""),
			400, 3022, "exchange")
		wantError(t, "no token", e.Do("GET", "/transactions/available/currencies/100/COP/", nil, ""), 401, 3003, "all")
	})
}

// TestCreateTransaction: the plugin's body (a float amount, a string
// exchange id) creates a transaction exactly as the seed shows it, on both
// creating paths; an Idempotency-Key replays it; every error of the seed's
// table that can happen has its code and field.
func TestCreateTransaction(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		till := e.MustUser(e.A, "till@alpha.example", pasarela.RoleTerminal)
		key := e.MustLogin("till@alpha.example")
		r := e.Do("POST", "/transactions/create/", token(key, "Accept", "*/*", "User-Agent", ""), order)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		tx := r.JSON
		want := map[string]any{
			"amount_to_change": "150000.30", "currency_to_change": "COP", "string_amount_to_change": "150000.30 COP",
			"amount_to_paid": "0.00600002", "currency_to_paid": "BTC", "string_amount_to_paid": "0.00600002 BTC",
			"commission": "0.00000000", "string_commission": "0.00000000 BTC", "fiat_withdraw": "100", "string_fiat_withdraw": "100 %",
			"status": "sending", "transaction_status_code": json.Number("3"), "wallet": bip84Addr0,
			"waiting_time": "1200.00", "waiting_time_unit": "seconds", "string_waiting_time": "1200.00 seconds",
			"callback": "http://shop.example/?ipn-xpay=42", "qr": "bitcoin:" + bip84Addr0 + "?amount=0.00600002",
			"string_crypto_amount_to_commerce": "0.00600002 BTC", "string_fiat_amount_to_commerce": "150000.30 COP",
			"amount_received": "0.00000000", "date": coretest.Start.UTC().Format("2006-01-02T15:04:05.000000Z"),
		}
		for k, v := range want {
			if tx[k] != v {
				t.Errorf("%s = %v, want %v", k, tx[k], v)
			}
		}
		if u, _ := tx["url"].(string); !strings.HasPrefix(u, "http://pay.test/pay/") {
			t.Errorf("url %q", u)
		}
		if _, ok := tx["user"]; ok {
			t.Errorf("a terminal user is shown itself as creator: %s", r.Body)
		}
		// The seed's path creates too, at the next address; managers see
		// the creator.
		admin := e.MustLogin(e.A.Admin.Email)
		r = e.Do("POST", "/transactions/", token(admin), `{"src_currency":"BTC","tgt_currency":"COC","amount":100000,"exchange_id":1,"fiat_withdraw":50}`)
		if r.Status != http.StatusCreated || r.JSON["wallet"] != bip84Addr1 || r.JSON["amount_to_paid"] != "0.00400000" ||
			r.JSON["currency_to_change"] != "COP" || r.JSON["callback"] != nil || r.JSON["fiat_withdraw"] != "50" {
			t.Fatalf("seed create: %d %s", r.Status, r.Body)
		}
		if u, _ := e.MustStatus(admin, tx["id"], "sending")["user"].(map[string]any); u == nil || u["email"] != "till@alpha.example" ||
			u["id"] != json.Number(itoa(till.ID)) || u["first_name"] != "Till" {
			t.Errorf("the manager does not see the creator: %v", u)
		}

		// Idempotency: the same key and body replay the first answer, on
		// either path; another body with that key is a conflict.
		idem := token(key, "Idempotency-Key", "order-42")
		first := e.Do("POST", "/transactions/create/", idem, order)
		again := e.Do("POST", "/transactions/", idem, order)
		if first.Status != 201 || again.Status != 201 || again.JSON["id"] != first.JSON["id"] || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s / %d %s", first.Status, first.Body, again.Status, again.Body)
		}
		wantError(t, "key reused", e.Do("POST", "/transactions/create/", idem, strings.Replace(order, "150000", "150001", 1)), 409, 4090, "Idempotency-Key")

		e.MustUser(e.A, "vera@alpha.example", pasarela.RoleViewer)
		viewer := e.MustLogin("vera@alpha.example")
		gamma := coretest.MustTenant(t, e.Svc, "Gamma Shop")
		body := func(kv ...string) string {
			m := map[string]any{"src_currency": "BTC", "tgt_currency": "COP", "amount": json.Number("100000"), "exchange_id": "1"}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "<absent>" {
					delete(m, kv[i])
					continue
				}
				var v any
				if err := json.Unmarshal([]byte(kv[i+1]), &v); err != nil {
					t.Fatal(err)
				}
				m[kv[i]] = v
			}
			b, _ := json.Marshal(m)
			return string(b)
		}
		for _, c := range []struct {
			what   string
			key    string
			body   string
			status int
			code   int
			field  string
		}{
			{"missing", key, body("src_currency", "<absent>", "exchange_id", "<absent>"), 400, 3013, "src_currency, exchange_id"},
			{"all missing", key, `{}`, 400, 3013, "src_currency, tgt_currency, amount, exchange_id"},
			{"null amount", key, body("amount", "null"), 400, 3013, "amount"},
			{"blank currency", key, body("src_currency", `" "`), 400, 3013, "src_currency"},
			{"callback not a URL", key, body("callback", `"not a url"`), 400, 3014, "callback"},
			{"callback a number", key, body("callback", `5`), 400, 3014, "callback"},
			{"src unknown", key, body("src_currency", `"XYZ"`), 400, 3015, "src_currency"},
			{"src not offered", key, body("src_currency", `"ETH"`), 400, 3015, "src_currency"},
			{"src fiat", key, body("src_currency", `"COP"`), 400, 3016, "src_currency"},
			{"tgt unknown", key, body("tgt_currency", `"XYZ"`), 400, 3017, "tgt_currency"},
			{"tgt crypto", key, body("tgt_currency", `"BTC"`), 400, 3018, "tgt_currency"},
			{"exchange unknown", key, body("exchange_id", `9`), 400, 3019, "exchange_id"},
			{"exchange not a number", key, body("exchange_id", `"abc"`), 400, 3019, "exchange_id"},
			{"amount zero", key, body("amount", `0`), 400, 3021, "amount"},
			{"amount negative", key, body("amount", `"-5"`), 400, 3021, "amount"},
			{"amount text", key, body("amount", `"cien"`), 400, 2002, "amount"},
			{"amount object", key, body("amount", `{}`), 400, 2002, "amount"},
			{"no crypto config", e.MustLogin(gamma.Admin.Email), body(), 400, 3022, "exchange"},
			{"no market", key, body("tgt_currency", `"CHF"`), 400, 3024, "src_currency, tgt_currency, amount"},
			{"fiat_withdraw", key, body("fiat_withdraw", `101`), 400, 2002, "fiat_withdraw"},
			{"duplicate member", key, `{"src_currency":"BTC","src_currency":"ETH","tgt_currency":"COP","amount":1,"exchange_id":1}`, 400, 2002, "src_currency"},
			{"case-folded member", key, `{"SRC_CURRENCY":"ETH","src_currency":"BTC","tgt_currency":"COP","amount":1,"exchange_id":1}`, 400, 2002, "SRC_CURRENCY"},
			{"viewer", viewer, body(), 403, 3003, "all"},
		} {
			wantError(t, c.what, e.Do("POST", "/transactions/create/", token(c.key), c.body), c.status, c.code, c.field)
		}
		// A stale rate (the exchange not read for more than its validity).
		e.Clock.Advance(11 * time.Minute)
		wantError(t, "stale rate", e.Do("POST", "/transactions/create/", token(key), body()), 400, 3023, "amount_to_paid")
		if err := e.Svc.RefreshCryptoRates(context.Background()); err != nil {
			t.Fatal(err)
		}
		// A commerce that is not active.
		if _, err := e.DB.Raw.Exec(fmt.Sprintf(`UPDATE clients SET status = 'suspended' WHERE id = '%s'`, e.A.Client.ID)); err != nil {
			t.Fatal(err)
		}
		wantError(t, "commerce suspended", e.Do("POST", "/transactions/create/", token(key), body()), 401, 3010, "commerce")
	})
}

// TestReadListCancel: what terminal users and managers see and may do, the
// filters with their errors, and another commerce's transactions never
// read, listed nor cancelled.
func TestReadListCancel(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		till := e.MustUser(e.A, "till@alpha.example", pasarela.RoleTerminal)
		e.MustUser(e.A, "tom@alpha.example", pasarela.RoleTerminal)
		e.MustUser(e.A, "vera@alpha.example", pasarela.RoleViewer)
		tillKey, tomKey := e.MustLogin("till@alpha.example"), e.MustLogin("tom@alpha.example")
		admin, viewer := e.MustLogin(e.A.Admin.Email), e.MustLogin("vera@alpha.example")
		beta := e.MustLogin(e.B.Admin.Email)
		t1 := e.MustCreate(tillKey, order)["id"]
		e.Clock.Advance(48 * time.Hour)
		if err := e.Svc.RefreshCryptoRates(context.Background()); err != nil {
			t.Fatal(err)
		}
		t2 := e.MustCreate(tomKey, order)["id"]
		bt := e.MustCreate(beta, order)
		b1 := bt["id"]
		// B's deposits go to B's application, at an address of B's key.
		if w := bt["wallet"].(string); w == bip84Addr0 || w == bip84Addr1 || !strings.HasPrefix(w, "1") {
			t.Errorf("B's deposit is paid to %s", w)
		}
		list := func(key, query string) []any {
			t.Helper()
			r := e.Do("GET", "/transactions/"+query, token(key), "")
			if r.Status != http.StatusOK || r.List == nil {
				t.Fatalf("list %s: %d %s", query, r.Status, r.Body)
			}
			ids := []any{}
			for _, it := range r.List {
				ids = append(ids, it.(map[string]any)["id"])
			}
			return ids
		}
		same := func(what string, got []any, want ...any) {
			t.Helper()
			if fmt.Sprintf("%v", got) != fmt.Sprintf("%v", want) {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		day1 := coretest.Start.UTC().Format("2006-01-02")
		day3 := coretest.Start.UTC().Add(48 * time.Hour).Format("2006-01-02")
		same("till's own", list(tillKey, ""), t1)
		same("the manager's", list(admin, ""), t2, t1)
		same("the viewer's", list(viewer, ""), t2, t1)
		same("beta's", list(beta, ""), b1)
		same("by user", list(admin, "?user="+itoa(till.ID)), t1)
		same("a terminal user by itself", list(tillKey, "?user="+itoa(till.ID)), t1)
		same("by status", list(admin, "?status=sending,approved"), t2, t1)
		same("none canceled", list(admin, "?status=canceled"))
		same("initial matches nothing", list(admin, "?status=initial"))
		same("from day 3", list(admin, "?from="+day3), t2)
		same("to day 1", list(admin, "?to="+day1), t1)
		same("both days", list(admin, "?from="+day1+"&to="+day3), t2, t1)
		// t1 was made at 12:00 UTC. Day 1 at +14:00 ends at 10:00 UTC,
		// before it (a "+" left unescaped arrives as a space: read as the
		// offset it was); at -14:00 it begins at 14:00 UTC, after it.
		same("to day 1 at +14:00", list(admin, "?to="+day1+"+14:00"))
		same("to day 1 at %2B14:00", list(admin, "?to="+day1+"%2B14:00"))
		same("to day 1 at -14:00", list(admin, "?to="+day1+"-14:00"), t1)
		same("from day 1 at -14:00", list(admin, "?from="+day1+"-14:00"), t2)
		for _, c := range []struct {
			what, key, query string
			status, code     int
			field            string
		}{
			{"terminal by another user", tillKey, "?user=" + itoa(till.ID+1), 401, 3002, "user"},
			{"unknown user", admin, "?user=999999", 400, 3005, "user"},
			{"another commerce's user", admin, "?user=" + itoa(e.B.Admin.ID), 400, 3005, "user"},
			{"bad status", admin, "?status=paid", 400, 3006, "status"},
			{"bad from", admin, "?from=29-09-2018", 400, 3007, "from"},
			{"bad to", admin, "?to=2018-09-31", 400, 3008, "to"},
			{"from after to", admin, "?from=2018-10-02&to=2018-10-01", 400, 3009, "from, to"},
			{"bad query", admin, "?status=%zz", 400, 2002, "status"},
		} {
			wantError(t, c.what, e.Do("GET", "/transactions/"+c.query, token(c.key), ""), c.status, c.code, c.field)
		}

		// Reading: 3001 for what the user may not see, exactly as for
		// what does not exist.
		e.MustStatus(tillKey, t1, "sending")
		e.MustStatus(admin, t2, "sending")
		for _, c := range []struct {
			what, key string
			id        any
		}{
			{"another terminal's", tillKey, t2}, {"another commerce's", beta, t1}, {"A's manager on B's", admin, b1},
			{"unknown", admin, 999999}, {"not a number", admin, "abc"},
		} {
			wantError(t, "read "+c.what, e.Do("GET", fmt.Sprintf("/transactions/%v/", c.id), token(c.key), ""), 401, 3001, "id")
		}

		// Cancelling.
		for _, c := range []struct {
			what, key    string
			id           any
			status, code int
			field        string
		}{
			{"another commerce's", beta, t1, 400, 3026, "id"},
			{"another terminal's", tomKey, t1, 401, 3028, "all"},
			{"unknown", admin, 999999, 400, 3026, "id"},
			{"by a viewer", viewer, t1, 401, 3028, "all"},
		} {
			wantError(t, "cancel "+c.what, e.Do("POST", fmt.Sprintf("/transactions/cancel/%v/", c.id), token(c.key), ""), c.status, c.code, c.field)
		}
		r := e.Do("POST", fmt.Sprintf("/transactions/cancel/%v/", t1), token(tillKey, "Content-Type", "application/json"), "")
		if r.Status != http.StatusOK || r.JSON["status"] != "canceled" || r.JSON["transaction_status_code"] != json.Number("6") {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		wantError(t, "cancel twice", e.Do("POST", fmt.Sprintf("/transactions/cancel/%v", t1), token(tillKey), ""), 400, 3027, "id")
		// A manager cancels a terminal user's.
		if r := e.Do("POST", fmt.Sprintf("/transactions/cancel/%v/", t2), token(admin), ""); r.Status != http.StatusOK {
			t.Fatalf("manager cancel: %d %s", r.Status, r.Body)
		}
		same("canceled, by the plugins' spelling", list(admin, "?status=cancelled"), t2, t1)
		e.MustStatus(beta, b1, "sending")
		wantError(t, "wrong method", e.Do("GET", fmt.Sprintf("/transactions/cancel/%v/", t1), token(admin), ""), 405, 4050, "all")
		wantError(t, "create by GET", e.Do("GET", "/transactions/create/", token(admin), ""), 405, 4050, "all")
	})
}
