package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/shopspring/decimal"
	"golang.org/x/crypto/sha3"

	"github.com/pasarela/pasarela"
)

// Networks a key and an address belong to. Testnet and regtest share their
// extended key versions (tpub, upub, vpub) and their base58 address
// versions; only their bech32 and CashAddr prefixes differ.
const (
	Mainnet = "mainnet"
	Testnet = "testnet"
	Regtest = "regtest"
)

// addrType is the kind of address a key's children are paid at.
type addrType uint8

const (
	p2pkh      addrType = iota + 1 // base58 pay-to-pubkey-hash (1…, L…, m/n…)
	p2shP2wpkh                     // BIP49: P2WPKH nested in P2SH (3…, M…, 2…, Q…)
	p2wpkh                         // BIP84: native segwit v0 (bc1q…)
	cashP2PKH                      // Bitcoin Cash's P2PKH in CashAddr (bitcoincash:q…)
	ethAddr                        // Ethereum: keccak of the uncompressed public key
)

func (a addrType) String() string {
	switch a {
	case p2pkh:
		return "P2PKH"
	case p2shP2wpkh:
		return "P2SH-P2WPKH"
	case p2wpkh:
		return "P2WPKH"
	case cashP2PKH:
		return "CashAddr P2PKH"
	case ethAddr:
		return "Ethereum"
	}
	return "unknown"
}

// netParams are the address encodings of one currency on one network.
type netParams struct {
	pubKeyHash byte   // base58 version of P2PKH addresses
	scriptHash byte   // base58 version of P2SH addresses
	hrp        string // bech32 human-readable part of segwit addresses
	cashPrefix string // CashAddr prefix (BCH only)
}

// params holds every currency and network the gateway derives addresses
// for. Litecoin's P2SH versions are the "M" and "Q" ones its wallets use
// since 2017, not the "3" and "2" Bitcoin shares.
var params = map[string]map[string]netParams{
	"BTC": {
		Mainnet: {pubKeyHash: 0x00, scriptHash: 0x05, hrp: "bc"},
		Testnet: {pubKeyHash: 0x6f, scriptHash: 0xc4, hrp: "tb"},
		Regtest: {pubKeyHash: 0x6f, scriptHash: 0xc4, hrp: "bcrt"},
	},
	"LTC": {
		Mainnet: {pubKeyHash: 0x30, scriptHash: 0x32, hrp: "ltc"},
		Testnet: {pubKeyHash: 0x6f, scriptHash: 0x3a, hrp: "tltc"},
		Regtest: {pubKeyHash: 0x6f, scriptHash: 0x3a, hrp: "rltc"},
	},
	"BCH": {
		Mainnet: {cashPrefix: "bitcoincash"},
		Testnet: {cashPrefix: "bchtest"},
		Regtest: {cashPrefix: "bchreg"},
	},
	"ETH": {Mainnet: {}, Testnet: {}, Regtest: {}},
}

// Currencies lists the currencies whose keys and addresses this package
// understands, so that a watcher can say what it supports from one list.
func Currencies() []string { return []string{"BTC", "BCH", "LTC", "ETH"} }

// keyVersion is what the four version bytes of an extended key say
// (SLIP-132): whether it is private, which networks it belongs to, and the
// address type its children are paid at. mainnet is false for the versions
// testnet and regtest share.
type keyVersion struct {
	name    string
	private bool
	mainnet bool
	addr    addrType
	// multisig versions (Ypub, Zpub…) name a share of a multisig wallet,
	// whose addresses one key alone cannot make.
	multisig bool
}

var keyVersions = map[uint32]keyVersion{
	0x0488b21e: {name: "xpub", mainnet: true, addr: p2pkh},
	0x049d7cb2: {name: "ypub", mainnet: true, addr: p2shP2wpkh},
	0x04b24746: {name: "zpub", mainnet: true, addr: p2wpkh},
	0x043587cf: {name: "tpub", addr: p2pkh},
	0x044a5262: {name: "upub", addr: p2shP2wpkh},
	0x045f1cf6: {name: "vpub", addr: p2wpkh},
	0x019da462: {name: "Ltub", mainnet: true, addr: p2pkh},
	0x01b26ef6: {name: "Mtub", mainnet: true, addr: p2shP2wpkh},
	0x0436f6e1: {name: "ttub", addr: p2pkh},

	0x0488ade4: {name: "xprv", private: true, mainnet: true},
	0x049d7878: {name: "yprv", private: true, mainnet: true},
	0x04b2430c: {name: "zprv", private: true, mainnet: true},
	0x04358394: {name: "tprv", private: true},
	0x044a4e28: {name: "uprv", private: true},
	0x045f18bc: {name: "vprv", private: true},
	0x019d9cfe: {name: "Ltpv", private: true, mainnet: true},
	0x01b26792: {name: "Mtpv", private: true, mainnet: true},
	0x0436ef7d: {name: "ttpv", private: true},
	0x0295b43f: {name: "Ypub", mainnet: true, multisig: true},
	0x02aa7ed3: {name: "Zpub", mainnet: true, multisig: true},
	0x024289ef: {name: "Upub", multisig: true},
	0x02575483: {name: "Vpub", multisig: true},
}

