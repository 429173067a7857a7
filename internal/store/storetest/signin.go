package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/pasarela/pasarela/internal/store"
)

// testSignInLimits: a key's arrival time moves one step past the later of
// itself and now with every failure, concurrent failures all count, and
// the sweep forgets only the keys whose time has passed.
func testSignInLimits(t *testing.T, db store.DB) {
	ctx := context.Background()
	const step = 12_000_000 // 12 s in microseconds
	now := Base.UnixMicro()
	tat := func(key string) int64 {
		var v int64
		MustView(t, db, func(tx *store.Tx) error {
			var err error
			v, err = tx.SignInTAT(ctx, key)
			return err
		})
		return v
	}
	if got := tat("k1"); got != 0 {
		t.Fatalf("unknown key: %d", got)
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.RecordSignInFailure(ctx, "k1", now, step) })
	if got := tat("k1"); got != now+step {
		t.Fatalf("after one failure: %d, want %d", got, now+step)
	}
	// Ten failures at once, each in its own transaction: all count.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := db.Update(ctx, func(tx *store.Tx) error { return tx.RecordSignInFailure(ctx, "k1", now, step) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := tat("k1"); got != now+11*step {
		t.Fatalf("after eleven failures: %d, want %d", got, now+11*step)
	}
	// A failure long after the last starts from now, not from the old time.
	later := now + 100*step
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.RecordSignInFailure(ctx, "k2", now, step) })
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.RecordSignInFailure(ctx, "k1", later, step) })
	if got := tat("k1"); got != later+step {
		t.Fatalf("after a pause: %d, want %d", got, later+step)
	}
	var swept int64
	MustUpdate(t, db, func(tx *store.Tx) error {
		var err error
		swept, err = tx.SweepSignInLimits(ctx, now+2*step)
		return err
	})
	if swept != 1 || tat("k2") != 0 || tat("k1") != later+step {
		t.Fatalf("sweep removed %d; k1 %d, k2 %d", swept, tat("k1"), tat("k2"))
	}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.RecordSignInFailure(ctx, "k3", now, step) })
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.ForgetSignInLimit(ctx, "k1") })
	if tat("k1") != 0 || tat("k3") != now+step {
		t.Fatalf("after forgetting k1: k1 %d, k3 %d", tat("k1"), tat("k3"))
	}
}
