package kashpay

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// entity is the onsignaEntity of getBalance: the fields of Kashpay's schema
// this gateway has, and the pending balance (held by orders not yet
// confirmed) as its own addition.
type entity struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Prefix         string      `json:"prefix"`
	Email          string      `json:"email"`
	Balance        json.Number `json:"balance"`
	PendingBalance json.Number `json:"pendingBalance"`
	Currency       string      `json:"currency"`
}

// getBalance serves GET /EntitiesServices/getBalance: the entity's
// available MXN balance.
func (f *Face) getBalance(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := pasarela.PrincipalFrom(ctx)
	c, err := f.svc.GetClient(ctx, p.ClientID)
	if err != nil {
		return err
	}
	b, err := f.svc.ClientBalance(ctx, "MXN")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Success: true, OnsignaEntity: &entity{ID: c.Code, Name: c.Name,
		Prefix: core.EntityPrefix(c.Code), Email: c.Email, Balance: major(b.Available, b.Currency),
		PendingBalance: major(b.Pending, b.Currency), Currency: b.Currency}})
	return nil
}

type currencyJSON struct {
	AlphabeticCode string `json:"alphabeticCode"`
	ID             int    `json:"id"`
	Description    string `json:"description"`
}

// operation is one item of getOperations, in Kashpay's operation schema.
type operation struct {
	ID                    string       `json:"id"`
	Type                  int          `json:"type"`
	TransactionType       int          `json:"transactionType"`
	Status                int          `json:"status"`
	DescriptionType       string       `json:"descriptionType"`
	Amount                json.Number  `json:"amount"`
	Currency              currencyJSON `json:"currency"`
	InitialBalance        json.Number  `json:"initialBalance"`
	FinalBalance          json.Number  `json:"finalBalance"`
	NumericReference      string       `json:"numericReference"`
	AlphanumericReference string       `json:"alphanumericReference"`
	InternalReference     string       `json:"internalReference"` // referenceCreatedPayment
	TransactionID         string       `json:"transactionID"`     // SPEI clave de rastreo
	Description           string       `json:"description"`
	TargetName            string       `json:"targetName"`
	TargetID              string       `json:"targetID"`     // the beneficiary's CLABE
	TargetIDCode          string       `json:"targetIDCode"` // its bank's code
	TargetEmail           string       `json:"targetEmail"`
	ResponseCode          string       `json:"responseCode"`
	Observation           string       `json:"observation"`
	EntityID              string       `json:"entity_id"`
	CreatedAt             string       `json:"createdAt"`
	UptadedAt             string       `json:"uptadedAt"` // sic
}

// operationType is the Onsigna operation type of every payout: 1, "Envía
// SPEI" (RETIRO, SPEI DE SALIDA).
const operationType = 1

func renderOperation(p *pasarela.Payout, entityCode string) operation {
	desc := p.Concept
	if p.Description != "" {
		desc = p.Description
	}
	return operation{ID: strconv.FormatInt(p.ID, 10), Type: operationType, TransactionType: p.TransactionType,
		Status: statusCodes[p.Status], DescriptionType: "SPEI DE SALIDA", Amount: major(p.Amount, p.Currency),
		Currency:       currencyJSON{AlphabeticCode: p.Currency, ID: 484, Description: "Peso mexicano"},
		InitialBalance: major(p.InitialBalance, p.Currency), FinalBalance: major(p.FinalBalance, p.Currency),
		NumericReference: p.NumericReference, AlphanumericReference: p.AlphanumericReference,
		InternalReference: p.Reference, TransactionID: p.RailRef, Description: desc, TargetName: p.BeneficiaryName,
		TargetID: p.BeneficiaryAccount, TargetIDCode: p.BankCode, TargetEmail: p.BeneficiaryEmail,
		ResponseCode: p.FailureCode, Observation: p.FailureMessage, EntityID: entityCode,
		CreatedAt: kashTime(p.CreatedAt), UptadedAt: kashTime(p.UpdatedAt)}
}

// Paging of getOperations, read from headers as Kashpay does.
const (
	defaultSize = 25
	maxSize     = 100
)

// headerInt reads an optional non-negative integer header.
func headerInt(r *http.Request, name string, def, minVal, maxVal int) (int, error) {
	s := strings.TrimSpace(r.Header.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minVal || n > maxVal {
		return 0, pasarela.Invalid(name, "header", "the "+name+" header must be a whole number from "+strconv.Itoa(minVal)+" to "+strconv.Itoa(maxVal))
	}
	return n, nil
}

// getOperations serves GET /EntitiesServices/getOperations. Paging and
// filters come in the headers page (from 0), size (default 25, at most
// 100), status (an Onsigna status number) and type (an operation type).
// Without status every status is listed; Kashpay's documentation gives 25
// as its default, which would hide every order past its first step.
func (f *Face) getOperations(w http.ResponseWriter, r *http.Request) error {
	page, err := headerInt(r, "page", 0, 0, 1_000_000)
	if err != nil {
		return err
	}
	size, err := headerInt(r, "size", defaultSize, 1, maxSize)
	if err != nil {
		return err
	}
	status, err := headerInt(r, "status", -1, 0, 1000)
	if err != nil {
		return err
	}
	typ, err := headerInt(r, "type", operationType, 0, 100_000)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var filter []pasarela.PayoutStatus
	none := typ != operationType
	if status >= 0 {
		var match []pasarela.PayoutStatus
		for st, code := range statusCodes {
			if code == status {
				match = append(match, st)
			}
		}
		switch {
		case len(match) > 0:
			filter = match
		case catalogStatuses[status]:
			none = true // a status of the catalog no payout ever has
		default:
			return pasarela.Invalid("status", "header", "the status header must be a number of the Onsigna status catalog, like 25 (Creado)")
		}
	}
	ops := []operation{}
	total := 0
	if !none {
		p := pasarela.PrincipalFrom(ctx)
		c, err := f.svc.GetClient(ctx, p.ClientID)
		if err != nil {
			return err
		}
		list, n, err := f.svc.ListPayouts(ctx, filter, pasarela.ListOptions{Limit: size, Offset: page * size})
		if err != nil {
			return err
		}
		total = n
		for i := range list {
			ops = append(ops, renderOperation(&list[i], c.Code))
		}
	}
	writeJSON(w, http.StatusOK, envelope{Success: true, Operations: &ops, TotalItems: total,
		TotalPages: (total + size - 1) / size, CurrentPage: page})
	return nil
}
