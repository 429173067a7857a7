package chain

import (
	"errors"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// CashAddr is Bitcoin Cash's address format
// (https://upgradespecs.bitcoincashnode.org/cashaddr). No well-kept Go module
// for it is available to the project (the one maintained with bchd drags a
// whole node in), and the format is small: base32 with the bech32 alphabet
// and a 40-bit BCH-code checksum over the prefix and the payload. It is
// tested against the specification's own vectors.

// cashaddrCharset is the base32 alphabet, the same as bech32's.
const cashaddrCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// CashAddr address types: the high bits of the version byte.
const (
	cashaddrP2PKH = 0
	cashaddrP2SH  = 1
)

// cashaddrHashSizes are the hash lengths in bytes the version byte's low
// three bits encode.
var cashaddrHashSizes = [8]int{20, 24, 28, 32, 40, 48, 56, 64}

// cashaddrPolymod is the checksum function of the specification: the
// remainder of the input read as a polynomial over GF(32), modulo the
// generator whose XOR constants these are.
func cashaddrPolymod(values []byte) uint64 {
	c := uint64(1)
	for _, d := range values {
		c0 := byte(c >> 35)
		c = ((c & 0x07ffffffff) << 5) ^ uint64(d)
		if c0&0x01 != 0 {
			c ^= 0x98f2bc8e61
		}
		if c0&0x02 != 0 {
			c ^= 0x79b76d99e2
		}
		if c0&0x04 != 0 {
			c ^= 0xf33e5fb3c4
		}
		if c0&0x08 != 0 {
			c ^= 0xae2eabe2a8
		}
		if c0&0x10 != 0 {
			c ^= 0x1e4f43e470
		}
	}
	return c ^ 1
}

// cashaddrChecksumInput is what the checksum covers: the lower five bits of
// each prefix character, a zero separator, then the 5-bit payload.
func cashaddrChecksumInput(prefix string, payload []byte) []byte {
	in := make([]byte, 0, len(prefix)+1+len(payload)+8)
	for i := 0; i < len(prefix); i++ {
		in = append(in, prefix[i]&0x1f)
	}
	in = append(in, 0)
	return append(in, payload...)
}

// cashaddrEncodeRaw encodes 5-bit values under prefix, appending the
// checksum: the layer the specification's checksum vectors test.
func cashaddrEncodeRaw(prefix string, payload []byte) string {
	mod := cashaddrPolymod(append(cashaddrChecksumInput(prefix, payload), 0, 0, 0, 0, 0, 0, 0, 0))
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte(':')
	for _, v := range payload {
		b.WriteByte(cashaddrCharset[v])
	}
	for i := range 8 {
		b.WriteByte(cashaddrCharset[(mod>>(5*(7-i)))&0x1f])
	}
	return b.String()
}

// cashaddrEncode returns the address of the given type paying hash.
func cashaddrEncode(prefix string, typ byte, hash []byte) (string, error) {
	size := -1
	for i, n := range cashaddrHashSizes {
		if n == len(hash) {
			size = i
		}
	}
	if size < 0 {
		return "", errors.New("cashaddr: unsupported hash length")
	}
	data, err := bech32.ConvertBits(append([]byte{typ<<3 | byte(size)}, hash...), 8, 5, true)
	if err != nil {
		return "", err
	}
	return cashaddrEncodeRaw(prefix, data), nil
}

// cashaddrDecodeRaw checks the checksum of addr under prefix and returns its
// 5-bit payload, checksum removed. The prefix may be left out of addr, as
// the specification allows; the address must be all lower or all upper
// case.
func cashaddrDecodeRaw(prefix, addr string) ([]byte, error) {
	if addr != strings.ToLower(addr) && addr != strings.ToUpper(addr) {
		return nil, errors.New("cashaddr: mixed case")
	}
	addr = strings.ToLower(addr)
	if p, rest, ok := strings.Cut(addr, ":"); ok {
		if p != prefix {
			return nil, errors.New("cashaddr: wrong prefix")
		}
		addr = rest
	}
	if len(addr) < 8 {
		return nil, errors.New("cashaddr: too short")
	}
	values := make([]byte, len(addr))
	for i := 0; i < len(addr); i++ {
		v := strings.IndexByte(cashaddrCharset, addr[i])
		if v < 0 {
			return nil, errors.New("cashaddr: invalid character")
		}
		values[i] = byte(v)
	}
	if cashaddrPolymod(cashaddrChecksumInput(prefix, values)) != 0 {
		return nil, errors.New("cashaddr: bad checksum")
	}
	return values[:len(values)-8], nil
}

// cashaddrDecode returns the type and hash of a CashAddr address under
// prefix, checking that the version byte's size matches the hash.
func cashaddrDecode(prefix, addr string) (typ byte, hash []byte, err error) {
	payload, err := cashaddrDecodeRaw(prefix, addr)
	if err != nil {
		return 0, nil, err
	}
	data, err := bech32.ConvertBits(payload, 5, 8, false)
	if err != nil || len(data) == 0 {
		return 0, nil, errors.New("cashaddr: bad payload")
	}
	version := data[0]
	if version&0x80 != 0 || len(data)-1 != cashaddrHashSizes[version&0x07] {
		return 0, nil, errors.New("cashaddr: bad version byte")
	}
	return version >> 3, data[1:], nil
}
