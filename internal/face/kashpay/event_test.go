package kashpay

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
)

// TestRenderPayoutFromPayload: a payout event's body, rendered from the
// payload read back from storage, is the orderEntityResponse Kashpay's
// answers show, every member included.
func TestRenderPayoutFromPayload(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CST", -6*3600))
	po := &pasarela.Payout{ID: 12, ClientID: "c_1", UserID: 3, Seq: 12, Reference: "ACME12", Amount: 975050, Currency: "MXN",
		TransactionType: 1, BeneficiaryName: "Ada", BeneficiaryAccount: "002010077777777771", BeneficiaryAccountType: "40",
		BankCode: "002", BeneficiaryEmail: "ada@example.com", BeneficiaryRFC: "XAXX010101000", Concept: "rent",
		Description: "march", NumericReference: "1234567", AlphanumericReference: "INV-9", DateTransaction: "010326",
		Status: pasarela.PayoutReturned, InitialBalance: 1000000, FinalBalance: 24950, Rail: "spei", RailRef: "TRK1",
		FailureCode: "R01", FailureMessage: "account closed", CreatedAt: t0, UpdatedAt: t0.Add(time.Minute), Version: 5}
	p, err := pasarela.NewEventPayload(po)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(p)
	back, err := (&pasarela.Event{ID: "evt_1", Entity: pasarela.EntityPayout, Version: p.Version, Data: data}).Payload()
	if err != nil {
		t.Fatal(err)
	}
	body, err := RenderPayout(back.Payout)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := json.Marshal(renderOrder(po.Snapshot())); !bytes.Equal(body, want) {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		if s := string(v); s == `""` || s == "0" || s == "null" {
			t.Errorf("%s is %s: the event payload lost it", k, v)
		}
	}
	// The beneficiary's contact details are not copied into events.
	if bytes.Contains(data, []byte("ada@example.com")) || bytes.Contains(data, []byte("XAXX010101000")) {
		t.Errorf("the payload holds the beneficiary's contact details: %s", data)
	}
}
