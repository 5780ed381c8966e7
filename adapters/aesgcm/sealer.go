// Package aesgcm implements ports.Sealer with AES-256-GCM, so that token secrets are
// encrypted before they reach a cache store and a stolen database leaks no usable token.
package aesgcm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"io"

	"github.com/hexauth/hexauth/domain"
)

// KeySize is the key length AES-256 needs.
const KeySize = 32

// Sealer seals with AES-256-GCM and a random 96-bit nonce per message. The sealed form
// is nonce || ciphertext || tag. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

// New returns a Sealer for a 32-byte key. Keep the key outside the database it
// protects (an environment variable, a secrets manager).
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, domain.Errorf(domain.ErrInvalidInput, "aesgcm: the key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "aesgcm", Err: err}
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, &domain.Error{Class: domain.ErrInvalidInput, Op: "aesgcm", Err: err}
	}
	return &Sealer{aead: aead, rand: rand.Reader}, nil
}

// Seal encrypts plaintext bound to associatedData.
func (s *Sealer) Seal(plaintext, associatedData []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, &domain.Error{Class: domain.ErrCacheStore, Op: "aesgcm: seal", Err: err}
	}
	return s.aead.Seal(nonce, nonce, plaintext, associatedData), nil
}

// Open decrypts what Seal produced with the same associated data. Tampered data, the
// wrong key or other associated data fail.
func (s *Sealer) Open(sealed, associatedData []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, domain.Errorf(domain.ErrCacheStore, "aesgcm: sealed data is too short")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], associatedData)
	if err != nil {
		return nil, domain.Errorf(domain.ErrCacheStore, "aesgcm: sealed data does not open (wrong key, or tampered)")
	}
	return out, nil
}
