package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database file at src to dst with
// VACUUM INTO, while servers keep reading and writing it: the copy is one
// read transaction's snapshot (WAL lets the writer go on meanwhile), so it
// holds every transaction committed before the backup began and none
// half. The copy is written under a temporary name, synced, then renamed
// to dst, so that dst is either absent or complete. dst must not exist.
func Backup(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("%s already exists: back up to a new file", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// A connection of its own, not the engine's: no writer goroutine, no
	// pinned pool. busy_timeout rides over the moments a checkpoint holds
	// the file.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: src}).EscapedPath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tmp := dst + ".partial"
	os.Remove(tmp) // a backup that died before
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup of %s: %w", src, err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncFile(filepath.Dir(dst))
}

// IntegrityCheck runs SQLite's integrity_check on the file at path, read
// only: "ok", or the first problem it reports.
func IntegrityCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%s fails SQLite's integrity check: %s", path, res)
	}
	return nil
}

// syncFile syncs a file or directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
