package chain

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/shopspring/decimal"

	"github.com/pasarela/pasarela"
)

// abandon is the mnemonic BIP49 and BIP84 publish their test vectors for.
const abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// bip84Zpub is BIP84's published account 0 key of abandon.
const bip84Zpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

// Version bytes the tests serialize keys under (SLIP-132).
var (
	vXpub = []byte{0x04, 0x88, 0xb2, 0x1e}
	vYpub = []byte{0x04, 0x9d, 0x7c, 0xb2}
	vZpub = []byte{0x04, 0xb2, 0x47, 0x46}
	vUpub = []byte{0x04, 0x4a, 0x52, 0x62}
	vVpub = []byte{0x04, 0x5f, 0x1c, 0xf6}
	vLtub = []byte{0x01, 0x9d, 0xa4, 0x62}
	vZmul = []byte{0x02, 0xaa, 0x7e, 0xd3} // Zpub, a multisig share
)

// mustExtKey derives the key at path (indexes given hardened or not) from
// abandon's BIP39 seed. A private result stays private unless pub, and is
// serialized under version when one is given.
func mustExtKey(t testing.TB, net *chaincfg.Params, pub bool, version []byte, path ...uint32) string {
	t.Helper()
	seed, err := pbkdf2.Key(sha512.New, abandon, []byte("mnemonic"), 2048, 64)
	if err != nil {
		t.Fatal(err)
	}
	k, err := hdkeychain.NewMaster(seed, net)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range path {
		if k, err = k.Derive(i); err != nil {
			t.Fatal(err)
		}
	}
	if pub {
		if k, err = k.Neuter(); err != nil {
			t.Fatal(err)
		}
	}
	if version != nil {
		if k, err = k.CloneWithVersion(version); err != nil {
			t.Fatal(err)
		}
	}
	return k.String()
}

// account is a hardened BIP44-style path m/purpose'/coin'/account'.
func account(purpose, coin, acct uint32) []uint32 {
	return []uint32{hardened + purpose, hardened + coin, hardened + acct}
}

func mustParseKey(t testing.TB, currency, network, encoded string) *Key {
	t.Helper()
	k, err := ParseKey(currency, network, encoded)
	if err != nil {
		t.Fatalf("ParseKey(%s, %s): %v", currency, network, err)
	}
	return k
}

func mustAddress(t testing.TB, k *Key, index uint32) string {
	t.Helper()
	a, err := k.Address(index)
	if err != nil {
		t.Fatalf("Address(%d): %v", index, err)
	}
	return a
}