// accountDepth is the depth of an account key in BIP44, 49 and 84
// (m / purpose' / coin_type' / account'). The gateway derives the receive
// branch (/0/index) below it, as every wallet that exported the key does,
// so that the merchant's wallet sees the deposits.
const accountDepth = 3

// hardened is the first hardened child index (BIP32).
const hardened = hdkeychain.HardenedKeyStart

// serializedKeyLen is the length of a base58-decoded extended key: 78
// bytes of payload and a 4-byte checksum.
const serializedKeyLen = 82

// Key is a merchant's account-level extended public key for one currency
// and network, ready to derive deposit addresses. It holds no secret: the
// gateway never sees a private key, so a leak of its database or config
// cannot move funds.
type Key struct {
	currency string
	network  string
	addr     addrType
	params   netParams
	// receive is the account key's child 0, the receive branch, derived
	// once because every address derives from it.
	receive *hdkeychain.ExtendedKey
	id      string
}

// keyError is the error ParseKey returns: invalid input, with a code and a
// message that names the rule broken and never the key, so that a face can
// show it to the merchant under the config option's name.
func keyError(code, message string) *pasarela.Error {
	return pasarela.Errorf(pasarela.KindInvalid, code, "%s", message)
}

// ParseKey reads an account-level extended public key (xpub, ypub, zpub,
// tpub, upub, vpub, or Litecoin's Ltub, Mtub, ttub) for currency on
// network. Its SLIP-132 version decides the address type of BTC and LTC
// deposits: x/t → P2PKH, y/u → P2SH-P2WPKH, z/v → native segwit. Bitcoin
// Cash takes an xpub or tpub and pays to CashAddr P2PKH addresses; Ethereum
// takes an xpub (wallets export it under mainnet bytes whatever the network)
// and pays to EIP-55 addresses.
//
// A private key, a key of another network, a mistyped key (bad checksum) or
// a key that is not at an account's depth is refused with a
// *pasarela.Error of kind invalid whose message says which rule it broke.
func ParseKey(currency, network, encoded string) (*Key, error) {
	currency = strings.ToUpper(strings.TrimSpace(currency))
	nets, ok := params[currency]
	if !ok {
		return nil, keyError("key_currency", "extended keys are not supported for "+quoteName(currency))
	}
	p, ok := nets[network]
	if !ok {
		return nil, keyError("key_network", "unknown network "+quoteName(network)+
			" (want mainnet, testnet or regtest)")
	}
	raw := base58.Decode(strings.TrimSpace(encoded))
	if len(raw) != serializedKeyLen {
		return nil, keyError("key_format", "is not an extended public key (such as an xpub, ypub or zpub)")
	}
	payload, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	if string(chainhash.DoubleHashB(payload)[:4]) != string(sum) {
		return nil, keyError("key_checksum", "the key's checksum does not match: it is mistyped or truncated")
	}
	v, ok := keyVersions[binary.BigEndian.Uint32(payload[:4])]
	switch {
	case !ok:
		return nil, keyError("key_version", "the key's version is not one of a known extended public key "+
			"(xpub, ypub, zpub, tpub, upub, vpub)")
	case v.private:
		return nil, keyError("key_private", "a private key ("+v.name+") was given: give the account's "+
			"extended public key, the gateway must never hold a private key")
	case v.multisig:
		return nil, keyError("key_multisig", "a multisig key ("+v.name+") cannot make addresses alone: "+
			"give a single-signature account's key")
	}
	addr := v.addr
	isMainnetKey := v.mainnet
	switch currency {
	case "ETH":
		// Ethereum has one address type, and wallets serialize its
		// account keys as xpub on every network.
		if v.name != "xpub" {
			return nil, keyError("key_type", "an Ethereum key must be an xpub, not a "+v.name)
		}
		addr, isMainnetKey = ethAddr, network == Mainnet
	case "BCH":
		if addr != p2pkh {
			return nil, keyError("key_type", "a "+v.name+" key makes "+addr.String()+
				" addresses, which Bitcoin Cash does not have: give the account's xpub (or tpub)")
		}
		addr = cashP2PKH
	case "BTC":
		if strings.HasSuffix(v.name, "tub") {
			return nil, keyError("key_type", "a Litecoin key ("+v.name+") cannot be used for BTC")
		}
	}
	if isMainnetKey != (network == Mainnet) {
		keyNet := "mainnet"
		if !isMainnetKey {
			keyNet = "testnet or regtest"
		}
		return nil, keyError("key_network", "a "+keyNet+" key ("+v.name+") cannot be used on "+network)
	}
	ext, err := hdkeychain.NewKeyFromString(strings.TrimSpace(encoded))
	if err != nil {
		// The length and checksum were checked: what is left is a
		// public key that is not a point of the curve.
		return nil, keyError("key_format", "the key's public key is not valid")
	}
	if ext.IsPrivate() {
		// A private key serialized under a public version: its key
		// data says what it is.
		return nil, keyError("key_private", "a private key was given: give the account's extended public key, "+
			"the gateway must never hold a private key")
	}
	if ext.Depth() != accountDepth || ext.ChildIndex() < hardened {
		return nil, keyError("key_depth", "the key is not an account key (m/purpose'/coin'/account', "+
			"depth 3): export the account's extended public key from the wallet")
	}
	pub, err := ext.ECPubKey()
	if err != nil {
		return nil, keyError("key_format", "the key's public key is not valid")
	}
	receive, err := ext.Derive(0)
	if err != nil {
		return nil, keyError("key_format", "the key cannot derive its receive branch")
	}
	h := sha256.New()
	h.Write([]byte(currency + "\x00" + network + "\x00"))
	h.Write(pub.SerializeCompressed())
	h.Write(ext.ChainCode())
	return &Key{currency: currency, network: network, addr: addr, params: p, receive: receive,
		id: hex.EncodeToString(h.Sum(nil)[:16])}, nil
}

