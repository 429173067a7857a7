package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// An order is how SekurePay takes money: the merchant names it (its own id),
// breaks it down into items, taxes and shipping in minor units, and the
// buyer pays it on the hosted checkout. It is not a separate resource: an
// order IS a payment whose merchant reference is the order id and which
// keeps its breakdown, so PayREST lists it, webhooks report it and the
// ledger accounts for it like any other payment.
//
// Field names in the errors below are the core's (sub_total, items[0].amount);
// SekurePay's face renames them to its own (sub_total_cents…) and words the
// arithmetic messages from their Params.

// Limits of one order, so that one request cannot grow a row without bound.
const (
	// MaxOrderItems and MaxOrderTaxes bound the lines of one order; the
	// face refuses longer arrays before reading them.
	MaxOrderItems  = 100
	MaxOrderTaxes  = 20
	maxOrderIDLen  = 100
	maxLineDescLen = 200
	maxOrderCents  = 1_000_000_000_000_000 // as pasarela.ParseMinor: sums of many stay far from int64's limit
)

// OrderInput is an order as a face received it, amounts already read as
// integers of minor units.
type OrderInput struct {
	ID       string // the merchant's order id, unique per application
	Currency string
	SubTotal int64 // must be the sum of Items
	Shipping int64
	Total    int64 // must be SubTotal + Shipping + the sum of Taxes
	Items    []pasarela.LineItem
	Taxes    []pasarela.LineItem
}

// OrderResult is the order CreateOrder answers with.
type OrderResult struct {
	*pasarela.Payment
	// Existing is true when this order id already had this same order: the
	// order is returned as it is now and nothing was created.
	Existing bool
}

// validateOrder checks an order's fields and arithmetic, reporting every
// broken rule at once, and normalises the currency code.
func validateOrder(in *OrderInput) error {
	var v pasarela.Validation
	switch {
	case in.ID == "":
		v.Add("id", "required", "is required: the merchant's order id")
	case len(in.ID) > maxOrderIDLen:
		v.Add("id", "too_long", "may have at most "+strconv.Itoa(maxOrderIDLen)+" characters")
	default:
		for _, r := range in.ID {
			// The id travels in the path of GET /orders/{id}: visible
			// ASCII without a slash keeps it one unambiguous segment.
			if r < 0x21 || r > 0x7e || r == '/' {
				v.Add("id", "format", "may contain only visible ASCII characters other than '/' (no spaces)")
				break
			}
		}
	}
	if in.Currency == "" {
		v.Add("currency", "required", "is required: an ISO 4217 code such as USD")
	} else if c, ok := pasarela.LookupCurrency(in.Currency); !ok || c.Crypto {
		v.Add("currency", "currency", "must be an ISO 4217 currency code such as USD; "+quoteField(in.Currency)+" is not one")
	} else {
		in.Currency = c.Code
	}
	checkCents(&v, "sub_total", in.SubTotal)
	checkCents(&v, "shipping", in.Shipping)
	checkCents(&v, "total", in.Total)
	if in.Total == 0 {
		v.Add("total", "amount", "must be greater than zero")
	}
	items, itemsOK := checkLines(&v, "items", in.Items, MaxOrderItems, true)
	taxes, taxesOK := checkLines(&v, "taxes", in.Taxes, MaxOrderTaxes, false)
	// The arithmetic is checked only over amounts that are themselves valid,
	// so that every message names a real expected value.
	if itemsOK && in.SubTotal >= 0 && in.SubTotal != items {
		v.AddParams("sub_total", "sub_total_mismatch", fmt.Sprintf(
			"must equal the sum of items[].amount: expected %d, got %d", items, in.SubTotal),
			map[string]string{"expected": itoa(items), "got": itoa(in.SubTotal)})
	}
	if taxesOK && in.SubTotal >= 0 && in.Shipping >= 0 && in.Total >= 0 {
		if want := in.SubTotal + in.Shipping + taxes; in.Total != want {
			v.AddParams("total", "total_mismatch", fmt.Sprintf(
				"must equal sub_total + shipping + the sum of taxes[].amount (%d + %d + %d): expected %d, got %d",
				in.SubTotal, in.Shipping, taxes, want, in.Total),
				map[string]string{"sub_total": itoa(in.SubTotal), "shipping": itoa(in.Shipping), "taxes": itoa(taxes),
					"expected": itoa(want), "got": itoa(in.Total)})
		}
	}
	return v.Err()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// checkCents checks one amount of minor units.
func checkCents(v *pasarela.Validation, field string, n int64) bool {
	switch {
	case n < 0:
		v.Add(field, "negative", "must not be negative")
	case n > maxOrderCents:
		v.Add(field, "amount", "is too large")
	default:
		return true
	}
	return false
}

// checkLines checks items or taxes and returns their sum, and whether every
// line was valid (only then is the sum meaningful).
func checkLines(v *pasarela.Validation, field string, lines []pasarela.LineItem, max int, required bool) (int64, bool) {
	if len(lines) == 0 && required {
		v.Add(field, "required", "must have at least one line")
		return 0, false
	}
	if len(lines) > max {
		v.Add(field, "too_many", "may have at most "+strconv.Itoa(max)+" lines")
		return 0, false
	}
	var sum int64
	ok := true
	for i := range lines {
		name := field + "[" + strconv.Itoa(i) + "]"
		l := &lines[i]
		var lv pasarela.Validation
		checkText(&lv, name+".description", &l.Description, true, maxLineDescLen)
		if err := lv.Err(); err != nil {
			v.AddError(err)
		}
		if checkCents(v, name+".amount", l.Amount) {
			sum += l.Amount
		} else {
			ok = false
		}
	}
	return sum, ok
}

// orderFingerprint hashes the canonical form of a validated order: its
// fields in a fixed order, the currency normalised. Two requests with the
// same order in different whitespace, key order, or integers written as
// strings have the same fingerprint.
func orderFingerprint(in *OrderInput) string {
	b, _ := json.Marshal(struct {
		ID, Currency              string
		SubTotal, Shipping, Total int64
		Items, Taxes              []pasarela.LineItem
	}{in.ID, in.Currency, in.SubTotal, in.Shipping, in.Total, in.Items, in.Taxes})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// orderDescription is the payment's description (what the checkout page
// shows): the items, cut to what a description holds.
func orderDescription(items []pasarela.LineItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strings.TrimSpace(it.Description))
	}
	s := b.String()
	if utf8.RuneCountInString(s) > 1000 {
		s = string([]rune(s)[:999]) + "…"
	}
	return s
}

