package httpidp

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hexauth/hexauth/domain"
)

// Failures are remembered per key (an authority), and keys can come from a request's
// input: the map stays bounded however many keys fail, the expired entries are swept
// once it is full, and a failure past the bound is simply not remembered.
func TestTTLCache_failuresBounded(t *testing.T) {
	c := newTTLCache[string](time.Hour, 0)
	now := time.Unix(1_900_000_000, 0)
	clock := func() time.Time { return now }
	down := errors.New("unavailable")
	fetch := func(key string) error {
		_, err := c.fetch(context.Background(), key, clock, func(context.Context) (string, error) { return "", down })
		return err
	}
	for i := range 3 * maxRememberedFailures {
		if err := fetch(fmt.Sprintf("tenant-%d", i)); !errors.Is(err, down) {
			t.Fatalf("fetch = %v; want the failure", err)
		}
	}
	if n := len(c.failures); n > maxRememberedFailures {
		t.Fatalf("%d failures remembered; want at most %d", n, maxRememberedFailures)
	}
	now = now.Add(failureMemory + time.Second)
	if err := fetch("one-more"); !errors.Is(err, down) {
		t.Fatalf("fetch = %v; want the failure", err)
	}
	if n := len(c.failures); n != 1 {
		t.Fatalf("%d failures remembered after the others expired; want them swept, 1 left", n)
	}
}

// Values are cached per key (an authority), and keys can come from a request's input:
// however many keys are stored, at most maxCachedValues are kept.
func TestTTLCache_valuesBounded(t *testing.T) {
	c := newTTLCache[int](time.Hour, 0)
	now := time.Unix(1_900_000_000, 0)
	for i := range 3 * maxCachedValues {
		c.store(fmt.Sprintf("tenant-%d", i), i, now)
	}
	if n := len(c.entries); n > maxCachedValues {
		t.Fatalf("%d values cached; want at most %d", n, maxCachedValues)
	}
	if v, _, ok := c.lookup(fmt.Sprintf("tenant-%d", 3*maxCachedValues-1), now); !ok || v != 3*maxCachedValues-1 {
		t.Fatalf("the last value stored = %d, %v; want it cached", v, ok)
	}
}

// An authority in use is touched by every hit: storing new keys (an attacker naming
// tenant after tenant) evicts the ones not in use, never it.
func TestTTLCache_evictsLeastRecentlyUsed(t *testing.T) {
	c := newTTLCache[int](time.Hour, 0)
	now := time.Unix(1_900_000_000, 0)
	c.store("in-use", -1, now)
	for i := range 3 * maxCachedValues {
		c.store(fmt.Sprintf("tenant-%d", i), i, now)
		if _, _, ok := c.lookup("in-use", now); !ok {
			t.Fatalf("the authority in use was evicted after %d other stores", i+1)
		}
	}
}

// ADR 0018: during an outage the discovery document of an authority in use is served
// stale. Serving it stale is a use: the new keys stored meanwhile evict older ones, and
// the outage keeps its document.
func TestTTLCache_staleServeKeepsTheValue(t *testing.T) {
	c := newTTLCache[int](time.Hour, 24*time.Hour)
	now := time.Unix(1_900_000_000, 0)
	clock := func() time.Time { return now }
	down := &domain.Error{Class: domain.ErrUnavailable, Op: "test"}
	failing := func(context.Context) (int, error) { return 0, down }
	c.store("in-use", 7, now)
	for i := range maxCachedValues - 1 {
		c.store(fmt.Sprintf("old-%d", i), i, now)
	}
	now = now.Add(2 * time.Hour) // past the time to live, inside staleIfError
	if v, err := c.fetch(context.Background(), "in-use", clock, failing); err != nil || v != 7 {
		t.Fatalf("fetch during an outage = %d, %v; want the stale value", v, err)
	}
	for i := range maxCachedValues / 4 {
		c.store(fmt.Sprintf("new-%d", i), i, now)
	}
	now = now.Add(failureMemory) // the failure forgotten: the refetch fails again
	if v, err := c.fetch(context.Background(), "in-use", clock, failing); err != nil || v != 7 {
		t.Fatalf("fetch during an outage, after new keys filled the cache = %d, %v; want the stale value kept", v, err)
	}
}

// Eviction forgets the values past any use (past ttl+staleIfError) before any other,
// however recently they were used.
func TestTTLCache_evictsDeadValuesFirst(t *testing.T) {
	c := newTTLCache[int](time.Hour, time.Hour)
	now := time.Unix(1_900_000_000, 0)
	for i := range maxCachedValues - 1 {
		c.store(fmt.Sprintf("live-%d", i), i, now)
	}
	c.store("dead", -1, now.Add(-2*time.Hour)) // the most recent use, but past any use
	c.store("new", 0, now)
	if _, ok := c.entries["dead"]; ok {
		t.Fatal("the value past any use is still cached")
	}
	for i := range maxCachedValues - 1 {
		if _, _, ok := c.lookup(fmt.Sprintf("live-%d", i), now); !ok {
			t.Fatalf("live-%d was evicted while a value past any use was cached", i)
		}
	}
}