// quoteName quotes a short user-given name (a currency or network) for an error message,
// cutting it so that a pasted key never ends up whole in a message.
func quoteName(s string) string {
	if len(s) > 12 {
		s = s[:12] + "…"
	}
	return `"` + s + `"`
}

// Currency is the currency the key's addresses are in.
func (k *Key) Currency() string { return k.currency }

// Network is the network the key's addresses are on.
func (k *Key) Network() string { return k.network }

// ID names the key in the database (the derivation index of each key is
// kept under it) without revealing it: the first 16 bytes of a SHA-256 over
// the currency, the network, the account's public key and chain code, in
// hex. It leaves the version bytes out, so an xpub and a zpub of one
// account share their indexes and never pay two deposits to the same
// public key.
func (k *Key) ID() string { return k.id }

// Address returns the deposit address at index of the receive branch
// (account / 0 / index). Indexes from 2^31 on are hardened, which a public
// key cannot derive, and are refused.
func (k *Key) Address(index uint32) (string, error) {
	if index >= hardened {
		return "", errors.New("chain: derivation index out of range (hardened)")
	}
	child, err := k.receive.Derive(index)
	if err != nil {
		// ErrInvalidChild: about one index in 2^127; the caller moves on
		// to the next index.
		return "", err
	}
	pub, err := child.ECPubKey()
	if err != nil {
		return "", err
	}
	switch k.addr {
	case p2pkh:
		return base58.CheckEncode(btcutil.Hash160(pub.SerializeCompressed()), k.params.pubKeyHash), nil
	case p2shP2wpkh:
		script := append([]byte{0x00, 0x14}, btcutil.Hash160(pub.SerializeCompressed())...)
		return base58.CheckEncode(btcutil.Hash160(script), k.params.scriptHash), nil
	case p2wpkh:
		return segwitEncode(k.params.hrp, 0, btcutil.Hash160(pub.SerializeCompressed()))
	case cashP2PKH:
		return cashaddrEncode(k.params.cashPrefix, cashaddrP2PKH, btcutil.Hash160(pub.SerializeCompressed()))
	case ethAddr:
		return ethChecksum(keccak(pub.SerializeUncompressed()[1:])[12:]), nil
	}
	return "", errors.New("chain: unknown address type")
}

// segwitEncode encodes a segwit address (BIP173 for version 0, BIP350's
// bech32m for later versions).
func segwitEncode(hrp string, version byte, program []byte) (string, error) {
	data, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return "", err
	}
	data = append([]byte{version}, data...)
	if version == 0 {
		return bech32.Encode(hrp, data)
	}
	return bech32.EncodeM(hrp, data)
}

func keccak(b []byte) []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(b)
	return h.Sum(nil)
}

