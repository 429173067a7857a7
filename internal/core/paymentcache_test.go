package core_test

import (
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
)

// TestPaymentCacheFollowsChanges: an application key's reads of a payment
// are served from memory on SQLite (see core.GetPayment), and every change
// the gateway makes shows in the next read: the payment's own (paid,
// refunded), what hangs from it (a refund, a link) and a child's (a
// subscription's later cycles show in the first cycle's payment). A
// change made behind the server's back shows once the entry expires; a
// caller changing its answer changes nobody else's; another tenant's key
// finds nothing. On PostgreSQL nothing is cached and the same holds.
func TestPaymentCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, e *env) {
		cfg := e.MustSandbox()
		p := e.MustPayment(core.PaymentInput{Description: "Tea"})
		if d := e.MustGet(p.ID); d.Status != pasarela.StatusPending || len(d.Links) != 0 {
			t.Fatalf("new payment: %s, %d links", d.Status, len(d.Links))
		}
		// A caller that changes its copy changes nothing for the next.
		e.MustGet(p.ID).Status = pasarela.StatusFailed
		if d := e.MustGet(p.ID); d.Status != pasarela.StatusPending {
			t.Fatalf("a caller's change reached the next caller: %s", d.Status)
		}

		l := e.MustLink(p.ID, cfg.ID)
		if d := e.MustGet(p.ID); len(d.Links) != 1 || d.Links[0].ID != l.ID {
			t.Fatalf("after a link: %+v", d.Links)
		}
		e.MustPay(p.CheckoutToken, cardVisa)
		if d := e.MustGet(p.ID); d.Status != pasarela.StatusCompleted || d.Card == nil || d.Card.Last4 != "4242" {
			t.Fatalf("after paying: %s, card %+v", d.Status, d.Card)
		}
		if _, _, err := e.svc.Refund(e.app(), e.appID(), p.ID, core.RefundInput{Amount: 300}, nil); err != nil {
			t.Fatal(err)
		}
		if d := e.MustGet(p.ID); d.Status != pasarela.StatusPartiallyRefunded || len(d.Refunds) != 1 || d.Refunded != 300 {
			t.Fatalf("after a refund: %s, refunded %d, %d refunds", d.Status, d.Refunded, len(d.Refunds))
		}

		// Another tenant's key: neither through its own application nor
		// through A's.
		if _, err := e.svc.GetPayment(e.B.AppCtx(e.ctx), e.B.App.ID, p.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("B's key, B's application: %v", err)
		}
		if _, err := e.svc.GetPayment(e.B.AppCtx(e.ctx), e.appID(), p.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Fatalf("B's key, A's application: %v", err)
		}

		// Behind the server's back (an operator's SQL): SQLite answers
		// from memory until the entry expires.
		if _, err := e.db.Raw.ExecContext(e.ctx, `UPDATE payments SET description = 'Coffee' WHERE id = $1`, p.ID); err != nil {
			t.Fatal(err)
		}
		want := "Tea"
		if e.db.Engine() == "postgres" {
			want = "Coffee"
		}
		if d := e.MustGet(p.ID); d.Description != want {
			t.Fatalf("right after a change behind the server's back: %q, want %q", d.Description, want)
		}
		e.clock.Advance(31 * time.Second)
		if d := e.MustGet(p.ID); d.Description != "Coffee" {
			t.Fatalf("31 s after a change behind the server's back: %q", d.Description)
		}

		// A subscription's first payment is its later payments' parent.
		sub := e.MustConfirmed(cfg.ID, core.SubscriptionInput{Cycles: 2}, card(cardVisa))
		if r := e.step(); r.Paid != 1 {
			t.Fatalf("first cycle: %+v", r)
		}
		first := e.MustSub(sub.ID).Payments[0]
		e.at(sub.StartDate.AddDate(0, 1, 0))
		// Read when the clock has moved (a month outlives any entry).
		if d := e.MustGet(first.ID); len(d.Children) != 0 {
			t.Fatalf("first cycle's payment has %d children", len(d.Children))
		}
		if r := e.step(); r.Paid != 1 {
			t.Fatalf("second cycle: %+v", r)
		}
		d := e.MustGet(first.ID)
		if len(d.Children) != 1 || d.Children[0].Status != pasarela.StatusCompleted {
			t.Fatalf("after the second cycle, the first cycle's payment's children: %+v", d.Children)
		}
	})
}
