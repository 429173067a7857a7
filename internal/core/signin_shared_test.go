package core_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pasarela/pasarela"
	"github.com/pasarela/pasarela/internal/core"
	"github.com/pasarela/pasarela/internal/core/coretest"
	"github.com/pasarela/pasarela/internal/store/postgres"
	"github.com/pasarela/pasarela/internal/store/postgres/pgtest"
)

// TestSignInLimitAcrossNodes: two nodes (two cores, each with its own pool)
// on one PostgreSQL database share one allowance of failed sign-ins per
// login and per address. With per-process counters a guesser got five
// guesses per node; now the sixth is refused on either node, whichever
// node saw the five.
func TestSignInLimitAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Schema(t)
	ctx := context.Background()
	clk := coretest.NewClock(coretest.Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes [2]*core.Service
	for i := range nodes {
		db, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if nodes[i], err = core.New(ctx, db, log, clk.Now, core.Config{SecretKey: []byte("0123456789abcdef0123456789abcdef")}); err != nil {
			t.Fatal(err)
		}
	}
	ten := coretest.MustTenant(t, nodes[0], "Alpha")
	email := ten.Admin.Email
	// Five failures of one login, from five addresses, spread over both
	// nodes: the login's allowance is spent on both.
	for i := range 5 {
		_, err := nodes[i%2].CheckCredentials(ctx, email, "wrong-password", "198.51.100."+string(rune('1'+i)))
		wantErr(t, "failure", err, pasarela.KindUnauthorized, "invalid_grant")
	}
	for i, n := range nodes {
		_, err := n.CheckCredentials(ctx, email, coretest.Password, "203.0.113.9")
		wantErr(t, "node "+string(rune('1'+i))+" after five failures", err, pasarela.KindRateLimited, "too_many_attempts")
	}
	// Twenty failures from one address on other logins, spread likewise:
	// the address's allowance is spent on both nodes.
	for i := range 20 {
		_, err := nodes[i%2].CheckCredentials(ctx, "ghost"+string(rune('a'+i)), "wrong-password", "192.0.2.7")
		wantErr(t, "address failure", err, pasarela.KindUnauthorized, "invalid_grant")
	}
	for i, n := range nodes {
		_, err := n.CheckCredentials(ctx, "someone-else", "wrong-password", "192.0.2.7")
		wantErr(t, "address on node "+string(rune('1'+i)), err, pasarela.KindRateLimited, "too_many_attempts")
	}
	// The allowance refills for everyone: the user signs in on either node.
	clk.Advance(time.Minute)
	for i, n := range nodes {
		if _, err := n.CheckCredentials(ctx, email, coretest.Password, "203.0.113.9"); err != nil {
			t.Fatalf("node %d after the refill: %v", i+1, err)
		}
	}
}
