package core

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/store"
)

// PayoutInput is a payout as a face asks for it, the amount already read in
// minor units. Field names in errors are the core's (beneficiaryAccount,
// bankCode, …); a face renames them to its own.
type PayoutInput struct {
	Amount                 int64
	Currency               string // ISO 4217 alpha; "" means MXN
	TransactionType        int    // 1: SPEI interbank transfer (the only one)
	BeneficiaryName        string
	BeneficiaryAccount     string // CLABE
	BeneficiaryAccountType string // "" or "40" (CLABE)
	BankCode               string // 3-digit Banxico code, or the 5-digit SPEI key
	Concept                string
	Description            string
	NumericReference       string
	AlphanumericReference  string
	BeneficiaryEmail       string
	BeneficiaryRFC         string
	BeneficiaryAddress1    string
	BeneficiaryAddress2    string
	BeneficiaryCity        string
	BeneficiaryPostalCode  string
	DateTransaction        string // DDMMYY, informative
}

// SPEI's own limits on the fields a transfer carries.
const (
	speiNameLen    = 40 // nombre del beneficiario
	speiConceptLen = 40 // concepto de pago
	speiRefLen     = 30 // clave de rastreo / alphanumeric reference
	// TransactionSPEI is the Onsigna operation type of an interbank transfer.
	TransactionSPEI = 1
	// AccountTypeCLABE is SPEI's account type of a CLABE.
	AccountTypeCLABE = "40"
)

var (
	alnumPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	rfcPattern   = regexp.MustCompile(`^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$`)
)

func validatePayout(in *PayoutInput) error {
	var v pasarela.Validation
	if in.Amount <= 0 {
		v.Add("amount", "amount", "must be greater than zero")
	}
	switch strings.ToUpper(strings.TrimSpace(in.Currency)) {
	case "", "MXN", "484":
		in.Currency = "MXN"
	default:
		v.Add("currency", "unsupported_currency", "SPEI transfers are in Mexican pesos only (MXN, ISO 4217 number 484)")
	}
	if in.TransactionType != TransactionSPEI {
		v.Add("transaction_type", "transaction_type", "the only supported type is 1 (SPEI interbank transfer)")
	}
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&in.BeneficiaryName, &in.BeneficiaryAccount, &in.BeneficiaryAccountType, &in.BankCode,
		&in.Concept, &in.Description, &in.NumericReference, &in.AlphanumericReference, &in.BeneficiaryEmail,
		&in.BeneficiaryRFC, &in.BeneficiaryAddress1, &in.BeneficiaryAddress2, &in.BeneficiaryCity,
		&in.BeneficiaryPostalCode, &in.DateTransaction} {
		trim(s)
	}
	checkText(&v, "beneficiary_name", &in.BeneficiaryName, true, speiNameLen)
	clabeOK := false
	if in.BeneficiaryAccount == "" {
		v.Add("beneficiary_account", "required", "is required")
	} else if err := pasarela.CheckCLABE("beneficiary_account", in.BeneficiaryAccount); err != nil {
		v.AddError(err)
	} else {
		clabeOK = true
	}
	switch strings.ToLower(in.BeneficiaryAccountType) {
	case "", AccountTypeCLABE, "clabe":
		in.BeneficiaryAccountType = AccountTypeCLABE
	default:
		v.Add("beneficiary_account_type", "account_type", "the only supported account type is 40 (CLABE)")
	}
	if in.BankCode == "" {
		v.Add("bank_code", "required", "is required")
	} else if inst, ok := pasarela.LookupInstitution(in.BankCode); !ok {
		v.Add("bank_code", "bank_code", "is not an institution of the Banxico catalog (3 digits, like 002 for BANAMEX)")
	} else {
		in.BankCode = inst.Code
		if clabeOK && in.BeneficiaryAccount[:3] != inst.Code {
			v.Add("bank_code", "bank_mismatch", "is "+inst.Code+" ("+inst.Name+") but the CLABE belongs to "+
				in.BeneficiaryAccount[:3])
		}
	}
	checkText(&v, "concept", &in.Concept, true, speiConceptLen)
	checkText(&v, "description", &in.Description, false, 200)
	if in.NumericReference == "" {
		v.Add("numeric_reference", "required", "is required")
	} else if len(in.NumericReference) > 10 || strings.Trim(in.NumericReference, "0123456789") != "" {
		v.Add("numeric_reference", "numeric_reference", "must be a number of at most 10 digits")
	}
	if in.AlphanumericReference != "" && (len(in.AlphanumericReference) > speiRefLen || !alnumPattern.MatchString(in.AlphanumericReference)) {
		v.Add("alphanumeric_reference", "alphanumeric_reference", "must be at most 30 letters and digits")
	}
	if in.BeneficiaryEmail != "" {
		if a, err := mail.ParseAddress(in.BeneficiaryEmail); err != nil || a.Address != in.BeneficiaryEmail || len(in.BeneficiaryEmail) > 254 {
			v.Add("beneficiary_email", "email", "must be a valid email address")
		}
	}
	if in.BeneficiaryRFC != "" {
		in.BeneficiaryRFC = strings.ToUpper(in.BeneficiaryRFC)
		if !rfcPattern.MatchString(in.BeneficiaryRFC) {
			v.Add("beneficiary_rfc", "rfc", "must be an RFC of 12 or 13 characters, like ROPL951201091")
		}
	}
	checkText(&v, "beneficiary_address1", &in.BeneficiaryAddress1, false, 100)
	checkText(&v, "beneficiary_address2", &in.BeneficiaryAddress2, false, 100)
	checkText(&v, "beneficiary_city", &in.BeneficiaryCity, false, 100)
	if in.BeneficiaryPostalCode != "" && (len(in.BeneficiaryPostalCode) != 5 || strings.Trim(in.BeneficiaryPostalCode, "0123456789") != "") {
		v.Add("beneficiary_postal_code", "postal_code", "must be a Mexican postal code of 5 digits")
	}
	if in.DateTransaction != "" {
		if _, err := time.Parse("020106", in.DateTransaction); err != nil || len(in.DateTransaction) != 6 {
			v.Add("date_transaction", "date_transaction", "must be a date written DDMMYY, like 030421")
		}
	}
	return v.Err()
}

