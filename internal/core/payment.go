package core

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// PaymentInput is a payment as a face asks for it, amounts already read in
// the face's own format.
type PaymentInput struct {
	Amount         int64 // minor units
	Currency       string
	Description    string
	CustomerID     string
	CustomerEmail  string
	MerchantRef    string
	GatewayConfigs []int64
	Flags          []string
	AskForDetails  bool
	SingleAttempt  bool // see pasarela.Payment.SingleAttempt
	Type           string
	Capture        string // "", "automatic" or "manual"
	ReturnURL      string
	CancelURL      string
	Language       string
	ExpiresAt      *time.Time
	// TTL, when ExpiresAt is not given, is how long after its creation the
	// payment expires (by the gateway's clock).
	TTL      time.Duration
	Metadata map[string]string
}

// Languages the hosted pages speak; others fall back to English.
var languages = []string{"en", "es", "it", "fr", "de", "pt", "ca"}

func (s *Service) validatePayment(in *PaymentInput) error {
	var v pasarela.Validation
	if in.Amount <= 0 {
		v.Add("amount", "amount", "must be greater than zero")
	}
	if in.Currency == "" {
		v.Add("currency", "required", "is required")
	} else if c, ok := pasarela.LookupCurrency(in.Currency); !ok || c.Crypto {
		v.Add("currency", "currency", "must be an ISO 4217 currency code such as EUR")
	} else {
		in.Currency = c.Code
	}
	checkText(&v, "description", &in.Description, false, 1000)
	checkText(&v, "customer_id", &in.CustomerID, false, 200)
	if in.CustomerEmail != "" {
		if a, err := mail.ParseAddress(in.CustomerEmail); err != nil || a.Address != in.CustomerEmail {
			v.Add("customer_email", "email", "must be a valid email address")
		}
	}
	checkText(&v, "merchant_ref", &in.MerchantRef, false, 200)
	if len(in.Flags) > 20 {
		v.Add("flags", "too_many", "may have at most 20 flags")
	}
	for _, f := range in.Flags {
		if checkText(&v, "flags", &f, true, 50); v.Err() != nil {
			break
		}
	}
	switch in.Type {
	case "", string(pasarela.PaymentSimple):
		in.Type = string(pasarela.PaymentSimple)
	default:
		v.Add("type", "type", "must be simple (subscription payments are created by subscriptions)")
	}
	switch in.Capture {
	case "", "automatic", "manual":
	default:
		v.Add("capture", "enum", "must be automatic or manual")
	}
	checkURL(&v, "return_url", &in.ReturnURL)
	checkURL(&v, "cancel_url", &in.CancelURL)
	in.Language = strings.ToLower(in.Language)
	if in.Language == "" {
		in.Language = "en"
	} else if !contains(languages, in.Language) {
		v.Add("language", "language", "must be one of "+strings.Join(languages, ", "))
	}
	if in.ExpiresAt != nil {
		// As stored, so that the answer shows what a later read will.
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		in.ExpiresAt = &t
		if !t.After(s.now()) {
			v.Add("expires_at", "past", "must be in the future")
		}
	}
	checkMetadata(&v, in.Metadata)
	return v.Err()
}

// checkMetadata checks a payment's metadata: at most 50 keys of 1 to 40
// characters, values of at most 500.
func checkMetadata(v *pasarela.Validation, m map[string]string) {
	if len(m) > 50 {
		v.Add("metadata", "too_many", "may have at most 50 keys")
	}
	for k, val := range m {
		if len(k) == 0 || len(k) > 40 || len(val) > 500 {
			v.Add("metadata", "size", "keys must have 1 to 40 characters and values at most 500")
			break
		}
	}
}

// SetPaymentMetadata changes metadata entries of a payment of the
// application: each key of set takes its value, and an empty value removes
// the key. The result is checked as metadata is when a payment is created.
func (s *Service) SetPaymentMetadata(ctx context.Context, appID, id int64, set map[string]string) (*pasarela.Payment, error) {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return nil, err
	}
	var out *pasarela.Payment
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		pay, err := tx.GetPayment(ctx, p.ClientID, appID, id)
		if err != nil {
			return err
		}
		meta := make(map[string]string, len(pay.Metadata)+len(set))
		for k, v := range pay.Metadata {
			meta[k] = v
		}
		for k, v := range set {
			if v == "" {
				delete(meta, k)
			} else {
				meta[k] = v
			}
		}
		var v pasarela.Validation
		checkMetadata(&v, meta)
		if err := v.Err(); err != nil {
			return err
		}
		pay.Metadata, pay.UpdatedAt = meta, s.now()
		if err := tx.UpdatePayment(ctx, pay); err != nil {
			return err
		}
		out = pay
		return nil
	})
	return out, err
}

