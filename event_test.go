package pasarela

import (
	"encoding/json"
	"testing"
)

// TestEventPayload: a payload decodes back to the resource it was made of,
// and one that does not hold the resource its entity names, names another
// entity than its event, or has a version this build does not know is an
// error rather than a nil resource handed to a renderer.
func TestEventPayload(t *testing.T) {
	t.Parallel()
	p, err := NewEventPayload(&Refund{ID: 3, PaymentID: 9, Amount: 500, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	e := &Event{ID: "evt_1", Entity: EntityRefund, Version: EventVersion, Data: data}
	back, err := e.Payload()
	if err != nil || back.Refund == nil || back.Refund.ID != 3 || back.Refund.Amount != 500 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for name, ev := range map[string]*Event{
		"no resource":   {ID: "evt_2", Entity: EntityPayment, Version: EventVersion, Data: []byte(`{"version":1,"entity":"payment"}`)},
		"other entity":  {ID: "evt_3", Entity: EntityPayment, Version: EventVersion, Data: data},
		"newer version": {ID: "evt_4", Entity: EntityRefund, Version: EventVersion + 1, Data: data},
		"legacy":        {ID: "evt_5", Entity: EntityRefund, Version: EventVersionLegacy, Data: []byte(`{}`)},
	} {
		if _, err := ev.Payload(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
