package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/postgres"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
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

// TestStore_HitReader holds FindHit, the silent hit's read, to Find's rules.
func TestStore_HitReader(t *testing.T) {
	postgres.DSNForTest(t)
	conformance.TestHitReader(t, func(t *testing.T) ports.CacheStore { return postgres.OpenTestStore(t, postgres.Config{}) })
}

// loadTimer reports how long loading a benchmark store took: from its opening to the
// first Find, which the benchmark makes once the accounts are imported.
type loadTimer struct {
	ports.CacheStore
	b      *testing.B
	opened time.Time
	once   sync.Once
}

func (l *loadTimer) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	l.once.Do(func() { l.b.Logf("opened and loaded in %v", time.Since(l.opened).Round(time.Millisecond)) })
	return l.CacheStore.Find(ctx, q)
}

// BenchmarkStore runs the silent-hit benchmark at 1, 10,000 and 100,000 accounts,
// each size in a fresh schema.
func BenchmarkStore(b *testing.B) {
	conformance.BenchmarkCacheStore(b, func(b *testing.B) ports.CacheStore {
		start := time.Now()
		return &loadTimer{CacheStore: postgres.OpenTestStore(b, postgres.Config{}), b: b, opened: start}
	}, []int{1, 10_000, 100_000})
}
