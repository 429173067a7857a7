package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testBadText: a text with a NUL byte or invalid UTF-8 never reaches the
// database, on either engine. PostgreSQL would refuse it with an error
// (SQLSTATE 22021) that surfaced as an internal error, while SQLite
// compared it like any text; both now answer the same: a lookup finds
// nothing, a write is refused as invalid, and the transaction goes on.
func testBadText(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.text")
	u := MustUser(t, db, c.ID, "ana")
	app := MustApplication(t, db, c.ID, "Text")
	for _, bad := range []string{"ana\x00", "an\xffa", "\x00", "SHOP_Text\x00", "\xc3"} {
		MustView(t, db, func(tx *store.Tx) error {
			if _, err := tx.GetUserByLogin(ctx, bad); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("GetUserByLogin(%q): %v, want not found", bad, err)
			}
			if _, err := tx.GetApplicationByShopLogin(ctx, bad); pasarela.ErrorKind(err) != pasarela.KindNotFound {
				t.Errorf("GetApplicationByShopLogin(%q): %v, want not found", bad, err)
			}
			// The transaction is still usable: nothing failed in the database.
			if got, err := tx.GetUserByLogin(ctx, u.Username); err != nil || got.ID != u.ID {
				t.Errorf("lookup after a refused text: %v", err)
			}
			return nil
		})
		err := db.Update(ctx, func(tx *store.Tx) error {
			a := NewApplication(c.ID, "other")
			a.Name = "name " + bad
			return tx.CreateApplication(ctx, a)
		})
		if !errors.Is(err, store.ErrText) || pasarela.ErrorKind(err) != pasarela.KindInvalid {
			t.Errorf("write of %q: %v, want store.ErrText", bad, err)
		}
	}
	MustView(t, db, func(tx *store.Tx) error {
		if got, err := tx.GetApplicationByShopLogin(ctx, app.ShopLogin); err != nil || got.ID != app.ID {
			t.Errorf("the application: %v", err)
		}
		return nil
	})
}