// payoutRoles may send money out of a client's balance.
var payoutRoles = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager}

// payoutReaders may see a client's payouts and balance: beneficiaries'
// accounts and tax ids are the client's business, not a terminal user's
// (who sees only its own transactions, and sends no payouts).
var payoutReaders = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleViewer}

// payoutScope is the idempotency scope of a client's payouts.
const payoutScope = "payouts"

// errNoRail refuses payouts on a gateway with no rail configured.
var errNoRail = pasarela.Errorf(pasarela.KindUnavailable, "payouts_unavailable", "payouts are not enabled on this gateway")

// CreatePayout takes a payout's amount from the caller's client's available
// balance and records the order, to be handed to the rail by the payout
// worker. The balance check and the debit are one write: the available
// balance is read under lock, and the debit itself is guarded in the ledger
// (it refuses to take the balance below zero), so concurrent orders can
// never overdraw it. A refused order leaves nothing behind.
//
// Orders are made idempotent by the request's Idempotency-Key, not by the
// numeric reference: SPEI's referencia numérica is the payer's reference
// for the beneficiary (an invoice number, say) and repeats by design.
func (s *Service) CreatePayout(ctx context.Context, in PayoutInput, idem *Idem) (*pasarela.Payout, *Replay, error) {
	p, err := requireUser(ctx, payoutRoles...)
	if err != nil {
		return nil, nil, err
	}
	if err := validatePayout(&in); err != nil {
		return nil, nil, err
	}
	rail := s.cfg.PayoutRail
	if rail == nil {
		return nil, nil, errNoRail
	}
	v, replay, err := s.idempotent(ctx, p.ClientID, payoutScope, idem, func(tx *store.Tx) (any, error) {
		c, err := tx.GetClient(ctx, p.ClientID)
		if err != nil {
			return nil, err
		}
		if c.Status != pasarela.ClientActive {
			return nil, pasarela.Errorf(pasarela.KindForbidden, "client_not_active", "the client is %s and cannot send payouts", c.Status)
		}
		available := ClientAccount(c.ID, in.Currency, KindAvailable)
		// Read under lock (PostgreSQL): concurrent orders of the client
		// queue here, and each sees the balance the previous one left.
		balance, err := tx.Balance(ctx, available)
		if err != nil {
			return nil, err
		}
		if balance < in.Amount {
			return nil, insufficientFunds(balance, in.Amount, in.Currency)
		}
		seq, err := tx.NextPayoutSeq(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		now := s.now()
		due := now
		po := &pasarela.Payout{ClientID: c.ID, UserID: p.UserID, Seq: seq, Reference: PayoutReference(c.Code, seq),
			Amount: in.Amount, Currency: in.Currency, TransactionType: in.TransactionType,
			BeneficiaryName: in.BeneficiaryName, BeneficiaryAccount: in.BeneficiaryAccount,
			BeneficiaryAccountType: in.BeneficiaryAccountType, BankCode: in.BankCode, BeneficiaryEmail: in.BeneficiaryEmail,
			BeneficiaryRFC: in.BeneficiaryRFC, BeneficiaryAddress1: in.BeneficiaryAddress1,
			BeneficiaryAddress2: in.BeneficiaryAddress2, BeneficiaryCity: in.BeneficiaryCity,
			BeneficiaryPostalCode: in.BeneficiaryPostalCode, Concept: in.Concept, Description: in.Description,
			NumericReference: in.NumericReference, AlphanumericReference: in.AlphanumericReference,
			DateTransaction: in.DateTransaction, Status: pasarela.PayoutCreated, InitialBalance: balance,
			FinalBalance: balance - in.Amount, Rail: rail.ID(), NextCheckAt: &due, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreatePayout(ctx, po); err != nil {
			return nil, err
		}
		if _, err := tx.Post(ctx, store.Posting{Kind: "payout", ClientID: c.ID, PayoutID: po.ID, At: now,
			Description: "payout " + po.Reference,
			Entries: []store.Entry{
				{Account: available, Amount: -po.Amount, Guard: true},
				{Account: ClientAccount(c.ID, po.Currency, KindPending), Amount: po.Amount},
			}}); err != nil {
			if pasarela.AsError(err).Code == store.ErrInsufficientFunds.Code {
				return nil, insufficientFunds(balance, in.Amount, in.Currency)
			}
			return nil, err
		}
		return po, s.recordEvent(ctx, tx, "payout.created", po)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return v.(*pasarela.Payout), nil, nil
}

func insufficientFunds(balance, amount int64, currency string) error {
	c, _ := pasarela.LookupCurrency(currency)
	return &pasarela.Error{Kind: pasarela.KindConflict, Code: "insufficient_funds", Field: "amount",
		Message: "the available balance (" + pasarela.FormatMajor(balance, c) + " " + c.Code + ") does not cover " +
			pasarela.FormatMajor(amount, c) + " " + c.Code}
}

// PayoutReference is a payout's public reference: the client's two-letter
// prefix (from the last part of its entity code: "on" for com.onsigna) and
// its sequence number in twelve digits, as Kashpay writes them
// ("on000000011598").
func PayoutReference(code string, seq int64) string {
	return EntityPrefix(code) + fmt.Sprintf("%012d", seq)
}

// EntityPrefix is the two-letter prefix of a client's references.
func EntityPrefix(code string) string {
	if i := strings.LastIndexByte(code, '.'); i >= 0 {
		code = code[i+1:]
	}
	var b []byte
	for i := 0; i < len(code) && len(b) < 2; i++ {
		if c := code[i]; c >= 'a' && c <= 'z' {
			b = append(b, c)
		}
	}
	for len(b) < 2 {
		b = append(b, 'x')
	}
	return string(b)
}

// GetPayout returns a payout of the caller's client.
func (s *Service) GetPayout(ctx context.Context, id int64) (*pasarela.Payout, error) {
	p, err := requireUser(ctx, payoutReaders...)
	if err != nil {
		return nil, err
	}
	var po *pasarela.Payout
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		po, err = tx.GetPayout(ctx, p.ClientID, id)
		return err
	})
	return po, err
}

// ListPayouts returns one page of the caller's client's payouts, newest
// first, with the count of all that match;
// statuses narrows it to payouts in any of them (none: all).
func (s *Service) ListPayouts(ctx context.Context, statuses []pasarela.PayoutStatus, opts pasarela.ListOptions) ([]pasarela.Payout, int, error) {
	f := store.PayoutFilter{Statuses: statuses}
	p, err := requireUser(ctx, payoutReaders...)
	if err != nil {
		return nil, 0, err
	}
	if err := checkList(&opts, nil); err != nil {
		return nil, 0, err
	}
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, 0, pasarela.Invalid("status", "enum", "unknown payout status "+quoteField(string(st)))
		}
	}
	var out []pasarela.Payout
	var total int
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		out, total, err = tx.ListPayouts(ctx, p.ClientID, f, opts)
		return err
	})
	return out, total, err
}

