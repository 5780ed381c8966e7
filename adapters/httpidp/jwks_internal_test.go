package httpidp

import (
	"fmt"
	"testing"
	"time"
)

// TestKeyCache_refetchMemoryBounded: a process that verifies tokens of many tenants
// refetches many key sets over its life; what keyCache remembers of those refetches
// must not grow with them, while a refetch inside its interval is still refused.
func TestKeyCache_refetchMemoryBounded(t *testing.T) {
	c := newKeyCache(time.Hour)
	const interval = time.Minute
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10_000; i++ {
		now = now.Add(time.Second)
		if ok, _ := c.claimRefetch(fmt.Sprintf("https://idp.example/tenant-%d/keys", i), now, interval); !ok {
			t.Fatalf("claim %d refused; want a first claim of a URI granted", i)
		}
	}
	// 60 claims fall inside the last minute; the sweep runs from refetchSweepAt on.
	if n := len(c.lastRefetch); n > refetchSweepAt+int(interval/time.Second) {
		t.Errorf("lastRefetch holds %d URIs after 10,000 refetches; want it bounded near %d", n, refetchSweepAt)
	}
	last := "https://idp.example/tenant-9999/keys"
	if ok, _ := c.claimRefetch(last, now.Add(time.Second), interval); ok {
		t.Error("a second refetch of the same key set within the interval was granted; want it refused")
	}
	if ok, _ := c.claimRefetch(last, now.Add(interval), interval); !ok {
		t.Error("a refetch after the interval was refused; want it granted")
	}
}
