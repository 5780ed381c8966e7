package memory_test

import (
	"testing"

	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/ports"
)

// BenchmarkStore measures Find at 1, 10,000 and 1,000,000 cached accounts:
//
//	go test -run '^$' -bench BenchmarkStore ./adapters/memory/
func BenchmarkStore(b *testing.B) {
	conformance.BenchmarkCacheStore(b, func(b *testing.B) ports.CacheStore { return storeNew(b) }, []int{1, 10_000, 1_000_000})
}
