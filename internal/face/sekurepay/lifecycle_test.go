package sekurepay_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/face/sekurepay"
)

func TestIdempotentRepeat(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		first := e.MustOrder(key, order("1001"))

		// The same order in other words (key order, whitespace, integers as
		// strings and back) is the same order: 200, nothing new.
		same := `{"taxes":[{"amount_cents":500,"description":"GST"}],   "currency":"USD","total_cents":"10700",
			"items":[{"amount_cents":10000,"description":"51 inch TV"}],"shipping_amount_cents":"200","sub_total_cents":"10000","id":"1001"}`
		r := e.Do("POST", "/orders", key, same)
		if r.Status != http.StatusOK || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("repeat: %d %s", r.Status, r.Body)
		}
		if r.JSON["payment_id"] != first["payment_id"] || r.JSON["payment_url"] != first["payment_url"] || r.JSON["created_at"] != first["created_at"] {
			t.Fatalf("repeat answered another order: %s vs %v", r.Body, first)
		}
		// A lower-case currency is the same currency.
		lower := order("1001")
		lower["currency"] = "usd"
		if r := e.Do("POST", "/orders", key, lower); r.Status != http.StatusOK {
			t.Fatalf("lower-case currency: %d %s", r.Status, r.Body)
		}

		// Another order under the same id is a conflict naming the id.
		for name, change := range map[string]func(o map[string]any){
			"another total": func(o map[string]any) {
				o["shipping_amount_cents"], o["total_cents"] = 300, 10800
			},
			"another item": func(o map[string]any) {
				o["items"] = []any{map[string]any{"description": "52 inch TV", "amount_cents": 10000}}
			},
			"another currency": func(o map[string]any) { o["currency"] = "EUR" },
			"no taxes": func(o map[string]any) {
				delete(o, "taxes")
				o["total_cents"] = 10200
			},
		} {
			o := order("1001")
			change(o)
			r := e.Do("POST", "/orders", key, o)
			if r.Status != http.StatusConflict {
				t.Fatalf("%s: %d %s", name, r.Status, r.Body)
			}
			if er := r.Err(t); er["type"] != "conflict_error" || er["param"] != "id" || er["code"] != "order_id_reused" {
				t.Fatalf("%s: %s", name, r.Body)
			}
		}
		if n, err := e.countPayments(e.A); err != nil || n != 1 {
			t.Fatalf("%d payments (%v), want 1", n, err)
		}

		// An Idempotency-Key replays the first answer; another body under
		// it is a conflict.
		r1 := e.Do("POST", "/orders", key, order("1002"), "Idempotency-Key", "k-1002")
		r2 := e.Do("POST", "/orders", key, order("1002"), "Idempotency-Key", "k-1002")
		if r1.Status != http.StatusCreated || r2.Status != http.StatusCreated || r2.Header.Get("Idempotent-Replayed") != "true" ||
			string(r1.Body) != string(r2.Body) {
			t.Fatalf("Idempotency-Key replay: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
		}
		if r := e.Do("POST", "/orders", key, order("1003"), "Idempotency-Key", "k-1002"); r.Status != http.StatusConflict {
			t.Fatalf("Idempotency-Key reused: %d %s", r.Status, r.Body)
		}
		if r := e.Do("POST", "/orders", key, order("1003"), "Idempotency-Key", "bad key"); r.Status != http.StatusBadRequest {
			t.Fatalf("bad Idempotency-Key: %d %s", r.Status, r.Body)
		}
	})
}

// TestConcurrentOrders sends the same order id many times at once: exactly
// one order is made, every request gets it, and a different order racing
// under the same id gets a conflict.
func TestConcurrentOrders(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		const n = 12
		var wg sync.WaitGroup
		results := make([]*resp, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := order("race-1")
				if i%3 == 2 {
					o["shipping_amount_cents"], o["total_cents"] = 300, 10800
				}
				results[i] = e.Do("POST", "/orders", key, o)
			}()
		}
		wg.Wait()
		created, ids := 0, map[any]bool{}
		for i, r := range results {
			switch r.Status {
			case http.StatusCreated:
				created++
				ids[r.JSON["payment_id"]] = true
			case http.StatusOK:
				ids[r.JSON["payment_id"]] = true
			case http.StatusConflict:
			default:
				t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
			}
		}
		if created != 1 || len(ids) != 1 {
			t.Fatalf("%d created, %d distinct orders: want 1 and 1", created, len(ids))
		}
		if c, err := e.countPayments(e.A); err != nil || c != 1 {
			t.Fatalf("%d payments (%v), want 1", c, err)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		a := e.MustOrder(e.A.App.APIKey, order("shared-1"))

		// B cannot see A's order, and B's own order under the same id is
		// B's: ids are per application.
		if r := e.Do("GET", "/orders/shared-1", e.B.App.APIKey, nil); r.Status != http.StatusNotFound || r.Err(t)["type"] != "not_found_error" {
			t.Fatalf("B reads A's order: %d %s", r.Status, r.Body)
		}
		o := order("shared-1")
		o["shipping_amount_cents"], o["total_cents"] = 0, 10500
		b := e.MustOrder(e.B.App.APIKey, o)
		if b["payment_id"] == a["payment_id"] {
			t.Fatal("B's order is A's")
		}
		if r := e.Do("GET", "/orders/shared-1", e.A.App.APIKey, nil); r.JSON["total_cents"] != 10700.0 {
			t.Fatalf("A's order changed: %s", r.Body)
		}
		// Another application of A's own client does not see it either.
		other := coretest.MustApplication(t, e.Svc, e.A.Client.ID, "Alpha POS")
		if r := e.Do("GET", "/orders/shared-1", other.APIKey, nil); r.Status != http.StatusNotFound {
			t.Fatalf("another application reads the order: %d %s", r.Status, r.Body)
		}
		// Nor through PayREST.
		if r := e.PayREST("GET", "/application/"+jsonNum(e.A.App.ID)+"/payment/"+jsonNum(a["payment_id"]), e.B.App.APIKey); r.Status != http.StatusNotFound {
			t.Fatalf("B reads A's order through PayREST: %d %s", r.Status, r.Body)
		}
		// A payment made without an order is no order, even with the id.
		if r := e.Do("GET", "/orders/"+jsonNum(a["payment_id"]), e.A.App.APIKey, nil); r.Status != http.StatusNotFound {
			t.Fatalf("a payment id read as an order id: %d %s", r.Status, r.Body)
		}
	})
}

