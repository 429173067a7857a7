package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
)

// TestEmptySchema: a kept schema is emptied for its next test whatever its
// tables hold: rows that foreign keys tie together, a trigger that refuses
// deletions, sequences moved on; the migrations' own table keeps its rows.
func TestEmptySchema(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version int PRIMARY KEY)`,
		`CREATE TABLE parents (id bigserial PRIMARY KEY)`,
		`CREATE TABLE children (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id))`,
		`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no deletes'; END $$`,
		`CREATE TRIGGER children_refuse BEFORE DELETE ON children FOR EACH ROW EXECUTE FUNCTION refuse()`,
		`INSERT INTO schema_migrations VALUES (1), (2)`,
		`INSERT INTO parents DEFAULT VALUES`, `INSERT INTO parents DEFAULT VALUES`,
		`INSERT INTO children (parent_id) SELECT id FROM parents`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf(emptySchema, schema)); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"schema_migrations": 2, "parents": 0, "children": 0} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s holds %d rows, want %d", table, n, want)
		}
	}
	var id int64
	if err := db.QueryRowContext(ctx, "INSERT INTO parents DEFAULT VALUES RETURNING id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 1 {
		t.Errorf("the first id after emptying is %d, want 1", id)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO children (parent_id) VALUES ($1)", id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM children"); err == nil {
		t.Error("the trigger is off after emptying")
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO children (parent_id) VALUES (42)"); err == nil {
		t.Error("the foreign key is off after emptying")
	}
}

// TestKeep: a slot's kept schema is created when the slot has none, reused
// (not created again) when it has, and a schema kept for the slot under
// another fingerprint is dropped. The slot number is one no server has.
func TestKeep(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const slot = 99999
	old, cur := fmt.Sprintf("r_old_%d", slot), fmt.Sprintf("r_cur_%d", slot)
	drop := "DROP SCHEMA IF EXISTS " + old + ", " + cur + " CASCADE"
	defer conn.ExecContext(ctx, drop) //nolint:errcheck // best effort; the next run drops them first
	if _, err := conn.ExecContext(ctx, drop+"; CREATE SCHEMA "+old); err != nil {
		t.Fatal(err)
	}
	exists := func(name string) bool {
		var ok bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if err := keep(ctx, conn, slot, cur); err != nil {
		t.Fatal(err)
	}
	if exists(old) || !exists(cur) {
		t.Fatalf("after keep: %s exists %v (want false), %s exists %v (want true)", old, exists(old), cur, exists(cur))
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+cur+".t (id int); INSERT INTO "+cur+".t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := keep(ctx, conn, slot, cur); err != nil {
		t.Fatalf("keeping it again: %v", err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+cur+".t").Scan(&n); err != nil {
		t.Fatalf("the kept schema's table: %v", err)
	}
	if n != 0 {
		t.Errorf("the kept schema's table holds %d rows, want 0", n)
	}
}