var errOrderReused = pasarela.Errorf(pasarela.KindConflict, "order_id_reused",
	"an order with this id already exists with different contents; an order id names one order: send the same order again to read it back, or use a new id")

// sameOrder answers a repeat of an order id: the stored order when it is
// the same order, a conflict naming the id when it is not.
func sameOrder(prior *pasarela.Payment, fingerprint string) (*OrderResult, error) {
	if prior.OrderFingerprint != fingerprint {
		e := *errOrderReused
		e.Field = "id"
		return nil, &e
	}
	return &OrderResult{Payment: prior, Existing: true}, nil
}

// CreateOrder creates an order of an application: a pending payment of the
// order's total, with its breakdown, payable at its checkout URL. The order
// id is the idempotency key of its own: the same order sent again returns
// the order (Existing), a different order under the same id is a conflict.
// idem, when the request also carried an Idempotency-Key, stores and
// replays the answer as every creating request does.
func (s *Service) CreateOrder(ctx context.Context, appID int64, in OrderInput, idem *Idem) (*OrderResult, *Replay, error) {
	var p *pasarela.Principal
	var replay *Replay
	var prior *pasarela.Payment
	var pin PaymentInput
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = paymentWriterTx(ctx, tx, appID); err != nil {
			return err
		}
		if err := validateOrder(&in); err != nil {
			return err
		}
		// The payment's own rules (currency, description) still hold.
		pin = PaymentInput{Amount: in.Total, Currency: in.Currency, Description: orderDescription(in.Items),
			MerchantRef: in.ID}
		if err := s.validatePayment(&pin); err != nil {
			return err
		}
		configs, err := usableConfigs(ctx, tx, p.ClientID, appID, nil, true)
		if err == nil && len(configs) == 0 {
			err = errNoGateway("", "the application has no enabled gateway config to take payments", appID)
		}
		if err != nil {
			return err
		}
		if idem != nil {
			if replay, err = lookupReplay(ctx, tx, p.ClientID, paymentScope(appID), idem, s.now()); err != nil || replay != nil {
				return err
			}
		}
		prior, err = tx.GetPaymentByMerchantRef(ctx, p.ClientID, appID, in.ID)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return nil
		}
		return err
	})
	if err != nil || replay != nil {
		return nil, replay, err
	}
	fingerprint := orderFingerprint(&in)
	if prior != nil && idem == nil {
		res, err := sameOrder(prior, fingerprint)
		return res, nil, err
	}
	now := s.now()
	pay := &pasarela.Payment{ClientID: p.ClientID, ApplicationID: appID, TransactionID: newTransactionID(now),
		CheckoutToken: newCheckoutToken(now), Status: pasarela.StatusPending,
		Type: pasarela.PaymentSimple, Amount: in.Total, Currency: in.Currency, Description: pin.Description,
		MerchantRef: in.ID, Language: pin.Language, Items: in.Items, Taxes: in.Taxes, Shipping: in.Shipping,
		OrderFingerprint: fingerprint, CreatedAt: now, UpdatedAt: now}
	v, replay, err := s.createOnce(ctx, p.ClientID, paymentScope(appID), idem, func(tx *store.Tx) (any, error) {
		// Checked again in the write: an order made since the read above
		// is answered here. On PostgreSQL two first requests may still
		// both get here; the unique index on (application, merchant ref)
		// refuses the second insert, and the loser reads the winner below.
		prior, err := tx.GetPaymentByMerchantRef(ctx, p.ClientID, appID, in.ID)
		if err == nil {
			return sameOrder(prior, fingerprint)
		}
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			return nil, err
		}
		if err := tx.CreatePayment(ctx, pay); err != nil {
			return nil, err
		}
		// The order's webhooks learn of it in the same transaction.
		if err := s.recordEvent(ctx, tx, "payment.created", pay); err != nil {
			return nil, err
		}
		return &OrderResult{Payment: pay}, nil
	})
	if replay != nil {
		return nil, replay, nil
	}
	if err != nil && isMerchantRefTaken(err) {
		var prior *pasarela.Payment
		if rerr := s.db.View(ctx, func(tx *store.Tx) error {
			var err error
			prior, err = tx.GetPaymentByMerchantRef(ctx, p.ClientID, appID, in.ID)
			return err
		}); rerr != nil {
			return nil, nil, rerr
		}
		res, err := sameOrder(prior, fingerprint)
		return res, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	return v.(*OrderResult), nil, nil
}

