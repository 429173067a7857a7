package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testEvents: events, webhooks and deliveries round-trip, stay inside their
// client, and the delivery queue's claim hands a due row to one claimer
// only, even when many claim at once on several connections.
// testFormat is the webhook format of the suite's endpoints: the store keeps
// a format as the core gives it, whichever face's it is.
const testFormat = "format_under_test"

func testEvents(t *testing.T, db store.DB) {
	ctx := context.Background()
	a := MustClient(t, db, "evta")
	b := MustClient(t, db, "evtb")
	appA := MustApplication(t, db, a.ID, "evta_web")
	appB := MustApplication(t, db, b.ID, "evtb_web")

	hook := &store.WebhookRow{Webhook: pasarela.Webhook{ClientID: a.ID, ApplicationID: appA.ID, Method: "POST",
		Targets: []string{"https://a.example.com/1", "https://a.example.com/2"}, Entity: "payment",
		Format: testFormat, Events: []string{"payment.completed"}, CreatedAt: Base, UpdatedAt: Base}, SealedSecret: []byte{1, 2, 3}}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateWebhook(ctx, hook) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetWebhook(ctx, a.ID, appA.ID, hook.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "webhook read back", *got, *hook)
		if _, err := tx.GetWebhook(ctx, b.ID, appA.ID, hook.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("another client reads the webhook: %v", err)
		}
		if _, err := tx.GetWebhook(ctx, b.ID, appB.ID, hook.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("another client's application reads the webhook: %v", err)
		}
		subs, err := tx.SubscribedWebhooks(ctx, a.ID, 0, "payment")
		if err != nil || len(subs) != 1 {
			t.Errorf("client-wide subscribers %d (%v), want 1", len(subs), err)
		}
		subs, err = tx.SubscribedWebhooks(ctx, b.ID, 0, "payment")
		if err != nil || len(subs) != 0 {
			t.Errorf("B's subscribers %d (%v), want 0", len(subs), err)
		}
		return nil
	})

	// An application's sealed API key is kept once, replaced by a new
	// one (the claims below carry the second), and seen only by its own
	// client.
	hasKey := func(clientID string, appID int64) bool {
		t.Helper()
		var ok bool
		MustView(t, db, func(tx *store.Tx) (err error) { ok, err = tx.HasSealedKey(ctx, clientID, appID); return err })
		return ok
	}
	if hasKey(a.ID, appA.ID) {
		t.Error("HasSealedKey before any key was kept")
	}
	for _, sealed := range [][]byte{{1}, {2}} {
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.PutSealedKey(ctx, a.ID, appA.ID, sealed, Base) })
	}
	if !hasKey(a.ID, appA.ID) || hasKey(b.ID, appA.ID) || hasKey(b.ID, appB.ID) {
		t.Errorf("HasSealedKey: A's app %v, through B %v, B's app %v; want true, false, false",
			hasKey(a.ID, appA.ID), hasKey(b.ID, appA.ID), hasKey(b.ID, appB.ID))
	}

	// Events in order, and their deliveries.
	const n = 20
	for i := range n {
		MustUpdate(t, db, func(tx *store.Tx) error {
			e := &pasarela.Event{ID: fmt.Sprintf("evt_%03d", n-i), ClientID: a.ID, ApplicationID: appA.ID, Type: "payment.completed",
				Entity: "payment", EntityID: int64(i + 1), Version: pasarela.EventVersion, Data: []byte(`{"id":1}`), CreatedAt: Base}
			if err := tx.CreateEvent(ctx, e); err != nil {
				return err
			}
			for _, target := range hook.Targets {
				d := &pasarela.Delivery{ClientID: a.ID, ApplicationID: appA.ID, WebhookID: hook.ID, EventID: e.ID,
					Target: target, Status: pasarela.DeliveryPending, NextAttemptAt: Base, CreatedAt: Base, UpdatedAt: Base}
				if err := tx.CreateDelivery(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
	}
	MustView(t, db, func(tx *store.Tx) error {
		evs, err := tx.ListEvents(ctx, a.ID, store.EventFilter{Entity: "payment"}, 0)
		if err != nil || len(evs) != n || evs[0].ID != fmt.Sprintf("evt_%03d", n) || evs[n-1].ID != "evt_001" {
			t.Errorf("events %d (%v), want %d in the order written", len(evs), err, n)
		} else if evs[0].Version != pasarela.EventVersion || string(evs[0].Data) != `{"id":1}` {
			t.Errorf("event read back with version %d and data %s", evs[0].Version, evs[0].Data)
		}
		if evs, _ := tx.ListEvents(ctx, b.ID, store.EventFilter{}, 0); len(evs) != 0 {
			t.Errorf("B sees %d of A's events", len(evs))
		}
		if _, err := tx.GetEvent(ctx, b.ID, "evt_001"); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B reads A's event: %v", err)
		}
		if _, total, err := tx.ListDeliveries(ctx, b.ID, hook.ID, store.DeliveryFilter{}, pasarela.ListOptions{}); err != nil || total != 0 {
			t.Errorf("B lists %d of A's deliveries (%v)", total, err)
		}
		return nil
	})

	// Claims at once: every due row goes to exactly one claimer.
	now := Base.Add(time.Second)
	var mu sync.Mutex
	owners := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("worker-%d", w)
			for {
				var got []store.ClaimedDelivery
				err := db.Update(ctx, func(tx *store.Tx) error {
					var err error
					got, err = tx.ClaimDeliveries(ctx, owner, now, now.Add(time.Minute), 3, nil)
					return err
				})
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, c := range got {
					if prev, ok := owners[c.ID]; ok {
						t.Errorf("delivery %d claimed by %s and %s", c.ID, prev, owner)
					}
					owners[c.ID] = owner
					if c.Owner != owner || c.Attempts != 1 || c.Method != "POST" || string(c.EventData) != `{"id":1}` ||
						c.EventVersion != pasarela.EventVersion || c.Entity != "payment" || c.Format != testFormat ||
						string(c.SealedSecret) != "\x01\x02\x03" || string(c.SealedKey) != "\x02" || c.EventType != "payment.completed" {
						t.Errorf("claimed %+v", c)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(owners) != 2*n {
		t.Fatalf("claimed %d deliveries, want %d", len(owners), 2*n)
	}

	// Busy targets are skipped; a lost lease finishes nothing.
	later := now.Add(2 * time.Minute)
	var c1 []store.ClaimedDelivery
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		c1, err = tx.ClaimDeliveries(ctx, "late", later, later.Add(time.Minute), 100, []string{"https://a.example.com/2"})
		return err
	})
	if len(c1) != n {
		t.Fatalf("claimed %d with a busy target, want %d", len(c1), n)
	}
	for _, c := range c1 {
		if c.Target != "https://a.example.com/1" || c.Attempts != 2 {
			t.Fatalf("claimed %+v past the busy target", c.Delivery)
		}
	}
	stale := c1[0]
	stale.Owner = "worker-0"
	MustUpdate(t, db, func(tx *store.Tx) error {
		held, err := tx.FinishDelivery(ctx, &stale, store.DeliveryOutcome{Status: pasarela.DeliveryDelivered, NextAttemptAt: later}, later)
		if held {
			t.Error("a lost lease finished a delivery")
		}
		if err != nil {
			return err
		}
		held, err = tx.FinishDelivery(ctx, &c1[0], store.DeliveryOutcome{Status: pasarela.DeliveryDelivered, NextAttemptAt: later,
			HTTPStatus: 200, DeliveredAt: &later}, later)
		if !held {
			t.Error("the lease holder could not finish")
		}
		if err != nil {
			return err
		}
		at := &pasarela.DeliveryAttempt{DeliveryID: c1[0].ID, Attempt: 2, Status: 200, Latency: 1500 * time.Microsecond,
			Response: "ok", CreatedAt: later}
		if err := tx.AddDeliveryAttempt(ctx, a.ID, at); err != nil {
			return err
		}
		// Another client cannot log against A's delivery.
		err = tx.AddDeliveryAttempt(ctx, b.ID, &pasarela.DeliveryAttempt{DeliveryID: c1[0].ID, Attempt: 9, CreatedAt: later})
		if pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B logs an attempt of A's delivery: %v", err)
		}
		return nil
	})
	MustView(t, db, func(tx *store.Tx) error {
		d, err := tx.GetDelivery(ctx, a.ID, hook.ID, c1[0].ID)
		if err != nil {
			return err
		}
		if d.Status != pasarela.DeliveryDelivered || d.DeliveredAt == nil || !d.DeliveredAt.Equal(later) || d.LastStatus != 200 {
			t.Errorf("finished delivery %+v", d)
		}
		ds, total, err := tx.ListDeliveries(ctx, a.ID, hook.ID, store.DeliveryFilter{Status: "delivered"}, pasarela.ListOptions{})
		if err != nil || total != 1 || len(ds[0].Log) != 1 || ds[0].Log[0].Latency != 1500*time.Microsecond || ds[0].Log[0].Response != "ok" {
			t.Errorf("delivered list %+v (%v)", ds, err)
		}
		return nil
	})

	// Retry: refused while in flight, allowed after; other clients cannot.
	MustUpdate(t, db, func(tx *store.Tx) error {
		if err := tx.RetryDelivery(ctx, a.ID, hook.ID, c1[1].ID, later); pasarela.ErrorKind(err) != pasarela.KindConflict {
			t.Errorf("retry in flight: %v", err)
		}
		if err := tx.RetryDelivery(ctx, b.ID, hook.ID, c1[0].ID, later); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B retries A's delivery: %v", err)
		}
		return tx.RetryDelivery(ctx, a.ID, hook.ID, c1[0].ID, later)
	})

	// Disabling ends the pending deliveries; deleting removes them.
	MustUpdate(t, db, func(tx *store.Tx) error {
		if err := tx.DisableWebhook(ctx, b.ID, hook.ID, "gone", later); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B disables A's webhook: %v", err)
		}
		return tx.DisableWebhook(ctx, a.ID, hook.ID, "gone", later)
	})
	MustView(t, db, func(tx *store.Tx) error {
		_, pending, err := tx.ListDeliveries(ctx, a.ID, hook.ID, store.DeliveryFilter{Status: "pending"}, pasarela.ListOptions{})
		if err != nil || pending != 0 {
			t.Errorf("%d pending after disabling (%v)", pending, err)
		}
		subs, _ := tx.SubscribedWebhooks(ctx, a.ID, appA.ID, "payment")
		if len(subs) != 0 {
			t.Error("a disabled webhook is still subscribed")
		}
		return nil
	})
	MustUpdate(t, db, func(tx *store.Tx) error {
		if err := tx.DeleteWebhook(ctx, b.ID, appA.ID, hook.ID); pasarela.ErrorKind(err) != pasarela.KindNotFound {
			t.Errorf("B deletes A's webhook: %v", err)
		}
		return tx.DeleteWebhook(ctx, a.ID, appA.ID, hook.ID)
	})
	MustView(t, db, func(tx *store.Tx) error {
		if _, total, err := tx.ListDeliveries(ctx, a.ID, hook.ID, store.DeliveryFilter{}, pasarela.ListOptions{}); err != nil || total != 0 {
			t.Errorf("%d deliveries left after deleting the webhook (%v)", total, err)
		}
		return nil
	})
}
