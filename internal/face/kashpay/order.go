package kashpay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/transport"
)

// Onsigna status catalog numbers of the core's payout statuses.
var statusCodes = map[pasarela.PayoutStatus]int{
	pasarela.PayoutCreated:   25,
	pasarela.PayoutQueued:    26,
	pasarela.PayoutSent:      27,
	pasarela.PayoutRejected:  28,
	pasarela.PayoutConfirmed: 29,
	pasarela.PayoutReturned:  11,
}

var statusNames = map[pasarela.PayoutStatus]string{
	pasarela.PayoutCreated:   "Creado",
	pasarela.PayoutQueued:    "Pendiente de envío",
	pasarela.PayoutSent:      "Enviado",
	pasarela.PayoutRejected:  "Rechazado",
	pasarela.PayoutConfirmed: "Confirmado",
	pasarela.PayoutReturned:  "Devuelto",
}

// catalogStatuses are the other numbers of the Onsigna catalog: a filter
// by one of them is valid and finds no payout.
var catalogStatuses = map[int]bool{5: true, 6: true, 7: true, 8: true, 10: true, 15: true, 30: true, 31: true, 32: true, 33: true}

// timeLayout is how Kashpay writes times ("2022-12-20T17:11:46.794+0000").
const timeLayout = "2006-01-02T15:04:05.000-0700"

// order is the orderEntityResponse: the seed's fields, then fields of
// Kashpay's fuller operation schema this gateway can fill.
type order struct {
	CreatedAt               string      `json:"createdAt"`
	UptadedAt               string      `json:"uptadedAt"` // sic: Kashpay's spelling
	ID                      string      `json:"id"`
	NumericReference        string      `json:"numericReference"`
	AlphanumericReference   string      `json:"alphanumericReference"`
	ReferenceCreatedPayment string      `json:"referenceCreatedPayment"`
	Status                  int         `json:"status"`
	InitialBalance          json.Number `json:"initialBalance"`
	FinalBalance            json.Number `json:"finalBalance"`

	Amount                   json.Number `json:"amount"`
	Concept                  string      `json:"concept"`
	BeneficiaryName          string      `json:"beneficiaryName"`
	BeneficiaryAccountNumber string      `json:"beneficiaryAccountNumber"`
	BeneficiaryCode          string      `json:"beneficiaryCode"` // the bank's Banxico code
	TransactionType          int         `json:"transactionType"`
	StatusDescription        string      `json:"statusDescription"`
	TrackingKey              string      `json:"trackingKey,omitempty"` // SPEI clave de rastreo, once sent
	ResponseCode             string      `json:"responseCode,omitempty"`
	ResponseMessage          string      `json:"responseMessage,omitempty"`
}

// major writes minor units of a currency as a JSON number in major units,
// without trailing zeros ("10000", "9750.5"), as Kashpay writes balances.
func major(minor int64, currency string) json.Number {
	c, ok := pasarela.LookupCurrency(currency)
	if !ok {
		c = pasarela.Currency{Code: currency, Scale: 2}
	}
	s := pasarela.FormatMajor(minor, c)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return json.Number(s)
}

func kashTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// RenderPayout is the body of a payout event: the payout as Kashpay's
// orderEntityResponse, made by the same view as the API's answers. It is a
// plain function of the event's neutral payload, which the gateway wires
// into its webhook formats in one place (server.Renderers).
func RenderPayout(p *pasarela.PayoutSnapshot) ([]byte, error) {
	return json.Marshal(renderOrder(p))
}

func renderOrder(p *pasarela.PayoutSnapshot) *order {
	return &order{CreatedAt: kashTime(p.CreatedAt), UptadedAt: kashTime(p.UpdatedAt), ID: strconv.FormatInt(p.ID, 10),
		NumericReference: p.NumericReference, AlphanumericReference: p.AlphanumericReference,
		ReferenceCreatedPayment: p.Reference, Status: statusCodes[p.Status],
		InitialBalance: major(p.InitialBalance, p.Currency), FinalBalance: major(p.FinalBalance, p.Currency),
		Amount: major(p.Amount, p.Currency), Concept: p.Concept, BeneficiaryName: p.BeneficiaryName,
		BeneficiaryAccountNumber: p.BeneficiaryAccount, BeneficiaryCode: p.BankCode, TransactionType: p.TransactionType,
		StatusDescription: statusNames[p.Status], TrackingKey: p.RailRef, ResponseCode: p.FailureCode,
		ResponseMessage: p.FailureMessage}
}

// orderFields are the createOrder members read as text. Members of
// Kashpay's samples that mean nothing here (idBank, idEntity, the caller's
// own referenceCreatedPayment, dataAccreditationBeneficiary, observation,
// orderingAccount, orderingTypeAcount) and unknown members are ignored:
// integrations send them all.
var orderFields = []string{"amount", "currency", "typeTransaction", "beneficiaryName", "beneficiaryAcount",
	"beneficiaryAcountSPEI", "beneficiaryTypeAcount", "codeInstituteBank", "concept", "description", "numericReference",
	"alphanumericReference", "email", "rfc", "beneficiaryAddress1", "beneficiaryAddress2", "beneficiaryCity",
	"postalCode", "dateTransaction"}

