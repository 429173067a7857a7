package server

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pasarela/pasarela/internal/chain"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/processor/crypto"
	"github.com/pasarela/pasarela/internal/store/sqlite"
	"github.com/pasarela/pasarela/internal/store/sqlite/sqlitetest"
)

// nodes is a chain backend that only reports how its nodes fared.
type nodes []chain.Health

func (n nodes) Watcher(crypto.Node) (chain.Watcher, error) { return nil, nil }
func (n nodes) Health() []chain.Health                     { return n }

// TestReadyChains: /readyz lists each node the deposit watcher looks at,
// ok or unreachable, and stays 200 while the database answers (a node
// down keeps the gateway serving); the metrics carry each node's state
// and lag.
func TestReadyChains(t *testing.T) {
	db, err := sqlite.Open(sqlitetest.Path(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	backend := nodes{
		{Name: "rpc http://node-a:8332", Currency: "BTC", Reachable: true, Tip: 900, Processed: 897, Lag: 3, CheckedAt: at},
		{Name: "rpc http://node-b:8332", Currency: "BTC", Reachable: false, Err: "connection refused", CheckedAt: at},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(context.Background(), db, log, nil, core.Config{
		Crypto: core.CryptoConfig{Backends: map[string]core.ChainBackend{"rpc": backend}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(New(Config{}, svc, log, NewMetrics()))
	defer ts.Close()
	res, body := get(t, ts.URL+"/readyz", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `"chains":{"rpc http://node-a:8332 BTC":"ok","rpc http://node-b:8332 BTC":"unreachable"}`) ||
		!strings.Contains(body, `"database":"ok"`) {
		t.Fatalf("readyz: %d %s", res.StatusCode, body)
	}
	_, body = get(t, ts.URL+"/metrics", nil)
	for _, want := range []string{
		`pasarela_chain_lag_blocks{currency="BTC",node="rpc http://node-a:8332"} 3`,
		`pasarela_chain_up{currency="BTC",node="rpc http://node-a:8332"} 1`,
		`pasarela_chain_up{currency="BTC",node="rpc http://node-b:8332"} 0`,
		`pasarela_chain_processed_height{currency="BTC",node="rpc http://node-a:8332"} 897`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
