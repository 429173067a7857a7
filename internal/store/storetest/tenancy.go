package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

func testClients(t *testing.T, db store.DB) {
	ctx := context.Background()
	MustView(t, db, func(tx *store.Tx) error {
		cs, err := tx.ListClients(ctx)
		if len(cs) != 0 {
			t.Errorf("ListClients on an empty database = %+v", cs)
		}
		return err
	})
	newer, older, same := NewClient("com.newer"), NewClient("com.older"), NewClient("com.same")
	older.CreatedAt = Base.Add(-time.Hour)
	same.ID = "cli_a" // same created_at as newer, smaller id: listed before it
	same.Status = pasarela.ClientVerifying
	newer.UpdatedAt = Base.Add(time.Minute)
	MustUpdate(t, db, func(tx *store.Tx) error {
		for _, c := range []*pasarela.Client{newer, older, same} {
			if err := tx.CreateClient(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetClient(ctx, newer.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetClient", got, newer)
		if got, err = tx.GetClientByCode(ctx, same.Code); err != nil {
			return err
		}
		MustEqual(t, "GetClientByCode", got, same)
		list, err := tx.ListClients(ctx)
		if err != nil {
			return err
		}
		MustEqual(t, "ListClients (oldest first, then by id)", list, []pasarela.Client{*older, *same, *newer})
		return nil
	})
}

func testUsers(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.acme")
	u := NewUser(c.ID, "ana", pasarela.RoleAdmin, pasarela.RoleManager)
	u.FirstName, u.LastName = ptr("Ana"), ptr("Ruiz")
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateUser(ctx, u) })
	if u.ID <= 0 {
		t.Fatalf("CreateUser set id %d, want a positive id", u.ID)
	}
	other := MustUser(t, db, c.ID, "bea")
	if other.ID == u.ID {
		t.Fatalf("two users got the same id %d", u.ID)
	}
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetUser(ctx, c.ID, u.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetUser", got, u)
		return nil
	})

	// Update writes every mutable field, clears a name and changes the roles.
	u.Username, u.Email, u.FirstName, u.LastName = "ana2", "ana2@example.com", nil, ptr("Ruiz Gómez")
	u.Roles, u.PasswordHash, u.UpdatedAt = []pasarela.Role{pasarela.RoleViewer}, "new-hash", Base.Add(time.Hour)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetUser(ctx, c.ID, u.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetUser after UpdateUser", got, u)
		if got, err = tx.GetUser(ctx, c.ID, other.ID); err != nil {
			return err
		}
		MustEqual(t, "the other user after UpdateUser", got, other)
		return nil
	})

	// Disabling is a write of the same row: the time round-trips, and
	// enabling again clears it.
	disabledAt := Base.Add(2 * time.Hour)
	u.DisabledAt, u.UpdatedAt = &disabledAt, disabledAt
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetUser(ctx, c.ID, u.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetUser of a disabled user", got, u)
		if got, err = tx.GetUserByLogin(ctx, u.Email); err != nil {
			return err
		}
		MustEqual(t, "GetUserByLogin of a disabled user", got, u)
		users, _, err := tx.ListUsers(ctx, c.ID, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "ListUsers with a disabled user", users, []pasarela.User{*u, *other})
		return err
	})
	u.DisabledAt = nil
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u) })
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetUser(ctx, c.ID, u.ID)
		MustEqual(t, "GetUser after enabling again", got, u)
		return err
	})

	MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteUser(ctx, c.ID, u.ID) })
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetUser(ctx, c.ID, u.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		users, total, err := tx.ListUsers(ctx, c.ID, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "users left", users, []pasarela.User{*other})
		MustEqual(t, "total left", total, 1)
		return err
	})
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteUser(ctx, c.ID, u.ID) })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
}

