package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor"
	"github.com/pasarela/pasarela/internal/processor/sandbox"
	"github.com/pasarela/pasarela/internal/store"
	"github.com/pasarela/pasarela/internal/store/engine"
)

// bootstrap creates a client, an application and an enabled sandbox gateway
// config through the core (a payment needs one; `pasarela app create` makes
// none), so that a run needs nothing but a database and a server. The
// secret key is the server's, so that the config it seals is one the server
// can open.
func (m *Main) bootstrap(ctx context.Context) error {
	b := &m.cfg
	db, err := engine.Open(ctx, b.bootstrapDB, nil)
	if err != nil {
		return fmt.Errorf("--bootstrap-db %w", err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	key, err := m.keys.read(b.bootstrapDB)
	if err != nil {
		return err
	}
	svc, err := core.New(ctx, db, slog.New(slog.NewTextHandler(m.stderr, nil)), nil, bootstrapCoreConfig(db, key))
	if err != nil {
		return err
	}
	tag := randomHex(4)
	c, _, err := svc.CreateClient(ctx, core.ClientInput{Name: "Bench " + tag, Email: "bench-" + tag + "@bench.example",
		Password: "Bench-" + randomHex(8) + "!A1", Code: "bench." + tag})
	if err != nil {
		return err
	}
	app, err := svc.OperatorCreateApplication(ctx, c.ID, "bench "+tag)
	if err != nil {
		return err
	}
	if _, err := svc.OperatorCreateGatewayConfig(ctx, c.ID, app.ID, core.GatewayConfigInput{
		Gateway: pasarela.Set("sandbox"), Name: pasarela.Set("Sandbox cards (bench)")}); err != nil {
		return err
	}
	b.key, b.app = app.APIKey, app.ID
	fmt.Fprintf(m.stderr, "pasarela-bench: bootstrapped client %s, application %d with a sandbox gateway config\n", c.ID, app.ID)
	return nil
}

// bootstrapCoreConfig is the core that makes the bench's tenant: only the
// sandbox processor (the gateway config it makes) and the server's key.
func bootstrapCoreConfig(db store.DB, key []byte) core.Config {
	return core.Config{Processors: processor.NewRegistry(sandbox.New(core.ProcessorState(db, "sandbox"))), SecretKey: key}
}

// read returns the server's secret key: PASARELA_SECRET_KEY, or the key
// file, found where the server keeps it by default (beside its SQLite file,
// or ./pasarela.key). Unlike the server, bench never creates the file: a key
// the server does not hold would seal a gateway config it cannot open.
func (k serverKeys) read(dsn string) ([]byte, error) {
	if k.SecretKey != "" {
		key, ok := engine.DecodeKey(k.SecretKey)
		if !ok {
			return nil, errors.New("PASARELA_SECRET_KEY must be the base64 of 32 bytes")
		}
		return key, nil
	}
	path := engine.KeyFile(dsn, k.SecretKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("the server's secret key file %s does not exist: give the server's with --secret-key-file", path)
	}
	if err != nil {
		return nil, err
	}
	key, ok := engine.DecodeKey(string(b))
	if !ok {
		return nil, fmt.Errorf("secret key file %s must hold the base64 of 32 bytes", path)
	}
	return key, nil
}
