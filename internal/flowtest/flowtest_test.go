package flowtest_test

import (
	"testing"

	"github.com/hexauth/hexauth/adapters/memory"
	"github.com/hexauth/hexauth/conformance"
	"github.com/hexauth/hexauth/internal/flowtest"
	"github.com/hexauth/hexauth/ports"
)

// The flow scenarios on the reference pair: the in-process fake and the memory store.
func TestFlows_memoryProviderMemoryStore(t *testing.T) {
	conformance.TestFlows(t, flowtest.Harness(flowtest.MemoryProvider, func(t *testing.T) ports.CacheStore {
		s, err := memory.NewStore(memory.StoreConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}))
}
