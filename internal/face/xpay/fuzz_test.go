package xpay

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// FuzzTransactionForm feeds transaction bodies to the decoder: it never
// panics, answers either an input or an error xpay's table numbers, and an
// amount it accepts is an exact decimal equal to the number sent.
func FuzzTransactionForm(f *testing.F) {
	f.Add(`{"tgt_currency":"COP","src_currency":"BTC","amount":150000.30000000002,"exchange_id":"1","callback":"http:\/\/shop\/?ipn-xpay=42"}`)
	f.Add(`{"src_currency":"BTC","tgt_currency":"COC","amount":"100000","exchange_id":1,"fiat_withdraw":100}`)
	f.Add(`{"src_currency":"BTC","tgt_currency":"COP","amount":1e5,"exchange_id":1.5}`)
	f.Add(`{"src_currency":"BTC","src_currency":"ETH"}`)
	f.Add(`{"Amount":1,"amount":2}`)
	f.Add(`{"amount":-0,"exchange_id":"x","callback":5,"fiat_withdraw":"101"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		fm, err := decodeJSONForm([]byte(body), txFields)
		var in txInput
		if err == nil {
			in, err = decodeTransaction(fm)
		}
		if err != nil {
			e := pasarela.AsError(err)
			if e.Kind != pasarela.KindInvalid || e.Code == "" {
				t.Fatalf("error %v is not a validation error", err)
			}
			if _, ok := errorTable[e.Code]; !ok {
				t.Fatalf("error code %q has no xpay number", e.Code)
			}
			return
		}
		d, err := decimal.NewFromString(in.Amount)
		if err != nil || strings.ContainsAny(in.Amount, "eE ") {
			t.Fatalf("amount %q accepted", in.Amount)
		}
		if raw, _, _ := fm.numberText("amount"); !mustDecimal(t, raw).Equal(d) {
			t.Fatalf("amount %q read as %s", raw, d)
		}
		if in.ExchangeID <= 0 || in.Src == "" || in.Tgt == "" || in.Tgt == "COC" {
			t.Fatalf("input %+v", in)
		}
		if in.FiatWithdraw != nil && (*in.FiatWithdraw < 0 || *in.FiatWithdraw > 100) {
			t.Fatalf("fiat_withdraw %d", *in.FiatWithdraw)
		}
	})
}

func mustDecimal(t *testing.T, s string) decimal.Decimal {
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return d
}

// FuzzDateFilter feeds dates to the filter: a date it accepts is a real
// day in an offset within ±14:00 that prints back as it was read, and from
// always precedes to.
func FuzzDateFilter(f *testing.F) {
	for _, s := range []string{"2018-09-29", "2018-09-29+05:00", "2018-09-29-05:30", "2018-09-29 05:00",
		"2018-02-30", "2018-13-01", "2018-09-29+15:00", "0000-01-01", "2018-9-29", "2018-09-29T00:00"} {
		f.Add(s, "2018-10-01")
	}
	f.Fuzz(func(t *testing.T, from, to string) {
		d, ok := parseDay(from)
		if ok {
			_, off := d.start.Zone()
			if off > 14*3600 || off < -14*3600 || d.next.Sub(d.start) < 23*time.Hour || d.next.Sub(d.start) > 25*time.Hour {
				t.Fatalf("%q read as %v", from, d)
			}
			want := strings.Replace(from, " ", "+", 1)
			if len(from) == 10 {
				want += "+00:00"
			}
			if got := d.start.Format("2006-01-02-07:00"); got != want && !(strings.HasSuffix(want, "-00:00") && got == want[:10]+"+00:00") {
				t.Fatalf("%q reads back as %q", from, got)
			}
		}
		fl, err := parseFilter(map[string][]string{"from": {from}, "to": {to}})
		if err != nil {
			e := pasarela.AsError(err)
			if _, ok := errorTable[e.Code]; !ok || e.Kind != pasarela.KindInvalid {
				t.Fatalf("error %v", err)
			}
			return
		}
		if !fl.From.Before(*fl.To) {
			t.Fatalf("from %v to %v", fl.From, fl.To)
		}
	})
}
