package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/pasarela/pasarela"
)

// Text that no database may see. PostgreSQL refuses a NUL byte or invalid
// UTF-8 in a text parameter (SQLSTATE 22021), which would surface as an
// internal error, while SQLite stores and compares such bytes as they are.
// So the store answers for both engines, before the query is sent: such a
// text cannot be stored, so a read that looks it up finds nothing (a
// not-found, as for any unknown id or name), and a write that would store it
// is refused as invalid. Both engines thus answer the same, and whatever
// reaches either database is valid UTF-8 without NUL.

// ErrText is the error of a write whose text holds a NUL byte or invalid
// UTF-8 (faces validate their fields first; this is the last guard).
var ErrText = pasarela.Errorf(pasarela.KindInvalid, "encoding",
	"text must be valid UTF-8 without NUL bytes")

// badText reports whether one of args is text a database may not see.
func badText(args []any) bool {
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !goodText(v) {
				return true
			}
		case *string:
			if v != nil && !goodText(*v) {
				return true
			}
		case sql.NullString:
			if v.Valid && !goodText(v.String) {
				return true
			}
		case []string:
			for _, s := range v {
				if !goodText(s) {
					return true
				}
			}
		}
	}
	return false
}

func goodText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// isRead reports whether a query only reads (a lookup that can simply
// find nothing), as opposed to one that writes.
func isRead(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// Row is a single-row result: sql.Row's Scan, or the answer of the text
// guard without asking the database.
type Row struct {
	row *sql.Row
	err error
}

// Scan copies the row's columns into dest, as sql.Row.Scan does.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

// guarded is the Querier every Tx uses: the engine's, behind the text
// guard. With statements set (DB.ReadOne) it runs one statement only.
type guarded struct {
	q          Querier
	statements *int
}

// ErrReadOne is what DB.ReadOne's Tx answers to a second statement (it
// would see another snapshot than the first) or to one that is not a
// SELECT (outside a transaction a write would commit at once).
var ErrReadOne = pasarela.Internal(errors.New("store: ReadOne runs one SELECT; use View or Update"))

// refused counts a statement and says whether ReadOne refuses it.
func (g guarded) refused(query string) bool {
	if g.statements == nil {
		return false
	}
	*g.statements++
	return *g.statements > 1 || !isRead(query)
}

// noRows is a query of no text that returns no row, what a lookup of text
// no row can hold answers.
const noRows = `SELECT NULL WHERE 1 = 0`

func (g guarded) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if g.refused(query) {
		return nil, ErrReadOne
	}
	if badText(args) {
		return nil, ErrText
	}
	return g.q.ExecContext(ctx, query, args...)
}

func (g guarded) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if g.refused(query) {
		return nil, ErrReadOne
	}
	if badText(args) {
		if !isRead(query) {
			return nil, ErrText
		}
		return g.q.QueryContext(ctx, noRows)
	}
	return g.q.QueryContext(ctx, query, args...)
}

func (g guarded) QueryRowContext(ctx context.Context, query string, args ...any) *Row {
	if g.refused(query) {
		return &Row{err: ErrReadOne}
	}
	if badText(args) {
		if !isRead(query) {
			return &Row{err: ErrText}
		}
		return &Row{err: sql.ErrNoRows}
	}
	return &Row{row: g.q.QueryRowContext(ctx, query, args...)}
}
