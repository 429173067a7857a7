package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testStats creates payments of two clients and changes them the ways the
// core does (paid, refunded in part and in full, failed, expired), then
// checks every statistics query against figures computed here from the
// payments themselves: the rollup the engine keeps by triggers must equal
// the sum it stands for, day buckets must follow the offset, and no query
// may count another client's payments.
func testStats(t *testing.T, db store.DB) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	type tenantFixture struct {
		client  *pasarela.Client
		apps    []*pasarela.Application
		configs map[int64][]int64 // per application
	}
	var tenants []tenantFixture
	for _, code := range []string{"com.statsa", "com.statsb"} {
		c := MustClient(t, db, code)
		tf := tenantFixture{client: c, configs: map[int64][]int64{}}
		for i := range 2 {
			a := MustApplication(t, db, c.ID, fmt.Sprintf("%s%d", strings.TrimPrefix(code, "com."), i))
			tf.apps = append(tf.apps, a)
			for j := range 2 {
				g := &store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ClientID: c.ID, ApplicationID: a.ID,
					Gateway: "sandbox", Name: fmt.Sprintf("cfg%d", j), Code: fmt.Sprintf("%s-%d-%d", code, i, j), Weight: 1,
					Enabled: true, Options: map[string]any{}, CreatedAt: Base, UpdatedAt: Base}}
				MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateGatewayConfig(ctx, g) })
				tf.configs[a.ID] = append(tf.configs[a.ID], g.ID)
			}
		}
		tenants = append(tenants, tf)
	}
	currencies := []string{"EUR", "USD", "MXN"}
	day0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var pays []*pasarela.Payment
	for n := range 240 {
		tf := tenants[n%len(tenants)]
		app := tf.apps[rng.IntN(len(tf.apps))]
		// Times near midnight on purpose, so that offsets move them.
		created := day0.Add(time.Duration(rng.IntN(10))*24*time.Hour + time.Duration(rng.IntN(6)-3)*time.Hour +
			time.Duration(rng.IntN(3600))*time.Second).Truncate(time.Microsecond)
		p := &pasarela.Payment{ClientID: tf.client.ID, ApplicationID: app.ID, TransactionID: fmt.Sprintf("st%06d", n),
			CheckoutToken: fmt.Sprintf("stc%06d", n), Status: pasarela.StatusPending, Type: pasarela.PaymentSimple,
			Amount: int64(1 + rng.IntN(1_000_000)), Currency: currencies[rng.IntN(len(currencies))], Description: "stats",
			Language: "en", Capture: "automatic", CreatedAt: created, UpdatedAt: created}
		if n%7 == 0 {
			// Some arrive already paid (a server-to-server charge).
			done := created.Add(time.Minute)
			p.Status, p.Captured, p.CompletedAt = pasarela.StatusCompleted, p.Amount, &done
			p.GatewayConfig = tf.configs[app.ID][0]
		}
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreatePayment(ctx, p) })
		pays = append(pays, p)
	}
	update := func(p *pasarela.Payment) {
		t.Helper()
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdatePayment(ctx, p) })
	}
	for _, p := range pays {
		tf := tenants[slices.IndexFunc(tenants, func(tf tenantFixture) bool { return tf.client.ID == p.ClientID })]
		switch rng.IntN(6) {
		case 0: // left as it is
		case 1:
			p.Status = pasarela.StatusFailed
			update(p)
		case 2:
			p.Status = pasarela.StatusExpired
			update(p)
		default:
			if p.CompletedAt == nil {
				// Paid hours later: often on another day than created.
				done := p.CreatedAt.Add(time.Duration(rng.IntN(30)) * time.Hour)
				p.Status, p.Captured, p.CompletedAt = pasarela.StatusCompleted, p.Amount, &done
				p.GatewayConfig = tf.configs[p.ApplicationID][rng.IntN(2)]
				update(p)
			}
			if rng.IntN(2) == 0 {
				p.Refunded = p.Captured / 3
				p.Status = pasarela.StatusPartiallyRefunded
				update(p)
				if rng.IntN(2) == 0 {
					p.Refunded, p.Status = p.Captured, pasarela.StatusRefunded
					update(p)
				}
			}
		}
		// A write that changes nothing a total depends on.
		p.UpdatedAt = p.UpdatedAt.Add(time.Second)
		update(p)
	}

	confirmed := func(p *pasarela.Payment) bool { return p.CompletedAt != nil }
	type agg struct{ count, amount, refunded int64 }
	type key struct {
		a    int64
		b    string
		cur  string
		day  int64
		more string
	}
	collect := func(rows []store.StatsRow, k func(r store.StatsRow) key) map[key]agg {
		out := map[key]agg{}
		for _, r := range rows {
			if r.Count == 0 && r.Currency == "" {
				continue
			}
			kk := k(r)
			if _, dup := out[kk]; dup {
				t.Fatalf("two rows for %+v", kk)
			}
			out[kk] = agg{r.Count, r.Amount, r.Refunded}
		}
		return out
	}
	// Every expectation holds some rows, so that no comparison passes by
	// comparing nothing with nothing.
	expect := func(keep func(p *pasarela.Payment) bool, k func(p *pasarela.Payment) key) map[key]agg {
		t.Helper()
		out := map[key]agg{}
		for _, p := range pays {
			if keep(p) {
				kk := k(p)
				a := out[kk]
				a.count++
				a.amount += p.Amount
				a.refunded += p.Refunded
				out[kk] = a
			}
		}
		if len(out) == 0 {
			t.Fatal("the fixtures give this query nothing to count")
		}
		return out
	}
	dayOf := func(ts time.Time, off time.Duration) int64 { return ts.Add(off).Unix() / 86400 }
	// Offsets on each side of every way the rollups add a day up: none
	// moved (UTC), the part before a UTC noon moved (b <= 12 h: -06:00,
	// +12:45, +14:00, -12:00), the part after it (+05:30, -09:45, -14:00),
	// with whole hours and with quarters.
	var offsets []time.Duration
	for _, m := range []int{0, 5*60 + 30, -6 * 60, 12*60 + 45, 14 * 60, -12 * 60, -(9*60 + 45), -14 * 60, 12 * 60, 15} {
		offsets = append(offsets, time.Duration(m)*time.Minute)
	}
	periodOf := func(off time.Duration, from time.Time, days int) store.StatsPeriod {
		return store.StatsPeriod{Start: from.Add(-off), End: from.AddDate(0, 0, days).Add(-off), Offset: off}
	}
	period := func(off time.Duration) store.StatsPeriod {
		// Days 2026-02-02 to 2026-02-08 of the offset: part of the
		// fixtures fall outside on both sides.
		return periodOf(off, day0.AddDate(0, 0, 1), 7)
	}
	periods := func(off time.Duration) []store.StatsPeriod {
		return []store.StatsPeriod{period(off),
			periodOf(off, day0.AddDate(0, 0, 4), 1),   // one day
			periodOf(off, day0.AddDate(0, 0, -2), 14)} // every fixture, and empty days at both ends
	}
	in := func(ts *time.Time, p store.StatsPeriod) bool {
		return ts != nil && !ts.Before(p.Start) && ts.Before(p.End)
	}

	for _, tf := range tenants {
		cid := tf.client.ID
		mine := func(p *pasarela.Payment) bool { return p.ClientID == cid }
		t.Run(cid, func(t *testing.T) {
			var rows []store.StatsRow
			MustView(t, db, func(tx *store.Tx) error {
				var err error
				rows, err = tx.ConfirmedByApplication(ctx, cid)
				return err
			})
			apps := map[int64]bool{}
			for _, r := range rows {
				apps[r.ApplicationID] = true
			}
			if len(apps) != len(tf.apps) {
				t.Fatalf("summary lists applications %v, want the client's %d", apps, len(tf.apps))
			}
			MustEqual(t, "confirmed by application", collect(rows, func(r store.StatsRow) key { return key{a: r.ApplicationID, cur: r.Currency} }),
				expect(func(p *pasarela.Payment) bool { return mine(p) && confirmed(p) },
					func(p *pasarela.Payment) key { return key{a: p.ApplicationID, cur: p.Currency} }))

			for _, app := range tf.apps {
				MustView(t, db, func(tx *store.Tx) error {
					var err error
					rows, err = tx.ConfirmedByGatewayConfig(ctx, cid, app.ID)
					return err
				})
				MustEqual(t, "confirmed by gateway config", collect(rows, func(r store.StatsRow) key { return key{a: r.GatewayConfigID, cur: r.Currency} }),
					expect(func(p *pasarela.Payment) bool { return mine(p) && p.ApplicationID == app.ID && confirmed(p) },
						func(p *pasarela.Payment) key { return key{a: p.GatewayConfig, cur: p.Currency} }))
				for _, r := range rows {
					if r.GatewayConfigID != 0 && (r.Gateway != "sandbox" || !strings.HasPrefix(r.GatewayName, "cfg")) {
						t.Fatalf("config row %+v lacks the config's gateway and name", r)
					}
				}
			}

			for _, off := range offsets {
				for _, sp := range periods(off) {
					MustView(t, db, func(tx *store.Tx) error {
						var err error
						rows, err = tx.ConfirmedDaily(ctx, cid, sp)
						return err
					})
					MustEqual(t, fmt.Sprintf("confirmed daily at %v from %v", off, sp.Start),
						collect(rows, func(r store.StatsRow) key { return key{a: r.ApplicationID, cur: r.Currency, day: r.Day} }),
						expect(func(p *pasarela.Payment) bool { return mine(p) && in(p.CompletedAt, sp) },
							func(p *pasarela.Payment) key {
								return key{a: p.ApplicationID, cur: p.Currency, day: dayOf(*p.CompletedAt, off)}
							}))
					MustView(t, db, func(tx *store.Tx) error {
						var err error
						rows, err = tx.ConfirmedTotals(ctx, cid, sp)
						return err
					})
					MustEqual(t, fmt.Sprintf("confirmed totals at %v from %v", off, sp.Start),
						collect(rows, func(r store.StatsRow) key { return key{cur: r.Currency} }),
						expect(func(p *pasarela.Payment) bool { return mine(p) && in(p.CompletedAt, sp) },
							func(p *pasarela.Payment) key { return key{cur: p.Currency} }))
					for _, app := range tf.apps {
						MustView(t, db, func(tx *store.Tx) error {
							var err error
							rows, err = tx.CreatedDaily(ctx, cid, app.ID, sp)
							return err
						})
						MustEqual(t, fmt.Sprintf("created daily at %v from %v", off, sp.Start),
							collect(rows, func(r store.StatsRow) key { return key{b: r.Status, cur: r.Currency, day: r.Day} }),
							expect(func(p *pasarela.Payment) bool {
								return mine(p) && p.ApplicationID == app.ID && in(&p.CreatedAt, sp)
							}, func(p *pasarela.Payment) key {
								return key{b: string(p.Status), cur: p.Currency, day: dayOf(p.CreatedAt, off)}
							}))
					}

					// The detail pages through exactly the confirmed payments
					// of the period, in order of confirmation, then id.
					var want []int64
					var wantPays []*pasarela.Payment
					for _, p := range pays {
						if mine(p) && in(p.CompletedAt, sp) {
							wantPays = append(wantPays, p)
						}
					}
					slices.SortFunc(wantPays, func(a, b *pasarela.Payment) int {
						if c := a.CompletedAt.Compare(*b.CompletedAt); c != 0 {
							return c
						}
						return int(a.ID - b.ID)
					})
					for _, p := range wantPays {
						want = append(want, p.ID)
					}
					var got []int64
					for offset := 0; ; offset += 7 {
						var page []pasarela.Payment
						MustView(t, db, func(tx *store.Tx) error {
							var err error
							page, err = tx.ListConfirmed(ctx, cid, sp, pasarela.ListOptions{Limit: 7, Offset: offset})
							return err
						})
						for _, p := range page {
							if p.ClientID != cid {
								t.Fatalf("detail of %s shows payment %d of %s", cid, p.ID, p.ClientID)
							}
							got = append(got, p.ID)
						}
						if len(page) < 7 {
							break
						}
					}
					MustEqual(t, fmt.Sprintf("detail ids at %v from %v", off, sp.Start), got, want)
				}
			}
		})
	}

	// Another client's application reads as empty, never as its figures.
	MustView(t, db, func(tx *store.Tx) error {
		other := tenants[1].apps[0].ID
		rows, err := tx.ConfirmedByGatewayConfig(ctx, tenants[0].client.ID, other)
		if err == nil && len(rows) != 0 {
			return fmt.Errorf("client A reads %d rows of client B's application", len(rows))
		}
		if err != nil {
			return err
		}
		rows, err = tx.CreatedDaily(ctx, tenants[0].client.ID, other, period(0))
		if err == nil && len(rows) != 0 {
			return fmt.Errorf("client A reads %d daily rows of client B's application", len(rows))
		}
		return err
	})
}