func jsonNum(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestOrderPaid follows an order from creation to payment: PayREST shows it
// with its breakdown, the buyer pays it at its payment_url with a test card
// (an HTTP checkout, as a browser without JavaScript), and the order reads
// paid.
func TestOrderPaid(t *testing.T) {
	t.Parallel()
	coretest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := newEnv(t, engine)
		key := e.A.App.APIKey
		o := e.MustOrder(key, order("paid-1"))
		detail := "/application/" + jsonNum(e.A.App.ID) + "/payment/" + jsonNum(o["payment_id"])

		p := e.PayREST("GET", detail, key)
		if p.Status != http.StatusOK || p.JSON["amount"] != "10700" || p.JSON["currency"] != "USD" || p.JSON["status"] != "pending" ||
			p.JSON["transactionId"] != o["transaction_id"] || p.JSON["description"] != "51 inch TV" {
			t.Fatalf("PayREST detail: %d %s", p.Status, p.Body)
		}
		want := `{"id":"paid-1","subTotalAmount":"10000","shippingAmount":"200","items":[{"description":"51 inch TV","amount":"10000"}],"taxes":[{"description":"GST","amount":"500"}]}`
		var wantOrder any
		_ = json.Unmarshal([]byte(want), &wantOrder)
		if !reflect.DeepEqual(p.JSON["order"], wantOrder) {
			t.Fatalf("PayREST order = %v\nwant %s", p.JSON["order"], want)
		}
		var payLink string
		for _, l := range p.JSON["links"].([]any) {
			if l.(map[string]any)["rel"] == "payment" {
				payLink = l.(map[string]any)["href"].(string)
			}
		}
		if payLink != o["payment_url"] {
			t.Fatalf("PayREST payment link %q, order payment_url %q", payLink, o["payment_url"])
		}
		// The list shows it too, as any payment.
		list := e.do(e.Client, e.URL, "GET", "/application/"+jsonNum(e.A.App.ID)+"/payment", "", nil, "X-Auth-Token", key)
		if list.Status != http.StatusOK || !strings.Contains(string(list.Body), `"paid-1"`) {
			t.Fatalf("PayREST list: %d %s", list.Status, list.Body)
		}

		res := e.Pay(o["payment_url"].(string), "4242424242424242")
		if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusOK {
			t.Fatalf("checkout POST: %d", res.StatusCode)
		}
		g := e.Do("GET", "/orders/paid-1", key, nil)
		if g.Status != http.StatusOK || g.JSON["status"] != "paid" || g.JSON["paid_cents"] != 10700.0 || g.JSON["paid_at"] == nil {
			t.Fatalf("order after payment: %d %s", g.Status, g.Body)
		}
		if p := e.PayREST("GET", detail, key); p.JSON["status"] != "completed" {
			t.Fatalf("PayREST after payment: %s", p.Body)
		}
		// A paid order sent again is still the same order, now paid.
		if r := e.Do("POST", "/orders", key, order("paid-1")); r.Status != http.StatusOK || r.JSON["status"] != "paid" {
			t.Fatalf("repeat of a paid order: %d %s", r.Status, r.Body)
		}
		coretest.MustSoundLedger(t, e.Svc)

		// A declined card leaves the order pending; cancelling it through
		// PayREST makes it cancelled here.
		o2 := e.MustOrder(key, order("declined-1"))
		e.Pay(o2["payment_url"].(string), "4000000000000002")
		if g := e.Do("GET", "/orders/declined-1", key, nil); g.JSON["status"] != "pending" {
			t.Fatalf("declined order: %s", g.Body)
		}
		if err := e.Svc.CancelPayment(e.A.AppCtx(context.Background()), e.A.App.ID, int64(o2["payment_id"].(float64))); err != nil {
			t.Fatal(err)
		}
		if g := e.Do("GET", "/orders/declined-1", key, nil); g.JSON["status"] != "cancelled" {
			t.Fatalf("cancelled order: %s", g.Body)
		}
	})
}

func TestStatusNames(t *testing.T) {
	t.Parallel()
	want := map[pasarela.PaymentStatus]string{
		pasarela.StatusPending: "pending", pasarela.StatusProcessing: "pending", pasarela.StatusRequiresAction: "pending",
		pasarela.StatusAuthorized: "authorized", pasarela.StatusCompleted: "paid", pasarela.StatusFailed: "failed",
		pasarela.StatusInvalidated: "cancelled", pasarela.StatusExpired: "expired", pasarela.StatusRefunded: "refunded",
		pasarela.StatusPartiallyRefunded: "refunded",
	}
	for st, name := range want {
		if got := sekurepay.StatusName(st); got != name {
			t.Errorf("%s → %q, want %q", st, got, name)
		}
	}
}
