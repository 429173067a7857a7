package store

import (
	"cmp"
	"context"
	"slices"

	"github.com/pasarela/pasarela"
)

// Creating a payment adds it to four rows of payment_buckets_created (its
// quarter of an hour, its hour, its four hours and its UTC day; see the
// stats migration). A trigger did that for every payment: four upserts per
// row, and on PostgreSQL row locks on the shared rows held from the insert
// to the commit. The engines' writers commit many creates in one
// transaction, and those share their rows, so the store adds them up in a
// Rollup instead and the engine writes the sums once, just before COMMIT
// (one upsert per distinct row, in one order). Changes and deletions of
// payments still move their rows through the triggers.
//
// payment_counts (an application's payments per status) is kept the same
// way since migration 21: a trigger upserted one counter row per payment
// created, and on PostgreSQL every create of a group rewrote that row
// again (about a quarter of PostgreSQL's CPU per create: BENCHMARKS.md,
// third pass); now a group adds its creates to each row once.

// BucketRow is one row of payment_buckets_created and what to add to it.
type BucketRow struct {
	ClientID      string
	ApplicationID int64
	Status        string
	Slot          int64
	Day           int64
	Currency      string
	Shard         int64 // 0 where the engine keeps no shards
	Count         int64
	Amount        int64
	Refunded      int64
}

type bucketKey struct {
	clientID      string
	applicationID int64
	status        string
	slot, day     int64
	currency      string
	shard         int64
}

type bucketSum struct{ count, amount, refunded int64 }

// CountRow is one row of payment_counts and what to add to it. The engine
// picks the shard (see AddCounts).
type CountRow struct {
	ClientID      string
	ApplicationID int64
	Status        string
	Count         int64
}

type countKey struct {
	clientID      string
	applicationID int64
	status        string
}

// Rollup adds up the bucket and count rows of the payments created in one
// transaction (or one savepoint of it). The zero value is empty and ready.
type Rollup struct {
	m      map[bucketKey]bucketSum
	counts map[countKey]int64
}

// addCreated adds a new payment to its four rows; shards is the engine's
// number of row shards (the payment's id picks one, as the triggers do).
func (r *Rollup) addCreated(p *pasarela.Payment, shards int64) {
	if r.m == nil {
		r.m = make(map[bucketKey]bucketSum, 4)
		r.counts = make(map[countKey]int64, 1)
	}
	r.counts[countKey{p.ClientID, p.ApplicationID, string(p.Status)}]++
	const day, quarter, hour, fourHours = 86_400_000_000, 900_000_000, 3_600_000_000, 14_400_000_000
	c := micros(p.CreatedAt)
	var shard int64
	if shards > 1 {
		shard = p.ID % shards
	}
	for _, slot := range [4]int64{(c % day) / quarter, 96 + (c%day)/hour, 120, 121 + (c%day)/fourHours} {
		k := bucketKey{p.ClientID, p.ApplicationID, string(p.Status), slot, c / day, p.Currency, shard}
		s := r.m[k]
		r.m[k] = bucketSum{s.count + 1, s.amount + p.Amount, s.refunded + p.Refunded}
	}
}

// Merge adds o's rows to r.
func (r *Rollup) Merge(o *Rollup) {
	if len(o.m) == 0 {
		return
	}
	if r.m == nil {
		r.m = make(map[bucketKey]bucketSum, len(o.m))
		r.counts = make(map[countKey]int64, len(o.counts))
	}
	for k, v := range o.m {
		s := r.m[k]
		r.m[k] = bucketSum{s.count + v.count, s.amount + v.amount, s.refunded + v.refunded}
	}
	for k, v := range o.counts {
		r.counts[k] += v
	}
}

// Reset empties r, keeping its memory.
func (r *Rollup) Reset() {
	clear(r.m)
	clear(r.counts)
}

// Len is how many distinct bucket rows r holds (every create adds to
// both kinds of rows, so no buckets means no counts either).
func (r *Rollup) Len() int { return len(r.m) }

// CountRows returns r's payment_counts rows in one fixed order.
func (r *Rollup) CountRows() []CountRow {
	rows := make([]CountRow, 0, len(r.counts))
	for k, v := range r.counts {
		rows = append(rows, CountRow{ClientID: k.clientID, ApplicationID: k.applicationID, Status: k.status, Count: v})
	}
	slices.SortFunc(rows, func(a, b CountRow) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ApplicationID, b.ApplicationID),
			cmp.Compare(a.Status, b.Status))
	})
	return rows
}

// Rows returns r's rows in one fixed order, the one in which the triggers
// of a status change take a payment's rows (status, then slot), so that a
// writer flushing a group and a transaction changing a payment never wait
// on each other's rows in a cycle.
func (r *Rollup) Rows() []BucketRow {
	rows := make([]BucketRow, 0, len(r.m))
	for k, v := range r.m {
		rows = append(rows, BucketRow{ClientID: k.clientID, ApplicationID: k.applicationID, Status: k.status,
			Slot: k.slot, Day: k.day, Currency: k.currency, Shard: k.shard, Count: v.count, Amount: v.amount, Refunded: v.refunded})
	}
	slices.SortFunc(rows, func(a, b BucketRow) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ApplicationID, b.ApplicationID),
			cmp.Compare(a.Day, b.Day), cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Shard, b.Shard),
			cmp.Compare(a.Status, b.Status), cmp.Compare(a.Slot, b.Slot))
	})
	return rows
}

// DeferRollups makes tx add the bucket rows of the payments it creates to
// r, which the engine writes with FlushRollup before it commits; without
// it, each create writes its rows at once.
func (tx *Tx) DeferRollups(r *Rollup) { tx.rollup = r }

// addCreated accounts for a payment just inserted.
func (tx *Tx) addCreated(ctx context.Context, p *pasarela.Payment) error {
	if tx.rollup != nil {
		tx.rollup.addCreated(p, tx.d.BucketShards)
		return nil
	}
	var r Rollup
	r.addCreated(p, tx.d.BucketShards)
	// The texts were checked by the payment's insert.
	return FlushRollup(ctx, tx.q.q, tx.d, &r)
}

// flushDeferred writes the rows this transaction's creates have put off,
// before a statement whose triggers move a payment out of its rows: a
// payment created and changed in one call must be in them first.
func (tx *Tx) flushDeferred(ctx context.Context) error {
	if tx.rollup == nil || tx.rollup.Len() == 0 {
		return nil
	}
	err := FlushRollup(ctx, tx.q.q, tx.d, tx.rollup)
	tx.rollup.Reset()
	return err
}

// FlushRollup adds r's rows to payment_buckets_created and payment_counts
// in q, each in the order of Rows and CountRows.
func FlushRollup(ctx context.Context, q Querier, d Dialect, r *Rollup) error {
	if r.Len() == 0 {
		return nil
	}
	if err := d.AddBuckets(ctx, q, r.Rows()); err != nil {
		return d.Translate(err)
	}
	if err := d.AddCounts(ctx, q, r.CountRows()); err != nil {
		return d.Translate(err)
	}
	return nil
}