// isMerchantRefTaken reports whether err is the unique index on an
// application's merchant references refusing an insert.
func isMerchantRefTaken(err error) bool { return store.IsConstraint(err, store.UniqueMerchantRef) }

// GetOrder returns an order of an application by the merchant's order id.
// Another application's orders, and payments, are not found.
func (s *Service) GetOrder(ctx context.Context, appID int64, id string) (*pasarela.Payment, error) {
	var pay *pasarela.Payment
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if id == "" || len(id) > maxOrderIDLen {
			return pasarela.NotFound("order")
		}
		pay, err = tx.GetPaymentByMerchantRef(ctx, p.ClientID, appID, id)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return pasarela.NotFound("order")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// A Gestpay payment has a merchant reference too; only payments made
	// as orders are orders.
	if pay.OrderFingerprint == "" {
		return nil, pasarela.NotFound("order")
	}
	return pay, nil
}

// PaymentByMerchantRef returns an application's payment by the merchant's
// reference, whatever made it (an order or a plain payment): faces whose
// merchants name payments by their own reference find them again with it.
// Another application's payments are not found.
func (s *Service) PaymentByMerchantRef(ctx context.Context, appID int64, ref string) (*pasarela.Payment, error) {
	var pay *pasarela.Payment
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if ref == "" {
			return pasarela.NotFound("payment")
		}
		pay, err = tx.GetPaymentByMerchantRef(ctx, p.ClientID, appID, ref)
		if pasarela.ErrorKind(err) == pasarela.KindNotFound {
			return pasarela.NotFound("payment")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return pay, nil
}
