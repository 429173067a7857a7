// Package storetest is the conformance suite every storage engine must pass.
// The engines share their query text, but not their transactions, their
// error codes, their NULL ordering or their concurrency; the suite states
// once what the rest of the gateway may rely on, and each engine's tests run
// it against a real database.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// Run runs the whole suite. open must return a fresh, migrated, empty
// database on every call and arrange its cleanup with t.Cleanup; every
// subtest opens its own, so the subtests run in parallel and never see each
// other's rows.
func Run(t *testing.T, open func(t *testing.T) store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db store.DB)
	}{
		{"Clients", testClients},
		{"Users", testUsers},
		{"Applications", testApplications},
		{"ApplicationSettings", testApplicationSettings},
		{"UpdateWebhook", testUpdateWebhook},
		{"NullableRoundTrip", testNullableRoundTrip},
		{"PaymentRoundTrip", testPaymentRoundTrip},
		{"PaymentCounts", testPaymentCounts},
		{"PaymentKeyset", testPaymentKeyset},
		{"StoredCards", testStoredCards},
		{"NotFound", testNotFound},
		{"Conflicts", testConflicts},
		{"TenantIsolation", testTenantIsolation},
		{"GetUserByLogin", testGetUserByLogin},
		{"CountAdmins", testCountAdmins},
		{"SigningKey", testSigningKey},
		{"ListUsers", testListUsers},
		{"ListApplications", testListApplications},
		{"ListApplicationsFilter", testListApplicationsFilter},
		{"SortWhitelist", testSortWhitelist},
		{"UpdateRollsBack", testUpdateRollsBack},
		{"UpdatePanic", testUpdatePanic},
		{"CallerGone", testCallerGone},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ConcurrentFailuresRollBackAlone", testConcurrentFailures},
		{"ViewSeesCommitted", testViewSeesCommitted},
		{"ViewSnapshot", testViewSnapshot},
		{"ViewIsReadOnly", testViewIsReadOnly},
		{"ReadOne", testReadOne},
		{"GroupMemo", testGroupMemo},
		{"Idempotency", testIdempotency},
		{"Payouts", testPayouts},
		{"Subscriptions", testSubscriptions},
		{"Events", testEvents},
		{"Stats", testStats},
		{"CreatedRollupInGroups", testCreatedRollupInGroups},
		{"ExchangeRates", testExchangeRates},
		{"SandboxChain", testSandboxChain},
		{"ChainNode", testChainNode},
		{"CryptoRates", testCryptoRates},
		{"BadText", testBadText},
		{"SignInLimits", testSignInLimits},
		{"Sessions", testSessions},
		{"SecondFactor", testSecondFactor},
		{"SearchPayments", testSearchPayments},
		{"EntityDeliveries", testEntityDeliveries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

// Base is the time the fixtures are created at. It has microsecond
// precision, the precision both engines store, so that a row read back is
// equal to the row written.
var Base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// MustUpdate runs fn in db.Update and fails the test on error.
func MustUpdate(t testing.TB, db store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// MustView runs fn in db.View and fails the test on error.
func MustView(t testing.TB, db store.DB, fn func(*store.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// NewClient returns an active client whose id and e-mail derive from code,
// not yet stored.
func NewClient(code string) *pasarela.Client {
	return &pasarela.Client{ID: "cli_" + code, Name: "Client " + code, Email: "owner@" + code,
		Code: code, Status: pasarela.ClientActive, CreatedAt: Base, UpdatedAt: Base}
}

// MustClient stores NewClient(code) and returns it.
func MustClient(t testing.TB, db store.DB, code string) *pasarela.Client {
	t.Helper()
	c := NewClient(code)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateClient(context.Background(), c) })
	return c
}

// NewUser returns a user of the client whose e-mail derives from username,
// not yet stored.
func NewUser(clientID, username string, roles ...pasarela.Role) *pasarela.User {
	if roles == nil {
		roles = []pasarela.Role{}
	}
	return &pasarela.User{UUID: rand.Text(), ClientID: clientID, Username: username,
		Email: username + "@example.com", Roles: roles, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA",
		CreatedAt: Base, UpdatedAt: Base}
}

// MustUser stores NewUser(clientID, username, roles...) and returns it with
// its id set.
func MustUser(t testing.TB, db store.DB, clientID, username string, roles ...pasarela.Role) *pasarela.User {
	t.Helper()
	u := NewUser(clientID, username, roles...)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateUser(context.Background(), u) })
	return u
}

// NewApplication returns an application of the client whose shop login and
// key prefix derive from name, not yet stored. name must therefore be
// unique among the fixtures of one test.
func NewApplication(clientID, name string) *pasarela.Application {
	return &pasarela.Application{ClientID: clientID, Name: name, ShopLogin: "SHOP_" + name,
		KeyPrefix: "pk_" + name, KeyHash: []byte("hash of " + name), CreatedAt: Base, UpdatedAt: Base}
}

// MustApplication stores NewApplication(clientID, name) and returns it with
// its id set.
func MustApplication(t testing.TB, db store.DB, clientID, name string) *pasarela.Application {
	t.Helper()
	a := NewApplication(clientID, name)
	MustUpdate(t, db, func(tx *store.Tx) error { return tx.CreateApplication(context.Background(), a) })
	return a
}

// MustErrorKind fails the test unless err is a *pasarela.Error of the kind,
// concerning field (field "" accepts any field).
func MustErrorKind(t testing.TB, err error, kind pasarela.Kind, field string) *pasarela.Error {
	t.Helper()
	var e *pasarela.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *pasarela.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("error kind = %v (%v), want %v", e.Kind, err, kind)
	}
	if field != "" && e.Field != field {
		t.Fatalf("error field = %q (%v), want %q", e.Field, err, field)
	}
	return e
}

// MustEqual fails the test unless got and want are deeply equal.
func MustEqual[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// Snapshot is everything the suite's fixtures can change, read in one View,
// so that a test can prove that a refused write changed nothing.
type Snapshot struct {
	Clients      []pasarela.Client
	Users        map[string][]pasarela.User
	Applications map[string][]pasarela.Application
}

// MustSnapshot reads every client with all its users and applications.
func MustSnapshot(t testing.TB, db store.DB) Snapshot {
	t.Helper()
	ctx := context.Background()
	s := Snapshot{Users: map[string][]pasarela.User{}, Applications: map[string][]pasarela.Application{}}
	all := pasarela.ListOptions{Limit: 1000}
	MustView(t, db, func(tx *store.Tx) error {
		var err error
		if s.Clients, err = tx.ListClients(ctx); err != nil {
			return err
		}
		for _, c := range s.Clients {
			if s.Users[c.ID], _, err = tx.ListUsers(ctx, c.ID, all); err != nil {
				return err
			}
			if s.Applications[c.ID], _, err = tx.ListApplications(ctx, c.ID, store.ApplicationFilter{}, all); err != nil {
				return err
			}
		}
		return nil
	})
	return s
}

func ptr[T any](v T) *T { return &v }
