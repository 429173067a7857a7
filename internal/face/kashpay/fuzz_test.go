package kashpay

import (
	"strings"
	"testing"

	"github.com/pasarela/pasarela"
)

// FuzzDecodeOrder feeds createOrder bodies to the decoder: it never panics,
// answers either an input or an error the envelope can name, and never
// reads an amount it would not write back the same.
func FuzzDecodeOrder(f *testing.F) {
	f.Add(`{"amount":250,"beneficiaryAcount":"002010077777777771","codeInstituteBank":"002","typeTransaction":1}`)
	f.Add(`{"amount":"10.5","beneficiaryAcount":2010077777777771,"codeInstituteBank":2,"currency":"484"}`)
	f.Add(`{"amount":1e3}`)
	f.Add(`{"amount":[1],"concept":{"a":1}}`)
	f.Add(`[]`)
	f.Add(`{"amount":-0.001,"numericReference":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		in, err := decodeOrder([]byte(body))
		if err != nil {
			e := pasarela.AsError(err)
			if e.Kind != pasarela.KindInvalid || e.Code == "" {
				t.Fatalf("error %v is not a validation error", err)
			}
			if _, ok := errorTable[e.Code]; !ok {
				t.Fatalf("error code %q has no Kashpay number", e.Code)
			}
			return
		}
		if in.Amount <= 0 {
			t.Fatalf("amount %d accepted", in.Amount)
		}
		mxn, _ := pasarela.LookupCurrency("MXN")
		back, err := pasarela.ParseMajor("amount", pasarela.FormatMajor(in.Amount, mxn), mxn)
		if err != nil || back != in.Amount {
			t.Fatalf("amount %d does not round-trip", in.Amount)
		}
		if strings.ContainsRune(in.BankCode, 0) {
			t.Fatalf("bank code %q", in.BankCode)
		}
	})
}
