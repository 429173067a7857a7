package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

var errCallback = errors.New("callback refused")

// testUpdateRollsBack checks that a callback's error discards everything
// the callback wrote and reaches the caller unchanged.
func testUpdateRollsBack(t *testing.T, db store.DB) {
	ctx := context.Background()
	before := MustSnapshot(t, db)
	err := db.Update(ctx, func(tx *store.Tx) error {
		c := NewClient("com.doomed")
		if err := tx.CreateClient(ctx, c); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, NewUser(c.ID, "doomed")); err != nil {
			return err
		}
		if err := tx.CreateApplication(ctx, NewApplication(c.ID, "doomed")); err != nil {
			return err
		}
		return fmt.Errorf("after three writes: %w", errCallback)
	})
	if !errors.Is(err, errCallback) {
		t.Fatalf("Update = %v, want the callback's error", err)
	}
	MustEqual(t, "database after a failed Update", MustSnapshot(t, db), before)
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetUserByLogin(ctx, "doomed")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		_, err = tx.GetApplicationByKeyPrefix(ctx, "pk_doomed")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})
}

// updateRecovering calls db.Update and also catches a panic that comes
// back out of it: an engine either turns a panicking callback into an
// error (SQLite, whose writer serves every caller) or lets the panic go on
// in the caller's goroutine (PostgreSQL).
func updateRecovering(ctx context.Context, db store.DB, fn func(*store.Tx) error) (panicked any, err error) {
	defer func() { panicked = recover() }()
	return nil, db.Update(ctx, fn)
}

// testUpdatePanic checks that a panicking callback writes nothing and
// leaves the database working. It panics more times than a connection pool
// has connections, so that a transaction left open by a panic would show
// as a hang or an error here.
func testUpdatePanic(t *testing.T, db store.DB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before := MustSnapshot(t, db)
	for i := range 25 {
		panicked, err := updateRecovering(ctx, db, func(tx *store.Tx) error {
			if err := tx.CreateClient(ctx, NewClient(fmt.Sprintf("com.panic%d", i))); err != nil {
				return err
			}
			panic("callback panics")
		})
		switch {
		case panicked == nil && err == nil:
			t.Fatal("a panicking callback returned no error")
		case panicked == nil:
			MustErrorKind(t, err, pasarela.KindInternal, "")
		case panicked != "callback panics":
			t.Fatalf("recovered %v, want the callback's panic", panicked)
		}
	}
	MustEqual(t, "database after panics", MustSnapshot(t, db), before)
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreateClient(ctx, NewClient("com.after")) }); err != nil {
		t.Fatalf("Update after panics: %v", err)
	}
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetClientByCode(ctx, "com.after")
		return err
	})
}

const concurrency = 64

// testConcurrentUpdates has many callers write at once: every write
// commits, whatever the engine does to group them.
func testConcurrentUpdates(t *testing.T, db store.DB) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, concurrency)
	for i := range concurrency {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx *store.Tx) error {
				c := NewClient(fmt.Sprintf("com.c%02d", i))
				if err := tx.CreateClient(ctx, c); err != nil {
					return err
				}
				return tx.CreateUser(ctx, NewUser(c.ID, fmt.Sprintf("u%02d", i)))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	snap := MustSnapshot(t, db)
	if len(snap.Clients) != concurrency {
		t.Fatalf("%d clients committed, want %d", len(snap.Clients), concurrency)
	}
	for _, c := range snap.Clients {
		if len(snap.Users[c.ID]) != 1 {
			t.Errorf("client %s has %d users, want 1", c.Code, len(snap.Users[c.ID]))
		}
	}
}

