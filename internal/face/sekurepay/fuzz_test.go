package sekurepay

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeOrder drives the order body parser with arbitrary bytes: it
// must never panic, and what it accepts must be an order it could have
// read (a JSON object with an id, a currency and at least one item).
func FuzzDecodeOrder(f *testing.F) {
	f.Add([]byte(`{"id":"MERCHANT_GENERATED_ORDER_ID","sub_total_cents":10000,"shipping_amount_cents":200,"total_cents":12200,
		"currency":"USD","items":[{"description":"51 inch TV","amount_cents":"10000"}],"taxes":[{"description":"GST","amount_cents":"500"}]}`))
	f.Add([]byte(`{"id":1,"sub_total_cents":"-1","total_cents":"1e3","currency":"usd","items":[{}]}`))
	f.Add([]byte(`{ id:MERCHANT_GENERATED_ORDER_ID }`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"items":[1,"a",null,{"amount_cents":99999999999999999999}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeOrder(body)
		if err != nil {
			return
		}
		if !json.Valid(body) || in.ID == "" || in.Currency == "" || len(in.Items) == 0 {
			t.Fatalf("accepted %q as %+v", body, in)
		}
	})
}
