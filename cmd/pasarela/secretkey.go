package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/store/engine"
)

// A key rotation keeps the keys it moves between beside the key file:
// FILE.next is the key being moved to while the rotation runs, and
// FILE.previous the key moved from, kept once it is done. Both open sealed
// values (never seal), so every value stays readable whatever point a
// rotation reached, and servers that still seal with the old key until
// they restart write values the next rotation re-seals.
const (
	nextKeySuffix     = ".next"
	previousKeySuffix = ".previous"
)

// keyFile is where the sealing key of this configuration is kept.
func (c *Config) keyFile() string { return engine.KeyFile(c.DB, c.SecretKeyFile) }

// readKeyFile reads a key file; a missing file is (nil, nil).
func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k, ok := engine.DecodeKey(string(b))
	if !ok {
		return nil, fmt.Errorf("secret key file %s must hold the base64 of 32 bytes", path)
	}
	return k, nil
}

// otherSecretKeys are the keys that open sealed values beside the sealing
// one: PASARELA_SECRET_KEY_PREVIOUS (comma-separated, for keys kept in the
// environment), and a rotation's FILE.next and FILE.previous.
func (c *Config) otherSecretKeys() ([][]byte, error) {
	var keys [][]byte
	for s := range strings.SplitSeq(c.PreviousSecretKeys, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		k, ok := engine.DecodeKey(s)
		if !ok {
			return nil, errors.New("PASARELA_SECRET_KEY_PREVIOUS must be base64 keys of 32 bytes, comma-separated")
		}
		keys = append(keys, k)
	}
	if c.SecretKey != "" {
		return keys, nil
	}
	for _, suffix := range []string{nextKeySuffix, previousKeySuffix} {
		k, err := readKeyFile(c.keyFile() + suffix)
		if err != nil {
			return nil, err
		}
		if k != nil {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// withSecretKeys completes a core configuration with the keys that open
// values another key sealed, and lets the core read them anew when a value
// opens with none it knows (a rotation ran while it served).
func (c *Config) withSecretKeys(cc *core.Config) error {
	others, err := c.otherSecretKeys()
	if err != nil {
		return err
	}
	cc.OtherSecretKeys = others
	cc.ReloadSecretKeys = func() ([]byte, [][]byte, error) {
		key, err := c.secretKey()
		if err != nil {
			return nil, nil, err
		}
		others, err := c.otherSecretKeys()
		return key, others, err
	}
	return nil
}

// writeKeyFile writes a key to a new file (mode 0600), durably: the file's
// content and its name are synced before it returns.
func writeKeyFile(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or a new name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SecretKeyRotateCommand is `pasarela secret-key rotate`: a new key seals
// every sealed value, the old one is kept as FILE.previous.
type SecretKeyRotateCommand struct {
	operator
}

// ParseFlags reads the database and its key file.
func (c *SecretKeyRotateCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("secret-key rotate", environ)
	if err != nil {
		return err
	}
	return parseArgs(fs, args)
}

// Run rotates the key. Each step can be interrupted and the command run
// again, which picks up where it stopped:
//
//  1. a new key is written to FILE.next (or the one there is reused);
//  2. every sealed value is sealed with it (Reseal: small transactions,
//     each value replaced only if unchanged since read), over again until
//     a pass finds nothing left to do;
//  3. the old key is written to FILE.previous, then FILE.next is renamed
//     over FILE, atomically.
//
// Until 3, FILE is the old key, and servers reading it open values sealed
// with either key (they read FILE.next when a value opens with no key they
// know); after it, FILE is the new key and FILE.previous opens the values
// a server that has not restarted yet seals with the old one.
func (c *SecretKeyRotateCommand) Run(ctx context.Context) error {
	if c.Config.SecretKey != "" {
		return errors.New("secret-key rotate: the key is in PASARELA_SECRET_KEY, which this command cannot change: " +
			"set PASARELA_SECRET_KEY to a new key (openssl rand -base64 32) and PASARELA_SECRET_KEY_PREVIOUS to the old one, " +
			"run `pasarela secret-key reseal`, restart every server, then drop PASARELA_SECRET_KEY_PREVIOUS")
	}
	file := c.Config.keyFile()
	old, err := readKeyFile(file)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("secret-key rotate: no key file at %s (--secret-key-file): nothing is sealed with a key yet", file)
	}
	next, err := readKeyFile(file + nextKeySuffix)
	if err != nil {
		return err
	}
	resumed := next != nil
	if next == nil {
		next = make([]byte, 32)
		_, _ = rand.Read(next)
		if err := writeKeyFile(file+nextKeySuffix, next); err != nil {
			return fmt.Errorf("secret-key rotate: writing the new key: %w", err)
		}
	}
	if resumed {
		fmt.Fprintf(c.stdout, "resuming the rotation to the key in %s\n", file+nextKeySuffix)
	}
	var total core.ResealReport
	err = c.withCoreKeys(ctx, next, func(svc *core.Service) error {
		for pass := 0; pass < 5; pass++ {
			rep, err := svc.Reseal(ctx)
			total.Resealed += rep.Resealed
			if err != nil {
				return err
			}
			if rep.Resealed == 0 {
				total.Current = rep.Current
				return nil
			}
		}
		return errors.New("secret-key rotate: values keep being sealed with the old key; run it again once servers are quieter")
	})
	if err != nil {
		return err
	}
	// The old key is kept before the new one takes its place.
	prev := file + previousKeySuffix
	tmp := prev + ".tmp"
	os.Remove(tmp)
	if err := writeKeyFile(tmp, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, prev); err != nil {
		return err
	}
	if err := os.Rename(file+nextKeySuffix, file); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(file)); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "re-sealed %d values with a new key, now in %s; the old key is kept in %s\n"+
		"restart every server so that it seals with the new key\n", total.Resealed, file, prev)
	return nil
}

// withCoreKeys is withCore with key as the sealing key and the
// configuration's keys (the current one among them) as the others.
func (o *operator) withCoreKeys(ctx context.Context, key []byte, fn func(*core.Service) error) error {
	o.sealWith = key
	defer func() { o.sealWith = nil }()
	return o.withCore(ctx, fn)
}

// SecretKeyResealCommand is `pasarela secret-key reseal`: every sealed
// value is sealed with the current key, opened with whichever key
// (PASARELA_SECRET_KEY_PREVIOUS, FILE.previous) sealed it.
type SecretKeyResealCommand struct {
	operator
}

// ParseFlags reads the database and its keys.
func (c *SecretKeyResealCommand) ParseFlags(args, environ []string) error {
	fs, err := c.flagSet("secret-key reseal", environ)
	if err != nil {
		return err
	}
	return parseArgs(fs, args)
}

// Run re-seals.
func (c *SecretKeyResealCommand) Run(ctx context.Context) error {
	return c.withCore(ctx, func(svc *core.Service) error {
		rep, err := svc.Reseal(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "re-sealed %d values; %d were sealed with the current key already\n", rep.Resealed, rep.Current)
		return nil
	})
}