// testConcurrentFailures queues many callers behind one that holds the
// write path, so that on SQLite they commit as one group, and has some of
// them fail in different ways: each failure must roll back alone, its
// earlier statements included, while the others commit.
func testConcurrentFailures(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.dup")
	MustUser(t, db, acme.ID, "taken")

	type outcome int
	const (
		commits outcome = iota
		duplicateCode
		callbackError
		duplicateUsername // after a client insert that must vanish too
		panics
		outcomes
	)
	write := func(i int, kind outcome) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			c := NewClient(fmt.Sprintf("com.g%02d", i))
			if kind == duplicateCode {
				c.Code = "com.dup"
			}
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
			username := fmt.Sprintf("g%02d", i)
			if kind == duplicateUsername {
				username = "taken"
			}
			u := NewUser(c.ID, username)
			u.Email = fmt.Sprintf("g%02d@example.com", i)
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			switch kind {
			case callbackError:
				return errCallback
			case panics:
				panic("callback panics")
			}
			return nil
		}
	}

	// The first caller holds the write path (on SQLite, the writer
	// goroutine) until every other caller is waiting to be served.
	entered, release := make(chan struct{}), make(chan struct{})
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- db.Update(ctx, func(tx *store.Tx) error {
			close(entered)
			<-release
			return tx.CreateClient(ctx, NewClient("com.holder"))
		})
	}()
	<-entered
	n := concurrency - 1
	errs := make([]error, n)
	var started, wg sync.WaitGroup
	started.Add(n)
	for i := range n {
		wg.Go(func() {
			started.Done()
			var panicked any
			panicked, errs[i] = updateRecovering(ctx, db, write(i, outcome(i)%outcomes))
			if panicked != nil {
				errs[i] = fmt.Errorf("panic: %v", panicked)
			}
		})
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let them reach the write path
	close(release)
	wg.Wait()
	if err := <-holderDone; err != nil {
		t.Fatalf("holder: %v", err)
	}

	snap := MustSnapshot(t, db)
	committed := map[string]bool{}
	for _, c := range snap.Clients {
		committed[c.Code] = true
	}
	for i, err := range errs {
		code := fmt.Sprintf("com.g%02d", i)
		switch kind := outcome(i) % outcomes; kind {
		case commits:
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			if !committed[code] {
				t.Errorf("caller %d succeeded but its client is missing", i)
			} else if users := snap.Users["cli_"+code]; len(users) != 1 {
				t.Errorf("caller %d succeeded but its client has %d users", i, len(users))
			}
		case duplicateCode:
			MustErrorKind(t, err, pasarela.KindConflict, "code")
		case callbackError:
			if !errors.Is(err, errCallback) {
				t.Errorf("caller %d: %v, want the callback's error", i, err)
			}
		case duplicateUsername:
			MustErrorKind(t, err, pasarela.KindConflict, "username")
		case panics:
			if err == nil {
				t.Errorf("caller %d panicked but got no error", i)
			}
		}
		if outcome(i)%outcomes != commits && committed[code] {
			t.Errorf("caller %d failed but its client %s was committed", i, code)
		}
	}
	if !committed["com.holder"] {
		t.Error("the holder's client is missing")
	}
	wantClients := 2 // com.dup and com.holder
	for i := range n {
		if outcome(i)%outcomes == commits {
			wantClients++
		}
	}
	if len(snap.Clients) != wantClients {
		t.Errorf("%d clients, want %d", len(snap.Clients), wantClients)
	}
}

func testViewSeesCommitted(t *testing.T, db store.DB) {
	ctx := context.Background()
	for i := range 20 {
		code := fmt.Sprintf("com.v%02d", i)
		done := make(chan error)
		go func() {
			done <- db.Update(ctx, func(tx *store.Tx) error { return tx.CreateClient(ctx, NewClient(code)) })
		}()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Once Update has returned, every later View sees the write.
		MustView(t, db, func(tx *store.Tx) error {
			_, err := tx.GetClientByCode(ctx, code)
			return err
		})
	}
}

