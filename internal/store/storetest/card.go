package storetest

import (
	"context"
	"testing"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// mustCardConfig stores a sandbox gateway config of an application, which a
// stored card needs for its foreign key.
func mustCardConfig(t *testing.T, db store.DB, app *pasarela.Application) *store.GatewayConfigRow {
	t.Helper()
	g := &store.GatewayConfigRow{GatewayConfig: pasarela.GatewayConfig{ClientID: app.ClientID, ApplicationID: app.ID,
		Gateway: "sandbox", Name: "cards", Code: "code-" + app.KeyPrefix, Weight: 1, Enabled: true,
		CreatedAt: Base, UpdatedAt: Base}}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateGatewayConfig(context.Background(), g) })
	return g
}

// newStoredCard is a stored card of an application under ref, not yet
// stored.
func newStoredCard(app *pasarela.Application, configID int64, ref string) *pasarela.StoredCard {
	return &pasarela.StoredCard{ClientID: app.ClientID, ApplicationID: app.ID, Reference: ref, GatewayConfig: configID,
		Card:      pasarela.Card{Token: "card_" + ref, BIN: "424242", Last4: "4242", Brand: "visa", ExpMonth: 12, ExpYear: 2045},
		CreatedAt: Base, UpdatedAt: Base}
}

// testStoredCards: a stored card reads back as written by reference and by
// id; an update writes its card and update time and nothing else; a
// reference is unique in an application but not across applications; and
// nothing of one tenant's cards is reached with another's client or
// application id.
func testStoredCards(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.cards")
	app := MustApplication(t, db, c.ID, "Cards")
	other := MustApplication(t, db, c.ID, "Kiosk")
	cfg, otherCfg := mustCardConfig(t, db, app), mustCardConfig(t, db, other)

	sc := newStoredCard(app, cfg.ID, "TOKEN-1")
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateStoredCard(ctx, sc) })
	if sc.ID <= 0 {
		t.Fatalf("CreateStoredCard set id %d, want a positive id", sc.ID)
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetStoredCardByReference(ctx, c.ID, app.ID, sc.Reference)
		if err != nil {
			return err
		}
		MustEqual(t, "GetStoredCardByReference", got, sc)
		if got, err = tx.GetStoredCard(ctx, c.ID, app.ID, sc.ID); err != nil {
			return err
		}
		MustEqual(t, "GetStoredCard", got, sc)
		return nil
	})

	t.Run("update", func(t *testing.T) {
		upd := *sc
		upd.Card.ExpMonth, upd.Card.ExpYear, upd.UpdatedAt = 3, 2047, Base.Add(3600e9)
		// What an update may not change is written as something else, to
		// prove it is left alone.
		upd.Reference, upd.CreatedAt = "RENAMED", Base.Add(-3600e9)
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateStoredCard(ctx, &upd) })
		want := *sc
		want.Card.ExpMonth, want.Card.ExpYear, want.UpdatedAt = 3, 2047, upd.UpdatedAt
		MustView(t, db, func(tx *store.Tx) error {
			got, err := tx.GetStoredCard(ctx, c.ID, app.ID, sc.ID)
			if err != nil {
				return err
			}
			MustEqual(t, "updated stored card", got, &want)
			return nil
		})
		*sc = want
	})

	t.Run("unique reference per application", func(t *testing.T) {
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.CreateStoredCard(ctx, newStoredCard(app, cfg.ID, sc.Reference)) })
		e := MustErrorKind(t, err, pasarela.KindConflict, "reference")
		if !store.IsConstraint(e, store.UniqueStoredCardRef) {
			t.Errorf("duplicate reference: constraint %q, want %q", e.Constraint, store.UniqueStoredCardRef)
		}
		// Another application of the same client may use the same name.
		twin := newStoredCard(other, otherCfg.ID, sc.Reference)
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateStoredCard(ctx, twin) })
		MustView(t, db, func(tx *store.Tx) error {
			got, err := tx.GetStoredCardByReference(ctx, c.ID, other.ID, sc.Reference)
			if err != nil {
				return err
			}
			MustEqual(t, "the other application's card of the same reference", got, twin)
			return nil
		})
	})

	t.Run("tenant isolation", func(t *testing.T) {
		intruder := MustClient(t, db, "com.intruder")
		for _, k := range []struct {
			name     string
			clientID string
			appID    int64
		}{
			{"another client", intruder.ID, app.ID},
			{"another application", c.ID, other.ID + 1000},
		} {
			MustView(t, db, func(tx *store.Tx) error {
				_, err := tx.GetStoredCardByReference(ctx, k.clientID, k.appID, sc.Reference)
				MustErrorKind(t, err, pasarela.KindNotFound, "")
				_, err = tx.GetStoredCard(ctx, k.clientID, k.appID, sc.ID)
				MustErrorKind(t, err, pasarela.KindNotFound, "")
				n, err := tx.CountStoredCardsOfConfig(ctx, k.clientID, k.appID, cfg.ID)
				if n != 0 {
					t.Errorf("%s counts %d cards of the config", k.name, n)
				}
				return err
			})
			forged := *sc
			forged.ClientID, forged.ApplicationID, forged.Card.ExpYear = k.clientID, k.appID, 2050
			err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateStoredCard(ctx, &forged) })
			MustErrorKind(t, err, pasarela.KindNotFound, "")
			err = db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteStoredCard(ctx, k.clientID, k.appID, sc.ID) })
			MustErrorKind(t, err, pasarela.KindNotFound, "")
			MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteStoredCardsOfApplication(ctx, k.clientID, k.appID) })
		}
		// The card of another application with the same id is not reached
		// through this application either.
		MustView(t, db, func(tx *store.Tx) error {
			_, err := tx.GetStoredCard(ctx, c.ID, other.ID, sc.ID)
			MustErrorKind(t, err, pasarela.KindNotFound, "")
			got, err := tx.GetStoredCard(ctx, c.ID, app.ID, sc.ID)
			if err != nil {
				return err
			}
			MustEqual(t, "the card after the other tenants' attempts", got, sc)
			return nil
		})
	})

	t.Run("delete", func(t *testing.T) {
		MustView(t, db, func(tx *store.Tx) error {
			n, err := tx.CountStoredCardsOfConfig(ctx, c.ID, app.ID, cfg.ID)
			if n != 1 {
				t.Errorf("cards of the config = %d, want 1", n)
			}
			return err
		})
		MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteStoredCard(ctx, c.ID, app.ID, sc.ID) })
		MustView(t, db, func(tx *store.Tx) error {
			_, err := tx.GetStoredCardByReference(ctx, c.ID, app.ID, sc.Reference)
			MustErrorKind(t, err, pasarela.KindNotFound, "")
			n, err := tx.CountStoredCardsOfConfig(ctx, c.ID, app.ID, cfg.ID)
			if n != 0 {
				t.Errorf("cards of the config after the delete = %d, want 0", n)
			}
			return err
		})
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteStoredCard(ctx, c.ID, app.ID, sc.ID) })
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		// The application's cards go together, and the application can
		// then go too.
		MustUpdate(t, db, func(tx *store.Tx) error {
			if err := tx.DeleteStoredCardsOfApplication(ctx, c.ID, other.ID); err != nil {
				return err
			}
			return tx.DeleteApplication(ctx, c.ID, other.ID)
		})
	})
}