// usableConfigs returns the enabled configs of an application a payment may
// use: those it names, or all enabled ones. With strict (a new payment) each
// named config must exist; a stored payment may name a config deleted since,
// which is skipped.
func usableConfigs(ctx context.Context, tx *store.Tx, clientID string, appID int64, allowed []int64, strict bool) ([]store.GatewayConfigRow, error) {
	rows, _, err := tx.ListGatewayConfigs(ctx, clientID, appID, store.GatewayConfigFilter{}, pasarela.ListOptions{})
	if err != nil {
		return nil, err
	}
	return filterUsable(rows, allowed, strict)
}

func filterUsable(rows []store.GatewayConfigRow, allowed []int64, strict bool) ([]store.GatewayConfigRow, error) {
	if len(allowed) == 0 {
		var out []store.GatewayConfigRow
		for _, r := range rows {
			if r.Enabled {
				out = append(out, r)
			}
		}
		return out, nil
	}
	byID := map[int64]store.GatewayConfigRow{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	var out []store.GatewayConfigRow
	for _, id := range allowed {
		r, ok := byID[id]
		if !ok && !strict {
			continue
		}
		if !ok {
			return nil, pasarela.Invalid("gateway_configs", "unknown_gateway_config", "gateway config "+strconv.FormatInt(id, 10)+" is not one of this application's")
		}
		if r.Enabled {
			out = append(out, r)
		}
	}
	return out, nil
}

// appRef names an application with its client, the key of per-application
// caches.
type appRef struct {
	clientID string
	appID    int64
}

// applicationConfigs returns every gateway config of an application, from
// the cache when it has them (see readCache: gen was taken before tx began).
// The rows are shared with other callers: read them, never change them.
func (s *Service) applicationConfigs(ctx context.Context, tx *store.Tx, gen uint64, clientID string, appID int64) ([]store.GatewayConfigRow, error) {
	ref := appRef{clientID, appID}
	if rows, ok := s.configs.get(ref); ok {
		return rows, nil
	}
	rows, err := tx.ApplicationGatewayConfigs(ctx, clientID, appID)
	if err == nil {
		s.configs.put(ref, gen, rows)
	}
	return rows, err
}

// CreatePayment creates a pending payment of an application. Its hosted page
// is ready at once; links bound to one gateway config are made apart.
//
// The common call (an application key whose configs are cached) reads
// nothing before its write, and an Idempotency-Key is checked by the write
// itself: the key's record is stored with the payment, its unique key
// refuses a second answer, and a write that fails looks the key up (see
// createOnce), so a retry gets the first answer. A separate read
// transaction for the lookup cost a tenth of a create, for the rare retry.
func (s *Service) CreatePayment(ctx context.Context, appID int64, in PaymentInput, idem *Idem) (*pasarela.Payment, *Replay, error) {
	if in.ExpiresAt == nil && in.TTL > 0 {
		t := s.now().Add(in.TTL)
		in.ExpiresAt = &t
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, nil, err
	}
	gen := s.configs.generation()
	var rows []store.GatewayConfigRow
	var haveRows bool
	if p.ApplicationID != 0 {
		// An application key: access is decided without a read (see
		// applicationAccessTx), then the input is checked, as ever in
		// that order.
		if p.ApplicationID != appID {
			return nil, nil, pasarela.NotFound("application")
		}
		if err := s.validatePayment(&in); err != nil {
			return nil, nil, err
		}
		rows, haveRows = s.configs.get(appRef{p.ClientID, appID})
	} else {
		// A user: one read checks access, then (after validating the
		// input) reads the configs. Reading on the read pool keeps the
		// single writer free; a config removed meanwhile is skipped when
		// the buyer pays.
		err := s.db.View(ctx, func(tx *store.Tx) error {
			var err error
			if p, err = paymentWriterTx(ctx, tx, appID); err != nil {
				return err
			}
			if err := s.validatePayment(&in); err != nil {
				return err
			}
			rows, err = s.applicationConfigs(ctx, tx, gen, p.ClientID, appID)
			haveRows = err == nil
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	usable := func(rows []store.GatewayConfigRow) error {
		configs, err := filterUsable(rows, in.GatewayConfigs, true)
		if err == nil && len(configs) == 0 {
			err = errNoGateway("gateway_configs", "no enabled gateway config can take this payment", appID)
		}
		return err
	}
	if haveRows {
		if err := usable(rows); err != nil {
			return nil, nil, err
		}
	}
	now := s.now()
	pay := &pasarela.Payment{ClientID: p.ClientID, ApplicationID: appID, TransactionID: newTransactionID(now),
		CheckoutToken: newCheckoutToken(now), Status: pasarela.StatusPending,
		Type: pasarela.PaymentType(in.Type), Amount: in.Amount, Currency: in.Currency, Description: in.Description,
		CustomerID: in.CustomerID, CustomerEmail: in.CustomerEmail, MerchantRef: in.MerchantRef, Language: in.Language,
		Flags: in.Flags, AskForDetails: in.AskForDetails, SingleAttempt: in.SingleAttempt, Capture: in.Capture, GatewayConfigs: in.GatewayConfigs,
		ReturnURL: in.ReturnURL, CancelURL: in.CancelURL, Metadata: in.Metadata, ExpiresAt: in.ExpiresAt,
		CreatedAt: now, UpdatedAt: now}
	v, replay, err := s.createOnce(ctx, p.ClientID, paymentScope(appID), idem, func(tx *store.Tx) (any, error) {
		if !haveRows {
			// Not cached (PostgreSQL has no cache): the configs are read
			// in the write, one transaction rather than a read and a
			// write.
			rows, err := s.applicationConfigs(ctx, tx, gen, p.ClientID, appID)
			if err != nil {
				return nil, err
			}
			if err := usable(rows); err != nil {
				return nil, err
			}
		}
		return pay, tx.CreatePayment(ctx, pay)
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	return v.(*pasarela.Payment), nil, nil
}

// newTransactionID and newCheckoutToken make a new payment's identifiers:
// random, after a prefix of the time so that their unique indexes grow at
// the end (see timeOrdered).
func newTransactionID(now time.Time) string {
	return timeOrdered(now, alnumSorted, 7) + randomAlnum(10)
}

func newCheckoutToken(now time.Time) string {
	return checkoutTokenPrefix + timeOrdered(now, base32Sorted, 9) + randomString(32)
}

// paymentScope is the idempotency scope of an application's payments.
func paymentScope(appID int64) string { return "app:" + strconv.FormatInt(appID, 10) }

// paymentWriter lets through callers that may take payments for appID:
// its application key, or a user of the client other than a viewer.
func (s *Service) paymentWriter(ctx context.Context, appID int64) (*pasarela.Principal, error) {
	return s.applicationAccess(ctx, appID, true, paymentRoles...)
}

// paymentRoles are the user roles that may take payments.
var paymentRoles = []pasarela.Role{pasarela.RoleAdmin, pasarela.RoleManager, pasarela.RoleTerminal}

// paymentWriterTx is paymentWriter inside the caller's read.
func paymentWriterTx(ctx context.Context, tx *store.Tx, appID int64) (*pasarela.Principal, error) {
	return applicationAccessTx(ctx, tx, appID, true, paymentRoles...)
}

// PaymentDetail is a payment with what hangs from it.
type PaymentDetail struct {
	*pasarela.Payment
	Links    []pasarela.PaymentLink
	Children []pasarela.Payment
	Refunds  []pasarela.Refund
}

// maxChildren bounds the children a payment's detail lists.
const maxChildren = 100

// GetPayment returns a payment of an application with its links, children
// (at most maxChildren, oldest first) and refunds. The detail's slices and
// the payment's maps and card are shared with the cache: callers read them
// and change only copies.
//
// An integration polls its payments with its application key, and on
// SQLite the answer comes from memory when the payment has not changed
// since it was last read (readCache, told of every change by the engine:
// store.DB's WatchPayments). The key's application is the caller's whole
// access (see applicationAccessTx), so a hit checks it without the
// database.
func (s *Service) GetPayment(ctx context.Context, appID, id int64) (*PaymentDetail, error) {
	p := pasarela.PrincipalFrom(ctx)
	if s.payments == nil || p == nil || p.ApplicationID == 0 || p.ApplicationID != appID {
		return s.readPayment(ctx, appID, id)
	}
	if d, ok := s.payments.get(id); ok && d.ClientID == p.ClientID && d.ApplicationID == appID {
		return d.copy(), nil
	}
	gen := s.payments.generation()
	d, err := s.readPayment(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	s.payments.put(id, gen, d)
	return d.copy(), nil
}

// copy is a detail whose own fields and payment's a caller may change
// without changing the cache's.
func (d *PaymentDetail) copy() *PaymentDetail {
	c, p := *d, *d.Payment
	c.Payment = &p
	return &c
}

// readPayment is GetPayment from the database.
func (s *Service) readPayment(ctx context.Context, appID, id int64) (*PaymentDetail, error) {
	d := &PaymentDetail{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		// What hangs from the payment is read only when there is some
		// (most payments have no links, children or refunds): the
		// payment's own statement says which.
		var rel store.PaymentRelations
		if d.Payment, rel, err = tx.GetPaymentRelations(ctx, p.ClientID, appID, id); err != nil {
			return err
		}
		if d.Payment.Type == pasarela.PaymentDeposit {
			if d.Payment.Deposit, err = tx.GetDeposit(ctx, p.ClientID, id); err != nil {
				return err
			}
			withURI(d.Payment.Deposit)
		}
		d.Links, d.Children, d.Refunds = []pasarela.PaymentLink{}, []pasarela.Payment{}, []pasarela.Refund{}
		if rel.Links {
			if d.Links, err = tx.ListPaymentLinks(ctx, p.ClientID, id); err != nil {
				return err
			}
		}
		if rel.Children {
			if d.Children, err = tx.ListChildPayments(ctx, p.ClientID, appID, id, maxChildren); err != nil {
				return err
			}
		}
		if !rel.Refunds {
			return nil
		}
		d.Refunds, err = tx.ListRefunds(ctx, p.ClientID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// PaymentFilter narrows a payment list; Status uses core names.
type PaymentFilter = store.PaymentFilter

// PaymentCountCap is where a payment list's total stops when no counter
// holds it (a filter by customer or transaction id): see pasarela.Total.
const PaymentCountCap = store.PaymentCountCap

// ListPayments returns a page of an application's payments and how many
// match f. The page may be found by offset or, ordered by id, by key
// (opts.After, the id of the previous page's last payment), which costs the
// same however deep the page. The total comes from counters kept per
// status when f filters by status alone; otherwise it is counted up to
// PaymentCountCap.
func (s *Service) ListPayments(ctx context.Context, appID int64, f PaymentFilter, opts pasarela.ListOptions) ([]pasarela.Payment, pasarela.Total, error) {
	var out []pasarela.Payment
	var total pasarela.Total
	// Access, validation and the page in one read (access first, as ever).
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if err := checkKeysetList(&opts, store.PaymentSortFields, "id"); err != nil {
			return err
		}
		var v pasarela.Validation
		for _, st := range append([]string{f.Status}, f.Statuses...) {
			if st != "" && !pasarela.PaymentStatus(st).Valid() {
				v.Add("filter.status", "enum", "unknown status "+quoteField(st))
				break
			}
		}
		checkText(&v, "filter.customer_id", &f.CustomerID, false, 200)
		checkText(&v, "filter.transaction_id", &f.TransactionID, false, 64)
		if err := v.Err(); err != nil {
			return err
		}
		out, total, err = tx.ListPayments(ctx, p.ClientID, appID, f, opts)
		return err
	})
	if err != nil {
		return nil, pasarela.Total{}, err
	}
	return out, total, nil
}

// transition moves p to status to inside tx, through the one table of
// allowed transitions; the version check in the store makes racing
// transitions end with one winner.
func (s *Service) transition(ctx context.Context, tx *store.Tx, p *pasarela.Payment, to pasarela.PaymentStatus) error {
	if !pasarela.CanTransition(p.Status, to) {
		return pasarela.TransitionError(p.Status, to)
	}
	p.Status, p.UpdatedAt = to, s.now()
	if to == pasarela.StatusCompleted {
		t := p.UpdatedAt
		p.CompletedAt = &t
	}
	if err := tx.UpdatePayment(ctx, p); err != nil {
		return err
	}
	// Every status change passes here, so every one is an event, written
	// in the transaction of the change (the outbox).
	return s.recordEvent(ctx, tx, "payment."+string(to), p)
}

// CancelPayment invalidates a payment nobody has paid, and its unfinished
// links. An authorization on hold is released at the processor first.
func (s *Service) CancelPayment(ctx context.Context, appID, id int64) error {
	p, err := s.paymentWriter(ctx, appID)
	if err != nil {
		return err
	}
	var held *pasarela.Payment
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		pay, err := tx.GetPayment(ctx, p.ClientID, appID, id)
		if err != nil {
			return err
		}
		if pay.Type == pasarela.PaymentDeposit {
			return errDepositPayment
		}
		switch pay.Status {
		case pasarela.StatusAuthorized:
			// Claim it: the processor call happens outside the transaction.
			if err := s.transition(ctx, tx, pay, pasarela.StatusProcessing); err != nil {
				return err
			}
			held = pay
			return nil
		case pasarela.StatusPending, pasarela.StatusRequiresAction:
		default:
			return pasarela.Errorf(pasarela.KindInvalid, "invalid_transition", "cannot apply 'invalidated': the payment is %s", pay.Status)
		}
		if err := s.transition(ctx, tx, pay, pasarela.StatusInvalidated); err != nil {
			return err
		}
		return tx.CloseActiveLinks(ctx, p.ClientID, id, pasarela.LinkInvalidated, s.now())
	})
	if err != nil || held == nil {
		return err
	}
	return s.releaseAuthorization(ctx, held)
}

// randomAlnum returns n random letters and digits, without modulo bias
// (bytes past the largest multiple of 62 are drawn again).
func randomAlnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	out := make([]byte, 0, n)
	for len(out) < n {
		for _, b := range randomBytes(n) {
			if int(b) < 248 && len(out) < n {
				out = append(out, chars[int(b)%len(chars)])
			}
		}
	}
	return string(out)
}