// testViewSnapshot checks that a View sees one snapshot: a list's total and
// its page must agree even while writes commit.
func testViewSnapshot(t *testing.T, db store.DB) {
	ctx := context.Background()
	MustClient(t, db, "com.before")
	MustView(t, db, func(tx *store.Tx) error {
		first, err := tx.ListClients(ctx)
		if err != nil {
			return err
		}
		MustClient(t, db, "com.during")
		second, err := tx.ListClients(ctx)
		if err != nil {
			return err
		}
		MustEqual(t, "clients read twice in one View around a commit", second, first)
		return nil
	})
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetClientByCode(ctx, "com.during")
		return err
	})
}

func testViewIsReadOnly(t *testing.T, db store.DB) {
	ctx := context.Background()
	err := db.View(ctx, func(tx *store.Tx) error { return tx.CreateClient(ctx, NewClient("com.sneaky")) })
	if err == nil {
		t.Fatal("a write inside View succeeded")
	}
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetClientByCode(ctx, "com.sneaky")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})
}

// testReadOne: ReadOne reads with one SELECT outside a transaction, and
// refuses a second statement (another snapshot) and a write (it would
// commit at once), which then leaves nothing written.
func testReadOne(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := NewClient("com.readone")
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateClient(ctx, c) })
	if err := db.ReadOne(ctx, func(tx *store.Tx) error {
		got, err := tx.GetClientByCode(ctx, "com.readone")
		if err == nil && got.ID != c.ID {
			t.Errorf("read client %q, want %q", got.ID, c.ID)
		}
		return err
	}); err != nil {
		t.Fatalf("one statement: %v", err)
	}
	err := db.ReadOne(ctx, func(tx *store.Tx) error {
		if _, err := tx.GetClientByCode(ctx, "com.readone"); err != nil {
			return err
		}
		_, err := tx.GetClientByCode(ctx, "com.readone")
		return err
	})
	if !errors.Is(err, store.ErrReadOne) {
		t.Errorf("a second statement: %v, want ErrReadOne", err)
	}
	err = db.ReadOne(ctx, func(tx *store.Tx) error { return tx.CreateClient(ctx, NewClient("com.sneaky")) })
	if !errors.Is(err, store.ErrReadOne) {
		t.Errorf("a write: %v, want ErrReadOne", err)
	}
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetClientByCode(ctx, "com.sneaky")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})
}

// testGroupMemo: a group's memo serves an application's configs to the
// group's later calls, and a call that changes configs forgets it, so the
// call itself and those after it read the change.
func testGroupMemo(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.memo")
	app := MustApplication(t, db, c.ID, "shop")
	newConfig := func(code string) *store.GatewayConfigRow {
		return &store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ClientID: c.ID, ApplicationID: app.ID,
			Gateway: "sandbox", Name: code, Code: "memo-" + code, Weight: 1, Enabled: true, CreatedAt: Base, UpdatedAt: Base}}
	}
	var m store.GroupMemo
	configs := func(tx *store.Tx) int {
		rows, err := tx.ApplicationGatewayConfigs(ctx, c.ID, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	MustUpdate(t, db, func(tx *store.Tx) error {
		tx.ShareMemo(&m)
		if n := configs(tx); n != 0 {
			t.Errorf("%d configs of a new application", n)
		}
		return nil
	})
	// Another transaction writes behind the memo's back: a call of the
	// same group (sharing the memo) still reads the group's first read.
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateGatewayConfig(ctx, newConfig("a")) })
	MustUpdate(t, db, func(tx *store.Tx) error {
		tx.ShareMemo(&m)
		if n := configs(tx); n != 0 {
			t.Errorf("the memo's later call read %d configs, want the memo's 0", n)
		}
		// A change through the memo's Tx forgets it.
		if err := tx.CreateGatewayConfig(ctx, newConfig("b")); err != nil {
			return err
		}
		if n := configs(tx); n != 2 {
			t.Errorf("after its own change a call read %d configs, want 2", n)
		}
		return nil
	})
	m.Reset()
	MustUpdate(t, db, func(tx *store.Tx) error {
		tx.ShareMemo(&m)
		if n := configs(tx); n != 2 {
			t.Errorf("after Reset: %d configs, want 2", n)
		}
		return nil
	})
}
