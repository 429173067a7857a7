// Package store is the storage contract of the gateway. Both engines (sqlite
// and postgres) hand out the same *Tx, whose query methods are written once
// here: the SQL both engines agree on lives in this package, an engine's own
// SQL (migrations, pragmas, the write path) lives in the engine's package.
//
// Every write goes through DB.Update and every read through DB.View; every
// method that touches tenant data takes the client id and puts it in the
// WHERE clause.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pasarela/pasarela"
)

// DB is what an engine provides.
type DB interface {
	// Update runs fn in a read-write transaction. When fn returns an error
	// nothing it wrote is kept. Concurrent calls share one commit, each in
	// a savepoint of its own. On PostgreSQL a call that a deadlock made
	// the victim (calls sharing a transaction hold each other's row locks
	// until it commits) runs fn again in a transaction of its own, after
	// its first run was rolled back entirely: fn may set the caller's
	// variables, but must not act outside the transaction before it
	// returns.
	Update(ctx context.Context, fn func(*Tx) error) error
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(*Tx) error) error
	// ReadOne runs fn, which reads with one statement, outside any
	// transaction: a statement alone sees one snapshot, and on PostgreSQL
	// it saves View's BEGIN and ROLLBACK, two of a read's three round
	// trips. A second statement, or one that is not a SELECT, fails with
	// ErrReadOne.
	ReadOne(ctx context.Context, fn func(*Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Engine names the engine ("sqlite" or "postgres").
	Engine() string
	// WatchPayments has fn called after every commit that changed a
	// payment or what hangs from it, before the commit's callers are
	// answered (a caller that wrote and then reads never reads from
	// memory what it just changed): ids are the payments whose detail
	// (the row, its deposit, its children) changed, all says that any
	// payment's may have (a refund or a link changed). It answers false,
	// and never calls fn, on an engine that cannot know every change:
	// only SQLite can (one writer goroutine owns the file); on PostgreSQL
	// other nodes write too.
	WatchPayments(fn func(ids []int64, all bool)) bool
	// Close flushes pending writes and releases the database.
	Close() error
}

// Querier is the part of *sql.Tx and *sql.Conn the queries need.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Dialect is what differs between engines inside shared query code.
type Dialect struct {
	// Translate turns an engine error into a *pasarela.Error where it knows
	// the cause (constraint violations), and returns other errors unchanged.
	Translate func(error) error
	// ForUpdate is appended to SELECTs that lock the rows they read before a
	// state change (" FOR UPDATE" on PostgreSQL; SQLite has a single writer).
	ForUpdate string
	// BucketShards is how many shards the engine's statistics rollups
	// spread an application's rows over (0 or 1: none).
	BucketShards int64
	// AddBuckets adds rows to payment_buckets_created, in their order (see
	// Rollup).
	AddBuckets func(ctx context.Context, q Querier, rows []BucketRow) error
	// AddCounts adds rows to payment_counts, in their order, each to the
	// shard the engine writes (see the count migrations).
	AddCounts func(ctx context.Context, q Querier, rows []CountRow) error
}

// Tx is one transaction (or, on SQLite, one savepoint of a grouped
// transaction). It is valid only inside the Update or View callback.
type Tx struct {
	q      guarded
	d      Dialect
	rollup *Rollup // nil: bucket rows are written at once
	// changes, when set, is told the parents of the payments written
	// (see NoteChanges).
	changes *Changes
	// memo is the group's (see GroupMemo); nil outside a group.
	memo *GroupMemo
}

// NewTx is for engines: it wraps their transaction handle, behind the
// guard that keeps text no database may see from reaching either (see
// text.go).
func NewTx(q Querier, d Dialect) *Tx { return &Tx{q: guarded{q: q}, d: d} }

// NewReadOneTx is NewTx for DB.ReadOne: the Tx runs one statement.
func NewReadOneTx(q Querier, d Dialect) *Tx {
	return &Tx{q: guarded{q: q, statements: new(int)}, d: d}
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.q.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, tx.d.Translate(err)
	}
	return res, nil
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := tx.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, tx.d.Translate(err)
	}
	return rows, nil
}

// expectOne turns an UPDATE or DELETE result that touched no row into a
// not-found error: the row is missing or belongs to another client.
func expectOne(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return pasarela.NotFound(what)
	}
	return nil
}

// ContextCause returns err marked as caused by the end of ctx when ctx has
// ended and err does not say so itself: a database interrupted mid-query
// reports its own error (SQLite's "interrupted", a closed connection),
// which would otherwise read as a failure of the gateway rather than a
// caller that went away or ran out of time. Both engines pass the result of
// every View and Update through it, so that every face sees it the same.
func ContextCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// Constraint names shared by both engines' migrations. SQLite reports the
// columns rather than the name, so its engine maps "table.column" to these.
const (
	UniqueClientCode      = "clients_code_uq"
	UniqueUserUsername    = "users_username_uq"
	UniqueUserEmail       = "users_email_uq"
	UniqueAppKeyPrefix    = "applications_key_prefix_uq"
	UniqueAppShopLogin    = "applications_shop_login_uq"
	UniqueMerchantRef     = "payments_merchant_ref_uq"
	UniqueGatewayCode     = "gateway_configs_code_uq"
	UniqueTransactionID   = "payments_transaction_id_uq"
	UniqueStoredCardRef   = "stored_cards_ref_uq"
	ForeignKeyViolation   = "foreign_key"
	uniqueViolationSuffix = "_uq"
	primaryKeySuffix      = "_pkey"
)

