package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store/engine"
	"github.com/pasarela/pasarela/internal/store/sqlite"
)

// errPostgresBackup answers backup and restore on PostgreSQL, whose own
// tools do it better than a copy of rows could.
var errPostgresBackup = errors.New("on PostgreSQL, back up with pg_dump (pg_dump -Fc -f pasarela.dump \"$PASARELA_DB\") " +
	"and restore with pg_restore into a new database, or use continuous archiving for point-in-time recovery; " +
	"README's Backups section has the commands")

// sqliteFile returns the file of a SQLite --db setting, or an error for
// another engine.
func sqliteFile(dsn string) (string, error) {
	path, ok := engine.SQLitePath(dsn)
	if !ok {
		return "", errPostgresBackup
	}
	if path == "" {
		return "", errors.New("--db sqlite: needs a file path, as in sqlite:./pasarela.db")
	}
	return path, nil
}

// BackupCommand is `pasarela backup --to FILE`: an online copy of a SQLite
// database, taken while servers use it.
type BackupCommand struct {
	operator
	to string
}

// ParseFlags reads the database and where the copy goes; --to is required.
func (c *BackupCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("backup", environ)
	if err != nil {
		return err
	}
	fs.StringVar(&c.to, "to", "", "the file to write the backup to (must not exist)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.to == "" {
		return errors.New("backup: --to FILE is required")
	}
	return nil
}

// Run copies the database (see sqlite.Backup) and says what it wrote.
func (c *BackupCommand) Run(ctx context.Context) error {
	path, err := sqliteFile(c.Config.DB)
	if err != nil {
		return err
	}
	db, err := openExistingDB(ctx, c.Config.DB)
	if err != nil {
		return err
	}
	version, _, err := db.Versions(ctx)
	if err := errors.Join(err, db.Close()); err != nil {
		return err
	}
	if err := sqlite.Backup(ctx, path, c.to); err != nil {
		return err
	}
	st, err := os.Stat(c.to)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s (%d bytes, schema version %d)\n", path, c.to, st.Size(), version)
	if c.Config.SecretKey == "" {
		fmt.Fprintf(c.stdout, "the secret key is not in the backup: keep a copy of %s apart from it (gateway and webhook secrets open only with it)\n",
			c.Config.keyFile())
	} else {
		fmt.Fprintln(c.stdout, "the secret key is not in the backup: keep PASARELA_SECRET_KEY apart from it (gateway and webhook secrets open only with it)")
	}
	return nil
}

// RestoreCommand is `pasarela restore --from FILE --db sqlite:PATH`: a
// backup put in place of a database that is not there, once it proved to
// be a pasarela database this binary can serve whose ledger holds.
type RestoreCommand struct {
	operator
	from string
}

// ParseFlags reads the backup and the database to restore it as; --from
// is required.
func (c *RestoreCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("restore", environ)
	if err != nil {
		return err
	}
	fs.StringVar(&c.from, "from", "", "the backup file (made by pasarela backup)")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if c.from == "" {
		return errors.New("restore: --from FILE is required")
	}
	return nil
}

// Run checks the backup (SQLite's integrity check, the schema version, the
// ledger) on a copy beside the target, then renames the copy into place:
// the target is either absent or the whole, checked backup.
func (c *RestoreCommand) Run(ctx context.Context) (err error) {
	path, err := sqliteFile(c.Config.DB)
	if err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("restore: %s exists; stop the servers using it and move it aside (with its -wal and -shm files) first", p)
		}
	}
	if err := sqlite.IntegrityCheck(ctx, c.from); err != nil {
		return err
	}
	tmp := path + ".restoring"
	removeTmp := func() {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(tmp + s)
		}
	}
	removeTmp()
	if err := copyFile(c.from, tmp); err != nil {
		removeTmp()
		return err
	}
	version, err := c.check(ctx, tmp)
	if err != nil {
		removeTmp()
		return err
	}
	if st, err := os.Stat(tmp + "-wal"); err == nil && st.Size() > 0 {
		removeTmp()
		return errors.New("restore: the checked copy kept a write-ahead log; nothing was restored")
	}
	os.Remove(tmp + "-shm")
	if err := os.Rename(tmp, path); err != nil {
		removeTmp()
		return err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	_, latest, _ := engine.SchemaVersions()
	fmt.Fprintf(c.stdout, "restored %s to %s: schema version %d, ledger verified\n", c.from, path, latest)
	if version < latest {
		fmt.Fprintf(c.stdout, "the backup was at schema version %d and was migrated to %d\n", version, latest)
	}
	fmt.Fprintf(c.stdout, "gateway and webhook secrets open with the key that sealed them: put it at %s (or in PASARELA_SECRET_KEY)\n", c.Config.keyFile())
	return nil
}

// check opens the copy at path and verifies it is a pasarela database of
// a schema this binary knows, whose ledger holds.
func (c *RestoreCommand) check(ctx context.Context, path string) (version int, err error) {
	db, err := engine.OpenExisting(ctx, "sqlite:"+path, nil)
	if err != nil {
		return 0, fmt.Errorf("restore: %s: %w", c.from, err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	version, latest, err := db.Versions(ctx)
	if err != nil {
		return 0, err
	}
	if version > latest {
		return 0, fmt.Errorf("restore: %s is at schema version %d, newer than this binary knows (%d): restore it with a newer pasarela", c.from, version, latest)
	}
	if version < latest {
		// The ledger is verified on the schema this binary reads: the
		// copy is migrated, as serve would migrate it on start.
		if err := db.Migrate(ctx); err != nil {
			return 0, fmt.Errorf("restore: migrating the copy of %s: %w", c.from, err)
		}
	}
	// The ledger needs no secret: the core runs with a key of its own.
	svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, core.Config{})
	if err != nil {
		return 0, err
	}
	problems, err := svc.VerifyLedger(ctx)
	if err != nil {
		return 0, err
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(c.stderr, p)
		}
		return 0, fmt.Errorf("restore: the ledger of %s does not hold (%d problems); nothing was restored", c.from, len(problems))
	}
	return version, nil
}

// copyFile copies src to a new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
