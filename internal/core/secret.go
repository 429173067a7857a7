package core

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
)

// sealer encrypts gateway secrets at rest with AES-256-GCM. The key lives
// outside the database (a file or the environment), so a copy of the
// database alone does not reveal processor credentials.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("the secret key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns nonce || ciphertext. additional binds the ciphertext to its
// row (the config's code), so sealed secrets cannot be swapped between rows.
func (s *sealer) seal(plain, additional []byte) []byte {
	nonce := randomBytes(s.aead.NonceSize())
	return s.aead.Seal(nonce, nonce, plain, additional)
}

func (s *sealer) open(sealed, additional []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], additional)
}