func testApplications(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.acme")
	a := NewApplication(c.ID, "shop")
	a.URL, a.Logo = ptr("https://shop.example"), ptr("https://shop.example/logo.png")
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateApplication(ctx, a) })
	if a.ID <= 0 {
		t.Fatalf("CreateApplication set id %d, want a positive id", a.ID)
	}
	other := MustApplication(t, db, c.ID, "other")
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
		return nil
	})

	// Update rotates the key, renames and clears the logo; the shop login
	// is not mutable and must survive.
	a.Name, a.URL, a.Logo, a.KeyPrefix, a.KeyHash = "renamed", ptr("https://new.example"), nil, "pk_rotated", []byte("rotated")
	a.UpdatedAt = Base.Add(time.Hour)
	shopLogin := a.ShopLogin
	a.ShopLogin = "ignored"
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateApplication(ctx, a) })
	a.ShopLogin = shopLogin
	MustView(t, db, func(tx *store.Tx) error {
		got, err := tx.GetApplication(ctx, c.ID, a.ID)
		if err != nil {
			return err
		}
		MustEqual(t, "GetApplication after UpdateApplication", got, a)
		if got, err = tx.GetApplicationByKeyPrefix(ctx, "pk_rotated"); err != nil {
			return err
		}
		MustEqual(t, "GetApplicationByKeyPrefix after rotation", got, a)
		_, err = tx.GetApplicationByKeyPrefix(ctx, "pk_shop")
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		return nil
	})

	MustUpdate(t, db, func(tx *store.Tx) error { return tx.DeleteApplication(ctx, c.ID, a.ID) })
	MustView(t, db, func(tx *store.Tx) error {
		_, err := tx.GetApplication(ctx, c.ID, a.ID)
		MustErrorKind(t, err, pasarela.KindNotFound, "")
		apps, total, err := tx.ListApplications(ctx, c.ID, store.ApplicationFilter{}, pasarela.ListOptions{Limit: 10})
		MustEqual(t, "applications left", apps, []pasarela.Application{*other})
		MustEqual(t, "total left", total, 1)
		return err
	})
	err := db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteApplication(ctx, c.ID, a.ID) })
	MustErrorKind(t, err, pasarela.KindNotFound, "")
}

// testNullableRoundTrip proves that NULL and the empty string stay apart:
// an unset name is nil, a name set to "" is a pointer to "".
func testNullableRoundTrip(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.acme")
	cases := []struct {
		name    string
		a, b    *string // first/last name of a user, url/logo of an application
		updateA *string // what the update sets a to
	}{
		{"both nil", nil, nil, ptr("set later")},
		{"first only", ptr("Ana"), nil, nil},
		{"second only", nil, ptr("Ruiz"), ptr("")},
		{"both set", ptr("Ana"), ptr("Ruiz"), ptr("Ana María")},
		{"empty strings", ptr(""), ptr(""), nil},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := NewUser(c.ID, "user"+string(rune('a'+i)))
			u.FirstName, u.LastName = tc.a, tc.b
			app := NewApplication(c.ID, "app"+string(rune('a'+i)))
			app.URL, app.Logo = tc.a, tc.b
			MustUpdate(t, db, func(tx *store.Tx) error {
				if err := tx.CreateUser(ctx, u); err != nil {
					return err
				}
				return tx.CreateApplication(ctx, app)
			})
			check := func(when string) {
				t.Helper()
				MustView(t, db, func(tx *store.Tx) error {
					gotU, err := tx.GetUser(ctx, c.ID, u.ID)
					if err != nil {
						return err
					}
					MustEqual(t, when+" first name", gotU.FirstName, u.FirstName)
					MustEqual(t, when+" last name", gotU.LastName, u.LastName)
					gotA, err := tx.GetApplication(ctx, c.ID, app.ID)
					if err != nil {
						return err
					}
					MustEqual(t, when+" url", gotA.URL, app.URL)
					MustEqual(t, when+" logo", gotA.Logo, app.Logo)
					return nil
				})
			}
			check("after create")
			u.FirstName, app.URL = tc.updateA, tc.updateA
			MustUpdate(t, db, func(tx *store.Tx) error {
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
				return tx.UpdateApplication(ctx, app)
			})
			check("after update")
		})
	}
}

