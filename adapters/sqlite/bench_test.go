package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hexauth/hexauth/adapters/sqlite"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/domain"
	"github.com/hexauth/hexauth/ports"
)

// loadTimer is a store that logs, at its first Find, how long it took from its opening
// to then: the time BenchmarkCacheStore spent loading it.
type loadTimer struct {
	ports.CacheStore
	b      *testing.B
	opened time.Time
	once   sync.Once
}

func (s *loadTimer) Find(ctx context.Context, q domain.CacheQuery) (domain.CacheEntries, error) {
	s.once.Do(func() {
		s.b.Logf("%s: opened and loaded in %v", s.b.Name(), time.Since(s.opened).Round(time.Millisecond))
	})
	return s.CacheStore.Find(ctx, q)
}

// BenchmarkStore measures the silent cache hit on a database file at 1, 10,000 and
// 100,000 cached accounts, and logs how long each size took to load:
//
//	go test -run '^$' -bench BenchmarkStore -v ./adapters/sqlite/
func BenchmarkStore(b *testing.B) {
	conformance.BenchmarkCacheStore(b, func(b *testing.B) ports.CacheStore {
		s := openStore(b, sqlite.Config{Path: filepath.Join(b.TempDir(), "bench.db")})
		return &loadTimer{CacheStore: s, b: b, opened: time.Now()}
	}, []int{1, 10_000, 100_000})
}