// constraintFields names, in the core's canonical field names, the input
// field each unique constraint guards, so that a violation becomes a
// conflict the client understands once a face has renamed the field.
var constraintFields = map[string]string{
	UniqueClientCode:    "code",
	UniqueUserUsername:  "username",
	UniqueUserEmail:     "email",
	UniqueAppKeyPrefix:  "key_prefix",
	UniqueAppShopLogin:  "shop_login",
	UniqueMerchantRef:   "merchant_ref",
	UniqueGatewayCode:   "code",
	UniqueStoredCardRef: "reference",
}

// ConstraintError builds the conflict error for a violated constraint name.
// Engines call it from their Translate function. The error carries the
// constraint's name so that the core decides by constraint (IsConstraint),
// as Formance's storage errors do, never by comparing field names.
func ConstraintError(name string, cause error) error {
	if field, ok := constraintFields[name]; ok {
		return &pasarela.Error{Kind: pasarela.KindConflict, Code: "already_exists", Field: field,
			Message: "already exists", Err: cause, Constraint: name,
			Fields: []pasarela.FieldError{{Field: field, Code: "already_exists", Message: "already exists"}}}
	}
	// PostgreSQL names a duplicate primary key "<table>_pkey"; SQLite's
	// engine reports it as a unique violation. Both mean the same thing.
	if strings.HasSuffix(name, uniqueViolationSuffix) || strings.HasSuffix(name, primaryKeySuffix) {
		return &pasarela.Error{Kind: pasarela.KindConflict, Code: "already_exists", Message: "already exists", Err: cause,
			Constraint: name}
	}
	return &pasarela.Error{Kind: pasarela.KindConflict, Code: "constraint", Message: "conflicts with existing data", Err: cause,
		Constraint: name}
}

// IsConstraint reports whether err is the violation of the named constraint
// (one of the Unique… constants), whichever engine reported it.
func IsConstraint(err error, name string) bool {
	var e *pasarela.Error
	return errors.As(err, &e) && e.Kind == pasarela.KindConflict && e.Constraint == name
}

// orderBy renders a whitelisted ORDER BY clause. columns maps the API field
// names a resource may be sorted by to their SQL expressions; any other name
// is refused here too, as a second line behind the core's validation. The id
// column always ends the ordering so that pages are stable.
func orderBy(opts pasarela.ListOptions, columns map[string]string, idColumn string) (string, error) {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	seenID := false
	for i, s := range opts.Sort {
		col, ok := columns[s.Field]
		if !ok {
			return "", pasarela.Invalid("sort", "sort_field", "cannot sort by "+s.Field)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(col)
		if s.Desc {
			b.WriteString(" DESC")
		}
		// The engines disagree on where NULLs sort (SQLite: smallest,
		// PostgreSQL: largest), so a nullable column such as an
		// application's url would page differently on each. Saying it
		// explicitly makes NULL the largest value on both; the id column
		// is never NULL and keeps its plain form so that an index can
		// still deliver the order.
		if col != idColumn {
			if s.Desc {
				b.WriteString(" NULLS FIRST")
			} else {
				b.WriteString(" NULLS LAST")
			}
		}
		seenID = seenID || col == idColumn
	}
	if !seenID {
		if len(opts.Sort) > 0 {
			b.WriteString(", ")
		}
		b.WriteString(idColumn)
	}
	return b.String(), nil
}

// args collects positional parameters while a query is assembled; add
// returns the placeholder of the value it appends.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// page renders the paging clause; the core has validated the numbers.
//
// The limit is written into the text, not bound: SQLite reads a bound
// LIMIT's value when it plans the statement (to size the result) and marks
// the statement as depending on it, so every run that binds the parameter
// again expires the prepared statement and parses and plans it anew (in
// the GET of a payment, its children query was a third of the CPU). A
// literal limit keeps the plan for good; limits are 1..100, so a list
// query has at most that many texts in a connection's statement cache.
// The offset has no such effect and stays a parameter.
func (a *args) page(opts pasarela.ListOptions) string {
	return " LIMIT " + strconv.Itoa(opts.Limit) + " OFFSET " + a.add(opts.Offset)
}

// Timestamps are stored as Unix microseconds in a BIGINT on both engines, so
// that one query text buckets and compares them identically everywhere.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullString(p *string) sql.NullString {
	if p == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *p, Valid: true}
}

func stringPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	s := ns.String
	return &s
}

// scanRow scans a single-row result with scan, mapping "no rows" to a
// not-found error naming what.
func (tx *Tx) scanRow(row *Row, what string, scan func(func(...any) error) error) error {
	err := scan(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return pasarela.NotFound(what)
	}
	if err != nil {
		return tx.d.Translate(err)
	}
	return nil
}

// escapeLike escapes the LIKE wildcards of user input so that a filter value
// matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(s))
}