func testNotFound(t *testing.T, db store.DB) {
	ctx := context.Background()
	c := MustClient(t, db, "com.acme")
	missingUser := NewUser(c.ID, "ghost")
	missingUser.ID = 999999
	missingApp := NewApplication(c.ID, "ghost")
	missingApp.ID = 999999
	reads := []struct {
		name string
		fn   func(tx *store.Tx) error
	}{
		{"GetClient", func(tx *store.Tx) error { _, err := tx.GetClient(ctx, "cli_missing"); return err }},
		{"GetClientByCode", func(tx *store.Tx) error { _, err := tx.GetClientByCode(ctx, "com.missing"); return err }},
		{"GetUser", func(tx *store.Tx) error { _, err := tx.GetUser(ctx, c.ID, 999999); return err }},
		{"GetUserByLogin", func(tx *store.Tx) error { _, err := tx.GetUserByLogin(ctx, "ghost"); return err }},
		{"GetApplication", func(tx *store.Tx) error { _, err := tx.GetApplication(ctx, c.ID, 999999); return err }},
		{"GetApplicationByKeyPrefix", func(tx *store.Tx) error { _, err := tx.GetApplicationByKeyPrefix(ctx, "pk_ghost"); return err }},
		{"GetApplicationByShopLogin", func(tx *store.Tx) error { _, err := tx.GetApplicationByShopLogin(ctx, "SHOP_ghost"); return err }},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			MustErrorKind(t, db.View(ctx, r.fn), pasarela.KindNotFound, "")
		})
	}
	writes := []struct {
		name string
		fn   func(tx *store.Tx) error
	}{
		{"UpdateUser", func(tx *store.Tx) error { return tx.UpdateUser(ctx, missingUser) }},
		{"DeleteUser", func(tx *store.Tx) error { return tx.DeleteUser(ctx, c.ID, 999999) }},
		{"UpdateApplication", func(tx *store.Tx) error { return tx.UpdateApplication(ctx, missingApp) }},
		{"DeleteApplication", func(tx *store.Tx) error { return tx.DeleteApplication(ctx, c.ID, 999999) }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			MustErrorKind(t, db.Update(ctx, w.fn), pasarela.KindNotFound, "")
		})
	}
}

