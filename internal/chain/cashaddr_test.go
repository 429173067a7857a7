package chain

import (
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
)

// TestCashaddrChecksumVectors are the specification's checksum vectors
// (https://upgradespecs.bitcoincashnode.org/cashaddr): each must verify
// under its prefix, and re-encode to itself.
func TestCashaddrChecksumVectors(t *testing.T) {
	for _, v := range []struct{ prefix, addr string }{
		{"prefix", "prefix:x64nx6hz"},
		{"p", "p:gpf8m4h7"},
		{"bitcoincash", "bitcoincash:qpzry9x8gf2tvdw0s3jn54khce6mua7lcw20ayyn"},
		{"bchtest", "bchtest:testnetaddress4d6njnut"},
		{"bchreg", "bchreg:555555555555555555555555555555555555555555555udxmlmrz"},
	} {
		payload, err := cashaddrDecodeRaw(v.prefix, v.addr)
		if err != nil {
			t.Errorf("%s: %v", v.addr, err)
			continue
		}
		if got := cashaddrEncodeRaw(v.prefix, payload); got != v.addr {
			t.Errorf("re-encoding %s gives %s", v.addr, got)
		}
	}
}

// TestCashaddrLegacyVectors are the specification's translations of legacy
// addresses: the same hash, P2PKH (version 0) or P2SH (version 5).
func TestCashaddrLegacyVectors(t *testing.T) {
	for _, v := range []struct{ legacy, cash string }{
		{"1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{"1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy"},
		{"16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"},
		{"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"},
		{"3LDsS579y7sruadqu11beEJoTjdFiFCdX4", "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e"},
		{"31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw", "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37"},
	} {
		hash, version, err := base58.CheckDecode(v.legacy)
		if err != nil {
			t.Fatal(err)
		}
		typ := byte(cashaddrP2PKH)
		if version == 5 {
			typ = cashaddrP2SH
		}
		got, err := cashaddrEncode("bitcoincash", typ, hash)
		if err != nil || got != v.cash {
			t.Errorf("%s: got %s (%v), want %s", v.legacy, got, err, v.cash)
		}
		gotTyp, gotHash, err := cashaddrDecode("bitcoincash", v.cash)
		if err != nil || gotTyp != typ || string(gotHash) != string(hash) {
			t.Errorf("decoding %s: type %d hash %x (%v)", v.cash, gotTyp, gotHash, err)
		}
	}
}

// TestCashaddrSizeVectors are the specification's vectors for a 20-byte
// and a 32-byte hash under each type and prefix.
func TestCashaddrSizeVectors(t *testing.T) {
	for _, v := range []struct {
		prefix string
		typ    byte
		hash   string
		want   string
	}{
		{"bitcoincash", 0, "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9", "bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2"},
		{"bchtest", 1, "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9", "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t"},
		{"pref", 1, "F5BF48B397DAE70BE82B3CCA4793F8EB2B6CDAC9", "pref:pr6m7j9njldwwzlg9v7v53unlr4jkmx6ey65nvtks5"},
	} {
		hash, _ := hex.DecodeString(v.hash)
		if got, err := cashaddrEncode(v.prefix, v.typ, hash); err != nil || got != v.want {
			t.Errorf("%s type %d %s: got %s (%v), want %s", v.prefix, v.typ, v.hash, got, err, v.want)
		}
	}
	for _, bad := range []string{
		"bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg3", // checksum
		"bitcoincash:Qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2", // mixed case
		"bchtest:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2",     // another prefix
		"bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekgb", // b is not in the alphabet
		"bitcoincash:", "",
	} {
		if _, _, err := cashaddrDecode("bitcoincash", bad); err == nil {
			t.Errorf("cashaddrDecode accepted %q", bad)
		}
	}
}
