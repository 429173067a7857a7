package storetest

import (
	"context"
	"database/sql"
	"net/netip"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// testApplicationSettings: an application's page and access settings are
// written with it and read back whole by every lookup, changed and cleared
// by an update, and the settings of one application never show in another.
func testApplicationSettings(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.settings")
	other := MustClient(t, db, "com.other")
	a := NewApplication(c.ID, "configured")
	a.Pages = pasarela.PageSettings{SuccessURL: "https://shop.example/ok", FailureURL: "https://shop.example/ko",
		NotifyURL: "https://shop.example/notify", NotifyWebhook: 42, Language: "it"}
	a.Access = pasarela.AccessSettings{RequireKey: true, AllowedIPs: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateApplication(ctx, a) })
	plain := MustApplication(t, db, c.ID, "plain")
	MustView(t, db, func(tx *store.Tx) error {
		for name, get := range map[string]func() (*pasarela.Application, error){
			"GetApplication":            func() (*pasarela.Application, error) { return tx.GetApplication(ctx, c.ID, a.ID) },
			"GetApplicationByKeyPrefix": func() (*pasarela.Application, error) { return tx.GetApplicationByKeyPrefix(ctx, a.KeyPrefix) },
			"GetApplicationByShopLogin": func() (*pasarela.Application, error) { return tx.GetApplicationByShopLogin(ctx, a.ShopLogin) },
		} {
			got, err := get()
			if err != nil {
				return err
			}
			MustEqual(t, name, got, a)
		}
		got, err := tx.GetApplication(ctx, c.ID, plain.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "an application without settings", got, plain)
		MustEqual(t, "its pages", got.Pages, pasarela.PageSettings{})
		MustEqual(t, "its access", got.Access, pasarela.AccessSettings{})
		_, err = tx.GetApplication(ctx, other.ID, a.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		owner, err := tx.ApplicationClient(ctx, a.ID)
		MustEqual(t, "ApplicationClient", owner, c.ID)
		return err
	})

	// An update changes some settings and clears the others.
	a.Pages = pasarela.PageSettings{SuccessURL: "https://shop.example/thanks"}
	a.Access = pasarela.AccessSettings{AllowedIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.7/32")}}
	a.UpdatedAt = Base.Add(time.Minute)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateApplication(ctx, a) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetApplication(ctx, c.ID, a.ID)
		MustEqual(t, "after UpdateApplication", got, a)
		return err
	})
	// Another client cannot write them.
	stolen := *a
	stolen.ClientID, stolen.Access = other.ID, pasarela.AccessSettings{}
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateApplication(ctx, &stolen) })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetApplication(ctx, c.ID, a.ID)
		MustEqual(t, "after another client's update", got, a)
		return err
	})
	err = db.View(ctx, func(tx *store.Tx) error { _, err := tx.ApplicationClient(ctx, a.ID+1000); return err })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
}

// testUpdateWebhook: an endpoint's owner changes its targets, format,
// events and disabled flag; another client cannot.
func testUpdateWebhook(t *testing.T, db store.DB) {
	ctx := context.Background()
	a := MustClient(t, db, "hooka")
	b := MustClient(t, db, "hookb")
	appA := MustApplication(t, db, a.ID, "hooka_web")
	appB := MustApplication(t, db, b.ID, "hookb_web")
	hook := &store.WebhookRow{Webhook: pasarela.Webhook{ClientID: a.ID, ApplicationID: appA.ID, Method: "POST",
		Targets: []string{"https://a.example.com/1"}, Entity: "payment", Format: testFormat, Events: []string{},
		Disabled: true, CreatedAt: Base, UpdatedAt: Base}, SealedSecret: []byte{1, 2, 3}}
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateWebhook(ctx, hook) })
	hook.Method, hook.Targets, hook.Format = "GET", []string{"https://a.example.com/2"}, "other"
	hook.Events, hook.Disabled, hook.UpdatedAt = []string{"payment.completed", "payment.failed"}, false, Base.Add(time.Hour)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateWebhook(ctx, hook) })
	for _, theirs := range []struct {
		client string
		app    int64
	}{{b.ID, appA.ID}, {b.ID, appB.ID}, {a.ID, appB.ID}} {
		stolen := *hook
		stolen.ClientID, stolen.ApplicationID, stolen.Targets = theirs.client, theirs.app, []string{"https://evil.example"}
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateWebhook(ctx, &stolen) })
		MustErrorKind(t, err, pasarela.KindNotFound, "")
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetWebhook(ctx, a.ID, appA.ID, hook.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "webhook after UpdateWebhook", *got, *hook)
		return nil
	})
}

// LegacyApplications checks that an application written before the shop
// settings migration reads back, after it, with no settings: no pages, no
// allow-list, the key required. db must be at the schema just before that
// migration; raw writes to it directly, and migrate brings it up to date.
func LegacyApplications(t *testing.T, db store.DB, raw *sql.DB, migrate func(context.Context) error) {
	ctx := context.Background()
	c := MustClient(t, db, "legacyshop")
	at := Base.UnixMicro()
	if _, err := raw.ExecContext(ctx, `INSERT INTO applications
		(client_id, name, url, logo, shop_login, key_prefix, key_hash, created_at, updated_at)
		VALUES ($1, 'old shop', NULL, NULL, 'SHOP_old', 'pk_old', $2, $3, $3)`, c.ID, []byte("hash of old"), at); err != nil {
		t.Fatalf("writing the old schema's row: %v", err)
	}
	if err := migrate(ctx); err != nil {
		t.Fatal(err)
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetApplicationByShopLogin(ctx, "SHOP_old")
		if err != nil {
			return err
		}
		want := &pasarela.Application{ID: got.ID, ClientID: c.ID, Name: "old shop", ShopLogin: "SHOP_old",
			KeyPrefix: "pk_old", KeyHash: []byte("hash of old"), CreatedAt: Base, UpdatedAt: Base}
		MustEqual(t, "an application written before the settings", got, want)
		return nil
	})
}