// testConflicts checks that every unique constraint becomes a conflict
// naming the input field it guards (in the core's canonical names) and the
// constraint itself, on insert and on update, and that the refused write
// leaves the database as it was.
func testConflicts(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	ana := MustUser(t, db, acme.ID, "ana")
	bea := MustUser(t, db, acme.ID, "bea")
	shop := MustApplication(t, db, acme.ID, "shop")
	blog := MustApplication(t, db, acme.ID, "blog")
	before := MustSnapshot(t, db)

	cases := []struct {
		name       string
		field      string // "" when the conflict concerns no input field
		constraint string // "" when the engines name it differently
		fn         func(tx *store.Tx) error
	}{
		{"client code", "code", store.UniqueClientCode, func(tx *store.Tx) error {
			c := NewClient("com.acme")
			c.ID = "cli_new"
			return tx.CreateClient(ctx, c)
		}},
		{"client id", "", "", func(tx *store.Tx) error {
			c := NewClient("com.fresh")
			c.ID = acme.ID
			return tx.CreateClient(ctx, c)
		}},
		{"username", "username", store.UniqueUserUsername, func(tx *store.Tx) error {
			u := NewUser(acme.ID, "ana")
			u.Email = "fresh@example.com"
			return tx.CreateUser(ctx, u)
		}},
		{"username of another client", "username", store.UniqueUserUsername, func(tx *store.Tx) error {
			u := NewUser(other.ID, "ana")
			u.Email = "fresh@example.com"
			return tx.CreateUser(ctx, u)
		}},
		{"email", "email", store.UniqueUserEmail, func(tx *store.Tx) error {
			u := NewUser(other.ID, "fresh")
			u.Email = ana.Email
			return tx.CreateUser(ctx, u)
		}},
		{"username on update", "username", store.UniqueUserUsername, func(tx *store.Tx) error {
			u := *bea
			u.Username = ana.Username
			return tx.UpdateUser(ctx, &u)
		}},
		{"email on update", "email", store.UniqueUserEmail, func(tx *store.Tx) error {
			u := *bea
			u.Email = ana.Email
			return tx.UpdateUser(ctx, &u)
		}},
		{"key prefix", "key_prefix", store.UniqueAppKeyPrefix, func(tx *store.Tx) error {
			a := NewApplication(other.ID, "fresh")
			a.KeyPrefix = shop.KeyPrefix
			return tx.CreateApplication(ctx, a)
		}},
		{"key prefix on update", "key_prefix", store.UniqueAppKeyPrefix, func(tx *store.Tx) error {
			a := *blog
			a.KeyPrefix = shop.KeyPrefix
			return tx.UpdateApplication(ctx, &a)
		}},
		{"shop login", "shop_login", store.UniqueAppShopLogin, func(tx *store.Tx) error {
			a := NewApplication(other.ID, "fresh")
			a.ShopLogin = shop.ShopLogin
			return tx.CreateApplication(ctx, a)
		}},
		{"user of a missing client", "", store.ForeignKeyViolation, func(tx *store.Tx) error {
			return tx.CreateUser(ctx, NewUser("cli_missing", "orphan"))
		}},
		{"application of a missing client", "", store.ForeignKeyViolation, func(tx *store.Tx) error {
			return tx.CreateApplication(ctx, NewApplication("cli_missing", "orphan"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := MustErrorKind(t, db.Update(ctx, tc.fn), pasarela.KindConflict, tc.field)
			if tc.field == "" && e.Field != "" {
				t.Errorf("error field = %q, want none", e.Field)
			}
			wantCode := "already_exists"
			if strings.Contains(tc.name, "missing client") {
				wantCode = "constraint"
			}
			if e.Code != wantCode {
				t.Errorf("error code = %q, want %q", e.Code, wantCode)
			}
			if tc.constraint != "" && !store.IsConstraint(e, tc.constraint) {
				t.Errorf("error constraint = %q, want %q", e.Constraint, tc.constraint)
			}
			MustEqual(t, "database after the refused write", MustSnapshot(t, db), before)
		})
	}
}

// testTenantIsolation acts as one client on another client's rows through
// every client-scoped method: each must answer as if the row did not exist
// and change nothing.
func testTenantIsolation(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	rival := MustClient(t, db, "com.rival")
	acmeAdmin := MustUser(t, db, acme.ID, "acme-admin", pasarela.RoleAdmin)
	acmeApp := MustApplication(t, db, acme.ID, "acmeshop")
	rivalUser := MustUser(t, db, rival.ID, "rival-viewer", pasarela.RoleViewer)
	rivalApp := MustApplication(t, db, rival.ID, "rivalshop")
	before := MustSnapshot(t, db)

	notFound := []struct {
		name string
		fn   func(tx *store.Tx) error
	}{
		{"GetUser", func(tx *store.Tx) error { _, err := tx.GetUser(ctx, rival.ID, acmeAdmin.ID); return err }},
		{"UpdateUser", func(tx *store.Tx) error {
			u := *acmeAdmin
			u.ClientID, u.Username, u.Roles = rival.ID, "stolen", []pasarela.Role{pasarela.RoleViewer}
			return tx.UpdateUser(ctx, &u)
		}},
		{"DeleteUser", func(tx *store.Tx) error { return tx.DeleteUser(ctx, rival.ID, acmeAdmin.ID) }},
		{"DeleteUser reversed", func(tx *store.Tx) error { return tx.DeleteUser(ctx, acme.ID, rivalUser.ID) }},
		{"GetApplication", func(tx *store.Tx) error { _, err := tx.GetApplication(ctx, rival.ID, acmeApp.ID); return err }},
		{"UpdateApplication", func(tx *store.Tx) error {
			a := *acmeApp
			a.ClientID, a.Name, a.KeyPrefix = rival.ID, "stolen", "pk_stolen"
			return tx.UpdateApplication(ctx, &a)
		}},
		{"DeleteApplication", func(tx *store.Tx) error { return tx.DeleteApplication(ctx, rival.ID, acmeApp.ID) }},
		{"DeleteApplication reversed", func(tx *store.Tx) error { return tx.DeleteApplication(ctx, acme.ID, rivalApp.ID) }},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			MustErrorKind(t, db.Update(ctx, tc.fn), pasarela.KindNotFound, "")
			MustEqual(t, "database after a cross-tenant call", MustSnapshot(t, db), before)
		})
	}

	t.Run("lists", func(t *testing.T) {
		page := pasarela.ListOptions{Limit: 100}
		MustView(t, db, func(tx *store.Tx) error {
			users, total, err := tx.ListUsers(ctx, rival.ID, page)
			if err != nil {
				return err
			}
			MustEqual(t, "rival's users", users, []pasarela.User{*rivalUser})
			MustEqual(t, "rival's user total", total, 1)
			apps, total, err := tx.ListApplications(ctx, rival.ID, store.ApplicationFilter{}, page)
			if err != nil {
				return err
			}
			MustEqual(t, "rival's applications", apps, []pasarela.Application{*rivalApp})
			MustEqual(t, "rival's application total", total, 1)
			apps, total, err = tx.ListApplications(ctx, rival.ID, store.ApplicationFilter{ID: acmeApp.ID}, page)
			if err != nil {
				return err
			}
			MustEqual(t, "rival filtering by acme's application id", len(apps), 0)
			MustEqual(t, "rival filtering by acme's application id: total", total, 0)
			admins, err := tx.CountAdmins(ctx, rival.ID)
			MustEqual(t, "rival's admins", admins, 0)
			return err
		})
	})
}