// Balance is a client's money in one currency.
type Balance struct {
	Currency  string
	Available int64 // may be paid out
	Pending   int64 // held by payouts not yet confirmed
}

// ClientBalance returns the caller's client's balance in currency.
func (s *Service) ClientBalance(ctx context.Context, currency string) (*Balance, error) {
	p, err := requireUser(ctx, payoutReaders...)
	if err != nil {
		return nil, err
	}
	b := &Balance{Currency: currency}
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if b.Available, err = tx.Balance(ctx, ClientAccount(p.ClientID, currency, KindAvailable)); err != nil {
			return err
		}
		b.Pending, err = tx.Balance(ctx, ClientAccount(p.ClientID, currency, KindPending))
		return err
	})
	return b, err
}

// payoutBatch bounds one pass of the payout worker.
const payoutBatch = 200

// railRetry is how long a payout waits before the rail is asked again after
// it could not be reached.
const railRetry = 30 * time.Second

// AdvancePayouts asks the rail about every payout that is due (new orders
// to send, orders in flight whose next step may have come) and records what
// it says. It returns how many payouts changed. Several nodes may run it at
// once: each change is version-checked, so only one records a step.
func (s *Service) AdvancePayouts(ctx context.Context) (int, error) {
	rail := s.cfg.PayoutRail
	if rail == nil {
		return 0, nil
	}
	var due []pasarela.Payout
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.DuePayouts(ctx, s.now(), payoutBatch)
		return err
	})
	if err != nil {
		return 0, err
	}
	changed := 0
	for i := range due {
		ok, err := s.advancePayout(ctx, rail, &due[i])
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}