// TestPublishedVectors derives addresses from the keys the BIPs publish
// for abandon (or derives the account key from its seed, checking it
// against the published one where there is one) and compares them with the
// published addresses.
func TestPublishedVectors(t *testing.T) {
	main, test := &chaincfg.MainNetParams, &chaincfg.TestNet3Params
	tests := []struct {
		name, currency, network string
		key                     string // the account key
		wantKey                 string // the published account key, when there is one
		want                    map[uint32]string
	}{
		{name: "BIP84 zpub", currency: "BTC", network: Mainnet, key: bip84Zpub,
			want: map[uint32]string{0: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", 1: "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"}},
		{name: "BIP84 zpub from the seed", currency: "BTC", network: Mainnet,
			key: mustExtKey(t, main, true, vZpub, account(84, 0, 0)...), wantKey: bip84Zpub,
			want: map[uint32]string{0: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"}},
		{name: "BIP49 upub (testnet)", currency: "BTC", network: Testnet,
			key:     mustExtKey(t, test, true, vUpub, account(49, 1, 0)...),
			wantKey: "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY",
			want:    map[uint32]string{0: "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"}},
		{name: "BIP49 ypub (mainnet)", currency: "BTC", network: Mainnet,
			key:  mustExtKey(t, main, true, vYpub, account(49, 0, 0)...),
			want: map[uint32]string{0: "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf"}},
		{name: "BIP44 xpub", currency: "BTC", network: Mainnet,
			key:     mustExtKey(t, main, true, nil, account(44, 0, 0)...),
			wantKey: "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj",
			want:    map[uint32]string{0: "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"}},
		{name: "BIP84 vpub (testnet)", currency: "BTC", network: Testnet,
			key:  mustExtKey(t, test, true, vVpub, account(84, 1, 0)...),
			want: map[uint32]string{0: "tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl"}},
		{name: "ETH m/44'/60'/0'/0/0", currency: "ETH", network: Mainnet,
			key:  mustExtKey(t, main, true, nil, account(44, 60, 0)...),
			want: map[uint32]string{0: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"}},
		{name: "ETH on testnet, the same address", currency: "ETH", network: Testnet,
			key:  mustExtKey(t, main, true, nil, account(44, 60, 0)...),
			want: map[uint32]string{0: "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantKey != "" && tt.key != tt.wantKey {
				t.Fatalf("account key derived from the seed = %s, want %s", tt.key, tt.wantKey)
			}
			k := mustParseKey(t, tt.currency, tt.network, tt.key)
			for i, want := range tt.want {
				got := mustAddress(t, k, i)
				if got != want {
					t.Errorf("address %d = %s, want %s", i, got, want)
				}
				if !ValidAddress(tt.currency, tt.network, got) {
					t.Errorf("ValidAddress(%s, %s, %s) = false", tt.currency, tt.network, got)
				}
			}
		})
	}
}

// TestRegtest: a vpub on regtest pays to the same program as on testnet,
// under regtest's own prefix, and each network refuses the other's address.
func TestRegtest(t *testing.T) {
	vpub := mustExtKey(t, &chaincfg.TestNet3Params, true, vVpub, account(84, 1, 0)...)
	tb := mustAddress(t, mustParseKey(t, "BTC", Testnet, vpub), 0)
	rt := mustAddress(t, mustParseKey(t, "BTC", Regtest, vpub), 0)
	if !strings.HasPrefix(rt, "bcrt1q") {
		t.Fatalf("regtest address %s does not start with bcrt1q", rt)
	}
	if rt[len("bcrt1"):len(rt)-6] != tb[len("tb1"):len(tb)-6] {
		t.Errorf("regtest %s and testnet %s pay different programs", rt, tb)
	}
	if ValidAddress("BTC", Testnet, rt) || ValidAddress("BTC", Regtest, tb) || !ValidAddress("BTC", Regtest, rt) {
		t.Errorf("ValidAddress confuses testnet %s and regtest %s", tb, rt)
	}
}

// TestBCH: an xpub's BCH address pays the same hash as its BTC P2PKH
// address, in CashAddr under each network's prefix.
func TestBCH(t *testing.T) {
	xpub := mustExtKey(t, &chaincfg.MainNetParams, true, nil, account(44, 145, 0)...)
	tpub := mustExtKey(t, &chaincfg.TestNet3Params, true, nil, account(44, 1, 0)...)
	for _, tc := range []struct{ network, key, prefix string }{
		{Mainnet, xpub, "bitcoincash:q"}, {Testnet, tpub, "bchtest:q"}, {Regtest, tpub, "bchreg:q"},
	} {
		legacy := mustAddress(t, mustParseKey(t, "BTC", tc.network, tc.key), 3)
		cash := mustAddress(t, mustParseKey(t, "BCH", tc.network, tc.key), 3)
		if !strings.HasPrefix(cash, tc.prefix) {
			t.Errorf("%s: BCH address %s does not start with %s", tc.network, cash, tc.prefix)
		}
		hash, _, err := base58.CheckDecode(legacy)
		if err != nil {
			t.Fatal(err)
		}
		typ, got, err := cashaddrDecode(params["BCH"][tc.network].cashPrefix, cash)
		if err != nil || typ != cashaddrP2PKH || string(got) != string(hash) {
			t.Errorf("%s: %s decodes to type %d hash %x (%v), want P2PKH %x", tc.network, cash, typ, got, err, hash)
		}
		if !ValidAddress("BCH", tc.network, cash) || ValidAddress("BTC", tc.network, cash) ||
			ValidAddress("BCH", tc.network, legacy) {
			t.Errorf("%s: ValidAddress confuses %s and %s", tc.network, cash, legacy)
		}
	}
}

// TestLTC: Litecoin keys (Ltub, and the zpub its segwit wallets export)
// pay to L… and ltc1… addresses, which Bitcoin refuses.
func TestLTC(t *testing.T) {
	main := &chaincfg.MainNetParams
	ltub := mustExtKey(t, main, true, vLtub, account(44, 2, 0)...)
	zpub := mustExtKey(t, main, true, vZpub, account(84, 2, 0)...)
	ypub := mustExtKey(t, main, true, vYpub, account(49, 2, 0)...)
	for _, tc := range []struct{ key, prefix string }{{ltub, "L"}, {zpub, "ltc1q"}, {ypub, "M"}} {
		a := mustAddress(t, mustParseKey(t, "LTC", Mainnet, tc.key), 0)
		if !strings.HasPrefix(a, tc.prefix) || !ValidAddress("LTC", Mainnet, a) || ValidAddress("BTC", Mainnet, a) {
			t.Errorf("LTC address %s: want prefix %s, valid for LTC only", a, tc.prefix)
		}
	}
	if _, err := ParseKey("BTC", Mainnet, ltub); err == nil {
		t.Error("BTC accepted a Litecoin Ltub key")
	}
}

// reserialize rebuilds an extended key with its payload changed by edit and
// a correct checksum.
func reserialize(t testing.TB, encoded string, edit func(payload []byte)) string {
	t.Helper()
	raw := base58.Decode(encoded)
	payload := append([]byte(nil), raw[:78]...)
	edit(payload)
	return base58.Encode(append(payload, chainhash.DoubleHashB(payload)[:4]...))
}

// TestParseKeyErrors: each rule a key can break gives an invalid error
// whose code and message name the rule and never quote the key.
func TestParseKeyErrors(t *testing.T) {
	main, test := &chaincfg.MainNetParams, &chaincfg.TestNet3Params
	vpub := mustExtKey(t, test, true, vVpub, account(84, 1, 0)...)
	xprv := mustExtKey(t, main, false, nil, account(44, 0, 0)...)
	// A private key under public version bytes: key data 0x00 || secret.
	disguised := reserialize(t, xprv, func(p []byte) { copy(p, vXpub) })
	flipped := []byte(bip84Zpub)
	flipped[60] = map[bool]byte{true: 'b', false: 'a'}[flipped[60] == 'a']
	unknown := reserialize(t, bip84Zpub, func(p []byte) { binary.BigEndian.PutUint32(p, 0x01020304) })
	tests := []struct {
		name, currency, network, key, code, message string
	}{
		{"mainnet key on testnet", "BTC", Testnet, bip84Zpub, "key_network", "a mainnet key (zpub) cannot be used on testnet"},
		{"testnet key on mainnet", "BTC", Mainnet, vpub, "key_network", "a testnet or regtest key (vpub) cannot be used on mainnet"},
		{"mainnet key on regtest", "BTC", Regtest, bip84Zpub, "key_network", "cannot be used on regtest"},
		{"ETH key of testnet version", "ETH", Testnet, mustExtKey(t, test, true, nil, account(44, 60, 0)...), "key_type", "must be an xpub"},
		{"private key", "BTC", Mainnet, xprv, "key_private", "a private key (xprv) was given"},
		{"private key under a public version", "BTC", Mainnet, disguised, "key_private", "a private key was given"},
		{"private testnet key", "BTC", Testnet, mustExtKey(t, test, false, nil, account(44, 1, 0)...), "key_private", "(tprv)"},
		{"bad checksum", "BTC", Mainnet, string(flipped), "key_checksum", "checksum does not match"},
		{"truncated", "BTC", Mainnet, bip84Zpub[:100], "key_format", "is not an extended public key"},
		{"empty", "BTC", Mainnet, "", "key_format", "is not an extended public key"},
		{"not base58", "BTC", Mainnet, "0OIl" + bip84Zpub[4:], "key_format", "is not an extended public key"},
		{"unknown version", "BTC", Mainnet, unknown, "key_version", "version is not one of"},
		{"multisig share", "BTC", Mainnet, mustExtKey(t, main, true, vZmul, account(48, 0, 0)...), "key_multisig", "(Zpub)"},
		{"master key (depth 0)", "BTC", Mainnet, mustExtKey(t, main, true, vZpub), "key_depth", "not an account key"},
		{"change branch (depth 4)", "BTC", Mainnet, mustExtKey(t, main, true, vZpub, append(account(84, 0, 0), 1)...), "key_depth", "not an account key"},
		{"depth 3 but not hardened", "BTC", Mainnet, mustExtKey(t, main, true, vZpub, 84, 0, 0), "key_depth", "not an account key"},
		{"zpub for ETH", "ETH", Mainnet, bip84Zpub, "key_type", "must be an xpub, not a zpub"},
		{"zpub for BCH", "BCH", Mainnet, bip84Zpub, "key_type", "Bitcoin Cash does not have"},
		{"Ltub for BTC", "BTC", Mainnet, mustExtKey(t, main, true, vLtub, account(44, 2, 0)...), "key_type", "Litecoin key (Ltub)"},
		{"unsupported currency", "DOGE", Mainnet, bip84Zpub, "key_currency", `not supported for "DOGE"`},
		{"pasted key as currency", bip84Zpub, Mainnet, bip84Zpub, "key_currency", "not supported for"},
		{"unknown network", "BTC", "signet", bip84Zpub, "key_network", `unknown network "signet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKey(tt.currency, tt.network, tt.key)
			if err == nil {
				t.Fatalf("ParseKey accepted the key: %s", k.ID())
			}
			var e *pasarela.Error
			if !errors.As(err, &e) || e.Kind != pasarela.KindInvalid || e.Code != tt.code {
				t.Fatalf("error = %#v, want an invalid error with code %s", err, tt.code)
			}
			if !strings.Contains(e.Message, tt.message) {
				t.Errorf("message %q does not say %q", e.Message, tt.message)
			}
			for i := 0; i+16 <= len(tt.key); i++ {
				if strings.Contains(e.Error(), tt.key[i:i+16]) {
					t.Fatalf("message %q quotes the key", e.Error())
				}
			}
		})
	}
}

func TestAddressHardened(t *testing.T) {
	k := mustParseKey(t, "BTC", Mainnet, bip84Zpub)
	if _, err := k.Address(hardened); err == nil {
		t.Error("Address derived a hardened index from a public key")
	}
	if a := mustAddress(t, k, hardened-1); !ValidAddress("BTC", Mainnet, a) {
		t.Errorf("the last non-hardened index gives an invalid address %s", a)
	}
}

// TestKeyID: the id is 32 hex digits, stable, the same for the xpub and the
// zpub of one account, and different for another currency, network or
// account.
func TestKeyID(t *testing.T) {
	main := &chaincfg.MainNetParams
	id := mustParseKey(t, "BTC", Mainnet, bip84Zpub).ID()
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("ID %q is not 32 hex digits", id)
	}
	asXpub := mustExtKey(t, main, true, nil, account(84, 0, 0)...)
	same := map[string]string{
		"parsed again":           mustParseKey(t, "BTC", Mainnet, bip84Zpub).ID(),
		"as xpub":                mustParseKey(t, "btc", Mainnet, asXpub).ID(),
		"with spaces around it":  mustParseKey(t, "BTC", Mainnet, " "+bip84Zpub+"\n").ID(),
		"as ypub of the account": mustParseKey(t, "BTC", Mainnet, mustExtKey(t, main, true, vYpub, account(84, 0, 0)...)).ID(),
	}
	for what, got := range same {
		if got != id {
			t.Errorf("ID %s = %s, want %s", what, got, id)
		}
	}
	other := map[string]string{
		"LTC":       mustParseKey(t, "LTC", Mainnet, bip84Zpub).ID(),
		"BCH":       mustParseKey(t, "BCH", Mainnet, asXpub).ID(),
		"account 1": mustParseKey(t, "BTC", Mainnet, mustExtKey(t, main, true, vZpub, account(84, 0, 1)...)).ID(),
	}
	for what, got := range other {
		if got == id {
			t.Errorf("ID of %s is the BTC key's", what)
		}
	}
	test := mustExtKey(t, &chaincfg.TestNet3Params, true, vVpub, account(84, 1, 0)...)
	if mustParseKey(t, "BTC", Testnet, test).ID() == mustParseKey(t, "BTC", Regtest, test).ID() {
		t.Error("a key has the same ID on testnet and regtest")
	}
	if strings.Contains(id, strings.ToLower(bip84Zpub[4:20])) {
		t.Error("the ID reveals the key")
	}
}

func TestValidAddress(t *testing.T) {
	tests := []struct {
		currency, network, address string
		want                       bool
	}{
		{"BTC", Mainnet, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", true},
		{"BTC", Mainnet, "BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU", true},
		{"BTC", Mainnet, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv", false}, // checksum
		{"BTC", Mainnet, "bc1Qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", false}, // mixed case
		{"btc", Mainnet, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", true},
		{"BTC", Mainnet, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabB", false},
		{"BTC", Mainnet, "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf", true},
		{"BTC", Testnet, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", false},
		{"BTC", Testnet, "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2", true},
		{"BTC", Regtest, "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2", true},
		{"BTC", Testnet, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", false},
		// BIP350's vectors: taproot (v1, bech32m) is a valid destination,
		// v1 in plain bech32 is not.
		{"BTC", Mainnet, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", true},
		{"BTC", Mainnet, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", true},
		{"BTC", Mainnet, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx", false},
		{"BTC", Mainnet, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", false},
		{"BTC", Mainnet, "", false},
		{"LTC", Mainnet, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", false},
		{"BCH", Mainnet, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", true},
		{"BCH", Mainnet, "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", true},
		{"BCH", Mainnet, "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", true},
		{"BCH", Mainnet, "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", true},
		{"BCH", Mainnet, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b", false},
		{"BCH", Testnet, "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", false},
		{"BCH", Mainnet, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", false},
		{"ETH", Mainnet, "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", true},
		{"ETH", Regtest, "0x9858effd232b4033e47d90003d41ec34ecaeda94", true},
		{"ETH", Mainnet, "0x9858EFFD232B4033E47D90003D41EC34ECAEDA94", true},
		{"ETH", Mainnet, "0x9858EfFD232B4033E47d90003D41EC34EcaEdA94", false}, // one letter's case
		{"ETH", Mainnet, "0x9858EfFD232B4033E47d90003D41EC34EcaEda9", false},
		{"ETH", Mainnet, "9858EfFD232B4033E47d90003D41EC34EcaEda9400", false},
		{"ETH", Mainnet, "0xg858effd232b4033e47d90003d41ec34ecaeda94", false},
		// EIP-55's own examples.
		{"ETH", Mainnet, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", true},
		{"ETH", Mainnet, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", true},
		{"ETH", Mainnet, "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", true},
		{"DOGE", Mainnet, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", false},
		{"BTC", "signet", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", false},
	}
	for _, tt := range tests {
		if got := ValidAddress(tt.currency, tt.network, tt.address); got != tt.want {
			t.Errorf("ValidAddress(%s, %s, %s) = %v, want %v", tt.currency, tt.network, tt.address, got, tt.want)
		}
	}
}

func TestCanonicalAddress(t *testing.T) {
	tests := []struct{ currency, network, address, want string }{
		{"BTC", Mainnet, "BC1QCR8TE4KR609GCAWUTMRZA0J4XV80JY8Z306FYU", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"},
		{"BTC", Mainnet, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"},
		{"BCH", Mainnet, "QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{"BCH", Testnet, "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t", "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t"},
		{"ETH", Mainnet, "0x9858effd232b4033e47d90003d41ec34ecaeda94", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94"},
	}
	for _, tt := range tests {
		if got, ok := CanonicalAddress(tt.currency, tt.network, tt.address); !ok || got != tt.want {
			t.Errorf("CanonicalAddress(%s, %s, %s) = %s, %v, want %s", tt.currency, tt.network, tt.address, got, ok, tt.want)
		}
	}
	if got, ok := CanonicalAddress("BTC", Mainnet, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyv"); ok || got != "" {
		t.Errorf("CanonicalAddress of an invalid address = %q, %v", got, ok)
	}
}

func TestPaymentURI(t *testing.T) {
	tests := []struct{ currency, address, amount, want string }{
		{"BTC", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", "0.00400000",
			"bitcoin:bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu?amount=0.004"},
		{"BTC", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", "0.00000001", "bitcoin:1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA?amount=0.00000001"},
		{"BTC", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", "21000000", "bitcoin:1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA?amount=21000000"},
		{"BTC", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA", "0", "bitcoin:1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"},
		{"LTC", "ltc1qaddress", "1.50", "litecoin:ltc1qaddress?amount=1.5"},
		{"BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "0.1",
			"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a?amount=0.1"},
		{"BCH", "bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "0.1",
			"bchtest:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a?amount=0.1"},
		{"BCH", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "0.1",
			"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a?amount=0.1"},
		{"ETH", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0.05",
			"ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94?value=50000000000000000"},
		{"ETH", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "12.000000000000000001",
			"ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94?value=12000000000000000001"},
		{"ETH", "0x9858EfFD232B4033E47d90003D41EC34EcaEda94", "0.0000000000000000001",
			"ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94?value=1"},
	}
	for _, tt := range tests {
		if got := PaymentURI(tt.currency, tt.address, decimal.RequireFromString(tt.amount)); got != tt.want {
			t.Errorf("PaymentURI(%s, %s, %s) = %s, want %s", tt.currency, tt.address, tt.amount, got, tt.want)
		}
	}
	// A large amount stays in plain notation, never an exponent.
	if got := PaymentURI("BTC", "1x", decimal.New(5, 7)); got != "bitcoin:1x?amount=50000000" {
		t.Errorf("PaymentURI of 5e7 = %s", got)
	}
}

// FuzzParseKey: no input makes ParseKey panic, and every key it accepts
// derives an address its own currency and network accept.
func FuzzParseKey(f *testing.F) {
	main, test := &chaincfg.MainNetParams, &chaincfg.TestNet3Params
	for _, s := range []string{
		bip84Zpub, mustExtKey(f, main, true, nil, account(44, 0, 0)...),
		mustExtKey(f, main, true, vYpub, account(49, 0, 0)...), mustExtKey(f, test, true, vVpub, account(84, 1, 0)...),
		mustExtKey(f, main, false, nil, account(44, 0, 0)...), mustExtKey(f, main, true, vZpub),
		"", "xpub", "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868Rv",
	} {
		f.Add(s, uint32(0))
	}
	f.Fuzz(func(t *testing.T, encoded string, index uint32) {
		for _, currency := range Currencies() {
			for _, network := range []string{Mainnet, Testnet, Regtest} {
				k, err := ParseKey(currency, network, encoded)
				if err != nil {
					continue
				}
				a, err := k.Address(index)
				if err != nil {
					continue
				}
				if !ValidAddress(currency, network, a) {
					t.Fatalf("%s %s: derived address %s is not valid", currency, network, a)
				}
			}
		}
	})
}
