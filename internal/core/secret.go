package core

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pasarela/pasarela/internal/store"
)

// sealer encrypts gateway secrets at rest with AES-256-GCM. The key lives
// outside the database (a file or the environment), so a copy of the
// database alone does not reveal processor credentials.
//
// It seals with one key and opens with that one or any other it was
// given: a key rotation re-seals row by row (Reseal), and until it is done
// some values are sealed with the old key and some with the new. GCM's tag
// tells a wrong key from the right one, so no key id is stored beside the
// values: opening tries the keys in turn.
type sealer struct {
	mu      sync.RWMutex
	aead    cipher.AEAD   // seals, and is tried first
	openers []cipher.AEAD // tried after it
	// reload, when set, is asked for the keys anew when a value opens with
	// none of those known (at most once a second).
	reload     func() ([]byte, [][]byte, error)
	lastReload time.Time
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("the secret key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newSealer(key []byte, others ...[]byte) (*sealer, error) {
	s := &sealer{}
	return s, s.setKeys(key, others)
}

func (s *sealer) setKeys(key []byte, others [][]byte) error {
	aead, err := newAEAD(key)
	if err != nil {
		return err
	}
	var openers []cipher.AEAD
	for _, k := range others {
		o, err := newAEAD(k)
		if err != nil {
			return fmt.Errorf("another secret key: %w", err)
		}
		openers = append(openers, o)
	}
	s.mu.Lock()
	s.aead, s.openers = aead, openers
	s.mu.Unlock()
	return nil
}

// seal returns nonce || ciphertext. additional binds the ciphertext to its
// row (the config's code), so sealed secrets cannot be swapped between rows.
func (s *sealer) seal(plain, additional []byte) []byte {
	s.mu.RLock()
	aead := s.aead
	s.mu.RUnlock()
	nonce := randomBytes(aead.NonceSize())
	return aead.Seal(nonce, nonce, plain, additional)
}

func (s *sealer) open(sealed, additional []byte) ([]byte, error) {
	plain, _, err := s.openWith(sealed, additional)
	if err == nil || s.reload == nil {
		return plain, err
	}
	s.mu.Lock()
	due := time.Since(s.lastReload) >= time.Second
	if due {
		s.lastReload = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return nil, err
	}
	key, others, rerr := s.reload()
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	if rerr := s.setKeys(key, others); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	plain, _, err = s.openWith(sealed, additional)
	return plain, err
}

// openWith opens sealed with the first key that can, and says whether that
// was the sealing key.
func (s *sealer) openWith(sealed, additional []byte) (plain []byte, current bool, err error) {
	s.mu.RLock()
	aeads := append([]cipher.AEAD{s.aead}, s.openers...)
	s.mu.RUnlock()
	n := aeads[0].NonceSize()
	if len(sealed) < n {
		return nil, false, errors.New("sealed value too short")
	}
	for i, a := range aeads {
		if plain, err = a.Open(nil, sealed[:n], sealed[n:], additional); err == nil {
			return plain, i == 0, nil
		}
	}
	return nil, false, err
}

// additionalData is what a sealed value of v's kind is bound to.
func additionalData(v store.SealedValue) []byte {
	switch v.Kind {
	case store.SealedGatewaySecrets:
		return []byte(v.Code)
	case store.SealedWebhookSecret:
		return secretAAD(v.ClientID, v.ApplicationID)
	case store.SealedAPIKey:
		return keyAAD(v.ClientID, v.ApplicationID)
	case store.SealedTOTP:
		return totpAAD(v.ClientID, v.ID)
	}
	return nil
}

// ResealReport counts what Reseal did.
type ResealReport struct {
	Resealed int // sealed anew with the sealing key
	Current  int // already sealed with it
}

// Reseal seals every sealed value of the database (gateway secrets,
// webhook secrets, the sealed copies of API keys, users' TOTP secrets) with the sealing key,
// opening each with whichever key it was sealed with. It works in small
// transactions, each replacing a value only if it is still the one read,
// so it may be stopped at any point and run again: a value already sealed
// with the sealing key is left as it is. A value no key opens is an
// error, after every other value has been resealed.
func (s *Service) Reseal(ctx context.Context) (ResealReport, error) {
	var rep ResealReport
	var unopened []error
	const batch = 100
	for _, kind := range store.SealedKinds {
		after := int64(0)
		for {
			var vals []store.SealedValue
			err := s.db.View(ctx, func(tx *store.Tx) error {
				var err error
				vals, err = tx.SealedValues(ctx, kind, after, batch)
				return err
			})
			if err != nil {
				return rep, err
			}
			if len(vals) == 0 {
				break
			}
			after = vals[len(vals)-1].ID
			// The batch's figures are counted afresh by each run of the
			// callback (a write may run again, see store.DB) and added
			// once it has committed.
			var batchUnopened []error
			var current, resealed int
			err = s.db.Update(ctx, func(tx *store.Tx) error {
				batchUnopened, current, resealed = nil, 0, 0
				for _, v := range vals {
					aad := additionalData(v)
					plain, isCurrent, err := s.sealer.openWith(v.Sealed, aad)
					if err != nil {
						batchUnopened = append(batchUnopened, fmt.Errorf("%s of row %d: no key opens it", v.Kind, v.ID))
						continue
					}
					if isCurrent {
						current++
						continue
					}
					ok, err := tx.ReplaceSealed(ctx, v, s.sealer.seal(plain, aad))
					if err != nil {
						return err
					}
					if ok {
						resealed++
					}
				}
				return nil
			})
			if err != nil {
				return rep, err
			}
			unopened = append(unopened, batchUnopened...)
			rep.Current += current
			rep.Resealed += resealed
		}
	}
	return rep, errors.Join(unopened...)
}
