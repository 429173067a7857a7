// Command pasarela runs the payment gateway and its operator commands:
//
//	pasarela serve [--addr …] [--db …] [--demo]
//	pasarela migrate [--db …]
//	pasarela client create --name … --email … --password … [--code …] [--json]
//	pasarela app create --client … --name … [--json]
//	pasarela ledger verify [--db …]
//	pasarela payment list|get …, user reset-password …, app rotate-key …
//	pasarela secret-key rotate|reseal, backup --to …, restore --from …
//	pasarela healthcheck, version
//	pasarela balance credit --client … --currency … --amount … [--json]
//	pasarela webhook verify|listen …
//
// Each command is a type of its own with its own flags (cli.go lists
// them); Main is the running server. Every setting of serve, and --db
// everywhere, can also be set with a PASARELA_* environment variable. The
// HTTP load generator is the separate command pasarela-bench, so that it
// is never part of the gateway's binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cmd, err := ParseCommand(os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	if err != nil {
		if err != errHelp {
			fmt.Fprintln(os.Stderr, "pasarela:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cmd)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pasarela:", err)
		os.Exit(1)
	}
}
