package sekurepay

import (
	"strings"

	"github.com/pasarela/pasarela"
)

// wireNames renames the core's canonical field names (see pasarela.Error)
// to SekurePay's, one dotted segment at a time, so that "items[2].amount"
// becomes "items[2].amount_cents". Amounts are integers of minor units in
// both vocabularies; SekurePay says so in its names. Segments the two agree
// on ("id", "currency", "items", "description") are not listed.
var wireNames = map[string]string{
	"sub_total":       "sub_total_cents",
	"shipping":        "shipping_amount_cents",
	"total":           "total_cents",
	"amount":          "amount_cents",
	"idempotency_key": "Idempotency-Key",
}

// wireParam is the wire name of a field the core named.
func wireParam(field string) string {
	segs := strings.Split(field, ".")
	for i, seg := range segs {
		name, index, _ := strings.Cut(seg, "[")
		if w, ok := wireNames[name]; ok {
			if index != "" {
				w += "[" + index
			}
			segs[i] = w
		}
	}
	return strings.Join(segs, ".")
}

// wording words, from the core's params, the rules whose core message names
// other fields, so that the message names them SekurePay's way, and those
// it completes with where to act (the admin API's route, which is not the
// core's to know).
var wording = map[string]func(msg string, p map[string]string) string{
	"sub_total_mismatch": func(_ string, p map[string]string) string {
		return "must equal the sum of items[].amount_cents: expected " + p["expected"] + ", got " + p["got"]
	},
	"total_mismatch": func(_ string, p map[string]string) string {
		return "must equal sub_total_cents + shipping_amount_cents + the sum of taxes[].amount_cents (" +
			p["sub_total"] + " + " + p["shipping"] + " + " + p["taxes"] + "): expected " + p["expected"] + ", got " + p["got"]
	},
	"no_gateway": func(msg string, p map[string]string) string {
		return msg + "; configure one with POST /application/" + p["application_id"] + "/gateway"
	},
}

// wordMessage is the message of a rule the core broke, in SekurePay's words.
func wordMessage(code, msg string, params map[string]string) string {
	if word, ok := wording[code]; ok && params != nil {
		return word(msg, params)
	}
	return msg
}

// wireRule renders one broken rule: its param in SekurePay's names, and a
// message that starts with it. An unknown field is named as the client sent
// it, never renamed: it is not the core's name even when it spells one.
func wireRule(fe pasarela.FieldError) fieldError {
	param, msg := fe.Field, fe.Message
	if fe.Code != "unknown_field" {
		param, msg = wireParam(fe.Field), wordMessage(fe.Code, fe.Message, fe.Params)
	}
	return fieldError{Param: param, Code: fe.Code, Message: param + " " + msg}
}
