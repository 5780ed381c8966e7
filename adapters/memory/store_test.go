package memory_test

import (
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/ports"
)

// storeNew returns a new Store closed at the end of the test.
func storeNew(t testing.TB) *memory.Store {
	t.Helper()
	s, err := memory.NewStore(memory.StoreConfig{})
	if err != nil {
		t.Fatalf("NewStore(StoreConfig{}) = %v; want nil error", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore_Conformance(t *testing.T) {
	conformance.TestCacheStore(t, conformance.Features{}, func(t *testing.T) ports.CacheStore { return storeNew(t) })
}
