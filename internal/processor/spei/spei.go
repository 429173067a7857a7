// Package spei is a simulator of Mexico's SPEI rail, the interbank transfer
// system Kashpay orders (payouts) travel on. It moves no money, but it keeps
// every order it accepts in the processor.State the core provides, and
// answers like a SPEI participant would, on a schedule and with outcomes
// anyone can predict:
//
//	accepted          queued (26 Pendiente de envío) at once
//	after Send        sent (27 Enviado)
//	after Settle      confirmed (29 Confirmado), or rejected (28 Rechazado)
//	after Return      returned (11 Devuelto), for orders that are returned
//
// The outcome depends on the cents of the amount, so that a person at a
// terminal and a test alike can get each one:
//
//	amount ending in .28   rejected by the beneficiary's bank ("01 Cuenta inexistente")
//	amount ending in .11   confirmed, then returned ("13 Beneficiario no reconoce el pago")
//	any other amount       confirmed
//
// The state is a pure function of the time an order was accepted and the
// clock, so the rail holds nothing in memory: every node of a cluster gives
// the same answer, and a restart changes nothing.
package spei

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pasarela/pasarela/internal/processor"
)

// ID names the rail, and the clearing account payouts go through.
const ID = "spei"

// Default schedule: how long an order waits in each step.
const (
	DefaultSend   = 10 * time.Second
	DefaultSettle = 30 * time.Second
	DefaultReturn = 2 * time.Minute
)

// Cents of the amount that choose an outcome (see the package comment).
const (
	RejectCents = 28
	ReturnCents = 11
)

// Rejection and return reasons, from SPEI's catalog of devolution causes.
const (
	CodeNoAccount   = "01"
	MsgNoAccount    = "Cuenta inexistente"
	CodeUnknownPaid = "13"
	MsgUnknownPaid  = "Beneficiario no reconoce el pago"
)

// Schedule is how long an order spends in each step. A zero duration takes
// the default.
type Schedule struct {
	Send   time.Duration // queued → sent
	Settle time.Duration // sent → confirmed or rejected
	Return time.Duration // confirmed → returned (only orders to be returned)
}

func (s Schedule) withDefaults() Schedule {
	if s.Send <= 0 {
		s.Send = DefaultSend
	}
	if s.Settle <= 0 {
		s.Settle = DefaultSettle
	}
	if s.Return <= 0 {
		s.Return = DefaultReturn
	}
	return s
}

// Rail is the SPEI simulator. It is safe for concurrent use.
type Rail struct {
	state    processor.State
	schedule Schedule
	now      func() time.Time
	// mu makes a send's look-up and record one step within this process,
	// so that a payout sent twice at once gets one order.
	mu sync.Mutex
}

// New returns a rail keeping its orders in state, on schedule, reading the
// time from now (nil: time.Now).
func New(state processor.State, schedule Schedule, now func() time.Time) *Rail {
	if now == nil {
		now = time.Now
	}
	return &Rail{state: state, schedule: schedule.withDefaults(), now: now}
}

var _ processor.PayoutRail = (*Rail)(nil)

// ID implements processor.PayoutRail.
func (r *Rail) ID() string { return ID }

// order is what the rail keeps of one order. It is stored as JSON: its
// field names are a storage format.
type order struct {
	Ref        string    `json:"ref"`
	Key        string    `json:"key"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Account    string    `json:"account"`
	BankCode   string    `json:"bank_code"`
	Name       string    `json:"name"`
	Plan       string    `json:"plan"` // "confirm", "reject" or "return"
	AcceptedAt time.Time `json:"accepted_at"`
	Schedule   Schedule  `json:"schedule"` // as when accepted, so a changed setting never rewrites history
}

// Send implements processor.PayoutRail: it accepts the order (once per
// key) and tells where it is now.
func (r *Rail) Send(ctx context.Context, o processor.PayoutOrder) (processor.PayoutResult, error) {
	if o.Key == "" || o.Amount <= 0 || o.Account == "" {
		return processor.PayoutResult{}, fmt.Errorf("spei: an order needs a key, a positive amount and an account")
	}
	if o.Currency != "MXN" {
		return processor.PayoutResult{State: processor.PayoutRejected, Code: "05",
			Message: "Cuenta en otra divisa: SPEI moves Mexican pesos only"}, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ref, err := r.state.Load(ctx, "key:"+o.Key); err != nil {
		return processor.PayoutResult{}, err
	} else if ref != nil {
		return r.Status(ctx, string(ref))
	}
	plan := "confirm"
	switch o.Amount % 100 {
	case RejectCents:
		plan = "reject"
	case ReturnCents:
		plan = "return"
	}
	rec := order{Ref: trackingKey(), Key: o.Key, Amount: o.Amount, Currency: o.Currency, Account: o.Account,
		BankCode: o.BankCode, Name: o.BeneficiaryName, Plan: plan, AcceptedAt: r.now().UTC(), Schedule: r.schedule}
	b, err := json.Marshal(rec)
	if err != nil {
		return processor.PayoutResult{}, err
	}
	// The order first, then the key that finds it: a crash between the two
	// leaves an order nobody knows of, never a key without its order.
	if err := r.state.Save(ctx, "ref:"+rec.Ref, b); err != nil {
		return processor.PayoutResult{}, err
	}
	if err := r.state.Save(ctx, "key:"+o.Key, []byte(rec.Ref)); err != nil {
		return processor.PayoutResult{}, err
	}
	return rec.at(r.now()), nil
}

// Status implements processor.PayoutRail.
func (r *Rail) Status(ctx context.Context, ref string) (processor.PayoutResult, error) {
	b, err := r.state.Load(ctx, "ref:"+ref)
	if err != nil {
		return processor.PayoutResult{}, err
	}
	if b == nil {
		return processor.PayoutResult{}, fmt.Errorf("spei: no order %q", ref)
	}
	var rec order
	if err := json.Unmarshal(b, &rec); err != nil {
		return processor.PayoutResult{}, fmt.Errorf("spei: order %q: %w", ref, err)
	}
	return rec.at(r.now()), nil
}

// at is where the order is at time now.
func (o *order) at(now time.Time) processor.PayoutResult {
	s := o.Schedule.withDefaults()
	sent := o.AcceptedAt.Add(s.Send)
	settled := sent.Add(s.Settle)
	returned := settled.Add(s.Return)
	res := processor.PayoutResult{Ref: o.Ref}
	switch {
	case now.Before(sent):
		res.State, res.NextCheck = processor.PayoutQueued, sent
	case now.Before(settled):
		res.State, res.NextCheck = processor.PayoutSent, settled
	case o.Plan == "reject":
		res.State, res.Code, res.Message = processor.PayoutRejected, CodeNoAccount, MsgNoAccount
	case o.Plan == "return" && now.Before(returned):
		res.State, res.NextCheck = processor.PayoutConfirmed, returned
	case o.Plan == "return":
		res.State, res.Code, res.Message = processor.PayoutReturned, CodeUnknownPaid, MsgUnknownPaid
	default:
		res.State = processor.PayoutConfirmed
	}
	return res
}

// trackingKey returns a new SPEI clave de rastreo: up to 30 characters,
// letters and digits.
func trackingKey() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b) // never fails since Go 1.24: it crashes rather than return predictable bytes
	return "PSL" + strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
