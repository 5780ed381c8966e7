package usecases_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/aesgcm"
	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
	"github.com/hexauth/hexauth/usecases"
)

func newSealed(t *testing.T, key byte) (ports.CacheStore, *memory.Store) {
	t.Helper()
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	sealer, err := aesgcm.New(bytes.Repeat([]byte{key}, aesgcm.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return usecases.SealedStore(inner, sealer, nil), inner
}

// The sealing decorator must keep the whole CacheStore contract.
func TestSealedStore_conformance(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore {
		s, _ := newSealed(t, 1)
		return s
	})
}

func TestSealedStore_innerStoreHoldsNoPlaintextSecret(t *testing.T) {
	ctx := testContext(t)
	s, inner := newSealed(t, 1)
	now := time.Unix(1_800_000_000, 0)
	w := domain.CacheWrite{
		Partition:    "p",
		AccessToken:  &domain.AccessToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Target: "read", Secret: "plain-access", TokenType: "Bearer", CachedAt: now, ExpiresOn: now.Add(time.Hour)},
		RefreshToken: &domain.RefreshToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-refresh", CachedAt: now},
		IDToken:      &domain.IDToken{HomeAccountID: "h", Environment: "e", ClientID: "c", Secret: "plain-id"},
	}
	if err := s.Write(ctx, w); err != nil {
		t.Fatal(err)
	}
	raw, err := inner.Export(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []domain.Secret{raw.AccessTokens[0].Secret, raw.RefreshTokens[0].Secret, raw.IDTokens[0].Secret} {
		if strings.Contains(string(secret), "plain") {
			t.Fatalf("inner store holds a plaintext secret")
		}
	}
	got, err := s.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.RefreshTokens) != 1 || got.RefreshTokens[0].Secret != "plain-refresh" {
		t.Fatalf("Find through the sealer = %+v, %v; want the opened refresh token", got.RefreshTokens, err)
	}

	// Another key cannot open the entries: they read as misses, never as garbage.
	otherSealer, _ := aesgcm.New(bytes.Repeat([]byte{2}, aesgcm.KeySize))
	other := usecases.SealedStore(inner, otherSealer, nil)
	got, err = other.Find(ctx, domain.CacheQuery{Partition: "p", HomeAccountID: "h"})
	if err != nil || len(got.AccessTokens)+len(got.RefreshTokens)+len(got.IDTokens) != 0 {
		t.Fatalf("Find with the wrong key = %+v, %v; want every token dropped as a miss", got, err)
	}
}