// advancePayout asks the rail about one payout and records its answer. A
// rail that cannot be reached is asked again after railRetry.
func (s *Service) advancePayout(ctx context.Context, rail processor.PayoutRail, po *pasarela.Payout) (bool, error) {
	// Claim it first: its next check moves a lease ahead, under the version
	// check, so that of several nodes that read it due only one asks the
	// rail (a real rail's send must happen once), and a node that dies
	// before recording the answer leaves it due again when the lease ends.
	claimed, err := s.claimPayout(ctx, po)
	if err != nil || !claimed {
		return false, err
	}
	var res processor.PayoutResult
	if po.RailRef == "" {
		res, err = rail.Send(ctx, processor.PayoutOrder{Key: po.ClientID + ":" + po.Reference, Amount: po.Amount,
			Currency: po.Currency, BeneficiaryName: po.BeneficiaryName, Account: po.BeneficiaryAccount,
			BankCode: po.BankCode, Concept: po.Concept, NumericReference: po.NumericReference})
	} else {
		res, err = rail.Status(ctx, po.RailRef)
	}
	changed := false
	uerr := s.db.Update(ctx, func(tx *store.Tx) error {
		cur, err2 := tx.GetPayout(ctx, po.ClientID, po.ID)
		if err2 != nil {
			return err2
		}
		if cur.Version != po.Version {
			return nil // another node recorded a step since this one read it
		}
		now := s.now()
		if err != nil {
			s.log.WarnContext(ctx, "payout rail unreachable", "payout", po.ID, "rail", rail.ID(), "err", err)
			next := now.Add(railRetry)
			cur.NextCheckAt, cur.UpdatedAt = &next, now
			return tx.UpdatePayout(ctx, cur)
		}
		steps, ok := payoutPath(cur.Status, res.State)
		if !ok {
			s.log.ErrorContext(ctx, "payout rail answered an impossible step", "payout", po.ID, "status", cur.Status,
				"rail_state", res.State)
			next := now.Add(railRetry)
			cur.NextCheckAt, cur.UpdatedAt = &next, now
			return tx.UpdatePayout(ctx, cur)
		}
		if res.Ref != "" {
			cur.RailRef = res.Ref
		}
		cur.Rail = rail.ID()
		if res.NextCheck.IsZero() {
			// A rail with nothing scheduled is still asked again: a payout
			// on its way must never be left without a next check.
			next := now.Add(railRetry)
			cur.NextCheckAt = &next
		} else {
			next := res.NextCheck.UTC().Truncate(time.Microsecond)
			cur.NextCheckAt = &next
		}
		if res.Code != "" || res.Message != "" {
			cur.FailureCode, cur.FailureMessage = res.Code, res.Message
		}
		cur.UpdatedAt = now
		for _, to := range steps {
			if err := s.payoutStep(ctx, tx, cur, to); err != nil {
				return err
			}
		}
		if cur.Status.Final() {
			cur.NextCheckAt = nil
		}
		changed = len(steps) > 0
		return tx.UpdatePayout(ctx, cur)
	})
	if pasarela.AsError(uerr).Code == "concurrent_change" {
		return false, nil
	}
	return changed, uerr
}

