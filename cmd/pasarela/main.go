// Command pasarela runs the payment gateway and its operator commands:
//
//	pasarela serve [--addr …] [--db …] [--demo]
//	pasarela migrate [--db …]
//	pasarela client create --name … --email … --password … [--code …] [--json]
//	pasarela app create --client … --name … [--json]
//	pasarela ledger verify [--db …]
//	pasarela balance credit --client … --currency … --amount … [--json]
//	pasarela webhook verify|listen …
//
// Every setting of serve, and --db everywhere, can also be set with a
// PASARELA_* environment variable. The HTTP load generator is the separate
// command pasarela-bench, so that it is never part of the gateway's binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	m := NewMain(os.Stdout, os.Stderr)
	if err := m.ParseFlags(os.Args[1:], os.Environ()); err != nil {
		if err != errHelp {
			fmt.Fprintln(os.Stderr, "pasarela:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pasarela:", err)
		m.Close()
		os.Exit(1)
	}
	if m.Serving() {
		select {
		case <-ctx.Done():
		case <-m.ListenerDown():
			fmt.Fprintln(os.Stderr, "pasarela: a listener stopped serving; shutting down")
		}
	}
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "pasarela:", err)
		os.Exit(1)
	}
}