// ethChecksum writes a 20-byte Ethereum address in EIP-55's mixed case: a
// hex letter is upper case when the matching nibble of the keccak of the
// lower-case hex is 8 or more, so a mistyped address fails to validate.
func ethChecksum(addr []byte) string {
	lower := hex.EncodeToString(addr)
	hash := keccak([]byte(lower))
	out := []byte(lower)
	for i, c := range out {
		nibble := hash[i/2] >> 4
		if i%2 == 1 {
			nibble = hash[i/2] & 0x0f
		}
		if c >= 'a' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}

// ValidAddress reports whether address is an address of currency on
// network that a payment can be sent to: for BTC and LTC a base58 P2PKH or
// P2SH address or a segwit address of any version (bech32 or bech32m) with
// the network's prefix; for BCH a CashAddr P2PKH or P2SH address (its
// prefix may be left out); for ETH 0x and 40 hex digits, which when mixed
// case must carry a valid EIP-55 checksum.
func ValidAddress(currency, network, address string) bool {
	_, ok := CanonicalAddress(currency, network, address)
	return ok
}

// CanonicalAddress returns address in the one form Key.Address writes it
// (segwit in lower case, CashAddr in lower case with its prefix, Ethereum
// in EIP-55 case), and whether it is valid (see ValidAddress). A chain
// reports payments to an address in one spelling; comparing canonical
// forms makes a payment to "BC1Q…" or to a prefix-less CashAddr count for
// the deposit.
func CanonicalAddress(currency, network, address string) (string, bool) {
	p, ok := params[strings.ToUpper(currency)][network]
	if !ok || len(address) > 120 {
		return "", false
	}
	switch strings.ToUpper(currency) {
	case "BCH":
		// P2PKH and P2SH pay to a 20-byte hash; P2SH32 (2023) to a
		// 32-byte one.
		typ, hash, err := cashaddrDecode(p.cashPrefix, address)
		if err != nil || !((typ == cashaddrP2PKH || typ == cashaddrP2SH) && len(hash) == 20 ||
			typ == cashaddrP2SH && len(hash) == 32) {
			return "", false
		}
		canonical, err := cashaddrEncode(p.cashPrefix, typ, hash)
		return canonical, err == nil
	case "ETH":
		return canonicalETH(address)
	}
	if strings.HasPrefix(strings.ToLower(address), p.hrp+"1") {
		if !validSegwit(p.hrp, address) {
			return "", false
		}
		return strings.ToLower(address), true
	}
	payload, version, err := base58.CheckDecode(address)
	if err != nil || len(payload) != 20 || version != p.pubKeyHash && version != p.scriptHash {
		return "", false
	}
	return address, true
}

// validSegwit checks a segwit address against BIP173 and BIP350: version 0
// with bech32 and a 20- or 32-byte program, versions 1 to 16 with bech32m
// and a 2- to 40-byte program.
func validSegwit(hrp, address string) bool {
	gotHRP, data, variant, err := bech32.DecodeGeneric(address)
	if err != nil || gotHRP != hrp || len(data) < 1 || data[0] > 16 {
		return false
	}
	program, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil || len(program) < 2 || len(program) > 40 {
		return false
	}
	if data[0] == 0 {
		return variant == bech32.Version0 && (len(program) == 20 || len(program) == 32)
	}
	return variant == bech32.VersionM
}

func canonicalETH(address string) (string, bool) {
	if len(address) != 42 || address[:2] != "0x" {
		return "", false
	}
	raw, err := hex.DecodeString(address[2:])
	if err != nil {
		return "", false
	}
	canonical := ethChecksum(raw)
	body := address[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && address != canonical {
		return "", false
	}
	return canonical, true
}

// uriSchemes are the URI schemes of BIP21 and its siblings, which wallets
// open from a QR code.
var uriSchemes = map[string]string{"BTC": "bitcoin:", "LTC": "litecoin:", "BCH": "bitcoincash:"}

// PaymentURI returns the URI a wallet opens to pay amount to address: BIP21
// (bitcoin:addr?amount=0.004, the amount in coins with no exponent and no
// trailing zeros) for BTC, LTC and BCH (whose CashAddr already starts with
// its scheme), and EIP-681 for ETH, whose value is an integer of wei. A
// zero or negative amount leaves the amount out. An ETH amount finer than
// a wei is rounded up, so that paying the URI never pays less than due.
func PaymentURI(currency, address string, amount decimal.Decimal) string {
	currency = strings.ToUpper(currency)
	if currency == "ETH" {
		uri := "ethereum:" + address
		if amount.IsPositive() {
			uri += "?value=" + amount.Shift(18).Ceil().String()
		}
		return uri
	}
	uri := address
	// A CashAddr carries its prefix (bitcoincash:, bchtest:, bchreg:),
	// which is the scheme its wallets open.
	if currency != "BCH" || !strings.Contains(address, ":") {
		uri = uriSchemes[currency] + address
	}
	if amount.IsPositive() {
		uri += "?amount=" + amount.String()
	}
	return uri
}
