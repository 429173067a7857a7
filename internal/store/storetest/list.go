package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/store"
)

// The sort tests compute the expected order in Go and compare it with the
// database's. Text fixtures are lowercase ASCII letters and digits only, so
// that byte order (SQLite, PostgreSQL with the C collation) and a
// locale-aware PostgreSQL collation agree on them.

// userOrder compares two users by one whitelisted sort field; a field the
// suite has no comparison for fails the test, so that a new sort field
// cannot be whitelisted without being tested.
var userOrder = map[string]func(a, b pasarela.User) int{
	"id":         func(a, b pasarela.User) int { return cmp.Compare(a.ID, b.ID) },
	"username":   func(a, b pasarela.User) int { return strings.Compare(a.Username, b.Username) },
	"email":      func(a, b pasarela.User) int { return strings.Compare(a.Email, b.Email) },
	"created_at": func(a, b pasarela.User) int { return a.CreatedAt.Compare(b.CreatedAt) },
}

// applicationOrder is userOrder for applications. A NULL url sorts as the
// largest value on both engines.
var applicationOrder = map[string]func(a, b pasarela.Application) int{
	"id":         func(a, b pasarela.Application) int { return cmp.Compare(a.ID, b.ID) },
	"name":       func(a, b pasarela.Application) int { return strings.Compare(a.Name, b.Name) },
	"url":        func(a, b pasarela.Application) int { return compareNullsLast(a.URL, b.URL) },
	"created_at": func(a, b pasarela.Application) int { return a.CreatedAt.Compare(b.CreatedAt) },
	"updated_at": func(a, b pasarela.Application) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
}

func compareNullsLast(a, b *string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return strings.Compare(*a, *b)
}

// expectOrder sorts rows as ORDER BY sort..., id would: the id tiebreak is
// always ascending.
func expectOrder[T any](t *testing.T, rows []T, sort []pasarela.SortField, order map[string]func(a, b T) int) []T {
	t.Helper()
	var keys []func(a, b T) int
	for _, s := range append(slices.Clone(sort), pasarela.SortField{Field: "id"}) {
		c, ok := order[s.Field]
		if !ok {
			t.Fatalf("the suite has no comparison for sort field %q: add one", s.Field)
		}
		if s.Desc {
			keys = append(keys, func(a, b T) int { return -c(a, b) })
		} else {
			keys = append(keys, c)
		}
	}
	out := slices.Clone(rows)
	slices.SortStableFunc(out, func(a, b T) int {
		for _, k := range keys {
			if r := k(a, b); r != 0 {
				return r
			}
		}
		return 0
	})
	return out
}

// sortCases is every whitelisted field in both directions, plus a
// two-key ordering.
func sortCases(fields map[string]string, twoKeys []pasarela.SortField) [][]pasarela.SortField {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	slices.Sort(names)
	cases := [][]pasarela.SortField{nil}
	for _, f := range names {
		cases = append(cases, []pasarela.SortField{{Field: f}}, []pasarela.SortField{{Field: f, Desc: true}})
	}
	return append(cases, twoKeys)
}

func sortName(sort []pasarela.SortField) string {
	if len(sort) == 0 {
		return "default"
	}
	var parts []string
	for _, s := range sort {
		if s.Desc {
			parts = append(parts, s.Field+"_desc")
		} else {
			parts = append(parts, s.Field)
		}
	}
	return strings.Join(parts, ",")
}

const pageSize = 4

