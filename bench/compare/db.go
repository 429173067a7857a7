package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the checks after the run
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", for the seeding and the checks
)

// seedPayments copies an application's one payment (made over HTTP, so
// that it is a payment the gateway wrote) until the application has n, in
// one INSERT … SELECT: a table of 100,000 or 1,000,000 payments in seconds
// rather than the minutes it would take over HTTP. The copy names every
// column of the table as it is now, so that columns added by later
// migrations are copied too; the unique ones get a suffix. The gateway
// counts the payments it creates itself (payment_counts, which the list's
// X-Total-Count reads), so the application's counts are then counted again
// from its payments, as an operator would after inserting rows by hand.
// The server must be stopped meanwhile, so that it keeps nothing of the
// table in memory that the copy would make stale.
func seedPayments(ctx context.Context, path string, app int64, n int) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	cols, err := sqliteColumns(ctx, db, "payments")
	if err != nil {
		return err
	}
	var template int64
	if err := db.QueryRowContext(ctx, `SELECT min(id) FROM payments WHERE application_id = ?`, app).Scan(&template); err != nil {
		return fmt.Errorf("the template payment of application %d: %w", app, err)
	}
	var names, values []string
	for _, c := range cols {
		switch c {
		case "id":
			continue // a new one for each copy
		case "transaction_id", "checkout_token":
			values = append(values, c+" || '-' || s.n")
		case "merchant_ref":
			values = append(values, "NULL")
		default:
			values = append(values, c)
		}
		names = append(names, c)
	}
	q := `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?)
		INSERT INTO payments (` + strings.Join(names, ", ") + `)
		SELECT ` + strings.Join(values, ", ") + ` FROM s, payments WHERE payments.id = ?`
	if _, err = db.ExecContext(ctx, q, n-1, template); err != nil {
		return err
	}
	if _, err = db.ExecContext(ctx, `DELETE FROM payment_counts WHERE application_id = ?`, app); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO payment_counts (client_id, application_id, status, shard, count)
		SELECT client_id, application_id, status, 0, COUNT(*) FROM payments WHERE application_id = ?
		GROUP BY client_id, application_id, status`, app)
	return err
}

func sqliteColumns(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// paymentIDs returns the ids of an application's payments.
func paymentIDs(ctx context.Context, driver, dsn string, app int64) (map[int64]bool, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	q := `SELECT id FROM payments WHERE application_id = ?`
	if driver == "pgx" {
		q = `SELECT id FROM payments WHERE application_id = $1`
	}
	rows, err := db.QueryContext(ctx, q, app)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// sqliteDSN is the database/sql name of a SQLite file, read-only.
func sqliteDSN(path string) string { return "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)" }

// checkAcknowledged verifies that every id the generator saw answered 201
// (the files post.lua wrote, one per round) is a payment of the
// application, and that no id was answered twice. It returns how many
// there were and how many more payments the application holds (answers
// lost when runs ended, and payments made before the runs).
func checkAcknowledged(ids map[int64]bool, files []string, want int64) (acked, extra int, err error) {
	seen := map[int64]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return 0, 0, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			id, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
			if err != nil {
				fh.Close()
				return 0, 0, fmt.Errorf("%s: %q is not an id", f, sc.Text())
			}
			if seen[id] {
				fh.Close()
				return 0, 0, fmt.Errorf("payment %d was answered 201 twice", id)
			}
			seen[id] = true
			if !ids[id] {
				fh.Close()
				return 0, 0, fmt.Errorf("payment %d was answered 201 but is not in the database", id)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return 0, 0, err
		}
	}
	if int64(len(seen)) != want {
		return 0, 0, fmt.Errorf("the generator counted %d answers 201 but read an id in %d", want, len(seen))
	}
	return len(seen), len(ids) - len(seen), nil
}

// postgresDB creates a database of its own for the run on the server
// base names (PASARELA_TEST_POSTGRES) and returns its DSN and a function
// that drops it.
func postgresDB(ctx context.Context, base, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("PASARELA_TEST_POSTGRES: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	drop := func() {
		ctx := context.Background()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "benchcompare: dropping database", name+":", err)
		}
		conn.Close(ctx)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		drop()
		return "", nil, fmt.Errorf("PASARELA_TEST_POSTGRES must be a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// backendPIDs are the PostgreSQL server processes serving the database:
// their CPU is PostgreSQL's share of a request.
func backendPIDs(ctx context.Context, dsn, name string) ([]int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out, err
}
