package core

import (
	"context"
	"slices"
	"strings"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// PaymentSearch narrows a search of the caller's payments (see
// store.PaymentSearch): a person's view across the client's applications,
// paged by id without counting.
type PaymentSearch = store.PaymentSearch

// MaxSearchPage is the most payments one search page holds.
const MaxSearchPage = 500

// PaymentPage is one page of a search, newest first, and whether there are
// older and newer payments beyond it.
type PaymentPage struct {
	Payments     []pasarela.Payment
	Older, Newer bool
}

// SearchPayments returns a page of the caller's payments matching f: a
// user's across the client's applications (or the one f names), an
// application key's in its own application only. An application of
// another client is not found.
func (s *Service) SearchPayments(ctx context.Context, f PaymentSearch) (*PaymentPage, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if p.ApplicationID != 0 {
		if f.ApplicationID != 0 && f.ApplicationID != p.ApplicationID {
			return nil, pasarela.NotFound("application")
		}
		f.ApplicationID = p.ApplicationID
	}
	// Deposits follow their own visibility rule (depositViewer): a
	// terminal user sees only the deposits it created, here as through
	// ListDeposits and GetDeposit.
	viewer, err := viewerOf(ctx)
	if err != nil {
		return nil, err
	}
	f.DepositsOf = viewer.userID
	var v pasarela.Validation
	if f.Status != "" && !pasarela.PaymentStatus(f.Status).Valid() {
		v.Add("status", "enum", "unknown status "+quoteField(f.Status))
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Add("from", "range", "must be before to")
	}
	checkText(&v, "q", &f.TransactionOrRef, false, 255)
	checkText(&v, "email", &f.Email, false, 254)
	f.Email = strings.ToLower(f.Email)
	if f.Last4 != "" && (len(f.Last4) != 4 || strings.Trim(f.Last4, "0123456789") != "") {
		v.Add("last4", "format", "must be the card's last 4 digits")
	}
	switch {
	case f.Limit == 0:
		f.Limit = 50
	case f.Limit < 0 || f.Limit > MaxSearchPage:
		v.Add("limit", "range", "must be between 1 and 500")
	}
	if f.Before < 0 || f.After < 0 || f.Before != 0 && f.After != 0 {
		v.Add("before", "range", "one of before and after, each a payment id")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether another page follows
	var rows []pasarela.Payment
	err = s.db.View(ctx, func(tx *store.Tx) error {
		if f.ApplicationID != 0 {
			if _, err := applicationAccessTx(ctx, tx, f.ApplicationID, false); err != nil {
				return err
			}
		}
		var err error
		rows, err = tx.SearchPayments(ctx, p.ClientID, f)
		return err
	})
	if err != nil {
		return nil, err
	}
	page := &PaymentPage{}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	if f.After != 0 {
		slices.Reverse(rows)
		page.Newer, page.Older = more, true
	} else {
		page.Older, page.Newer = more, f.Before != 0
	}
	page.Payments = rows
	return page, nil
}

// FindPayment returns the caller's payment id, whichever of the client's
// applications it belongs to (for a person's view, whose addresses name a
// payment by its id alone); another client's is not found.
func (s *Service) FindPayment(ctx context.Context, id int64) (*pasarela.Payment, error) {
	page, err := s.SearchPayments(ctx, PaymentSearch{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(page.Payments) == 0 {
		return nil, pasarela.NotFound("payment")
	}
	return &page.Payments[0], nil
}

// PaymentDeliveries returns the latest webhook deliveries of a payment's
// events (up to 50, newest first), without their attempt logs.
func (s *Service) PaymentDeliveries(ctx context.Context, appID, paymentID int64) ([]pasarela.Delivery, error) {
	var out []pasarela.Delivery
	err := s.db.View(ctx, func(tx *store.Tx) error {
		p, err := applicationAccessTx(ctx, tx, appID, false)
		if err != nil {
			return err
		}
		if _, err := tx.GetPayment(ctx, p.ClientID, appID, paymentID); err != nil {
			return err
		}
		all, err := tx.EntityDeliveries(ctx, p.ClientID, "payment", paymentID, 50)
		out = all[:0]
		for _, d := range all {
			if d.ApplicationID == appID {
				out = append(out, d)
			}
		}
		return err
	})
	return out, err
}