// mustPages reads every page of pageSize rows, checking the total on each
// and that the page past the end is empty.
func mustPages[T any](t *testing.T, db store.DB, wantTotal int, list func(tx *store.Tx, opts pasarela.ListOptions) ([]T, int, error), sort []pasarela.SortField) []T {
	t.Helper()
	var all []T
	for offset := 0; ; offset += pageSize {
		var page []T
		var total int
		MustView(t, db, func(tx *store.Tx) (err error) {
			page, total, err = list(tx, pasarela.ListOptions{Limit: pageSize, Offset: offset, Sort: sort})
			return err
		})
		if total != wantTotal {
			t.Fatalf("total at offset %d = %d, want %d", offset, total, wantTotal)
		}
		if page == nil {
			t.Fatalf("page at offset %d is nil, want an empty slice", offset)
		}
		if want := min(pageSize, max(0, wantTotal-offset)); len(page) != want {
			t.Fatalf("page at offset %d has %d rows, want %d", offset, len(page), want)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}

func ids[T any](rows []T, id func(T) int64) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

func testListUsers(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	// Usernames and e-mails are in different orders, and creation times
	// repeat, so that every sort and the id tiebreak show.
	usernames := []string{"kilo", "alfa", "hotel", "echo", "india", "bravo", "golf", "juliet", "charlie", "delta", "foxtrot"}
	mailboxes := []string{"m03", "m10", "m01", "m07", "m05", "m09", "m02", "m11", "m04", "m08", "m06"}
	var users []pasarela.User
	MustUpdate(t, db, func(tx *store.Tx) error {
		for i, name := range usernames {
			u := NewUser(acme.ID, name)
			u.Email = mailboxes[i] + "@example.com"
			u.CreatedAt = Base.Add(time.Duration((i*7)%3) * time.Minute)
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			users = append(users, *u)
			// Another client's users interleave with acme's ids and must
			// never show in acme's lists or totals.
			if i%4 == 0 {
				if err := tx.CreateUser(ctx, NewUser(other.ID, fmt.Sprintf("other%d", i))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	list := func(tx *store.Tx, opts pasarela.ListOptions) ([]pasarela.User, int, error) {
		return tx.ListUsers(ctx, acme.ID, opts)
	}
	userID := func(u pasarela.User) int64 { return u.ID }
	twoKeys := []pasarela.SortField{{Field: "created_at", Desc: true}, {Field: "email"}}
	for _, sort := range sortCases(store.UserSortFields, twoKeys) {
		t.Run(sortName(sort), func(t *testing.T) {
			want := expectOrder(t, users, sort, userOrder)
			got := mustPages(t, db, len(users), list, sort)
			MustEqual(t, "user ids in order", ids(got, userID), ids(want, userID))
			MustEqual(t, "users", got, want)
		})
	}
}

func testListApplications(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	names := []string{"papa", "alfa", "mike", "zulu", "alfa", "kilo", "echo", "oscar", "bravo", "papa"}
	var apps []pasarela.Application
	MustUpdate(t, db, func(tx *store.Tx) error {
		for i, name := range names {
			a := NewApplication(acme.ID, fmt.Sprintf("app%d", i))
			a.Name = name // names repeat: the id breaks the tie
			if i%3 != 0 {
				a.URL = ptr(fmt.Sprintf("https://s%d.example", (i*7)%10))
			}
			a.CreatedAt = Base.Add(time.Duration(i%4) * time.Second)
			a.UpdatedAt = Base.Add(time.Duration((i*3)%5) * time.Hour)
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			apps = append(apps, *a)
			if i%3 == 1 {
				if err := tx.CreateApplication(ctx, NewApplication(other.ID, fmt.Sprintf("other%d", i))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	list := func(tx *store.Tx, opts pasarela.ListOptions) ([]pasarela.Application, int, error) {
		return tx.ListApplications(ctx, acme.ID, store.ApplicationFilter{}, opts)
	}
	appID := func(a pasarela.Application) int64 { return a.ID }
	twoKeys := []pasarela.SortField{{Field: "url", Desc: true}, {Field: "name"}}
	for _, sort := range sortCases(store.ApplicationSortFields, twoKeys) {
		t.Run(sortName(sort), func(t *testing.T) {
			want := expectOrder(t, apps, sort, applicationOrder)
			got := mustPages(t, db, len(apps), list, sort)
			MustEqual(t, "application ids in order", ids(got, appID), ids(want, appID))
			MustEqual(t, "applications", got, want)
		})
	}
}

// testListApplicationsFilter checks that the name filter is a
// case-insensitive substring match in which % _ and \ are plain characters.
func testListApplicationsFilter(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	other := MustClient(t, db, "com.other")
	names := []string{"100% cotton", "100 cotton", "snake_case", "snakexcase", `back\slash`, "backslash",
		"Plain Shop", "plain shop", "PLAIN", "other"}
	byName := map[string]pasarela.Application{}
	MustUpdate(t, db, func(tx *store.Tx) error {
		for i, name := range names {
			a := NewApplication(acme.ID, fmt.Sprintf("app%d", i))
			a.Name = name
			if err := tx.CreateApplication(ctx, a); err != nil {
				return err
			}
			byName[name] = *a
		}
		// Another client's application matches every filter below that
		// matches "plain": it must never be counted.
		o := NewApplication(other.ID, "otherplain")
		o.Name = "plain 100% snake_case back\\slash"
		return tx.CreateApplication(ctx, o)
	})
	cases := []struct {
		filter string
		want   []string // in id order
	}{
		{"%", []string{"100% cotton"}},
		{"0%", []string{"100% cotton"}},
		{"100%", []string{"100% cotton"}},
		{"_", []string{"snake_case"}},
		{"e_c", []string{"snake_case"}},
		{`\`, []string{`back\slash`}},
		{`k\s`, []string{`back\slash`}},
		{"plain", []string{"Plain Shop", "plain shop", "PLAIN"}},
		{"pLaIn sHoP", []string{"Plain Shop", "plain shop"}},
		{"cotton", []string{"100% cotton", "100 cotton"}},
		{"%%", nil},
		{"nothing", nil},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			var got []pasarela.Application
			var total int
			MustView(t, db, func(tx *store.Tx) (err error) {
				got, total, err = tx.ListApplications(ctx, acme.ID, store.ApplicationFilter{Name: tc.filter},
					pasarela.ListOptions{Limit: 100})
				return err
			})
			want := []pasarela.Application{}
			for _, n := range tc.want {
				want = append(want, byName[n])
			}
			MustEqual(t, "matches", got, want)
			MustEqual(t, "total", total, len(want))
		})
	}
	t.Run("paged", func(t *testing.T) {
		var got []pasarela.Application
		var total int
		MustView(t, db, func(tx *store.Tx) (err error) {
			got, total, err = tx.ListApplications(ctx, acme.ID, store.ApplicationFilter{Name: "plain"},
				pasarela.ListOptions{Limit: 2, Offset: 1})
			return err
		})
		MustEqual(t, "second and third match", got, []pasarela.Application{byName["plain shop"], byName["PLAIN"]})
		MustEqual(t, "total of every match", total, 3)
	})
	t.Run("by id", func(t *testing.T) {
		want := byName["snake_case"]
		for _, tc := range []struct {
			name string
			want []pasarela.Application
		}{{"", []pasarela.Application{want}}, {"snake", []pasarela.Application{want}}, {"cotton", []pasarela.Application{}}} {
			var got []pasarela.Application
			var total int
			MustView(t, db, func(tx *store.Tx) (err error) {
				got, total, err = tx.ListApplications(ctx, acme.ID, store.ApplicationFilter{Name: tc.name, ID: want.ID},
					pasarela.ListOptions{Limit: 10})
				return err
			})
			MustEqual(t, "filtered by id and name "+tc.name, got, tc.want)
			MustEqual(t, "total filtered by id and name "+tc.name, total, len(tc.want))
		}
	})
}

// testSortWhitelist checks that a sort field outside the whitelist is
// refused before any SQL runs: the store is the second line behind the
// core's validation, and a column name must never come from input.
func testSortWhitelist(t *testing.T, db store.DB) {
	ctx := context.Background()
	acme := MustClient(t, db, "com.acme")
	MustUser(t, db, acme.ID, "ana")
	MustApplication(t, db, acme.ID, "shop")
	bad := []string{"", "password_hash", "key_hash", "key_prefix", "Username", "createdAt", "customer_id",
		"id; DROP TABLE users", "id DESC", "(SELECT 1)"}
	for _, field := range bad {
		t.Run(field, func(t *testing.T) {
			sort := []pasarela.SortField{{Field: "id"}, {Field: field}}
			err := db.View(ctx, func(tx *store.Tx) error {
				_, _, err := tx.ListUsers(ctx, acme.ID, pasarela.ListOptions{Limit: 10, Sort: sort})
				return err
			})
			MustErrorKind(t, err, pasarela.KindInvalid, "sort")
			err = db.View(ctx, func(tx *store.Tx) error {
				_, _, err := tx.ListApplications(ctx, acme.ID, store.ApplicationFilter{}, pasarela.ListOptions{Limit: 10, Sort: sort})
				return err
			})
			MustErrorKind(t, err, pasarela.KindInvalid, "sort")
		})
	}
	snap := MustSnapshot(t, db)
	if len(snap.Users[acme.ID]) != 1 || len(snap.Applications[acme.ID]) != 1 {
		t.Fatalf("after refused sorts: %+v", snap)
	}
}
