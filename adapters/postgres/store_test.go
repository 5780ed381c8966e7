package postgres_test

import (
	"testing"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/ports"
)

// TestStore_conformance runs the CacheStore suite, each case on a fresh schema.
func TestStore_conformance(t *testing.T) {
	postgres.DSNForTest(t)
	f := conformance.Features{
		Persistent:       true,
		CrossProcessLock: true,
		NewStorePair: func(t *testing.T) (ports.CacheStore, ports.CacheStore) {
			schema := postgres.SchemaForTest(t)
			return postgres.OpenTestStore(t, postgres.Config{Schema: schema}), postgres.OpenTestStore(t, postgres.Config{Schema: schema})
		},
	}
	conformance.TestCacheStore(t, f, func(t *testing.T) ports.CacheStore {
		return postgres.OpenTestStore(t, postgres.Config{})
	})
}

// BenchmarkStore runs the silent-hit benchmark at 1, 10,000 and 100,000 accounts,
// each size in a fresh schema.
func BenchmarkStore(b *testing.B) {
	conformance.BenchmarkCacheStore(b, func(b *testing.B) ports.CacheStore {
		return postgres.OpenTestStore(b, postgres.Config{})
	}, []int{1, 10_000, 100_000})
}
