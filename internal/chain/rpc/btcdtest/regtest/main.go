// Command regtest runs the README's Bitcoin walk-through: a btcd node in
// regtest (built from its module the first time), the test wallet's vpub
// to configure the crypto gateway with, and a buyer's wallet that pays an
// address from the node's coinbase outputs and mines blocks.
//
//	go run ./internal/chain/rpc/btcdtest/regtest node            # until Ctrl-C
//	go run ./internal/chain/rpc/btcdtest/regtest vpub
//	go run ./internal/chain/rpc/btcdtest/regtest pay bcrt1q… 0.004
//	go run ./internal/chain/rpc/btcdtest/regtest mine 1
//
// It is for regtest only: its keys are public.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela/internal/chain/rpc/btcdtest"
)

const usage = `usage:
  regtest node [-listen 127.0.0.1:18443] [-dir DIR]   start btcd in regtest and mine 110 blocks; runs until interrupted
  regtest vpub [-account 0]                          the test wallet's account key (m/84'/1'/account')
  regtest pay [-rpc URL] [-rbf] ADDRESS AMOUNT       pay AMOUNT BTC to ADDRESS (-rbf: signal replace-by-fee)
  regtest mine [-rpc URL] BLOCKS                     mine BLOCKS blocks
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "regtest:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("a command is required")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	rpcURL := fs.String("rpc", "http://127.0.0.1:18443", "the node's RPC URL")
	switch args[0] {
	case "node":
		listen := fs.String("listen", "127.0.0.1:18443", "the RPC's address")
		dir := fs.String("dir", "", "the node's data directory (default: a new temporary one)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *dir == "" {
			d, err := os.MkdirTemp("", "pasarela-regtest")
			if err != nil {
				return err
			}
			defer os.RemoveAll(d)
			*dir = d
		}
		start := time.Now()
		n, err := btcdtest.Run(*dir, *listen)
		if err != nil {
			return err
		}
		tip, _ := n.Client.BlockCount(context.Background())
		fmt.Printf("btcd regtest at %s (user %s, password %s), height %d, ready in %s; Ctrl-C stops it\n",
			n.URL, btcdtest.User, btcdtest.Password, tip, time.Since(start).Round(time.Millisecond))
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { n.Wait(); close(done) }()
		select {
		case <-sig:
			n.Stop()
		case <-done:
			return fmt.Errorf("btcd exited")
		}
		return nil
	case "vpub":
		account := fs.Uint("account", 0, "the account")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		k, err := btcdtest.AccountKey(uint32(*account))
		if err != nil {
			return err
		}
		fmt.Println(k)
		return nil
	case "pay":
		rbf := fs.Bool("rbf", false, "signal replace-by-fee (BIP125)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 2 {
			return fmt.Errorf("pay takes an address and an amount")
		}
		amount, err := decimal.NewFromString(fs.Arg(1))
		if err != nil {
			return fmt.Errorf("amount: %w", err)
		}
		p, err := btcdtest.Connect(*rpcURL).Pay(fs.Arg(0), amount, *rbf)
		if err != nil {
			return err
		}
		fmt.Println(p.TxID)
		return nil
	case "mine":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		blocks, err := strconv.Atoi(fs.Arg(0))
		if fs.NArg() != 1 || err != nil || blocks < 1 {
			return fmt.Errorf("mine takes a number of blocks")
		}
		hashes, err := btcdtest.Connect(*rpcURL).Generate(blocks)
		if err != nil {
			return err
		}
		for _, h := range hashes {
			fmt.Println(h)
		}
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