// payoutLease is how long a claimed payout is left to the node that claimed
// it before it is due again.
const payoutLease = 2 * time.Minute

// claimPayout moves po's next check a lease ahead if nobody changed it since
// it was read; false means another node has it.
func (s *Service) claimPayout(ctx context.Context, po *pasarela.Payout) (bool, error) {
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		lease := s.now().Add(payoutLease)
		po.NextCheckAt = &lease
		return tx.UpdatePayout(ctx, po)
	})
	if pasarela.AsError(err).Code == "concurrent_change" {
		return false, nil
	}
	return err == nil, err
}

// payoutPath is the sequence of steps from a payout's status to where the
// rail says it is: a rail looked at rarely may have moved several steps.
// Nothing to do is an empty path; a state behind the payout's (a rail that
// lags) is an empty path too. ok is false when no path leads there.
func payoutPath(from pasarela.PayoutStatus, to processor.PayoutState) ([]pasarela.PayoutStatus, bool) {
	forward := []pasarela.PayoutStatus{pasarela.PayoutCreated, pasarela.PayoutQueued, pasarela.PayoutSent, pasarela.PayoutConfirmed}
	idx := func(st pasarela.PayoutStatus) int {
		for i, f := range forward {
			if f == st {
				return i
			}
		}
		return -1
	}
	var target pasarela.PayoutStatus
	switch to {
	case processor.PayoutQueued:
		target = pasarela.PayoutQueued
	case processor.PayoutSent:
		target = pasarela.PayoutSent
	case processor.PayoutConfirmed:
		target = pasarela.PayoutConfirmed
	case processor.PayoutRejected:
		if from == pasarela.PayoutRejected {
			return nil, true
		}
		return []pasarela.PayoutStatus{pasarela.PayoutRejected}, from.CanTransition(pasarela.PayoutRejected)
	case processor.PayoutReturned:
		if from == pasarela.PayoutReturned {
			return nil, true
		}
		path, ok := payoutPath(from, processor.PayoutConfirmed)
		return append(path, pasarela.PayoutReturned), ok
	default:
		return nil, false
	}
	i, j := idx(from), idx(target)
	if i < 0 {
		return nil, false // a final payout never moves again
	}
	if j <= i {
		return nil, true
	}
	return forward[i+1 : j+1], true
}

// payoutStep moves a payout one step through the transition table, posts
// the ledger entries of the step and records its event.
func (s *Service) payoutStep(ctx context.Context, tx *store.Tx, po *pasarela.Payout, to pasarela.PayoutStatus) error {
	if !po.Status.CanTransition(to) {
		return pasarela.PayoutTransitionError(po.Status, to)
	}
	from := po.Status
	po.Status = to
	var entries []store.Entry
	available := ClientAccount(po.ClientID, po.Currency, KindAvailable)
	pending := ClientAccount(po.ClientID, po.Currency, KindPending)
	clearing := clearingAccount(po.Rail, po.Currency)
	switch to {
	case pasarela.PayoutConfirmed:
		// The money left: the rail owes the beneficiary's bank nothing
		// more, the client's pending hold becomes the rail's clearing.
		entries = []store.Entry{{Account: pending, Amount: -po.Amount}, {Account: clearing, Amount: po.Amount}}
	case pasarela.PayoutRejected:
		entries = []store.Entry{{Account: pending, Amount: -po.Amount}, {Account: available, Amount: po.Amount}}
	case pasarela.PayoutReturned:
		entries = []store.Entry{{Account: clearing, Amount: -po.Amount}, {Account: available, Amount: po.Amount}}
	}
	if entries != nil {
		if _, err := tx.Post(ctx, store.Posting{Kind: "payout_" + string(to), ClientID: po.ClientID, PayoutID: po.ID,
			At: po.UpdatedAt, Description: "payout " + po.Reference + " " + string(from) + " → " + string(to),
			Entries: entries}); err != nil {
			return err
		}
	}
	// The event carries the payout as it is at this step.
	snap := *po
	if to != pasarela.PayoutRejected && to != pasarela.PayoutReturned {
		snap.FailureCode, snap.FailureMessage = "", ""
	}
	return s.recordEvent(ctx, tx, "payout."+string(to), &snap)
}
