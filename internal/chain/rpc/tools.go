//go:build tools

// This file is never compiled: it names btcd's main package so that go.mod
// and go.sum hold everything `go build github.com/btcsuite/btcd` needs, which
// the tests of this package run to start a regtest node.
package rpc

import _ "github.com/btcsuite/btcd"