// ignoredOrderFields are the members of Kashpay's samples that createOrder
// reads past (see orderFields); a name differing from one only in case is
// refused all the same.
var ignoredOrderFields = []string{"idBank", "idEntity", "referenceCreatedPayment", "dataAccreditationBeneficiary",
	"observation", "orderingAccount", "orderingTypeAcount"}

// decodeOrder reads a createOrder body into the core's input.
func decodeOrder(body []byte) (core.PayoutInput, error) {
	var in core.PayoutInput
	o, err := parseObject(body, append(orderFields, ignoredOrderFields...)...)
	if err != nil {
		return in, err
	}
	var v pasarela.Validation
	t := map[string]string{}
	wrongType := map[string]bool{} // reported once, as a type error, not also as missing
	for _, name := range orderFields {
		s, err := o.text(name)
		if err != nil {
			v.AddError(err)
			wrongType[name] = true
		}
		t[name] = strings.TrimSpace(s)
	}
	mxn, _ := pasarela.LookupCurrency("MXN")
	switch {
	case wrongType["amount"]:
	case t["amount"] == "":
		v.Add("amount", "required", "is required")
	default:
		if a, err := pasarela.ParseMajor("amount", t["amount"], mxn); err != nil {
			v.AddError(err)
		} else {
			in.Amount = a
		}
	}
	switch n, err := strconv.Atoi(t["typeTransaction"]); {
	case wrongType["typeTransaction"]:
	case t["typeTransaction"] == "":
		v.Add("typeTransaction", "required", "is required")
	case err != nil:
		v.Add("typeTransaction", "transaction_type", "the only supported type is 1 (SPEI interbank transfer)")
	default:
		in.TransactionType = n
	}
	account, spei := t["beneficiaryAcount"], t["beneficiaryAcountSPEI"]
	switch {
	case account == "":
		account = spei
	case spei != "" && spei != account:
		v.Add("beneficiaryAcount", "account_mismatch", "beneficiaryAcount and beneficiaryAcountSPEI name different accounts")
	}
	bank := t["codeInstituteBank"]
	if raw := o["codeInstituteBank"]; len(raw) > 0 && raw[0] != '"' && len(bank) > 0 && len(bank) < 3 {
		// A number loses the code's leading zeros: 2 is "002".
		bank = strings.Repeat("0", 3-len(bank)) + bank
	}
	if err := v.Err(); err != nil {
		return in, err
	}
	in.Currency = t["currency"]
	in.BeneficiaryName, in.BeneficiaryAccount, in.BeneficiaryAccountType = t["beneficiaryName"], account, t["beneficiaryTypeAcount"]
	in.BankCode, in.Concept, in.Description = bank, t["concept"], t["description"]
	in.NumericReference, in.AlphanumericReference = t["numericReference"], t["alphanumericReference"]
	in.BeneficiaryEmail, in.BeneficiaryRFC = t["email"], t["rfc"]
	in.BeneficiaryAddress1, in.BeneficiaryAddress2 = t["beneficiaryAddress1"], t["beneficiaryAddress2"]
	in.BeneficiaryCity, in.BeneficiaryPostalCode, in.DateTransaction = t["beneficiaryCity"], t["postalCode"], t["dateTransaction"]
	return in, nil
}

// createOrder serves POST /OKPay/createOrder.
func (f *Face) createOrder(w http.ResponseWriter, r *http.Request) error {
	body, err := transport.ReadJSON(r, false)
	if err != nil {
		return err
	}
	in, err := decodeOrder(body)
	if err != nil {
		return err
	}
	var idem *core.Idem
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if err := core.CheckIdempotencyKey(key); err != nil {
			return err
		}
		idem = &core.Idem{Key: key, Fingerprint: core.Fingerprint([]byte(r.Method), []byte(r.URL.Path), body),
			Render: func(v any) (int, []byte, error) {
				// Encoded as writeJSON encodes the live answer, so a replay
				// is byte for byte the first answer.
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(false)
				err := enc.Encode(envelope{Success: true, OrderEntityResponse: renderOrder(v.(*pasarela.Payout).Snapshot())})
				return http.StatusOK, b.Bytes(), err
			}}
	}
	po, replay, err := f.svc.CreatePayout(r.Context(), in, idem)
	if err != nil {
		return err
	}
	if replay != nil {
		transport.WriteReplay(w, replay.Status, replay.Body)
		return nil
	}
	writeJSON(w, http.StatusOK, envelope{Success: true, OrderEntityResponse: renderOrder(po.Snapshot())})
	return nil
}
