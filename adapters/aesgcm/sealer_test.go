package aesgcm_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/domain"
)

func TestSealer_roundTripAndRefusals(t *testing.T) {
	key := bytes.Repeat([]byte{7}, aesgcm.KeySize)
	s, err := aesgcm.New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("refresh-token-value"), []byte("key-a"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("refresh-token-value")) {
		t.Fatal("sealed data contains the plaintext")
	}
	again, _ := s.Seal([]byte("refresh-token-value"), []byte("key-a"))
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one plaintext are equal; want a fresh nonce each time")
	}
	got, err := s.Open(sealed, []byte("key-a"))
	if err != nil || string(got) != "refresh-token-value" {
		t.Fatalf("Open = %q, %v; want the plaintext", got, err)
	}
	if _, err := s.Open(sealed, []byte("key-b")); !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("Open with other associated data error = %v; want ErrCacheStore", err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	if _, err := s.Open(tampered, []byte("key-a")); err == nil {
		t.Fatal("Open of tampered data succeeded")
	}
	other, _ := aesgcm.New(bytes.Repeat([]byte{8}, aesgcm.KeySize))
	if _, err := other.Open(sealed, []byte("key-a")); err == nil {
		t.Fatal("Open with another key succeeded")
	}
	if _, err := s.Open([]byte("short"), nil); err == nil {
		t.Fatal("Open of short data succeeded")
	}
}

func TestNew_refusesWrongKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := aesgcm.New(make([]byte, n)); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("New(%d-byte key) error = %v; want ErrInvalidInput", n, err)
		}
	}
}