func testGetUserByLogin(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	ana := MustUser(t, db, acme.ID, "ana")
	// A username may look like somebody else's e-mail: the username wins.
	lookalike := NewUser(other.ID, ana.Email)
	lookalike.Email = "lookalike@example.com"
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateUser(ctx, lookalike) })
	cases := []struct {
		login string
		want  *pasarela.User
	}{
		{"ana", ana},
		{"lookalike@example.com", lookalike},
		{ana.Email, lookalike},
		{"ANA", nil}, // logins are exact
		{"nobody", nil},
	}
	for _, tc := range cases {
		t.Run(tc.login, func(t *testing.T) {
			var got *pasarela.User
			err := db.View(ctx, func(tx *store.Tx) (err error) {
				got, err = tx.GetUserByLogin(ctx, tc.login)
				return err
			})
			if tc.want == nil {
				MustErrorKind(t, err, pasarela.KindNotFound, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			MustEqual(t, "GetUserByLogin", got, tc.want)
		})
	}
}

func testCountAdmins(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	count := func(clientID string) int {
		t.Helper()
		var n int
		MustView(t, db, func(tx *store.Tx) (err error) { n, err = tx.CountAdmins(ctx, clientID); return err })
		return n
	}
	if n := count(acme.ID); n != 0 {
		t.Fatalf("CountAdmins with no users = %d", n)
	}
	MustUser(t, db, acme.ID, "solo", pasarela.RoleAdmin)
	MustUser(t, db, acme.ID, "first", pasarela.RoleAdmin, pasarela.RoleManager)
	MustUser(t, db, acme.ID, "last", pasarela.RoleViewer, pasarela.RoleAdmin)
	MustUser(t, db, acme.ID, "middle", pasarela.RoleViewer, pasarela.RoleAdmin, pasarela.RoleTerminal)
	MustUser(t, db, acme.ID, "manager", pasarela.RoleManager)
	MustUser(t, db, acme.ID, "lookalike", pasarela.Role("administrator"), pasarela.Role("sysadmin"))
	MustUser(t, db, acme.ID, "none")
	MustUser(t, db, other.ID, "other-admin", pasarela.RoleAdmin)
	if n := count(acme.ID); n != 4 {
		t.Errorf("CountAdmins = %d, want 4", n)
	}
	if n := count(other.ID); n != 1 {
		t.Errorf("CountAdmins of the other client = %d, want 1", n)
	}
	// A disabled admin signs in nowhere, so it is not counted.
	disabled := NewUser(acme.ID, "disabled-admin", pasarela.RoleAdmin)
	at := Base
	disabled.DisabledAt = &at
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateUser(ctx, disabled) })
	first := MustUser(t, db, acme.ID, "disabled-later", pasarela.RoleAdmin)
	if n := count(acme.ID); n != 5 {
		t.Errorf("CountAdmins with a disabled admin = %d, want 5", n)
	}
	first.DisabledAt = &at
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, first) })
	if n := count(acme.ID); n != 4 {
		t.Errorf("CountAdmins after disabling an admin = %d, want 4", n)
	}
}

func testSigningKey(t *testing.T, db store.DB) {
	ctx := context.Background()
	get := func(name string, candidate []byte) []byte {
		t.Helper()
		var secret []byte
		MustUpdate(t, db, func(tx *store.Tx) (err error) {
			secret, err = tx.SigningKey(ctx, name, candidate, Base)
			return err
		})
		return secret
	}
	first := get("jwt", []byte("first"))
	MustEqual(t, "first call", first, []byte("first"))
	MustEqual(t, "second call", get("jwt", []byte("second")), []byte("first"))
	MustEqual(t, "another name", get("webhook", []byte("other")), []byte("other"))

	// Nodes starting together race for the first insert of a new name;
	// every one of them must come away with the secret that won.
	var wg sync.WaitGroup
	secrets := make([][]byte, 16)
	errs := make([]error, len(secrets))
	for i := range secrets {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx *store.Tx) (err error) {
				secrets[i], err = tx.SigningKey(ctx, "race", []byte{byte('a' + i)}, Base)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, s := range secrets {
		if !bytes.Equal(s, secrets[0]) {
			t.Fatalf("caller %d got secret %q, caller 0 got %q", i, s, secrets[0])
		}
	}
	MustEqual(t, "after the race", get("race", []byte("late")), secrets[0])
}
