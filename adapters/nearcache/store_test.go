package nearcache_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/adapters/nearcache"
	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// countingStore counts the hit reads that reach the wrapped store.
type countingStore struct {
	*sqlite.Store
	reads atomic.Int64
}

func (c *countingStore) FindHit(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	c.reads.Add(1)
	return c.Store.FindHit(ctx, q)
}

func newCounting(t *testing.T, cfg nearcache.Config) (*nearcache.Store, *countingStore) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	c := &countingStore{Store: s}
	return wrap(t, c, cfg), c
}

func TestStore_FindHit_servesWarmHitsFromMemory(t *testing.T) {
	near, inner := newCounting(t, nearcache.Config{CheckInterval: time.Hour})
	if err := near.Write(context.Background(), tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if got := servedSecret(t, near); got != "t1" {
			t.Fatalf("served %q; want t1", got)
		}
	}
	if n := inner.reads.Load(); n != 1 {
		t.Fatalf("store reads for 5 hits = %d; want 1", n)
	}
}

func TestStore_Write_readYourWrites(t *testing.T) {
	// An hour between version reads: only the write's own drop can make the new token
	// visible.
	near, _ := newCounting(t, nearcache.Config{CheckInterval: time.Hour})
	ctx := context.Background()
	for i, secret := range []string{"t1", "t2", "t3"} {
		if err := near.Write(ctx, tokenWrite(secret)); err != nil {
			t.Fatal(err)
		}
		if got := servedSecret(t, near); got != secret {
			t.Fatalf("write %d: served %q right after writing %q", i, got, secret)
		}
	}
	if err := near.RemoveAccount(ctx, domain.AccountRemoval{Partition: mpPartition, HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient}); err != nil {
		t.Fatal(err)
	}
	if got := servedSecret(t, near); got != "" {
		t.Fatalf("served %q right after RemoveAccount; want nothing", got)
	}
}

func TestStore_Import_dropsEverything(t *testing.T) {
	near, _ := newCounting(t, nearcache.Config{CheckInterval: time.Hour})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	w := tokenWrite("imported")
	snap := domain.CacheSnapshot{AccessTokens: []domain.AccessToken{*w.AccessToken}}
	if err := near.Import(ctx, mpPartition, snap); err != nil {
		t.Fatal(err)
	}
	if got := servedSecret(t, near); got != "imported" {
		t.Fatalf("served %q after Import; want imported", got)
	}
}

func TestStore_FindHit_partitionsAndAccountsApart(t *testing.T) {
	near, _ := newCounting(t, nearcache.Config{CheckInterval: time.Hour})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	for _, q := range []domain.CacheQuery{
		{Partition: mpPartition + "x", HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient},
		{Partition: "", HomeAccountID: mpHome, Environments: []string{mpEnv}, ClientID: mpClient},
		{Partition: mpPartition, HomeAccountID: "alice", Environments: []string{mpEnv}, ClientID: mpClient},
	} {
		got, err := near.FindHit(ctx, q)
		if err != nil || len(got.AccessTokens) != 0 {
			t.Fatalf("FindHit(%+v) = %d access tokens, %v; want none (another partition or account)", q, len(got.AccessTokens), err)
		}
	}
}

func TestStore_FindHit_resultIsACopy(t *testing.T) {
	near, _ := newCounting(t, nearcache.Config{CheckInterval: time.Hour})
	if err := near.Write(context.Background(), tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)                             // a miss: what the store returned
	got, _ := near.FindHit(context.Background(), mpQuery) // a near hit
	got.AccessTokens[0].Secret = "tampered"
	if s := servedSecret(t, near); s != "t1" {
		t.Fatalf("served %q after the caller changed its result; want t1", s)
	}
}

// TestStore_MaxBytes_bound fills the near cache with far more accounts than MaxBytes
// holds: the estimated size stays under the bound and the most recent stay.
func TestStore_MaxBytes_bound(t *testing.T) {
	const maxBytes = 16 << 10
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	near := wrap(t, inner, nearcache.Config{MaxBytes: maxBytes, FallbackTTL: time.Hour})
	ctx := context.Background()
	for i := range 500 {
		w := tokenWrite(fmt.Sprintf("secret-%04d-%s", i, make([]byte, 200)))
		home := fmt.Sprintf("user%d", i)
		w.AccessToken.HomeAccountID, w.IDToken.HomeAccountID, w.Account.HomeAccountID = home, home, home
		w.DeleteAccessTokens = nil
		if err := near.Write(ctx, w); err != nil {
			t.Fatal(err)
		}
		q := mpQuery
		q.HomeAccountID = home
		if _, err := near.FindHit(ctx, q); err != nil {
			t.Fatal(err)
		}
		if got := near.Bytes(); got > maxBytes {
			t.Fatalf("after %d accounts the near entries take %d bytes; want at most %d", i+1, got, maxBytes)
		}
	}
	if n := near.Len(); n == 0 || n >= 500 {
		t.Fatalf("near entries = %d; want some, fewer than the 500 read", n)
	}
}

// TestStore_FallbackTTL: a store with no change signal (the memory store here) is
// served from memory only for FallbackTTL after each read.
func TestStore_FallbackTTL(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	inner, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatal(err)
	}
	near := wrap(t, inner, nearcache.Config{FallbackTTL: 100 * time.Millisecond, Clock: clock})
	ctx := context.Background()
	if err := near.Write(ctx, tokenWrite("t1")); err != nil {
		t.Fatal(err)
	}
	_ = servedSecret(t, near)
	// Another writer, unseen by the near cache, replaces the token in the store.
	if err := inner.Write(ctx, tokenWrite("t2")); err != nil {
		t.Fatal(err)
	}
	clock.add(99 * time.Millisecond)
	if got := servedSecret(t, near); got != "t1" {
		t.Fatalf("within FallbackTTL: served %q; want the near entry t1", got)
	}
	clock.add(time.Millisecond)
	if got := servedSecret(t, near); got != "t2" {
		t.Fatalf("FallbackTTL after the read: served %q; want the store's t2", got)
	}
}

func TestStore_Close(t *testing.T) {
	near, _ := newCounting(t, nearcache.Config{})
	if err := near.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := near.FindHit(context.Background(), mpQuery); !errors.Is(err, domain.ErrCacheStore) {
		t.Fatalf("FindHit after Close = %v; want ErrCacheStore", err)
	}
	if err := near.Close(); err != nil {
		t.Fatalf("second Close = %v; want nil", err)
	}
}

func TestNew_invalid(t *testing.T) {
	inner, _ := memory.NewStore(memory.StoreConfig{})
	for _, cfg := range []nearcache.Config{{MaxBytes: -1}, {PingInterval: -1}} {
		if _, err := nearcache.New(inner, cfg); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("New(%+v) = %v; want ErrInvalidInput", cfg, err)
		}
	}
	if _, err := nearcache.New(nil, nearcache.Config{}); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("New(nil) = %v; want ErrInvalidInput", err)
	}
}

type fakeClock struct {
	mu  atomic.Int64
	now time.Time
}

func (c *fakeClock) Now() time.Time      { return c.now.Add(time.Duration(c.mu.Load())) }
func (c *fakeClock) add(d time.Duration) { c.mu.Add(int64(d)) }

var _ ports.Clock = (*fakeClock)(nil)
